// An app's arguments as the reference's apps read them (Go's flag package):
// "-name value", "--name value", "-name=value", "--name=value". Unknown
// flags are the app's business; a flag without its value is an error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"

namespace skywire::apps {

/// The value of flag `name` (the last one given), nullopt when absent, an
/// error when it is the last argument with no value.
expected<std::optional<std::string>> flag_value(const std::vector<std::string>& args,
                                                std::string_view name);

/// Sets flag `name` to `value`: every occurrence of it (any of the four
/// forms) is removed and "--name value" appended; an empty `value` only
/// removes it. Other arguments keep their order.
void set_flag(std::vector<std::string>& args, std::string_view name, const std::string& value);

} // namespace skywire::apps
