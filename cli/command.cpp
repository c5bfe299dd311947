#include "cli/command.hpp"

#include <algorithm>
#include <mutex>

namespace skywire::cli {

namespace {

std::mutex& mtx() {
  static std::mutex m;
  return m;
}

std::vector<command>& registry() {
  static std::vector<command> v;
  return v;
}

} // namespace

void register_command(command c) {
  std::lock_guard<std::mutex> guard{mtx()};
  registry().push_back(std::move(c));
}

std::vector<command> commands() {
  std::lock_guard<std::mutex> guard{mtx()};
  auto out = registry();
  std::sort(out.begin(), out.end(),
            [](const command& a, const command& b) { return a.path < b.path; });
  return out;
}

} // namespace skywire::cli
