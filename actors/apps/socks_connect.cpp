#include "actors/apps/socks_connect.hpp"

#include <algorithm>

namespace skywire::apps {

namespace {

constexpr uint8_t socks_version = 5;
constexpr uint8_t cmd_connect = 1;
constexpr uint8_t atyp_ipv4 = 1;
constexpr uint8_t atyp_name = 3;
constexpr uint8_t atyp_ipv6 = 4;
constexpr uint8_t method_none = 0;
constexpr size_t longest_reply = 4 + 1 + 255 + 2;

/// The length of a request or reply (same layout) whose first bytes are
/// `head`: 0 while they do not say yet, nothing for an unknown type.
std::optional<size_t> message_size(std::span<const uint8_t> head) noexcept {
  if (head.size() < 4)
    return 0;
  switch (head[3]) {
    case atyp_ipv4:
      return 4 + 4 + 2;
    case atyp_ipv6:
      return 4 + 16 + 2;
    case atyp_name:
      if (head.size() < 5)
        return 0;
      return 4 + 1 + size_t{head[4]} + 2;
    default:
      return std::nullopt;
  }
}

bool same(std::span<const uint8_t> a, std::span<const uint8_t> b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

} // namespace

bool connect_cache::is_connect(std::span<const uint8_t> bytes) noexcept {
  if (bytes.size() < 5 || bytes[0] != socks_version || bytes[1] != cmd_connect || bytes[2] != 0)
    return false;
  if (bytes[3] == atyp_name && bytes[4] == 0)
    return false;
  auto n = message_size(bytes);
  return n && *n == bytes.size();
}

std::optional<size_t> connect_cache::reply_size(std::span<const uint8_t> head) noexcept {
  if (head.size() < 5)
    return size_t{0};
  return message_size(head);
}

std::optional<std::vector<uint8_t>> connect_cache::lookup(std::span<const uint8_t> request,
                                                          clock::time_point now) const {
  for (auto& e : entries_)
    if (same(e.request, request))
      return now - e.learned <= max_age ? std::optional{e.reply} : std::nullopt;
  return std::nullopt;
}

void connect_cache::learn(std::span<const uint8_t> request, std::span<const uint8_t> r,
                          clock::time_point now) {
  forget(request);
  auto n = reply_size(r);
  bool success = r.size() >= 5 && r[0] == socks_version && r[1] == 0 && r[2] == 0 && n
                 && *n == r.size();
  if (!success || !is_connect(request))
    return;
  if (entries_.size() >= max_entries)
    entries_.erase(entries_.begin()); // the oldest
  entries_.push_back({{request.begin(), request.end()}, {r.begin(), r.end()}, now});
}

void connect_cache::forget(std::span<const uint8_t> request) {
  std::erase_if(entries_, [&](const entry& e) { return same(e.request, request); });
}

std::optional<std::vector<uint8_t>> connect_tap::from_client(std::span<const uint8_t> bytes,
                                                             std::optional<uint8_t> method,
                                                             const connect_cache& cache,
                                                             connect_cache::clock::time_point now) {
  if (st_ != state::first)
    return std::nullopt;
  if (method != method_none || !connect_cache::is_connect(bytes)) {
    st_ = state::done; // authentication first, or not a lone CONNECT: nothing to learn
    return std::nullopt;
  }
  request_.assign(bytes.begin(), bytes.end());
  auto r = cache.lookup(bytes, now);
  st_ = r ? state::expecting : state::watching;
  answered_ = r.has_value();
  return r;
}

bool connect_tap::stream_ended(connect_cache& cache) {
  bool ours = st_ == state::expecting;
  if (ours)
    cache.forget(request_);
  st_ = state::done;
  return ours;
}

connect_tap::outcome connect_tap::from_server(std::span<const uint8_t> bytes, connect_cache& cache,
                                              connect_cache::clock::time_point now) {
  outcome o;
  if (st_ == state::first) {
    st_ = state::done; // the server spoke before the request: not ours to follow
    return o;
  }
  if (st_ == state::done)
    return o;
  // take the reply's bytes one known length at a time: its head says how
  // long it is
  size_t taken = 0;
  while (taken < bytes.size()) {
    auto n = connect_cache::reply_size(reply_);
    if (!n || *n > longest_reply) { // not a reply we can read
      if (st_ == state::expecting)
        o.mismatch = true;
      cache.forget(request_);
      st_ = state::done;
      return o;
    }
    // its first 5 bytes say its length (reply_size is 0 before them)
    size_t want = *n == 0 ? 5 - reply_.size() : *n - reply_.size();
    size_t k = std::min(want, bytes.size() - taken);
    reply_.insert(reply_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(taken),
                  bytes.begin() + static_cast<std::ptrdiff_t>(taken + k));
    taken += k;
    if (st_ == state::expecting && reply_.size() >= 2
        && (reply_[0] != socks_version || reply_[1] != 0 || (reply_.size() >= 3 && reply_[2] != 0))) {
      // the server failed the request we answered: the application must
      // not take what follows for the target's
      cache.forget(request_);
      st_ = state::done;
      o.mismatch = true;
      return o;
    }
    if (*n != 0 && reply_.size() == *n) {
      if (st_ == state::watching)
        cache.learn(request_, reply_, now);
      else
        o.drop = taken; // the success we already gave
      st_ = state::done;
      return o;
    }
  }
  if (st_ == state::expecting)
    o.drop = taken;
  return o;
}

} // namespace skywire::apps
