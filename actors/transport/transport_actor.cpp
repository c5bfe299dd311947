#include "actors/transport/transport_actor.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "actors/transport/errors.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::transport {

namespace {
constexpr const char* component = "transport";
} // namespace

transport_actor_impl::transport_actor_impl(caf::actor_config& cfg, transport_actor_params p)
  : transport_actor_interface::base(cfg), p_(std::move(p)),
    id_(crypto::make_transport_id(p_.local.pk, p_.remote, p_.type)),
    under_(p_.local.pk, p_.remote) {}

transport_actor_interface spawn_transport_actor(caf::actor_system& sys, transport_actor_params p) {
  return sys.spawn<transport_actor_impl>(std::move(p));
}

void transport_actor_impl::on_exit() {
  // however it ends, no connection outlives the actor
  for (auto& kv : links_)
    kv.second->abort();
  links_.clear();
  current_ = nullptr;
  for (auto& kv : pings_)
    kv.second.rp.deliver(make_error(transport_errc::closed, "the transport ended"));
  pings_.clear();
}

transport_actor_impl::behavior_type transport_actor_impl::make_behavior() {
  if (p_.dial) {
    start_dial();
    delayed_send(this, p_.dial_timeout, mt_deadline_atom::value);
  }
  return {
    [this](api::tp_stats_atom) { return summary(); },
    [this](api::tp_ping_atom) -> caf::result<uint64_t> {
      if (!current_ || down_)
        return make_error(transport_errc::unknown_transport, "the transport is not up");
      auto nonce = next_nonce_++;
      auto r = current_->ping(nonce);
      if (r != transport_core::write_result::ok)
        return make_error(transport_errc::closed, "the ping could not be sent");
      auto rp = make_response_promise();
      pings_.emplace(nonce, pending_ping{rp, std::chrono::steady_clock::now()});
      delayed_send(this, p_.ping_timeout, mt_ping_to_atom::value, nonce);
      return rp;
    },
    [this](api::close_atom) {
      if (done_)
        return;
      closing_ = true;
      auto why = make_error(transport_errc::closed, "closed by us");
      close_reason_ = why;
      if (current_) {
        // the current link's end takes the transport down (go_down)
        for (auto& kv : links_)
          if (kv.second != current_)
            kv.second->abort(why);
        current_->close(why);
        return;
      }
      fail(why);
    },
    [this](mt_adopt_atom, transport_link_ptr link) {
      if (done_) {
        link->abort(make_error(transport_errc::closed, "the transport is closing"));
        return;
      }
      adopt(link);
    },
    [this](lk_up_atom, transport_link_ptr link) { on_link_up(link); },
    [this](lk_down_atom, transport_link_ptr link, caf::error err) { on_link_down(link, err); },
    [this](lk_pong_atom, transport_link_ptr, uint64_t nonce) {
      auto i = pings_.find(nonce);
      if (i == pings_.end())
        return;
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - i->second.sent)
                  .count();
      i->second.rp.deliver(static_cast<uint64_t>(us));
      pings_.erase(i);
    },
    [this](mt_ping_to_atom, uint64_t nonce) {
      auto i = pings_.find(nonce);
      if (i == pings_.end())
        return;
      i->second.rp.deliver(
        make_error(transport_errc::peer_silent,
                   "no pong within " + std::to_string(p_.ping_timeout.count()) + " ms"));
      pings_.erase(i);
    },
    [this](mt_dialed_atom, dial_result r) { on_dialed(r); },
    [this](mt_regd_atom, transport_link_ptr link, caf::error err) {
      if (err)
        SKYWIRE_LOG(warn, component, "transport discovery registration failed; going on",
                    log::kv("tp_id", id_.to_string()), log::kv("remote", p_.remote),
                    log::kv("type", p_.type), log::kv("error", describe(err)));
      if (known(link) && !done_)
        link->complete_settlement(true);
    },
    [this](mt_dereg_atom, caf::error err) {
      if (!err || is(err, transport_errc::unknown_transport)) {
        SKYWIRE_LOG(debug, component, "transport deregistered", log::kv("tp_id", id_.to_string()));
        quit();
        return;
      }
      if (++dereg_attempts_ >= p_.deregister_attempts) {
        SKYWIRE_LOG(warn, component, "transport discovery deregistration failed; giving up",
                    log::kv("tp_id", id_.to_string()), log::kv("attempts", dereg_attempts_),
                    log::kv("error", describe(err)));
        quit();
        return;
      }
      delayed_send(this, std::chrono::milliseconds{dereg_delay_.next_ms()}, mt_retry_atom::value);
    },
    [this](mt_retry_atom) { deregister(); },
    [this](mt_rereg_atom) {
      rereg_armed_ = false;
      if (done_ || !current_ || current_->role() != transport_role::responder)
        return;
      if (auto entry = current_->entry(); entry && p_.registrar) {
        p_.registrar->register_entry(*entry, [id = id_](caf::error err) {
          if (err)
            SKYWIRE_LOG(debug, component, "transport re-registration failed",
                        log::kv("tp_id", id.to_string()), log::kv("error", describe(err)));
        });
      }
      arm_reregister();
    },
    [this](mt_redial_atom) {
      redial_armed_ = false;
      if (done_ || closing_ || under_.ever_up()) {
        maybe_fail();
        return;
      }
      start_dial();
    },
    [this](mt_deadline_atom) {
      if (under_.ever_up() || done_)
        return;
      fail(make_error(
        transport_errc::dial_timeout,
        "not up within " + std::to_string(p_.dial_timeout.count()) + " ms"
          + (last_error_ ? " (last error: " + describe(last_error_) + ")" : std::string{})));
    },
  };
}

