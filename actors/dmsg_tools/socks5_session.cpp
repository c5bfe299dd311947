#include "actors/dmsg_tools/socks5_session.hpp"

#include <algorithm>
#include <memory>

#include <caf/event_based_actor.hpp>

#include "actors/dmsg_tools/failure_log.hpp"
#include "actors/dmsg_tools/pipe_core.hpp"
#include "actors/dmsg_tools/socket_events.hpp"
#include "messages/api/dmsg.hpp"
#include "messages/wire/socks5/server.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::dmsg_tools {

namespace socks5 = wire::socks5;

namespace {

constexpr const char* component = "dmsg_web";

using hs_timeout_atom = caf::atom_constant<caf::atom("s5_hsto")>;

class socks5_session : public caf::event_based_actor {
public:
  socks5_session(caf::actor_config& cfg, api::dmsg_client_actor client, io::stream_connection_ptr conn,
                 socks5_config conf)
    : caf::event_based_actor(cfg),
      client_(std::move(client)),
      conn_(std::move(conn)),
      conf_(std::move(conf)) {
    local_ = conn_->remote_endpoint();
  }

  const char* name() const override { return "socks5_session"; }

  void on_exit() override {
    if (core_) {
      if (!failure_logged_ && core_->local_failure().empty() && core_->done())
        log_clean_end(end_info(), "dmsg stream closed");
      core_->abort();
    } else if (conn_) {
      conn_->close();
    }
  }

  caf::behavior make_behavior() override {
    conn_->start(socket_callbacks(caf::actor{this}));
    delayed_send(this, conf_.handshake_timeout, hs_timeout_atom::value);
    set_down_handler([this](caf::down_msg& dm) {
      if (core_ && stream_ && dm.source == stream_.address()) {
        // a stream actor that quits normally has sent closed_atom already
        caf::error err;
        if (dm.reason && dm.reason != caf::exit_reason::normal) {
          err = dm.reason;
          stream_failed(err);
        }
        core_->on_stream_closed(err);
        check_done();
      }
    });
    return {
      [this](sock_data_atom, byte_buffer& b) {
        if (core_)
          return core_->on_socket_data(std::move(b));
        if (dialing_) {
          // reading is paused while the dial runs: at most one read lands here
          in_.insert(in_.end(), b.begin(), b.end());
          return;
        }
        advance(b);
      },
      [this](sock_sent_atom, uint64_t n) {
        if (core_) {
          core_->on_socket_sent(n);
          check_done();
        }
      },
      [this](sock_closed_atom) {
        if (!core_)
          return quit();
        core_->on_socket_closed();
        check_done();
      },
      [this](api::data_atom, byte_buffer& b) {
        if (core_)
          core_->on_stream_data(std::move(b));
      },
      [this](api::ack_atom, uint64_t n) {
        if (core_)
          core_->on_stream_ack(n);
      },
      [this](api::closed_atom, const caf::error& err) {
        if (core_) {
          if (err)
            stream_failed(err);
          core_->on_stream_closed(err);
          check_done();
        }
      },
      [this](hs_timeout_atom) {
        if (!core_ && !dialing_)
          close_now("handshake timeout");
      },
    };
  }

private:
  pipe_end end_info() const {
    return pipe_end_of(component, remote_.to_string(), local_, core_ ? &*core_ : nullptr);
  }

  // Once per stream, at info: the stream (or its session) failed, and why.
  void stream_failed(const caf::error& err) {
    if (failure_logged_)
      return;
    failure_logged_ = true;
    log_failure(end_info(), "dmsg stream failed; resetting the SOCKS client connection", err);
  }

  // Once, at info: the pipe gave up on the SOCKS client (it stopped reading).
  void local_failed() {
    if (failure_logged_ || !core_ || core_->local_failure().empty())
      return;
    failure_logged_ = true;
    log_failure(end_info(), "SOCKS client connection reset", core_->local_failure());
  }

