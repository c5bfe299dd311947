#include "actors/dmsg/stream.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/dmsg/discovery_client.hpp"
#include "actors/dmsg/errors.hpp"
#include "actors/dmsg/stream_accept.hpp"
#include "runtime/crypto/noise/ephemeral_pool.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::dmsg {

namespace nz = crypto::noise;
namespace wd = wire::dmsg;
using notice = stream_core::notice::kind;

namespace {

caf::error error_of_code(uint16_t code) {
  static constexpr uint16_t known[] = {100, 101, 102, 103, 200, 201, 202, 203, 300, 301, 302,
                                       303, 304, 305, 306, 307, 350, 351, 352, 370, 400, 401};
  for (auto k : known)
    if (k == code)
      return make_error(static_cast<dmsg_errc>(code), "rejected by the remote");
  return make_error(dmsg_errc::resp_not_accepted, "error code " + std::to_string(code));
}

} // namespace

stream_actor::stream_actor(caf::actor_config& cfg, stream_params params)
  : stream_interface::base(cfg), p_(std::move(params)), core_(p_.core) {
  // Owners answer nothing on the data path; drop stray replies quietly.
  set_default_handler(caf::drop);
  // Owners that die take their streams with them.
  set_down_handler([this](caf::down_msg& dm) {
    if (owner_ && dm.source == owner_.address()) {
      owner_ = nullptr;
      closed_notified_ = true;
      core_->reset();
      finish(make_error(client_errc::closed, "owner terminated"));
    }
  });
}

void stream_actor::on_exit() {
  if (!done_) {
    done_ = true;
    core_->reset();
    anon_send(p_.session, sgone_atom::value, p_.id);
  }
  core_->unbind();
}

stream_actor::behavior_type stream_actor::make_behavior() {
  core_->bind(caf::actor_cast<caf::actor>(this));
  // The handshake deadline is the session's (it sweeps its streams' deadlines
  // with one timer and sends hstimeout_atom): no CAF clock entry per stream.
  return {
    [this](api::open_atom, skywire::address local,
           skywire::address remote) -> caf::result<api::stream_opened> {
      owner_ = caf::actor_cast<caf::actor>(current_sender());
      if (owner_)
        monitor(owner_);
      dial_rp_ = make_response_promise();
      dial_pending_ = true;
      start_dial(local, remote);
      return dial_rp_; // answered by on_response or fail_dial
    },
    [this](snote_atom, uint8_t k) { on_notice(static_cast<notice>(k)); },
    [this](slost_atom, caf::error& err) {
      core_->mark_done(); // nothing can be sent any more
      // the owner reads "session to the dmsg server lost" as the cause
      if (!is(err, dmsg_errc::session_closed))
        err = make_error(dmsg_errc::session_closed, "session lost: " + describe(err));
      if (dial_pending_)
        fail_dial(err);
      finish(std::move(err));
    },
    [this](api::score_atom) -> stream_core_ptr { return core_; },
    [this](api::write_atom, byte_buffer& bytes) {
      auto sender = caf::actor_cast<caf::actor>(current_sender());
      switch (core_->write(bytes, sender)) {
        case stream_core::write_result::ok:
          return;
        case stream_core::write_result::not_open:
          if (sender)
            caf::unsafe_send_as(this, sender, api::closed_atom::value,
                                make_error(client_errc::closed,
                                           "write on a stream that is not open"));
          return;
        case stream_core::write_result::queue_full: {
          // The writer ignored its acks: fail loudly on both ends.
          auto err = make_error(client_errc::protocol, "send queue full (writer ignored acks)");
          log_failure(err);
          core_->reset();
          return finish(std::move(err));
        }
        case stream_core::write_result::link_failed:
          return finish(core_->failure());
      }
    },
    [this](api::consumed_atom, uint32_t n) { core_->consumed(n); },
    [this](api::close_atom) {
      if (!established_) {
        core_->reset();
        if (dial_pending_)
          fail_dial(make_error(client_errc::closed, "closed during handshake"));
        finish(caf::error{});
        return;
      }
      begin_close();
    },
    [this](api::set_owner_atom, caf::actor next) {
      if (owner_)
        demonitor(owner_);
      owner_ = next;
      if (owner_)
        monitor(owner_);
      core_->set_owner(std::move(next), false);
    },
    [this](hstimeout_atom) {
      if (established_ || done_)
        return;
      core_->reset();
      auto err = make_error(client_errc::timeout, "stream handshake");
      if (dial_pending_)
        fail_dial(err);
      finish(std::move(err));
    },
    [this](tick_atom) {
      // Close deadline: the peer did not open its window in time.
      if (closing_ && !done_) {
        core_->reset();
        finish(make_error(client_errc::timeout, "close: pending data not sent"));
      }
    },
  };
}

