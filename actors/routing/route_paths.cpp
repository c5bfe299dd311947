#include "actors/routing/route_paths.hpp"

#include <algorithm>

namespace skywire::routing {

std::set<transport_id> path_transports(const path& p) {
  std::set<transport_id> out;
  for (const auto& h : p)
    out.insert(h.tp_id);
  return out;
}

std::optional<size_t> pick_path(const std::vector<path>& candidates,
                                const std::set<transport_id>& avoid,
                                const std::set<transport_id>& dead) {
  std::optional<size_t> best;
  size_t best_shared = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    if (c.empty())
      continue;
    size_t shared = 0;
    bool usable = true;
    for (const auto& h : c) {
      if (dead.count(h.tp_id) != 0) {
        usable = false;
        break;
      }
      shared += avoid.count(h.tp_id);
    }
    if (!usable)
      continue;
    if (!best || shared < best_shared) {
      best = i;
      best_shared = shared;
    }
  }
  return best;
}

path_registry::key path_registry::key_of(const wire::routing::route_descriptor& d) {
  key k;
  d.encode(k);
  return k;
}

void path_registry::put(const wire::routing::route_descriptor& desc, attach_fn fn) {
  std::lock_guard<std::mutex> g{mtx_};
  groups_[key_of(desc)] = std::move(fn);
}

void path_registry::remove(const wire::routing::route_descriptor& desc) {
  std::lock_guard<std::mutex> g{mtx_};
  groups_.erase(key_of(desc));
}

path_registry::attach_fn
path_registry::find(const wire::rpc::route_setup::edge_rules& e) const {
  std::lock_guard<std::mutex> g{mtx_};
  auto i = groups_.find(key_of(e.reverse.desc));
  return i == groups_.end() ? attach_fn{} : i->second;
}

size_t path_registry::size() const {
  std::lock_guard<std::mutex> g{mtx_};
  return groups_.size();
}

} // namespace skywire::routing
