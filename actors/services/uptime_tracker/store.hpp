// The uptime tracker's record of visors (reference §1.12), in memory.
//
// Time is cut into five-minute intervals ("slots", 288 a UTC day: slot k of
// a day is [day + 300·k s, day + 300·(k+1) s)). An accepted heartbeat at t
// marks the slot t falls in as up, which credits the 300 s of that slot; a
// second heartbeat in the same slot credits nothing more (the reference does
// the same with its rounded-timestamp cache). A day's percentage is
// up slots · 300 s / 86 400 s · 100, i.e. the mean of that day's slot
// timeline: the daily figure and the per-interval timeline are computed from
// the same bits, so they always agree. (The reference adds 300 s to the day
// of the call whatever the interval, so its daily figure and its intervals
// can disagree, beyond 100 % included; see docs/protocol/uptime-tracker.md.)
//
// A visor is online when its last heartbeat is less than 6 minutes old (the
// reference's OnlineThreshold). Bounded: at most max_visors keys, and each
// keeps `retention_days` days of slots (today included); sweep() forgets
// older days and keys silent for longer. Time is passed in (unix ns).
//
// Plain class, not thread-safe (the service actor owns it).
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "messages/ids.hpp"

namespace skywire::services::uptime_tracker {

inline constexpr int64_t slot_seconds = 300;
inline constexpr int64_t day_seconds = 86'400;
inline constexpr size_t slots_per_day = day_seconds / slot_seconds; // 288
inline constexpr int64_t online_threshold_seconds = 6 * 60;

/// The UTC day number (days since 1970-01-01) of a unix-ns time.
int64_t day_of(int64_t unix_ns) noexcept;
/// "YYYY-MM-DD" of a day number.
std::string date_text(int64_t day);
/// The day number of "YYYY-MM-DD", or nullopt.
std::optional<int64_t> parse_date(std::string_view text);
/// A day's percentage as the reference writes it: "%.2f" of
/// up_slots · 300 / 86400 · 100 ("100.00" for a full day).
std::string percent_text(size_t up_slots);

struct store_limits {
  size_t max_visors = 200'000;
  size_t retention_days = 8; ///< today and the 7 days before (the v2 daily map's span)
};

enum class heartbeat_result : uint8_t {
  credited, ///< a new slot: 300 s credited
  already,  ///< the slot was credited before: nothing more
  full,     ///< a new key and the store holds max_visors: nothing recorded
};

class uptime_store {
public:
  explicit uptime_store(store_limits limits = {}) : limits_(limits) {}

  struct day_slots {
    int64_t day = 0;
    std::bitset<slots_per_day> up;
  };
  struct visor {
    std::string version;
    std::string last_ip; ///< the last public IP seen ("" when none)
    int64_t first_seen_ns = 0;
    int64_t last_seen_ns = 0;
    std::deque<day_slots> days; ///< oldest first, at most retention_days
  };

  /// Records a heartbeat of `pk` at now_ns: version, the caller's IP when
  /// public ("" keeps the last one), and the slot of now_ns as up.
  heartbeat_result heartbeat(const public_key& pk, std::string version, std::string ip,
                           int64_t now_ns);

  const visor* find(const public_key& pk) const;
  bool online(const visor& v, int64_t now_ns) const noexcept;

  /// The 288 slots of `day` (all down when nothing is recorded).
  std::bitset<slots_per_day> timeline(const visor& v, int64_t day) const;

  /// "YYYY-MM-DD" -> percentage, for the retained days on which the visor
  /// was up at least once.
  std::map<std::string, std::string> daily(const visor& v) const;

  /// Forgets days older than the retention and visors silent since.
  void sweep(int64_t now_ns);

  const std::map<public_key, visor>& visors() const noexcept { return visors_; }
  size_t size() const noexcept { return visors_.size(); }
  const store_limits& limits() const noexcept { return limits_; }

private:
  store_limits limits_;
  std::map<public_key, visor> visors_; ///< ordered by key (the reference sorts by key)
};

} // namespace skywire::services::uptime_tracker
