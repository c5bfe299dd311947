// The data path of one dmsg stream as a plain class: yamux flow control, the
// end-to-end Noise transport, the send queue and the delivery of received
// plaintext. It is shared by three parties, all under one mutex:
//  - the session's io thread (the connection's strand) feeds every frame of
//    the stream (on_data / on_window) and ends each socket read with
//    end_batch(), which hands the plaintext of that read to the consumer as
//    one message (or one call of a direct sink);
//  - the stream actor (actors/dmsg/stream.cpp) runs the stream handshake and
//    the lifecycle: it reads the handshake object once the io thread has it
//    whole, installs the Noise keys (establish), sets the owner, closes;
//  - writers (the stream actor for write_atom, or consumers holding the core
//    directly) encrypt and send from their own thread: write() encrypts
//    under the lock and writes whole frames onto the session connection, so a
//    write costs no actor hop and no io-thread wake-up.
// Nothing here blocks; every buffer is bounded (the receive side by the yamux
// window, the send side by max_send_queue: a write beyond it is refused, and
// the stream is reset so both ends see the failure, never a silent drop).
// When the session connection is congested (its queue above the link's high
// water mark), flushing stops and resumes once the connection drained: the
// stream's send window, not a queue, absorbs the wait.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "actors/dmsg/flow_control.hpp"
#include "actors/dmsg/objects.hpp"
#include "runtime/crypto/noise/session.hpp"

namespace skywire::dmsg {

using byte_buffer = std::vector<uint8_t>;

class session_link;

class stream_core : public std::enable_shared_from_this<stream_core> {
public:
  enum class phase : uint8_t {
    handshake,    ///< reading the StreamRequest/Response object
    keys_pending, ///< object complete, the actor runs the handshake; data waits
    established,
    closing,      ///< close requested: pending data goes out, then FIN
    done,
  };

  /// What the io thread must tell the stream actor after a batch.
  struct notice {
    enum class kind : uint8_t { none, object_ready, remote_fin, remote_rst, failed, drained };
  };

  /// Direct consumer on the session's io thread (replaces messages to the
  /// owner), called under this core's lock. It may call write()/consumed() on
  /// this core, but must not call into another stream core (two sinks feeding
  /// each other's cores would take the two locks in opposite orders): a relay
  /// between streams hands bytes to a connection's queue instead.
  using sink_fn = std::function<void(byte_buffer&&)>;

  /// Ciphertext that may wait beyond the peer's window before write() refuses.
  static constexpr size_t max_send_queue = 8 * 1024 * 1024;
  /// Largest yamux data frame we send.
  static constexpr size_t max_data_frame = 64 * 1024;
  /// The receive window grows from yamux's 256 KiB up to this while the
  /// consumer keeps up (flow_control's auto-tuning); the most a stream's
  /// owner can have delivered and not yet consumed.
  /// (8 MiB was tried on 2026-12-05: a single stream gained 7 %, but an
  /// established session kept only 66 % of its throughput under the flood
  /// bench's 10 000 connections, against 77 % at 2 MiB.)
  static constexpr uint32_t recv_window_cap = 2 * 1024 * 1024;
  static constexpr std::chrono::milliseconds recv_window_grow_interval{4};

  stream_core(uint32_t id, std::shared_ptr<session_link> link, bool initiator);
  ~stream_core();

  uint32_t id() const noexcept { return id_; }
  bool initiator() const noexcept { return initiator_; }

  // -- wiring (stream actor) -------------------------------------------------------

  /// The stream actor: sender of deliveries and receiver of notices.
  void bind(caf::actor self);
  /// Drops the actor references (the actor is ending).
  void unbind();
  /// Sets the owner that receives (data_atom, bytes); with hold, received data
  /// is kept until the next set_owner/set_sink (an accepted stream).
  void set_owner(caf::actor owner, bool hold = false);
  /// Installs a direct consumer; data held so far is handed to it at once.
  void set_sink(sink_fn sink);
  /// Notices go to this function when no actor is bound (simulations, tests).
  using notice_fn = std::function<void(notice::kind)>;
  void set_notice_fn(notice_fn fn);

  // -- receive side (the session's io thread) --------------------------------------

  /// A data frame's body and flags.
  void on_data(uint16_t flags, byte_span body);
  /// A window update's delta and flags.
  void on_window(uint16_t flags, uint32_t delta);
  /// End of one socket read: delivers what it produced, sends notices.
  void end_batch();
  /// The connection drained below its low water mark: flush again.
  void on_link_ready();
  /// The session under the stream is gone: the data path fails with err
  /// (notice failed), nothing more is sent.
  void on_session_lost(caf::error err);

  // -- handshake (stream actor) ----------------------------------------------------

  /// Decrypts the complete handshake object (the session's object keys).
  expected<byte_buffer> open_object();

  /// What the responder side of the stream handshake decided on the io
  /// thread (stream_accept.hpp); the stream actor finishes from it.
  struct accept_outcome {
    bool ran = false;
    bool accepted = false;  ///< response sent, keys installed, owner = listener (held)
    caf::error err;         ///< why it failed (also after accepted: establish failed)
    skywire::address local; ///< set once the request verified
    skywire::address remote;
    caf::actor listener;
  };
  using responder_fn = std::function<accept_outcome(stream_core&)>;
  /// An accepted stream (io thread, before its first frame is fed): fn
  /// answers the request on the io thread the moment its object is whole;
  /// the object_ready notice follows with the outcome kept for the actor.
  void set_responder(responder_fn fn);
  /// The responder's outcome (ran = false: no responder ran).
  accept_outcome take_accept_outcome();
  /// Sends a sealed object (StreamRequest with SYN, or StreamResponse) as one
  /// data frame; syn prepends the SYN window update.
  caf::error send_object(byte_span signed_bytes, bool syn);
  /// Installs the stream's Noise keys: data that waited is decrypted and
  /// delivered; the stream is established.
  caf::error establish(crypto::noise::session ns);

