#include "actors/routing/route_manager.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>

#include <boost/json.hpp>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/routing/errors.hpp"
#include "actors/routing/route_speed.hpp"
#include "actors/routing/route_group_errors.hpp"
#include "actors/routing/route_paths.hpp"
#include "actors/routing/setup_client.hpp"
#include "actors/transport/client_errors.hpp"
#include "messages/api/transport.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::routing::detail {

/// A route finder answer handed from the io thread to the actor.
struct rf_answer {
  expected<routes_map> routes;
};
using rf_answer_ptr = std::shared_ptr<rf_answer>;

/// A path accepted at the destination (the gateway's thread tells the actor).
struct accepted_path {
  route_handle h;
  edge_rules e;
};
using accepted_path_ptr = std::shared_ptr<accepted_path>;

} // namespace skywire::routing::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::routing::detail::rf_answer_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::routing::detail::accepted_path_ptr)

namespace skywire::routing {

namespace {

using detail::accepted_path;
using detail::accepted_path_ptr;
using detail::rf_answer;
using detail::rf_answer_ptr;
constexpr const char* component = "routes";
namespace rs = wire::rpc::route_setup;
using clock_type = std::chrono::steady_clock;

using rm_rf_atom = caf::atom_constant<caf::atom("rm_rf")>;
using rm_retry_atom = caf::atom_constant<caf::atom("rm_retry")>;
using rm_track_atom = caf::atom_constant<caf::atom("rm_track")>;
using rm_lost_atom = caf::atom_constant<caf::atom("rm_lost")>;
using rm_redial_atom = caf::atom_constant<caf::atom("rm_redial")>;
using rm_prf_atom = caf::atom_constant<caf::atom("rm_prf")>;

/// The listeners of routing ports; read by the setup gateway's thread.
struct port_table {
  std::mutex mtx;
  std::map<uint16_t, caf::actor> listeners;
  /// Ports whose consumer takes the data on the shard (route_group_params::attach).
  std::map<uint16_t, std::function<void(route_group_core&)>> shard_consumers;
  caf::actor find(uint16_t p) {
    std::lock_guard<std::mutex> g{mtx};
    auto i = listeners.find(p);
    return i == listeners.end() ? caf::actor{} : i->second;
  }
  std::function<void(route_group_core&)> consumer(uint16_t p) {
    std::lock_guard<std::mutex> g{mtx};
    auto i = shard_consumers.find(p);
    return i == shard_consumers.end() ? nullptr : i->second;
  }
};

struct dial_state {
  api::route_dial req;
  caf::response_promise rp;
  caf::actor owner;
  uint16_t min_hops = 0;
  clock_type::time_point rf_deadline;
  rs::bidirectional_route route;
};

/// One path of a group: our edge rules' keys (and, at the dialer, its hops).
struct path_keys {
  route_id fwd;
  route_id consume;
  wire::routing::path forward, reverse;
};

/// A route group opened here.
struct group_entry {
  route_handle h;
  bool initiator = false;
  wire::routing::route_descriptor desc; ///< of its consume rules (registry key)
  std::vector<path_keys> paths;
  // the dialer: what a new path needs
  rs::bidirectional_route route; ///< desc and keep-alive of the dial
  uint16_t min_hops = 0;
  size_t want_paths = 1;
  bool redialing = false;  ///< a path dial in progress
  route_id lost;           ///< the path it replaces (0: it adds one)
  std::set<transport_id> avoid;
  clock_type::time_point deadline;
};

struct manager_state {
  route_manager_config cfg;
  std::shared_ptr<port_table> ports = std::make_shared<port_table>();
  std::shared_ptr<path_registry> registry = std::make_shared<path_registry>();
  std::unordered_map<uint64_t, dial_state> dials;
  std::unordered_map<caf::actor_addr, group_entry> groups;
  uint64_t next_dial = 1;
  uint16_t next_local_port = 49152;
  static inline const char* name = "route_manager";
};

using manager_actor = caf::stateful_actor<manager_state>;

caf::error step_error(std::string step, const caf::error& why) {
  return make_error(routing_errc::dial_failed, step + ": " + describe(why));
}

void fail(manager_actor* self, uint64_t id, caf::error err) {
  auto i = self->state.dials.find(id);
  if (i == self->state.dials.end())
    return;
  SKYWIRE_LOG(info, component, "route dial failed", log::kv("remote", i->second.req.remote.hex()),
              log::kv("error", describe(err)));
  i->second.rp.deliver(std::move(err));
  self->state.dials.erase(i);
}

void ask_route_finder(manager_actor* self, uint64_t id);
void more_paths(manager_actor* self, const caf::actor& group);

/// What the group's core says about a lost path reaches the manager.
path_lost_fn lost_reporter(manager_actor* self) {
  auto me = caf::actor_cast<caf::actor>(self);
  return [me](const caf::actor& group, route_id fwd) {
    caf::anon_send(me, rm_lost_atom::value, group, fwd.value);
  };
}

/// Step 4-5: the first path each way, the setup node, the edge rules, the group.
void set_up(manager_actor* self, uint64_t id, const routes_map& routes) {
  auto& st = self->state;
  auto& d = st.dials.at(id);
  const auto& local = st.cfg.env.local.pk;
  auto fwd = routes.find(path_edge{local, d.req.remote});
  auto rev = routes.find(path_edge{d.req.remote, local});
  if (fwd == routes.end() || fwd->second.empty() || rev == routes.end() || rev->second.empty())
    return fail(self, id, step_error("route finder", make_error(routing_errc::unknown_rule,
                                                                "no path in one direction")));
  d.route.desc = wire::routing::route_descriptor{local, d.req.remote, port{d.req.local_port},
                                                 port{d.req.remote_port}};
  d.route.keep_alive_ns = st.cfg.keep_alive.count();
  d.route.forward = fwd->second.front();
  d.route.reverse = rev->second.front();
  if (!st.cfg.setup)
    return fail(self, id, step_error("setup node", make_error(routing_errc::unavailable,
                                                              "no setup node configured")));
  self->request(st.cfg.setup, caf::infinite, setup_route_atom::value, d.route)
    .then(
      [self, id](rs::edge_rules& e) {
        auto& st = self->state;
        auto i = st.dials.find(id);
        if (i == st.dials.end())
          return;
        // ours: the forward rule and the consume rule, on IDs we reserved
        if (auto err = st.cfg.env.router->table()->install_all({e.forward, e.reverse}))
          return fail(self, id, step_error("install the edge rules", err));
        auto g = open_route_group(st.cfg.env, e, route_group_core::role::initiator,
                                  i->second.owner, nullptr, lost_reporter(self));
        if (!g) {
          st.cfg.env.router->remove_rule(e.forward.key);
          st.cfg.env.router->remove_rule(e.reverse.key);
          return fail(self, id, step_error("open the route group", g.error()));
        }
        auto group = g->actor;
        self->monitor(group);
        auto& ge = st.groups[group.address()];
        ge.h = *g;
        ge.initiator = true;
        ge.desc = e.reverse.desc;
        ge.route = i->second.route;
        ge.min_hops = i->second.min_hops;
        ge.want_paths = std::max<size_t>(1, i->second.req.paths);
        ge.paths.push_back({e.forward.key, e.reverse.key, i->second.route.forward,
                            i->second.route.reverse});
        self->request(group, caf::infinite, api::ready_atom::value)
          .then(
            [self, id, group](api::ok_atom) {
              auto i = self->state.dials.find(id);
              if (i == self->state.dials.end())
                return;
              SKYWIRE_LOG(debug, component, "route up", log::kv("remote", i->second.req.remote.hex()),
                          log::kv("hops", i->second.route.forward.size()));
              i->second.rp.deliver(group);
              self->state.dials.erase(i);
              more_paths(self, caf::actor_cast<caf::actor>(group));
            },
            [self, id, group](caf::error& err) {
              caf::anon_send(group, api::close_atom::value);
              fail(self, id, step_error("route handshake", err));
            });
      },
      [self, id](caf::error& err) { fail(self, id, step_error("setup node", err)); });
}

void ask_route_finder(manager_actor* self, uint64_t id) {
  auto& st = self->state;
  auto& d = st.dials.at(id);
  if (!st.cfg.rf)
    return fail(self, id, step_error("route finder", make_error(routing_errc::unavailable,
                                                                "no route finder configured")));
  const auto& local = st.cfg.env.local.pk;
  auto me = caf::actor_cast<caf::actor>(self);
  st.cfg.rf->find_routes({{local, d.req.remote}, {d.req.remote, local}}, d.min_hops,
                         st.cfg.max_hops, [me, id](expected<routes_map> r) {
                           caf::anon_send(me, rm_rf_atom::value, id,
                                          std::make_shared<rf_answer>(rf_answer{std::move(r)}));
                         });
}

void on_rf_answer(manager_actor* self, uint64_t id, const rf_answer_ptr& a) {
  auto i = self->state.dials.find(id);
  if (i == self->state.dials.end())
    return;
  if (a->routes)
    return set_up(self, id, *a->routes);
  // 404: no route (final, as the reference); else retry until the deadline
  bool final = transport::is(a->routes.error(), transport::client_errc::not_found);
  if (final || clock_type::now() + self->state.cfg.rf_retry > i->second.rf_deadline)
    return fail(self, id, step_error("route finder", a->routes.error()));
  self->delayed_send(self, self->state.cfg.rf_retry, rm_retry_atom::value, id);
}

/// Step 2-3: the route-setup hook, then the route finder.
void start_dial(manager_actor* self, uint64_t id) {
  auto& st = self->state;
  auto to_rf = [self, id] {
    auto i = self->state.dials.find(id);
    if (i == self->state.dials.end())
      return;
    i->second.rf_deadline = clock_type::now() + self->state.cfg.rf_give_up;
    ask_route_finder(self, id);
  };
  if (!st.cfg.transports)
    return to_rf();
  api::transport_filter all;
  self->request(st.cfg.transports, caf::infinite, api::tp_list_atom::value, all)
    .then(
      [self, id, to_rf](std::vector<api::transport_summary>& tps) {
        auto i = self->state.dials.find(id);
        if (i == self->state.dials.end())
          return;
        auto& d = i->second;
        if (tps.empty())
          return fail(self, id, step_error("route-setup hook",
                                           make_error(routing_errc::unavailable,
                                                      "this visor has no transports")));
        bool direct = std::any_of(tps.begin(), tps.end(), [&](const auto& t) {
          return t.remote_pk == d.req.remote && t.state == "up";
        });
        // a route of 2 hops or more never uses a direct transport: the
        // reference's hook (which always makes one) is skipped then
        if (direct || d.min_hops >= 2)
          return to_rf();
        api::transport_request tr;
        tr.remote = d.req.remote;
        tr.type = "dmsg"; // what the reference's hook falls back to
        tr.label = "automatic";
        self->request(self->state.cfg.transports, caf::infinite, api::tp_add_atom::value, tr)
          .then([to_rf](api::transport_summary&) { to_rf(); },
                [self, id](caf::error& err) {
                  fail(self, id, step_error("route-setup hook (a transport to the remote)", err));
                });
      },
      [self, id](caf::error& err) { fail(self, id, step_error("route-setup hook", err)); });
}

/// The group `g` ended: its rules and endpoint go with it.
void forget_group(manager_actor* self, const caf::actor_addr& g) {
  auto i = self->state.groups.find(g);
  if (i == self->state.groups.end())
    return;
  auto& r = *self->state.cfg.env.router;
  for (auto& p : i->second.paths) {
    r.core()->clear_endpoint(p.consume);
    r.remove_rule(p.fwd);
    r.remove_rule(p.consume);
  }
  if (!i->second.initiator)
    self->state.registry->remove(i->second.desc);
  self->state.groups.erase(i);
}

// -- more paths: re-establishment and multipath ------------------------------------------

/// Drops a path of the group here: its endpoint and rules (and, unless the
/// core already let it go, the core's path).
void drop_path(manager_actor* self, group_entry& ge, route_id fwd, bool from_core) {
  auto i = std::find_if(ge.paths.begin(), ge.paths.end(),
                        [&](const path_keys& p) { return p.fwd == fwd; });
  if (i == ge.paths.end())
    return;
  if (from_core)
    ge.h.post([core = ge.h.core, fwd] { core->remove_path(fwd); });
  auto& r = *self->state.cfg.env.router;
  r.core()->clear_endpoint(i->consume);
  r.remove_rule(i->fwd);
  r.remove_rule(i->consume);
  ge.paths.erase(i);
}

void path_dial(manager_actor* self, const caf::actor& group);

/// A path dial failed: again after rf_retry within the deadline, else a lost
/// path ends the group with the error.
void path_dial_failed(manager_actor* self, const caf::actor& group, const caf::error& why) {
  auto i = self->state.groups.find(group.address());
  if (i == self->state.groups.end())
    return;
  auto& ge = i->second;
  if (clock_type::now() + self->state.cfg.rf_retry < ge.deadline) {
    self->delayed_send(self, self->state.cfg.rf_retry, rm_redial_atom::value, group);
    return;
  }
  ge.redialing = false;
  if (ge.lost.value == 0) {
    SKYWIRE_LOG(info, component, "no further path for a multipath route",
                log::kv("remote", ge.desc.src_pk.hex()), log::kv("error", describe(why)));
    return;
  }
  SKYWIRE_LOG(info, component, "route lost: no other path", log::kv("error", describe(why)));
  auto err = make_error(route_group_errc::unreachable,
                        "the route's path was lost and no other one was set up within "
                          + std::to_string(self->state.cfg.reestablish_timeout.count())
                          + " ms: " + describe(why));
  ge.h.post([core = ge.h.core, err] { core->abort(err); });
}

/// Starts a path dial for the group: replacing `lost` (0: one more path).
void start_path_dial(manager_actor* self, const caf::actor& group, group_entry& ge,
                     route_id lost) {
  ge.redialing = true;
  ge.lost = lost;
  ge.avoid.clear();
  for (const auto& p : ge.paths)
    for (const auto* hops : {&p.forward, &p.reverse})
      for (const auto& t : path_transports(*hops))
        ge.avoid.insert(t);
  ge.deadline = clock_type::now() + self->state.cfg.reestablish_timeout;
  path_dial(self, group);
}

/// The dialer's further paths (route_dial::paths) after the first.
void more_paths(manager_actor* self, const caf::actor& group) {
  auto i = self->state.groups.find(group.address());
  if (i == self->state.groups.end())
    return;
  auto& ge = i->second;
  if (ge.initiator && !ge.redialing && ge.paths.size() < ge.want_paths && !ge.paths.empty())
    start_path_dial(self, group, ge, route_id{});
}

void path_dial(manager_actor* self, const caf::actor& group) {
  auto i = self->state.groups.find(group.address());
  if (i == self->state.groups.end())
    return;
  auto& st = self->state;
  auto& ge = i->second;
  if (!st.cfg.rf)
    return path_dial_failed(self, group, make_error(routing_errc::unavailable,
                                                    "no route finder configured"));
  auto me = caf::actor_cast<caf::actor>(self);
  const auto& local = st.cfg.env.local.pk;
  auto remote = ge.route.desc.dst_pk;
  st.cfg.rf->find_routes({{local, remote}, {remote, local}}, ge.min_hops, st.cfg.max_hops,
                         [me, group](expected<routes_map> r) {
                           caf::anon_send(me, rm_prf_atom::value, group,
                                          std::make_shared<rf_answer>(rf_answer{std::move(r)}));
                         });
}

void on_path_rf(manager_actor* self, const caf::actor& group, const rf_answer_ptr& a) {
  auto i = self->state.groups.find(group.address());
  if (i == self->state.groups.end() || !i->second.redialing)
    return;
  auto& st = self->state;
  auto& ge = i->second;
  if (!a->routes)
    return path_dial_failed(self, group, step_error("route finder", a->routes.error()));
  const auto& local = st.cfg.env.local.pk;
  auto remote = ge.route.desc.dst_pk;
  auto fwd = a->routes->find(path_edge{local, remote});
  auto rev = a->routes->find(path_edge{remote, local});
  std::optional<size_t> fi, ri;
  if (fwd != a->routes->end())
    fi = pick_path(fwd->second, ge.avoid);
  if (rev != a->routes->end())
    ri = pick_path(rev->second, ge.avoid);
  if (!fi || !ri)
    return path_dial_failed(self, group, step_error("route finder", make_error(
                                                      routing_errc::unknown_rule, "no other path")));
  auto route = ge.route;
  route.forward = fwd->second[*fi];
  route.reverse = rev->second[*ri];
  if (!st.cfg.setup)
    return path_dial_failed(self, group, step_error("setup node", make_error(
                                                      routing_errc::unavailable, "no setup node")));
  self->request(st.cfg.setup, caf::infinite, setup_route_atom::value, route)
    .then(
      [self, group, route](rs::edge_rules& e) {
        auto& st = self->state;
        auto i = st.groups.find(group.address());
        if (i == st.groups.end()) {
          // the group ended meanwhile: nothing keeps these rules
          return;
        }
        auto& ge = i->second;
        auto& router = *st.cfg.env.router;
        if (auto err = router.table()->install_all({e.forward, e.reverse}))
          return path_dial_failed(self, group, step_error("install the edge rules", err));
        bool replace = ge.lost.value != 0 && ge.paths.size() <= 1;
        add_route_path(st.cfg.env, ge.h, e, replace,
                       [rs = st.cfg.env.router, f = e.forward.key, c = e.reverse.key] {
                         rs->remove_rule(f);
                         rs->remove_rule(c);
                       });
        if (ge.lost.value != 0)
          drop_path(self, ge, ge.lost, !replace);
        SKYWIRE_LOG(info, component, replace ? "route re-established on another path"
                                             : "route path added",
                    log::kv("remote", ge.route.desc.dst_pk.hex()),
                    log::kv("hops", route.forward.size()));
        ge.paths.push_back({e.forward.key, e.reverse.key, route.forward, route.reverse});
        ge.redialing = false;
        ge.lost = route_id{};
        more_paths(self, group);
      },
      [self, group](caf::error& err) {
        path_dial_failed(self, group, step_error("setup node", err));
      });
}

/// The core of `group` lost the path of forward rule `fwd`.
void on_path_lost(manager_actor* self, const caf::actor& group, route_id fwd) {
  auto i = self->state.groups.find(group.address());
  if (i == self->state.groups.end())
    return;
  auto& ge = i->second;
  bool known = std::any_of(ge.paths.begin(), ge.paths.end(),
                           [&](const path_keys& p) { return p.fwd == fwd; });
  if (!known)
    return;
  if (ge.paths.size() > 1) { // the other paths carry on
    drop_path(self, ge, fwd, true);
    if (ge.initiator)
      more_paths(self, group);
    return;
  }
  if (!ge.initiator || ge.redialing)
    return; // the destination waits for the dialer's new path
  SKYWIRE_LOG(info, component, "route path lost; setting the route up again",
              log::kv("remote", ge.route.desc.dst_pk.hex()));
  start_path_dial(self, group, ge, fwd);
}

} // namespace

/// The echo on the ping port: every byte a route brings goes back on it.
caf::behavior route_echo(caf::event_based_actor* self) {
  return {
    [](api::rt_accept_atom, const api::route_group_actor&, const public_key&, uint16_t) {},
    [self](api::data_atom, api::byte_buffer& bytes) {
      auto group = caf::actor_cast<api::route_group_actor>(self->current_sender());
      auto n = static_cast<uint32_t>(bytes.size());
      self->request(group, caf::infinite, api::write_atom::value, std::move(bytes))
        .then(
          [self, group, n](api::ok_atom) { self->send(group, api::consumed_atom::value, n); },
          [self, group](caf::error& err) {
            SKYWIRE_LOG(debug, component, "echo failed", log::kv("error", describe(err)));
            self->send(group, api::close_atom::value);
          });
    },
    [](api::closed_atom, const caf::error&) {},
  };
}

namespace {

/// One `visor ping`: dials, echoes `count` payloads one at a time, answers JSON.
caf::behavior pinger(caf::event_based_actor* self, api::route_manager_actor manager,
                     api::route_ping req, caf::response_promise rp) {
  struct run {
    api::route_group_actor group;
    std::vector<int64_t> rtts;
    clock_type::time_point started, sent;
    int64_t setup_us = 0;
    size_t got = 0;
    api::byte_buffer payload;
  };
  auto r = std::make_shared<run>();
  r->started = clock_type::now();
  r->payload.assign(std::max<uint32_t>(req.size, 1), 0x5a);
  auto finish = [self, r, rp, req](caf::error err) mutable {
    if (r->group)
      self->send(r->group, api::close_atom::value);
    if (err) {
      rp.deliver(std::move(err));
    } else {
      boost::json::object o;
      o["remote"] = req.remote.hex();
      o["setup_ms"] = static_cast<double>(r->setup_us) / 1000.0;
      boost::json::array a;
      for (auto us : r->rtts)
        a.push_back(us);
      o["rtt_us"] = std::move(a);
      if (!r->rtts.empty()) {
        auto [mn, mx] = std::minmax_element(r->rtts.begin(), r->rtts.end());
        int64_t sum = 0;
        for (auto v : r->rtts)
          sum += v;
        o["min_us"] = *mn;
        o["max_us"] = *mx;
        o["avg_us"] = sum / static_cast<int64_t>(r->rtts.size());
      }
      rp.deliver(boost::json::serialize(o));
    }
    self->quit();
  };
  auto send_one = [self, r, finish]() mutable {
    r->got = 0;
    r->sent = clock_type::now();
    self->request(r->group, caf::infinite, api::write_atom::value, r->payload)
      .then([](api::ok_atom) {}, [finish](caf::error& err) mutable { finish(err); });
  };
  api::route_dial d;
  d.remote = req.remote;
  d.remote_port = req.port;
  d.min_hops = req.min_hops;
  d.paths = req.paths;
  self->request(manager, caf::infinite, api::rt_dial_atom::value, d)
    .then(
      [r, send_one](api::route_group_actor& g) mutable {
        r->group = g;
        r->setup_us = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now()
                                                                            - r->started)
                        .count();
        send_one();
      },
      [finish](caf::error& err) mutable { finish(err); });
  return {
    [self, r, req, send_one, finish](api::data_atom, api::byte_buffer& bytes) mutable {
      self->send(r->group, api::consumed_atom::value, static_cast<uint32_t>(bytes.size()));
      r->got += bytes.size();
      if (r->got < r->payload.size())
        return;
      r->rtts.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - r->sent).count());
      if (r->rtts.size() >= req.count)
        return finish({});
      send_one();
    },
    [finish](api::closed_atom, caf::error& err) mutable {
      finish(err ? err : make_error(routing_errc::unavailable, "the route closed"));
    },
  };
}

