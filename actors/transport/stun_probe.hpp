// NAT-type detection for sudph (reference §3.6: sudph is skipped behind a
// symmetric NAT or a symmetric UDP firewall), as the classic STUN behaviour
// tests (RFC 3489 §10.1) that Go visors run through their STUN client, with
// RFC 5389 messages (magic cookie, XOR-MAPPED-ADDRESS preferred over
// MAPPED-ADDRESS; CHANGE-REQUEST; the server's other address from
// OTHER-ADDRESS or CHANGED-ADDRESS).
//
// Two parts, neither with a socket or a clock:
//  - the codec of binding requests and responses (network input: errors as
//    values, never an exception);
//  - nat_probe, the decision procedure: it names the request to send next;
//    its owner sends it from a UDP socket, retries it as it sees fit, and
//    reports the answer or that none came (sudph_stun.hpp does it from the
//    sudph socket).
//
//   Test I   to the server                  no answer -> udp_blocked
//     mapped == local:  Test II (change ip+port) answer -> open_internet
//                                           none   -> symmetric_udp_firewall
//     else:             Test II              answer -> full_cone
//                       Test I' to the other address: mapped differs -> symmetric
//                       Test III (change port)  answer -> restricted, none -> port_restricted
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "messages/error.hpp"

namespace skywire::transport {

namespace stun {

using endpoint = boost::asio::ip::udp::endpoint;
using transaction_id = std::array<uint8_t, 12>;

inline constexpr uint32_t magic_cookie = 0x2112A442;
inline constexpr uint16_t binding_request = 0x0001;
inline constexpr uint16_t binding_success = 0x0101;
/// Longest response read (a server adds a few attributes).
inline constexpr size_t max_message = 1024;

/// A binding request; CHANGE-REQUEST is present when a flag is set.
std::vector<uint8_t> encode_request(const transaction_id& id, bool change_ip = false,
                                    bool change_port = false);

struct response {
  transaction_id id{};
  endpoint mapped;                 ///< XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS
  std::optional<endpoint> other;   ///< OTHER-ADDRESS, else CHANGED-ADDRESS
};

/// A binding success response. Errors (wire category): truncated, malformed
/// (not STUN, bad attribute lengths), unsupported (another message type),
/// bad_value (no mapped address, an unknown address family).
expected<response> decode_response(std::span<const uint8_t> bytes);

/// Encodes a response (for servers and tests).
std::vector<uint8_t> encode_response(const response& r, bool xor_mapped = true);

/// A binding request as a server reads it.
struct request {
  transaction_id id{};
  bool change_ip = false;   ///< CHANGE-REQUEST: answer from the other IP
  bool change_port = false; ///< CHANGE-REQUEST: answer from the other port
};

/// A binding request (RFC 5389: the magic cookie is required; RFC 3489
/// requests without it are refused). Attributes other than CHANGE-REQUEST
/// are skipped (RESPONSE-ADDRESS too: a server answers the source only).
/// Errors (wire category): truncated, oversized (over max_message),
/// malformed (not STUN, no cookie, bad attribute lengths), unsupported
/// (another message type).
expected<request> decode_request(std::span<const uint8_t> bytes);

} // namespace stun

enum class nat_type : uint8_t {
  unknown,                ///< the probe has not finished
  udp_blocked,
  open_internet,
  symmetric_udp_firewall,
  full_cone,
  restricted,
  port_restricted,
  symmetric,
};

const char* to_string(nat_type t) noexcept;

/// Whether sudph may run behind this NAT (the reference skips it behind the
/// two symmetric kinds; an unknown result does not stop it).
constexpr bool sudph_allowed(nat_type t) noexcept {
  return t != nat_type::symmetric && t != nat_type::symmetric_udp_firewall;
}

class nat_probe {
public:
  using endpoint = stun::endpoint;
  struct request {
    endpoint to;
    std::vector<uint8_t> datagram;
  };

  /// `local` is the socket's address as the host sees it (its IP must be
  /// the interface's, not 0.0.0.0, for the open-internet test); `ids` gives
  /// each request's transaction id (random in production).
  nat_probe(endpoint server, endpoint local, std::function<stun::transaction_id()> ids);

  /// The request to send now, once per step (nothing when finished or waiting).
  std::optional<request> next();
  /// A datagram from `from`: used when it answers the current request
  /// (Tests II and III: only from an address other than the server's).
  /// Returns whether it did.
  bool on_datagram(const endpoint& from, std::span<const uint8_t> bytes);
  /// The current request got no answer (the owner's retries are over).
  void on_no_answer();

  /// unknown until finished (and when the server could not tell: no other
  /// address, or the other address did not answer).
  nat_type result() const noexcept { return result_; }
  bool finished() const noexcept { return step_ == step::done; }
  /// The public address Test I saw.
  const std::optional<endpoint>& mapped() const noexcept { return mapped_; }

private:
  enum class step : uint8_t { test1, test2, test1_other, test3, done };
  void send(endpoint to, bool change_ip, bool change_port);
  void answered(const stun::response& r);
  void finish(nat_type t);

  endpoint server_;
  endpoint local_;
  std::function<stun::transaction_id()> ids_;
  step step_ = step::test1;
  std::optional<request> pending_;   ///< to hand out by next()
  stun::transaction_id current_{};   ///< the id of the request in flight
  bool waiting_ = false;
  std::optional<endpoint> mapped_;
  std::optional<endpoint> other_;
  nat_type result_ = nat_type::unknown;
};

} // namespace skywire::transport
