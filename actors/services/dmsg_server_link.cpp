#include "actors/services/dmsg_server_link.hpp"

#include <algorithm>
#include <cstring>

#include "runtime/crypto/noise/session.hpp"

namespace skywire::services::dmsg_relay {

namespace ym = wire::yamux;
namespace nz = crypto::noise;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr uint32_t window = ym::initial_stream_window;
constexpr size_t max_handshake_body = 65;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           clock_type::now().time_since_epoch())
    .count();
}

} // namespace

dmsg_server_link::dmsg_server_link(std::shared_ptr<frame_sink> sink,
                                   std::shared_ptr<link_hooks> hooks,
                                   std::shared_ptr<stream_events> events, link_config cfg,
                                   std::shared_ptr<relay_stats> stats)
  : sink_(sink),
    hooks_(std::move(hooks)),
    cfg_(cfg),
    out_(std::make_shared<session_out>(std::move(sink), cfg.sink_limit, std::move(events),
                                       std::move(stats))),
    growth_(std::make_shared<window_budget>(cfg.relay_growth_budget)),
    // A client may send one frame as large as its window (spliced streams
    // get the relay buffer and what they grew by on top).
    splitter_(wire::yamux::parse_limits{
      std::max<uint32_t>(window + cfg.relay_buffer, cfg.relay_window_cap)}),
    last_rx_(now_ns()) {}

clock_type::time_point dmsg_server_link::last_rx() const {
  return clock_type::time_point{std::chrono::nanoseconds{last_rx_.load()}};
}

// -- the io thread ------------------------------------------------------------------------

void dmsg_server_link::on_data(byte_span buf) {
  last_rx_.store(now_ns(), std::memory_order_relaxed);
  std::unique_lock<std::mutex> guard{mtx_};
  switch (mode_) {
    case mode::handshake:
      handshake_bytes(buf);
      return;
    case mode::held:
      if (pending_.size() + buf.size() > cfg_.max_held) {
        fail("too much data before the session was up");
        return;
      }
      pending_.insert(pending_.end(), buf.begin(), buf.end());
      return;
    case mode::yamux:
      yamux_bytes(buf);
      fire_control(guard);
      return;
    case mode::dead:
      return;
  }
}

// The open protocol's hooks run without the link's mutex: they take the
// stream's bytes, reset streams, open streams on this link.
void dmsg_server_link::fire_control(std::unique_lock<std::mutex>& g) {
  if (ctl_events_.empty())
    return;
  std::vector<ctl_event> evs;
  evs.swap(ctl_events_);
  g.unlock();
  for (auto& e : evs) {
    if (e.rst)
      hooks_->control_reset(e.id);
    else
      hooks_->control_data(e.id);
  }
}

void dmsg_server_link::on_sent() {
  if (!out_->take_blocked())
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& kv : streams_)
    kv.second.tx->pump();
}

void dmsg_server_link::fail(const char* reason) {
  if (mode_ == mode::dead)
    return;
  mode_ = mode::dead;
  ctl_events_.clear(); // the session ends: its opens are reset with it
  byte_buffer{}.swap(pending_);
  for (size_t i = 0; i < nbatches_; ++i)
    batches_[i].clear();
  nbatches_ = 0;
  hooks_->failed(reason);
}

void dmsg_server_link::handshake_bytes(byte_span buf) {
  pending_.insert(pending_.end(), buf.begin(), buf.end());
  while (mode_ == mode::handshake) {
    auto f = nz::next_frame(pending_, max_handshake_body);
    if (!f) {
      fail("handshake frame too large");
      return;
    }
    if (!*f)
      return;
    byte_buffer body((*f)->body.begin(), (*f)->body.end());
    auto used = static_cast<std::ptrdiff_t>((*f)->consumed);
    pending_.erase(pending_.begin(), pending_.begin() + used);
    // XK: the initiator sends two messages; what follows is yamux.
    if (++hs_frames_ == 2) {
      bool extra = !pending_.empty();
      mode_ = extra ? mode::dead : mode::held;
      byte_buffer{}.swap(pending_);
      hooks_->handshake_frame(std::move(body), extra);
      return;
    }
    hooks_->handshake_frame(std::move(body), false);
  }
}