// ---- route ls ---------------------------------------------------------------------------------

/// Asks every route group for its state; answers a JSON array.
void list_routes(manager_actor* self, caf::response_promise rp) {
  struct collect {
    boost::json::array out;
    size_t left = 0;
    caf::response_promise rp;
    void one_done() {
      if (--left == 0)
        rp.deliver(boost::json::serialize(out));
    }
  };
  if (self->state.groups.empty()) {
    rp.deliver(std::string{"[]"});
    return;
  }
  auto c = std::make_shared<collect>();
  c->left = self->state.groups.size();
  c->rp = std::move(rp);
  for (const auto& [addr, e] : self->state.groups) {
    self->request(e.h.actor, std::chrono::seconds{2}, api::info_atom::value)
      .then(
        [c, desc = e.desc, initiator = e.initiator,
         fwd = e.paths.empty() ? route_id{} : e.paths.front().fwd,
         consume = e.paths.empty() ? route_id{} : e.paths.front().consume,
         npaths = e.paths.size()](api::route_group_info& i) {
          boost::json::object o;
          // the descriptor of its consume rules: src = the remote, dst = us
          o["remote"] = desc.src_pk.hex();
          o["local_port"] = desc.dst_port.value;
          o["remote_port"] = desc.src_port.value;
          o["side"] = initiator ? "dialed" : "accepted";
          o["paths"] = npaths;
          o["phase"] = i.phase;
          o["reliable"] = i.reliable;
          o["cell_size"] = i.cell_size;
          o["rtt_us"] = i.rtt_ns / 1000; // whole microseconds
          o["bytes_in"] = i.bytes_in;
          o["bytes_out"] = i.bytes_out;
          o["retransmits"] = i.retransmits;
          o["forward_rid"] = fwd.value;
          o["consume_rid"] = consume.value;
          c->out.push_back(std::move(o));
          c->one_done();
        },
        [c](caf::error&) { c->one_done(); }); // ended meanwhile: not listed
  }
}