void stream_actor::on_notice(notice k) {
  if (done_)
    return;
  switch (k) {
    case notice::none:
      return;
    case notice::object_ready:
      return on_object();
    case notice::remote_rst: {
      core_->mark_done();
      auto err = make_error(client_errc::stream_reset, "reset by the remote or the server");
      if (dial_pending_)
        fail_dial(err);
      return finish(std::move(err));
    }
    case notice::remote_fin: {
      if (!established_) {
        // The server or the peer gave up before answering (no route, no
        // listener on a reference peer): fail now, not after 20 s.
        core_->send_fin();
        core_->mark_done();
        auto err = make_error(client_errc::stream_reset,
                              "stream closed before the handshake completed "
                              "(no session to the remote, or it refused)");
        if (dial_pending_)
          fail_dial(err);
        return finish(std::move(err));
      }
      // No half-close in dmsg: the remote finished; send what is pending, FIN.
      if (owner_ && !closed_notified_) {
        closed_notified_ = true;
        to_owner(api::closed_atom::value, caf::error{});
      }
      return begin_close();
    }
    case notice::failed: {
      auto err = core_->failure();
      log_failure(err);
      if (dial_pending_)
        fail_dial(err);
      return finish(std::move(err));
    }
    case notice::drained:
      return finish(caf::error{});
  }
}

// -- handshake ---------------------------------------------------------------------------

void stream_actor::start_dial(skywire::address local, skywire::address remote) {
  local_ = local;
  remote_ = remote;
  ephemeral_ = local.prt.value >= first_ephemeral_port;
  nz::handshake::config hc;
  hc.pattern = nz::pattern_kind::kk;
  hc.side = nz::role::initiator;
  hc.local = crypto::keypair{p_.client->pk, p_.client->sk};
  hc.remote = remote.pk;
  auto hs = nz::handshake::make(std::move(hc));
  if (!hs) {
    fail_dial(make_error(client_errc::invalid_argument, describe(hs.error())));
    return finish(caf::error{});
  }
  hs_.emplace(std::move(*hs));
  auto msg1 = hs_->write_message();
  if (!msg1) {
    fail_dial(make_error(client_errc::protocol, describe(msg1.error())));
    return finish(caf::error{});
  }
  wd::stream_request req;
  req.timestamp = unix_now_ns();
  req.src = local;
  req.dst = remote;
  req.noise_msg = std::move(*msg1);
  auto sreq = make_stream_request(req, p_.client->sk);
  req_hash_ = sreq.hash;
  // SYN window update + the sealed request in one write.
  if (auto err = core_->send_object(sreq.bytes, true)) {
    core_->mark_done();
    fail_dial(err);
    return finish(caf::error{});
  }
  // Sent: the answer is a round trip away, time to make the next ephemeral.
  nz::ephemeral_pool::process().refill(nz::ephemeral_pool::idle_refill);
}

void stream_actor::on_object() {
  if (!p_.initiator) {
    // Answered on the io thread already (session_io sets the responder);
    // otherwise (a core made without one) answer here.
    auto r = core_->take_accept_outcome();
    return r.ran ? on_accepted(std::move(r)) : on_request();
  }
  auto plain = core_->open_object();
  if (!plain) {
    core_->reset();
    if (dial_pending_)
      fail_dial(plain.error());
    return finish(plain.error());
  }
  on_response(std::move(*plain));
}

