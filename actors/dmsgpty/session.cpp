#include "actors/dmsgpty/session.hpp"

#include <deque>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/dmsg_tools/pipe_core.hpp"
#include "actors/dmsg_tools/socket_events.hpp"
#include "messages/api/dmsgpty.hpp"
#include "messages/wire/dmsgpty/pty_types.hpp"
#include "messages/wire/dmsgpty/request.hpp"
#include "messages/wire/rpc/net_rpc.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/pty_process.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::dmsgpty {

namespace {

using pty_data_atom = caf::atom_constant<caf::atom("pty_data")>;
using pty_written_atom = caf::atom_constant<caf::atom("pty_wrote")>;
using pty_eof_atom = caf::atom_constant<caf::atom("pty_eof")>;
using request_timeout_atom = caf::atom_constant<caf::atom("req_tout")>;
using proxy_timeout_atom = caf::atom_constant<caf::atom("prx_tout")>;

namespace wp = wire::dmsgpty;
using wire::gob::value;
using wire::rpc::request_header;
using byte_buffer = std::vector<uint8_t>;

constexpr const char* component = "dmsgpty";

// net/rpc's texts for calls it cannot route
std::string no_service(const std::string& m) {
  return "rpc: can't find service " + m;
}
std::string no_method(const std::string& m) {
  return "rpc: can't find method " + m;
}

constexpr const char* not_running = "no active pty session";
constexpr const char* already_running = "a pty session is already running";
constexpr const char* eof_text = "EOF";

class session : public caf::event_based_actor {
public:
  session(caf::actor_config& cfg, session_params p)
    : caf::event_based_actor(cfg), p_(std::move(p)),
      codec_(nullptr, gob_limits(p_.limits)) {
  }

  const char* name() const override { return "dmsgpty_session"; }

  caf::behavior make_behavior() override {
    if (p_.stream) {
      send(p_.stream->stream, api::set_owner_atom::value, caf::actor{this});
      monitor(p_.stream->stream);
    } else if (p_.conn) {
      p_.conn->start(dmsg_tools::socket_callbacks(caf::actor{this}), 64 * 1024);
    } else {
      quit();
      return {};
    }
    set_down_handler([this](caf::down_msg& dm) {
      if (p_.stream && dm.source == p_.stream->stream.address())
        connection_ended();
      else if (remote_ && dm.source == remote_.address())
        remote_ended();
    });
    delayed_send(this, p_.limits.request_timeout, request_timeout_atom::value);
    return {
      // ---- the connection: CLI socket ----
      [this](dmsg_tools::sock_data_atom, byte_buffer& b) {
        if (core_)
          core_->on_socket_data(std::move(b));
        else
          on_input(std::move(b));
      },
      [this](dmsg_tools::sock_sent_atom, uint64_t n) {
        if (core_)
          core_->on_socket_sent(n);
        else if (close_when_sent_ && p_.conn->queued_bytes() == 0)
          p_.conn->close();
      },
      [this](dmsg_tools::sock_closed_atom) {
        if (core_) {
          core_->on_socket_closed();
          check_proxy_done();
        } else {
          connection_ended();
        }
      },
      // ---- dmsg streams: the inbound one, or the proxy's outbound one ----
      [this](api::data_atom, byte_buffer& b) {
        auto from = current_sender();
        if (is_remote(from)) {
          on_remote_data(std::move(b));
        } else if (is_inbound(from)) {
          auto n = static_cast<uint32_t>(b.size());
          on_input(std::move(b));
          credit(n);
        }
      },
      [this](api::ack_atom, uint64_t n) {
        auto from = current_sender();
        if (core_ && is_remote(from)) {
          core_->on_stream_ack(n);
        } else if (is_inbound(from)) {
          unacked_ = n > unacked_ ? 0 : unacked_ - n;
          if (unacked_ <= max_unacked / 2 && held_credit_ > 0) {
            auto c = held_credit_;
            held_credit_ = 0;
            credit(c);
          }
        }
      },
      [this](api::closed_atom, const caf::error&) {
        auto from = current_sender();
        if (is_remote(from))
          remote_ended();
        else if (is_inbound(from))
          connection_ended();
      },
      // ---- the pty ----
      [this](pty_data_atom, byte_buffer& b) { on_pty_data(std::move(b)); },
      [this](pty_written_atom, uint64_t n) { on_pty_written(n); },
      [this](pty_eof_atom) { on_pty_eof(); },
      // ---- timers ----
      [this](request_timeout_atom) {
        if (phase_ == phase::request)
          reject("no request within the time limit");
      },
      [this](proxy_timeout_atom) {
        if (phase_ == phase::proxy_dialing || phase_ == phase::proxy_waiting)
          reject("the remote dmsgpty host did not answer in time");
      },
    };
  }

