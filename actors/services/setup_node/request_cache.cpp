#include "actors/services/setup_node/request_cache.hpp"

namespace skywire::services::setup_node {

request_key make_key(const public_key& caller, const rs::bidirectional_route& r) {
  request_key k;
  k.caller = caller;
  r.desc.encode(k.route);
  for (int i = 7; i >= 0; --i)
    k.route.push_back(static_cast<uint8_t>(static_cast<uint64_t>(r.keep_alive_ns) >> (8 * i)));
  for (auto* path : {&r.forward, &r.reverse}) {
    k.route.push_back(static_cast<uint8_t>(path->size()));
    k.route.push_back(static_cast<uint8_t>(path->size() >> 8));
    for (auto& h : *path) {
      k.route.insert(k.route.end(), h.tp_id.bytes.begin(), h.tp_id.bytes.end());
      k.route.insert(k.route.end(), h.from.bytes.begin(), h.from.bytes.end());
      k.route.insert(k.route.end(), h.to.bytes.begin(), h.to.bytes.end());
    }
  }
  return k;
}

request_cache::claim request_cache::begin(const request_key& key, uint64_t new_id,
                                          clock::time_point now) {
  expire(now);
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (it->second.done)
      return {state::finished, it->second.id, &it->second.out};
    return {state::in_progress, it->second.id, nullptr};
  }
  if (!make_room(now))
    return {state::full, 0, nullptr};
  entries_.emplace(key, entry{new_id, false, {}, {}});
  by_id_.emplace(new_id, key);
  return {state::started, new_id, nullptr};
}

void request_cache::finish(uint64_t id, outcome out, clock::time_point now) {
  auto k = by_id_.find(id);
  if (k == by_id_.end())
    return;
  auto& e = entries_.at(k->second);
  e.done = true;
  e.out = std::move(out);
  e.expires = now + ttl_;
  finished_order_.emplace_back(e.expires, id);
}

void request_cache::abandon(uint64_t id) {
  if (auto k = by_id_.find(id); k != by_id_.end()) {
    entries_.erase(k->second);
    by_id_.erase(k);
  }
}

void request_cache::expire(clock::time_point now) {
  while (!finished_order_.empty() && finished_order_.front().first <= now) {
    auto id = finished_order_.front().second;
    finished_order_.pop_front();
    if (auto k = by_id_.find(id); k != by_id_.end()) {
      entries_.erase(k->second);
      by_id_.erase(k);
    }
  }
}

bool request_cache::make_room(clock::time_point) {
  if (entries_.size() < capacity_)
    return true;
  // Drop the oldest finished entry (its ttl is the shortest left).
  if (finished_order_.empty())
    return false;
  auto id = finished_order_.front().second;
  finished_order_.pop_front();
  if (auto k = by_id_.find(id); k != by_id_.end()) {
    entries_.erase(k->second);
    by_id_.erase(k);
  }
  return entries_.size() < capacity_;
}

} // namespace skywire::services::setup_node
