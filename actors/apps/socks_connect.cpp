#include "actors/apps/socks_connect.hpp"

#include <algorithm>

#include "messages/wire/socks5/socks5.hpp"

namespace skywire::apps {

namespace {

namespace s5 = wire::socks5;

/// A name reply is the longest: VER REP RSV ATYP LEN name[255] PORT.
constexpr size_t longest_reply = 4 + 1 + 255 + 2;

bool same(std::span<const uint8_t> a, std::span<const uint8_t> b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

} // namespace

bool connect_cache::is_connect(std::span<const uint8_t> bytes) {
  auto r = s5::parse_request(bytes);
  return r && *r && (*r)->consumed == bytes.size() && (*r)->value.cmd == s5::command::connect;
}

bool connect_cache::is_success(std::span<const uint8_t> reply) {
  auto r = s5::parse_reply(reply);
  return r && *r && (*r)->consumed == reply.size() && (*r)->value.code == s5::reply_code::succeeded;
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
  if (!is_success(r) || !is_connect(request))
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
  if (method != static_cast<uint8_t>(s5::method::no_auth) || !connect_cache::is_connect(bytes)) {
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
  // the reply's bytes, read by the reply decoder (wire/socks5): as many as
  // a reply can have are taken, then what it did not use is given back
  size_t before = reply_.size();
  size_t k = std::min(bytes.size(), longest_reply - before);
  reply_.insert(reply_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(k));
  auto parsed = s5::parse_reply(reply_);
  bool failed_early = reply_.size() >= 2 && reply_[1] != static_cast<uint8_t>(s5::reply_code::succeeded);
  if (!parsed || (st_ == state::expecting && failed_early)) {
    // not a reply we can read, or a failure of the request we answered:
    // the application must not take what follows for the target's
    o.mismatch = st_ == state::expecting;
    cache.forget(request_);
    st_ = state::done;
    return o;
  }
  if (!*parsed) { // need more: all of it was the reply's
    if (st_ == state::expecting)
      o.drop = k;
    return o;
  }
  size_t used = (*parsed)->consumed;
  reply_.resize(used);
  if (st_ == state::watching)
    cache.learn(request_, reply_, now);
  else
    o.drop = used - before; // the success we already gave
  st_ = state::done;
  return o;
}

} // namespace skywire::apps
