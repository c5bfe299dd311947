// What every foreground service command (`skywire dmsg disc`, `skywire svc
// tpd`, ...) does before it starts listening.
#pragma once

#include <string>

namespace skywire::cli {

/// Sets the process log level from its name; prints why and returns false
/// for an unknown one.
bool apply_log_level(const std::string& text);

/// A listener holds a descriptor per connection it admits: use the hard
/// limit (admission control bounds how many it keeps).
void raise_nofile();

} // namespace skywire::cli
