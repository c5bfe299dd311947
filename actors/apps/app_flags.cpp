#include "actors/apps/app_flags.hpp"

namespace skywire::apps {

expected<std::optional<std::string>> flag_value(const std::vector<std::string>& args,
                                                std::string_view name) {
  std::optional<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a.starts_with("--"))
      a.remove_prefix(2);
    else if (a.starts_with("-"))
      a.remove_prefix(1);
    else
      continue;
    if (a == name) {
      if (i + 1 >= args.size())
        return make_error(wire_errc::bad_value, "flag -" + std::string{name} + " needs a value");
      out = args[++i];
    } else if (a.starts_with(name) && a.size() > name.size() && a[name.size()] == '=') {
      out = std::string{a.substr(name.size() + 1)};
    }
  }
  return out;
}

} // namespace skywire::apps
