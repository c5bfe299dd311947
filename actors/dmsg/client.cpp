#include "actors/dmsg/client.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

#include <caf/actor_cast.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/response_promise.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/dmsg/discovery_client.hpp"
#include "actors/dmsg/dmsghttp.hpp"
#include "actors/dmsg/errors.hpp"
#include "actors/dmsg/link.hpp"
#include "actors/dmsg/objects.hpp"
#include "actors/dmsg/session.hpp"
#include "runtime/system/supervision.hpp"

#include <boost/json.hpp>

namespace skywire::dmsg::detail {

/// Discovery answers, forwarded from io threads to the client actor.
struct servers_result {
  expected<std::vector<entry>> list;
};
struct lookup_result {
  uint64_t dial;
  expected<entry> e;
};
struct server_entry_result {
  uint64_t dial;
  public_key server;
  expected<entry> e;
};
struct entry_result {
  expected<entry> e;
};

} // namespace skywire::dmsg::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::dmsg::detail::servers_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::dmsg::detail::lookup_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::dmsg::detail::server_entry_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::dmsg::detail::entry_result)

namespace skywire::dmsg {

namespace {

using dtick_atom = caf::atom_constant<caf::atom("dtick")>;
using etick_atom = caf::atom_constant<caf::atom("etick")>;
using rtick_atom = caf::atom_constant<caf::atom("rtick")>;
using deleted_atom = caf::atom_constant<caf::atom("deleted")>;

/// The client's full interface: the public one, the owner side of its
/// sessions, the supervisor's status request, and its private messages
/// (discovery answers from io threads, timers).
using client_interface =
  api::dmsg_client_actor::extend_with<api::link_owner_actor, system::info_provider_actor>::extend<
    caf::reacts_to<detail::servers_result>, caf::reacts_to<detail::lookup_result>,
    caf::reacts_to<detail::server_entry_result>, caf::reacts_to<detail::entry_result>,
    caf::reacts_to<dtick_atom>, caf::reacts_to<etick_atom>, caf::reacts_to<rtick_atom>,
    caf::reacts_to<deleted_atom>>;

class client_actor : public client_interface::base {
public:
  client_actor(caf::actor_config& cfg, io::io_runtime* io, client_config conf)
    : client_interface::base(cfg), io_(io), cfg_(std::move(conf)),
      backoff_(cfg_.backoff_initial_ms, cfg_.backoff_factor, cfg_.backoff_max_ms),
      entry_backoff_(cfg_.backoff_initial_ms, cfg_.backoff_factor, cfg_.backoff_max_ms) {
    shared_ = std::make_shared<client_shared>();
    shared_->pk = cfg_.pk;
    shared_->sk = cfg_.sk;
    shared_->handshake_timeout = cfg_.stream_handshake_timeout;
    set_down_handler([this](caf::down_msg& dm) { shared_->ports.unlisten_all(dm.source); });
  }

  const char* name() const override { return "dmsg_client"; }

  void on_exit() override {
    for (auto& kv : sessions_)
      caf::anon_send(kv.second.actor, api::close_atom::value);
    sessions_.clear();
  }

