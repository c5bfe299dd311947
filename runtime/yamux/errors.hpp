// Errors of a yamux session (category atom "yamux"): why a stream or the
// session ended. describe(err) prints "yamux: <words>: <context>".
#pragma once

#include <cstdint>
#include <string>

#include "messages/error.hpp"

namespace skywire::yamux {

enum class yamux_errc : uint8_t {
  reset = 1,      ///< the peer reset the stream (RST)
  protocol,       ///< a bad frame, a window overrun, a SYN for a live id
  go_away,        ///< the peer ended the session (GoAway; the code in the text)
  closed,         ///< the session was shut down on our side
  carrier_failed, ///< the carrier under the session failed or ended
  overflow,       ///< control frames piled up past their bound
};

const char* to_string(yamux_errc x) noexcept;

caf::atom_value yamux_category() noexcept;

caf::error make_error(yamux_errc code, std::string context = {});

bool is(const caf::error& err, yamux_errc code) noexcept;

} // namespace skywire::yamux
