#include "actors/services/uptime_tracker/store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace skywire::services::uptime_tracker {

namespace {
constexpr int64_t ns_per_s = 1'000'000'000;

int64_t floor_div(int64_t a, int64_t b) noexcept {
  auto q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
} // namespace

int64_t day_of(int64_t unix_ns) noexcept {
  return floor_div(floor_div(unix_ns, ns_per_s), day_seconds);
}

std::string date_text(int64_t day) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<int64_t> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-')
    return std::nullopt;
  auto num = [&](size_t at, size_t n) -> std::optional<int> {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9')
        return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  auto y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (!y || !m || !d)
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*m)},
                                  std::chrono::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok())
    return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

std::string percent_text(size_t up_slots) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f",
                100.0 * static_cast<double>(up_slots * slot_seconds) / double{day_seconds});
  return buf;
}

heartbeat_result uptime_store::heartbeat(const public_key& pk, std::string version, std::string ip,
                                       int64_t now_ns) {
  auto it = visors_.find(pk);
  if (it == visors_.end()) {
    if (visors_.size() >= limits_.max_visors)
      return heartbeat_result::full;
    it = visors_.emplace(pk, visor{}).first;
    it->second.first_seen_ns = now_ns;
  }
  auto& v = it->second;
  v.version = std::move(version);
  if (!ip.empty())
    v.last_ip = std::move(ip);
  v.last_seen_ns = std::max(v.last_seen_ns, now_ns);
  auto day = day_of(now_ns);
  auto slot = static_cast<size_t>(floor_div(floor_div(now_ns, ns_per_s), slot_seconds)
                                  - day * static_cast<int64_t>(slots_per_day));
  // days in order, oldest first (a clock that went back finds its day earlier)
  auto by_day = [](const day_slots& d, int64_t x) { return d.day < x; };
  auto pos = std::lower_bound(v.days.begin(), v.days.end(), day, by_day);
  if (pos == v.days.end() || pos->day != day) {
    if (pos == v.days.begin() && v.days.size() >= limits_.retention_days)
      return heartbeat_result::already; // older than everything retained: nothing to credit
    v.days.insert(pos, day_slots{day, {}});
    while (v.days.size() > limits_.retention_days)
      v.days.pop_front();
    pos = std::lower_bound(v.days.begin(), v.days.end(), day, by_day);
  }
  auto* target = &*pos;
  if (target->up.test(slot))
    return heartbeat_result::already;
  target->up.set(slot);
  return heartbeat_result::credited;
}

const uptime_store::visor* uptime_store::find(const public_key& pk) const {
  auto it = visors_.find(pk);
  return it == visors_.end() ? nullptr : &it->second;
}

bool uptime_store::online(const visor& v, int64_t now_ns) const noexcept {
  return v.last_seen_ns + online_threshold_seconds * ns_per_s > now_ns;
}

std::bitset<slots_per_day> uptime_store::timeline(const visor& v, int64_t day) const {
  for (const auto& d : v.days)
    if (d.day == day)
      return d.up;
  return {};
}

std::map<std::string, std::string> uptime_store::daily(const visor& v) const {
  std::map<std::string, std::string> out;
  for (const auto& d : v.days)
    if (d.up.any())
      out.emplace(date_text(d.day), percent_text(d.up.count()));
  return out;
}

void uptime_store::sweep(int64_t now_ns) {
  auto first_kept = day_of(now_ns) - static_cast<int64_t>(limits_.retention_days) + 1;
  for (auto it = visors_.begin(); it != visors_.end();) {
    auto& days = it->second.days;
    while (!days.empty() && days.front().day < first_kept)
      days.pop_front();
    if (days.empty() && day_of(it->second.last_seen_ns) < first_kept)
      it = visors_.erase(it);
    else
      ++it;
  }
}

} // namespace skywire::services::uptime_tracker
