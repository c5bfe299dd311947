#include "actors/transport/link_directory.hpp"

namespace skywire::transport {

link_directory::link_directory() : cell_(std::make_shared<sink_cell>()) {
  links_.store(std::make_shared<const table>());
}

void link_directory::set_sink(route_sink sink) {
  cell_->sink.store(sink ? std::make_shared<const route_sink>(std::move(sink)) : nullptr);
}

void link_directory::put(const transport_id& id, const transport_link_ptr& link) {
  if (!link)
    return;
  // the cell, not the directory: a link may outlive it
  link->set_packet_sink([cell = cell_, id](const wire::routing::packet_view& p) {
    auto s = cell->sink.load(std::memory_order_acquire);
    if (s)
      (*s)(id, p);
    else
      cell->dropped.fetch_add(1, std::memory_order_relaxed);
  });
  std::lock_guard<std::mutex> g{write_mtx_};
  auto next = std::make_shared<table>(*links_.load());
  (*next)[id] = link;
  links_.store(std::move(next));
}

void link_directory::remove(const transport_id& id, const transport_link_ptr& link) {
  std::lock_guard<std::mutex> g{write_mtx_};
  auto cur = links_.load();
  auto i = cur->find(id);
  if (i == cur->end() || (link && i->second != link))
    return;
  auto next = std::make_shared<table>(*cur);
  next->erase(id);
  links_.store(std::move(next));
}

transport_link_ptr link_directory::find(const transport_id& id) const {
  auto cur = links_.load(std::memory_order_acquire);
  auto i = cur->find(id);
  return i == cur->end() ? nullptr : i->second;
}

transport_core::write_result link_directory::send(const transport_id& id,
                                                  wire::routing::packet_type type, route_id rid,
                                                  byte_span payload) const {
  auto cur = links_.load(std::memory_order_acquire);
  auto i = cur->find(id);
  if (i == cur->end())
    return transport_core::write_result::closed;
  return i->second->send_packet(type, rid, payload);
}

std::vector<transport_id> link_directory::ids() const {
  auto cur = links_.load();
  std::vector<transport_id> out;
  out.reserve(cur->size());
  for (const auto& kv : *cur)
    out.push_back(kv.first);
  return out;
}

size_t link_directory::size() const {
  return links_.load()->size();
}

} // namespace skywire::transport
