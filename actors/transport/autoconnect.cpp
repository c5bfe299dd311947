#include "actors/transport/autoconnect.hpp"

#include <algorithm>

namespace skywire::transport {

namespace {
double ms(std::chrono::milliseconds d) {
  return static_cast<double>(d.count());
}
} // namespace

public_autoconnect::public_autoconnect(public_key self, autoconnect_params p,
                                       clock::time_point now)
  : self_(self), p_(p), next_fetch_(now),
    fetch_delay_(ms(p.fetch_every), 2, ms(std::max(p.fetch_every, p.fetch_backoff_max))) {}

public_autoconnect::peer* public_autoconnect::find(const public_key& pk) {
  for (auto& x : peers_)
    if (x.pk == pk)
      return &x;
  return nullptr;
}

size_t public_autoconnect::count(state s) const noexcept {
  return static_cast<size_t>(
    std::count_if(peers_.begin(), peers_.end(), [s](const peer& x) { return x.st == s; }));
}

size_t public_autoconnect::up() const noexcept {
  return count(state::up);
}

size_t public_autoconnect::dialing() const noexcept {
  return count(state::dialing);
}

void public_autoconnect::wait(peer& x, clock::time_point now) {
  x.st = state::idle;
  x.next_try = now + std::chrono::milliseconds{x.delay.next_ms()};
}

public_autoconnect::actions public_autoconnect::poll(clock::time_point now,
                                                     const connected_fn& connected) {
  actions out;
  size_t busy = up() + dialing();
  if (busy >= p_.target)
    return out; // at the target: rest until something drops
  size_t need = p_.target - busy;
  for (auto& x : peers_) {
    if (need == 0)
      break;
    if (x.st != state::idle || x.next_try > now || (connected && connected(x.pk)))
      continue;
    x.st = state::dialing;
    out.dial.push_back(x.pk);
    --need;
  }
  if (need > 0 && !fetching_ && next_fetch_ <= now) {
    fetching_ = true;
    out.fetch = true;
  }
  return out;
}

void public_autoconnect::fetched(const std::vector<public_key>& visors, clock::time_point now) {
  fetching_ = false;
  fetch_delay_.reset();
  next_fetch_ = now + p_.fetch_every;
  for (const auto& pk : visors) {
    if (pk == self_ || pk.is_null() || find(pk))
      continue;
    if (peers_.size() >= p_.max_candidates) {
      // forget the oldest idle candidate; none idle: the list is full of
      // transports being dialed or up, and the newcomer waits for a later fetch
      auto old = std::find_if(peers_.begin(), peers_.end(),
                              [](const peer& x) { return x.st == state::idle; });
      if (old == peers_.end())
        break;
      peers_.erase(old);
    }
    peers_.push_back(peer{pk, state::idle, now,
                          dmsg::backoff{ms(p_.peer_backoff), p_.peer_backoff_factor,
                                        ms(std::max(p_.peer_backoff, p_.peer_backoff_max))}});
  }
}

void public_autoconnect::fetch_failed(clock::time_point now) {
  fetching_ = false;
  next_fetch_ = now + std::chrono::milliseconds{fetch_delay_.next_ms()};
}

void public_autoconnect::dial_up(const public_key& pk) {
  if (auto* x = find(pk)) {
    x->st = state::up;
    x->delay.reset();
  }
}

void public_autoconnect::dial_failed(const public_key& pk, clock::time_point now) {
  if (auto* x = find(pk); x && x->st == state::dialing)
    wait(*x, now);
}

void public_autoconnect::down(const public_key& pk, clock::time_point now) {
  if (auto* x = find(pk); x && x->st == state::up)
    wait(*x, now);
}

} // namespace skywire::transport