  void on_exit() override {
    stop_pty();
    if (core_)
      core_->abort();
    if (remote_ && !core_)
      send(remote_, api::close_atom::value);
    close_connection_now();
  }

private:
  enum class phase : uint8_t { request, rpc, proxy_dialing, proxy_waiting, proxy_piping, closing };
  enum class pty_state : uint8_t { none, running, ended };

  struct pending_read {
    request_header h;
    size_t n;
  };

  static wire::gob::limits gob_limits(const session_limits& l) {
    wire::gob::limits g;
    g.max_message = l.max_message;
    g.max_types = 64;
    g.max_fields = 64;
    g.max_name = 256;
    g.max_depth = 16;
    g.max_nodes = 1u << 16;
    g.max_array_len = 1 << 16;
    return g;
  }

  bool is_remote(const caf::strong_actor_ptr& sender) const {
    return remote_ && sender == caf::actor_cast<caf::strong_actor_ptr>(remote_);
  }

  bool is_inbound(const caf::strong_actor_ptr& sender) const {
    return p_.stream && sender == caf::actor_cast<caf::strong_actor_ptr>(p_.stream->stream);
  }

  // ---- connection output ----

  void send_out(byte_buffer bytes) {
    if (bytes.empty() || phase_ == phase::closing)
      return;
    if (p_.stream) {
      unacked_ += bytes.size();
      send(p_.stream->stream, api::write_atom::value, std::move(bytes));
    } else if (p_.conn && !p_.conn->write(std::move(bytes))) {
      SKYWIRE_LOG(debug, component, "CLI connection too slow; closing");
      quit();
    }
  }

  // Sends the reject byte, then closes once it is out.
  void reject(const std::string& why) {
    SKYWIRE_LOG(info, component, "request rejected", log::kv("reason", why),
                log::kv("peer", peer()));
    send_out({wp::reject_byte});
    phase_ = phase::closing;
    if (p_.stream) {
      stream_closed_ = true;
      send(p_.stream->stream, api::close_atom::value); // FIN follows the queued byte
      quit();
    } else {
      close_when_sent_ = true;
      if (p_.conn->queued_bytes() == 0)
        p_.conn->close();
    }
  }

  // Opens the inbound stream's receive window again, unless the peer does
  // not take our answers: then its calls wait (their replies would pile up).
  void credit(uint32_t n) {
    if (unacked_ > max_unacked) {
      held_credit_ += n;
      return;
    }
    send(p_.stream->stream, api::consumed_atom::value, n);
  }

  void close_connection_now() {
    if (p_.stream && !stream_closed_) {
      stream_closed_ = true;
      send(p_.stream->stream, api::close_atom::value);
    }
    if (p_.conn)
      p_.conn->close();
  }

  void connection_ended() {
    stream_closed_ = true;
    if (core_) {
      core_->on_socket_closed();
      check_proxy_done();
      return;
    }
    quit();
  }

  std::string peer() const {
    return p_.stream ? p_.stream->remote.to_string() : std::string{"cli"};
  }

  // ---- the request, then RPC ----

  void on_input(byte_buffer&& bytes) {
    if (phase_ == phase::request) {
      in_.insert(in_.end(), bytes.begin(), bytes.end());
      auto r = wp::parse_request(in_);
      if (!r)
        return reject(describe(r.error()));
      if (!*r)
        return; // wait for the rest (the request timer bounds this)
      byte_buffer rest(in_.begin() + static_cast<long>((*r)->consumed), in_.end());
      in_.clear();
      return on_request((*r)->uri, std::move(rest));
    }
    if (phase_ == phase::rpc)
      return on_rpc_bytes(bytes);
    if (phase_ == phase::proxy_dialing || phase_ == phase::proxy_waiting) {
      // bytes sent before the remote accepted go through once it has
      if (early_.size() + bytes.size() > p_.limits.max_message)
        return reject("too many bytes before the proxy was ready");
      early_.insert(early_.end(), bytes.begin(), bytes.end());
    }
  }

  void on_request(const std::string& text, byte_buffer rest) {
    auto uri = wp::parse_uri(text);
    if (!uri)
      return reject(describe(uri.error()));
    auto ep = wp::endpoint_of(*uri);
    if (!ep)
      return reject("invalid request '" + text + "'");
    if (p_.stream && *ep != wp::endpoint::pty)
      return reject("endpoint '" + uri->path + "' is for the local CLI only");
    endpoint_ = *ep;
    if (*ep == wp::endpoint::proxy)
      return start_proxy(*uri, std::move(rest));
    SKYWIRE_LOG(debug, component, "request accepted", log::kv("uri", text),
                log::kv("peer", peer()));
    phase_ = phase::rpc;
    send_out({wp::accept_byte});
    if (!rest.empty())
      on_rpc_bytes(rest);
  }

