// Dialing a sudph transport (reference §3.6 "dialing B from A", step 3):
// over the candidates sudph_dial_candidates() gives, one attempt after the
// other — a `holepunch`, a fresh KCP session from the shared socket, a
// transport_core initiator on it — until one is up, retrying the list for
// at most `total` (the reference: 30 s). The first transport up is handed
// over; if none comes up in time, the last error is.
//
// The caller's transport_core::params are used for every attempt; their
// on_up/on_data/on_down reach the caller for the attempt that came up only
// (a failed attempt's on_down is the dialer's). Threads: the socket's io
// shard; call every member there.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "actors/transport/sudph_socket.hpp"
#include "actors/transport/transport_core.hpp"

namespace skywire::transport {

struct sudph_dial_config {
  std::chrono::milliseconds total{30'000};      ///< the reference's retry window
  std::chrono::milliseconds retry_delay{1'000}; ///< between rounds over the candidates
};

class sudph_dialer : public std::enable_shared_from_this<sudph_dialer> {
public:
  using endpoint = boost::asio::ip::udp::endpoint;
  /// Once: the transport that came up (its on_up was called just before),
  /// or why none did.
  using done_fn = std::function<void(expected<std::shared_ptr<transport_core>>)>;

  static std::shared_ptr<sudph_dialer> make(sudph_socket_ptr sock, std::vector<endpoint> candidates,
                                            transport_core::params p, sudph_dial_config cfg,
                                            done_fn done);
  ~sudph_dialer();
  void start();
  /// Stops dialing; done is not called. The attempt in progress is aborted.
  void cancel();
  size_t attempts() const noexcept { return attempts_; }

private:
  sudph_dialer(sudph_socket_ptr sock, std::vector<endpoint> candidates, transport_core::params p,
               sudph_dial_config cfg, done_fn done);
  void attempt();
  void failed(caf::error err);
  void finish(expected<std::shared_ptr<transport_core>> r);
  io::timer_service& timers();

  sudph_socket_ptr sock_;
  std::vector<endpoint> candidates_;
  transport_core::params p_;
  sudph_dial_config cfg_;
  done_fn done_;
  std::shared_ptr<transport_core> core_; ///< the attempt in progress
  size_t next_ = 0;
  size_t attempts_ = 0;
  bool finished_ = false;
  caf::error last_;
  io::timer_service::timer_id deadline_ = 0;
  io::timer_service::timer_id retry_ = 0;
};

} // namespace skywire::transport
