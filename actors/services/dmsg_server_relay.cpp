#include "actors/services/dmsg_server_relay.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace skywire::services::dmsg_relay {

namespace ym = wire::yamux;

void put_header(uint8_t* p, ym::frame_type type, uint16_t flags, uint32_t id, uint32_t len) {
  auto h = ym::encode(ym::header{ym::protocol_version, type, flags, id, len});
  std::memcpy(p, h.data(), h.size());
}

byte_buffer header_frame(ym::frame_type type, uint16_t flags, uint32_t id, uint32_t len) {
  byte_buffer b(headroom);
  put_header(b.data(), type, flags, id, len);
  return b;
}

namespace {

void raise_to(std::atomic<uint64_t>& peak, uint64_t v) {
  auto cur = peak.load(std::memory_order_relaxed);
  while (v > cur && !peak.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

} // namespace

// -- session_out ------------------------------------------------------------------------

session_out::session_out(std::shared_ptr<frame_sink> sink, size_t sink_limit,
                         std::shared_ptr<stream_events> events,
                         std::shared_ptr<relay_stats> stats)
  : sink_(std::move(sink)),
    sink_limit_(sink_limit),
    events_(std::move(events)),
    stats_(stats ? std::move(stats) : std::make_shared<relay_stats>()) {}

bool session_out::has_room(size_t want) {
  size_t q = sink_->queued_bytes();
  if (q >= sink_limit_) {
    // Tell the drain side first, then look again: a drain that completed in
    // between saw no flag, but this second look sees its room.
    blocked_.store(true);
    q = sink_->queued_bytes();
    if (q >= sink_limit_)
      return false;
  }
  raise_to(stats_->sink_peak, q + want);
  return true;
}

bool session_out::take_blocked() {
  if (!blocked_.load())
    return false;
  if (sink_->queued_bytes() >= sink_limit_)
    return false;
  return blocked_.exchange(false);
}

void session_out::add_queued(size_t n) {
  queued_.fetch_add(n, std::memory_order_relaxed);
  auto total = stats_->queued.fetch_add(n, std::memory_order_relaxed) + n;
  raise_to(stats_->queued_peak, total);
}

void session_out::sub_queued(size_t n) {
  queued_.fetch_sub(n, std::memory_order_relaxed);
  stats_->queued.fetch_sub(n, std::memory_order_relaxed);
}

// -- relay_rx ---------------------------------------------------------------------------

relay_rx::relay_rx(std::shared_ptr<frame_sink> sink, uint32_t id, uint32_t window)
  : sink_(std::move(sink)), id_(id), rw_(window) {}

relay_rx::~relay_rx() {
  if (budget_ && grown_ > 0)
    budget_->give(grown_);
}

void relay_rx::allow_growth(uint32_t max_bound, clock::duration interval,
                            std::shared_ptr<window_budget> budget) {
  std::lock_guard<std::mutex> guard{mtx_};
  max_bound_ = max_bound;
  grow_interval_ = interval;
  budget_ = std::move(budget);
  epoch_ = clock::time_point{};
  epoch_credit_ = 0;
}

bool relay_rx::take(uint32_t n) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!rw_.receive(n))
    return false;
  epoch_taken_ += n;
  ++epoch_takes_;
  maybe_grant();
  return true;
}

void relay_rx::credit(uint32_t n, bool reader_idle) {
  std::lock_guard<std::mutex> guard{mtx_};
  rw_.credit(n);
  if (budget_ && rw_.bound() < max_bound_)
    maybe_grow(n, reader_idle);
  maybe_grant();
}

void relay_rx::maybe_grow(uint32_t credited, bool reader_idle) {
  auto now = clock::now();
  if (epoch_ == clock::time_point{}) {
    epoch_ = now; // the first credit starts the clock
    epoch_credit_ = 0;
    epoch_taken_ = 0;
    epoch_takes_ = 0;
    return;
  }
  epoch_credit_ += credited;
  if (epoch_credit_ < rw_.bound())
    return;
  bool large_frames = epoch_takes_ > 0 && epoch_taken_ / epoch_takes_ >= min_grow_frame;
  if (now - epoch_ < grow_interval_ && reader_idle && large_frames) {
    auto bound = rw_.bound();
    uint32_t extra = std::min(bound, max_bound_ - bound);
    if (extra > 0 && budget_->take(extra)) {
      rw_.widen(extra); // granted with the update maybe_grant() writes next
      grown_ += extra;
    }
  }
  epoch_ = now;
  epoch_credit_ = 0;
  epoch_taken_ = 0;
  epoch_takes_ = 0;
}

void relay_rx::widen(uint32_t extra) {
  std::lock_guard<std::mutex> guard{mtx_};
  rw_.widen(extra);
  maybe_grant();
}

uint32_t relay_rx::window() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return rw_.window();
}

