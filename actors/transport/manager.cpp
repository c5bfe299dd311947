#include "actors/transport/manager.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include <boost/json.hpp>

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/transport/errors.hpp"
#include "actors/transport/inbound.hpp"
#include "actors/transport/log_feed.hpp"
#include "actors/transport/registry.hpp"
#include "actors/transport/summary_json.hpp"
#include "actors/transport/transport_actor.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/supervision.hpp"

namespace skywire::transport {

namespace detail {

/// A discovery answer, from an io thread.
struct disc_result {
  uint64_t request = 0;
  caf::error err;
  std::vector<api::transport_entry> entries;
};

} // namespace detail

} // namespace skywire::transport

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::transport::detail::disc_result)

namespace skywire::transport {

namespace {

constexpr const char* component = "transport";

using mg_tick_atom = caf::atom_constant<caf::atom("mg_tick")>;
using mg_disc_atom = caf::atom_constant<caf::atom("mg_disc")>;
using mg_grace_atom = caf::atom_constant<caf::atom("mg_grace")>;
using mg_log_atom = caf::atom_constant<caf::atom("mg_log")>;

using manager_interface =
  api::transport_manager_actor::extend_with<transport_owner_actor, system::info_provider_actor,
                                            system::fault_injectable_actor>::
    extend<caf::reacts_to<lk_reg_atom, transport_link_ptr>,
           caf::reacts_to<lk_up_atom, transport_link_ptr>,
           caf::reacts_to<lk_down_atom, transport_link_ptr, caf::error>,
           caf::reacts_to<lk_pong_atom, transport_link_ptr, uint64_t>, caf::reacts_to<mg_tick_atom>,
           caf::reacts_to<mg_disc_atom, detail::disc_result>, caf::reacts_to<mg_grace_atom>,
           caf::reacts_to<mg_log_atom>>;

api::transport_entry entry_of(const wire::transport::entry& e) {
  return api::transport_entry{e.id, e.edges[0], e.edges[1], e.type,
                              wire::transport::to_string(e.label)};
}

class manager_actor : public manager_interface::base {
public:
  manager_actor(caf::actor_config& acfg, manager_config cfg)
    : manager_interface::base(acfg), cfg_(std::move(cfg)), reg_(cfg_.local.pk),
      keeper_(cfg_.persistent, cfg_.persistent_backoff, std::chrono::steady_clock::now()) {
    for (auto& n : cfg_.networks)
      if (n)
        nets_[n->type()] = n;
    if (!cfg_.registrar)
      cfg_.registrar = make_null_registrar("no transport discovery configured");
  }

  const char* name() const override { return "transport_manager"; }

  void on_exit() override {
    for (auto& in : inbound_)
      in->close_all();
    for (auto& kv : nets_)
      kv.second->stop();
    close_logs();
    if (cfg_.links)
      for (auto* r : reg_.all())
        cfg_.links->remove(r->id, r->link);
    // transports still closing when the grace ran out: end them now
    for (auto* r : reg_.all())
      if (r->actor)
        anon_send_exit(r->actor, caf::exit_reason::user_shutdown);
  }

