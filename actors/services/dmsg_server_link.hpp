// The yamux side of one dmsg server session, run on the connection's io
// thread (inside stream_connection's on_data, serialized by its strand): a
// plain class, no actor, tested directly.
//
// What it does per read, without a mailbox:
//   * frames the Noise handshake messages and hands each to the session
//     actor (the handshake's crypto stays there); bytes that arrive after
//     the client's last handshake message wait in the link (bounded) until
//     the actor calls start_yamux();
//   * parses yamux, answers pings, ACKs stream SYNs (RST beyond
//     max_streams), applies window updates, checks receive windows;
//   * relays the data of spliced streams into the other session's relay_tx
//     (one buffer per stream and read) and forwards FIN after it;
//   * keeps the bytes of streams still in the stream open protocol (the
//     request or response object) for the session's opens
//     (dmsg_server_opens.hpp), with one notification per stream and read,
//     made after the link's mutex is released, on the reading thread; RST
//     on such streams is told the same way;
//   * reports protocol errors.
// What the hooks carry: handshake frames and protocol errors (with the
// mutex held: the session posts them), control data and control-stream RSTs
// (after unlocking: the session's opens run them at once); resets and FINs
// raised on other threads (stream_events of the session). Never data of a
// spliced stream.
//
// Lock order: the link's mutex (held for a whole read, or one call of the
// actor) before any relay_tx, relay_rx and connection lock (see
// dmsg_server_relay.hpp). A link never takes another link's mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <deque>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/services/dmsg_server_relay.hpp"
#include "messages/wire/yamux/fragment_splitter.hpp"
#include "messages/wire/yamux/frame.hpp"
#include "messages/ids.hpp"

namespace skywire::services::dmsg_relay {

/// What the link tells its session. handshake_frame and failed are called
/// with the link's mutex held: post, never call back into the link.
/// control_data and control_reset are called after the link released its
/// mutex, in the order they happened, on the thread that handed the link
/// the bytes (the io thread; start_yamux's caller for bytes held until
/// then): they may call back into the link.
class link_hooks {
public:
  virtual ~link_hooks() = default;
  /// One Noise handshake message body; extra_after: bytes followed the
  /// client's last handshake message in the same read (error 203).
  virtual void handshake_frame(byte_buffer body, bool extra_after) = 0;
  /// Stream `id` (in the stream open protocol) has bytes or a FIN to take.
  virtual void control_data(uint32_t id) = 0;
  /// The client reset stream `id` while it was in the stream open protocol
  /// (the link already forgot it).
  virtual void control_reset(uint32_t id) = 0;
  /// A protocol error or GoAway: the session must end.
  virtual void failed(const char* reason) = 0;
};

struct link_config {
  size_t max_streams = 512;
  uint32_t relay_buffer = 256 * 1024; ///< extra receive window once spliced
  /// A spliced stream's receive window may grow up to this (auto-tuned:
  /// relay_rx::allow_growth) while the session's growth budget lasts.
  uint32_t relay_window_cap = 2 * 1024 * 1024;
  uint64_t relay_growth_budget = 8 * 1024 * 1024; ///< per session, all its streams
  std::chrono::milliseconds relay_grow_interval{4};
  size_t max_backlog = 512 * 1024;    ///< relay_tx queue bound (beyond: reset)
  size_t sink_limit = 1024 * 1024;    ///< relay data waits while the connection holds more
  size_t max_held = 256 * 1024;       ///< bytes after the handshake, before start_yamux()
};

class dmsg_server_link {
public:
  dmsg_server_link(std::shared_ptr<frame_sink> sink, std::shared_ptr<link_hooks> hooks,
                   std::shared_ptr<stream_events> events, link_config cfg,
                   std::shared_ptr<relay_stats> stats = {});

  // -- the io thread ---------------------------------------------------------------------

  /// One read (a view of the shard's read buffer, valid during the call).
  void on_data(byte_span buf);
  /// The connection wrote bytes: relay data waiting for room goes on.
  void on_sent();
  std::chrono::steady_clock::time_point last_rx() const;

  // -- the session (its actor and its opens) ------------------------------------------