  void on_rpc_bytes(const byte_buffer& bytes) {
    codec_.feed(bytes);
    for (;;) {
      if (phase_ != phase::rpc)
        return;
      auto req = codec_.next_request();
      if (!req) {
        SKYWIRE_LOG(info, component, "bad RPC input; closing", log::kv("error", describe(req.error())),
                    log::kv("peer", peer()));
        quit();
        return;
      }
      if (!*req)
        return;
      dispatch(std::move(**req));
    }
  }

  void reply(const request_header& h, const wire::gob::schema_ptr& s, const value& v) {
    byte_buffer out;
    wire::rpc::response_header rh{h.service_method, h.seq, {}};
    if (auto err = codec_.write_response(rh, s, v, out)) {
      SKYWIRE_LOG(warn, component, "cannot encode a reply", log::kv("error", describe(err)));
      quit();
      return;
    }
    send_out(std::move(out));
  }

  void reply_empty(const request_header& h) { reply(h, wp::empty_schema(), wp::empty_value()); }

  void reply_error(const request_header& h, std::string_view text) {
    byte_buffer out;
    if (auto err = codec_.write_error(h, text, out)) {
      quit();
      return;
    }
    send_out(std::move(out));
  }

  size_t outstanding() const {
    return reads_.size() + writes_.size() + wl_calls_;
  }

  void dispatch(wire::rpc::inbound_request req) {
    const auto& m = req.header.service_method;
    auto dot = m.find('.');
    if (dot == std::string::npos)
      return reply_error(req.header, "rpc: service/method request ill-formed: " + m);
    auto service = m.substr(0, dot);
    auto method = m.substr(dot + 1);
    auto expected_service = endpoint_ == wp::endpoint::whitelist ? wp::whitelist_service
                                                                 : wp::pty_service;
    if (service != expected_service)
      return reply_error(req.header, no_service(m));
    if (outstanding() >= p_.limits.max_outstanding)
      return reply_error(req.header, "too many calls in progress");
    if (endpoint_ == wp::endpoint::whitelist)
      return whitelist_call(method, req);
    if (method == "Start")
      return pty_start(req);
    if (method == "Stop")
      return pty_stop(req.header);
    if (method == "Read")
      return pty_read(req);
    if (method == "Write")
      return pty_write(req);
    if (method == "SetPtySize")
      return pty_set_size(req);
    reply_error(req.header, no_method(m));
  }

  // ---- whitelist service ----

  void whitelist_call(const std::string& method, const wire::rpc::inbound_request& req) {
    auto h = req.header;
    auto timeout = std::chrono::seconds(10);
    if (method == "Whitelist") {
      ++wl_calls_;
      request(p_.host, timeout, api::wl_list_atom::value)
        .then(
          [this, h](std::vector<public_key>& pks) {
            --wl_calls_;
            reply(h, wp::pubkeys_schema(), wp::pubkeys_value(pks));
          },
          [this, h](caf::error& err) {
            --wl_calls_;
            reply_error(h, describe(err));
          });
      return;
    }
    if (method != "WhitelistAdd" && method != "WhitelistRemove")
      return reply_error(h, no_method(h.service_method));
    auto pks = wp::pubkeys_from_gob(req.arg);
    if (!pks)
      return reply_error(h, describe(pks.error()));
    for (const auto& pk : *pks)
      if (!crypto::is_valid(pk))
        return reply_error(h, "invalid public key " + pk.hex());
    ++wl_calls_;
    auto done = [this, h](caf::ok_atom) {
      --wl_calls_;
      reply_empty(h);
    };
    auto failed = [this, h](caf::error& err) {
      --wl_calls_;
      reply_error(h, describe(err));
    };
    if (method == "WhitelistAdd")
      request(p_.host, timeout, api::wl_add_atom::value, std::move(*pks)).then(done, failed);
    else
      request(p_.host, timeout, api::wl_remove_atom::value, std::move(*pks)).then(done, failed);
  }

  // ---- pty service ----

