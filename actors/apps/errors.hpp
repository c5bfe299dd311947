// Errors of the app launcher (category atom "apps"). Every error carries its
// meaning in words in its context text, so describe(err) prints just that.
#pragma once

#include <cstdint>
#include <string>

#include "messages/error.hpp"

namespace skywire::apps {

enum class apps_errc : uint8_t {
  unknown_app = 1, ///< no such entry in launcher.apps, or no such built-in app
  already_running, ///< start of an app that is starting or running
  busy,            ///< the app is stopping; try again once it stopped
  start_failed,    ///< its folder or its factory failed
  unavailable,     ///< the visor runs no launcher
  config_write,    ///< the config file could not be updated
};

const char* to_string(apps_errc x) noexcept;

caf::atom_value apps_category() noexcept;

caf::error make_error(apps_errc code, std::string context = {});

bool is(const caf::error& err, apps_errc code) noexcept;

} // namespace skywire::apps
