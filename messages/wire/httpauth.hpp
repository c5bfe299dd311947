// httpauth: PK-signed HTTP requests (reference §1.4 and errata 1).
//   payload = body bytes || decimal(nonce)       (Go: fmt.Sprintf("%s%d"))
//   SW-Public: <pk hex>  SW-Nonce: <decimal>  SW-Sig: <130 hex>
//   SW-PublicIP: <ip>    (only when sent over dmsghttp)
// Signing and verifying the payload is crypto (runtime):
//   crypto::verify(httpauth_payload(body, h.nonce), h.pk, h.sig).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "messages/ids.hpp"

namespace skywire::wire {

inline constexpr std::string_view httpauth_header_public = "SW-Public";
inline constexpr std::string_view httpauth_header_nonce = "SW-Nonce";
inline constexpr std::string_view httpauth_header_sig = "SW-Sig";
inline constexpr std::string_view httpauth_header_public_ip = "SW-PublicIP";

/// The reference's error text when the nonce is stale.
inline constexpr std::string_view httpauth_nonce_mismatch = "SW-Nonce does not match";

/// body || decimal(nonce).
std::vector<uint8_t> httpauth_payload(byte_span body, uint64_t nonce);
std::vector<uint8_t> httpauth_payload(std::string_view body, uint64_t nonce);

struct httpauth_headers {
  public_key pk;
  uint64_t nonce = 0;
  signature sig;
  std::optional<std::string> public_ip;
  friend bool operator==(const httpauth_headers&, const httpauth_headers&) = default;
};

/// The header list to attach to a request, in the order above.
std::vector<std::pair<std::string, std::string>> httpauth_header_list(const httpauth_headers& h);

/// Raw header values as received (absent = nullopt).
struct httpauth_raw_headers {
  std::optional<std::string_view> pk;
  std::optional<std::string_view> nonce;
  std::optional<std::string_view> sig;
  std::optional<std::string_view> public_ip;
};

/// Strict parse: SW-Public 66 hex digits, a valid prefix, not null;
/// SW-Nonce a decimal uint64 without sign or leading zeros; SW-Sig exactly
/// 130 hex digits, not all zero; SW-PublicIP (optional) an IP literal's
/// characters, at most 45 bytes.
expected<httpauth_headers> parse_httpauth_headers(const httpauth_raw_headers& raw);

/// GET /security/nonces/{pk} answer: {"edge":"<pk>","next_nonce":N}.
struct nonce_response {
  public_key edge;
  uint64_t next_nonce = 0;
  friend bool operator==(const nonce_response&, const nonce_response&) = default;
};
std::string encode_nonce_response(const nonce_response& r);
expected<nonce_response> decode_nonce_response(std::string_view text);

/// Auth failure body: {"error":{"message":"..","code":401}} (json.Encoder
/// form, "\n" included, as httputil.WriteJSON writes it).
struct httpauth_error {
  std::string message;
  int64_t code = 401;
  friend bool operator==(const httpauth_error&, const httpauth_error&) = default;
};
std::string encode_httpauth_error(const httpauth_error& e);
expected<httpauth_error> decode_httpauth_error(std::string_view text);

/// Whether a client should re-fetch its nonce and retry once.
bool httpauth_should_refetch_nonce(const httpauth_error& e) noexcept;

inline constexpr size_t max_httpauth_json = 8192; // room for a fully escaped message
inline constexpr size_t max_httpauth_error_message = 1024;

} // namespace skywire::wire