void dmsg_server_link::yamux_bytes(byte_span buf) {
  // Frames are parsed in the read buffer; a data frame cut by a read comes
  // in pieces, each relayed from the read it arrived in (no copy).
  read_ = buf;
  auto err = splitter_.feed(buf, [this](const ym::fragment& f) {
    on_frame(f);
    return mode_ == mode::yamux;
  });
  if (err && mode_ == mode::yamux) {
    fail("yamux protocol error");
    return;
  }
  if (mode_ != mode::yamux)
    return;
  flush_batches();
}

void dmsg_server_link::on_frame(const ym::fragment& f) {
  const auto& h = f.hdr;
  auto body = f.body;
  switch (h.type) {
    case ym::frame_type::ping:
      if (h.has(ym::flag::syn))
        write(header_frame(ym::frame_type::ping, ym::flag::ack, 0, h.length));
      return;
    case ym::frame_type::go_away:
      fail("go away");
      return;
    case ym::frame_type::data:
    case ym::frame_type::window_update:
      break;
  }
  uint32_t id = h.stream_id;
  if (id == 0) {
    fail("stream id 0");
    return;
  }
  auto it = streams_.find(id);
  if (h.has(ym::flag::syn) && f.first) {
    if (it != streams_.end() || (id & 1) == 0) {
      fail("bad stream open");
      return;
    }
    if (streams_.size() >= cfg_.max_streams) {
      write(header_frame(ym::frame_type::window_update, ym::flag::rst, id, 0));
      return;
    }
    it = streams_.emplace(id, stream{}).first;
    it->second.rx = std::make_shared<relay_rx>(sink_, id, window);
    it->second.tx = std::make_shared<relay_tx>(out_, id, window, cfg_.max_backlog);
    write(header_frame(ym::frame_type::window_update, ym::flag::ack, id, 0));
  }
  if (it == streams_.end())
    return; // a stream we already reset: ignored, as yamux does
  auto& s = it->second;
  if (h.type == ym::frame_type::window_update) {
    if (!s.tx->add_window(h.length)) {
      fail("window overflow");
      return;
    }
  } else if (!body.empty()) {
    if (!s.rx->take(static_cast<uint32_t>(body.size()))) {
      fail("receive window exceeded");
      return;
    }
    on_stream_data(id, s, body, f.last);
  }
  if (!f.last)
    return; // FIN and RST act after the frame's whole body
  if (h.has(ym::flag::rst))
    client_rst(id, s);
  else if (h.has(ym::flag::fin))
    client_fin(id, s);
}

void dmsg_server_link::on_stream_data(uint32_t id, stream& s, byte_span body, bool frame_end) {
  if (s.ph == phase::spliced) {
    auto& b = batch_for(id);
    auto& st = out_->stats();
    if (body.data() >= read_.data() && body.data() + body.size() <= read_.data() + read_.size()) {
      b.parts.push_back(body); // a view into the read buffer
    } else {
      b.owned.emplace_back(body.begin(), body.end());
      b.parts.push_back(b.owned.back());
      st.copied_bytes.fetch_add(body.size(), std::memory_order_relaxed);
    }
    b.len += body.size();
    if (frame_end) // a frame cut by a read boundary comes in pieces: counted once
      st.frames.fetch_add(1, std::memory_order_relaxed);
    st.bytes.fetch_add(body.size(), std::memory_order_relaxed);
    return;
  }
  // Bounded by the receive window: the actor credits only what it consumed.
  s.ctl.insert(s.ctl.end(), body.begin(), body.end());
  if (s.ph == phase::notify && !s.notified) {
    s.notified = true;
    note_control(id, false);
  }
}

