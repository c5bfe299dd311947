// The visor's sudph control channel to the address resolver (reference
// §3.6, "binding to the AR"): a KCP session from the shared sudph socket to
// the AR's UDP endpoint, on which a transport_core runs the transport
// handshake in handshake_only mode as initiator (SrcAddr {own pk, 0},
// DstAddr {null pk, 0}, no Noise); then
//   one bind message  {"port":"<local udp port>","addresses":[local IPs]}
//   `heartbeat`       every 10 s
//   `delBind`         on stop()
// and, for each push {"PK":..,"Addr":..} the AR sends, the 9-byte
// `holepunch` datagram to Addr from the shared socket (so the NAT lets the
// peer that is about to dial in), reported to on_push.
// A channel that dies (handshake refused, KCP dead link, a timeout) is
// opened again after a back-off (doubling from backoff_min to backoff_max,
// back to backoff_min once bound).
//
// Threads: everything on the socket's io shard; call every member there.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "actors/transport/sudph_socket.hpp"
#include "actors/transport/transport_core.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::transport {

struct ar_channel_config {
  std::chrono::milliseconds heartbeat{10'000};
  std::chrono::milliseconds backoff_min{1'000};
  std::chrono::milliseconds backoff_max{30'000};
  /// The local IPs announced in the bind message.
  std::vector<std::string> addresses;
  /// The handshake deadline (the frames; the reference's 10 s).
  std::chrono::milliseconds handshake{10'000};
};

struct ar_channel_events {
  /// The handshake passed and the bind message was sent.
  std::function<void()> on_bound;
  /// A push arrived; `punched` when its Addr parsed and `holepunch` went out.
  std::function<void(const wire::transport::ar_push&, bool punched)> on_push;
  /// A heartbeat was queued (for liveness metrics; optional).
  std::function<void()> on_heartbeat;
  /// The channel ended (a reconnect follows unless stopped).
  std::function<void(const caf::error&)> on_down;
};

class sudph_ar_channel : public std::enable_shared_from_this<sudph_ar_channel> {
public:
  using endpoint = boost::asio::ip::udp::endpoint;

  static std::shared_ptr<sudph_ar_channel> make(sudph_socket_ptr sock, endpoint ar,
                                                crypto::keypair local, ar_channel_config cfg,
                                                ar_channel_events ev);
  ~sudph_ar_channel();

  /// Opens the channel (and keeps it open).
  void start();
  /// Sends `delBind` (when bound), closes the channel, stops reconnecting.
  void stop();

  bool bound() const noexcept { return bound_; }
  uint64_t heartbeats_sent() const noexcept { return heartbeats_; }
  uint64_t pushes() const noexcept { return pushes_; }
  uint64_t bad_messages() const noexcept { return bad_messages_; }
  uint64_t connects() const noexcept { return connects_; }

private:
  sudph_ar_channel(sudph_socket_ptr sock, endpoint ar, crypto::keypair local,
                   ar_channel_config cfg, ar_channel_events ev);
  void connect();
  void on_up();
  void on_message(byte_span msg);
  void on_down(const caf::error& err);
  void heartbeat();
  bool send_text(std::string_view text);
  io::timer_service& timers();

  sudph_socket_ptr sock_;
  endpoint ar_;
  crypto::keypair local_;
  ar_channel_config cfg_;
  ar_channel_events ev_;
  std::shared_ptr<transport_core> core_;
  bool started_ = false;
  bool stopped_ = false;
  bool bound_ = false;
  std::chrono::milliseconds backoff_;
  io::timer_service::timer_id heartbeat_timer_ = 0;
  io::timer_service::timer_id reconnect_timer_ = 0;
  uint64_t heartbeats_ = 0;
  uint64_t pushes_ = 0;
  uint64_t bad_messages_ = 0;
  uint64_t connects_ = 0;
};

using sudph_ar_channel_ptr = std::shared_ptr<sudph_ar_channel>;

} // namespace skywire::transport
