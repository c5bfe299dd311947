// What the transport manager feeds its bandwidth logs (transport_logs.hpp)
// with: the links count their routing payload bytes from zero (atomics,
// transport_link::payload_in/out); this turns samples of those totals into
// the growth since the last sample, per transport. A transport whose
// carrying link changed (a duplicate connection adopted, §3.7) continues
// from the new link's zero; its owner samples the old link once more before
// the switch, so nothing it carried is lost. A plain class, not thread-safe
// (the manager's actor runs it).
#pragma once

#include <cstdint>
#include <map>

#include "actors/transport/transport_logs.hpp"

namespace skywire::transport {

class log_feed {
public:
  explicit log_feed(transport_logs& logs) : logs_(logs) {}

  /// The totals of `id`'s link `link` now: their growth goes into the logs.
  void sample(const transport_id& id, uint64_t link, uint64_t recv, uint64_t sent);

  /// `id` closed: a last sample, then its final row of the day (written now).
  caf::error close(const transport_id& id, uint64_t link, uint64_t recv, uint64_t sent);

  /// Transports sampled and not closed.
  size_t tracked() const noexcept { return last_.size(); }

private:
  struct seen {
    uint64_t link = 0;
    uint64_t recv = 0;
    uint64_t sent = 0;
  };
  transport_logs& logs_;
  std::map<transport_id, seen> last_;
};

} // namespace skywire::transport