void dmsg_server_link::client_fin(uint32_t id, stream& s) {
  if (s.remote_fin)
    return;
  s.remote_fin = true;
  switch (s.ph) {
    case phase::spliced:
      flush_batch(id);
      if (auto i = streams_.find(id); i != streams_.end()) {
        i->second.peer_tx->finish();
        if (i->second.tx->fin_sent())
          streams_.erase(i);
      }
      return;
    case phase::notify:
      if (!s.notified) {
        s.notified = true;
        note_control(id, false);
      }
      return;
    case phase::hold:
      return; // forwarded after the splice
  }
}

void dmsg_server_link::client_rst(uint32_t id, stream& s) {
  bool spliced = s.ph == phase::spliced;
  reset_locked(id, false, true);
  if (!spliced)
    note_control(id, true);
}

// -- batches: one buffer per spliced stream and read -----------------------------------

dmsg_server_link::batch& dmsg_server_link::batch_for(uint32_t id) {
  for (size_t i = 0; i < nbatches_; ++i)
    if (batches_[i].id == id)
      return batches_[i];
  if (nbatches_ == batches_.size())
    batches_.emplace_back();
  auto& b = batches_[nbatches_++];
  b.id = id;
  return b;
}

// A batch taken out (flushed, dropped) stays in its slot, empty, until the
// read is done: a reset while flushing may drop batches, and nothing moves.
void dmsg_server_link::drop_batch(uint32_t id) {
  for (size_t i = 0; i < nbatches_; ++i)
    if (batches_[i].id == id)
      batches_[i].clear();
}

void dmsg_server_link::flush_batch(uint32_t id) {
  for (size_t i = 0; i < nbatches_; ++i) {
    auto& b = batches_[i];
    if (b.id != id || b.len == 0)
      continue;
    if (auto it = streams_.find(id); it != streams_.end())
      push(id, it->second, b);
    b.clear();
  }
}

void dmsg_server_link::flush_batches() {
  // In the order the streams first had data in this read.
  for (size_t i = 0; i < nbatches_; ++i) {
    auto& b = batches_[i];
    if (b.len == 0)
      continue;
    if (auto it = streams_.find(b.id); it != streams_.end())
      push(b.id, it->second, b);
    b.clear();
  }
  nbatches_ = 0;
}

void dmsg_server_link::push(uint32_t id, stream& s, batch& b) {
  if (!s.peer_tx || b.len == 0)
    return;
  if (s.peer_tx->push_parts(b.parts, b.len) == relay_tx::push_result::closed)
    reset_locked(id, true, false); // the other side is reset already
}

// -- the session actor ------------------------------------------------------------------

void dmsg_server_link::start_yamux() {
  std::unique_lock<std::mutex> guard{mtx_};
  if (mode_ != mode::held)
    return;
  mode_ = mode::yamux;
  if (!pending_.empty()) {
    byte_buffer held;
    held.swap(pending_);
    yamux_bytes(held);
    fire_control(guard);
  }
}

bool dmsg_server_link::open_stream(uint32_t id, const byte_buffer& object) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (mode_ != mode::yamux || streams_.count(id) != 0 || object.size() > window)
    return false;
  auto& s = streams_[id];
  s.rx = std::make_shared<relay_rx>(sink_, id, window);
  s.tx = std::make_shared<relay_tx>(out_, id, window, cfg_.max_backlog);
  s.tx->consume_window(static_cast<uint32_t>(object.size()));
  byte_buffer b(2 * headroom + object.size());
  put_header(b.data(), ym::frame_type::window_update, ym::flag::syn, id, 0);
  put_header(b.data() + headroom, ym::frame_type::data, 0, id,
             static_cast<uint32_t>(object.size()));
  std::memcpy(b.data() + 2 * headroom, object.data(), object.size());
  write(std::move(b));
  return true;
}

dmsg_server_link::control_bytes dmsg_server_link::take_control(uint32_t id) {
  control_bytes r;
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = streams_.find(id);
  if (i == streams_.end() || i->second.ph != phase::notify)
    return r;
  r.found = true;
  r.fin = i->second.remote_fin;
  r.data.swap(i->second.ctl);
  i->second.notified = false;
  return r;
}

void dmsg_server_link::credit(uint32_t id, uint32_t n) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = streams_.find(id); i != streams_.end())
    i->second.rx->credit(n);
}