  void advance(const byte_buffer& b) {
    byte_buffer out;
    auto st = hs_.feed({b.data(), b.size()}, out);
    if (!out.empty())
      conn_->write(std::move(out));
    if (st == socks5::server_handshake::state::need_more)
      return;
    if (st == socks5::server_handshake::state::refused) {
      SKYWIRE_LOG(debug, component, "SOCKS handshake refused", log::kv("why", hs_.why()));
      return close_after_write();
    }
    auto& req = hs_.req();
    in_ = hs_.take_leftover();
    auto pk = resolve_dmsg_name(req.dst.host_string(), conf_.suffix);
    if (!pk) {
      SKYWIRE_LOG(debug, component, "refusing a non-dmsg host",
                  log::kv("host", req.dst.host_string()));
      reply(socks5::reply_code::host_unreachable);
      return close_after_write();
    }
    dial(*pk, req.dst.port == 0 ? uint16_t{80} : req.dst.port);
  }

  void dial(const public_key& pk, uint16_t p) {
    dialing_ = true;
    conn_->pause_reading();
    skywire::address remote{pk, port{p}};
    request(client_, conf_.dial_timeout, api::dial_atom::value, remote)
      .then(
        [this](api::stream_opened& s) {
          stream_ = s.stream;
          remote_ = s.remote;
          monitor(stream_);
          send(stream_, api::set_owner_atom::value, caf::actor{this});
          reply(socks5::reply_code::succeeded);
          core_.emplace(this, conn_, stream_);
          if (!in_.empty())
            core_->on_socket_data(std::move(in_));
          in_.clear();
          conn_->resume_reading();
        },
        [this, remote](caf::error& err) {
          remote_ = remote;
          failure_logged_ = true;
          log_failure(end_info(), "dmsg dial failed", err);
          reply(static_cast<socks5::reply_code>(socks5_reply_for(err)));
          close_after_write();
        });
  }

  void reply(socks5::reply_code code) {
    conn_->write(socks5::encode_reply(code));
  }

  void close_after_write() {
    // the reply is queued; close once it has been written (sock_sent) or the
    // peer goes away. A small delay keeps this simple and bounded.
    delayed_send(this, std::chrono::milliseconds(50), hs_timeout_atom::value);
    become(caf::keep_behavior,
           [this](sock_sent_atom, uint64_t) {
             if (conn_->queued_bytes() == 0)
               close_now("done");
           },
           [this](hs_timeout_atom) { close_now("done"); },
           [this](sock_closed_atom) { quit(); },
           [this](sock_data_atom, byte_buffer&) {});
  }

  void close_now(const std::string& why) {
    SKYWIRE_LOG(debug, component, "closing client connection", log::kv("why", why));
    conn_->close();
    quit();
  }

  void check_done() {
    if (core_ && core_->done()) {
      local_failed();
      quit();
    }
  }

  api::dmsg_client_actor client_;
  io::stream_connection_ptr conn_;
  socks5_config conf_;
  socks5::server_handshake hs_;
  byte_buffer in_;
  bool dialing_ = false;
  api::dmsg_stream_actor stream_;
  skywire::address remote_;
  std::string local_; ///< the SOCKS client's ip:port
  std::optional<pipe_core> core_;
  bool failure_logged_ = false;
};

} // namespace

std::optional<public_key> resolve_dmsg_name(std::string_view host, std::string_view suffix) {
  if (host.size() != 66 + suffix.size())
    return std::nullopt;
  auto tail = host.substr(66);
  if (!std::equal(tail.begin(), tail.end(), suffix.begin(), suffix.end(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
    return std::nullopt;
  auto pk = public_key::from_hex(host.substr(0, 66));
  if (!pk || pk->is_null())
    return std::nullopt;
  return *pk;
}

caf::actor spawn_socks5_session(caf::actor_system& sys, api::dmsg_client_actor dmsg_client,
                                io::stream_connection_ptr conn, socks5_config cfg) {
  return sys.spawn<socks5_session>(std::move(dmsg_client), std::move(conn), std::move(cfg));
}

} // namespace skywire::dmsg_tools
