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
#pragma once

#include <cstdint>
#include <optional>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/dmsg/link.hpp"
#include "actors/dmsg/objects.hpp"
#include "actors/dmsg/stream_core.hpp"
#include "messages/api/dmsg.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/crypto/noise/session.hpp"

namespace skywire::dmsg {

struct stream_params {
  client_shared_ptr client;
  session_link_ptr link;
  caf::actor session;
  uint32_t id = 0;
  bool initiator = true;
  stream_core_ptr core; ///< the data path, shared with the session's io thread
};

class stream_actor : public caf::event_based_actor {
public:
  stream_actor(caf::actor_config& cfg, stream_params params);

  caf::behavior make_behavior() override;
  void on_exit() override;
  const char* name() const override { return "dmsg_stream"; }

private:
  // handshake
  void start_dial(skywire::address local, skywire::address remote);
  void on_object();
  void on_response(byte_buffer plain);
  void on_request(byte_buffer plain);
  void on_notice(stream_core::notice::kind k);

  // endings
  void begin_close();
  void fail_dial(caf::error err);
  void finish(caf::error err);

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
