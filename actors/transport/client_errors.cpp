#include "actors/transport/client_errors.hpp"

#include <algorithm>

#include <boost/json/value.hpp>
#include <caf/make_message.hpp>

#include "messages/wire/transport/json_reader.hpp"

namespace skywire::transport {

namespace {

constexpr size_t max_message = 512;

const char* code_name(uint8_t code) noexcept {
  return to_string(static_cast<client_errc>(code));
}

std::string clean(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), max_message));
  for (char c : text) {
    if (out.size() >= max_message)
      break;
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

std::string clean(const boost::json::string& s) {
  return clean(std::string_view{s.data(), s.size()});
}

caf::error build(client_errc code, std::string_view service, unsigned status,
                 std::string message, std::string_view detail) {
  static const bool registered
    = (register_error_category(client_category(), code_name, true), true);
  (void)registered;
  std::string text{service};
  text += ": ";
  if (status != 0) {
    text += "HTTP " + std::to_string(status) + ' ';
    text += to_string(code);
  } else {
    text += to_string(code);
  }
  if (!detail.empty()) {
    text += ": ";
    text += detail;
  }
  return caf::error{static_cast<uint8_t>(code), client_category(),
                    caf::make_message(std::move(text), static_cast<uint32_t>(status),
                                      std::move(message))};
}

client_errc code_of_status(unsigned status) noexcept {
  switch (status) {
  case 400: return client_errc::bad_request;
  case 401: return client_errc::unauthorized;
  case 403: return client_errc::forbidden;
  case 404: return client_errc::not_found;
  default: break;
  }
  if (status >= 500)
    return client_errc::server_error;
  if (status >= 400)
    return client_errc::refused;
  return client_errc::bad_response; // 1xx, 3xx: nothing the APIs answer
}

} // namespace

const char* to_string(client_errc x) noexcept {
  switch (x) {
  case client_errc::unreachable: return "unreachable";
  case client_errc::bad_request: return "bad request";
  case client_errc::unauthorized: return "unauthorized";
  case client_errc::forbidden: return "forbidden";
  case client_errc::not_found: return "not found";
  case client_errc::refused: return "refused";
  case client_errc::server_error: return "server error";
  case client_errc::bad_response: return "bad response";
  case client_errc::invalid_argument: return "invalid argument";
  case client_errc::busy: return "too many requests queued";
  }
  return "unknown";
}

caf::atom_value client_category() noexcept {
  return caf::atom("tpclient");
}

caf::error make_error(client_errc code, std::string_view service, std::string text) {
  return build(code, service, 0, {}, text);
}

caf::error http_error(std::string_view service, const http::response& r) {
  auto msg = extract_server_message(r.body);
  return build(code_of_status(r.status), service, r.status, msg, msg);
}

bool is(const caf::error& err, client_errc code) noexcept {
  return err && err.category() == client_category() && err.code() == static_cast<uint8_t>(code);
}

unsigned http_status(const caf::error& err) noexcept {
  if (!err || err.category() != client_category())
    return 0;
  const auto& ctx = err.context();
  if (ctx.size() < 2 || !ctx.match_element<uint32_t>(1))
    return 0;
  return ctx.get_as<uint32_t>(1);
}

std::string server_message(const caf::error& err) {
  if (!err || err.category() != client_category())
    return {};
  const auto& ctx = err.context();
  if (ctx.size() < 3 || !ctx.match_element<std::string>(2))
    return {};
  return ctx.get_as<std::string>(2);
}

std::string extract_server_message(std::string_view body) {
  if (body.size() <= 64 * 1024) {
    if (auto v = wire::transport::parse_json(body, 64 * 1024, 4); v && v->is_object()) {
      const auto& o = v->get_object();
      if (auto it = o.find("error"); it != o.end()) {
        if (it->value().is_string())
          return clean(it->value().get_string());
        if (it->value().is_object()) {
          const auto& eo = it->value().get_object();
          if (auto m = eo.find("message"); m != eo.end() && m->value().is_string())
            return clean(m->value().get_string());
        }
      }
      if (auto m = o.find("message"); m != o.end() && m->value().is_string())
        return clean(m->value().get_string());
    }
  }
  return clean(body);
}

} // namespace skywire::transport
