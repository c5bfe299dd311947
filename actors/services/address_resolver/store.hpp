// Bindings of the address resolver behind an interface, so a shared store
// can replace the in-memory one later: per network type (stcpr, sudph) a
// map public key -> binding (the reference's VisorData plus what our policy
// and limits need: the address the binder was seen from, its source, the
// sudph channel it came from, its expiry). The store does no validation
// (the API decides what may be stored); it keeps bindings, their expiry and
// two bounds per network type: bindings in all and bindings per source.
// Time is passed in (unix ns), so tests drive expiry directly.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/transport/address_resolver.hpp"

namespace skywire::services::address_resolver {

/// The transport types the address resolver binds (the reference's
/// network.Type values it accepts).
enum class network : uint8_t { stcpr, sudph };
inline constexpr std::array<network, 2> networks{network::stcpr, network::sudph};

const char* to_string(network n) noexcept;
/// "stcpr" / "sudph"; nullopt for anything else.
std::optional<network> network_of(std::string_view text) noexcept;

struct binding {
  /// remote_addr (stcpr: the bare IP; sudph: "ip:port"), port, addresses;
  /// is_local is never stored (it depends on who asks).
  wire::transport::visor_data data;
  boost::asio::ip::address observed; ///< the IP the binder was seen from
  std::string source;                ///< source_of(observed): per-source bounds
  uint64_t channel = 0;              ///< sudph: the control channel it came from
  int64_t bound_ns = 0;              ///< first bind (kept across refreshes)
  int64_t expires_ns = 0;            ///< 0 = never (sudph: as long as its channel)
  bool live(int64_t now_ns) const noexcept { return expires_ns == 0 || now_ns < expires_ns; }
};

class binding_store {
public:
  virtual ~binding_store() = default;

  /// The live binding of `pk`, or nullopt when absent or expired.
  virtual std::optional<binding> resolve(network n, const public_key& pk, int64_t now_ns) const = 0;

  /// Stores or replaces the binding of `pk` (bound_ns kept on a refresh,
  /// expiry moved to now + ttl; ttl zero = no expiry). Errors, storing
  /// nothing: ar_errc::full when the type holds max_bindings and `pk` is
  /// new, ar_errc::source_full when b.source holds max_per_source bindings
  /// of this type and `pk` is not one of them.
  virtual caf::error bind(network n, const public_key& pk, binding b,
                          std::chrono::nanoseconds ttl, int64_t now_ns) = 0;

  /// Removes the binding of `pk`; with `channel`, only if it came from that
  /// channel (a replaced sudph channel cannot remove its successor's
  /// binding). False if nothing was removed.
  virtual bool unbind(network n, const public_key& pk, int64_t now_ns,
                      std::optional<uint64_t> channel = std::nullopt) = 0;

  struct page {
    std::vector<public_key> keys; ///< in key order
    size_t total = 0;             ///< live bindings of the type
  };
  /// Live keys [offset, offset + limit) of a type.
  virtual page list(network n, size_t offset, size_t limit, int64_t now_ns) = 0;

  /// Drops expired bindings; how many were dropped since the last call.
  virtual size_t sweep(int64_t now_ns) = 0;

  /// Bindings held of a type (expired ones not yet swept included).
  virtual size_t size(network n) const = 0;

  /// Bindings of a type held for `source`.
  virtual size_t count_of_source(network n, const std::string& source) const = 0;
};

struct memory_store_limits {
  size_t max_bindings = 1'000'000; ///< per type
  size_t max_per_source = 64;      ///< per type and source
};

/// The in-memory store: per type, bindings ordered by key, an index by
/// expiry (sweeping costs O(expired · log n); every write sweeps first, so
/// what has expired never counts against a bound) and counts per source.
class memory_binding_store final : public binding_store {
public:
  explicit memory_binding_store(memory_store_limits limits = {}) : limits_(limits) {}

  std::optional<binding> resolve(network n, const public_key& pk, int64_t now_ns) const override;
  caf::error bind(network n, const public_key& pk, binding b, std::chrono::nanoseconds ttl,
                  int64_t now_ns) override;
  bool unbind(network n, const public_key& pk, int64_t now_ns,
              std::optional<uint64_t> channel = std::nullopt) override;
  page list(network n, size_t offset, size_t limit, int64_t now_ns) override;
  size_t sweep(int64_t now_ns) override;
  size_t size(network n) const override { return table(n).entries.size(); }
  size_t count_of_source(network n, const std::string& source) const override;

  const memory_store_limits& limits() const noexcept { return limits_; }

private:
  struct per_type {
    std::map<public_key, binding> entries;
    std::set<std::pair<int64_t, public_key>> by_expiry; ///< bindings with an expiry only
    std::unordered_map<std::string, size_t> sources;
  };
  per_type& table(network n) noexcept { return tables_[static_cast<size_t>(n)]; }
  const per_type& table(network n) const noexcept { return tables_[static_cast<size_t>(n)]; }
  void erase(per_type& t, std::map<public_key, binding>::iterator it);
  void drop_expired(int64_t now_ns);

  memory_store_limits limits_;
  std::array<per_type, 2> tables_;
  size_t dropped_ = 0;
};

} // namespace skywire::services::address_resolver
