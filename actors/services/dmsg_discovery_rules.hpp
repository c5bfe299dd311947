// What the dmsg discovery checks before it stores an entry (dmsg-protocol.md
// §4, plus checks the reference lacks). Plain functions; the HTTP status a
// failure maps to is part of the error (see status_of).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/dmsg/discovery_entry.hpp"

namespace skywire::services {

/// Errors of the dmsg discovery (category atom "dmsgdisc").
enum class discovery_errc : uint8_t {
  not_found = 1, ///< 404
  bad_input,     ///< 400: not a decodable entry / key
  unauthorized,  ///< 401: signature invalid or not by `static`, or NM auth failed
  validation,    ///< 422: entry fields, sequence, timestamp, address rules
  full,          ///< 503: the store's bound is reached
  unexpected,    ///< 500
};

caf::atom_value discovery_category() noexcept;
caf::error make_error(discovery_errc code, std::string context);

/// HTTP status for any error (discovery errors map as above; wire errors 400;
/// anything else 500).
unsigned status_of(const caf::error& err) noexcept;

/// The message text of an error as the reference writes it in
/// {"message":...,"code":...}.
std::string message_of(const caf::error& err);

struct validation_config {
  bool test_mode = false; ///< accept loopback / empty hosts in server addresses
  std::chrono::nanoseconds max_age = std::chrono::minutes{1};   ///< server entries
  std::chrono::nanoseconds max_ahead = std::chrono::seconds{5}; ///< server entries
};

/// Field rules of a single entry (reference Entry.Validate, plus ours):
/// version, signature, static non-null, client or server present, server
/// address non-empty host:port (loopback/unspecified refused unless test mode),
/// server timestamp within [now - max_age, now + max_ahead].
caf::error validate_fields(const wire::dmsg::entry& e, int64_t now_ns,
                           const validation_config& cfg);

/// The signature recovers to e.static_pk over SHA-256(encode_for_signing(e)).
caf::error verify_signature(const wire::dmsg::entry& e);

/// Update rules against the stored entry: sequence strictly greater, and the
/// timestamp not older.
caf::error validate_update(const wire::dmsg::entry& next, const wire::dmsg::entry& stored);

/// Whether "host:port" names a loopback, unspecified or empty host.
bool is_local_address(std::string_view host_port);

/// Network-monitor authentication for deregister: `nm_pk_hex` is on the
/// whitelist and `nm_sign_hex` is its signature over the PK's hex text.
caf::error verify_network_monitor(std::string_view nm_pk_hex, std::string_view nm_sign_hex,
                                  const std::vector<public_key>& whitelist);

} // namespace skywire::services
