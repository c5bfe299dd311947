#include "actors/routing/errors.hpp"

#include <caf/make_message.hpp>

namespace skywire::routing {

const char* to_string(routing_errc x) noexcept {
  switch (x) {
    case routing_errc::ids_exhausted: return "no more route IDs";
    case routing_errc::id_in_use: return "route ID already in use";
    case routing_errc::bad_rule: return "rule refused";
    case routing_errc::unknown_rule: return "no such rule";
    case routing_errc::rule_expired: return "rule keep-alive timeout exceeded";
    case routing_errc::no_acceptor: return "no route acceptor";
    case routing_errc::not_allowed: return "not a route setup node";
    case routing_errc::unavailable: return "no router";
    case routing_errc::dial_failed: return "route dial failed";
  }
  return "unknown";
}

namespace {

const char* code_name(uint8_t code) noexcept {
  return to_string(static_cast<routing_errc>(code));
}

void register_once() {
  static const bool registered =
    (register_error_category(routing_category(), code_name, true), true);
  (void)registered;
}

} // namespace

caf::atom_value routing_category() noexcept {
  return caf::atom("routing");
}

caf::error make_error(routing_errc code, std::string context) {
  register_once();
  std::string text = std::string{"routing: "} + to_string(code);
  if (!context.empty()) {
    text += ": ";
    text += context;
  }
  return caf::error{static_cast<uint8_t>(code), routing_category(), caf::make_message(std::move(text))};
}

bool is(const caf::error& err, routing_errc code) noexcept {
  return err && err.category() == routing_category() && err.code() == static_cast<uint8_t>(code);
}

} // namespace skywire::routing
