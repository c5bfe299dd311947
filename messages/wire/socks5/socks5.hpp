// SOCKS5 (RFC 1928) and its username/password sub-negotiation (RFC 1929):
// the server side of the handshake, as `skywire dmsg web` and skysocks need it,
// and the client side's reading of the answers (skysocks-client's HTTP proxy).
// Incremental decoders: given the bytes received so far they answer "need
// more", a parsed value with the number of bytes it used, or an error.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "messages/error.hpp"

namespace skywire::wire::socks5 {

constexpr uint8_t version = 5;

enum class method : uint8_t {
  no_auth = 0x00,
  user_pass = 0x02,
  none_acceptable = 0xff,
};

enum class command : uint8_t { connect = 1, bind = 2, udp_associate = 3 };

enum class reply_code : uint8_t {
  succeeded = 0,
  general_failure = 1,
  not_allowed = 2,
  network_unreachable = 3,
  host_unreachable = 4,
  connection_refused = 5,
  ttl_expired = 6,
  command_not_supported = 7,
  address_type_not_supported = 8,
};

/// The destination of a request: an IPv4/IPv6 address or a domain name.
struct target {
  enum class kind : uint8_t { ipv4 = 1, domain = 3, ipv6 = 4 } type = kind::ipv4;
  std::array<uint8_t, 16> ip{}; ///< first 4 bytes for IPv4
  std::string domain;          ///< 1..255 bytes, no NUL
  uint16_t port = 0;
  std::string host_string() const; ///< dotted IPv4, bracket-less IPv6 text, or the domain
};

/// A domain target whose name is an address literal in the strict text forms
/// (dotted-quad IPv4, RFC 4291 IPv6 without brackets or a zone) as the IPv4
/// or IPv6 target; any other target unchanged. Clients that let the proxy
/// resolve (curl's socks5h) send every host as a name: the server connects
/// to a literal without a lookup. Forms only a resolver reads ("127.1",
/// "fe80::1%eth0") stay names.
target numeric(target t);

struct greeting {
  std::vector<method> methods; ///< as offered, unknown values kept as their byte
  bool offers(method m) const;
};

struct request {
  command cmd = command::connect;
  target dst;
};

/// A server's reply to a request (the client side reads it).
struct reply {
  reply_code code = reply_code::succeeded; ///< as sent (unknown codes kept as their byte)
  target bound;
};

struct credentials {
  std::string user;
  std::string password;
};

/// Result of an incremental parse: nullopt = need more bytes.
template <class T>
struct parsed {
  T value;
  size_t consumed = 0;
};

template <class T>
using parse_result = expected<std::optional<parsed<T>>>;

parse_result<greeting> parse_greeting(std::span<const uint8_t> in);
parse_result<request> parse_request(std::span<const uint8_t> in);
parse_result<credentials> parse_credentials(std::span<const uint8_t> in);

/// Server answers.
std::array<uint8_t, 2> encode_method_choice(method m);
std::array<uint8_t, 2> encode_auth_status(bool ok);
/// A reply with the given bound address (0.0.0.0:0 when none).
std::vector<uint8_t> encode_reply(reply_code code, const target& bound = {});

/// Client side, used by tests and tools: encode a greeting/request.
std::vector<uint8_t> encode_greeting(std::span<const method> methods);
expected<std::vector<uint8_t>> encode_request(const request& req);
/// Client side: the server's method choice (2 bytes) and its reply to a request.
parse_result<method> parse_method_choice(std::span<const uint8_t> in);
parse_result<reply> parse_reply(std::span<const uint8_t> in);

} // namespace skywire::wire::socks5
