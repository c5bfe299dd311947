// The dmsg discovery Entry (dmsg-protocol.md §4): the JSON document a dmsg
// client or server registers under its public key, signed by that key.
//
// Encoding reproduces the Go reference byte for byte (compact, struct field
// order, omitempty exactly as Go): the signed bytes are the entry without its
// signature. Decoding is strict and bounded: size, nesting, number of
// delegated servers and string lengths are capped; keys must be hex; numbers
// must be integers of the right range; unknown fields are ignored (as Go does).
// Signature checks are not here (messages/ has no crypto): see
// actors/services/dmsg_discovery_rules.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"

namespace skywire::wire::dmsg {

/// The version every current entry carries.
inline constexpr std::string_view entry_version = "0.0.1";

struct client_part {
  /// nullopt encodes as JSON null (Go's nil slice), an empty vector as [].
  std::optional<std::vector<public_key>> delegated_servers;
  friend bool operator==(const client_part&, const client_part&) = default;
};

struct server_part {
  std::string address;            ///< "host:port"
  int64_t available_sessions = 0; ///< JSON "availableSessions" (Go int)
  std::string server_type;        ///< JSON "serverType", omitempty (skywire-era dmsg)
  friend bool operator==(const server_part&, const server_part&) = default;
};

struct entry {
  std::string version;
  uint64_t sequence = 0;
  int64_t timestamp = 0; ///< unix nanoseconds
  public_key static_pk;  ///< JSON "static"
  std::optional<client_part> client;
  std::string client_type; ///< JSON "client_type", omitempty (skywire-era dmsg)
  std::optional<server_part> server;
  std::optional<signature> sig; ///< JSON "signature", omitempty

  bool is_server() const noexcept { return server.has_value(); }
  bool is_client() const noexcept { return client.has_value(); }
  friend bool operator==(const entry&, const entry&) = default;
};

struct decode_limits {
  size_t max_bytes = 64 * 1024;        ///< whole JSON document
  size_t max_delegated_servers = 512;
  size_t max_string = 512;             ///< address, version, client_type, serverType
  size_t max_entries = 10'000;         ///< in a list document
};

/// The bytes that are hashed and signed: the entry without "signature".
std::string encode_for_signing(const entry& e);

/// The full JSON (what a client POSTs and the discovery returns), no newline.
std::string encode(const entry& e);
void append(std::string& out, const entry& e);

/// Parses one entry. Errors are wire errors with a context naming the field.
expected<entry> decode(std::string_view json, const decode_limits& limits = {});

/// A JSON array of entries ("available_servers", "all_servers").
std::string encode_list(std::span<const entry> entries);
expected<std::vector<entry>> decode_list(std::string_view json, const decode_limits& limits = {});

/// A JSON array of public keys as hex strings ("entries", deregister body).
std::string encode_key_list(std::span<const public_key> keys);
expected<std::vector<public_key>> decode_key_list(std::string_view json,
                                                  const decode_limits& limits = {});

} // namespace skywire::wire::dmsg
