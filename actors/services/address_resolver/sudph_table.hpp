// The address resolver's sudph channels on one io shard (reference §3.6):
// every KCP conversation a visor opens to one of the resolver's UDP sockets
// is a sudph_channel, keyed by (socket, remote endpoint, conversation id);
// bound channels are indexed by the visor's key, one per key (a newer bind
// of the key replaces the older channel, as in the reference).
//
// A plain class, single-threaded (the shard's thread), time injected; its
// timers (KCP retransmissions, deadlines) go to a timer_service (the
// shard's wheel, or a test's manual clock). It decides, per datagram:
//   * longer than max_datagram (or truncated by the socket): oversized, dropped;
//   * not KCP-looking (fewer than 24 bytes, command byte not 81-84): garbage;
//   * of a known conversation: to its channel (a datagram the channel's KCP
//     refuses is counted and changes nothing);
//   * else, a well-formed first datagram of a conversation (a PUSH with
//     sn 0) opens a channel, within the bounds below; anything else is a
//     stray (e.g. heartbeats of a channel dropped earlier).
// Bounds: channels in all and per source address (IPv4, or IPv6 /64), and
// handshakes in progress in all and per source. When the handshake budget
// or the channel budget is full, the oldest handshake in progress is
// evicted for the newcomer (a flood of spoofed first datagrams pushes out
// its own, honest handshakes finish within a round trip); established
// channels are never evicted: full of them, newcomers are refused.
// Channels past their deadline (handshake 5 s, bind 30 s, idle 3 min) or
// whose KCP link died are dropped.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "actors/services/address_resolver/sudph_channel.hpp"
#include "messages/ids.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/io/timer_service.hpp"

namespace skywire::services::address_resolver {

struct sudph_table_config {
  channel_settings channel;
  size_t max_channels = 32'768;
  size_t max_channels_per_source = 64;
  size_t max_handshakes = 256; ///< the reference's newer AR: 256 in flight
  size_t max_handshakes_per_source = 16;
  size_t max_datagram = 1500; ///< kcp-go's mtuLimit
};

/// Counters of the UDP side, readable from any thread (/metrics).
struct sudph_counters {
  std::atomic<uint64_t> datagrams{0};
  std::atomic<uint64_t> oversized{0};         ///< longer than max_datagram, dropped
  std::atomic<uint64_t> garbage{0};           ///< not KCP-looking, dropped
  std::atomic<uint64_t> stray{0};             ///< KCP of no channel and no first datagram
  std::atomic<uint64_t> refused_datagrams{0}; ///< refused by a channel's KCP
  std::atomic<uint64_t> refused_channels{0};  ///< new conversations over a bound
  std::atomic<uint64_t> evicted_handshakes{0};
  std::atomic<uint64_t> handshakes{0};        ///< completed
  std::atomic<uint64_t> failed{0};            ///< channels closed on a protocol error
  std::atomic<uint64_t> binds{0};             ///< bind messages (first and later)
  std::atomic<uint64_t> heartbeats{0};
  std::atomic<uint64_t> unbinds{0};           ///< delBind
  std::atomic<uint64_t> ignored_messages{0};
  std::atomic<uint64_t> replaced{0};          ///< bound channels replaced by a newer one of their key
  std::atomic<uint64_t> timed_out{0};         ///< handshake, bind or idle deadline passed
  std::atomic<uint64_t> dead{0};              ///< KCP link died
  std::atomic<uint64_t> dropped{0};           ///< by the service (its store refused the binding)
  std::atomic<uint64_t> pushes{0};            ///< push messages queued
  std::atomic<uint64_t> pushes_failed{0};     ///< no such channel, queue full or dead
  // gauges
  std::atomic<uint64_t> channels{0};
  std::atomic<uint64_t> handshaking{0};
  std::atomic<uint64_t> bound{0};
};

class sudph_table {
public:
  using endpoint = boost::asio::ip::udp::endpoint;
  using clock_fn = std::function<int64_t()>; ///< monotonic milliseconds
  /// Sends one datagram from socket `socket` to `to`.
  using send_fn = std::function<void(uint8_t socket, const endpoint& to, wire::kcp::byte_span)>;

  /// What the table tells the service, synchronously, on the shard's thread.
  struct listener {
    virtual ~listener() = default;
    /// A channel's bind message (first or later): `data.remote_addr` is the
    /// endpoint it was seen from, `observed` its IP.
    virtual void on_bound(const public_key& pk, const wire::transport::visor_data& data,
                          const boost::asio::ip::address& observed, uint64_t channel) = 0;
    /// A bound channel ended (delBind, replaced, timed out, dead, dropped).
    virtual void on_unbound(const public_key& pk, uint64_t channel, std::string_view why) = 0;
  };

  sudph_table(sudph_table_config cfg, io::timer_service& timers, clock_fn now_ms, send_fn send,
              listener& events);
  ~sudph_table(); ///< cancels its timers; no events
  sudph_table(const sudph_table&) = delete;
  sudph_table& operator=(const sudph_table&) = delete;

  /// One received datagram (`truncated`: the socket cut it).
  void on_datagram(uint8_t socket, const endpoint& from, wire::kcp::byte_span bytes,
                   bool truncated = false);

  enum class push_result : uint8_t { queued, no_channel, queue_full, dead };
  /// Queues `message` on the bound channel `channel` of `pk`.
  push_result push(const public_key& pk, uint64_t channel, std::string_view message);

  /// Drops the channel (the service refused its binding); no event.
  bool drop(const public_key& pk, uint64_t channel);

  /// Drops every channel, without events (shutdown).
  void clear();

  size_t size() const noexcept { return by_id_.size(); }
  /// The bound channel of a key, if any (its id).
  std::optional<uint64_t> channel_of(const public_key& pk) const;
  const sudph_counters& stats() const noexcept { return n_; }
  const sudph_table_config& config() const noexcept { return cfg_; }

private:
  struct key {
    uint8_t socket = 0;
    endpoint ep;
    uint32_t conv = 0;
    friend bool operator==(const key&, const key&) = default;
  };
  struct key_hash {
    size_t operator()(const key& k) const noexcept;
  };
  struct entry {
    uint64_t id = 0;
    key k;
    std::string source;
    std::unique_ptr<sudph_channel> ch;
    bool counted_handshake = true;
    io::timer_service::timer_id kcp_timer = 0;
    int64_t kcp_due = 0;
    io::timer_service::timer_id deadline_timer = 0;
  };
  enum class end_reason : uint8_t { unbind, replaced, timed_out, dead, failed, dropped };

  bool admit(const std::string& source);
  entry* open(const key& k, int64_t now);
  void handle_events(entry& e, std::vector<channel_event>& events, int64_t now);
  void service(entry& e, int64_t now);
  void arm_deadline(entry& e, int64_t now);
  void on_deadline(uint64_t id);
  void on_kcp_timer(uint64_t id);
  void end(uint64_t id, end_reason why, std::string_view detail);
  void left_handshake(entry& e);
  static std::string remote_text(const endpoint& ep);

  sudph_table_config cfg_;
  io::timer_service& timers_;
  clock_fn now_;
  send_fn send_;
  listener& events_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<entry>> by_id_;
  std::unordered_map<key, uint64_t, key_hash> by_key_;
  std::unordered_map<public_key, uint64_t> by_pk_;
  std::set<uint64_t> handshaking_; ///< ids in creation order
  std::unordered_map<std::string, size_t> channels_per_source_;
  std::unordered_map<std::string, size_t> handshakes_per_source_;
  std::vector<channel_event> events_scratch_;
  sudph_counters n_;
};

} // namespace skywire::services::address_resolver
