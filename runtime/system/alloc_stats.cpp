#include "runtime/system/alloc_stats.hpp"

namespace skywire::system {

namespace {
constinit alloc_counters counters;
} // namespace

alloc_counters& alloc_stats() noexcept {
  return counters;
}

} // namespace skywire::system
