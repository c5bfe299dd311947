// One dmsg session (client -> server, dmsg-protocol.md §2): TCP connect, Noise
// XK (client = initiator, 5 s deadline, u16-length frames), then yamux client
// directly on the socket. The socket side (handshake, yamux demultiplexing,
// stream data) runs on the connection's io thread (session_io.hpp); this
// actor steers: it connects, starts the keepalive, spawns stream actors for
// dials (odd ids) and for streams the server opens (even ids), and reports
// the session up or lost.
//
// Typed: api::dmsg_session_actor (a link, messages/api/link.hpp) plus what
// its streams, its io side and its timers send (session_interface below):
//   client -> session: (open_atom, address local, address remote), delegated
//     to the new stream actor, which answers (stream_opened | error)
//   client -> session: close_atom (go away, close the socket, quit)
//   any -> session: link_stats_atom -> link_stats
//   session -> client (api::link_owner_actor): (link_up_atom, pk) once up;
//     (link_down_atom, pk, error) when an up session was lost or closed,
//     (link_error_atom, pk, error) when it never came up (connect, handshake,
//     timeout); after either the actor quits
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/typed_event_based_actor.hpp>

#include "actors/dmsg/link.hpp"
#include "actors/dmsg/session_io.hpp"
#include "actors/dmsg/stream.hpp"
#include "messages/api/dmsg.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::dmsg {

/// The session actor's full interface: the link, the face its streams see,
/// and what its io side (session_io, from the io thread) and timers send.
using session_interface = api::dmsg_session_actor::extend_with<stream_registry_actor>::extend<
  caf::reacts_to<cconn_atom>,                        // the TCP connect finished
  caf::reacts_to<sready_atom, session_link_ptr>,     // io: XK handshake done
  caf::reacts_to<sfail_atom, caf::error>,            // io: the connection failed
  caf::reacts_to<sacc_atom, stream_core_ptr>,        // io: the server opened a stream
  caf::reacts_to<quiet_atom>, caf::reacts_to<hstimeout_atom>,  // timers
  caf::reacts_to<sweep_atom>>;

struct session_params {
  client_shared_ptr client;
  api::link_owner_actor client_actor;
  io::io_runtime* io = nullptr;
  public_key server;
  std::string address; ///< host:port of the server
  session_stats_ptr stats;
  std::chrono::milliseconds handshake_timeout{5'000};
  std::chrono::milliseconds keepalive{30'000};
};

class session_actor : public session_interface::base {
public:
  session_actor(caf::actor_config& cfg, session_params params);
  ~session_actor() override;

  behavior_type make_behavior() override;
  void on_exit() override;
  const char* name() const override { return "dmsg_session"; }

private:
  struct connect_slot; // filled on an io thread, read after cconn_atom

  void start_connect();
  void on_connected();
  void lost(caf::error err);
  /// Gives a new stream its handshake deadline and makes sure the sweep runs.
  void watch(const stream_core_ptr& core);
  void arm_sweep();
  void sweep();

  struct stream_rec {
    stream_interface actor;
    stream_core_ptr core;
  };

  session_params p_;
  std::shared_ptr<connect_slot> slot_;
  session_io_ptr io_;
  session_link_ptr link_;
  std::unordered_map<uint32_t, stream_rec> streams_;
  bool sweep_armed_ = false;
  uint32_t next_id_ = 1;
  bool up_ = false;
  bool done_ = false;
  bool closing_ = false; ///< closed on request: not a failure worth a log line
};

} // namespace skywire::dmsg