  behavior_type make_behavior() override {
    if (!cfg_.discovery_url.empty()) {
      http::client_sender send;
      if (is_dmsg_url(cfg_.discovery_url)) {
        // dmsghttp: the discovery over a stream of this very client (a weak
        // reference: the discovery client lives in this actor's state)
        caf::actor_addr weak = address();
        auto* sys = &system();
        send = [weak, sys](http::client_request req, http::client_callback cb) {
          auto self = caf::actor_cast<api::dmsg_client_actor>(weak);
          if (!self)
            return cb(make_error(client_errc::closed, "dmsg client stopped"));
          dmsghttp_request(*sys, std::move(self), std::move(req), std::move(cb));
        };
      }
      auto dc = discovery_client::make(*io_, cfg_.discovery_url, cfg_.discovery_timeout,
                                       std::move(send));
      if (dc)
        disc_.emplace(std::move(*dc));
      else
        startup_error_ = dc.error();
    }
    refresh_servers();
    delayed_send(this, cfg_.refresh, rtick_atom::value);
    return {
      [this](api::dial_atom, skywire::address remote) -> caf::result<api::stream_opened> {
        return dial(remote);
      },
      [this](api::listen_atom, skywire::port p, caf::actor owner) -> caf::result<api::ok_atom> {
        if (!owner)
          return make_error(client_errc::invalid_argument, "listen without an owner");
        if (auto err = shared_->ports.listen(p.value, owner))
          return err;
        monitor(owner);
        return api::ok_atom::value;
      },
      [this](api::unlisten_atom, skywire::port p) { shared_->ports.unlisten(p.value); },
      [this](api::info_atom) { return info(); },
      [this](system::info_atom) { return sessions_json(info()); },
      [this](api::ready_atom) -> caf::result<api::ok_atom> {
        if (is_ready())
          return api::ok_atom::value;
        auto rp = make_response_promise();
        ready_waiters_.push_back(rp);
        return rp;
      },
      [this](api::close_atom) -> caf::result<api::ok_atom> {
        auto rp = make_response_promise();
        close_rp_.push_back(rp);
        close();
        return rp;
      },
      [this](detail::servers_result r) { on_servers(r); },
      [this](detail::lookup_result r) { on_lookup(r); },
      [this](detail::server_entry_result r) { on_server_entry(r); },
      [this](detail::entry_result r) { on_entry(r); },
      [this](api::link_up_atom, public_key pk) { on_up(pk); },
      [this](api::link_down_atom, public_key pk, caf::error err) { on_down(pk, err); },
      [this](api::link_error_atom, public_key pk, caf::error err) { on_down(pk, err); },
      [this](dtick_atom) {
        retry_scheduled_ = false;
        refresh_servers();
      },
      [this](etick_atom) {
        entry_retry_ = false;
        update_entry();
      },
      [this](rtick_atom) {
        if (closing_)
          return;
        if (live_or_connecting() < target())
          refresh_servers();
        // keep our entry alive in the discovery (client entries expire)
        if (entry_ && std::chrono::steady_clock::now() - entry_posted_ >= cfg_.entry_refresh)
          update_entry();
        delayed_send(this, cfg_.refresh, rtick_atom::value);
      },
      [this](deleted_atom) { finish_close(); },
    };
  }

private:
  struct session_rec {
    api::dmsg_session_actor actor;
    std::string address;
    bool up = false;
    session_stats_ptr stats;
  };

  struct pending_dial {
    caf::response_promise rp;
    skywire::address local;
    skywire::address remote;
    std::vector<public_key> candidates;
    size_t next = 0;
  };

  // -- servers and sessions ------------------------------------------------------------

  size_t target() const {
    if (cfg_.sessions_count == 0)
      return std::max<size_t>(candidates_.size(), 1);
    return cfg_.sessions_count;
  }

  size_t live_or_connecting() const { return sessions_.size(); }

  void refresh_servers() {
    if (closing_)
      return;
    if (!cfg_.servers.empty()) {
      candidates_ = cfg_.servers;
      top_up();
      return;
    }
    if (!disc_ || servers_in_flight_)
      return;
    servers_in_flight_ = true;
    auto self = caf::actor_cast<client_interface>(this);
    disc_->available_servers([self](expected<std::vector<entry>> r) {
      caf::anon_send(self, detail::servers_result{std::move(r)});
    });
  }

  void on_servers(detail::servers_result& r) {
    servers_in_flight_ = false;
    if (closing_)
      return;
    if (!r.list || r.list->empty()) {
      last_error_ = r.list ? make_error(client_errc::no_session, "no dmsg servers available")
                           : r.list.error();
      schedule_retry();
      return;
    }
    candidates_ = std::move(*r.list);
    top_up();
  }

  void top_up() {
    for (const auto& e : candidates_) {
      if (live_or_connecting() >= target())
        break;
      if (!e.server || sessions_.count(e.static_pk) || e.static_pk == cfg_.pk)
        continue;
      start_session(e.static_pk, e.server->address);
    }
    if (live_or_connecting() < target())
      schedule_retry();
  }

  void schedule_retry() {
    if (retry_scheduled_ || closing_)
      return;
    retry_scheduled_ = true;
    delayed_send(this, std::chrono::milliseconds{backoff_.next_ms()}, dtick_atom::value);
  }

  void start_session(const public_key& server, const std::string& address) {
    session_params sp;
    sp.client = shared_;
    sp.client_actor = caf::actor_cast<api::link_owner_actor>(this);
    sp.io = io_;
    sp.server = server;
    sp.address = address;
    sp.stats = std::make_shared<session_stats>();
    sp.handshake_timeout = cfg_.session_handshake_timeout;
    sp.keepalive = cfg_.keepalive;
    auto stats = sp.stats;
    auto a = spawn<session_actor, caf::linked>(std::move(sp));
    sessions_[server] = session_rec{a, address, false, stats};
  }

