#include "actors/transport/persistence.hpp"

#include <algorithm>

namespace skywire::transport {

persistent_keeper::persistent_keeper(std::vector<persistent_target> targets, backoff_params b,
                                     clock::time_point now) {
  for (auto& t : targets) {
    // a duplicate entry in the config is one target
    if (std::find(targets_.begin(), targets_.end(), t) != targets_.end())
      continue;
    targets_.push_back(std::move(t));
    slots_.push_back(slot{state::waiting, now, dmsg::backoff{b.initial_ms, b.factor, b.max_ms}});
  }
}

persistent_keeper::slot* persistent_keeper::find(const public_key& pk, std::string_view type) {
  for (size_t i = 0; i < targets_.size(); ++i)
    if (targets_[i].pk == pk && targets_[i].type == type)
      return &slots_[i];
  return nullptr;
}

bool persistent_keeper::contains(const public_key& pk, std::string_view type) const {
  return std::any_of(targets_.begin(), targets_.end(),
                     [&](const auto& t) { return t.pk == pk && t.type == type; });
}

std::vector<persistent_target> persistent_keeper::due(clock::time_point now) {
  std::vector<persistent_target> out;
  for (size_t i = 0; i < targets_.size(); ++i) {
    auto& s = slots_[i];
    if (s.st == state::waiting && s.next <= now) {
      s.st = state::dialing;
      out.push_back(targets_[i]);
    }
  }
  return out;
}

void persistent_keeper::wait(slot& s, clock::time_point now) {
  s.st = state::waiting;
  s.next = now + std::chrono::milliseconds{s.delay.next_ms()};
}

void persistent_keeper::up(const public_key& pk, std::string_view type) {
  if (auto* s = find(pk, type)) {
    s->st = state::up;
    s->delay.reset();
  }
}

void persistent_keeper::failed(const public_key& pk, std::string_view type, clock::time_point now) {
  if (auto* s = find(pk, type); s && s->st != state::up)
    wait(*s, now);
}

void persistent_keeper::down(const public_key& pk, std::string_view type, clock::time_point now) {
  if (auto* s = find(pk, type))
    wait(*s, now);
}

persistent_keeper::clock::time_point persistent_keeper::next_due() const {
  auto out = clock::time_point::max();
  for (const auto& s : slots_)
    if (s.st == state::waiting)
      out = std::min(out, s.next);
  return out;
}

} // namespace skywire::transport
