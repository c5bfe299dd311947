// The visor's route ID counter (reference §4.1 ReserveKeys): reserve(n)
// hands out the next n IDs (last+1 ... last+n), starting at 1, never one
// twice while the process lives; it fails, handing out nothing, when the
// counter would reach 2^32-1. Thread-safe (one atomic counter).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "messages/ids.hpp"

namespace skywire::routing {

class route_id_pool {
public:
  /// `last`: the counter's start (the first ID handed out is last+1).
  explicit route_id_pool(uint32_t last = 0) : last_(last) {}

  /// The next n IDs in order (n = 0: none), or ids_exhausted.
  expected<std::vector<route_id>> reserve(size_t n);

  /// Never hands out `id` or anything below it from now on (a rule saved by
  /// hand on that key). [any]
  void skip_through(uint32_t id) noexcept;

  /// The last ID handed out (0: none yet).
  uint32_t last() const noexcept { return last_.load(std::memory_order_relaxed); }

  /// The highest ID the pool can hand out (2^32-2).
  static constexpr uint32_t max_id = 0xffff'fffeu;

private:
  std::atomic<uint32_t> last_;
};

} // namespace skywire::routing
