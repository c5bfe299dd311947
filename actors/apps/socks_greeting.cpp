#include "actors/apps/socks_greeting.hpp"

#include <algorithm>

namespace skywire::apps {

namespace {

constexpr uint8_t socks_version = 5;
constexpr uint8_t no_acceptable_method = 0xFF;

} // namespace

bool greeting_cache::is_greeting(std::span<const uint8_t> bytes) noexcept {
  return bytes.size() >= 3 && bytes[0] == socks_version && bytes[1] >= 1
         && bytes.size() == size_t{2} + bytes[1];
}

std::optional<greeting_cache::reply> greeting_cache::lookup(std::span<const uint8_t> greeting) const {
  for (auto& e : entries_)
    if (std::equal(e.greeting.begin(), e.greeting.end(), greeting.begin(), greeting.end()))
      return e.answer;
  return std::nullopt;
}

void greeting_cache::learn(std::span<const uint8_t> greeting, reply r) {
  if (!is_greeting(greeting) || r[0] != socks_version || r[1] == no_acceptable_method)
    return;
  auto methods = greeting.subspan(2);
  if (std::find(methods.begin(), methods.end(), r[1]) == methods.end())
    return; // not what was offered: the server is confused, answer nothing for it
  forget(greeting);
  if (entries_.size() >= max_entries)
    entries_.erase(entries_.begin()); // the oldest
  entries_.push_back({{greeting.begin(), greeting.end()}, r});
}

void greeting_cache::forget(std::span<const uint8_t> greeting) {
  std::erase_if(entries_, [&](const entry& e) {
    return std::equal(e.greeting.begin(), e.greeting.end(), greeting.begin(), greeting.end());
  });
}

std::optional<greeting_cache::reply> greeting_tap::first_from_client(std::span<const uint8_t> bytes,
                                                                     const greeting_cache& cache) {
  if (st_ != state::first)
    return std::nullopt;
  if (!greeting_cache::is_greeting(bytes)) {
    st_ = state::done; // not a lone greeting: nothing to learn or answer
    return std::nullopt;
  }
  greeting_.assign(bytes.begin(), bytes.end());
  auto r = cache.lookup(bytes);
  if (r) {
    st_ = state::expecting;
    answered_ = true;
    seen_ = *r;
  } else {
    st_ = state::watching;
  }
  return r;
}

std::optional<uint8_t> greeting_tap::method() const noexcept {
  if ((answered_ || (st_ == state::done && have_ == seen_.size())) && seen_[0] == socks_version)
    return seen_[1];
  return std::nullopt;
}

greeting_tap::outcome greeting_tap::from_server(std::span<const uint8_t> bytes, greeting_cache& cache) {
  outcome o;
  if (st_ == state::first) {
    st_ = state::done; // the server spoke first: not SOCKS as we know it
    return o;
  }
  if (st_ == state::watching) {
    size_t k = std::min(bytes.size(), seen_.size() - have_);
    std::copy_n(bytes.begin(), k, seen_.begin() + static_cast<std::ptrdiff_t>(have_));
    have_ += k;
    o.taken = k;
    if (have_ == seen_.size()) {
      cache.learn(greeting_, seen_);
      st_ = state::done;
    }
    return o;
  }
  if (st_ == state::expecting) {
    size_t k = std::min(bytes.size(), seen_.size() - have_);
    if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(k),
                    seen_.begin() + static_cast<std::ptrdiff_t>(have_))) {
      cache.forget(greeting_);
      st_ = state::done;
      o.mismatch = true;
      return o;
    }
    have_ += k;
    o.drop = k;
    o.taken = k;
    if (have_ == seen_.size())
      st_ = state::done;
  }
  return o;
}

} // namespace skywire::apps
