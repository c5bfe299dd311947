// A deployment of visors in one simulated world (tests/sim/sim_link.hpp,
// virtual clock): every visor has the real router state (route ID pool,
// rule table, router core on a link directory: actors/routing/router_state),
// its transports are real transport links (handshake, Noise, routing packets)
// over simulated links, its route ends are real route group cores; the
// route finder is the real graph (services/route_finder/graph) built from
// the transports that are up (what the transport discovery lists), and the
// setup node runs the real validation and rule generation
// (wire/rpc/route_setup_calls validate, services/setup_node/route_plan)
// against each visor's real gateway backend behind the real whitelist
// (routing::setup_node_whitelist). Re-establishment and multipath use the
// real path choice and path registry (actors/routing/route_paths).
//
// What is not the production code: the actors around these cores (the
// route manager, the route group actor, the setup node's and the gateway's
// dmsg streams and gob RPC) run on CAF's clock and threads, not on the
// virtual clock, so this harness drives the plain cores the way the route
// manager does (route_manager.cpp: dial -> route finder -> setup node ->
// edge rules -> route group; a lost path -> a new one, replace_path /
// add_path). The setup node's calls travel as control-plane messages of
// `control_delay` each (dmsg streams are reliable: no loss there); the data
// plane's links carry the faults.
//
// Loss: the transports here are stcpr (a stream, as TCP: a lost byte would
// be a broken transport, not a lost packet), so the faults' loss applies to
// routing packets: each transport end drops that share of the routing
// packets it delivers (seeded), before the router sees them, as a lossy
// datagram transport would; delay is the simulated link's.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "actors/routing/errors.hpp"
#include "actors/routing/route_group_core.hpp"
#include "actors/routing/route_group_errors.hpp"
#include "actors/routing/route_paths.hpp"
#include "actors/routing/router_state.hpp"
#include "actors/routing/setup_gateway.hpp"
#include "actors/services/route_finder/graph.hpp"
#include "actors/services/setup_node/route_plan.hpp"
#include "messages/wire/rpc/route_setup_calls.hpp"
#include "tests/sim/route_group_support.hpp"
#include "tests/sim/sim_transport.hpp"

namespace dep {

using namespace skywire;
using namespace skywire::routing;
using namespace std::chrono_literals;
using skywire::sim::faults;
using skywire::sim::network;
namespace wr = skywire::wire::routing;
namespace rs = skywire::wire::rpc::route_setup;
namespace tp = skywire::transport;
namespace rfg = skywire::services::route_finder;
namespace sn = skywire::services::setup_node;
using core = route_group_core;
using path = wire::routing::path;

using rg_sim::identity;
using rg_sim::pattern;

/// One end of a route: its core, what it received, what it reported.
struct group_end {
  std::shared_ptr<core> c;
  size_t at = 0; ///< the visor
  bool initiator = true;
  wr::route_descriptor desc; ///< the dialer's (src = dialer)
  uint16_t min_hops = 1, max_hops = 8;
  struct route_path {
    route_id fwd, consume; ///< our edge rules' keys
    path forward, reverse; ///< initiator: the hops
  };
  std::vector<route_path> paths;
  byte_buffer got;
  std::vector<core::event> events;
  caf::error err;
  uint64_t paths_lost = 0, redials = 0, redial_failures = 0;
  bool redialing = false;
  bool keep_multipath = false; ///< a lost path of several is replaced by another one added