uint32_t relay_rx::bound() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return rw_.bound();
}

// Written once the client's window fell below half of its bound
// (recv_window::policy::low_window): one update per half window, not one per
// frame, and the sender's window never runs dry while credit is owed.
void relay_rx::maybe_grant() {
  auto delta = rw_.take_update(wire::yamux::recv_window::policy::low_window);
  if (!delta)
    return;
  // A refused update means a client that does not read (hard bound) or a
  // closed connection: the session ends, loudly.
  if (!sink_->write(header_frame(ym::frame_type::window_update, 0, id_, *delta)))
    sink_->close();
}

// -- relay_tx ---------------------------------------------------------------------------

relay_tx::relay_tx(std::shared_ptr<session_out> out, uint32_t id, uint32_t send_window,
                   size_t max_queued)
  : out_(std::move(out)), id_(id), max_queued_(max_queued), window_(send_window) {}

bool relay_tx::add_window(uint32_t n) {
  outcome o;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    note(o);
    if (!window_.grant(n))
      return false;
    pump_locked(o);
  }
  settle(o);
  return true;
}

bool relay_tx::open_with(const byte_buffer& body) {
  outcome o;
  bool ok = true;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    note(o);
    if (closed_ || body.size() > window_.available()) {
      ok = false;
    } else {
      byte_buffer b(headroom + body.size());
      put_header(b.data(), ym::frame_type::data, 0, id_, static_cast<uint32_t>(body.size()));
      std::memcpy(b.data() + headroom, body.data(), body.size());
      if (out_->sink().write(std::move(b))) {
        window_.take(body.size());
        open_ = true;
        pump_locked(o);
      } else {
        ok = false;
      }
    }
  }
  settle(o);
  return ok;
}

void relay_tx::consume_window(uint32_t n) {
  std::lock_guard<std::mutex> guard{mtx_};
  window_.take(n);
}

void relay_tx::open() {
  outcome o;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    note(o);
    open_ = true;
    pump_locked(o);
  }
  settle(o);
}

void relay_tx::close() {
  std::lock_guard<std::mutex> guard{mtx_};
  closed_ = true;
  drop_locked();
}

bool relay_tx::fin_sent() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return fin_sent_;
}

void relay_tx::pump() {
  outcome o;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    note(o);
    pump_locked(o);
  }
  settle(o);
}

void relay_tx::set_source(relay_rx_ptr rx, std::shared_ptr<session_out> src) {
  std::lock_guard<std::mutex> guard{mtx_};
  src_id_ = rx ? rx->id() : 0;
  src_rx_ = std::move(rx);
  src_ = std::move(src);
}

relay_tx::push_result relay_tx::push(byte_buffer&& data) {
  if (data.size() <= headroom)
    return push_result::ok;
  size_t len = data.size() - headroom;
  outcome o;
  bool gone = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    note(o);
    if (closed_ || fin_pending_ || fin_sent_) {
      gone = true; // reset on this side, or data after the sender's FIN
    } else if (queued_ + len > max_queued_) {
      // More than the sender's credit allows: a bug or abuse, reset.
      closed_ = true;
      drop_locked();
      o.failed = true;
    } else if (queue_.empty() && open_ && len <= window_.available() && out_->has_room(len)) {
      // The common case: straight onto the reader's connection.
      put_header(data.data(), ym::frame_type::data, 0, id_, static_cast<uint32_t>(len));
      write_locked(std::move(data), len, o);
    } else {
      queue_.push_back(std::move(data));
      queued_ += len;
      out_->add_queued(len);
      pump_locked(o);
    }
  }
  if (gone) {
    out_->events().reset_stream(id_); // no-op for the owner if already gone
    return push_result::closed;
  }
  settle(o);
  return o.failed ? push_result::closed : push_result::ok;
}

