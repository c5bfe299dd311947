// The one UDP socket of a visor's sudph side (reference §3.6) and its
// demultiplexer. The address resolver's control channel, the outgoing dials
// and the listener of incoming transports share it; each received datagram
// goes to the first of, in this order:
//   1. the AR control session: every datagram whose source is the AR's UDP
//      endpoint;
//   2. an outgoing dial: datagrams that look like KCP (at least 5 bytes,
//      command byte 81-84) whose conversation id is the dial's and whose
//      source is the dialed endpoint (the reference checks the id only);
//   3. the listener: a datagram of a known incoming session (source
//      endpoint and conversation id) goes to it; a well-formed KCP datagram
//      holding a PUSH with sn 0 opens a new incoming session (a
//      kcp_link handed to the accept callback) within the bounds below;
//      STUN messages go to the NAT-type probe when one is set (set_on_stun);
//      anything else (the 9-byte `holepunch`, garbage, truncated datagrams)
//      is counted and dropped.
// Bounds: incoming sessions not yet confirmed by their owner (confirm(),
// once the transport is up) are "pending": at most max_pending of them, at
// most max_pending_per_source from one IP address, each closed after
// handshake_deadline; at most max_incoming incoming sessions in all. Input
// that does not parse never reaches an established session's data: KCP
// refuses it whole (kcp_link counts it).
//
// Threads: everything runs on the socket's io shard; call every member there
// (post to executor() from elsewhere).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "actors/transport/kcp_link.hpp"
#include "messages/error.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/io/udp_socket.hpp"

namespace skywire::transport {

struct sudph_socket_config {
  io::kcp::settings kcp = sudph_kcp_settings();
  /// KCP of the AR control session: few short messages.
  io::kcp::settings ar_kcp = [] {
    auto s = sudph_kcp_settings();
    s.snd_wnd = 8;
    s.rcv_wnd = 8;
    s.send_queue = 16;
    return s;
  }();
  size_t max_pending = 64;
  size_t max_pending_per_source = 8;
  size_t max_incoming = 1024;
  /// A pending session's life: frames 10 s + KK 5 s + settlement 20 s, and some.
  std::chrono::milliseconds handshake_deadline{40'000};
  /// Socket buffers for a few full KCP windows (the kernel caps them at
  /// net.core.rmem_max / wmem_max).
  io::udp_socket::options socket = [] {
    io::udp_socket::options o;
    o.receive_buffer = 4 * 1024 * 1024;
    o.send_buffer = 4 * 1024 * 1024;
    o.offload = true;
    return o;
  }();
};

/// What the socket dropped or refused (shard thread).
struct sudph_socket_counters {
  uint64_t holepunch_in = 0;      ///< `holepunch` datagrams (ignored)
  uint64_t holepunch_out = 0;
  uint64_t stun_in = 0;          ///< STUN messages handed to the probe
  uint64_t dropped_not_kcp = 0;   ///< neither KCP nor from the AR
  uint64_t dropped_malformed = 0; ///< KCP-looking but not a well-formed opening datagram
  uint64_t dropped_truncated = 0; ///< longer than the receive buffer
  uint64_t refused_pending = 0;   ///< a new session over the pending bounds
  uint64_t refused_incoming = 0;  ///< a new session over max_incoming
  uint64_t expired_pending = 0;   ///< pending sessions closed at their deadline
  uint64_t accepted = 0;
  uint64_t dials = 0;
};

class sudph_socket : public std::enable_shared_from_this<sudph_socket> {
public:
  using endpoint = boost::asio::ip::udp::endpoint;
  /// A new incoming session (not started: its owner starts it, e.g. as a
  /// transport_core responder, and calls confirm() once the transport is up).
  using accept_fn = std::function<void(const kcp_link_ptr&)>;

  /// Binds host:port (0 = ephemeral); nothing is read before start().
  static expected<std::shared_ptr<sudph_socket>> open(boost::asio::io_context& ctx,
                                                      const std::string& host, uint16_t port,
                                                      sudph_socket_config cfg = {});
  ~sudph_socket();