void dmsg_server_link::hold(uint32_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = streams_.find(id); i != streams_.end())
    i->second.ph = phase::hold;
}

relay_tx_ptr dmsg_server_link::tx(uint32_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = streams_.find(id);
  return i == streams_.end() ? nullptr : i->second.tx;
}

bool dmsg_server_link::open_tx(uint32_t id, const byte_buffer* object) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = streams_.find(id);
  if (i == streams_.end())
    return false;
  if (object)
    return i->second.tx->open_with(*object);
  i->second.tx->open();
  return true;
}

bool dmsg_server_link::splice(uint32_t id, relay_tx_ptr peer_tx, byte_buffer early) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = streams_.find(id);
  if (i == streams_.end() || !peer_tx)
    return false;
  auto& s = i->second;
  s.ph = phase::spliced;
  s.notified = false;
  s.peer_tx = std::move(peer_tx);
  s.peer_tx->set_source(s.rx, out_);
  if (cfg_.relay_buffer > 0)
    s.rx->widen(cfg_.relay_buffer);
  if (cfg_.relay_window_cap > s.rx->bound() && cfg_.relay_growth_budget > 0)
    s.rx->allow_growth(cfg_.relay_window_cap, cfg_.relay_grow_interval, growth_);
  // What the client sent before the splice goes first, in order.
  byte_buffer data;
  data.reserve(headroom + early.size() + s.ctl.size());
  data.resize(headroom);
  data.insert(data.end(), early.begin(), early.end());
  data.insert(data.end(), s.ctl.begin(), s.ctl.end());
  byte_buffer{}.swap(s.ctl);
  if (data.size() > headroom
      && s.peer_tx->push(std::move(data)) == relay_tx::push_result::closed) {
    reset_locked(id, true, false);
    return false;
  }
  if (s.remote_fin)
    s.peer_tx->finish();
  return true;
}

void dmsg_server_link::reset(uint32_t id, bool rst_to_client, bool tell_peer) {
  std::lock_guard<std::mutex> guard{mtx_};
  reset_locked(id, rst_to_client, tell_peer);
}

void dmsg_server_link::reset_locked(uint32_t id, bool rst_to_client, bool tell_peer) {
  auto i = streams_.find(id);
  if (i == streams_.end())
    return;
  auto& s = i->second;
  drop_batch(id);
  s.tx->close();
  if (s.peer_tx) {
    s.peer_tx->close();
    if (tell_peer)
      s.peer_tx->out().events().reset_stream(s.peer_tx->id());
  }
  streams_.erase(i);
  if (rst_to_client && mode_ == mode::yamux)
    write(header_frame(ym::frame_type::window_update, ym::flag::rst, id, 0));
}

void dmsg_server_link::fin_sent(uint32_t id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = streams_.find(id);
  if (i != streams_.end() && i->second.remote_fin && i->second.tx->fin_sent())
    streams_.erase(i);
}

void dmsg_server_link::write_control(ym::frame_type t, uint16_t flags, uint32_t id,
                                     uint32_t len) {
  write(header_frame(t, flags, id, len));
}

void dmsg_server_link::shutdown() {
  std::lock_guard<std::mutex> guard{mtx_};
  mode_ = mode::dead;
  for (auto& [id, s] : streams_) {
    s.tx->close();
    if (s.peer_tx) {
      s.peer_tx->close();
      s.peer_tx->out().events().reset_stream(s.peer_tx->id());
    }
  }
  streams_.clear();
  for (size_t i = 0; i < nbatches_; ++i)
    batches_[i].clear();
  nbatches_ = 0;
  byte_buffer{}.swap(pending_);
}

size_t dmsg_server_link::streams() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return streams_.size();
}

// A refused control frame: the client does not read (hard bound) or the
// connection is gone; the session ends when the close is reported.
void dmsg_server_link::write(byte_buffer&& b) {
  if (!sink_->write(std::move(b)))
    sink_->close();
}

} // namespace skywire::services::dmsg_relay
