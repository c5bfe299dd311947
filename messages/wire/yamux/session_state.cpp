#include "messages/wire/yamux/session_state.hpp"

#include <algorithm>
#include <utility>

namespace skywire::wire::yamux {

const char* to_string(event::kind k) noexcept {
  switch (k) {
    case event::kind::stream_opened: return "stream_opened";
    case event::kind::stream_accepted: return "stream_accepted";
    case event::kind::data: return "data";
    case event::kind::remote_closed: return "remote_closed";
    case event::kind::reset: return "reset";
    case event::kind::closed: return "closed";
    case event::kind::window_update: return "window_update";
    case event::kind::ping: return "ping";
    case event::kind::pong: return "pong";
    case event::kind::go_away: return "go_away";
  }
  return "unknown";
}

session_state::session_state(role r, config cfg, session_limits lim)
  : role_(r),
    cfg_(cfg),
    limits_(lim),
    reader_(parse_limits{std::max(cfg.max_stream_window_size, initial_stream_window)}),
    next_id_(r == role::client ? 1 : 2) {
}

void session_state::emit(event::kind k, uint32_t id, uint32_t value, std::vector<uint8_t> data) {
  events_.push_back(event{k, id, value, std::move(data)});
}

void session_state::send(frame_type t, uint16_t flags, uint32_t id, uint32_t length,
                         byte_span body) {
  append_frame(out_, header{protocol_version, t, flags, id, length}, body);
}

caf::error session_state::protocol_error(std::string what) {
  if (!failed_) {
    send(frame_type::go_away, 0, 0, static_cast<uint32_t>(go_away_code::protocol_error));
    failed_ = make_error(wire_errc::malformed, "yamux: " + what);
  }
  return failed_;
}

std::optional<session_state::stream_status> session_state::status(uint32_t id) const {
  auto i = streams_.find(id);
  if (i == streams_.end())
    return std::nullopt;
  return i->second.st;
}

uint32_t session_state::send_window(uint32_t id) const {
  auto i = streams_.find(id);
  return i == streams_.end() ? 0 : i->second.send_window;
}

uint32_t session_state::recv_window(uint32_t id) const {
  auto i = streams_.find(id);
  return i == streams_.end() ? 0 : i->second.recv_window;
}

expected<uint32_t> session_state::open_stream() {
  if (failed_)
    return failed_;
  if (remote_go_away_ || local_go_away_)
    return make_error(wire_errc::bad_value, "yamux: session shutting down (go-away)");
  if (streams_.size() >= limits_.max_streams)
    return make_error(wire_errc::oversized, "yamux: too many streams");
  if (next_id_ > 0xfffffffdu)
    return make_error(wire_errc::oversized, "yamux: stream ids exhausted");
  auto id = next_id_;
  next_id_ += 2;
  streams_.emplace(id, stream{stream_status::syn_sent});
  // Initial window == max window, so the SYN carries delta 0.
  send(frame_type::window_update, flag::syn, id, 0);
  return id;
}

void session_state::erase(std::map<uint32_t, stream>::iterator i) {
  if (i->second.awaiting_accept && pending_accept_ > 0)
    --pending_accept_;
  streams_.erase(i);
}

caf::error session_state::accept(uint32_t id) {
  auto i = streams_.find(id);
  if (i == streams_.end() || !i->second.awaiting_accept)
    return make_error(wire_errc::bad_value, "yamux: no stream to accept");
  i->second.awaiting_accept = false;
  if (pending_accept_ > 0)
    --pending_accept_;
  if (i->second.st == stream_status::syn_received)
    i->second.st = stream_status::established;
  // The peer may have half-closed already; the ACK is still owed.
  send(frame_type::window_update, flag::ack, id, 0);
  return {};
}

expected<size_t> session_state::write(uint32_t id, byte_span data) {
  if (failed_)
    return failed_;
  auto i = streams_.find(id);
  if (i == streams_.end())
    return make_error(wire_errc::bad_value, "yamux: write to unknown stream");
  auto& s = i->second;
  if (s.st == stream_status::local_closed)
    return make_error(wire_errc::bad_value, "yamux: write after close");
  if (s.st == stream_status::syn_received)
    return make_error(wire_errc::bad_value, "yamux: write before accept");
  size_t n = std::min<size_t>(data.size(), s.send_window);
  if (n == 0)
    return size_t{0};
  send(frame_type::data, 0, id, static_cast<uint32_t>(n), data.first(n));
  s.send_window -= static_cast<uint32_t>(n);
  return n;
}

void session_state::maybe_window_update(uint32_t id, stream& s) {
  // Reference: delta = (max - buffered) - recvWindow, sent when >= max/2.
  uint32_t max = cfg_.max_stream_window_size;
  uint64_t target = max > s.unconsumed ? max - s.unconsumed : 0;
  if (target <= s.recv_window)
    return;
  auto delta = static_cast<uint32_t>(target - s.recv_window);
  if (delta < max / 2)
    return;
  s.recv_window += delta;
  send(frame_type::window_update, 0, id, delta);
}

void session_state::consumed(uint32_t id, size_t n) {
  auto i = streams_.find(id);
  if (i == streams_.end() || failed_)
    return;
  auto& s = i->second;
  s.unconsumed -= static_cast<uint32_t>(std::min<size_t>(n, s.unconsumed));
  if (s.st != stream_status::remote_closed)
    maybe_window_update(id, s);
}

caf::error session_state::close_stream(uint32_t id) {
  auto i = streams_.find(id);
  if (i == streams_.end())
    return make_error(wire_errc::bad_value, "yamux: close of unknown stream");
  auto& s = i->second;
  if (s.st == stream_status::local_closed)
    return {};
  send(frame_type::window_update, flag::fin, id, 0);
  if (s.st == stream_status::remote_closed) {
    erase(i);
    emit(event::kind::closed, id);
  } else {
    if (s.awaiting_accept && pending_accept_ > 0)
      --pending_accept_;
    s.awaiting_accept = false;
    s.st = stream_status::local_closed;
  }
  return {};
}

void session_state::reset_stream(uint32_t id) {
  auto i = streams_.find(id);
  if (i == streams_.end())
    return;
  erase(i);
  send(frame_type::window_update, flag::rst, id, 0);
}

uint32_t session_state::ping() {
  auto id = next_ping_++;
  send(frame_type::ping, flag::syn, 0, id);
  return id;
}

void session_state::go_away(go_away_code code) {
  local_go_away_ = true;
  send(frame_type::go_away, 0, 0, static_cast<uint32_t>(code));
}

caf::error session_state::receive(byte_span bytes) {
  if (failed_)
    return failed_;
  reader_.feed(bytes);
  for (;;) {
    auto f = reader_.next();
    if (!f)
      return protocol_error(describe(f.error()));
    if (!*f)
      return {};
    if (auto err = handle(**f))
      return err;
  }
}

caf::error session_state::incoming_syn(uint32_t id) {
  if (id == 0)
    return protocol_error("SYN on stream 0");
  bool peer_parity = role_ == role::client ? (id % 2 == 0) : (id % 2 == 1);
  if (!peer_parity)
    return protocol_error("peer opened a stream with our id parity");
  if (streams_.count(id) != 0)
    return protocol_error("duplicate stream declared");
  if (local_go_away_ || streams_.size() >= limits_.max_streams
      || pending_accept_ >= cfg_.accept_backlog) {
    // Refuse the stream, as the reference does when its backlog is full.
    send(frame_type::window_update, flag::rst, id, 0);
    return {};
  }
  stream s{stream_status::syn_received};
  s.awaiting_accept = true;
  streams_.emplace(id, s);
  ++pending_accept_;
  emit(event::kind::stream_opened, id);
  return {};
}

void session_state::remote_fin(uint32_t id) {
  auto i = streams_.find(id);
  if (i == streams_.end())
    return;
  auto& s = i->second;
  if (s.st == stream_status::remote_closed)
    return;
  emit(event::kind::remote_closed, id);
  if (s.st == stream_status::local_closed) {
    erase(i);
    emit(event::kind::closed, id);
  } else {
    s.st = stream_status::remote_closed;
  }
}

caf::error session_state::handle(const frame_view& f) {
  if (failed_)
    return failed_;
  const auto& h = f.hdr;
  switch (h.type) {
    case frame_type::ping:
      if (h.has(flag::syn)) {
        send(frame_type::ping, flag::ack, 0, h.length);
        emit(event::kind::ping, 0, h.length);
      } else if (h.has(flag::ack)) {
        emit(event::kind::pong, 0, h.length);
      }
      return {};
    case frame_type::go_away:
      if (h.length > static_cast<uint32_t>(go_away_code::internal_error))
        return protocol_error("unexpected go-away reason");
      remote_go_away_ = true;
      emit(event::kind::go_away, 0, h.length);
      return {};
    case frame_type::data:
    case frame_type::window_update:
      break;
  }
  uint32_t id = h.stream_id;
  if (h.has(flag::syn))
    if (auto err = incoming_syn(id))
      return err;
  auto i = streams_.find(id);
  if (i == streams_.end())
    return {}; // unknown or refused stream: drop (the reference drains and ignores)
  auto& s = i->second;
  if (h.has(flag::rst)) {
    erase(i);
    emit(event::kind::reset, id);
    return {};
  }
  if (h.has(flag::ack) && s.st == stream_status::syn_sent) {
    s.st = stream_status::established;
    emit(event::kind::stream_accepted, id);
  }
  if (h.type == frame_type::window_update) {
    if (h.length > 0) {
      uint64_t grown = uint64_t{s.send_window} + h.length;
      if (grown > 0xffffffffu)
        return protocol_error("send window overflow");
      s.send_window = static_cast<uint32_t>(grown);
      emit(event::kind::window_update, id, s.send_window);
    }
  } else if (!f.body.empty()) {
    if (h.length > s.recv_window)
      return protocol_error("receive window exceeded");
    s.recv_window -= h.length;
    if (s.st != stream_status::remote_closed) {
      s.unconsumed += h.length;
      emit(event::kind::data, id, 0, std::vector<uint8_t>(f.body.begin(), f.body.end()));
    }
  }
  if (h.has(flag::fin))
    remote_fin(id);
  return {};
}

} // namespace skywire::wire::yamux