  behavior_type make_behavior() override {
    system::install_exception_handler(this, "transport_manager");
    set_exit_handler([this](caf::exit_msg& em) { begin_stop(em.reason); });
    set_down_handler([this](caf::down_msg& dm) { on_actor_down(dm); });
    auto self = caf::actor_cast<caf::actor>(this);
    for (auto& [type, net] : nets_) {
      inbound::params ip;
      ip.local = cfg_.local;
      ip.type = type;
      ip.mode = net->mode();
      ip.limits = cfg_.limits;
      ip.target = self;
      ip.on_authenticated = [w = std::weak_ptr<transport_network>(net)](
                              const io::byte_link_ptr& conn) {
        if (auto n = w.lock())
          n->authenticated(conn);
      };
      ip.prepare = [net = net](const io::byte_link& c, transport_core::params& p) {
        net->responder_params(c, p);
      };
      auto in = inbound::make(std::move(ip));
      inbound_.push_back(in);
      net->listen([in](io::byte_link_ptr conn, io::admission_ticket_ptr ticket) {
        in->accept(std::move(conn), std::move(ticket));
      });
    }
    for (const auto& t : keeper_.targets())
      if (!nets_.count(t.type))
        SKYWIRE_LOG(warn, component, "persistent transport of a type not enabled here; not dialed",
                    log::kv("remote", t.pk), log::kv("type", t.type),
                    log::kv("enabled", types_text()));
    if (!keeper_.targets().empty())
      delayed_send(this, std::chrono::milliseconds{0}, mg_tick_atom::value);
    open_logs();
    if (cfg_.autoconnect)
      spawn_autoconnect(this, caf::actor_cast<api::transport_manager_actor>(this), cfg_.local.pk,
                        *cfg_.autoconnect);
    SKYWIRE_LOG(debug, component, "transport manager started", log::kv("types", types_text()),
                log::kv("discovery", cfg_.registrar->describe()),
                log::kv("persistent", keeper_.targets().size()));
    return {
      // -- control ------------------------------------------------------------------------
      [this](api::tp_types_atom) { return enabled_types(); },
      [this](api::tp_list_atom, const api::transport_filter& f) {
        std::vector<api::transport_summary> out;
        for (const auto* r : reg_.select(f))
          out.push_back(summary(*r));
        return out;
      },
      [this](api::tp_get_atom, const transport_id& id) -> caf::result<api::transport_summary> {
        auto* r = reg_.find(id);
        if (!r)
          return make_error(transport_errc::unknown_transport, "no transport " + id.to_string());
        return summary(*r);
      },
      [this](api::tp_add_atom, api::transport_request& req) -> caf::result<api::transport_summary> {
        auto rp = make_response_promise();
        add(std::move(req), rp);
        return rp;
      },
      [this](api::tp_remove_atom, const transport_id& id) -> caf::result<api::tp_ok_atom> {
        auto* r = reg_.find(id);
        if (!r)
          return make_error(transport_errc::unknown_transport, "no transport " + id.to_string());
        if (r->state == record_state::closing)
          return api::tp_ok_atom::value;
        auto rp = make_response_promise();
        r->on_closed.push_back([rp]() mutable { rp.deliver(api::tp_ok_atom::value); });
        send(actor_of(*r), api::close_atom::value);
        return rp;
      },
      [this](api::tp_remove_all_atom) -> caf::result<uint64_t> {
        std::vector<transport_record*> live;
        for (auto* r : reg_.all())
          if (r->state != record_state::closing)
            live.push_back(r);
        if (live.empty())
          return uint64_t{0};
        auto rp = make_response_promise();
        auto left = std::make_shared<size_t>(live.size());
        auto total = static_cast<uint64_t>(live.size());
        for (auto* r : live) {
          r->on_closed.push_back([rp, left, total]() mutable {
            if (--*left == 0)
              rp.deliver(total);
          });
          send(actor_of(*r), api::close_atom::value);
        }
        return rp;
      },
      [this](api::tp_disc_id_atom,
             const transport_id& id) -> caf::result<std::vector<api::transport_entry>> {
        auto [n, rp] = new_query();
        auto self = caf::actor_cast<caf::actor>(this);
        cfg_.registrar->get_by_id(
          id, [self, n = n](expected<std::vector<wire::transport::entry>> r) {
            caf::anon_send(self, mg_disc_atom::value, result_of(n, std::move(r)));
          });
        return rp;
      },
      [this](api::tp_disc_pk_atom,
             const public_key& pk) -> caf::result<std::vector<api::transport_entry>> {
        auto [n, rp] = new_query();
        auto self = caf::actor_cast<caf::actor>(this);
        cfg_.registrar->get_by_edge(
          pk, [self, n = n](expected<std::vector<wire::transport::entry>> r) {
            caf::anon_send(self, mg_disc_atom::value, result_of(n, std::move(r)));
          });
        return rp;
      },
      [this](api::tp_ping_atom, const transport_id& id) -> caf::result<uint64_t> {
        auto* r = reg_.find(id);
        if (!r || r->state != record_state::up)
          return make_error(transport_errc::unknown_transport,
                            "no transport " + id.to_string() + " is up");
        return delegate(caf::actor_cast<transport_actor_interface>(r->actor),
                        api::tp_ping_atom::value);
      },
      [this](api::tp_subscribe_atom, caf::actor s) {
        if (!s)
          return;
        monitor(s);
        subscribers_.push_back(std::move(s));
      },
      // -- what the transports report ---------------------------------------------------
      [this](mt_up_atom, const transport_id& id, transport_link_ptr link) {
        on_up(id, std::move(link));
      },
      [this](mt_down_atom, const transport_id& id, caf::error err) { on_down(id, err); },
      [this](mt_fail_atom, const transport_id& id, caf::error err) { on_fail(id, err); },
      // -- links ---------------------------------------------------------------------------
      [this](lk_reg_atom, transport_link_ptr link) { on_registered(std::move(link)); },
      [this](lk_up_atom, transport_link_ptr link) { forward_link_event(lk_up_atom::value, link); },
      [this](lk_down_atom, transport_link_ptr link, caf::error err) {
        forward_link_event(lk_down_atom::value, link, std::move(err));
      },
      [this](lk_pong_atom, transport_link_ptr link, uint64_t nonce) {
        forward_link_event(lk_pong_atom::value, link, nonce);
      },
      // -- timers and answers ------------------------------------------------------------
      [this](mg_tick_atom) { tick(); },
      [this](mg_disc_atom, detail::disc_result& r) {
        auto i = queries_.find(r.request);
        if (i == queries_.end())
          return;
        if (r.err)
          i->second.deliver(std::move(r.err));
        else
          i->second.deliver(std::move(r.entries));
        queries_.erase(i);
      },
      [this](mg_grace_atom) {
        if (stopping_)
          quit(stop_reason_);
      },
      [this](mg_log_atom) { log_tick(); },
      [this](system::info_atom) { return info_text(); },
      [](system::crash_atom) { system::throw_injected_fault(); },
    };
  }

private:
  // -- types ------------------------------------------------------------------------------

