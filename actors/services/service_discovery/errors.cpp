#include "actors/services/service_discovery/errors.hpp"

#include <caf/make_message.hpp>

#include "messages/wire/json/go_json.hpp"

namespace skywire::services::service_discovery {

const char* to_string(sd_errc code) noexcept {
  switch (code) {
  case sd_errc::bad_input: return "bad_input";
  case sd_errc::forbidden: return "forbidden";
  case sd_errc::not_found: return "not_found";
  case sd_errc::key_full: return "key_full";
  case sd_errc::rate_limited: return "rate_limited";
  case sd_errc::full: return "full";
  }
  return "unknown";
}

caf::atom_value sd_category() noexcept {
  return caf::atom("sd");
}

namespace {

const char* code_name(uint8_t code) noexcept {
  return to_string(static_cast<sd_errc>(code));
}

unsigned status_of(sd_errc code) noexcept {
  switch (code) {
  case sd_errc::bad_input: return 400;
  case sd_errc::forbidden: return 403;
  case sd_errc::not_found: return 404;
  case sd_errc::key_full: return 422;
  case sd_errc::rate_limited: return 429;
  case sd_errc::full: return 503;
  }
  return 500;
}

} // namespace

caf::error make_error(sd_errc code, std::string text) {
  static const bool registered = (register_error_category(sd_category(), code_name), true);
  (void)registered;
  return caf::error{static_cast<uint8_t>(code), sd_category(), caf::make_message(std::move(text))};
}

http::response error_reply(unsigned status, std::string_view text) {
  std::string body;
  wire::json::writer w{body};
  w.begin_object().key("code").uinteger(status).key("error").string(text).end_object();
  body += '\n';
  return http::make_response(status, std::move(body));
}

http::response error_reply(const caf::error& err) {
  const auto& ctx = err.context();
  if (err.category() == sd_category() && !ctx.empty() && ctx.match_element<std::string>(0))
    return error_reply(status_of(static_cast<sd_errc>(err.code())), ctx.get_as<std::string>(0));
  return error_reply(500, describe(err));
}

} // namespace skywire::services::service_discovery
