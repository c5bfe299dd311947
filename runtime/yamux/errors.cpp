#include "runtime/yamux/errors.hpp"

#include <caf/make_message.hpp>

namespace skywire::yamux {

const char* to_string(yamux_errc x) noexcept {
  switch (x) {
    case yamux_errc::reset: return "stream reset by the peer";
    case yamux_errc::protocol: return "protocol error";
    case yamux_errc::go_away: return "the peer went away";
    case yamux_errc::closed: return "session closed";
    case yamux_errc::carrier_failed: return "the carrier ended";
    case yamux_errc::overflow: return "control queue overflow";
  }
  return "unknown";
}

namespace {

const char* code_name(uint8_t code) noexcept {
  return to_string(static_cast<yamux_errc>(code));
}

void register_once() {
  static const bool registered =
    (register_error_category(yamux_category(), code_name, true), true);
  (void)registered;
}

} // namespace

caf::atom_value yamux_category() noexcept {
  return caf::atom("yamux");
}

caf::error make_error(yamux_errc code, std::string context) {
  register_once();
  std::string text = std::string{"yamux: "} + to_string(code);
  if (!context.empty()) {
    text += ": ";
    text += context;
  }
  return caf::error{static_cast<uint8_t>(code), yamux_category(),
                    caf::make_message(std::move(text))};
}

bool is(const caf::error& err, yamux_errc code) noexcept {
  return err && err.category() == yamux_category() && err.code() == static_cast<uint8_t>(code);
}

} // namespace skywire::yamux
