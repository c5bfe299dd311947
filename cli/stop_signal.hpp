// Foreground services (`skywire dmsg local|disc|server start|http|web …`) run
// until SIGINT or SIGTERM. Call block_stop_signals() first thing, before any
// thread exists, so every thread inherits the mask and only wait_for_stop()
// takes the signal.
#pragma once

#include <chrono>
#include <functional>

namespace skywire::cli {

void block_stop_signals();

/// Waits for SIGINT/SIGTERM, polling `keep_running` every 100 ms (return
/// false to stop waiting early). Returns the signal number, or 0 when
/// keep_running ended the wait.
int wait_for_stop(const std::function<bool()>& keep_running = {});

} // namespace skywire::cli