caf::behavior manager(manager_actor* self, route_manager_config cfg) {
  self->state.cfg = std::move(cfg);
  auto& st = self->state;
  // routes set up toward us: to the listener of their port
  auto ports = st.ports;
  auto env = st.cfg.env;
  auto me = caf::actor_cast<caf::actor>(self);
  auto registry = st.registry;
  auto lost = lost_reporter(self);
  st.cfg.env.router->set_edge_acceptor(
    [ports, env, me, registry, lost](const public_key& from, const edge_rules& e) -> caf::error {
      // another path of a route already open here (same descriptor)
      if (auto attach = registry->find(e))
        return attach(e);
      auto listener = ports->find(e.desc.dst_port.value);
      if (!listener)
        return make_error(routing_errc::no_acceptor,
                          "nothing listens on routing port " + std::to_string(e.desc.dst_port.value));
      auto g = open_route_group(env, e, route_group_core::role::responder, listener, nullptr,
                                lost, ports->consumer(e.desc.dst_port.value));
      if (!g)
        return g.error();
      auto h = *g;
      registry->put(e.reverse.desc, [env, h, me](const edge_rules& more) -> caf::error {
        add_route_path(env, h, more, false, [rs = env.router, f = more.forward.key,
                                             c = more.reverse.key] {
          rs->remove_rule(f);
          rs->remove_rule(c);
        });
        caf::anon_send(me, rm_track_atom::value,
                       std::make_shared<accepted_path>(accepted_path{h, more}));
        return {};
      });
      caf::anon_send(me, rm_track_atom::value, std::make_shared<accepted_path>(accepted_path{h, e}));
      caf::anon_send(listener, api::rt_accept_atom::value, h.actor, e.desc.src_pk,
                     e.desc.src_port.value);
      SKYWIRE_LOG(debug, component, "route accepted", log::kv("from", e.desc.src_pk.hex()),
                  log::kv("port", e.desc.dst_port.value), log::kv("setup_node", from.hex()));
      return {};
    });
  if (st.cfg.echo) {
    auto e = self->spawn<caf::linked>(route_echo);
    auto sink = self->spawn<caf::linked>(route_speed_listener);
    std::lock_guard<std::mutex> g{st.ports->mtx};
    st.ports->listeners[api::ping_port] = e;
    st.ports->listeners[api::speed_port] = sink;
    st.ports->shard_consumers[api::speed_port] = attach_speed_sink;
  }
  for (auto& make : st.cfg.services)
    if (auto a = make(caf::actor_cast<api::route_manager_actor>(self)))
      self->link_to(a);
  self->set_down_handler([self](caf::down_msg& dm) {
    forget_group(self, dm.source);
    std::lock_guard<std::mutex> g{self->state.ports->mtx};
    for (auto i = self->state.ports->listeners.begin(); i != self->state.ports->listeners.end();)
      if (i->second.address() == dm.source) {
        self->state.ports->shard_consumers.erase(i->first);
        i = self->state.ports->listeners.erase(i);
      } else
        ++i;
  });
  self->attach_functor([router = st.cfg.env.router, setup = st.cfg.setup] {
    router->set_edge_acceptor({});
    if (setup)
      caf::anon_send_exit(setup, caf::exit_reason::user_shutdown);
  });
  return {
    [self](api::rt_dial_atom, api::route_dial& req) -> caf::response_promise {
      auto& st = self->state;
      // (before make_response_promise, which takes the request's sender)
      auto owner = caf::actor_cast<caf::actor>(self->current_sender());
      auto rp = self->make_response_promise();
      if (req.remote.is_null() || req.remote == st.cfg.env.local.pk) {
        rp.deliver(make_error(routing_errc::bad_rule, "route dial: no remote key, or our own"));
        return rp;
      }
      auto id = st.next_dial++;
      auto& d = st.dials[id];
      d.req = req;
      d.owner = std::move(owner);
      d.min_hops = req.min_hops != 0 ? req.min_hops : st.cfg.min_hops;
      if (d.req.local_port == 0) {
        d.req.local_port = st.next_local_port;
        st.next_local_port = st.next_local_port == 65535 ? 49152 : st.next_local_port + 1;
      }
      d.rp = rp;
      auto timeout = req.timeout_ms != 0 ? std::chrono::milliseconds{req.timeout_ms}
                                         : st.cfg.dial_timeout;
      self->delayed_send(self, timeout, rm_retry_atom::value, id, true);
      start_dial(self, id);
      return rp;
    },
    [self](api::rt_listen_atom, uint16_t p, caf::actor listener) -> caf::result<api::ok_atom> {
      std::lock_guard<std::mutex> g{self->state.ports->mtx};
      auto& slot = self->state.ports->listeners[p];
      if (slot)
        return make_error(routing_errc::id_in_use,
                          "routing port " + std::to_string(p) + " has a listener");
      slot = listener;
      self->monitor(listener);
      return api::ok_atom::value;
    },
    [self](api::rt_ping_atom, api::route_ping& req) -> caf::response_promise {
      auto rp = self->make_response_promise();
      if (req.count == 0 || req.count > 1000 || req.size == 0 || req.size > 64 * 1024)
        rp.deliver(make_error(routing_errc::bad_rule, "ping: count 1..1000, size 1..65536"));
      else
        self->spawn(pinger, caf::actor_cast<api::route_manager_actor>(self), req, rp);
      return rp;
    },
    [self](api::rt_speed_atom, api::route_speed& req) -> caf::response_promise {
      auto rp = self->make_response_promise();
      if (req.mib == 0 || req.mib > api::max_speed_mib)
        rp.deliver(make_error(routing_errc::bad_rule, "speed: mib 1.."
                                                        + std::to_string(api::max_speed_mib)));
      else
        start_speed_test(self, caf::actor_cast<api::route_manager_actor>(self), req, rp);
      return rp;
    },
    [self](api::rt_routes_atom) -> caf::response_promise {
      auto rp = self->make_response_promise();
      list_routes(self, rp);
      return rp;
    },
    [self](api::rt_service_atom, uint16_t p) -> caf::result<caf::actor> {
      auto a = self->state.ports->find(p);
      if (!a)
        return make_error(routing_errc::unavailable,
                          "nothing listens on routing port " + std::to_string(p));
      return a;
    },
    [self](rm_rf_atom, uint64_t id, const rf_answer_ptr& a) { on_rf_answer(self, id, a); },
    [self](rm_retry_atom, uint64_t id) {
      if (self->state.dials.count(id))
        ask_route_finder(self, id);
    },
    [self](rm_retry_atom, uint64_t id, bool) {
      fail(self, id, make_error(routing_errc::dial_failed, "no route within the deadline"));
    },
    [self](rm_track_atom, const accepted_path_ptr& a) {
      auto g = caf::actor_cast<caf::actor>(a->h.actor);
      auto i = self->state.groups.find(g.address());
      if (i == self->state.groups.end()) {
        self->monitor(g);
        auto& ge = self->state.groups[g.address()];
        ge.h = a->h;
        ge.initiator = false;
        ge.desc = a->e.reverse.desc;
        ge.paths.push_back({a->e.forward.key, a->e.reverse.key, {}, {}});
        return;
      }
      i->second.paths.push_back({a->e.forward.key, a->e.reverse.key, {}, {}});
    },
    [self](rm_lost_atom, const caf::actor& g, uint32_t fwd) {
      on_path_lost(self, g, route_id{fwd});
    },
    [self](rm_redial_atom, const caf::actor& g) {
      auto i = self->state.groups.find(g.address());
      if (i != self->state.groups.end() && i->second.redialing)
        path_dial(self, g);
    },
    [self](rm_prf_atom, const caf::actor& g, const rf_answer_ptr& a) { on_path_rf(self, g, a); },
  };
}

} // namespace

api::route_manager_actor spawn_route_manager(caf::actor_system& sys, route_manager_config cfg) {
  return caf::actor_cast<api::route_manager_actor>(sys.spawn(manager, std::move(cfg)));
}

} // namespace skywire::routing