  /// The handshake is done: parse the bytes held since and go on.
  void start_yamux();
  /// Opens server stream `id` (SYN) and writes the sealed object on it.
  bool open_stream(uint32_t id, const byte_buffer& object);
  struct control_bytes {
    bool found = false;
    bool fin = false;  ///< the client sent FIN
    byte_buffer data;
  };
  /// Takes what the client sent on a stream in the open protocol.
  control_bytes take_control(uint32_t id);
  /// The actor consumed n bytes of the stream (the object): window back.
  void credit(uint32_t id, uint32_t n);
  /// Keeps the stream's bytes without notifying (waiting for the peer).
  void hold(uint32_t id);
  /// Data toward our client on `id` (handed to the peer session), or null.
  relay_tx_ptr tx(uint32_t id);
  /// Writes the object toward our client (if any) and lets relay data flow.
  bool open_tx(uint32_t id, const byte_buffer* object);
  /// Splices `id` to the peer's stream: our client's data goes into
  /// peer_tx, starting with `early` and what the link held. False: the
  /// stream or the peer's side is gone (reset here, RST sent).
  bool splice(uint32_t id, relay_tx_ptr peer_tx, byte_buffer early);
  /// Forgets `id`: RST to our client, and to the peer's side if spliced and
  /// tell_peer.
  void reset(uint32_t id, bool rst_to_client, bool tell_peer);
  /// A FIN was written toward our client on `id`.
  void fin_sent(uint32_t id);
  /// A header-only frame of the session (ping, RST).
  void write_control(wire::yamux::frame_type t, uint16_t flags, uint32_t id, uint32_t len);
  /// The session ends: every relay closes, spliced peers are reset.
  void shutdown();

  size_t streams() const;
  std::shared_ptr<session_out> out() const { return out_; }

private:
  enum class mode : uint8_t { handshake, held, yamux, dead };
  enum class phase : uint8_t { notify, hold, spliced };
  struct stream {
    phase ph = phase::notify;
    bool remote_fin = false;
    bool notified = false;
    relay_rx_ptr rx;
    relay_tx_ptr tx;
    relay_tx_ptr peer_tx;
    byte_buffer ctl; ///< bytes for the actor (open protocol) or held until the splice
  };

  void fail(const char* reason);
  void handshake_bytes(byte_span buf);
  void yamux_bytes(byte_span buf);
  void on_frame(const wire::yamux::fragment& f);
  void on_stream_data(uint32_t id, stream& s, byte_span body, bool frame_end);
  void client_fin(uint32_t id, stream& s);
  void client_rst(uint32_t id, stream& s);
  /// The bodies of one read toward one spliced stream: views into the read
  /// buffer (valid until the read is handled), copies only of bodies that
  /// lie elsewhere (a frame the splitter completed from its tail).
  struct batch {
    uint32_t id = 0;
    std::vector<byte_span> parts;
    size_t len = 0;
    /// A list: its nodes stay where they are when batches_ grows (the
    /// views point into them), and it moves without throwing, so batches_
    /// moves batches instead of copying them.
    std::list<byte_buffer> owned;
    batch() = default;
    batch(batch&&) noexcept = default;
    batch& operator=(batch&&) noexcept = default;
    batch(const batch&) = delete;
    batch& operator=(const batch&) = delete;
    void clear() {
      parts.clear(); // keeps its capacity for the next read
      owned.clear();
      len = 0;
    }
  };
  batch& batch_for(uint32_t id);
  void drop_batch(uint32_t id);
  void flush_batch(uint32_t id);
  void flush_batches();
  void push(uint32_t id, stream& s, batch& b);
  void reset_locked(uint32_t id, bool rst_to_client, bool tell_peer);
  void write(byte_buffer&& b);
  /// A control hook owed (mutex held): fired by fire_control() once unlocked.
  void note_control(uint32_t id, bool rst) { ctl_events_.push_back({id, rst}); }
  void fire_control(std::unique_lock<std::mutex>& g);

  const std::shared_ptr<frame_sink> sink_;
  const std::shared_ptr<link_hooks> hooks_;
  const link_config cfg_;
  const std::shared_ptr<session_out> out_;
  const std::shared_ptr<window_budget> growth_; ///< cfg_.relay_growth_budget
  mutable std::mutex mtx_;
  mode mode_ = mode::handshake;
  int hs_frames_ = 0;
  byte_buffer pending_; ///< incomplete handshake message, or bytes held until yamux starts
  wire::yamux::fragment_splitter splitter_;
  std::unordered_map<uint32_t, stream> streams_;
  std::vector<batch> batches_;  ///< in use: [0, nbatches_)
  size_t nbatches_ = 0;
  byte_span read_{};            ///< the read being handled (yamux_bytes)
  struct ctl_event {
    uint32_t id;
    bool rst;
  };
  /// Control hooks owed by the read being handled (at most one data
  /// notification per stream until the opens take its bytes, one RST per
  /// stream): fired after unlocking.
  std::vector<ctl_event> ctl_events_;
  std::atomic<int64_t> last_rx_;
};

} // namespace skywire::services::dmsg_relay
