// What this binary is: version and build facts (for `visor info`, logs and
// `config gen`'s "version" key).
#pragma once

#include <string>

namespace skywire::system {

/// Our version, e.g. "v0.1.0".
const char* version() noexcept;
/// Compiler and build date, e.g. "g++ 12.2.0, built Nov 22 2026".
std::string build_description();

} // namespace skywire::system