  void on_up(const public_key& pk) {
    auto i = sessions_.find(pk);
    if (i == sessions_.end())
      return;
    i->second.up = true;
    backoff_.reset();
    update_entry();
    check_ready();
    if (auto w = waiting_.find(pk); w != waiting_.end()) {
      auto ids = std::move(w->second);
      waiting_.erase(w);
      for (auto id : ids)
        go(id, pk);
    }
  }

  void on_down(const public_key& pk, const caf::error& err) {
    auto i = sessions_.find(pk);
    if (i == sessions_.end())
      return;
    bool was_up = i->second.up;
    sessions_.erase(i);
    last_error_ = err;
    if (closing_)
      return;
    if (was_up) // (the session logs its own loss once, with its cause)
      update_entry();
    if (auto w = waiting_.find(pk); w != waiting_.end()) {
      auto ids = std::move(w->second);
      waiting_.erase(w);
      for (auto id : ids)
        try_dial(id, err);
    }
    schedule_retry();
  }

  // -- own entry ----------------------------------------------------------------------------

  std::vector<public_key> delegated() const {
    std::vector<public_key> out;
    for (const auto& kv : sessions_)
      if (kv.second.up)
        out.push_back(kv.first);
    return out;
  }

  void update_entry() {
    if (!cfg_.register_entry || !disc_ || closing_)
      return;
    if (entry_busy_) {
      entry_dirty_ = true;
      return;
    }
    entry_busy_ = true;
    entry_dirty_ = false;
    entry e = entry_ ? *entry_ : make_client_entry(cfg_.pk, {}, cfg_.client_type);
    if (entry_)
      e.sequence += 1;
    e.client = wire::dmsg::client_part{delegated()};
    e.client_type = cfg_.client_type;
    auto self = caf::actor_cast<client_interface>(this);
    disc_->put_entry(std::move(e), cfg_.sk, [self](expected<entry> r) {
      caf::anon_send(self, detail::entry_result{std::move(r)});
    });
  }

  void on_entry(detail::entry_result& r) {
    entry_busy_ = false;
    if (!r.e) {
      last_error_ = r.e.error();
      if (!entry_retry_ && !closing_) {
        entry_retry_ = true;
        delayed_send(this, std::chrono::milliseconds{entry_backoff_.next_ms()},
                     etick_atom::value);
      }
      return;
    }
    entry_backoff_.reset();
    entry_ = std::move(*r.e);
    entry_posted_ = std::chrono::steady_clock::now();
    if (entry_dirty_)
      update_entry();
    check_ready();
  }

  bool is_ready() const {
    bool any_up = false;
    for (const auto& kv : sessions_)
      any_up = any_up || kv.second.up;
    return any_up && (!cfg_.register_entry || !disc_ || entry_.has_value());
  }

  void check_ready() {
    if (!is_ready())
      return;
    for (auto& rp : ready_waiters_)
      rp.deliver(api::ok_atom::value);
    ready_waiters_.clear();
  }

  // -- dial ---------------------------------------------------------------------------------

  /// Answered later (the promise is kept in dials_) unless it fails at once.
  caf::result<api::stream_opened> dial(skywire::address remote) {
    if (closing_)
      return make_error(client_errc::closed, "client is closing");
    if (remote.pk.is_null() || remote.prt.value == 0)
      return make_error(client_errc::invalid_argument, "dial " + remote.to_string());
    auto p = shared_->ports.reserve_ephemeral();
    if (!p)
      return make_error(client_errc::no_ports);
    auto rp = make_response_promise();
    auto id = ++next_dial_;
    pending_dial d;
    d.rp = rp;
    d.local = skywire::address{cfg_.pk, skywire::port{*p}};
    d.remote = remote;
    dials_.emplace(id, std::move(d));
    if (is_direct(remote.pk)) {
      // dmsghttp mode: a service behind the pre-seeded servers, no lookup
      auto& pd = dials_[id];
      for (const auto& e : cfg_.servers)
        pd.candidates.push_back(e.static_pk);
      try_dial(id, make_error(dmsg_errc::cannot_connect_to_delegated,
                              "no pre-seeded dmsg server reaches " + remote.pk.hex()));
      return rp;
    }
    if (!disc_) {
      // No discovery: try every session we have.
      auto& pd = dials_[id];
      for (const auto& kv : sessions_)
        pd.candidates.push_back(kv.first);
      try_dial(id, make_error(dmsg_errc::entry_not_found, "no discovery configured"));
      return rp;
    }
    auto self = caf::actor_cast<client_interface>(this);
    disc_->get_entry(remote.pk, [self, id](expected<entry> r) {
      caf::anon_send(self, detail::lookup_result{id, std::move(r)});
    });
    return rp;
  }