void stream_actor::on_response(byte_buffer plain) {
  auto resp = verify_stream_response(plain, req_hash_, remote_.pk, false);
  if (!resp) {
    core_->reset();
    fail_dial(resp.error());
    return finish(caf::error{});
  }
  if (!resp->resp.accepted) {
    core_->send_fin();
    core_->mark_done();
    fail_dial(error_of_code(resp->resp.err_code));
    return finish(caf::error{});
  }
  if (auto err = hs_->read_message(resp->resp.noise_msg)) {
    core_->reset();
    fail_dial(make_error(client_errc::protocol, "noise KK message 2: " + describe(err)));
    return finish(caf::error{});
  }
  auto s = hs_->split();
  if (!s) {
    core_->reset();
    fail_dial(make_error(client_errc::protocol, describe(s.error())));
    return finish(caf::error{});
  }
  hs_.reset();
  dial_pending_ = false;
  core_->clear_deadline();
  // The answer first, then data (the owner learns the stream before its bytes).
  dial_rp_.deliver(
    api::stream_opened{caf::actor_cast<api::dmsg_stream_actor>(this), local_, remote_});
  core_->set_owner(owner_, false);
  established_ = true;
  if (auto err = core_->establish(std::move(*s)))
    finish(std::move(err));
}

void stream_actor::on_request() {
  on_accepted(respond_to_request(*core_, *p_.client));
}

void stream_actor::on_accepted(stream_core::accept_outcome r) {
  local_ = r.local;
  remote_ = r.remote;
  if (!r.accepted)
    return finish(std::move(r.err)); // refused: reset, or answered and ended
  owner_ = std::move(r.listener);
  monitor(owner_);
  established_ = true;
  core_->clear_deadline();
  to_owner(api::accept_atom::value,
           api::stream_opened{caf::actor_cast<api::dmsg_stream_actor>(this), local_, remote_});
  if (r.err)
    return finish(std::move(r.err));
  // Answered (on the io thread) and established: the dialer's first bytes
  // are a trip away, time to make the next ephemeral key here.
  nz::ephemeral_pool::process().refill(nz::ephemeral_pool::idle_refill);
}

// -- endings ------------------------------------------------------------------------------

void stream_actor::begin_close() {
  if (done_ || closing_)
    return;
  closing_ = true;
  if (core_->begin_close())
    return finish(caf::error{});
  delayed_send(this, p_.client->close_timeout, tick_atom::value);
}

void stream_actor::fail_dial(caf::error err) {
  if (!dial_pending_)
    return;
  dial_pending_ = false;
  closed_notified_ = true; // the dialer learns from the answer
  dial_rp_.deliver(std::move(err));
}

void stream_actor::log_failure(const caf::error& err) {
  // once, at info; at debug when an owner is told (closed_atom carries err)
  // and logs it with what it knows (dmsg web: the local client)
  if (owner_ && !closed_notified_)
    SKYWIRE_LOG(debug, "dmsg", "stream reset", log::kv("cause", failure_cause(err)),
                log::kv("error", err), log::kv("remote", remote_.to_string()));
  else
    SKYWIRE_LOG(info, "dmsg", "stream reset", log::kv("cause", failure_cause(err)),
                log::kv("error", err), log::kv("remote", remote_.to_string()));
}

void stream_actor::finish(caf::error err) {
  if (done_)
    return;
  done_ = true;
  core_->mark_done();
  core_->clear_deadline();
  if (owner_ && !closed_notified_) {
    closed_notified_ = true;
    to_owner(api::closed_atom::value, std::move(err));
  }
  if (ephemeral_)
    p_.client->ports.release(local_.prt.value);
  anon_send(p_.session, sgone_atom::value, p_.id);
  quit();
}

} // namespace skywire::dmsg
