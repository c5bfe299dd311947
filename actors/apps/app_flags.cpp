#include "actors/apps/app_flags.hpp"

#include <utility>

namespace skywire::apps {

namespace {
/// The flag an argument names ("" when it names none), and whether its
/// value is inside it ("-name=value").
std::pair<std::string_view, bool> flag_of(std::string_view a) {
  if (a.starts_with("--"))
    a.remove_prefix(2);
  else if (a.starts_with("-"))
    a.remove_prefix(1);
  else
    return {{}, false};
  auto eq = a.find('=');
  if (eq == std::string_view::npos)
    return {a, false};
  return {a.substr(0, eq), true};
}
} // namespace

void set_flag(std::vector<std::string>& args, std::string_view name, const std::string& value) {
  std::vector<std::string> out;
  out.reserve(args.size() + 2);
  for (size_t i = 0; i < args.size(); ++i) {
    auto [flag, inline_value] = flag_of(args[i]);
    if (flag != name) {
      out.push_back(std::move(args[i]));
      continue;
    }
    if (!inline_value)
      ++i; // its value too (a trailing flag without one: just the flag)
  }
  if (!value.empty()) {
    out.push_back("--" + std::string{name});
    out.push_back(value);
  }
  args = std::move(out);
}

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
