// One dmsg stream (messages/api/dmsg.hpp, stream actor protocol): a yamux
// stream of a session, the stream handshake (signed StreamRequest/Response
// carrying Noise KK), then Noise transport frames inside yamux data frames.
//
// The data path (flow control, Noise transport, delivery, writes) is the
// stream core (stream_core.hpp), run by the session's io thread and by the
// writers; this actor runs the handshake and the lifecycle.
//
// Spawned by its session actor: as initiator on a dial (the dial request is
// delegated to it, so it answers the dialer itself and its first data follows
// the answer in order), as responder when the server opens a stream (SYN).
// Fails fast: a reset/close before the response fails the dial at once; a
// request for a port nobody listens on is answered with a signed rejection
// (Accepted=false, ErrCode=306) and the stream closed.
//
// Typed: api::dmsg_stream_actor (messages/api/dmsg.hpp) extended with what
// only its session, its core (from the io thread) and its timers send
// (stream_interface below). Toward its owner the stream sends untyped
// (api::stream_opened's note on owners), as itself.
#pragma once

#include <cstdint>
#include <optional>

#include <caf/response_promise.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/dmsg/link.hpp"
#include "actors/dmsg/objects.hpp"
#include "actors/dmsg/stream_core.hpp"
#include "messages/api/dmsg.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/crypto/noise/session.hpp"

namespace skywire::dmsg {

/// The stream actor's full interface: the public one and its private messages.
using stream_interface = api::dmsg_stream_actor::extend<
  /// session -> stream (delegated dial of the client): run the handshake as
  /// initiator; the stream answers the dialer itself
  caf::replies_to<api::open_atom, address, address>::with<api::stream_opened>,
  /// stream core (io thread) -> stream: a notice (stream_core::notice::kind)
  caf::reacts_to<snote_atom, uint8_t>,
  /// session -> stream: the session is gone
  caf::reacts_to<slost_atom, caf::error>,
  /// timers: the handshake deadline, the close deadline
  caf::reacts_to<hstimeout_atom>, caf::reacts_to<tick_atom>>;

struct stream_params {
  client_shared_ptr client;
  session_link_ptr link;
  stream_registry_actor session;
  uint32_t id = 0;
  bool initiator = true;
  stream_core_ptr core; ///< the data path, shared with the session's io thread
};

class stream_actor : public stream_interface::base {
public:
  stream_actor(caf::actor_config& cfg, stream_params params);

  behavior_type make_behavior() override;
  void on_exit() override;
  const char* name() const override { return "dmsg_stream"; }

private:
  // handshake
  void start_dial(skywire::address local, skywire::address remote);
  void on_object();
  void on_response(byte_buffer plain);
  void on_request();
  void on_accepted(stream_core::accept_outcome r);
  void on_notice(stream_core::notice::kind k);

  // endings
  void begin_close();
  void fail_dial(caf::error err);
  void log_failure(const caf::error& err);
  void finish(caf::error err);

  /// Sends to the owner (an untyped actor) with this stream as the sender.
  template <class... Ts>
  void to_owner(Ts&&... xs) {
    caf::unsafe_send_as(this, owner_, std::forward<Ts>(xs)...);
  }

  stream_params p_;
  stream_core_ptr core_;
  bool established_ = false;
  bool closing_ = false;
  bool done_ = false;
  caf::actor owner_;
  caf::response_promise dial_rp_;
  bool dial_pending_ = false;
  skywire::address local_;
  skywire::address remote_;
  bool ephemeral_ = false;

  std::optional<crypto::noise::handshake> hs_;
  sha256_digest req_hash_;
  bool closed_notified_ = false;
};

} // namespace skywire::dmsg
