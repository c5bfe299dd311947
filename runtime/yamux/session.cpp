#include "runtime/yamux/session.hpp"

#include <algorithm>
#include <string>

#include "runtime/yamux/errors.hpp"

namespace skywire::yamux {

namespace wy = wire::yamux;

session::session(role r, hooks h, limits l)
  : role_(r),
    hooks_(std::move(h)),
    lim_(l),
    next_id_(r == role::client ? 1u : 2u),
    splitter_(wy::parse_limits{std::max(l.recv_window, wy::initial_stream_window)}) {
  if (lim_.recv_window < wy::initial_stream_window)
    lim_.recv_window = wy::initial_stream_window; // the peer assumes 256 KiB at open
  if (lim_.max_frame == 0)
    lim_.max_frame = 1;
}

session::~session() {
  *alive_ = false;
}

session::stream* session::find(uint32_t id) const {
  auto i = streams_.find(id);
  return i == streams_.end() ? nullptr : i->second.get();
}

size_t session::pending(uint32_t id) const {
  auto* s = find(id);
  return s ? s->out_bytes : 0;
}

uint32_t session::send_window(uint32_t id) const {
  auto* s = find(id);
  return s ? s->send.available() : 0;
}

// -- carrier side ----------------------------------------------------------------------

void session::on_carrier_data(byte_span bytes) {
  if (ended_)
    return;
  // replies and updates of one read go out as one batch
  bool outer = !flushing_;
  if (outer)
    flushing_ = true;
  auto err = splitter_.feed(bytes, [this](const wy::frame_view& f) {
    on_frame(f);
    return !ended_;
  });
  if (outer)
    flushing_ = false;
  if (ended_)
    return;
  if (err)
    return fail(make_error(yamux_errc::protocol, describe(err)), true);
  flush();
}

void session::carrier_writable() {
  blocked_ = false;
  flush();
}

void session::carrier_closed(const caf::error& err) {
  if (ended_)
    return;
  end(err ? err : make_error(yamux_errc::carrier_failed, "the carrier closed"));
}

void session::on_frame(const wy::frame_view& f) {
  ++stats_.frames_in;
  switch (f.hdr.type) {
    case wy::frame_type::ping:
      if (f.hdr.has(wy::flag::syn))
        control(wy::frame_type::ping, wy::flag::ack, 0, f.hdr.length);
      return;
    case wy::frame_type::go_away:
      go_away_ = true;
      if (f.hdr.length != static_cast<uint32_t>(wy::go_away_code::normal))
        fail(make_error(yamux_errc::go_away, "code " + std::to_string(f.hdr.length)), false);
      return;
    case wy::frame_type::data:
    case wy::frame_type::window_update:
      return on_stream_frame(f);
  }
}

void session::on_stream_frame(const wy::frame_view& f) {
  uint32_t id = f.hdr.stream_id;
  bool is_data = f.hdr.type == wy::frame_type::data;
  if (f.hdr.has(wy::flag::syn)) {
    if (find(id) != nullptr || id == 0)
      return fail(make_error(yamux_errc::protocol,
                             "SYN for stream " + std::to_string(id) + " which is live"),
                  true);
    accept(id, is_data ? 0 : f.hdr.length);
    if (ended_)
      return;
  }
  auto* s = find(id);
  if (!s) {
    ++stats_.ignored; // a stream we reset or never knew: hashicorp drops it too
    return;
  }
  if (!is_data && !f.hdr.has(wy::flag::syn) && f.hdr.length > 0) {
    if (!s->send.grant(f.hdr.length))
      return fail(make_error(yamux_errc::protocol, "send window overflow"), true);
    if (s->out_bytes > 0 || (s->local_fin && !s->fin_sent))
      mark_ready(*s);
  }
  if (is_data && !f.body.empty()) {
    if (!s->recv.receive(f.body.size()))
      return fail(make_error(yamux_errc::protocol,
                             "stream " + std::to_string(id) + " sent beyond its window"),
                  true);
    stats_.data_in += f.body.size();
    if (s->remote_fin || !s->h.on_data) {
      // nobody reads it: hand the window back at once
      s->recv.credit(f.body.size());
      if (auto d = s->recv.take_update())
        control(wy::frame_type::window_update, 0, id, *d);
    } else {
      s->h.on_data(f.body);
      if (ended_)
        return;
      s = find(id);
      if (!s)
        return;
    }
  }
  if (f.hdr.has(wy::flag::rst)) {
    auto h = std::move(s->h);
    remove(id);
    if (h.on_reset)
      h.on_reset(make_error(yamux_errc::reset, "stream " + std::to_string(id)));
    return;
  }
  if (f.hdr.has(wy::flag::fin) && !s->remote_fin) {
    s->remote_fin = true;
    if (s->h.on_fin) {
      s->h.on_fin();
      if (ended_)
        return;
    }
    maybe_finish(id);
  }
}

void session::accept(uint32_t id, uint32_t delta) {
  if (streams_.size() >= lim_.max_streams || go_away_) {
    control(wy::frame_type::window_update, wy::flag::rst, id, 0);
    return;
  }
  auto s = std::make_unique<stream>(id, lim_.recv_window);
  s->blocked = over_session_mark(); // woken with the others (see write)
  if (!s->send.grant(delta))
    return fail(make_error(yamux_errc::protocol, "send window overflow"), true);
  streams_.emplace(id, std::move(s));
  control(wy::frame_type::window_update, wy::flag::ack, id,
          lim_.recv_window - wy::initial_stream_window);
  if (hooks_.on_accept)
    hooks_.on_accept(id);
  else
    reset(id);
}

// -- streams ---------------------------------------------------------------------------

std::optional<uint32_t> session::open(stream_handler h) {
  if (ended_ || go_away_ || streams_.size() >= lim_.max_streams || next_id_ > UINT32_MAX - 2)
    return std::nullopt;
  uint32_t id = next_id_;
  next_id_ += 2;
  auto s = std::make_unique<stream>(id, lim_.recv_window);
  s->blocked = over_session_mark(); // woken with the others (see write)
  s->h = std::move(h);
  streams_.emplace(id, std::move(s));
  control(wy::frame_type::window_update, wy::flag::syn, id,
          lim_.recv_window - wy::initial_stream_window);
  flush();
  if (ended_)
    return std::nullopt;
  return id;
}

void session::set_handler(uint32_t id, stream_handler h) {
  if (auto* s = find(id))
    s->h = std::move(h);
}

bool session::write(uint32_t id, byte_span bytes) {
  auto* s = find(id);
  if (!s || s->local_fin || ended_)
    return false;
  if (bytes.empty())
    return true;
  return write(id, byte_buffer(bytes.begin(), bytes.end()));
}

bool session::write(uint32_t id, byte_buffer&& bytes) {
  auto* s = find(id);
  if (!s || s->local_fin || ended_)
    return false;
  if (bytes.empty())
    return true;
  s->out_bytes += bytes.size();
  out_total_ += bytes.size();
  s->out.push_back(std::move(bytes));
  if (s->out_bytes >= lim_.stream_high_water)
    s->blocked = true;
  if (over_session_mark() && !session_blocked_) {
    // every stream is over the mark now, not only this one: each is woken
    // (on_writable) once the session is below its half mark, so an owner
    // that pauses all its sources at saturated() hears about each again
    // (streams opened meanwhile are marked when they open)
    session_blocked_ = true;
    for (auto& [_, st] : streams_)
      st->blocked = true;
  }
  if (over_session_mark())
    s->blocked = true;
  if (s->send.available() > 0)
    mark_ready(*s);
  flush();
  return true;
}

bool session::writable(uint32_t id) const {
  auto* s = find(id);
  return s && !s->local_fin && !ended_ && s->out_bytes < lim_.stream_high_water
         && !over_session_mark();
}

bool session::over_session_mark() const noexcept {
  return lim_.session_high_water > 0 && out_total_ >= lim_.session_high_water;
}

void session::maybe_unblock(stream& s) {
  if (!s.blocked || s.out_bytes >= lim_.stream_high_water / 2)
    return;
  if (lim_.session_high_water > 0 && out_total_ >= lim_.session_high_water / 2) {
    session_blocked_ = true; // woken with the others once the session is below its half mark
    return;
  }
  s.blocked = false;
  woken_.push_back(s.id);
}

void session::consumed(uint32_t id, size_t n) {
  auto* s = find(id);
  if (!s || n == 0)
    return;
  s->recv.credit(n);
  if (auto d = s->recv.take_update()) {
    control(wy::frame_type::window_update, 0, id, *d);
    flush();
  }
}

void session::close(uint32_t id) {
  auto* s = find(id);
  if (!s || s->local_fin)
    return;
  s->local_fin = true;
  mark_ready(*s);
  flush();
}

void session::reset(uint32_t id) {
  if (!find(id))
    return;
  control(wy::frame_type::window_update, wy::flag::rst, id, 0);
  remove(id);
  flush();
}

void session::shutdown() {
  if (ended_)
    return;
  control(wy::frame_type::go_away, 0, 0, static_cast<uint32_t>(wy::go_away_code::normal));
  flush();
  end(make_error(yamux_errc::closed));
}

// -- sending ---------------------------------------------------------------------------

void session::control(wy::frame_type t, uint16_t flags, uint32_t id, uint32_t length) {
  wy::header h;
  h.type = t;
  h.flags = flags;
  h.stream_id = id;
  h.length = length;
  auto bytes = wy::encode(h);
  control_.insert(control_.end(), bytes.begin(), bytes.end());
}

void session::mark_ready(stream& s) {
  if (s.ready)
    return;
  s.ready = true;
  ready_.push_back(s.id);
}

bool session::fill_batch() {
  batch_.swap(control_);
  control_.clear();
  while (batch_.size() < lim_.batch && !ready_.empty()) {
    uint32_t id = ready_.front();
    ready_.pop_front();
    auto* s = find(id);
    if (!s)
      continue;
    s->ready = false;
    while (s->out_bytes > 0 && batch_.size() < lim_.batch) {
      size_t want = std::min(s->out_bytes, lim_.max_frame);
      uint32_t n = s->send.take(want);
      if (n == 0)
        break;
      wy::header h;
      h.type = wy::frame_type::data;
      h.stream_id = id;
      h.length = n;
      auto hb = wy::encode(h);
      batch_.insert(batch_.end(), hb.begin(), hb.end());
      size_t left = n;
      while (left > 0) {
        auto& b = s->out.front();
        size_t k = std::min(left, b.size() - s->out_head);
        auto from = b.begin() + static_cast<std::ptrdiff_t>(s->out_head);
        batch_.insert(batch_.end(), from, from + static_cast<std::ptrdiff_t>(k));
        s->out_head += k;
        left -= k;
        if (s->out_head == b.size()) {
          s->out.pop_front();
          s->out_head = 0;
        }
      }
      s->out_bytes -= n;
      out_total_ -= n;
      stats_.data_out += n;
      ++stats_.frames_out;
    }
    if (s->out_bytes == 0 && s->local_fin && !s->fin_sent) {
      control(wy::frame_type::window_update, wy::flag::fin, id, 0);
      batch_.insert(batch_.end(), control_.begin(), control_.end());
      control_.clear();
      s->fin_sent = true;
      if (s->remote_fin)
        woken_.push_back(id);
    }
    if (s->out_bytes > 0 && s->send.available() > 0)
      mark_ready(*s); // round robin: the rest after the other streams
    maybe_unblock(*s);
  }
  if (session_blocked_ && out_total_ < lim_.session_high_water / 2) {
    session_blocked_ = false;
    for (auto& [id, st] : streams_)
      maybe_unblock(*st);
  }
  return !batch_.empty();
}

void session::flush() {
  if (flushing_) {
    again_ = true;
    return;
  }
  if (ended_)
    return;
  flushing_ = true;
  do {
    again_ = false;
    while (!blocked_) {
      if (batch_.empty() && !fill_batch())
        break;
      auto r = hooks_.send ? hooks_.send({batch_.data(), batch_.size()}) : send_result::failed;
      if (r == send_result::ok) {
        batch_.clear();
        continue;
      }
      if (r == send_result::busy) {
        blocked_ = true;
        ++stats_.busy;
        break;
      }
      flushing_ = false;
      return fail(make_error(yamux_errc::carrier_failed, "the carrier refused a write"), false);
    }
    auto woken = std::move(woken_);
    woken_.clear();
    for (auto id : woken) {
      if (ended_)
        break;
      auto* s = find(id);
      if (!s)
        continue;
      if (s->fin_sent && s->remote_fin)
        maybe_finish(id);
      else if (s->h.on_writable && !s->blocked)
        s->h.on_writable();
    }
  } while (again_ && !ended_);
  flushing_ = false;
  if (!ended_ && control_.size() > lim_.max_control)
    fail(make_error(yamux_errc::overflow,
                    std::to_string(control_.size()) + " bytes of control frames wait for the carrier"),
         false);
}

void session::maybe_finish(uint32_t id) {
  auto* s = find(id);
  if (!s || !s->fin_sent || !s->remote_fin || s->out_bytes > 0)
    return;
  auto h = std::move(s->h);
  remove(id);
  if (h.on_closed)
    h.on_closed();
}

void session::remove(uint32_t id) {
  auto i = streams_.find(id);
  if (i == streams_.end())
    return;
  out_total_ -= i->second->out_bytes;
  streams_.erase(i);
}

void session::fail(caf::error err, bool go_away) {
  if (ended_)
    return;
  if (go_away && hooks_.send) {
    // the last word, straight to the carrier (whatever waits is lost anyway)
    wy::header h;
    h.type = wy::frame_type::go_away;
    h.length = static_cast<uint32_t>(wy::go_away_code::protocol_error);
    auto b = wy::encode(h);
    hooks_.send({b.data(), b.size()});
  }
  end(err);
}

void session::end(const caf::error& err) {
  ended_ = true;
  std::vector<stream_handler> hs;
  hs.reserve(streams_.size());
  for (auto& [id, s] : streams_)
    hs.push_back(std::move(s->h));
  streams_.clear();
  ready_.clear();
  out_total_ = 0;
  for (auto& h : hs)
    if (h.on_reset)
      h.on_reset(err);
  if (hooks_.on_end)
    hooks_.on_end(err);
}

} // namespace skywire::yamux
