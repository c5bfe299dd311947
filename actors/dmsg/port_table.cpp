#include "actors/dmsg/port_table.hpp"

#include <algorithm>

#include "actors/dmsg/objects.hpp"

namespace skywire::dmsg {

caf::error port_table::listen(uint16_t port, caf::actor owner) {
  if (port == 0)
    return make_error(dmsg_errc::listener_port_occupied, "port 0 is invalid");
  std::lock_guard<std::mutex> guard{mtx_};
  if (listeners_.count(port) || ephemeral_.count(port))
    return make_error(dmsg_errc::listener_port_occupied, "port " + std::to_string(port));
  listeners_.emplace(port, std::move(owner));
  return {};
}

void port_table::unlisten(uint16_t port) {
  std::lock_guard<std::mutex> guard{mtx_};
  listeners_.erase(port);
}

void port_table::unlisten_all(const caf::actor_addr& owner) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto i = listeners_.begin(); i != listeners_.end();) {
    if (i->second.address() == owner)
      i = listeners_.erase(i);
    else
      ++i;
  }
}

caf::actor port_table::listener(uint16_t port) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = listeners_.find(port);
  return i == listeners_.end() ? caf::actor{} : i->second;
}

std::vector<uint16_t> port_table::listening_ports() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<uint16_t> out;
  out.reserve(listeners_.size());
  for (const auto& kv : listeners_)
    out.push_back(kv.first);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<uint16_t> port_table::reserve_ephemeral() {
  std::lock_guard<std::mutex> guard{mtx_};
  constexpr uint32_t range = 65536 - first_ephemeral_port;
  for (uint32_t i = 0; i < range; ++i) {
    uint16_t p = next_;
    next_ = next_ == 65535 ? first_ephemeral_port : static_cast<uint16_t>(next_ + 1);
    if (!ephemeral_.count(p) && !listeners_.count(p)) {
      ephemeral_.insert(p);
      return p;
    }
  }
  return std::nullopt;
}

void port_table::release(uint16_t port) {
  std::lock_guard<std::mutex> guard{mtx_};
  ephemeral_.erase(port);
}

size_t port_table::ephemeral_in_use() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return ephemeral_.size();
}

} // namespace skywire::dmsg
