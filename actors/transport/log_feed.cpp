#include "actors/transport/log_feed.hpp"

namespace skywire::transport {

void log_feed::sample(const transport_id& id, uint64_t link, uint64_t recv, uint64_t sent) {
  auto [i, fresh] = last_.try_emplace(id, seen{link, 0, 0});
  auto& s = i->second;
  if (!fresh && s.link != link)
    s = seen{link, 0, 0}; // another link: it counts from its own zero
  // totals never shrink on one link; a smaller one is a new baseline
  uint64_t d_recv = recv >= s.recv ? recv - s.recv : recv;
  uint64_t d_sent = sent >= s.sent ? sent - s.sent : sent;
  s.recv = recv;
  s.sent = sent;
  if (fresh)
    logs_.add(id);
  if (d_recv != 0 || d_sent != 0)
    logs_.record(id, d_recv, d_sent);
}

caf::error log_feed::close(const transport_id& id, uint64_t link, uint64_t recv, uint64_t sent) {
  sample(id, link, recv, sent);
  last_.erase(id);
  return logs_.close(id);
}

} // namespace skywire::transport
