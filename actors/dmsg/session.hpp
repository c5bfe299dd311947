// One dmsg session (client -> server, dmsg-protocol.md §2): TCP connect, Noise
// XK (client = initiator, 5 s deadline, u16-length frames), then yamux client
// directly on the socket. The socket side (handshake, yamux demultiplexing,
// stream data) runs on the connection's io thread (session_io.hpp); this
// actor steers: it connects, starts the keepalive, spawns stream actors for
// dials (odd ids) and for streams the server opens (even ids), and reports
// the session up or lost.
//
// Messages:
//   client -> session: (sdial_atom, address local, address remote) as a
//     delegated request: answered by the stream actor (stream_opened | error)
//   client -> session: close_atom (go away, close the socket, quit)
//   session -> client: (sup_atom, pk) once up; (sdown_atom, pk, error) when
//     the handshake failed or the session was lost (then the actor quits)
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/event_based_actor.hpp>

#include "actors/dmsg/link.hpp"
#include "actors/dmsg/session_io.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::dmsg {

struct session_params {
  client_shared_ptr client;
  caf::actor client_actor;
  io::io_runtime* io = nullptr;
  public_key server;
  std::string address; ///< host:port of the server
  session_stats_ptr stats;
  std::chrono::milliseconds handshake_timeout{5'000};
  std::chrono::milliseconds keepalive{30'000};
};

class session_actor : public caf::event_based_actor {
public:
  session_actor(caf::actor_config& cfg, session_params params);
  ~session_actor() override;

  caf::behavior make_behavior() override;
  void on_exit() override;
  const char* name() const override { return "dmsg_session"; }

private:
  struct connect_slot; // filled on an io thread, read after cconn_atom

  void start_connect();
  void on_connected();
  void lost(caf::error err);

  session_params p_;
  std::shared_ptr<connect_slot> slot_;
  session_io_ptr io_;
  session_link_ptr link_;
  std::unordered_map<uint32_t, caf::actor> streams_;
  uint32_t next_id_ = 1;
  bool up_ = false;
  bool done_ = false;
  bool closing_ = false; ///< closed on request: not a failure worth a log line
};

} // namespace skywire::dmsg
