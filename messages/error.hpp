// Errors as values. Each layer has its own error enum; all of them travel as
// caf::error (code + category atom + a human-readable context string), so
// they can cross actor boundaries and be printed with describe().
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
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
/// Registration is idempotent; at most 16 categories. A `self_describing`
/// category's errors always carry their full meaning in words in the context
/// text ("dmsg error 100 - entry is not found in discovery: ..."): describe()
/// then prints only that text.
using error_code_namer = const char* (*)(uint8_t code) noexcept;
void register_error_category(caf::atom_value category, error_code_namer namer,
                             bool self_describing = false) noexcept;

/// CAF's own error codes in words ("request timed out", "the actor asked
/// has stopped"); nullptr for a value CAF does not define.
const char* describe_sec(caf::sec code) noexcept;
const char* describe_exit_reason(caf::exit_reason code) noexcept;

/// A one-line human-readable rendering of any error: CAF's codes (categories
/// "system" and "exit") in words, this project's as "category:code_name:
/// context" (only the context for a self-describing category). Never throws;
/// never prints a bare number for a code it knows.
std::string describe(const caf::error& err);

} // namespace skywire