  void pty_start(const wire::rpc::inbound_request& req) {
    if (state_ == pty_state::running)
      return reply_error(req.header, already_running);
    auto cmd = wp::command_req_from_gob(codec_.decoder(), req.arg);
    if (!cmd)
      return reply_error(req.header, describe(cmd.error()));
    std::optional<io::pty_size> size;
    if (cmd->size)
      size = io::pty_size{cmd->size->rows, cmd->size->cols, cmd->size->x, cmd->size->y};
    auto child = io::pty_process::spawn(*p_.io, cmd->name, cmd->args, size);
    if (!child)
      return reply_error(req.header, describe(child.error()));
    stop_pty(); // a previous, ended child
    pty_ = std::move(*child);
    state_ = pty_state::running;
    output_.clear();
    output_off_ = 0;
    paused_ = false;
    io::pty_process::callbacks cbs;
    caf::actor self{this};
    cbs.on_data = [self](byte_buffer&& b) { caf::anon_send(self, pty_data_atom::value, std::move(b)); };
    cbs.on_written = [self](size_t n) { caf::anon_send(self, pty_written_atom::value, uint64_t{n}); };
    cbs.on_eof = [self] { caf::anon_send(self, pty_eof_atom::value); };
    pty_->start(std::move(cbs), p_.limits.max_read);
    SKYWIRE_LOG(info, component, "pty started", log::kv("cmd", cmd->name),
                log::kv("pid", static_cast<int64_t>(pty_->pid())), log::kv("peer", peer()));
    reply_empty(req.header);
  }

  void pty_stop(const request_header& h) {
    if (state_ != pty_state::running)
      return reply_error(h, not_running);
    stop_pty();
    state_ = pty_state::ended;
    output_.clear();
    output_off_ = 0;
    fail_reads();
    reply_empty(h);
  }

  void pty_read(const wire::rpc::inbound_request& req) {
    auto n = wp::int_from_gob(req.arg);
    if (!n)
      return reply_error(req.header, describe(n.error()));
    if (state_ == pty_state::none)
      return reply_error(req.header, not_running);
    size_t want = std::min<size_t>(static_cast<size_t>(*n), p_.limits.max_read);
    if (want == 0)
      return reply(req.header, wp::bytes_schema(), value::of_bytes({}));
    reads_.push_back({req.header, want});
    serve_reads();
  }

  void pty_write(const wire::rpc::inbound_request& req) {
    auto bytes = wp::bytes_from_gob(req.arg, p_.limits.max_message);
    if (!bytes)
      return reply_error(req.header, describe(bytes.error()));
    if (state_ != pty_state::running || !pty_)
      return reply_error(req.header, state_ == pty_state::none ? not_running : eof_text);
    if (bytes->empty())
      return reply(req.header, wp::int_schema(), value::of_int(0));
    writes_.push_back(req.header);
    pty_->write(std::move(*bytes));
  }

  void pty_set_size(const wire::rpc::inbound_request& req) {
    auto ws = wp::win_size_from_gob(codec_.decoder(), req.arg);
    if (!ws)
      return reply_error(req.header, describe(ws.error()));
    if (state_ != pty_state::running || !pty_)
      return reply_error(req.header, not_running);
    if (auto err = pty_->set_size({ws->rows, ws->cols, ws->x, ws->y}))
      return reply_error(req.header, describe(err));
    reply_empty(req.header);
  }

  size_t buffered() const { return output_.size() - output_off_; }

  void on_pty_data(byte_buffer&& b) {
    if (state_ != pty_state::running)
      return;
    output_.insert(output_.end(), b.begin(), b.end());
    if (!paused_ && buffered() >= p_.limits.max_buffered_output) {
      paused_ = true;
      pty_->pause_reading();
    }
    serve_reads();
  }

  void on_pty_written(uint64_t n) {
    if (writes_.empty())
      return;
    auto h = writes_.front();
    writes_.pop_front();
    reply(h, wp::int_schema(), value::of_int(static_cast<int64_t>(n)));
  }

  void on_pty_eof() {
    if (state_ != pty_state::running)
      return;
    SKYWIRE_LOG(debug, component, "pty output ended", log::kv("peer", peer()));
    state_ = pty_state::ended;
    if (pty_)
      pty_->terminate(p_.limits.stop_grace); // reaps the child
    serve_reads();
    // writes still queued toward the pty are reported by pty_process
  }

  void serve_reads() {
    while (!reads_.empty() && buffered() > 0) {
      auto r = reads_.front();
      reads_.pop_front();
      auto take = std::min(r.n, buffered());
      auto first = output_.begin() + static_cast<long>(output_off_);
      reply(r.h, wp::bytes_schema(), value::of_bytes(byte_buffer(first, first + static_cast<long>(take))));
      output_off_ += take;
    }
    if (output_off_ == output_.size()) {
      output_.clear();
      output_off_ = 0;
    } else if (output_off_ > 64 * 1024) {
      output_.erase(output_.begin(), output_.begin() + static_cast<long>(output_off_));
      output_off_ = 0;
    }
    if (paused_ && buffered() < p_.limits.max_buffered_output / 2 && pty_) {
      paused_ = false;
      pty_->resume_reading();
    }
    if (state_ == pty_state::ended && buffered() == 0)
      fail_reads();
  }

