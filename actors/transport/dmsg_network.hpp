// The dmsg transport type (reference §3.2): a transport over a dmsg stream to
// <pk>:45 of the visor's dmsg client, already Noise KK end to end, so
// transport_core runs in dmsg mode on it (the settlement straight on the
// stream, then the data; no frames, no second Noise layer).
//
//  - dial(pk): the visor's dmsg client opens a stream to pk:45; it is handed
//    over as a byte_link (dmsg_stream_link: its bytes reach the transport on
//    the dmsg session's io thread, no actor hop per read).
//  - listen(): streams accepted on dmsg port 45 pass admission control (the
//    remote key stands for the source address: one key, one "address"; at
//    most max_pending_per_key pending streams per key) and go to the
//    manager's inbound set with their ticket; responder_params() gives the
//    responder core the stream's peer and ports.
//
// The dmsg client is another child of the visor and may be restarted: the
// network reaches it through a dmsg::client_ref (the current client) and
// its actor (dmsg_endpoint.hpp) listens again on port 45 of every new
// client. A restart of the transport manager builds a new network (the old
// one's actor ends, and with it its listener and streams).
//
// Bounds: dials in flight (max_dials), streams held (max_streams), pending
// accepted streams (admission). Errors are values: a dial without a dmsg
// client, a failed stream dial (the dmsg client's error in the text), a full
// table.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ip/address.hpp>
#include <caf/actor_system.hpp>

#include "actors/dmsg/client_ref.hpp"
#include "actors/transport/network.hpp"

namespace skywire::transport {

struct dmsg_network_config {
  dmsg::client_ref_ptr client;
  io::admission_config admission = default_admission();
  std::chrono::milliseconds dial_timeout{20'000};
  size_t max_dials = 256;
  size_t max_streams = 16'384;
  /// First retry of a failed listen (then x2, at most 10 s).
  std::chrono::milliseconds relisten{500};

  /// Pending streams: 256 in all, 8 per remote key, deadline 20 s (the
  /// settlement's), down to 2 s when full.
  static io::admission_config default_admission();
};

/// What the network and its actor share (counters for `visor info`).
struct dmsg_network_status {
  mutable std::mutex mtx;
  bool listening = false;   ///< mtx
  bool have_client = false; ///< mtx
  std::string listen_error; ///< mtx
  std::atomic<uint64_t> streams{0};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> dials{0};
  std::atomic<uint64_t> dial_errors{0};
};

class dmsg_network final : public transport_network {
public:
  static std::shared_ptr<dmsg_network> make(caf::actor_system& sys, dmsg_network_config cfg);
  ~dmsg_network() override;

  const std::string& type() const noexcept override { return type_; }
  transport_mode mode() const noexcept override { return transport_mode::dmsg; }
  void responder_params(const io::byte_link& conn, transport_core::params& p) const override;
  caf::error listen(accept_fn on_accept) override;
  void dial(const public_key& remote, unsigned attempt, dial_fn cb) override;
  void stop() override;
  boost::json::object info() const override;

  const io::admission_ptr& admission() const noexcept { return adm_; }

private:
  dmsg_network(caf::actor_system& sys, dmsg_network_config cfg);

  const std::string type_ = "dmsg";
  dmsg_network_config cfg_;
  io::admission_ptr adm_;
  std::shared_ptr<dmsg_network_status> status_;
  caf::actor endpoint_; ///< dmsg_endpoint_actor (dmsg_endpoint.hpp)
  std::atomic<bool> stopped_{false};
};

/// The address admission control counts a dmsg stream under: an IPv6
/// address made of bytes 1..16 of the remote key (so one key is one source;
/// the config's v6 prefix is set to 128 bits).
boost::asio::ip::address admission_address(const public_key& pk);

} // namespace skywire::transport
