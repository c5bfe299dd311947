// A STUN server for the NAT-type procedure of RFC 3489 §10.1 (the one the
// visors run before offering sudph: stun_probe.hpp), with RFC 5389
// messages: it answers binding requests with XOR-MAPPED-ADDRESS (the
// source as it saw it) and OTHER-ADDRESS (its alternate address), and
// honours CHANGE-REQUEST by answering from its other IP and/or port.
//
// With an alternate address it binds four UDP sockets, primary and
// alternate IP each on the primary and alternate port; without one a
// single socket (it then names no other address and ignores change
// requests, so a client learns "unknown" rather than a wrong NAT type).
//
// Hostile input: a datagram that is not a well-formed binding request is
// counted and dropped without an answer; an answer goes to the request's
// source only (RESPONSE-ADDRESS is ignored) and is at most a few times the
// request's size; each source IP (an IPv6 /64) spends a token per answer
// from a bounded per-source budget, and a source over it gets nothing.
//
// Plain class on one io shard: open() from any thread, every other member
// on the shard's thread (stats() from any thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "actors/services/source_budget.hpp"
#include "messages/error.hpp"
#include "runtime/io/udp_socket.hpp"

namespace skywire::services::stun {

inline constexpr uint16_t default_port = 3478;

struct stun_server_config {
  /// The primary address: an IP literal (not a wildcard: an answer must
  /// leave from the address its client chose) and a port (0 = ephemeral).
  std::string host;
  uint16_t port = default_port;
  /// The alternate IP and port; both differ from the primary's.
  std::optional<std::string> other_host;
  uint16_t other_port = default_port + 1;
  /// Answers per source (a NAT-type probe needs 4 requests, a few resent).
  source_budget_config budget{64, 600, 100'000};
};

struct stun_server_counters {
  std::atomic<uint64_t> requests{0};  ///< well-formed binding requests
  std::atomic<uint64_t> answered{0};
  std::atomic<uint64_t> changed{0};   ///< answers from the other IP or port
  std::atomic<uint64_t> malformed{0}; ///< datagrams that are no binding request
  std::atomic<uint64_t> over_budget{0};
  std::atomic<uint64_t> unanswerable{0}; ///< change requests without an alternate address
};

class stun_server {
public:
  using endpoint = boost::asio::ip::udp::endpoint;

  static expected<std::unique_ptr<stun_server>> open(boost::asio::io_context& ctx,
                                                     const stun_server_config& cfg);
  ~stun_server();
  stun_server(const stun_server&) = delete;
  stun_server& operator=(const stun_server&) = delete;

  void start();
  void close();

  /// The primary address, and the alternate one when there is one.
  endpoint primary() const;
  std::optional<endpoint> other() const;
  const stun_server_counters& stats() const noexcept { return stats_; }

  /// The answer to `request` received at socket (ip, port) from `from`
  /// (ip, port: 0 = primary, 1 = alternate); nothing when there is none.
  /// Public for tests; the sockets call it.
  struct reply {
    int ip = 0;
    int port = 0;
    std::vector<uint8_t> bytes;
  };
  std::optional<reply> answer(int ip, int port, const endpoint& from,
                              std::span<const uint8_t> request);

private:
  stun_server(boost::asio::io_context& ctx, const stun_server_config& cfg);
  io::udp_socket_ptr& sock(int ip, int port) { return socks_[static_cast<size_t>(ip * 2 + port)]; }

  boost::asio::io_context& ctx_;
  stun_server_config cfg_;
  /// [ip * 2 + port]; only [0] without an alternate address
  std::vector<io::udp_socket_ptr> socks_;
  source_budget budget_;
  uint64_t since_sweep_ = 0;
  stun_server_counters stats_;
};

} // namespace skywire::services::stun
