#include "actors/routing/route_group_errors.hpp"

#include <caf/make_message.hpp>

namespace skywire::routing {

const char* to_string(route_group_errc x) noexcept {
  switch (x) {
    case route_group_errc::handshake_timeout: return "handshake timeout";
    case route_group_errc::plaintext_refused: return "plaintext route refused";
    case route_group_errc::protocol: return "protocol violation";
    case route_group_errc::noise_failed: return "noise failure";
    case route_group_errc::peer_closed: return "the peer closed the route";
    case route_group_errc::peer_error: return "the peer reported an error";
    case route_group_errc::unreachable: return "peer unreachable";
    case route_group_errc::path_failed: return "path failed";
    case route_group_errc::overflow: return "receive queue overflow";
    case route_group_errc::closed: return "closed";
    case route_group_errc::invalid_argument: return "invalid argument";
  }
  return "unknown";
}

namespace {

const char* code_name(uint8_t code) noexcept {
  return to_string(static_cast<route_group_errc>(code));
}

void register_once() {
  static const bool registered =
    (register_error_category(route_group_category(), code_name, true), true);
  (void)registered;
}

} // namespace

caf::atom_value route_group_category() noexcept {
  return caf::atom("rgroup");
}

caf::error make_error(route_group_errc code, std::string context) {
  register_once();
  std::string text = std::string{"route group: "} + to_string(code);
  if (!context.empty()) {
    text += ": ";
    text += context;
  }
  return caf::error{static_cast<uint8_t>(code), route_group_category(),
                    caf::make_message(std::move(text))};
}

bool is(const caf::error& err, route_group_errc code) noexcept {
  return err && err.category() == route_group_category()
         && err.code() == static_cast<uint8_t>(code);
}

std::string ms_text(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}

} // namespace skywire::routing
