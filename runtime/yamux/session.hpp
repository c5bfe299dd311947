// A hashicorp/yamux v0.1.1 session as a plain engine over any ordered byte
// carrier (a route group today: skysocks and skysocks-client, reference
// §5.5). Codec and per-stream flow control are the tree's own
// (messages/wire/yamux/frame.hpp, window.hpp); this class adds what a
// session is: stream ids (client odd from 1, server even from 2), SYN/ACK
// on the first window update, FIN as a window update, RST, Ping answers,
// GoAway, and the send scheduling of many streams over one carrier.
//
// Wire behaviour as hashicorp/yamux (keepalive off, as skysocks runs it):
//  - open: WindowUpdate{SYN, delta = window - 256 KiB} (0 with the default
//    window); accept: WindowUpdate{ACK, same delta};
//  - data frames carry at most what the peer's window allows;
//  - a receive window update once half of it has come back (credit);
//  - close: WindowUpdate{FIN, 0} after every queued byte; reset: {RST};
//  - Ping{SYN, id} is answered with Ping{ACK, id}; GoAway ends the session;
//  - frames for unknown streams are ignored (a stream we reset), a data
//    frame beyond a stream's window, a SYN for a live id or a bad header is
//    a protocol error: GoAway(protocol error), the session ends.
//
// Bounds: each stream's unsent bytes, and optionally all streams' together
// (the owner pauses its source once writable() is false and resumes on
// on_writable); the control frames
// waiting for the carrier (max_control: past it the session fails loudly);
// one batch of frames in flight to the carrier; the receive side by the
// yamux windows (bytes are handed to the stream's owner at once, and come
// back as credit with consumed()).
//
// Threading: one thread (the carrier's shard). Callbacks may call back into
// the session (write, consumed, close, reset, open); the session may not be
// destroyed inside a callback — on_end is the last call, and the owner
// drops the session after it returns.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>

#include "messages/wire/yamux/frame.hpp"
#include "messages/wire/yamux/window.hpp"

namespace skywire::yamux {

using byte_span = std::span<const uint8_t>;
using byte_buffer = std::vector<uint8_t>;

class session {
public:
  enum class role : uint8_t { client, server };

  /// What the carrier answered for one batch.
  enum class send_result : uint8_t {
    ok,     ///< taken
    busy,   ///< not taken: call carrier_writable() once it drained
    failed, ///< the carrier is gone
  };

  struct limits {
    /// The receive window of every stream (256 KiB = hashicorp's; more is
    /// announced in the SYN/ACK update, which hashicorp senders honour).
    uint32_t recv_window = wire::yamux::initial_stream_window;
    /// A stream's unsent bytes before writable() answers false.
    size_t stream_high_water = 256 * 1024;
    /// All streams' unsent bytes before writable() answers false for every
    /// stream (0: no such bound): many streams at their own mark each would
    /// otherwise hold streams × stream_high_water. on_writable comes once
    /// both are below half.
    size_t session_high_water = 0;
    /// Largest data frame we write.
    size_t max_frame = 32 * 1024;
    /// Frames gathered into one carrier write.
    size_t batch = 64 * 1024;
    /// Control frames waiting for the carrier.
    size_t max_control = 256 * 1024;
    /// Live streams; a SYN beyond it is answered with RST (hashicorp's
    /// accept backlog answer).
    size_t max_streams = 1024;
  };

  /// One stream's owner.
  struct stream_handler {
    /// Received bytes, in order; come back with consumed().
    std::function<void(byte_span)> on_data;
    /// The peer closed its side (after every byte of it was handed over).
    std::function<void()> on_fin;
    /// The stream was reset (RST, or the session ended); the last call.
    std::function<void(const caf::error&)> on_reset;
    /// writable() became true again.
    std::function<void()> on_writable;
    /// The stream is over on both sides (FIN both ways); the last call.
    std::function<void()> on_closed;
  };

  struct hooks {
    /// The carrier: one batch of frames.
    std::function<send_result(byte_span)> send;
    /// Server: a stream the peer opened (set its handler with set_handler
    /// before returning, or reset it).
    std::function<void(uint32_t id)> on_accept;
    /// The session ended (none: our close or the peer's GoAway normal).
    std::function<void(const caf::error&)> on_end;
  };

  struct counters {
    uint64_t frames_in = 0;
    uint64_t frames_out = 0;
    uint64_t data_in = 0;
    uint64_t data_out = 0;
    uint64_t ignored = 0; ///< frames for unknown streams
    uint64_t busy = 0;    ///< carrier writes refused (back-pressure)
  };