  std::vector<std::string> enabled_types() const {
    std::vector<std::string> out;
    auto offered = [this](const std::string& t) {
      auto i = nets_.find(t);
      return i != nets_.end() && i->second->unavailable().empty();
    };
    for (const auto& t : type_preference())
      if (offered(t))
        out.push_back(t);
    for (const auto& kv : nets_)
      if (offered(kv.first) && std::find(out.begin(), out.end(), kv.first) == out.end())
        out.push_back(kv.first);
    return out;
  }

  std::string types_text() const {
    std::string s;
    for (const auto& t : enabled_types())
      s += (s.empty() ? "" : ",") + t;
    return s.empty() ? "none" : s;
  }

  static transport_actor_interface actor_of(const transport_record& r) {
    return caf::actor_cast<transport_actor_interface>(r.actor);
  }

  // -- summaries --------------------------------------------------------------------------

  api::transport_summary summary(const transport_record& r) const {
    api::transport_summary s;
    s.id = r.id;
    s.local_pk = cfg_.local.pk;
    s.remote_pk = r.remote;
    s.type = r.type;
    s.label = r.label;
    s.state = to_string(r.state);
    if (r.link)
      r.link->fill(s);
    return s;
  }

  /// Answers a promise that may be empty (a persistent dial has none).
  template <class T>
  static void reply(caf::response_promise& rp, T&& x) {
    if (rp.pending())
      rp.deliver(std::forward<T>(x));
  }

  static void deliver(caf::response_promise& rp, const caf::error& err) {
    if (rp.pending())
      rp.deliver(err);
  }

  void publish(const caf::message& msg) {
    for (auto& s : subscribers_)
      anon_send(s, msg);
  }

  // -- dialing ------------------------------------------------------------------------------

  void add(api::transport_request req, caf::response_promise rp) {
    if (stopping_) {
      reply(rp, make_error(transport_errc::closed, "the transport manager is stopping"));
      return;
    }
    auto net = nets_.find(req.type);
    if (net == nets_.end()) {
      reply(rp, make_error(transport_errc::type_unavailable,
                           "transport type \"" + req.type.substr(0, 32)
                             + "\" is not enabled on this visor (enabled: " + types_text() + ")"));
      return;
    }
    if (auto why = net->second->unavailable(); !why.empty()) {
      reply(rp, make_error(transport_errc::type_unavailable,
                           "transport type \"" + req.type + "\" is not offered: " + why));
      return;
    }
    if (!crypto::is_valid(req.remote) || req.remote == cfg_.local.pk) {
      reply(rp, make_error(transport_errc::invalid_argument, req.remote == cfg_.local.pk
                                                               ? "a transport to ourselves"
                                                               : "not a valid public key"));
      return;
    }
    if (auto* r = reg_.find(req.remote, req.type)) {
      switch (r->state) {
        case record_state::up: reply(rp, summary(*r)); return;
        case record_state::dialing:
        case record_state::settling: r->up_waiters.push_back(rp); return;
        case record_state::closing:
          r->after_close.push_back(parked{std::move(req), rp, nullptr});
          return;
      }
    }
    auto timeout =
      req.timeout_ms > 0 ? std::chrono::milliseconds{req.timeout_ms} : cfg_.dial_timeout;
    auto& r = spawn_transport(req.remote, req.type, req.label, true, timeout);
    r.up_waiters.push_back(rp);
  }

