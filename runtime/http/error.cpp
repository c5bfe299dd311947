#include "runtime/http/error.hpp"

#include <caf/make_message.hpp>

namespace skywire::http {

const char* to_string(http_errc x) noexcept {
  switch (x) {
    case http_errc::bad_url: return "bad_url";
    case http_errc::resolve_failed: return "resolve_failed";
    case http_errc::connect_failed: return "connect_failed";
    case http_errc::timeout: return "timeout";
    case http_errc::too_large: return "too_large";
    case http_errc::protocol: return "protocol";
    case http_errc::closed: return "closed";
    case http_errc::bind_failed: return "bind_failed";
    case http_errc::cancelled: return "cancelled";
  }
  return "unknown";
}

caf::atom_value http_category() noexcept {
  return caf::atom("http");
}

namespace {
const char* http_code_name(uint8_t code) noexcept {
  return to_string(static_cast<http_errc>(code));
}
} // namespace

caf::error make_error(http_errc code, std::string context) {
  // the text starts with the code name: describe() prints only the text
  static const bool registered =
    (register_error_category(http_category(), http_code_name, true), true);
  (void)registered;
  std::string text = to_string(code);
  if (!context.empty()) {
    text += ": ";
    text += context;
  }
  return caf::error{static_cast<uint8_t>(code), http_category(),
                    caf::make_message(std::move(text))};
}

} // namespace skywire::http
