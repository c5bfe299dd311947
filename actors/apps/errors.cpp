#include "actors/apps/errors.hpp"

#include <caf/make_message.hpp>

namespace skywire::apps {

const char* to_string(apps_errc x) noexcept {
  switch (x) {
    case apps_errc::unknown_app: return "unknown app";
    case apps_errc::already_running: return "app already running";
    case apps_errc::busy: return "app is stopping";
    case apps_errc::start_failed: return "app failed to start";
    case apps_errc::unavailable: return "no launcher";
    case apps_errc::config_write: return "config not updated";
  }
  return "unknown";
}

namespace {

const char* code_name(uint8_t code) noexcept {
  return to_string(static_cast<apps_errc>(code));
}

void register_once() {
  static const bool registered =
    (register_error_category(apps_category(), code_name, true), true);
  (void)registered;
}

} // namespace

caf::atom_value apps_category() noexcept {
  return caf::atom("apps");
}

caf::error make_error(apps_errc code, std::string context) {
  register_once();
  std::string text = std::string{"apps: "} + to_string(code);
  if (!context.empty()) {
    text += ": ";
    text += context;
  }
  return caf::error{static_cast<uint8_t>(code), apps_category(),
                    caf::make_message(std::move(text))};
}

bool is(const caf::error& err, apps_errc code) noexcept {
  return err && err.category() == apps_category() && err.code() == static_cast<uint8_t>(code);
}

} // namespace skywire::apps
