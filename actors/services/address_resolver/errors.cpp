#include "actors/services/address_resolver/errors.hpp"

#include <caf/make_message.hpp>

#include "messages/wire/json/go_json.hpp"

namespace skywire::services::address_resolver {

const char* to_string(ar_errc code) noexcept {
  switch (code) {
  case ar_errc::bad_input: return "bad_input";
  case ar_errc::forbidden: return "forbidden";
  case ar_errc::not_found: return "not_found";
  case ar_errc::rate_limited: return "rate_limited";
  case ar_errc::source_full: return "source_full";
  case ar_errc::full: return "full";
  case ar_errc::unexpected: return "unexpected";
  }
  return "unknown";
}

caf::atom_value ar_category() noexcept {
  return caf::atom("ar");
}

namespace {
const char* code_name(uint8_t code) noexcept {
  return to_string(static_cast<ar_errc>(code));
}
} // namespace

caf::error make_error(ar_errc code, std::string text) {
  static const bool registered = (register_error_category(ar_category(), code_name), true);
  (void)registered;
  return caf::error{static_cast<uint8_t>(code), ar_category(), caf::make_message(std::move(text))};
}

unsigned status_of(const caf::error& err) noexcept {
  if (!err)
    return 200;
  if (err.category() == ar_category()) {
    switch (static_cast<ar_errc>(err.code())) {
    case ar_errc::bad_input: return 400;
    case ar_errc::forbidden: return 403;
    case ar_errc::not_found: return 404;
    case ar_errc::rate_limited: return 429;
    case ar_errc::source_full: return 429;
    case ar_errc::full: return 503;
    case ar_errc::unexpected: return 500;
    }
  }
  if (err.category() == wire_category())
    return 400;
  return 500;
}

std::string text_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (err.category() == ar_category() && !ctx.empty() && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return describe(err);
}

http::response error_reply(unsigned status, std::string_view text) {
  std::string body;
  wire::json::writer w{body};
  w.begin_object().key("error").string(text).end_object();
  return http::make_response(status, std::move(body));
}

http::response error_reply(const caf::error& err) {
  return error_reply(status_of(err), text_of(err));
}

} // namespace skywire::services::address_resolver
