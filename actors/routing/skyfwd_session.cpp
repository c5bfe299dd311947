#include "actors/routing/skyfwd_session.hpp"

#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/dmsg_tools/socket_events.hpp"
#include "actors/routing/route_pipe.hpp"
#include "messages/api/skyfwd.hpp"
#include "messages/wire/apps/skyfwd.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::routing::detail {

struct connected_socket {
  std::shared_ptr<boost::asio::ip::tcp::socket> sock;
};

} // namespace skywire::routing::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::routing::detail::connected_socket)

namespace skywire::routing {

namespace {

using detail::connected_socket;
using dmsg_tools::sock_closed_atom;
using dmsg_tools::sock_data_atom;
using dmsg_tools::sock_sent_atom;
using local_up_atom = caf::atom_constant<caf::atom("fwd_up")>;
using local_fail_atom = caf::atom_constant<caf::atom("fwd_lfail")>;
using reply_timeout_atom = caf::atom_constant<caf::atom("fwd_rto")>;

constexpr const char* component = "skyfwd";
constexpr auto reply_wait = std::chrono::seconds(10);

class session : public caf::event_based_actor {
public:
  session(caf::actor_config& cfg, io::io_runtime* io, api::route_group_actor group,
          public_key remote, skyfwd_ports_ptr ports, std::optional<skyfwd_dial> dial)
    : caf::event_based_actor(cfg), io_(io), group_(std::move(group)), remote_(remote),
      ports_(std::move(ports)), dial_(std::move(dial)) {}

  const char* name() const override { return "skyfwd_session"; }

  caf::behavior make_behavior() override {
    if (dial_)
      start_dial();
    else
      monitor(group_);
    set_down_handler([this](caf::down_msg& dm) {
      if (group_ && dm.source == group_.address())
        route_end(dm.reason == caf::exit_reason::normal ? caf::error{} : dm.reason);
    });
    return {
      [this](api::data_atom, api::byte_buffer& b) { on_route_data(std::move(b)); },
      [this](api::closed_atom, const caf::error& err) { route_end(err); },
      [this](sock_data_atom, io::byte_buffer& b) {
        if (pipe_)
          pipe_->on_socket_data(std::move(b));
      },
      [this](sock_sent_atom, uint64_t n) {
        if (pipe_)
          pipe_->on_socket_sent(n);
      },
      [this](sock_closed_atom) {
        if (pipe_)
          pipe_->on_socket_closed();
        check_done();
      },
      [this](local_up_atom, connected_socket& s) {
        accept_port(io::stream_connection::make(std::move(*s.sock)));
      },
      [this](local_fail_atom) { refuse(wire::apps::fwd_cannot_dial(port_)); },
      [this](reply_timeout_atom) {
        if (!opened_)
          fail_dial("the remote visor did not answer the port request");
      },
    };
  }

  void on_exit() override {
    if (pipe_ && !pipe_->done())
      pipe_->abort();
    else if (conn_ && !pipe_)
      conn_->close_with_reset();
  }

private:
  // ---- serve ------------------------------------------------------------------------------
  void on_route_data(api::byte_buffer&& b) {
    if (pipe_)
      return pipe_->on_route_data(std::move(b));
    auto n = static_cast<uint32_t>(b.size());
    send(group_, api::consumed_atom::value, n);
    if (dial_)
      return on_reply(b);
    if (asked_) { // bytes before our answer: the dialer did not wait
      SKYWIRE_LOG(debug, component, "bytes before the answer", log::kv("from", remote_.hex()));
      return close_route();
    }
    asked_ = true;
    auto req = wire::apps::decode_fwd_request(
      std::string_view{reinterpret_cast<const char*>(b.data()), b.size()});
    if (!req)
      return refuse(describe(req.error()));
    port_ = *req;
    if (!ports_ || !ports_->contains(port_))
      return refuse(wire::apps::fwd_not_registered(port_));
    connect_local();
  }

  void connect_local() {
    namespace asio = boost::asio;
    auto sock = std::make_shared<asio::ip::tcp::socket>(io_->context());
    auto me = caf::actor_cast<caf::actor>(this);
    sock->async_connect(asio::ip::tcp::endpoint{asio::ip::address_v4::loopback(), port_},
                        [me, sock](const boost::system::error_code& err) {
                          if (err)
                            caf::anon_send(me, local_fail_atom::value);
                          else
                            caf::anon_send(me, local_up_atom::value, connected_socket{sock});
                        });
  }

  void accept_port(io::stream_connection_ptr conn) {
    auto ok = wire::apps::encode_fwd_reply(std::nullopt);
    request(group_, reply_wait, api::write_atom::value, api::byte_buffer(ok.begin(), ok.end()))
      .then([](api::ok_atom) {}, [this](caf::error&) { close_route(); });
    SKYWIRE_LOG(debug, component, "forwarding", log::kv("from", remote_.hex()),
                log::kv("port", port_));
    start_pipe(std::move(conn));
  }

