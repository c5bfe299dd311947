// One accepted dmsg server connection until its Noise XK handshake is done:
// a plain class on the connection's io thread. No actor exists for a
// connection that has not authenticated: the three handshake messages are
// read, answered and checked where they are read (no mailbox hop), the
// deadline runs on the shard's timer wheel, and a flood of unauthenticated
// connections costs a socket, this object and the link's small buffers.
// Once message 3 is verified it takes a session slot (max_sessions), gives
// its admission ticket back and spawns the session actor, which owns the
// link from then on (dmsg_server_session.cpp).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/services/dmsg_server_link.hpp"
#include "actors/services/dmsg_server_session.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/io/admission.hpp"
#include "runtime/io/stream_connection.hpp"
#include "runtime/io/timer_service.hpp"

namespace skywire::services::session_detail {

class session_events;

/// What the session actor starts with: the authenticated session.
struct established {
  std::shared_ptr<dmsg_relay::dmsg_server_link> link;
  std::shared_ptr<session_events> events;
  crypto::noise::session sess;
  public_key client;
};

class server_handshake : public std::enable_shared_from_this<server_handshake> {
public:
  /// Starts reading `conn` (call from any thread; the work moves to the
  /// connection's io thread).
  static void start(caf::actor_system& sys, std::shared_ptr<const dmsg_session_context> ctx,
                    io::stream_connection_ptr conn, io::admission_ticket_ptr ticket);

  server_handshake(caf::actor_system& sys, std::shared_ptr<const dmsg_session_context> ctx,
                   io::stream_connection_ptr conn, io::admission_ticket_ptr ticket);
  ~server_handshake();

  // -- from the link and the connection (io thread) ------------------------------------

  /// One handshake message body; extra: bytes followed message 3 (error 203).
  void on_frame(io::byte_buffer body, bool extra);
  /// The link failed (oversized frame) or the connection ended: closes,
  /// true. False once message 3 is verified (the session actor is coming:
  /// keep it for the actor).
  bool on_failed(const std::string& why);

private:
  void begin();
  /// The connection's callbacks (the link and the events, held weakly).
  io::stream_connection::callbacks make_callbacks();
  void complete();
  /// An authenticated session goes on on a session shard (the context's
  /// session_shard); it stays where it is when there is none.
  void move_to_session_shard();
  /// On the session's shard: the keepalive, then the session actor.
  void establish();
  void start_keepalive(const std::shared_ptr<dmsg_relay::dmsg_server_link>& link);
  /// Ends the connection; logged once at info (rate-limited) with `why`.
  void close(const std::string& why);

  caf::actor_system& sys_;
  std::shared_ptr<const dmsg_session_context> ctx_;
  io::stream_connection_ptr conn_;
  io::admission_ticket_ptr ticket_;
  std::shared_ptr<dmsg_relay::connection_sink> sink_;
  std::shared_ptr<dmsg_relay::dmsg_server_link> link_;
  std::shared_ptr<established> est_; ///< between complete() and establish()
  std::shared_ptr<session_events> events_;
  std::optional<crypto::noise::handshake> hs_;
  std::optional<crypto::noise::session> sess_;
  io::timer_service::timer_id deadline_ = 0;
  bool first_message_ = true;
  /// Message 1 of XK starts with the initiator's ephemeral key (compressed secp256k1).
  static constexpr size_t ephemeral_len = 33;
  bool done_ = false;   ///< message 3 verified, or closed
  bool closed_ = false;
  std::shared_ptr<server_handshake> self_; ///< alive until the handshake ends
};

} // namespace skywire::services::session_detail
