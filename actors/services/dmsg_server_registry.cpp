#include "actors/services/dmsg_server_registry.hpp"

#include <caf/actor_cast.hpp>

namespace skywire::services {

bool dmsg_server_registry::try_acquire_slot() noexcept {
  auto cur = slots_.load(std::memory_order_relaxed);
  do {
    if (cur >= max_) {
      count_refused();
      return false;
    }
  } while (!slots_.compare_exchange_weak(cur, cur + 1, std::memory_order_relaxed));
  accepted_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void dmsg_server_registry::release_slot() noexcept {
  auto cur = slots_.load(std::memory_order_relaxed);
  while (cur > 0 && !slots_.compare_exchange_weak(cur, cur - 1, std::memory_order_relaxed)) {
  }
}

caf::actor dmsg_server_registry::add(const public_key& pk, caf::actor session,
                                     std::shared_ptr<session_detail::session_opens> opens) {
  std::shared_ptr<session_detail::session_opens> old_opens; // released unlocked
  std::lock_guard<std::mutex> guard{mtx_};
  auto& slot = map_[pk];
  caf::actor old = std::move(slot.actor);
  old_opens = std::move(slot.opens);
  slot.actor = std::move(session);
  slot.opens = std::move(opens);
  return old;
}

void dmsg_server_registry::remove(const public_key& pk, const caf::actor& session) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = map_.find(pk);
  if (i != map_.end() && i->second.actor == session)
    map_.erase(i);
}

caf::actor dmsg_server_registry::find(const public_key& pk) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = map_.find(pk);
  return i != map_.end() ? i->second.actor : caf::actor{};
}

std::shared_ptr<session_detail::session_opens>
dmsg_server_registry::find_opens(const public_key& pk) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = map_.find(pk);
  return i != map_.end() ? i->second.opens : nullptr;
}

size_t dmsg_server_registry::sessions() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return map_.size();
}

void dmsg_server_registry::track(const caf::actor& session) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (all_.insert(session.address()).second)
    live_.fetch_add(1, std::memory_order_relaxed);
}

void dmsg_server_registry::untrack(const caf::actor_addr& session) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (all_.erase(session) > 0)
    live_.fetch_sub(1, std::memory_order_relaxed);
}

std::vector<caf::actor> dmsg_server_registry::tracked() const {
  std::vector<caf::actor> out;
  std::lock_guard<std::mutex> guard{mtx_};
  out.reserve(all_.size());
  for (auto& a : all_)
    if (auto h = caf::actor_cast<caf::actor>(a))
      out.push_back(std::move(h));
  return out;
}

size_t dmsg_server_registry::available() const noexcept {
  auto used = slots();
  return used >= max_ ? 0 : max_ - used;
}

} // namespace skywire::services