  // -- send side (any thread) ------------------------------------------------------

  enum class write_result : uint8_t { ok, not_open, queue_full, link_failed };
  /// Encrypts and sends (as far as the window allows). ack_to, if set, gets
  /// (ack_atom, n) from the stream actor once n bytes left the send queue.
  write_result write(byte_span plain, const caf::actor& ack_to = nullptr);
  /// Caps the yamux data frames this stream writes (default max_data_frame;
  /// at least one Noise frame, 4096 bytes). 4096 makes one yamux frame per
  /// Noise frame, as Go senders write them (the bench uses it to measure the
  /// server with Go-sized frames).
  void set_max_frame(size_t n);
  /// The consumer processed n received bytes (re-opens the receive window).
  void consumed(uint64_t n);
  /// Graceful close: pending data goes out, then FIN; `drained` follows.
  /// Returns true if the stream is already finished (FIN sent).
  bool begin_close();
  /// Sends RST (once) and ends the stream's data path.
  void reset();
  /// Sends FIN (once) without waiting for pending data.
  void send_fin();
  /// The stream is over: no more sends, no more deliveries.
  void mark_done();

  // -- handshake deadline (set by the session, cleared by the stream actor) ----------

  /// The stream must finish its handshake by t; the session actor sweeps its
  /// streams' deadlines with one timer (no CAF clock entry per stream open).
  void set_deadline(std::chrono::steady_clock::time_point t) noexcept {
    deadline_ns_.store(t.time_since_epoch().count(), std::memory_order_relaxed);
  }
  void clear_deadline() noexcept { deadline_ns_.store(0, std::memory_order_relaxed); }
  bool has_deadline() const noexcept { return deadline_ns_.load(std::memory_order_relaxed) != 0; }
  /// True once (clears the deadline) when now is past it.
  bool take_expired(std::chrono::steady_clock::time_point now) noexcept {
    auto d = deadline_ns_.load(std::memory_order_relaxed);
    if (d == 0 || now.time_since_epoch().count() < d)
      return false;
    return deadline_ns_.compare_exchange_strong(d, 0, std::memory_order_relaxed);
  }

  /// The session's link (its connection's timers and thread).
  const std::shared_ptr<session_link>& link() const noexcept { return link_; }

  // -- inspection --------------------------------------------------------------------

  phase current_phase() const;
  size_t send_queue_bytes() const;
  uint64_t unconsumed() const;
  /// The error that failed the data path (notice failed).
  caf::error failure() const;

private:
  void deliver_locked(byte_buffer&& plain);
  void flush_locked();
  void send_header_locked(uint8_t type, uint16_t flags, uint32_t length);
  void maybe_update_window_locked();
  /// write() when nothing is queued and the window takes all of it.
  write_result write_framed_locked(byte_span plain, size_t cipher, const caf::actor& ack_to);
  void fail_locked(caf::error err);
  void notify_locked(notice::kind k);
  void dispatch_locked();
  void decrypt_locked(byte_span cipher);

  const uint32_t id_;
  const bool initiator_;
  std::shared_ptr<session_link> link_;

  mutable std::recursive_mutex mtx_;
  phase phase_ = phase::handshake;
  caf::actor self_;
  caf::actor owner_;
  bool hold_ = false;
  sink_fn sink_;
  notice_fn notice_fn_;
  std::vector<byte_buffer> held_;

  object_reader objr_;
  responder_fn responder_;
  accept_outcome accept_;
  byte_buffer early_; ///< ciphertext received while keys are pending
  crypto::noise::session ns_;
  crypto::noise::frame_reader fr_;
  flow_control fc_{wire::yamux::initial_stream_window, recv_window_cap, recv_window_grow_interval};

  byte_buffer rx_plain_; ///< plaintext of the current batch
  std::vector<notice::kind> notices_;

  /// Ciphertext waiting for send window: one buffer per queued write, sent
  /// as views (header + slices) with one gather write, never copied here.
  struct cipher_chunk {
    std::unique_ptr<uint8_t[]> p; ///< written by the cipher only (never zero-filled)
    size_t n = 0;
    const uint8_t* data() const noexcept { return p.get(); }
    size_t size() const noexcept { return n; }
  };
  std::deque<cipher_chunk> out_;
  size_t out_head_ = 0;    ///< bytes of out_.front() already sent
  size_t out_pending_ = 0; ///< bytes queued in out_ and not yet sent
  std::vector<std::span<const uint8_t>> parts_; ///< flush scratch (kept: no allocation)
  byte_buffer headers_;                          ///< flush scratch: yamux headers
  uint64_t cipher_queued_ = 0;
  uint64_t cipher_sent_ = 0;
  struct pending_ack {
    uint64_t cipher_end;
    uint64_t plain;
    caf::actor to;
  };
  std::deque<pending_ack> acks_;
  size_t max_frame_ = max_data_frame;
  bool waiting_link_ = false;
  bool fin_sent_ = false;
  caf::error failure_;
  std::atomic<std::chrono::steady_clock::rep> deadline_ns_{0};
};

using stream_core_ptr = std::shared_ptr<stream_core>;

/// (The stream actor hands this out: api::score_atom, messages/api/dmsg.hpp.)

} // namespace skywire::dmsg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::dmsg::stream_core_ptr)