void transport_actor_impl::start_dial() {
  if (!p_.network) {
    last_error_ = make_error(transport_errc::type_unavailable, p_.type);
    return;
  }
  dialing_ = true;
  auto self = caf::actor_cast<caf::actor>(this);
  p_.network->dial(p_.remote, attempt_++, [self](expected<io::byte_link_ptr> r) {
    dial_result d;
    if (r)
      d.link = std::move(*r);
    else
      d.err = std::move(r.error());
    caf::anon_send(self, mt_dialed_atom::value, std::move(d));
  });
}

void transport_actor_impl::on_dialed(dial_result& r) {
  dialing_ = false;
  if (done_ || closing_) {
    if (r.link)
      r.link->close();
    maybe_fail();
    return;
  }
  if (r.err) {
    last_error_ = r.err;
    maybe_fail();
    return;
  }
  transport_core::params cp;
  cp.mode = p_.network ? p_.network->mode() : transport_mode::noise_kk;
  cp.role = transport_role::initiator;
  cp.type = p_.type;
  cp.max_send_queue = send_queue_for(p_.type);
  cp.local = p_.local;
  cp.remote = p_.remote;
  cp.local_port = p_.local_port;
  cp.limits = p_.limits;
  auto made = transport_link::make(std::move(cp), caf::actor_cast<caf::actor>(this));
  if (!made) {
    r.link->close();
    last_error_ = made.error();
    maybe_fail();
    return;
  }
  auto link = std::move(*made);
  links_.emplace(link->id(), link);
  under_.add(link->id());
  link->start(std::move(r.link));
}

void transport_actor_impl::adopt(const transport_link_ptr& link) {
  if (!link)
    return;
  links_.emplace(link->id(), link);
  under_.add(link->id());
  auto entry = link->entry();
  if (!entry || !p_.registrar) {
    link->complete_settlement(true);
    return;
  }
  // the reference registers first, then answers the settlement
  auto self = caf::actor_cast<caf::actor>(this);
  p_.registrar->register_entry(*entry, [self, link](caf::error err) {
    caf::anon_send(self, mt_regd_atom::value, link, std::move(err));
  });
}

void transport_actor_impl::on_link_up(const transport_link_ptr& link) {
  if (!known(link) || done_) {
    link->close();
    return;
  }
  auto act = under_.up(link->id());
  if (act.close) {
    if (auto i = links_.find(*act.close); i != links_.end())
      i->second->close(
        make_error(transport_errc::replaced, "the other connection of this transport was kept"));
    SKYWIRE_LOG(info, component, "duplicate transport connection",
                log::kv("tp_id", id_.to_string()), log::kv("remote", p_.remote),
                log::kv("kept", act.adopted ? "new" : "old"));
  }
  if (!act.adopted)
    return;
  current_ = link;
  if (act.first)
    SKYWIRE_LOG(
      info, component, "transport up", log::kv("tp_id", id_.to_string()),
      log::kv("remote", p_.remote), log::kv("type", p_.type),
      log::kv("role", link->role() == transport_role::initiator ? "initiator" : "responder"),
      log::kv("addr", link->remote_endpoint()));
  send(p_.manager, mt_up_atom::value, id_, link);
  arm_reregister();
}

