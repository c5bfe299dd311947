// A limit on how often one kind of log line is written: under a flood (ten
// thousand refused connections a second) every refusal is still counted
// (metrics), but only `per_second` lines a second reach the log, and the next
// line that does says how many were left out. Thread-safe, lock-free.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace skywire::log {

class rate_limit {
public:
  explicit rate_limit(uint32_t per_second = 20) : per_second_(per_second) {}

  /// True if a line may be written now; `suppressed` is then the number of
  /// lines left out since the last one written (and is reset).
  bool allow(uint64_t& suppressed) noexcept {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
                 .count();
    auto sec = second_.load(std::memory_order_relaxed);
    if (sec != now && second_.compare_exchange_strong(sec, now, std::memory_order_relaxed))
      used_.store(0, std::memory_order_relaxed);
    if (used_.fetch_add(1, std::memory_order_relaxed) >= per_second_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    suppressed = dropped_.exchange(0, std::memory_order_relaxed);
    return true;
  }

private:
  const uint32_t per_second_;
  std::atomic<int64_t> second_{0};
  std::atomic<uint32_t> used_{0};
  std::atomic<uint64_t> dropped_{0};
};

} // namespace skywire::log