  bool has(core::event e) const { return std::find(events.begin(), events.end(), e) != events.end(); }
  bool ended() const { return has(core::event::closed) || has(core::event::failed) || has(core::event::remote_closed); }
  bool up() const { return c && c->current_phase() == core::phase::established; }
};
using group_ptr = std::shared_ptr<group_end>;

struct visor {
  size_t index = 0;
  crypto::keypair keys;
  tp::link_directory_ptr links = std::make_shared<tp::link_directory>();
  router_state_ptr router;
  setup_node_whitelist whitelist{{}};
  path_registry registry;
  std::vector<group_ptr> accepted; ///< responder ends
  uint64_t refused_calls = 0;      ///< gateway calls from keys not whitelisted
};

/// What a transport carried (its routing packets, as the link directory sees them).
struct carried {
  size_t tp;
  wr::packet_type type;
  route_id rid;
  size_t size; ///< header + payload
};

struct deployment {
  network net;
  std::vector<std::unique_ptr<visor>> v;
  struct transport {
    sim::sim_transport t;
    size_t a = 0, b = 0;
    bool up = true;
  };
  std::vector<transport> tps;
  crypto::keypair setup_keys = identity("deployment setup node");
  wr::group_options offer{.reliable = true};
  core::timing timing;
  nanos control_delay = 5ms; ///< one setup-node RPC (dmsg stream, no loss)
  nanos keep_alive = 30s;    ///< of the routes' rules
  nanos redial_every = 500ms, redial_give_up = 20s;
  double packet_loss = 0; ///< share of routing packets each transport end loses
  uint64_t packets_carried = 0, packets_lost = 0;
  bool observe = false;
  std::vector<carried> seen;
  uint64_t setup_refusals = 0;

  /// n visors; `edges` joins visor pairs with a transport each (faults per direction).
  deployment(size_t n, const std::vector<std::pair<size_t, size_t>>& edges, faults f = {},
             uint64_t seed = 1)
    : net(seed) {
    for (size_t i = 0; i < n; ++i) {
      auto x = std::make_unique<visor>();
      x->index = i;
      x->keys = identity("deployment visor " + std::to_string(i));
      x->router = std::make_shared<router_state>(x->links, [this] { return net.now(); });
      x->whitelist = setup_node_whitelist{{setup_keys.pk}};
      // the transport layer: every routing packet a transport delivers is seen here first
      auto rc = x->router->core();
      x->links->set_sink([this, rc](const transport_id& from, const wr::packet_view& p) {
        ++packets_carried;
        if (packet_loss > 0 && std::uniform_real_distribution<double>{0, 1}(net.rng()) < packet_loss) {
          ++packets_lost;
          return;
        }
        if (observe)
          seen.push_back({tp_index(from), p.type, p.rid, wr::packet_header_size + p.payload.size()});
        rc->on_packet(from, p);
      });
      auto* vx = x.get();
      x->router->set_edge_acceptor(
        [this, vx](const public_key&, const edge_rules& e) { return accept(*vx, e); });
      v.push_back(std::move(x));
    }
    for (auto [a, b] : edges) {
      transport t;
      t.a = a;
      t.b = b;
      t.t = sim::join_transport(net, v[a]->keys, v[b]->keys, {}, {});
      v[a]->links->put(t.t.id, t.t.a);
      v[b]->links->put(t.t.id, t.t.b);
      tps.push_back(std::move(t));
    }
    // the faults from now on (the transports' own handshakes are not the subject)
    set_faults(f);
  }

  /// The faults of every link. A stream never reorders: the jitter becomes
  /// a fixed extra delay per transport (uniform in [0, jitter], seeded), and
  /// the loss applies to routing packets (see the top).
  void set_faults(faults f) {
    packet_loss = f.loss;
    f.loss = 0;
    auto jitter = f.jitter;
    f.jitter = 0ns;
    for (auto& t : tps) {
      auto g = f;
      if (jitter.count() > 0)
        g.delay += nanos{static_cast<int64_t>(net.rng()() % static_cast<uint64_t>(jitter.count()))};
      t.t.la->fault_config() = g;
      t.t.lb->fault_config() = g;
    }
  }

  size_t tp_index(const transport_id& id) const {
    for (size_t i = 0; i < tps.size(); ++i)
      if (tps[i].t.id == id)
        return i;
    return tps.size();
  }
  size_t visor_of(const public_key& pk) const {
    for (auto& x : v)
      if (x->keys.pk == pk)
        return x->index;
    FAIL("no such visor");
    return 0;
  }

  /// The transport goes down (its link cut): both visors drop it, the
  /// transport discovery no longer lists it.
  void cut(size_t i) {
    auto& t = tps[i];
    t.up = false;
    t.t.la->cut();
    v[t.a]->links->remove(t.t.id);
    v[t.b]->links->remove(t.t.id);
  }