relay_tx::push_result relay_tx::push_parts(std::span<const byte_span> parts, size_t len) {
  if (len == 0)
    return push_result::ok;
  outcome o;
  bool gone = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    note(o);
    if (closed_ || fin_pending_ || fin_sent_) {
      gone = true;
    } else if (queued_ + len > max_queued_) {
      closed_ = true;
      drop_locked();
      o.failed = true;
    } else {
      // One yamux frame per max_gather - 1 views.
      while (!parts.empty() && !closed_) {
        auto chunk = parts.first(std::min(parts.size(), max_gather - 1));
        parts = parts.subspan(chunk.size());
        size_t n = 0;
        for (auto p : chunk)
          n += p.size();
        if (queue_.empty() && open_ && n <= window_.available() && out_->has_room(n)) {
          // The common case: header and bodies straight from the sender's
          // read buffer onto the reader's connection, one sendmsg, no copy.
          std::array<uint8_t, headroom> hdr;
          put_header(hdr.data(), ym::frame_type::data, 0, id_, static_cast<uint32_t>(n));
          std::array<byte_span, max_gather> all;
          all[0] = byte_span{hdr.data(), hdr.size()};
          std::copy(chunk.begin(), chunk.end(), all.begin() + 1);
          size_t copied = 0;
          out_->stats().writes.fetch_add(1, std::memory_order_relaxed);
          if (!out_->sink().write_gather(std::span{all.data(), chunk.size() + 1}, copied)) {
            // Refused (closed, or over the connection's hard bound): never
            // dropped quietly, the stream is reset toward both clients.
            closed_ = true;
            drop_locked();
            o.failed = true;
            break;
          }
          window_.take(n);
          o.credited += static_cast<uint32_t>(n);
          out_->stats().copied_bytes.fetch_add(copied > headroom ? copied - headroom : 0,
                                               std::memory_order_relaxed);
        } else {
          // Behind queued data, the window or a full connection: copied
          // into the queue, written when the obstacle goes.
          byte_buffer b;
          b.reserve(headroom + n);
          b.resize(headroom);
          for (auto p : chunk)
            b.insert(b.end(), p.begin(), p.end());
          out_->stats().copied_bytes.fetch_add(n, std::memory_order_relaxed);
          queue_.push_back(std::move(b));
          queued_ += n;
          out_->add_queued(n);
          pump_locked(o);
        }
      }
    }
  }
  if (gone) {
    out_->events().reset_stream(id_);
    return push_result::closed;
  }
  settle(o);
  return o.failed ? push_result::closed : push_result::ok;
}

void relay_tx::finish() {
  outcome o;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    note(o);
    if (closed_ || fin_sent_)
      return;
    fin_pending_ = true;
    pump_locked(o);
  }
  settle(o);
}

size_t relay_tx::queued() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return queued_;
}

uint32_t relay_tx::send_window() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return window_.available();
}

void relay_tx::pump_locked(outcome& o) {
  if (closed_ || !open_)
    return;
  while (!queue_.empty() && window_.available() > 0) {
    auto& front = queue_.front();
    size_t avail = front.size() - headroom - front_sent_;
    size_t n = std::min<size_t>(avail, window_.available());
    if (!out_->has_room(n))
      return; // the connection's drain pumps again; the sender is not credited meanwhile
    byte_buffer b;
    if (front_sent_ == 0 && n == avail) {
      b = std::move(front);
      queue_.pop_front();
    } else {
      b.resize(headroom + n);
      std::memcpy(b.data() + headroom, front.data() + headroom + front_sent_, n);
      out_->stats().copied_bytes.fetch_add(n, std::memory_order_relaxed);
      front_sent_ += n;
      if (front_sent_ == front.size() - headroom) {
        queue_.pop_front();
        front_sent_ = 0;
      }
    }
    put_header(b.data(), ym::frame_type::data, 0, id_, static_cast<uint32_t>(n));
    queued_ -= n;
    out_->sub_queued(n);
    if (!write_locked(std::move(b), n, o))
      return;
  }
  if (queue_.empty() && fin_pending_) {
    fin_pending_ = false;
    fin_sent_ = true;
    if (out_->sink().write(header_frame(ym::frame_type::window_update, ym::flag::fin, id_, 0))) {
      o.fin = true;
    } else {
      closed_ = true;
      o.failed = true;
    }
  }
}

void relay_tx::note(outcome& o) const {
  o.rx = src_rx_.get();
  o.src = src_.get();
  o.src_id = src_id_;
}

bool relay_tx::write_locked(byte_buffer&& b, size_t body, outcome& o) {
  out_->stats().writes.fetch_add(1, std::memory_order_relaxed);
  if (!out_->sink().write(std::move(b))) {
    // Refused (closed, or over the connection's hard bound): never dropped
    // quietly, the stream is reset toward both clients.
    closed_ = true;
    drop_locked();
    o.failed = true;
    return false;
  }
  window_.take(body);
  o.credited += static_cast<uint32_t>(body);
  return true;
}

void relay_tx::drop_locked() {
  if (queued_ > 0)
    out_->sub_queued(queued_);
  queued_ = 0;
  front_sent_ = 0;
  queue_.clear();
  fin_pending_ = false;
}

// Runs without mtx_ (no relay_rx lock is taken under it); the source was
// noted under mtx_ by the operation (see note()).
void relay_tx::settle(const outcome& o) {
  if (o.credited > 0 && o.rx)
    o.rx->credit(o.credited, out_->sink().queued_bytes() <= idle_reader_queue);
  if (o.fin)
    out_->events().fin_sent(id_);
  if (o.failed) {
    out_->events().reset_stream(id_);
    if (o.src)
      o.src->events().reset_stream(o.src_id);
  }
}

} // namespace skywire::services::dmsg_relay