  transport_record& spawn_transport(const public_key& remote, const std::string& type,
                                    std::string label, bool dial,
                                    std::chrono::milliseconds timeout) {
    auto& r =
      reg_.insert(remote, type, label, dial ? record_state::dialing : record_state::settling);
    transport_actor_params p;
    p.manager = caf::actor_cast<transport_owner_actor>(this);
    p.local = cfg_.local;
    p.remote = remote;
    p.type = type;
    p.label = std::move(label);
    p.network = nets_.at(type);
    p.registrar = cfg_.registrar;
    p.dial = dial;
    p.local_port = next_port();
    p.dial_timeout = timeout;
    p.limits = cfg_.limits;
    p.reregister_every = cfg_.reregister_every;
    auto a = spawn<transport_actor_impl>(std::move(p));
    r.actor = caf::actor_cast<caf::actor>(a);
    monitor(r.actor);
    return r;
  }

  port next_port() {
    auto p = next_port_;
    next_port_ = next_port_ == 65535 ? uint16_t{49152} : static_cast<uint16_t>(next_port_ + 1);
    return port{p};
  }

  // -- accepting ------------------------------------------------------------------------

  void on_registered(transport_link_ptr link) {
    if (!link)
      return;
    auto remote = link->remote();
    if (stopping_ || remote.is_null() || !nets_.count(link->type())) {
      link->abort(make_error(transport_errc::closed, "not taken"));
      return;
    }
    auto* r = reg_.find(remote, link->type());
    if (r && r->state == record_state::closing) {
      // the old transport of this ID is still deregistering: the new one
      // waits (its settlement deadline bounds the wait)
      r->after_close.push_back(parked{std::nullopt, {}, std::move(link)});
      return;
    }
    if (!r)
      r = &spawn_transport(remote, link->type(), "user", false, cfg_.dial_timeout);
    link->set_target(r->actor);
    send(actor_of(*r), mt_adopt_atom::value, link);
  }

  /// A link event that reached us although the link belongs to a transport
  /// actor now (sent before its target changed), or of a parked link.
  template <class Atom, class... Ts>
  void forward_link_event(Atom atom, const transport_link_ptr& link, Ts... xs) {
    if (!link)
      return;
    auto t = link->target();
    if (t && t != caf::actor_cast<caf::actor>(this)) {
      anon_send(caf::actor_cast<transport_actor_interface>(t), atom, link, std::move(xs)...);
      return;
    }
    // a parked link that ended: forget it
    for (auto* r : reg_.all())
      r->after_close.erase(std::remove_if(r->after_close.begin(), r->after_close.end(),
                                          [&](const parked& p) { return p.accepted == link; }),
                           r->after_close.end());
  }

  // -- transport events --------------------------------------------------------------------

  void on_up(const transport_id& id, transport_link_ptr link) {
    auto* r = reg_.find(id);
    if (!r || r->state == record_state::closing)
      return;
    if (r->link && r->link != link)
      sample(*r); // the replaced link's last bytes
    r->link = std::move(link);
    r->state = record_state::up;
    if (cfg_.links)
      cfg_.links->put(id, r->link);
    auto s = summary(*r);
    for (auto& rp : r->up_waiters)
      if (rp.pending())
        rp.deliver(s);
    r->up_waiters.clear();
    keeper_.up(r->remote, r->type);
    publish(caf::make_message(api::tp_up_atom::value, s));
  }

  void on_down(const transport_id& id, const caf::error& err) {
    auto* r = reg_.find(id);
    if (!r || r->state == record_state::closing)
      return;
    auto s = summary(*r);
    s.state = "closing";
    r->state = record_state::closing;
    if (cfg_.links)
      cfg_.links->remove(id);
    close_log(*r);
    finish_waiters(*r, err);
    keeper_.down(r->remote, r->type, std::chrono::steady_clock::now());
    publish(caf::make_message(api::tp_down_atom::value, s, err));
  }

  void on_fail(const transport_id& id, const caf::error& err) {
    auto* r = reg_.find(id);
    if (!r || r->state == record_state::closing)
      return;
    r->state = record_state::closing;
    if (cfg_.links)
      cfg_.links->remove(id);
    finish_waiters(*r, err);
    keeper_.failed(r->remote, r->type, std::chrono::steady_clock::now());
    publish(caf::make_message(api::tp_error_atom::value, r->remote, r->type, err));
  }

