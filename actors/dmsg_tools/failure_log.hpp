// How `dmsg web` and `dmsg web srv` report the end of a piped dmsg stream
// (or of its dial): an abnormal end is one line at info with its cause in
// words, the dmsg address and the local side; a clean end is a debug line.
// Info lines are rate-limited per process (at most 20 a second; the next line
// written says how many were left out), so a flood of failing streams cannot
// flood the log.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/error.hpp>

namespace skywire::dmsg_tools {

struct pipe_end {
  std::string_view component; ///< "dmsg_web", "dmsg_web_srv"
  std::string remote;         ///< the dmsg address (pk:port)
  std::string local;          ///< the local side (SOCKS client, local service)
  uint64_t bytes_to_local = 0;
  uint64_t bytes_to_remote = 0;
};

class pipe_core;

/// The end of a piped stream as the log reports it; bytes from `core` if
/// the pipe was running (null: the dial never completed).
pipe_end pipe_end_of(std::string_view component, std::string remote, std::string local,
                     const pipe_core* core);

/// One abnormal end at info: msg ("dmsg dial failed", "dmsg stream failed"),
/// cause = dmsg::failure_cause(err), error = describe(err).
void log_failure(const pipe_end& e, std::string_view msg, const caf::error& err);

/// The same with a cause given in words (a local failure, no caf::error).
void log_failure(const pipe_end& e, std::string_view msg, std::string cause,
                 std::string detail = {});

/// A clean end, at debug.
void log_clean_end(const pipe_end& e, std::string_view msg);

/// The SOCKS5 reply that tells a client why its dial failed (connection
/// refused, host unreachable, TTL expired for a timeout, ...).
uint8_t socks5_reply_for(const caf::error& dial_error) noexcept;

} // namespace skywire::dmsg_tools
