#include "actors/routing/route_id_pool.hpp"

#include "actors/routing/errors.hpp"

namespace skywire::routing {

expected<std::vector<route_id>> route_id_pool::reserve(size_t n) {
  auto last = last_.load(std::memory_order_relaxed);
  uint32_t next = 0;
  do {
    if (n > static_cast<size_t>(max_id - last))
      return make_error(routing_errc::ids_exhausted,
                        "cannot reserve " + std::to_string(n) + " after " + std::to_string(last));
    next = last + static_cast<uint32_t>(n);
  } while (!last_.compare_exchange_weak(last, next, std::memory_order_relaxed));
  std::vector<route_id> out;
  out.reserve(n);
  for (uint32_t id = last + 1; n > 0 && id <= next; ++id)
    out.push_back(route_id{id});
  return out;
}

void route_id_pool::skip_through(uint32_t id) noexcept {
  auto last = last_.load(std::memory_order_relaxed);
  while (last < id && !last_.compare_exchange_weak(last, id, std::memory_order_relaxed)) {
  }
}

} // namespace skywire::routing
