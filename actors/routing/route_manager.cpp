#include "actors/routing/route_manager.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/json.hpp>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/routing/errors.hpp"
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

} // namespace skywire::routing::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::routing::detail::rf_answer_ptr)

namespace skywire::routing {

namespace {

using detail::rf_answer;
using detail::rf_answer_ptr;
constexpr const char* component = "routes";
namespace rs = wire::rpc::route_setup;
using clock_type = std::chrono::steady_clock;

using rm_rf_atom = caf::atom_constant<caf::atom("rm_rf")>;
using rm_retry_atom = caf::atom_constant<caf::atom("rm_retry")>;
using rm_track_atom = caf::atom_constant<caf::atom("rm_track")>;

/// The listeners of routing ports; read by the setup gateway's thread.
struct port_table {
  std::mutex mtx;
  std::map<uint16_t, caf::actor> listeners;
  caf::actor find(uint16_t p) {
    std::lock_guard<std::mutex> g{mtx};
    auto i = listeners.find(p);
    return i == listeners.end() ? caf::actor{} : i->second;
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

struct group_keys {
  route_id fwd;
  route_id consume;
};

struct manager_state {
  route_manager_config cfg;
  std::shared_ptr<port_table> ports = std::make_shared<port_table>();
  std::unordered_map<uint64_t, dial_state> dials;
  std::unordered_map<caf::actor_addr, group_keys> groups;
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
                                  i->second.owner);
        if (!g) {
          st.cfg.env.router->remove_rule(e.forward.key);
          st.cfg.env.router->remove_rule(e.reverse.key);
          return fail(self, id, step_error("open the route group", g.error()));
        }
        auto group = *g;
        self->monitor(group);
        st.groups[group.address()] = group_keys{e.forward.key, e.reverse.key};
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
  r.core()->clear_endpoint(i->second.consume);
  r.remove_rule(i->second.fwd);
  r.remove_rule(i->second.consume);
  self->state.groups.erase(i);
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
  d.remote_port = api::ping_port;
  d.min_hops = req.min_hops;
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

caf::behavior manager(manager_actor* self, route_manager_config cfg) {
  self->state.cfg = std::move(cfg);
  auto& st = self->state;
  // routes set up toward us: to the listener of their port
  auto ports = st.ports;
  auto env = st.cfg.env;
  auto me = caf::actor_cast<caf::actor>(self);
  st.cfg.env.router->set_edge_acceptor(
    [ports, env, me](const public_key& from, const edge_rules& e) -> caf::error {
      auto listener = ports->find(e.desc.dst_port.value);
      if (!listener)
        return make_error(routing_errc::no_acceptor,
                          "nothing listens on routing port " + std::to_string(e.desc.dst_port.value));
      auto g = open_route_group(env, e, route_group_core::role::responder, listener);
      if (!g)
        return g.error();
      caf::anon_send(me, rm_track_atom::value, caf::actor_cast<caf::actor>(*g), e.forward.key.value,
                     e.reverse.key.value);
      caf::anon_send(listener, api::rt_accept_atom::value, *g, e.desc.src_pk,
                     e.desc.src_port.value);
      SKYWIRE_LOG(debug, component, "route accepted", log::kv("from", e.desc.src_pk.hex()),
                  log::kv("port", e.desc.dst_port.value), log::kv("setup_node", from.hex()));
      return {};
    });
  if (st.cfg.echo) {
    auto e = self->spawn<caf::linked>(route_echo);
    std::lock_guard<std::mutex> g{st.ports->mtx};
    st.ports->listeners[api::ping_port] = e;
  }
  for (auto& make : st.cfg.services)
    if (auto a = make(caf::actor_cast<api::route_manager_actor>(self)))
      self->link_to(a);
  self->set_down_handler([self](caf::down_msg& dm) {
    forget_group(self, dm.source);
    std::lock_guard<std::mutex> g{self->state.ports->mtx};
    for (auto i = self->state.ports->listeners.begin(); i != self->state.ports->listeners.end();)
      if (i->second.address() == dm.source)
        i = self->state.ports->listeners.erase(i);
      else
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
    [self](rm_track_atom, caf::actor g, uint32_t fwd, uint32_t consume) {
      self->monitor(g);
      self->state.groups[g.address()] = group_keys{route_id{fwd}, route_id{consume}};
    },
  };
}

} // namespace

api::route_manager_actor spawn_route_manager(caf::actor_system& sys, route_manager_config cfg) {
  return caf::actor_cast<api::route_manager_actor>(sys.spawn(manager, std::move(cfg)));
}

} // namespace skywire::routing
