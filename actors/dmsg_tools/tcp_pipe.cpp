#include "actors/dmsg_tools/tcp_pipe.hpp"

#include <memory>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/dmsg_tools/failure_log.hpp"
#include "actors/dmsg_tools/pipe_core.hpp"
#include "actors/dmsg_tools/socket_events.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::dmsg_tools {

namespace {

using connected_atom = caf::atom_constant<caf::atom("tp_conn")>;
using connect_failed_atom = caf::atom_constant<caf::atom("tp_cfail")>;

struct socket_box {
  std::shared_ptr<boost::asio::ip::tcp::socket> sock;
};

} // namespace
} // namespace skywire::dmsg_tools

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::dmsg_tools::socket_box)

namespace skywire::dmsg_tools {

namespace {

constexpr const char* component = "dmsg_web_srv";

class tcp_pipe : public caf::event_based_actor {
public:
  tcp_pipe(caf::actor_config& cfg, api::stream_opened stream, io::stream_connection_ptr conn,
           std::vector<uint8_t> leftover, std::string local)
    : caf::event_based_actor(cfg),
      stream_(std::move(stream)),
      leftover_(std::move(leftover)),
      local_(std::move(local)) {
    if (conn) {
      local_ = conn->remote_endpoint();
      adopt(std::move(conn));
    }
  }

  const char* name() const override { return "tcp_pipe"; }

  caf::behavior make_behavior() override {
    send(stream_.stream, api::set_owner_atom::value, caf::actor{this});
    monitor(stream_.stream);
    set_down_handler([this](caf::down_msg& dm) {
      if (dm.source != stream_.stream.address())
        return;
      // a stream actor that quits normally has sent closed_atom already
      if (dm.reason && dm.reason != caf::exit_reason::normal)
        stream_failed(dm.reason);
      stream_end(dm.reason == caf::exit_reason::normal ? caf::error{} : dm.reason);
    });
    return {
      [this](sock_data_atom, byte_buffer& b) {
        if (core_)
          core_->on_socket_data(std::move(b));
      },
      [this](sock_sent_atom, uint64_t n) {
        if (core_)
          core_->on_socket_sent(n);
      },
      [this](sock_closed_atom) {
        if (core_)
          core_->on_socket_closed();
        check_done();
      },
      [this](api::data_atom, byte_buffer& b) {
        if (core_)
          core_->on_stream_data(std::move(b));
        else
          early_.push_back(std::move(b));
      },
      [this](api::ack_atom, uint64_t n) {
        if (core_)
          core_->on_stream_ack(n);
      },
      [this](api::closed_atom, const caf::error& err) {
        if (err)
          stream_failed(err);
        stream_end(err);
      },
      [this](connected_atom, socket_box& box) {
        adopt(io::stream_connection::make(std::move(*box.sock)));
        for (auto& b : early_)
          core_->on_stream_data(std::move(b));
        early_.clear();
        if (stream_gone_)
          core_->on_stream_closed(stream_error_);
      },
      [this](connect_failed_atom, const std::string& what) {
        failure_logged_ = true;
        log_failure(end_info(), "local connect failed; closing the dmsg stream",
                    "the local service refused the connection", what);
        send(stream_.stream, api::close_atom::value);
        quit();
      },
    };
  }

  void adopt(io::stream_connection_ptr conn) {
    conn_ = conn;
    core_.emplace(this, conn_, stream_.stream);
    conn_->start(socket_callbacks(caf::actor{this}));
    if (!leftover_.empty())
      core_->on_socket_data(std::move(leftover_));
  }

  void on_exit() override {
    if (core_) {
      if (!failure_logged_ && core_->local_failure().empty() && core_->done())
        log_clean_end(end_info(), "dmsg stream closed");
      core_->abort();
    }
  }

private:
  pipe_end end_info() const {
    return pipe_end_of(component, stream_.remote.to_string(), local_, core_ ? &*core_ : nullptr);
  }

  // Once per stream, at info: the stream (or its session) failed, and why.
  void stream_failed(const caf::error& err) {
    if (failure_logged_)
      return;
    failure_logged_ = true;
    log_failure(end_info(), "dmsg stream failed; resetting the local connection", err);
  }

  void stream_end(const caf::error& err) {
    if (!stream_gone_)
      stream_error_ = err;
    stream_gone_ = true;
    if (core_)
      core_->on_stream_closed(err);
    else
      quit(); // still connecting: nothing to flush
    check_done();
  }

  void check_done() {
    if (core_ && core_->done()) {
      if (!failure_logged_ && !core_->local_failure().empty()) {
        failure_logged_ = true;
        log_failure(end_info(), "local connection reset; closing the dmsg stream",
                    core_->local_failure());
      }
      quit();
    }
  }

  api::stream_opened stream_;
  std::vector<uint8_t> leftover_;
  std::string local_; ///< the local end: the connected socket's peer, or host:port
  io::stream_connection_ptr conn_;
  std::optional<pipe_core> core_;
  std::vector<byte_buffer> early_;
  bool stream_gone_ = false;
  caf::error stream_error_;
  bool failure_logged_ = false;
};

} // namespace

caf::actor spawn_tcp_pipe(caf::actor_system& sys, api::stream_opened stream,
                          io::stream_connection_ptr conn, std::vector<uint8_t> leftover) {
  return sys.spawn<tcp_pipe>(std::move(stream), std::move(conn), std::move(leftover),
                             std::string{});
}

caf::actor spawn_tcp_pipe_to(caf::actor_system& sys, io::io_runtime& io, api::stream_opened stream,
                             std::string host, uint16_t port) {
  auto local = host + ":" + std::to_string(port);
  auto pipe = sys.spawn<tcp_pipe>(std::move(stream), io::stream_connection_ptr{},
                                  std::vector<uint8_t>{}, std::move(local));
  namespace asio = boost::asio;
  auto sock = std::make_shared<asio::ip::tcp::socket>(io.context());
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) {
    caf::anon_send(pipe, connect_failed_atom::value, "bad address " + host);
    return pipe;
  }
  sock->async_connect(asio::ip::tcp::endpoint{addr, port},
                      [pipe, sock](const boost::system::error_code& err) {
                        if (err)
                          caf::anon_send(pipe, connect_failed_atom::value, err.message());
                        else
                          caf::anon_send(pipe, connected_atom::value, socket_box{sock});
                      });
  return pipe;
}

} // namespace skywire::dmsg_tools
