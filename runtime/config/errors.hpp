// Errors of runtime/config (category atom "config"). The context string is a
// complete human-readable message, e.g.
//   "dmsg.sessions_count: expected a non-negative integer".
#pragma once

#include <cstdint>
#include <string>

#include "messages/error.hpp"

namespace skywire::config {

enum class config_errc : uint8_t {
  io_error = 1,  ///< the file cannot be read or written
  too_large,     ///< the file exceeds max_config_bytes
  syntax,        ///< not JSON (or not a JSON object)
  invalid_value, ///< a key has a value of the wrong type or out of range
  missing_key,   ///< a required key is absent
  key_mismatch,  ///< pk does not belong to sk
};

const char* to_string(config_errc x) noexcept;
caf::atom_value config_category() noexcept;
caf::error make_error(config_errc code, std::string context);

/// The human-readable message of a config error (its context string), or
/// describe(err) for other errors.
std::string message(const caf::error& err);

} // namespace skywire::config
