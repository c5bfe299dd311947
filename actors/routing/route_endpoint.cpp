#include "actors/routing/route_endpoint.hpp"

#include <thread>

#include "actors/routing/errors.hpp"
#include "actors/routing/route_group.hpp"

namespace skywire::routing {

namespace {

/// What the endpoint's callbacks share with the shard.
struct shard_cell {
  io::byte_link_ptr conn;                 ///< the first transport's connection (post, timers)
  std::atomic<std::thread::id> tid{};     ///< its thread, once known
  std::weak_ptr<route_group_core> core;
  bool writable_armed = false;            ///< [shard] an on_writable retry is scheduled
};

} // namespace

expected<api::route_group_actor> open_route_group(const route_endpoint_env& env,
                                                  const edge_rules& e,
                                                  route_group_core::role side, caf::actor owner,
                                                  route_endpoint_counters* counters) {
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
  cfg.offer = env.offer;
  cfg.t = env.timing;
  // Out through the forward rule. A congested transport answers busy: the
  // core keeps the packet and waits for on_writable(), which a short timer
  // on the shard gives it (the transport has no drain event for routes).
  auto out = [rcore, fwd = e.forward.key, wcell = std::weak_ptr<shard_cell>(cell)](
               wire::routing::packet_type type, route_id, byte_span payload) {
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
  auto core = std::make_shared<route_group_core>(std::move(cfg), conn->timers(), std::move(out));
  cell->core = core;
  core->set_post_fn([conn](std::function<void()> fn) { conn->post(std::move(fn)); });
  conn->post([cell] { cell->tid.store(std::this_thread::get_id()); });
  // In: the consume rule's packets, on the core's shard (posted there when
  // the router hands them over on another link's thread).
  auto self_holder = std::make_shared<caf::actor>();
  // (The endpoint holds the cell: the router keeps it until the group's end
  // clears the endpoint; the cell holds the core weakly.)
  rcore->set_endpoint(
    e.reverse.key,
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
    [self_holder] {
      // the consume rule went (expired, removed): the reference closes the group
      if (*self_holder)
        caf::anon_send(*self_holder, api::close_atom::value);
    });
  route_group_params params;
  params.core = core;
  params.post = [conn](std::function<void()> fn) { conn->post(std::move(fn)); };
  params.owner = std::move(owner);
  params.start = true;
  auto group = env.sys->spawn<route_group_actor>(std::move(params));
  *self_holder = caf::actor_cast<caf::actor>(group);
  return caf::actor_cast<api::route_group_actor>(group);
}

} // namespace skywire::routing
