// Process-wide allocation counters, for the figures of the benchmarks and the
// /metrics endpoints ("allocations per relayed frame", counted, not guessed).
// The `skywire` binary counts every operator new (cli/alloc_hooks.cpp, one
// relaxed atomic add each); binaries without the hooks report enabled=false.
#pragma once

#include <atomic>
#include <cstdint>

namespace skywire::system {

struct alloc_counters {
  std::atomic<uint64_t> allocations{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> enabled{false};
};

/// The process's counters (a constant-initialized global: usable from
/// operator new before main and in every thread).
alloc_counters& alloc_stats() noexcept;

} // namespace skywire::system