  void finish_waiters(transport_record& r, const caf::error& err) {
    for (auto& rp : r.up_waiters)
      deliver(rp, err);
    r.up_waiters.clear();
    for (auto& fn : r.on_closed)
      fn();
    r.on_closed.clear();
  }

  void on_actor_down(caf::down_msg& dm) {
    auto* r = reg_.find_actor(dm.source);
    if (!r) {
      subscribers_.erase(
        std::remove_if(subscribers_.begin(), subscribers_.end(),
                       [&](const caf::actor& a) { return a.address() == dm.source; }),
        subscribers_.end());
      return;
    }
    if (r->state != record_state::closing) {
      // it ended without a word (an exception): as a failure or a down
      auto err = dm.reason ? dm.reason : make_error(transport_errc::closed, "the transport ended");
      if (r->state == record_state::up)
        on_down(r->id, err);
      else
        on_fail(r->id, err);
    }
    if (cfg_.links)
      cfg_.links->remove(r->id, r->link);
    auto gone = reg_.erase(r->id);
    if (gone)
      for (auto& p : gone->after_close) {
        if (p.accepted)
          on_registered(std::move(p.accepted));
        else if (p.add)
          add(std::move(*p.add), p.rp);
      }
    if (stopping_ && reg_.size() == 0)
      quit(stop_reason_);
  }

  // -- persistent transports -------------------------------------------------------------

  void tick() {
    if (stopping_)
      return;
    auto now = std::chrono::steady_clock::now();
    for (auto& t : keeper_.due(now)) {
      if (auto n = nets_.find(t.type); n == nets_.end() || !n->second->unavailable().empty()) {
        keeper_.failed(t.pk, t.type, now);
        continue;
      }
      auto* r = reg_.find(t.pk, t.type);
      if (r && r->state == record_state::up) {
        keeper_.up(t.pk, t.type);
        continue;
      }
      if (r && r->state == record_state::closing) {
        r->after_close.push_back(parked{
          api::transport_request{t.pk, t.type, "user",
                                 static_cast<uint64_t>(cfg_.persistent_dial_timeout.count())},
          {},
          nullptr});
        continue;
      }
      if (r)
        continue; // dialing or settling: its outcome is reported
      SKYWIRE_LOG(debug, component, "dialing a persistent transport", log::kv("remote", t.pk),
                  log::kv("type", t.type));
      spawn_transport(t.pk, t.type, "user", true, cfg_.persistent_dial_timeout);
    }
    delayed_send(this, cfg_.tick, mg_tick_atom::value);
  }

  // -- discovery queries -------------------------------------------------------------------

  std::pair<uint64_t, caf::response_promise> new_query() {
    auto n = next_query_++;
    auto rp = make_response_promise();
    queries_.emplace(n, rp);
    return {n, rp};
  }

  static detail::disc_result result_of(uint64_t n,
                                       expected<std::vector<wire::transport::entry>> r) {
    detail::disc_result out;
    out.request = n;
    if (!r) {
      out.err = std::move(r.error());
      return out;
    }
    for (const auto& e : *r)
      out.entries.push_back(entry_of(e));
    return out;
  }

  // -- status --------------------------------------------------------------------------------

  std::string info_text() const {
    boost::json::object o;
    boost::json::array types;
    for (const auto& t : enabled_types())
      types.emplace_back(boost::json::value(t));
    o["types"] = std::move(types);
    boost::json::array listeners;
    size_t i = 0;
    for (const auto& kv : nets_) {
      auto l = kv.second->info();
      if (i < inbound_.size())
        l["inbound"] = inbound_[i]->info();
      ++i;
      listeners.emplace_back(std::move(l));
    }
    o["listeners"] = std::move(listeners);
    o["discovery"] = cfg_.registrar->describe();
    std::vector<api::transport_summary> all;
    for (const auto* r : reg_.select({}))
      all.push_back(summary(*r));
    o["transports"] = to_json(all);
    boost::json::array persistent;
    for (const auto& t : keeper_.targets()) {
      boost::json::object p;
      p["pk"] = t.pk.hex();
      p["type"] = t.type;
      persistent.emplace_back(std::move(p));
    }
    o["persistent"] = std::move(persistent);
    o["public_autoconnect"] = cfg_.autoconnect != nullptr;
    return boost::json::serialize(o);
  }