  bool is_direct(const public_key& pk) const {
    return !cfg_.servers.empty()
           && std::find(cfg_.direct.begin(), cfg_.direct.end(), pk) != cfg_.direct.end();
  }

  void on_lookup(detail::lookup_result& r) {
    auto i = dials_.find(r.dial);
    if (i == dials_.end())
      return;
    if (!r.e)
      return fail_dial(r.dial, r.e.error());
    if (!r.e->client)
      return fail_dial(r.dial, make_error(dmsg_errc::entry_not_client, r.e->static_pk.hex()));
    if (!r.e->client->delegated_servers || r.e->client->delegated_servers->empty())
      return fail_dial(r.dial,
                       make_error(dmsg_errc::no_delegated_servers, r.e->static_pk.hex()));
    i->second.candidates = *r.e->client->delegated_servers;
    try_dial(r.dial, make_error(dmsg_errc::cannot_connect_to_delegated));
  }

  void try_dial(uint64_t id, const caf::error& last) {
    auto i = dials_.find(id);
    if (i == dials_.end())
      return;
    auto& d = i->second;
    // 1. A live session to one of the remote's servers.
    for (const auto& c : d.candidates) {
      auto s = sessions_.find(c);
      if (s != sessions_.end() && s->second.up)
        return go(id, c);
    }
    // 2. One that is being established.
    for (const auto& c : d.candidates) {
      if (sessions_.count(c)) {
        waiting_[c].push_back(id);
        return;
      }
    }
    // 3. Join the next of the remote's servers.
    while (d.next < d.candidates.size()) {
      auto c = d.candidates[d.next++];
      if (c == cfg_.pk)
        continue;
      for (const auto& e : candidates_) {
        if (e.static_pk == c && e.server) {
          start_session(c, e.server->address);
          waiting_[c].push_back(id);
          return;
        }
      }
      if (!disc_)
        continue;
      auto self = caf::actor_cast<client_interface>(this);
      disc_->get_entry(c, [self, id, c](expected<entry> r) {
        caf::anon_send(self, detail::server_entry_result{id, c, std::move(r)});
      });
      return;
    }
    fail_dial(id, make_error(dmsg_errc::cannot_connect_to_delegated,
                             "no usable server of " + d.remote.pk.hex() + " (last: "
                               + describe(last) + ")"));
  }

  void on_server_entry(detail::server_entry_result& r) {
    if (!dials_.count(r.dial))
      return;
    if (!r.e || !r.e->server) {
      auto err = r.e ? make_error(dmsg_errc::entry_not_server, r.server.hex()) : r.e.error();
      return try_dial(r.dial, err);
    }
    if (!sessions_.count(r.server))
      start_session(r.server, r.e->server->address);
    auto& s = sessions_[r.server];
    if (s.up)
      return go(r.dial, r.server);
    waiting_[r.server].push_back(r.dial);
  }

  void go(uint64_t id, const public_key& server) {
    auto i = dials_.find(id);
    if (i == dials_.end())
      return;
    auto d = std::move(i->second);
    dials_.erase(i);
    auto s = sessions_.find(server);
    if (s == sessions_.end()) {
      shared_->ports.release(d.local.prt.value);
      d.rp.deliver(make_error(dmsg_errc::session_closed));
      return;
    }
    d.rp.delegate(s->second.actor, api::open_atom::value, d.local, d.remote);
  }

  void fail_dial(uint64_t id, caf::error err) {
    auto i = dials_.find(id);
    if (i == dials_.end())
      return;
    shared_->ports.release(i->second.local.prt.value);
    i->second.rp.deliver(std::move(err));
    dials_.erase(i);
  }

  // -- info and close -------------------------------------------------------------------------

  api::client_info info() const {
    api::client_info out;
    out.pk = cfg_.pk;
    for (const auto& kv : sessions_) {
      api::session_info si;
      si.server = kv.first;
      si.server_address = kv.second.address;
      si.state = kv.second.up ? "up" : "connecting";
      si.streams = kv.second.stats->streams.load();
      si.bytes_in = kv.second.stats->bytes_in.load();
      si.bytes_out = kv.second.stats->bytes_out.load();
      out.sessions.push_back(std::move(si));
    }
    out.listening_ports = shared_->ports.listening_ports();
    out.last_error = startup_error_ ? startup_error_ : last_error_;
    return out;
  }

