#include "runtime/system/actor_system.hpp"

#include <mutex>
#include <vector>

#include <caf/atom.hpp>

#include "runtime/system/supervision.hpp"

namespace skywire::system {

namespace {

std::mutex g_mtx;
std::vector<std::function<void(caf::actor_system_config&)>>& loaders() {
  static std::vector<std::function<void(caf::actor_system_config&)>> v;
  return v;
}

} // namespace

void add_type_block(std::function<void(caf::actor_system_config&)> loader) {
  std::lock_guard<std::mutex> guard{g_mtx};
  loaders().push_back(std::move(loader));
}

void configure(caf::actor_system_config& cfg, const system_options& opts) {
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", opts.max_threads);
  cfg.add_message_type<child_status>("skywire::system::child_status");
  cfg.add_message_type<std::vector<child_status>>("std::vector<skywire::system::child_status>");
  std::lock_guard<std::mutex> guard{g_mtx};
  for (auto& f : loaders())
    f(cfg);
}

} // namespace skywire::system
