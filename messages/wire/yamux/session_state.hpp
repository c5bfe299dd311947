// yamux session logic (hashicorp/yamux v0.1.1 behaviour) as a plain class:
// stream table, stream ids, 256 KiB flow-control windows, window updates,
// pings and go-away. No sockets, no clocks: the owner feeds received bytes
// (or frames), takes the resulting events, and writes the produced bytes.
// Timers (keepalive every 30 s, open/close timeouts) belong to the owner.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "messages/error.hpp"
#include "messages/wire/yamux/frame.hpp"

namespace skywire::wire::yamux {

enum class role : uint8_t { client, server };

struct session_limits {
  /// Streams open at once (ours; the reference has none beyond the backlog).
  size_t max_streams = 4096;
};

struct event {
  enum class kind : uint8_t {
    stream_opened,    ///< the peer opened a stream (SYN); call accept() or reset_stream()
    stream_accepted,  ///< the peer acknowledged a stream we opened (ACK)
    data,             ///< bytes for a stream (call consumed() once the app took them)
    remote_closed,    ///< the peer half-closed the stream (FIN)
    reset,            ///< the stream was reset (RST from the peer); it is gone
    closed,           ///< both sides closed; the stream is gone
    window_update,    ///< the send window grew (value = new send window): write more
    ping,             ///< the peer pinged (value = id); the ACK is already queued
    pong,             ///< answer to our ping (value = id)
    go_away,          ///< the peer will accept no new streams (value = reason)
  };
  kind k;
  uint32_t stream_id = 0;
  uint32_t value = 0;
  std::vector<uint8_t> data;
};

const char* to_string(event::kind k) noexcept;

class session_state {
public:
  enum class stream_status : uint8_t {
    syn_sent,      ///< we opened it, no ACK yet
    syn_received,  ///< the peer opened it, not accepted yet
    established,
    local_closed,  ///< we sent FIN
    remote_closed, ///< the peer sent FIN
  };

  explicit session_state(role r, config cfg = {}, session_limits lim = {});

  // ---- local actions (queue frames into the output) -------------------------

  /// Opens a stream: allocates the next odd (client) or even (server) id and
  /// queues a window update with SYN. Fails after a go-away or at the limit.
  expected<uint32_t> open_stream();

  /// Accepts a stream the peer opened (queues the ACK window update).
  caf::error accept(uint32_t id);

  /// Queues data frames for as much of `data` as the send window allows and
  /// returns how many bytes were taken; the rest waits for a window_update.
  expected<size_t> write(uint32_t id, byte_span data);

  /// The application consumed n received bytes; queues a window update once
  /// half a window has been consumed (as the reference does).
  void consumed(uint32_t id, size_t n);

  /// Half-closes our side (FIN). The stream is removed when both sides closed.
  caf::error close_stream(uint32_t id);

  /// Resets a stream (RST) and forgets it.
  void reset_stream(uint32_t id);

  /// Queues a ping (SYN) and returns its id.
  uint32_t ping();

  /// Queues a go-away; afterwards incoming SYNs are answered with RST.
  void go_away(go_away_code code = go_away_code::normal);

  // ---- input ----------------------------------------------------------------

  /// Parses received bytes into frames and handles them. A protocol error
  /// queues go-away(protocol error) and fails the session (sticky).
  caf::error receive(byte_span bytes);

  /// Handles one parsed frame.
  caf::error handle(const frame_view& f);

  // ---- results --------------------------------------------------------------

  std::vector<event> take_events() { return std::exchange(events_, {}); }
  std::vector<uint8_t> take_output() { return std::exchange(out_, {}); }
  bool has_output() const noexcept { return !out_.empty(); }

  // ---- queries --------------------------------------------------------------

  bool failed() const noexcept { return static_cast<bool>(failed_); }
  bool remote_go_away() const noexcept { return remote_go_away_; }
  size_t stream_count() const noexcept { return streams_.size(); }
  bool has_stream(uint32_t id) const noexcept { return streams_.count(id) != 0; }
  std::optional<stream_status> status(uint32_t id) const;
  uint32_t send_window(uint32_t id) const;
  uint32_t recv_window(uint32_t id) const;

private:
  struct stream {
    stream_status st;
    uint32_t send_window = initial_stream_window;
    uint32_t recv_window = initial_stream_window;
    uint32_t unconsumed = 0; ///< delivered but not yet consumed by the app
    bool awaiting_accept = false; ///< opened by the peer, accept() not called yet
  };

  void erase(std::map<uint32_t, stream>::iterator i);

  void emit(event::kind k, uint32_t id, uint32_t value = 0, std::vector<uint8_t> data = {});
  void send(frame_type t, uint16_t flags, uint32_t id, uint32_t length, byte_span body = {});
  caf::error protocol_error(std::string what);
  caf::error incoming_syn(uint32_t id);
  void remote_fin(uint32_t id);
  void maybe_window_update(uint32_t id, stream& s);

  role role_;
  config cfg_;
  session_limits limits_;
  frame_reader reader_;
  std::map<uint32_t, stream> streams_;
  uint32_t next_id_;
  uint32_t next_ping_ = 0;
  size_t pending_accept_ = 0;
  bool local_go_away_ = false;
  bool remote_go_away_ = false;
  std::vector<event> events_;
  std::vector<uint8_t> out_;
  caf::error failed_;
};

} // namespace skywire::wire::yamux