  /// Starts reading. Without an accept callback no incoming session is made.
  void start(accept_fn on_accept);
  /// Closes the socket and abandons every session (idempotent).
  void close();

  /// An outgoing KCP session to `remote` with a fresh conversation id; a
  /// `holepunch` goes to `remote` first (reference §3.6 dialing step 3).
  kcp_link_ptr dial(const endpoint& remote);
  /// The AR control session (replacing an older one, which is abandoned).
  kcp_link_ptr connect_ar(const endpoint& ar);
  /// Sends the 9-byte `holepunch` datagram.
  void send_holepunch(const endpoint& to);
  /// Told of each `holepunch` datagram received (the reference ignores
  /// them; optional, for logs and tests).
  void set_on_holepunch(std::function<void(const endpoint&)> fn) { on_holepunch_ = std::move(fn); }
  /// Takes the STUN messages that reach the listener (RFC 5389 header: the
  /// magic cookie, a length that fits), for a NAT-type probe run from this
  /// socket; unset: they are dropped as garbage.
  void set_on_stun(std::function<void(const endpoint&, std::span<const uint8_t>)> fn) {
    on_stun_ = std::move(fn);
  }
  /// An incoming session's transport is up: it is no longer pending.
  void confirm(const kcp_link& link);

  uint16_t local_port() const noexcept { return sock_->local_port(); }
  endpoint local_endpoint() const noexcept { return sock_->local_endpoint(); }
  boost::asio::io_context::executor_type executor() noexcept { return sock_->executor(); }
  boost::asio::io_context& context() noexcept { return ctx_; }
  const io::udp_socket_ptr& socket() const noexcept { return sock_; }
  const sudph_socket_counters& stats() const noexcept { return stats_; }
  size_t pending() const noexcept { return pending_; }
  size_t incoming() const noexcept { return incoming_.size(); }
  size_t dialing() const noexcept { return dials_.size(); }

private:
  struct incoming_entry {
    kcp_link_ptr link;
    bool pending = true;
  };
  using session_key = std::pair<endpoint, uint32_t>;

  sudph_socket(boost::asio::io_context& ctx, io::udp_socket_ptr sock, sudph_socket_config cfg);
  void on_batch(std::span<const io::udp_socket::datagram> batch);
  void on_datagram(const io::udp_socket::datagram& d);
  void to_listener(const io::udp_socket::datagram& d);
  void forget_incoming(const session_key& key);
  /// A datagram of a batch to `link`; the link runs once at the batch's end.
  void to_link(const kcp_link_ptr& link, std::span<const uint8_t> datagram);
  uint32_t fresh_conv();

  boost::asio::io_context& ctx_;
  io::udp_socket_ptr sock_;
  sudph_socket_config cfg_;
  accept_fn on_accept_;
  std::function<void(const endpoint&)> on_holepunch_;
  std::function<void(const endpoint&, std::span<const uint8_t>)> on_stun_;
  bool closed_ = false;
  std::optional<endpoint> ar_endpoint_;
  kcp_link_ptr ar_link_;
  std::map<uint32_t, kcp_link_ptr> dials_;
  std::map<session_key, incoming_entry> incoming_;
  std::map<boost::asio::ip::address, size_t> pending_by_source_;
  size_t pending_ = 0;
  std::mt19937 rng_;
  sudph_socket_counters stats_;
  std::vector<kcp_link_ptr> touched_; ///< links that got datagrams of the current batch
};

using sudph_socket_ptr = std::shared_ptr<sudph_socket>;

/// "ip:port" or "[v6]:port" as an endpoint (port 1-65535, an IP literal);
/// nothing when it does not parse.
std::optional<boost::asio::ip::udp::endpoint> parse_udp_endpoint(std::string_view text);

/// sudph_dial_addresses() (ar_client.hpp: when `is_local`, each local
/// address with the announced UDP port first, then `remote_addr` as the
/// resolver saw it) as endpoints: unparsable entries (port 0, not an IP
/// literal) skipped, duplicates kept once, in that order.
std::vector<boost::asio::ip::udp::endpoint>
sudph_dial_candidates(const wire::transport::visor_data& vd);

} // namespace skywire::transport
