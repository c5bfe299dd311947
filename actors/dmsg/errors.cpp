#include "actors/dmsg/errors.hpp"

#include <caf/make_message.hpp>

namespace skywire::dmsg {

const char* to_string(client_errc x) noexcept {
  switch (x) {
    case client_errc::discovery_failed: return "discovery request failed";
    case client_errc::timeout: return "timeout";
    case client_errc::stream_reset: return "stream reset";
    case client_errc::protocol: return "protocol violation";
    case client_errc::no_ports: return "no free ephemeral port";
    case client_errc::invalid_argument: return "invalid argument";
    case client_errc::no_session: return "no session to a usable dmsg server";
    case client_errc::closed: return "closed";
  }
  return "unknown";
}

caf::atom_value client_category() noexcept {
  return caf::atom("dmsgcli");
}

caf::error make_error(client_errc code, std::string context) {
  std::string text = std::string{"dmsg client: "} + to_string(code);
  if (!context.empty()) {
    text += ": ";
    text += context;
  }
  return caf::error{static_cast<uint8_t>(code), client_category(),
                    caf::make_message(std::move(text))};
}

bool is(const caf::error& err, client_errc code) noexcept {
  return err && err.category() == client_category() && err.code() == static_cast<uint8_t>(code);
}

bool is(const caf::error& err, dmsg_errc code) noexcept {
  auto c = dmsg_code(err);
  return c && *c == code;
}

} // namespace skywire::dmsg
