// One dmsg stream (messages/api/dmsg.hpp, stream actor protocol): a yamux
// stream of a session, the stream handshake (signed StreamRequest/Response
// carrying Noise KK), then Noise transport frames inside yamux data frames.
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

#include "actors/dmsg/flow_control.hpp"
#include "actors/dmsg/link.hpp"
#include "actors/dmsg/objects.hpp"
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
};

class stream_actor : public caf::event_based_actor {
public:
  stream_actor(caf::actor_config& cfg, stream_params params);

  caf::behavior make_behavior() override;
  const char* name() const override { return "dmsg_stream"; }

private:
  enum class phase : uint8_t { handshake, established, closing, done };

  // handshake
  void start_dial(skywire::address local, skywire::address remote);
  void on_handshake_bytes(byte_span body);
  void on_response(byte_buffer plain);
  void on_request(byte_buffer plain);
  void established(byte_buffer leftover);

  // data path
  void on_data(uint16_t flags, byte_buffer& body);
  void on_window(uint16_t flags, uint32_t delta);
  void on_remote_flags(uint16_t flags);
  void write_plain(byte_span plain);
  void flush();
  void deliver(byte_buffer&& plain);
  void maybe_update_window();

  // frames
  void send_header(wire::yamux::frame_type t, uint16_t flags, uint32_t length);
  void send_fin();
  void send_rst();

  // endings
  void begin_close();
  void fail_dial(caf::error err);
  void finish(caf::error err);

  stream_params p_;
  phase phase_ = phase::handshake;
  caf::actor owner_;
  caf::response_promise dial_rp_;
  bool dial_pending_ = false;
  skywire::address local_;
  skywire::address remote_;
  bool ephemeral_ = false;

  std::optional<crypto::noise::handshake> hs_;
  sha256_digest req_hash_;
  object_reader objr_;

  crypto::noise::session ns_;
  crypto::noise::frame_reader fr_;
  flow_control fc_;

  byte_buffer out_;       ///< ciphertext waiting for send window
  size_t out_off_ = 0;
  uint64_t cipher_queued_ = 0; ///< total ciphertext produced
  uint64_t cipher_sent_ = 0;   ///< total ciphertext handed to the socket
  struct pending_ack {
    uint64_t cipher_end;
    uint64_t plain;
    caf::actor to;
  };
  std::deque<pending_ack> acks_;
  std::vector<byte_buffer> held_; ///< data while no owner is set
  bool awaiting_owner_ = false;   ///< accepted, not yet handed over (set_owner)

  bool fin_sent_ = false;
  bool closed_notified_ = false;
};

} // namespace skywire::dmsg