void transport_actor_impl::arm_reregister() {
  if (rereg_armed_ || p_.reregister_every.count() <= 0 || !current_
      || current_->role() != transport_role::responder)
    return;
  rereg_armed_ = true;
  delayed_send(this, p_.reregister_every, mt_rereg_atom::value);
}

void transport_actor_impl::on_link_down(const transport_link_ptr& link, const caf::error& err) {
  if (!known(link))
    return;
  links_.erase(link->id());
  auto act = under_.down(link->id());
  if (act == underlay::down_action::transport_down) {
    current_ = nullptr;
    // Closed by us: the peer's end of the connection, which may reach the
    // link before our own close completes, is not the cause.
    go_down(closing_ && close_reason_ ? close_reason_ : err);
    return;
  }
  if (!under_.ever_up())
    last_error_ = err;
  if (maybe_redial(link))
    return;
  maybe_fail();
}

bool transport_actor_impl::maybe_redial(const transport_link_ptr& link) {
  if (!p_.dial || done_ || closing_ || dialing_ || redial_armed_ || under_.ever_up()
      || under_.pending() > 0 || link->role() != transport_role::initiator || !p_.network)
    return false;
  auto base = p_.network->redial_delay();
  if (!base)
    return false;
  auto factor = std::min(attempt_ == 0 ? 1u : 1u << std::min(attempt_ - 1, 3u), 8u);
  auto delay = *base * factor;
  SKYWIRE_LOG(debug, component, "dialing again", log::kv("remote", p_.remote),
              log::kv("type", p_.type), log::kv("attempt", attempt_),
              log::kv("after_ms", delay.count()), log::kv("last_error", describe(last_error_)));
  redial_armed_ = true;
  delayed_send(this, delay, mt_redial_atom::value);
  return true;
}

void transport_actor_impl::go_down(const caf::error& err) {
  if (done_)
    return;
  done_ = true;
  down_ = true;
  SKYWIRE_LOG(info, component, "transport down", log::kv("tp_id", id_.to_string()),
              log::kv("remote", p_.remote), log::kv("type", p_.type),
              log::kv("cause", failure_cause(err)), log::kv("error", describe(err)));
  send(p_.manager, mt_down_atom::value, id_, err);
  close_all_links(make_error(transport_errc::closed, "the transport is down"), false);
  for (auto& kv : pings_)
    kv.second.rp.deliver(make_error(transport_errc::closed, "the transport went down"));
  pings_.clear();
  deregister();
}

void transport_actor_impl::maybe_fail() {
  if (done_ || under_.ever_up() || dialing_ || redial_armed_ || under_.pending() > 0)
    return;
  fail(last_error_ ? last_error_ : make_error(transport_errc::unreachable, "no connection"));
}

void transport_actor_impl::fail(const caf::error& err) {
  if (done_)
    return;
  done_ = true;
  SKYWIRE_LOG(info, component, "transport failed", log::kv("tp_id", id_.to_string()),
              log::kv("remote", p_.remote), log::kv("type", p_.type),
              log::kv("cause", failure_cause(err)), log::kv("error", describe(err)));
  close_all_links(err, false);
  send(p_.manager, mt_fail_atom::value, id_, err);
  quit();
}

void transport_actor_impl::close_all_links(const caf::error& why, bool graceful) {
  for (auto& kv : links_) {
    if (graceful)
      kv.second->close(why);
    else
      kv.second->abort(why);
  }
}

void transport_actor_impl::deregister() {
  if (!p_.registrar) {
    quit();
    return;
  }
  auto self = caf::actor_cast<caf::actor>(this);
  p_.registrar->deregister(
    id_, [self](caf::error err) { caf::anon_send(self, mt_dereg_atom::value, std::move(err)); });
}

const char* transport_actor_impl::state_text() const {
  if (down_ || done_)
    return "closing";
  if (current_)
    return closing_ ? "closing" : "up";
  return dialing_ || redial_armed_ || p_.dial ? "dialing" : "settling";
}

api::transport_summary transport_actor_impl::summary() const {
  api::transport_summary s;
  s.id = id_;
  s.local_pk = p_.local.pk;
  s.remote_pk = p_.remote;
  s.type = p_.type;
  s.label = p_.label;
  s.state = state_text();
  if (current_)
    current_->fill(s);
  return s;
}

} // namespace skywire::transport
