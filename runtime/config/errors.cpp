#include "runtime/config/errors.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace skywire::config {

const char* to_string(config_errc x) noexcept {
  switch (x) {
    case config_errc::io_error: return "io_error";
    case config_errc::too_large: return "too_large";
    case config_errc::syntax: return "syntax";
    case config_errc::invalid_value: return "invalid_value";
    case config_errc::missing_key: return "missing_key";
    case config_errc::key_mismatch: return "key_mismatch";
  }
  return "unknown";
}

caf::atom_value config_category() noexcept {
  return caf::atom("config");
}

namespace {
const char* config_code_name(uint8_t code) noexcept {
  return to_string(static_cast<config_errc>(code));
}
} // namespace

caf::error make_error(config_errc code, std::string context) {
  static const bool registered =
    (register_error_category(config_category(), config_code_name), true);
  (void)registered;
  return caf::error{static_cast<uint8_t>(code), config_category(),
                    caf::make_message(std::move(context))};
}

std::string message(const caf::error& err) {
  if (err && err.category() == config_category()) {
    const auto& ctx = err.context();
    if (!ctx.empty() && ctx.match_element<std::string>(0))
      return ctx.get_as<std::string>(0);
    return to_string(static_cast<config_errc>(err.code()));
  }
  return describe(err);
}

} // namespace skywire::config