  void fail_reads() {
    while (!reads_.empty()) {
      auto h = reads_.front().h;
      reads_.pop_front();
      reply_error(h, eof_text);
    }
  }

  void stop_pty() {
    if (pty_) {
      SKYWIRE_LOG(debug, component, "pty stopped", log::kv("pid", static_cast<int64_t>(pty_->pid())));
      pty_->terminate(p_.limits.stop_grace);
      pty_.reset();
    }
  }

  // ---- proxy ----

  void start_proxy(const wp::request_uri& uri, byte_buffer rest) {
    auto target = wp::proxy_target(uri);
    if (!target)
      return reject(describe(target.error()));
    if (!crypto::is_valid(target->pk))
      return reject("invalid query value 'pk': not a public key");
    early_ = std::move(rest);
    phase_ = phase::proxy_dialing;
    delayed_send(this, p_.limits.proxy_timeout, proxy_timeout_atom::value);
    SKYWIRE_LOG(debug, component, "proxy dial", log::kv("remote", target->to_string()));
    request(p_.dmsg, p_.limits.proxy_timeout, api::dial_atom::value, *target)
      .then(
        [this](api::stream_opened& s) {
          if (phase_ != phase::proxy_dialing) {
            send(s.stream, api::close_atom::value);
            return;
          }
          remote_ = s.stream;
          send(remote_, api::set_owner_atom::value, caf::actor{this});
          monitor(remote_);
          auto req = wp::encode_request(wp::pty_uri);
          send(remote_, api::write_atom::value, std::move(*req));
          phase_ = phase::proxy_waiting;
        },
        [this](caf::error& err) {
          if (phase_ == phase::proxy_dialing)
            reject("cannot reach the remote dmsgpty host: " + describe(err));
        });
  }

  void on_remote_data(byte_buffer&& b) {
    if (phase_ == phase::proxy_piping) {
      core_->on_stream_data(std::move(b));
      return;
    }
    if (phase_ != phase::proxy_waiting || b.empty())
      return;
    auto answer = b.front();
    send(remote_, api::consumed_atom::value, uint32_t{1});
    if (answer != wp::accept_byte) {
      send(remote_, api::close_atom::value);
      remote_ = nullptr;
      return reject("request rejected by the remote dmsgpty host (not whitelisted there?)");
    }
    SKYWIRE_LOG(debug, component, "proxy up", log::kv("peer", peer()));
    phase_ = phase::proxy_piping;
    send_out({wp::accept_byte});
    core_.emplace(this, p_.conn, remote_);
    if (b.size() > 1)
      core_->on_stream_data(byte_buffer(b.begin() + 1, b.end()));
    if (!early_.empty())
      core_->on_socket_data(std::move(early_));
    early_.clear();
  }

  void remote_ended() {
    if (core_) {
      core_->on_stream_closed();
      check_proxy_done();
      return;
    }
    if (phase_ == phase::proxy_waiting) {
      remote_ = nullptr;
      reject("the remote dmsgpty host closed the stream");
    }
  }

  void check_proxy_done() {
    if (core_ && core_->done())
      quit();
  }

  session_params p_;
  phase phase_ = phase::request;
  wp::endpoint endpoint_ = wp::endpoint::pty;
  byte_buffer in_;
  wire::rpc::server_codec codec_;
  bool close_when_sent_ = false;
  bool stream_closed_ = false;
  static constexpr uint64_t max_unacked = 4u << 20; ///< replies in flight on a dmsg stream
  uint64_t unacked_ = 0;
  uint32_t held_credit_ = 0;

  // pty
  io::pty_process_ptr pty_;
  pty_state state_ = pty_state::none;
  byte_buffer output_;
  size_t output_off_ = 0;
  bool paused_ = false;
  std::deque<pending_read> reads_;
  std::deque<request_header> writes_;
  size_t wl_calls_ = 0;

  // proxy
  api::dmsg_stream_actor remote_;
  byte_buffer early_;
  std::optional<dmsg_tools::pipe_core> core_;
};

} // namespace

caf::actor spawn_session(caf::actor_system& sys, session_params params) {
  return sys.spawn<session>(std::move(params));
}

} // namespace skywire::dmsgpty