  // -- the route finder ---------------------------------------------------------------------

  rfg::graph graph() const {
    std::vector<wire::transport::entry> es;
    for (auto& t : tps) {
      if (!t.up)
        continue;
      wire::transport::entry e;
      e.id = t.t.id;
      e.edges = {v[t.a]->keys.pk, v[t.b]->keys.pk};
      std::sort(e.edges.begin(), e.edges.end());
      e.type = "stcpr";
      es.push_back(e);
    }
    return rfg::graph::build(es);
  }

  std::vector<path> find(size_t from, size_t to, uint16_t min_hops, uint16_t max_hops) const {
    rfg::graph::query q;
    q.src = v[from]->keys.pk;
    q.dst = v[to]->keys.pk;
    q.min_hops = min_hops;
    q.max_hops = max_hops;
    auto r = graph().find(q);
    return r.paths;
  }

  // -- the setup node --------------------------------------------------------------------------

  using answer_fn = std::function<void(expected<rs::edge_rules>)>;

  /// A gateway call from `caller` at visor `to`: refused unless whitelisted.
  template <class F>
  auto gateway(size_t to, const public_key& caller, F&& f) -> decltype(f(*v[to]->router)) {
    auto& x = *v[to];
    if (!x.whitelist.admits(caller)) {
      ++x.refused_calls;
      return make_error(routing_errc::not_allowed, "stream refused: not in routing.route_setup_nodes");
    }
    return f(*x.router);
  }

