// Admission control for a listener (docs/architecture.md, "Admission"):
// which accepted connections may stay while they have not yet proven
// anything (a dmsg connection in its Noise handshake, an HTTP connection
// waiting for its request header).
//
// Such "pending" connections get their own small budget, separate from the
// established sessions of the owner (a dmsg server's max_sessions): an
// established session never holds a pending slot, so unauthenticated
// connections can never evict or lock out an established one. The budget
// has three bounds, all configurable:
//   * max_pending           pending connections in all
//   * max_pending_per_ip    from one address
//   * max_pending_per_prefix from one /24 (IPv4) or /64 (IPv6)
// A new connection over a bound does not simply bounce: the oldest idle
// pending connection of that scope is evicted (same address; same prefix,
// its heaviest address; or globally the heaviest prefix and within it the
// heaviest address), so a flood from many hosts pushes out its own
// connections first and a new source (an honest client) still gets in.
// Only when nothing in the scope is evictable (all busy) is the newcomer
// refused.
//
// The deadline a pending connection gets (handshake or request header)
// shrinks with the pressure: the configured deadline while the budget is at
// most half full, then linearly down to min_deadline when it is full.
//
// Thread-safe (one mutex; an admit is O(number of prefixes) only when it
// has to evict). Eviction callbacks run on the admitting thread, after the
// lock is released: they must only post (close a socket, message an actor).
#pragma once

#include <array>
#include <string_view>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace skywire::io {

struct admission_config {
  size_t max_pending = 256;
  size_t max_pending_per_ip = 8;
  size_t max_pending_per_prefix = 32;
  unsigned v4_prefix = 24; ///< bits of an IPv4 "source network"
  unsigned v6_prefix = 64; ///< bits of an IPv6 "source network"
  std::chrono::milliseconds deadline{5000};    ///< unloaded
  std::chrono::milliseconds min_deadline{500}; ///< budget full
};

/// Why a connection was refused or ended by admission control (also the
/// index of its counter).
enum class refusal : uint8_t {
  per_ip,        ///< newcomer refused: its address is at its bound, nothing evictable
  per_prefix,    ///< newcomer refused: its /24 or /64 is at its bound
  budget,        ///< newcomer refused: the pending budget is full of busy connections
  evicted,       ///< a pending connection was pushed out for a newcomer
  deadline,      ///< a pending connection missed its deadline (counted by the owner)
  sessions_full, ///< authenticated, but the established budget is full (owner)
  replayed,      ///< a first handshake message seen before (a replay; owner)
  count_
};

const char* to_string(refusal r) noexcept;

class admission;

/// One pending connection's slot. Released when destroyed or when the
/// owner calls release() (the connection became established, or ended).
class admission_ticket {
public:
  ~admission_ticket();
  admission_ticket(const admission_ticket&) = delete;
  admission_ticket& operator=(const admission_ticket&) = delete;

  /// The deadline this connection got when admitted (or at its last idle()).
  std::chrono::milliseconds deadline() const noexcept { return deadline_; }
  /// True once the connection was pushed out for a newcomer (the eviction
  /// callback has run or is running).
  bool evicted() const noexcept { return evicted_.load(std::memory_order_acquire); }
  /// Busy connections (a request being served) are never evicted; idle
  /// again returns a fresh deadline (the pressure now).
  void busy();
  std::chrono::milliseconds idle();
  /// Gives the slot back (idempotent).
  void release();

private:
  friend class admission;
  admission_ticket(std::shared_ptr<admission> owner, uint64_t id,
                   std::chrono::milliseconds deadline)
    : owner_(std::move(owner)), id_(id), deadline_(deadline) {}
  std::shared_ptr<admission> owner_;
  uint64_t id_;
  std::chrono::milliseconds deadline_;
  std::atomic<bool> evicted_{false};
  std::atomic<bool> released_{false};
};

using admission_ticket_ptr = std::shared_ptr<admission_ticket>;

class admission : public std::enable_shared_from_this<admission> {
public:
  static std::shared_ptr<admission> make(admission_config cfg);

  using evict_fn = std::function<void()>;

  struct decision {
    admission_ticket_ptr ticket; ///< null: refused
    refusal why = refusal::budget;
  };

  /// Admits a connection from `from` (or refuses it). `on_evict` runs if the
  /// connection is later pushed out for a newcomer.
  decision admit(const boost::asio::ip::address& from, evict_fn on_evict);

  /// The same for a source that is not an IP address (a dmsg peer: its
  /// public key), with the keys given: `source` plays the address and
  /// `network` its prefix. They are tagged, so they never meet an IP's keys.
  decision admit_keys(std::string_view source, std::string_view network, evict_fn on_evict);

  /// The deadline a connection admitted now would get.
  std::chrono::milliseconds current_deadline() const;

  /// Counts a refusal the owner decided (deadline, sessions_full).
  void count(refusal r) noexcept {
    counters_[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t counter(refusal r) const noexcept {
    return counters_[static_cast<size_t>(r)].load(std::memory_order_relaxed);
  }
  size_t pending() const;
  uint64_t admitted() const noexcept { return admitted_.load(std::memory_order_relaxed); }
  const admission_config& config() const noexcept { return cfg_; }

  /// Prometheus text: `<prefix>admission_refused_total{reason="…"}` per
  /// kind, `<prefix>admission_pending`, `<prefix>admission_admitted_total`.
  std::string metrics_text(std::string_view prefix) const;

  /// The source keys (exposed for tests): the address, and its prefix.
  using key = std::string; ///< family byte, then the (masked) address bytes
  key address_key(const boost::asio::ip::address& a) const;
  key prefix_key(const boost::asio::ip::address& a) const;

  explicit admission(admission_config cfg) : cfg_(cfg) {}

private:
  friend class admission_ticket;
  struct entry {
    key ip;
    key net;
    bool busy = false;
    evict_fn on_evict;
    std::weak_ptr<admission_ticket> ticket;
  };
  struct ip_state {
    size_t total = 0;
    std::map<uint64_t, bool> idle; ///< ids of idle entries, oldest first
  };
  struct net_state {
    size_t total = 0;
    std::unordered_map<std::string, ip_state> ips;
  };

  void release(uint64_t id);
  void set_busy(uint64_t id, bool busy);
  std::chrono::milliseconds deadline_locked() const;
  /// The victim in a scope (null net = global), or 0.
  uint64_t pick_in_ip(const ip_state& s) const;
  uint64_t pick_in_net(const net_state& n) const;
  uint64_t pick_global() const;
  decision admit_keyed(key ip, key net, evict_fn on_evict);
  /// Removes `id` (locked); returns its callback and marks its ticket.
  evict_fn take_victim(uint64_t id);
  void remove_locked(uint64_t id);

  const admission_config cfg_;
  mutable std::mutex mtx_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, entry> entries_;
  std::unordered_map<std::string, net_state> nets_;
  std::array<std::atomic<uint64_t>, static_cast<size_t>(refusal::count_)> counters_{};
  std::atomic<uint64_t> admitted_{0};
};

using admission_ptr = std::shared_ptr<admission>;

/// Parses "a.b.c.d:port", "[v6]:port" or a bare address (the form
/// remote_endpoint() and http::request::remote carry); unspecified on error.
boost::asio::ip::address parse_remote_address(std::string_view text);

} // namespace skywire::io
