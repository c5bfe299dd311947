#include "actors/services/transport_discovery/errors.hpp"

#include <caf/make_message.hpp>

#include "actors/services/http_service.hpp"

namespace skywire::services::transport_discovery {

const char* to_string(tpd_errc code) noexcept {
  switch (code) {
  case tpd_errc::bad_input: return "bad_input";
  case tpd_errc::forbidden: return "forbidden";
  case tpd_errc::forged: return "forged";
  case tpd_errc::not_found: return "not_found";
  case tpd_errc::edge_full: return "edge_full";
  case tpd_errc::rate_limited: return "rate_limited";
  case tpd_errc::full: return "full";
  case tpd_errc::unexpected: return "unexpected";
  }
  return "unknown";
}

caf::atom_value tpd_category() noexcept {
  return caf::atom("tpd");
}

namespace {
const char* code_name(uint8_t code) noexcept {
  return to_string(static_cast<tpd_errc>(code));
}
} // namespace

caf::error make_error(tpd_errc code, std::string text) {
  static const bool registered = (register_error_category(tpd_category(), code_name), true);
  (void)registered;
  return caf::error{static_cast<uint8_t>(code), tpd_category(), caf::make_message(std::move(text))};
}

unsigned status_of(const caf::error& err) noexcept {
  if (!err)
    return 200;
  if (err.category() == tpd_category()) {
    switch (static_cast<tpd_errc>(err.code())) {
    case tpd_errc::bad_input: return 400;
    case tpd_errc::forbidden: return 403;
    case tpd_errc::forged: return 403;
    case tpd_errc::not_found: return 404;
    case tpd_errc::edge_full: return 422;
    case tpd_errc::rate_limited: return 429;
    case tpd_errc::full: return 503;
    case tpd_errc::unexpected: return 500;
    }
  }
  if (err.category() == wire_category())
    return 400;
  return 500;
}

std::string text_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (err.category() == tpd_category() && !ctx.empty() && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return describe(err);
}

http::response error_reply(unsigned status, std::string_view text) {
  return error_object_reply(status, text);
}

http::response error_reply(const caf::error& err) {
  return error_reply(status_of(err), text_of(err));
}

} // namespace skywire::services::transport_discovery