  /// DialRouteGroup as the setup node serves it, `caller` being the node's key
  /// as the visors' gateways see it. Answers after the RPC rounds.
  void setup(const rs::bidirectional_route& route, const public_key& caller, answer_fn done) {
    auto fail = [this, done](std::string text, std::vector<std::pair<size_t, std::vector<route_id>>> installed,
                             const public_key& caller) {
      for (auto& [i, keys] : installed)
        (void)gateway(i, caller, [&](router_state& r) { return r.remove_rules(caller, keys); });
      ++setup_refusals;
      net.after(control_delay, [done, text] {
        done(make_error(routing_errc::dial_failed, text));
      });
    };
    if (auto err = rs::validate(route, 50, int64_t{3600} * 1'000'000'000))
      return fail("failure code 2 (" + describe(err) + ")", {}, caller);
    net.after(control_delay, [this, route, caller, done, fail] {
      std::map<public_key, std::vector<route_id>> reserved;
      for (auto& req : sn::id_requests(route)) {
        auto i = visor_of(req.pk);
        auto ids = gateway(i, caller, [&](router_state& r) { return r.reserve_ids(req.count); });
        if (!ids)
          return fail("failure code 4 (" + describe(ids.error()) + ")", {}, caller);
        reserved[req.pk] = *ids;
      }
      auto rules = sn::generate_rules(route, reserved);
      REQUIRE(rules);
      net.after(control_delay, [this, route, caller, done, fail, rules = *rules] {
        std::vector<std::pair<size_t, std::vector<route_id>>> installed;
        for (auto& [pk, rs_] : rules.intermediary) {
          auto i = visor_of(pk);
          if (auto err = gateway(i, caller, [&](router_state& r) { return r.add_intermediary_rules(caller, rs_); }))
            return fail("failure code 1 (" + describe(err) + ")", installed, caller);
          std::vector<route_id> keys;
          for (auto& r : rs_)
            keys.push_back(r.key);
          installed.emplace_back(i, keys);
        }
        net.after(control_delay, [this, route, caller, done, fail, rules, installed] {
          auto d = visor_of(route.desc.dst_pk);
          if (auto err = gateway(d, caller, [&](router_state& r) { return r.add_edge_rules(caller, rules.destination); }))
            return fail("failure code 1 (" + describe(err) + ")", installed, caller);
          net.after(control_delay, [done, src = rules.source] { done(src); });
        });
      });
    });
  }

  // -- route ends (what route_endpoint.cpp and route_manager.cpp do) ---------------------------

  core::write_fn writer(visor& x, route_id fwd) {
    auto rc = x.router->core();
    return [rc, fwd](wr::packet_type t, route_id, byte_span payload) {
      return core::to_send_status(rc->send(fwd, t, payload));
    };
  }

  void attach_sink(const group_ptr& g) {
    std::weak_ptr<group_end> w = g;
    g->c->set_sink([w](byte_buffer&& b) {
      auto g = w.lock();
      if (!g)
        return;
      g->got.insert(g->got.end(), b.begin(), b.end());
      g->c->consumed(b.size());
    });
    g->c->set_event_fn([w](core::event ev, const caf::error& err) {
      if (auto g = w.lock()) {
        g->events.push_back(ev);
        if (err)
          g->err = err;
      }
    });
    g->c->set_path_fn([this, w](route_id fwd) {
      // posted: the core must not see its paths change under it
      net.after(0ns, [this, w, fwd] {
        if (auto g = w.lock())
          on_path_lost(g, fwd);
      });
    });
  }

  /// Registers the consume rule's endpoint for the group's core.
  void endpoint(visor& x, const group_ptr& g, route_id consume) {
    std::weak_ptr<group_end> w = g;
    x.router->core()->set_endpoint(consume, [w](const wr::packet_view& p) {
      if (auto g = w.lock(); g && g->c)
        g->c->on_packet(p);
    });
  }

  /// The edge acceptor: a new route is a responder group, a route of a group
  /// already here (its descriptor) becomes one more path of it.
  caf::error accept(visor& x, const edge_rules& e) {
    if (auto attach = x.registry.find(e))
      return attach(e);
    auto g = std::make_shared<group_end>();
    g->at = x.index;
    g->initiator = false;
    g->desc = e.reverse.desc;
    g->paths.push_back({e.forward.key, e.reverse.key, {}, {}});
    core::config cfg;
    cfg.side = core::role::responder;
    cfg.local = x.keys;
    cfg.remote = e.reverse.desc.src_pk;
    cfg.forward_rid = e.forward.key;
    cfg.consume_rid = e.reverse.key;
    cfg.offer = offer;
    cfg.t = timing;
    cfg.clock = [this] { return net.now(); };
    g->c = std::make_shared<core>(std::move(cfg), net, writer(x, e.forward.key));
    attach_sink(g);
    endpoint(x, g, e.reverse.key);
    std::weak_ptr<group_end> w = g;
    x.registry.put(e.reverse.desc, [this, &x, w](const edge_rules& more) -> caf::error {
      auto g = w.lock();
      if (!g || !g->c->add_path(writer(x, more.forward.key), more.forward.key, more.reverse.key))
        return make_error(routing_errc::no_acceptor, "the route group takes no more paths");
      endpoint(x, g, more.reverse.key);
      g->paths.push_back({more.forward.key, more.reverse.key, {}, {}});
      return caf::error{};
    });
    x.accepted.push_back(g);
    g->c->start();
    return {};
  }

  /// The route of a dial from `from` to `to`: the paths each way (the first
  /// that avoids `avoid`, as pick_path chooses).
  std::optional<rs::bidirectional_route> plan(const group_end& g, size_t from, size_t to,
                                              const std::set<transport_id>& avoid) {
    auto fwd = find(from, to, g.min_hops, g.max_hops);
    auto rev = find(to, from, g.min_hops, g.max_hops);
    auto fi = pick_path(fwd, avoid);
    auto ri = pick_path(rev, avoid);
    if (!fi || !ri)
      return std::nullopt;
    rs::bidirectional_route r;
    r.desc = g.desc;
    r.keep_alive_ns = keep_alive.count();
    r.forward = fwd[*fi];
    r.reverse = rev[*ri];
    return r;
  }

  /// Dials a route from visor `from` to `to` (the route manager's dial):
  /// `done` once the route handshake finished or failed.
  group_ptr dial(size_t from, size_t to, uint16_t min_hops, uint16_t max_hops, uint16_t dst_port,
                 std::function<void(const group_ptr&, caf::error)> done = {}) {
    auto g = std::make_shared<group_end>();
    g->at = from;
    g->min_hops = min_hops;
    g->max_hops = max_hops;
    g->desc = wr::route_descriptor{v[from]->keys.pk, v[to]->keys.pk, port{next_port++}, port{dst_port}};
    auto r = plan(*g, from, to, {});
    if (!r) {
      if (done)
        done(g, make_error(routing_errc::dial_failed, "route finder: no route"));
      return g;
    }
    setup(*r, setup_keys.pk, [this, g, from, r = *r, done](expected<rs::edge_rules> e) {
      if (!e) {
        g->err = e.error();
        g->events.push_back(core::event::failed);
        if (done)
          done(g, e.error());
        return;
      }
      auto& x = *v[from];
      REQUIRE_FALSE(x.router->table()->install_all({e->forward, e->reverse}));
      g->paths.push_back({e->forward.key, e->reverse.key, r.forward, r.reverse});
      core::config cfg;
      cfg.side = core::role::initiator;
      cfg.local = x.keys;
      cfg.remote = e->reverse.desc.src_pk;
      cfg.forward_rid = e->forward.key;
      cfg.consume_rid = e->reverse.key;
      cfg.offer = offer;
      cfg.t = timing;
      cfg.clock = [this] { return net.now(); };
      g->c = std::make_shared<core>(std::move(cfg), net, writer(x, e->forward.key));
      attach_sink(g);
      if (done) {
        auto inner = g->c;
        std::weak_ptr<group_end> w = g;
        g->c->set_event_fn([w, done](core::event ev, const caf::error& err) {
          auto g = w.lock();
          if (!g)
            return;
          g->events.push_back(ev);
          if (err)
            g->err = err;
          if (ev == core::event::established)
            done(g, {});
          else if (std::count(g->events.begin(), g->events.end(), core::event::established) == 0)
            done(g, err ? err : make_error(routing_errc::dial_failed, "route handshake"));
        });
      }
      endpoint(x, g, e->reverse.key);
      g->c->start();
    });
    return g;
  }

  /// One more path for an established initiator group (multipath), or the
  /// replacement of `lost` (re-establishment): set up with the same
  /// descriptor, as disjoint from `avoid` as the route finder allows.
  void add_path(const group_ptr& g, std::optional<route_id> lost, std::set<transport_id> avoid,
                std::function<void(caf::error)> done = {}) {
    auto from = g->at, to = visor_of(g->desc.dst_pk);
    auto r = plan(*g, from, to, avoid);
    if (!r) {
      if (done)
        done(make_error(routing_errc::dial_failed, "route finder: no other path"));
      return;
    }
    setup(*r, setup_keys.pk, [this, g, from, r = *r, lost, done](expected<rs::edge_rules> e) {
      if (!e) {
        if (done)
          done(e.error());
        return;
      }
      auto& x = *v[from];
      REQUIRE_FALSE(x.router->table()->install_all({e->forward, e->reverse}));
      endpoint(x, g, e->reverse.key);
      bool replace = lost && g->paths.size() <= 1;
      if (replace) {
        g->c->replace_path(writer(x, e->forward.key), e->forward.key, e->reverse.key);
      } else {
        REQUIRE(g->c->add_path(writer(x, e->forward.key), e->forward.key, e->reverse.key));
      }
      if (lost)
        drop_path(*g, *lost, !replace);
      g->paths.push_back({e->forward.key, e->reverse.key, r.forward, r.reverse});
      if (done)
        done({});
    });
  }

  /// Forgets a path of the group at its visor: its rules and endpoint.
  void drop_path(group_end& g, route_id fwd, bool from_core) {
    auto i = std::find_if(g.paths.begin(), g.paths.end(), [&](auto& p) { return p.fwd == fwd; });
    if (i == g.paths.end())
      return;
    if (from_core)
      g.c->remove_path(fwd);
    auto& x = *v[g.at];
    x.router->core()->clear_endpoint(i->consume);
    x.router->remove_rule(i->fwd);
    x.router->remove_rule(i->consume);
    g.paths.erase(i);
  }

  /// The group ended: its rules and endpoints go (route_manager's forget_group).
  void forget(group_end& g) {
    auto& x = *v[g.at];
    for (auto& p : g.paths) {
      x.router->core()->clear_endpoint(p.consume);
      x.router->remove_rule(p.fwd);
      x.router->remove_rule(p.consume);
    }
    g.paths.clear();
    if (!g.initiator)
      x.registry.remove(g.desc);
  }

  /// A path was reported lost. The dialer sets up another one (bounded in
  /// time, else the group ends with a clean error); the responder drops it
  /// when it has another.
  void on_path_lost(const group_ptr& g, route_id fwd) {
    ++g->paths_lost;
    if (!g->initiator) {
      if (g->paths.size() > 1)
        drop_path(*g, fwd, true);
      return;
    }
    if (g->c->current_phase() != core::phase::established || g->redialing)
      return;
    auto i = std::find_if(g->paths.begin(), g->paths.end(), [&](auto& p) { return p.fwd == fwd; });
    if (i == g->paths.end())
      return;
    if (g->paths.size() > 1 && !g->keep_multipath) {
      drop_path(*g, fwd, true); // the other paths carry on
      return;
    }
    std::set<transport_id> avoid = path_transports(i->forward);
    for (auto& t : path_transports(i->reverse))
      avoid.insert(t);
    for (auto& p : g->paths)
      if (p.fwd != fwd)
        for (auto& t : path_transports(p.forward))
          avoid.insert(t);
    g->redialing = true;
    redial(g, fwd, avoid, net.now() + redial_give_up);
  }

  void redial(const group_ptr& g, route_id lost, std::set<transport_id> avoid, nanos deadline) {
    ++g->redials;
    add_path(g, lost, avoid, [this, g, lost, avoid, deadline](caf::error err) {
      if (!err) {
        g->redialing = false;
        return;
      }
      ++g->redial_failures;
      if (net.now() + redial_every > deadline) {
        g->redialing = false;
        g->c->abort(make_error(route_group_errc::unreachable,
                               "the route was lost and no other path was found: " + describe(err)));
        return;
      }
      net.after(redial_every, [this, g, lost, avoid, deadline] {
        if (g->c->current_phase() == core::phase::established)
          redial(g, lost, avoid, deadline);
        else
          g->redialing = false;
      });
    });
  }

  /// Writes all of data from g, waiting whenever its send queue is full.
  void send_all(const group_ptr& g, const byte_buffer& data, size_t step = 3000) {
    for (size_t off = 0; off < data.size();) {
      auto n = std::min(step, data.size() - off);
      auto r = g->c->write({data.data() + off, n});
      if (r == core::write_result::queue_full) {
        net.advance(10ms);
        continue;
      }
      REQUIRE(r == core::write_result::ok);
      off += n;
    }
  }

  /// The responder end of the dialer's group (by descriptor).
  group_ptr peer_of(const group_ptr& g) {
    for (auto& a : v[visor_of(g->desc.dst_pk)]->accepted)
      if (a->desc == g->desc)
        return a;
    return nullptr;
  }

  /// Waits (virtual time) for the dial to finish; the responder end.
  group_ptr establish(const group_ptr& g, nanos limit = 20s) {
    REQUIRE(net.run_until([&] { return g->up() || g->ended(); }, limit));
    REQUIRE(g->up());
    auto p = peer_of(g);
    REQUIRE(p);
    REQUIRE(net.run_until([&] { return p->up(); }, limit));
    return p;
  }

  size_t rules_total() const {
    size_t n = 0;
    for (auto& x : v)
      n += x->router->table()->size();
    return n;
  }

  uint16_t next_port = 49152;
};

/// Ten visors: a ring 0-1-…-9-0 with five chords (every visor has three
/// transports; between any two there are several disjoint paths).
inline std::vector<std::pair<size_t, size_t>> ten_visor_mesh() {
  std::vector<std::pair<size_t, size_t>> e;
  for (size_t i = 0; i < 10; ++i)
    e.emplace_back(i, (i + 1) % 10);
  for (auto [a, b] : {std::pair<size_t, size_t>{0, 3}, {2, 5}, {4, 7}, {6, 9}, {8, 1}})
    e.emplace_back(a, b);
  return e;
}

} // namespace dep
