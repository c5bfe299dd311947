// Per-source budgets of an HTTP service (issue 8's registration limits):
// one token bucket per source network. A source may spend `burst` tokens at
// once, then `per_minute` more a minute; what a token buys is the service's
// choice (a new key, a new transport). The table of sources is bounded:
// when `max_sources` buckets are in use, a new source gets nothing until
// sweep() has forgotten the buckets that refilled.
//
// Plain class, not thread-safe (the service actor owns it); time is passed
// in (unix ns), so tests drive it directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/http/message.hpp"

namespace skywire::services {

struct source_budget_config {
  size_t burst = 256;     ///< 0 = no limit at all
  double per_minute = 60; ///< refill rate
  size_t max_sources = 100'000;
};

class source_budget {
public:
  explicit source_budget(source_budget_config cfg) : cfg_(cfg) {}

  /// Takes `n` tokens of `source`'s budget at `now_ns`. False, and nothing
  /// taken, when fewer than `n` are left or the table of sources is full.
  bool take(const std::string& source, size_t n, int64_t now_ns);

  /// Tokens `source` could spend at `now_ns`.
  double available(const std::string& source, int64_t now_ns) const;

  /// Forgets the buckets that are full again (they carry no information).
  void sweep(int64_t now_ns);

  size_t tracked() const noexcept { return buckets_.size(); }

  /// How every service answers a source past its budget: 429 with
  /// "too many new registrations from <source>: at most <burst> <items>, then
  /// <per_minute> a minute, per source address; try again later" in the
  /// service's own error shape (`reply(status, text)`), and Retry-After: 60.
  template <class Reply>
  http::response refusal(Reply&& reply, const std::string& source, std::string_view items) const {
    auto r = reply(429, refusal_text(source, items));
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  std::string refusal_text(const std::string& source, std::string_view items) const;
  const source_budget_config& config() const noexcept { return cfg_; }

private:
  struct bucket {
    double tokens = 0;
    int64_t at_ns = 0;
  };
  double refilled(const bucket& b, int64_t now_ns) const;

  source_budget_config cfg_;
  std::unordered_map<std::string, bucket> buckets_;
};

/// The source a request is charged to, from the peer's "ip:port": an IPv4
/// address (an IPv4-mapped IPv6 address counts as IPv4), or an IPv6 /64
/// written "<prefix>::/64" (one host owns a /64, so per-address limits would
/// mean nothing). A dmsghttp caller's "<pk>:<port>" is "dmsg:<pk>" (the
/// port is new for every stream). Other text is returned as it is.
std::string source_of(std::string_view remote);

} // namespace skywire::services
