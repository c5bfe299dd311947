// Giving memory back to the system after a load is gone. glibc's malloc
// keeps freed memory in its arenas (one per thread that allocated, here io
// shards and scheduler threads); after a flood of short-lived connections
// that stays in the process's RSS unless trimmed. Measured in
// docs/benchmarks.md (flood bench): glibc + malloc_trim against jemalloc.
#pragma once

#include <cstddef>

namespace skywire::system {

/// Tunes glibc's malloc for the data plane's buffer churn (a no-op
/// elsewhere); call once at the start of main, before threads start.
/// Relay and stream buffers of 64–256 KiB are allocated and freed on the io
/// threads thousands of times a second. By default glibc gives the top of a
/// thread's heap back to the kernel as soon as 128 KiB+ are free there (and
/// maps larger blocks with mmap, raising that bound as it goes), so under a
/// stream the same memory was returned (madvise) and faulted in again for
/// every few buffers: a dmsg server spent 28 % of its CPU in page faults
/// and 5 % in madvise relaying one stream (docs/benchmarks.md, session 13).
/// Now free memory stays in a heap up to trim_threshold (what `live` loads
/// left behind is still released by memory_releaser / release_free_memory)
/// and only blocks above mmap_threshold are mapped apart.
void tune_allocator() noexcept;
inline constexpr size_t allocator_trim_threshold = 8 * 1024 * 1024;
inline constexpr size_t allocator_mmap_threshold = 1024 * 1024;

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
