#include "runtime/io/timer_wheel.hpp"

#include <algorithm>

namespace skywire::io {

timer_wheel::timer_wheel(clock::time_point start, std::chrono::milliseconds tick, size_t slots)
  : start_(start), tick_(tick.count() > 0 ? tick : std::chrono::milliseconds{1}),
    slots_(slots == 0 ? 1 : slots), slot_min_(slots_.size(), UINT64_MAX) {
}

uint64_t timer_wheel::tick_of(clock::time_point t) const {
  if (t <= start_)
    return 0;
  auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(t - start_).count();
  auto per = std::chrono::duration_cast<std::chrono::nanoseconds>(tick_).count();
  return static_cast<uint64_t>((d + per - 1) / per); // round up: never early
}

timer_wheel::timer_id timer_wheel::schedule(clock::time_point now, std::chrono::nanoseconds delay,
                                            callback fn) {
  auto due = tick_of(now + std::max(delay, std::chrono::nanoseconds{0}));
  due = std::max(due, current_);
  auto s = static_cast<size_t>(due % slots_.size());
  auto id = next_id_++;
  slots_[s].push_back(entry{id, due, std::move(fn)});
  slot_min_[s] = std::min(slot_min_[s], due);
  index_.emplace(id, std::make_pair(s, std::prev(slots_[s].end())));
  return id;
}

bool timer_wheel::cancel(timer_id id) {
  auto i = index_.find(id);
  if (i == index_.end())
    return false;
  auto s = i->second.first;
  slots_[s].erase(i->second.second);
  index_.erase(i);
  if (slots_[s].empty())
    slot_min_[s] = UINT64_MAX; // otherwise it stays a lower bound
  return true;
}

size_t timer_wheel::advance(clock::time_point now) {
  // a tick is due once now reached its start
  auto per = std::chrono::duration_cast<std::chrono::nanoseconds>(tick_).count();
  auto elapsed = now <= start_ ? 0
                               : std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_)
                                   .count();
  auto target = static_cast<uint64_t>(elapsed / per);
  size_t ran = 0;
  while (current_ <= target) {
    auto si = static_cast<size_t>(current_ % slots_.size());
    auto& sl = slots_[si];
    // Collect the due entries first: callbacks may touch this slot.
    std::vector<callback> due;
    uint64_t rest = UINT64_MAX; // the exact bound of what stays
    for (auto it = sl.begin(); it != sl.end();) {
      if (it->due_tick <= current_) {
        due.push_back(std::move(it->fn));
        index_.erase(it->id);
        it = sl.erase(it);
      } else {
        rest = std::min(rest, it->due_tick);
        ++it;
      }
    }
    slot_min_[si] = rest;
    ++current_;
    for (auto& fn : due) {
      ++ran;
      if (fn)
        fn();
    }
    // Skip empty stretches quickly when nothing is pending.
    if (index_.empty()) {
      current_ = std::max(current_, target + 1);
      break;
    }
  }
  return ran;
}

std::optional<timer_wheel::clock::time_point> timer_wheel::next_due() const {
  if (index_.empty())
    return std::nullopt;
  uint64_t best = UINT64_MAX;
  // O(timers): for tests and diagnostics; the shard's driver ticks instead.
  for (const auto& kv : index_)
    best = std::min(best, kv.second.second->due_tick);
  return start_ + tick_ * static_cast<int64_t>(best);
}

std::optional<timer_wheel::clock::time_point> timer_wheel::next_wake() const {
  if (index_.empty())
    return std::nullopt;
  // each entry's due tick is a tick at which advance visits its slot, so the
  // smallest bound is when the next one may be due
  uint64_t best = *std::min_element(slot_min_.begin(), slot_min_.end());
  best = std::max(best, current_);
  return start_ + tick_ * static_cast<int64_t>(best);
}

} // namespace skywire::io
