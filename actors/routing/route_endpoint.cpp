#include "actors/routing/route_endpoint.hpp"

#include <thread>

#include "actors/routing/errors.hpp"
#include "actors/routing/route_group.hpp"

namespace skywire::routing {

namespace detail {

/// What the endpoint's callbacks share with the shard.
struct shard_cell {
  io::byte_link_ptr conn;                 ///< the first transport's connection (post, timers)
  std::atomic<std::thread::id> tid{};     ///< its thread, once known
  std::weak_ptr<route_group_core> core;
  bool writable_armed = false;            ///< [shard] an on_writable retry is scheduled
  std::shared_ptr<caf::actor> group = std::make_shared<caf::actor>(); ///< the group actor
};

} // namespace detail

namespace {

using detail::shard_cell;

/// Out through the forward rule `fwd`. A congested transport answers busy:
/// the core keeps the packet and waits for on_writable(), which a short
/// timer on the shard gives it (the transport has no drain event for routes).
route_group_core::write_fn make_out(const router_core_ptr& rcore, route_id fwd,
                                    const std::shared_ptr<shard_cell>& cell) {
  return [rcore, fwd, wcell = std::weak_ptr<shard_cell>(cell)](wire::routing::packet_type type,
                                                               route_id, byte_span payload) {
    auto st = route_group_core::to_send_status(rcore->send(fwd, type, payload));
    if (st == route_group_core::send_status::busy)
      if (auto c = wcell.lock(); c && !c->writable_armed) {
        c->writable_armed = true;
        c->conn->timers().schedule(std::chrono::milliseconds{2}, [wcell] {
          auto c = wcell.lock();
          if (!c)
            return;
          c->writable_armed = false;
          if (auto core = c->core.lock())
            core->on_writable();
        });
      }
    return st;
  };
}

/// In: the consume rule's packets, on the core's shard (posted there when
/// the router hands them over on another link's thread). The endpoint holds
/// the cell: the router keeps it until the group's end clears the endpoint;
/// the cell holds the core weakly. `gone` runs when the consume rule goes.
void set_in(const router_core_ptr& rcore, route_id consume, const std::shared_ptr<shard_cell>& cell,
            route_endpoint_counters* counters, std::function<void()> gone) {
  rcore->set_endpoint(
    consume,
    [c = cell, counters](const wire::routing::packet_view& p) {
      if (c->tid.load() == std::this_thread::get_id()) {
        if (auto core = c->core.lock())
          core->on_packet(p);
        return;
      }
      if (counters)
        counters->cross_shard.fetch_add(1, std::memory_order_relaxed);
      std::vector<uint8_t> copy(p.payload.begin(), p.payload.end());
      c->conn->post([wcell = std::weak_ptr<shard_cell>(c), type = p.type, rid = p.rid,
                     copy = std::move(copy)] {
        auto c = wcell.lock();
        if (!c)
          return;
        if (auto core = c->core.lock())
          core->on_packet(wire::routing::packet_view{type, rid, {copy.data(), copy.size()}});
      });
    },
    std::move(gone));
}

/// A path's consume rule went (expired, removed): the path is dropped; when
/// it was the group's only one, the group is closed (the reference closes it).
std::function<void()> path_gone(const std::shared_ptr<shard_cell>& cell, route_id fwd) {
  return [wcell = std::weak_ptr<shard_cell>(cell), fwd] {
    auto c = wcell.lock();
    if (!c)
      return;
    c->conn->post([wcell, fwd] {
      auto c = wcell.lock();
      if (!c)
        return;
      auto core = c->core.lock();
      if (core && !core->has_path(fwd))
        return; // a path already replaced
      if ((!core || !core->remove_path(fwd)) && *c->group)
        caf::anon_send(*c->group, api::close_atom::value);
    });
  };
}

} // namespace

void route_handle::post(std::function<void()> fn) const {
  if (cell && cell->conn)
    cell->conn->post(std::move(fn));
}

expected<route_handle> open_route_group(const route_endpoint_env& env, const edge_rules& e,
                                        route_group_core::role side, caf::actor owner,
                                        route_endpoint_counters* counters,
                                        path_lost_fn on_path_lost,
                                        std::function<void(route_group_core&)> attach) {
  if (!env.sys || !env.router)
    return make_error(routing_errc::unavailable, "no router");
  auto link = env.router->links()->find(e.forward.next_transport);
  auto conn = link ? link->connection() : nullptr;
  if (!conn)
    return make_error(routing_errc::unavailable,
                      "the route's first transport " + e.forward.next_transport.to_string()
                        + " is not up here");
  auto cell = std::make_shared<shard_cell>();
  cell->conn = conn;
  auto rcore = env.router->core();
  route_group_core::config cfg;
  cfg.side = side;
  cfg.local = env.local;
  // the peer: the other end of the consume rule's descriptor (src = remote)
  cfg.remote = e.reverse.desc.src_pk;
  cfg.forward_rid = e.forward.key; // router_core::send looks the forward rule up
  cfg.consume_rid = e.reverse.key;
  cfg.offer = env.offer;
  cfg.t = env.timing;
  // The core dies on its shard, and never inside one of its own calls:
  // whoever drops the last reference (the group actor, the route manager,
  // an app's yamux session; on any thread), the deletion is posted onto the
  // shard (its timers may only be touched there). A post that never runs
  // (the io runtime stopped) deletes it with the handler.
  auto core = route_group_core_ptr(
    new route_group_core(std::move(cfg), conn->timers(), make_out(rcore, e.forward.key, cell)),
    [conn](route_group_core* p) { conn->post([owned = std::shared_ptr<route_group_core>(p)] {}); });
  cell->core = core;
  core->set_post_fn([conn](std::function<void()> fn) { conn->post(std::move(fn)); });
  if (on_path_lost)
    core->set_path_fn([group = cell->group, on_path_lost](route_id fwd) {
      if (*group)
        on_path_lost(*group, fwd);
    });
  conn->post([cell] { cell->tid.store(std::this_thread::get_id()); });
  set_in(rcore, e.reverse.key, cell, counters, path_gone(cell, e.forward.key));
  route_group_params params;
  params.core = core;
  params.post = [conn](std::function<void()> fn) { conn->post(std::move(fn)); };
  params.owner = std::move(owner);
  params.start = true;
  params.attach = std::move(attach);
  auto group = env.sys->spawn<route_group_actor>(std::move(params));
  *cell->group = caf::actor_cast<caf::actor>(group);
  return route_handle{caf::actor_cast<api::route_group_actor>(group), core, cell};
}

void add_route_path(const route_endpoint_env& env, const route_handle& h, const edge_rules& e,
                    bool replace, std::function<void()> refused,
                    route_endpoint_counters* counters) {
  auto rcore = env.router->core();
  auto cell = h.cell;
  auto fwd = e.forward.key;
  auto consume = e.reverse.key;
  set_in(rcore, consume, cell, counters, path_gone(cell, fwd));
  auto out = make_out(rcore, fwd, cell);
  h.post([wcell = std::weak_ptr<shard_cell>(cell), out = std::move(out), fwd, consume, replace,
          rcore, refused = std::move(refused)]() mutable {
    auto c = wcell.lock();
    auto core = c ? c->core.lock() : nullptr;
    bool ok = false;
    if (core && core->options().reliable
        && core->current_phase() == route_group_core::phase::established) {
      if (replace) {
        core->replace_path(std::move(out), fwd, consume);
        ok = true;
      } else {
        ok = core->add_path(std::move(out), fwd, consume);
      }
    }
    if (!ok) {
      rcore->clear_endpoint(consume);
      if (refused)
        refused();
    }
  });
}

} // namespace skywire::routing