  session(role r, hooks h, limits l);
  session(role r, hooks h) : session(r, std::move(h), limits{}) {}
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // -- carrier side --------------------------------------------------------------------

  /// Bytes from the carrier, in order (frames may be cut anywhere).
  void on_carrier_data(byte_span bytes);
  /// The carrier drained after a busy answer.
  void carrier_writable();
  /// The carrier ended: every stream is reset with err; on_end follows.
  void carrier_closed(const caf::error& err);

  // -- streams -------------------------------------------------------------------------

  /// Client: opens a stream (SYN goes out); nullopt when the session ended,
  /// the peer went away or too many streams are live.
  std::optional<uint32_t> open(stream_handler h);
  void set_handler(uint32_t id, stream_handler h);
  /// Queues bytes (all of them: the owner checks writable() to pace itself).
  /// False when the stream is gone or closed for writing.
  bool write(uint32_t id, byte_span bytes);
  /// The same, taking the buffer over (no copy: a socket's read buffer).
  bool write(uint32_t id, byte_buffer&& bytes);
  bool writable(uint32_t id) const;
  /// The owner processed n received bytes of the stream.
  void consumed(uint32_t id, size_t n);
  /// Our side is done: FIN after every queued byte.
  void close(uint32_t id);
  /// Ends the stream at once: RST, no more callbacks for it.
  void reset(uint32_t id);

  /// Ends the session: GoAway(normal), every stream reset; on_end follows.
  void shutdown();

  bool ended() const noexcept { return ended_; }
  size_t live_streams() const noexcept { return streams_.size(); }
  const counters& stats() const noexcept { return stats_; }
  /// Unsent bytes of a stream (0 when it is gone).
  size_t pending(uint32_t id) const;
  /// Unsent bytes of all streams.
  size_t pending() const noexcept { return out_total_; }
  /// All streams' unsent bytes are at the session's mark: writable() is
  /// false for every stream, and each is woken once below the half mark.
  bool saturated() const noexcept { return over_session_mark(); }
  /// The send window the peer granted a stream (0 when it is gone).
  uint32_t send_window(uint32_t id) const;

private:
  struct stream {
    uint32_t id = 0;
    stream_handler h;
    wire::yamux::send_window send;
    wire::yamux::recv_window recv;
    std::deque<byte_buffer> out; ///< unsent data
    size_t out_head = 0;         ///< bytes of out.front() already framed
    size_t out_bytes = 0;
    bool local_fin = false;      ///< close() called
    bool fin_sent = false;
    bool remote_fin = false;
    bool ready = false;          ///< in ready_
    bool blocked = false;        ///< was above the high water mark
    stream(uint32_t i, uint32_t window) : id(i), recv(window) {}
  };

  stream* find(uint32_t id) const;
  void on_frame(const wire::yamux::frame_view& f);
  void on_stream_frame(const wire::yamux::frame_view& f);
  void accept(uint32_t id, uint32_t delta);
  void control(wire::yamux::frame_type t, uint16_t flags, uint32_t id, uint32_t length);
  void mark_ready(stream& s);
  bool over_session_mark() const noexcept;
  /// A blocked stream below its own half mark: woken unless the session is over its half mark.
  void maybe_unblock(stream& s);
  void flush();
  bool fill_batch();
  void after_send(stream& s);
  void maybe_finish(uint32_t id);
  void remove(uint32_t id);
  void fail(caf::error err, bool go_away);
  void end(const caf::error& err);

  role role_;
  hooks hooks_;
  limits lim_;
  uint32_t next_id_;
  std::unordered_map<uint32_t, std::unique_ptr<stream>> streams_;
  std::deque<uint32_t> ready_; ///< streams with data (or a FIN) to send
  wire::yamux::frame_splitter splitter_;
  byte_buffer control_; ///< control frames not yet in a batch
  byte_buffer batch_;   ///< the batch the carrier refused (sent again first)
  std::vector<uint32_t> woken_;
  size_t out_total_ = 0;         ///< unsent bytes of all streams
  bool session_blocked_ = false; ///< a stream waits for the session's half mark
  bool flushing_ = false;
  bool again_ = false;
  bool blocked_ = false; ///< the carrier answered busy
  bool go_away_ = false; ///< the peer sent GoAway: no more opens
  bool ended_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  counters stats_;
};

} // namespace skywire::yamux