  // -- bandwidth logs (§3.8) -------------------------------------------------------------------

  void open_logs() {
    if (!cfg_.logs)
      return;
    logs_ = std::make_unique<transport_logs>(*cfg_.logs);
    feed_ = std::make_unique<log_feed>(*logs_);
    if (auto err = logs_->open())
      SKYWIRE_LOG(warn, component, "transport logs: cannot open the log folder; retrying at each write",
                  log::kv("error", describe(err)));
    last_clean_ = std::chrono::steady_clock::now();
    delayed_send(this, cfg_.log_every, mg_log_atom::value);
  }

  void sample(const transport_record& r) {
    if (feed_ && r.link)
      feed_->sample(r.id, r.link->id(), r.link->payload_in(), r.link->payload_out());
  }

  void close_log(const transport_record& r) {
    if (!feed_ || !r.link)
      return;
    if (auto err = feed_->close(r.id, r.link->id(), r.link->payload_in(), r.link->payload_out()))
      SKYWIRE_LOG(warn, component, "transport logs: write failed", log::kv("error", describe(err)));
  }

  void log_tick() {
    if (!logs_)
      return;
    for (auto* r : reg_.all())
      if (r->state == record_state::up)
        sample(*r);
    // a failure is told once (until the writes work again), not every 3 s
    if (auto err = logs_->flush()) {
      auto text = describe(err);
      if (text != log_error_)
        SKYWIRE_LOG(warn, component, "transport logs: write failed; retrying at each write",
                    log::kv("error", text));
      log_error_ = std::move(text);
    } else if (!log_error_.empty()) {
      SKYWIRE_LOG(info, component, "transport logs: writing again");
      log_error_.clear();
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_clean_ >= log_clean_interval) {
      last_clean_ = now;
      if (auto n = logs_->clean(); !n)
        SKYWIRE_LOG(warn, component, "transport logs: rotation failed",
                    log::kv("error", describe(n.error())));
    }
    if (!stopping_)
      delayed_send(this, cfg_.log_every, mg_log_atom::value);
  }

  void close_logs() {
    if (!logs_)
      return;
    for (auto* r : reg_.all())
      if (r->state == record_state::up)
        sample(*r);
    if (auto err = logs_->close_all())
      SKYWIRE_LOG(warn, component, "transport logs: write failed", log::kv("error", describe(err)));
    feed_.reset();
    logs_.reset();
  }

  // -- stopping ------------------------------------------------------------------------------

  void begin_stop(const caf::error& reason) {
    if (stopping_)
      return;
    stopping_ = true;
    stop_reason_ = reason;
    for (auto& in : inbound_)
      in->close_all();
    for (auto& kv : nets_)
      kv.second->stop();
    for (auto* r : reg_.all()) {
      finish_waiters(*r, make_error(transport_errc::closed, "the transport manager is stopping"));
      if (r->state != record_state::closing)
        send(actor_of(*r), api::close_atom::value);
    }
    for (auto& kv : queries_)
      kv.second.deliver(make_error(transport_errc::closed, "the transport manager is stopping"));
    queries_.clear();
    if (reg_.size() == 0) {
      quit(reason);
      return;
    }
    delayed_send(this, cfg_.shutdown_grace, mg_grace_atom::value);
  }

  manager_config cfg_;
  transport_registry reg_;
  persistent_keeper keeper_;
  std::map<std::string, transport_network_ptr> nets_;
  std::vector<inbound_ptr> inbound_; ///< in the order of nets_
  std::vector<caf::actor> subscribers_;
  std::map<uint64_t, caf::response_promise> queries_;
  uint64_t next_query_ = 1;
  uint16_t next_port_ = 49152;
  std::unique_ptr<transport_logs> logs_;
  std::unique_ptr<log_feed> feed_;
  std::chrono::steady_clock::time_point last_clean_;
  std::string log_error_; ///< the last failed write's error ("" after a success)
  bool stopping_ = false;
  caf::error stop_reason_;
};

} // namespace

const std::vector<std::string>& type_preference() {
  static const std::vector<std::string> order{"stcpr", "sudph", "dmsg", "stcp"};
  return order;
}

api::transport_manager_actor spawn_transport_manager(caf::actor_system& sys, manager_config cfg) {
  return sys.spawn<manager_actor>(std::move(cfg));
}

} // namespace skywire::transport