  void refuse(const std::string& why) {
    SKYWIRE_LOG(info, component, "forward refused", log::kv("from", remote_.hex()),
                log::kv("error", why));
    auto text = wire::apps::encode_fwd_reply(why);
    request(group_, reply_wait, api::write_atom::value, api::byte_buffer(text.begin(), text.end()))
      .then([this](api::ok_atom) { close_route(); }, [this](caf::error&) { close_route(); });
  }

  // ---- dial -------------------------------------------------------------------------------
  void start_dial() {
    api::route_dial d;
    d.remote = dial_->remote;
    d.remote_port = api::skyfwd_port;
    request(dial_->routes, caf::infinite, api::rt_dial_atom::value, d)
      .then(
        [this](api::route_group_actor& g) {
          group_ = g;
          monitor(group_);
          auto text = wire::apps::encode_fwd_request(dial_->remote_port);
          request(group_, reply_wait, api::write_atom::value,
                  api::byte_buffer(text.begin(), text.end()))
            .then([](api::ok_atom) {},
                  [this](caf::error& err) { fail_dial("the port request: " + describe(err)); });
          delayed_send(this, reply_wait, reply_timeout_atom::value);
        },
        [this](caf::error& err) { fail_dial(describe(err)); });
  }

  void on_reply(const api::byte_buffer& b) {
    if (opened_)
      return;
    auto r = wire::apps::decode_fwd_reply(
      std::string_view{reinterpret_cast<const char*>(b.data()), b.size()});
    if (!r)
      return fail_dial("the remote visor's answer: " + describe(r.error()));
    if (*r)
      return fail_dial(**r);
    opened_ = true;
    if (!dial_->conn) { // a probe
      report("");
      return close_route();
    }
    start_pipe(dial_->conn);
  }

  void fail_dial(const std::string& why) {
    SKYWIRE_LOG(info, component, "rev: the remote refused or failed",
                log::kv("remote", dial_->remote.hex()), log::kv("port", dial_->remote_port),
                log::kv("error", why));
    report(why);
    if (dial_->conn)
      dial_->conn->close();
    if (group_)
      close_route();
    else
      quit();
  }

  void report(const std::string& why) {
    if (dial_ && dial_->report && !reported_) {
      reported_ = true;
      send(dial_->report, skyfwd_probe_atom::value, dial_->probe_id, why);
    }
  }

  // ---- both -------------------------------------------------------------------------------
  void start_pipe(io::stream_connection_ptr conn) {
    conn_ = conn;
    pipe_.emplace(this, conn_, group_);
    conn_->start(dmsg_tools::socket_callbacks(caf::actor_cast<caf::actor>(this)), 64 * 1024);
  }

  void close_route() {
    if (group_ && !close_sent_) {
      close_sent_ = true;
      send(group_, api::close_atom::value);
    }
    if (!pipe_ && route_gone_)
      quit();
  }

  void route_end(const caf::error& err) {
    route_gone_ = true;
    if (pipe_) {
      pipe_->on_route_closed(err);
      return check_done();
    }
    if (dial_ && !opened_ && !reported_)
      return fail_dial(err ? describe(err) : "the route closed");
    if (dial_ && dial_->conn)
      dial_->conn->close();
    quit();
  }

  void check_done() {
    if (pipe_ && pipe_->done())
      quit();
  }

  io::io_runtime* io_;
  api::route_group_actor group_;
  public_key remote_;
  skyfwd_ports_ptr ports_;
  std::optional<skyfwd_dial> dial_;
  io::stream_connection_ptr conn_;
  std::optional<route_pipe> pipe_;
  uint16_t port_ = 0;
  bool asked_ = false;
  bool opened_ = false;
  bool reported_ = false;
  bool close_sent_ = false;
  bool route_gone_ = false;
};

} // namespace

caf::actor spawn_skyfwd_serve(caf::actor_system& sys, io::io_runtime& io,
                              api::route_group_actor group, public_key remote,
                              skyfwd_ports_ptr ports) {
  return sys.spawn<session>(&io, std::move(group), remote, std::move(ports),
                            std::optional<skyfwd_dial>{});
}

caf::actor spawn_skyfwd_dial(caf::actor_system& sys, skyfwd_dial d) {
  auto remote = d.remote;
  return sys.spawn<session>(nullptr, api::route_group_actor{}, remote, skyfwd_ports_ptr{},
                            std::optional<skyfwd_dial>{std::move(d)});
}

} // namespace skywire::routing
