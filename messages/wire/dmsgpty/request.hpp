// dmsgpty connection requests (dmsg-protocol.md §5a): every connection to a
// dmsgpty host (dmsg stream or CLI socket) opens with [u8 len][URI], the host
// answers one byte (0 accept, 1 reject), then Go net/rpc (gob) runs on the
// same connection. The URI is a relative URL: a leading '/' is ignored, the
// path picks the endpoint, the query carries the proxy target.
// Pure functions from bytes to structs and back; errors are values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"

namespace skywire::wire::dmsgpty {

using byte_span = std::span<const uint8_t>;

inline constexpr std::string_view pty_uri = "dmsgpty/pty";
inline constexpr std::string_view whitelist_uri = "dmsgpty/whitelist";
inline constexpr std::string_view proxy_uri = "dmsgpty/proxy";
inline constexpr std::string_view pty_service = "pty";
inline constexpr std::string_view whitelist_service = "whitelist";
inline constexpr uint16_t default_port = 22;
inline constexpr size_t max_uri = 255;

inline constexpr uint8_t accept_byte = 0;
inline constexpr uint8_t reject_byte = 1;

/// [u8 len][uri]; refuses URIs longer than 255 bytes.
expected<std::vector<uint8_t>> encode_request(std::string_view uri);

/// The URI text of a complete request at the front of `in` and the bytes it
/// used; nullopt while the request is incomplete.
struct raw_request {
  std::string uri;
  size_t consumed = 0;
};
expected<std::optional<raw_request>> parse_request(byte_span in);

enum class endpoint : uint8_t { pty, whitelist, proxy };

struct request_uri {
  std::string path; ///< percent-decoded, without the leading '/'
  std::vector<std::pair<std::string, std::string>> query; ///< decoded, in order
  /// First value of a query key, or nullopt.
  std::optional<std::string> get(std::string_view key) const;
};

/// Splits a URI into path and query (a '#fragment' is dropped), decoding
/// %XX escapes and '+' in query values. Malformed escapes and control bytes
/// are refused.
expected<request_uri> parse_uri(std::string_view uri);

/// The endpoint a path names (exact match after the leading '/' is trimmed).
std::optional<endpoint> endpoint_of(const request_uri& u);

/// pk=<66 hex>&port=<1..65535> of a proxy request. Checks the hex form only;
/// whether pk is a curve point is the caller's business.
expected<address> proxy_target(const request_uri& u);

/// "dmsgpty/proxy?pk=<hex>&port=<n>", the form the reference CLI sends.
std::string proxy_request_uri(const address& target);

} // namespace skywire::wire::dmsgpty
