// Giving memory back to the system after a load is gone. glibc's malloc
// keeps freed memory in its arenas (one per thread that allocated, here io
// shards and scheduler threads); after a flood of short-lived connections
// that stays in the process's RSS unless trimmed. Measured in
// docs/benchmarks.md (flood bench): glibc + malloc_trim against jemalloc.
#pragma once

#include <cstddef>

namespace skywire::system {

/// Returns free heap memory to the system (malloc_trim(0) on glibc; a no-op
/// elsewhere). Walks every arena: call it when a load has gone, not per
/// request. Thread-safe.
void release_free_memory() noexcept;

/// Calls release_free_memory() when `live` (connections, sessions…) fell
/// below half of the most seen since the last release, and that peak was at
/// least `min_peak`; then again on each of the next `settle` ticks (what the
/// load left behind is freed over a few seconds: timers of closed
/// connections, actors finishing). Call it from one periodic timer.
class memory_releaser {
public:
  explicit memory_releaser(size_t min_peak = 64, unsigned settle = 10)
    : min_peak_(min_peak), settle_(settle) {}
  /// True when it released.
  bool tick(size_t live) noexcept {
    if (live > peak_)
      peak_ = live;
    if (peak_ >= min_peak_ && live < peak_ / 2) {
      peak_ = live;
      left_ = settle_;
    }
    if (left_ == 0)
      return false;
    --left_;
    release_free_memory();
    return true;
  }

private:
  size_t min_peak_;
  unsigned settle_;
  size_t peak_ = 0;
  unsigned left_ = 0;
};

} // namespace skywire::system