  /// The caller has queued its promise in close_rp_.
  void close() {
    if (closing_)
      return;
    closing_ = true;
    for (auto& kv : dials_) {
      shared_->ports.release(kv.second.local.prt.value);
      kv.second.rp.deliver(make_error(client_errc::closed, "client is closing"));
    }
    dials_.clear();
    for (auto& kv : sessions_)
      send(kv.second.actor, api::close_atom::value);
    sessions_.clear();
    if (entry_ && disc_ && cfg_.register_entry) {
      auto self = caf::actor_cast<client_interface>(this);
      disc_->delete_entry(*entry_, [self](caf::error) {
        caf::anon_send(self, deleted_atom::value);
      });
      delayed_send(this, cfg_.discovery_timeout, deleted_atom::value);
    } else {
      finish_close();
    }
  }

  void finish_close() {
    for (auto& rp : close_rp_)
      rp.deliver(api::ok_atom::value);
    close_rp_.clear();
    quit();
  }

  io::io_runtime* io_;
  client_config cfg_;
  client_shared_ptr shared_;
  std::optional<discovery_client> disc_;
  caf::error startup_error_;
  caf::error last_error_;
  std::vector<entry> candidates_;
  std::map<public_key, session_rec> sessions_;
  std::map<public_key, std::vector<uint64_t>> waiting_;
  std::unordered_map<uint64_t, pending_dial> dials_;
  uint64_t next_dial_ = 0;
  backoff backoff_;
  backoff entry_backoff_;
  bool retry_scheduled_ = false;
  bool servers_in_flight_ = false;
  std::optional<entry> entry_;
  bool entry_busy_ = false;
  bool entry_dirty_ = false;
  std::chrono::steady_clock::time_point entry_posted_{}; ///< last accepted post of our entry
  bool entry_retry_ = false;
  std::vector<caf::response_promise> ready_waiters_;
  std::vector<caf::response_promise> close_rp_;
  bool closing_ = false;
};

} // namespace

std::string sessions_json(const api::client_info& info) {
  boost::json::array out;
  for (const auto& s : info.sessions) {
    boost::json::object o;
    o["server"] = s.server.hex();
    o["address"] = s.server_address;
    o["state"] = s.state;
    o["streams"] = s.streams;
    o["bytes_in"] = s.bytes_in;
    o["bytes_out"] = s.bytes_out;
    out.push_back(std::move(o));
  }
  return boost::json::serialize(out);
}

expected<client_config> client_config_from(const config::visor_config& cfg) {
  client_config c;
  c.pk = cfg.pk;
  c.sk = cfg.sk;
  c.discovery_url = cfg.dmsg.discovery;
  c.sessions_count = static_cast<size_t>(cfg.dmsg.sessions_count);
  c.client_type = "visor";
  for (const auto& v : cfg.dmsg.servers) {
    auto e = wire::dmsg::decode(boost::json::serialize(v));
    if (!e)
      return make_error(client_errc::invalid_argument,
                        "dmsg.servers entry: " + describe(e.error()));
    if (!e->server)
      return make_error(client_errc::invalid_argument, "dmsg.servers entry is not a server");
    c.servers.push_back(std::move(*e));
  }
  if (c.discovery_url.empty() && c.servers.empty())
    return make_error(client_errc::invalid_argument, "dmsg: no discovery and no servers");
  if (is_dmsg_url(c.discovery_url) && c.servers.empty())
    return make_error(client_errc::invalid_argument,
                      "dmsg.discovery " + c.discovery_url
                        + " is a dmsg:// URL (dmsghttp mode): dmsg.servers must list the "
                          "dmsg servers to reach it through");
  // dmsghttp mode: every service named by a dmsg:// URL is reached through
  // the pre-seeded servers (the reference's "direct" client table)
  for (const std::string* url :
       {&cfg.dmsg.discovery, &cfg.transport.discovery, &cfg.transport.address_resolver,
        &cfg.routing.route_finder, &cfg.launcher.service_discovery})
    if (is_dmsg_url(*url)) {
      auto pk = dmsg_url_key(*url);
      if (!pk)
        return make_error(client_errc::invalid_argument, describe(pk.error()));
      if (std::find(c.direct.begin(), c.direct.end(), *pk) == c.direct.end())
        c.direct.push_back(*pk);
    }
  if (cfg.uptime_tracker && is_dmsg_url(cfg.uptime_tracker->addr)) {
    auto pk = dmsg_url_key(cfg.uptime_tracker->addr);
    if (!pk)
      return make_error(client_errc::invalid_argument, describe(pk.error()));
    c.direct.push_back(*pk);
  }
  return c;
}

api::dmsg_client_actor spawn_dmsg_client(caf::actor_system& sys, io::io_runtime& io,
                                         client_config cfg) {
  return sys.spawn<client_actor>(&io, std::move(cfg));
}

} // namespace skywire::dmsg
