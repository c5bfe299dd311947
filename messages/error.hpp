// Errors as values. Each layer has its own error enum; all of them travel as
// caf::error (code + category atom + a human-readable context string), so
// they can cross actor boundaries and be printed with describe().
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace skywire {

template <class T>
using expected = caf::expected<T>;

/// Problems with bytes that came from the network or from a file.
enum class wire_errc : uint8_t {
  truncated = 1,   ///< input ended before the structure did
  oversized,       ///< a length or count exceeds the format's bound
  malformed,       ///< bytes present but not a valid encoding
  unsupported,     ///< valid encoding of something we do not implement
  bad_value,       ///< decoded, but a field has an invalid value
};

const char* to_string(wire_errc x) noexcept;

caf::atom_value wire_category() noexcept;

/// Builds an error of the wire category with a context text.
caf::error make_error(wire_errc code, std::string context = {});

/// Lets a layer above messages/ (e.g. runtime/crypto) have describe() print
/// the code names of its own category without messages/ including it.
/// Registration is idempotent; at most 16 categories.
using error_code_namer = const char* (*)(uint8_t code) noexcept;
void register_error_category(caf::atom_value category, error_code_namer namer) noexcept;

/// A one-line human-readable rendering of any error made by this project
/// (category, code name, context). Never throws.
std::string describe(const caf::error& err);

} // namespace skywire
