// route_group_core: timers, sending on the paths, receiving and delivering
// data, writing, keep-alive and ping, close. The handshakes are in
// route_group_handshake.cpp, reliable mode in route_group_reliable.cpp.
#include "actors/routing/route_group_core.hpp"

#include <algorithm>

#include "actors/routing/route_group_errors.hpp"

namespace skywire::routing {

using namespace std::chrono_literals;
using wire::routing::inner_frame;
using wire::routing::inner_kind;
using wire::routing::packet_type;
using wire::routing::packet_view;
namespace noise = crypto::noise;

namespace {

constexpr size_t max_peer_error_text = 1024;

} // namespace

route_group_core::route_group_core(config cfg, io::timer_service& timers, write_fn out)
  : cfg_(std::move(cfg)), timers_(timers) {
  path first;
  first.out = std::move(out);
  first.rid = cfg_.forward_rid;
  first.consume = cfg_.consume_rid;
  paths_.push_back(std::move(first));
  if (!cfg_.clock)
    cfg_.clock = [] { return std::chrono::steady_clock::now().time_since_epoch(); };
  if (cfg_.max_inflight == 0)
    cfg_.max_inflight = 1;
  if (cfg_.max_inflight > 4096)
    cfg_.max_inflight = 4096; // the receiver's reorder bound follows it
  rto_ = cfg_.t.min_rto;
  // until the peer's first acknowledgement says otherwise, its window is
  // what ours would be (a receiver that has less room defers the rest)
  snd_edge_ = static_cast<uint32_t>(cfg_.max_inflight);
  adv_edge_ = snd_edge_;
}

route_group_core::send_status
route_group_core::to_send_status(transport::transport_core::write_result r) noexcept {
  using tr = transport::transport_core::write_result;
  switch (r) {
    case tr::ok: return send_status::ok;
    case tr::not_up:
    case tr::queue_full: return send_status::busy;
    case tr::too_large:
    case tr::closed: return send_status::failed;
  }
  return send_status::failed;
}

route_group_core::~route_group_core() {
  *alive_ = false;
  cancel_all();
}

std::chrono::nanoseconds route_group_core::now() const {
  return cfg_.clock();
}

io::timer_service::timer_id route_group_core::after(std::chrono::nanoseconds d,
                                                    void (route_group_core::*fn)()) {
  std::weak_ptr<bool> alive = alive_;
  return timers_.schedule(d, [this, alive, fn] {
    auto a = alive.lock();
    if (a && *a)
      (this->*fn)();
  });
}

void route_group_core::cancel(io::timer_service::timer_id& id) {
  if (id != 0)
    timers_.cancel(id);
  id = 0;
}

void route_group_core::cancel_all() {
  cancel(hs_timer_);
  cancel(ka_timer_);
  cancel(ping_timer_);
  cancel(close_timer_);
  cancel(rto_timer_);
  cancel(ack_timer_);
  cancel(resend_timer_);
  cancel(dead_timer_);
}

void route_group_core::set_sink(sink_fn fn) {
  sink_ = std::move(fn);
  release_held();
}

size_t route_group_core::max_chunk() const noexcept {
  size_t plain = noise::max_frame_plaintext;
  if (agreed_.cell_size != 0)
    plain = agreed_.cell_size - noise::frame_prefix_len - noise::min_frame_body;
  if (!agreed_.any())
    return plain;
  return plain - wire::routing::inner_header_size
         - (agreed_.reliable ? wire::routing::reliable_header_size : 0);
}

// -- sending -----------------------------------------------------------------------------

route_group_core::send_status route_group_core::send_raw(packet_type t, byte_span payload,
                                                          bool probe) {
  // with one path: always it, as the reference
  auto r = send_status::failed;
  size_t i = control_path(probe);
  for (size_t k = 0; k < paths_.size(); ++k, i = (i + 1) % paths_.size()) {
    auto& p = paths_[i];
    if (p.dead)
      continue;
    r = p.out(t, p.rid, payload);
    if (r == send_status::ok && probe)
      expect_answer(p);
    if (r != send_status::failed)
      break;
    if (live_paths() <= 1) {
      path_lost(p);
      break;
    }
    p.dead = true;
    path_lost(p);
  }
  if (r == send_status::ok)
    ++stats_.packets_out;
  return r;
}

void route_group_core::send_control(packet_type t, byte_span payload, bool probe) {
  if (send_raw(t, payload, probe) != send_status::ok)
    ++stats_.control_not_sent;
}

// -- receiving -----------------------------------------------------------------------------

void route_group_core::on_packet(const packet_view& p) {
  if (phase_ == phase::closed || phase_ == phase::failed) {
    ++stats_.ignored;
    // a repeated Close from one of ours that closed: our answer was lost,
    // answer again (only the side that answered, and at most once per resend
    // interval, a few times: two ended groups never echo Closes for long)
    if (phase_ == phase::closed && p.type == packet_type::close && agreed_.any()
        && ended_by_peer_ && close_answers_ < max_close_answers
        && now() - last_close_answer_ >= cfg_.t.handshake_resend) {
      ++close_answers_;
      last_close_answer_ = now();
      send_control(packet_type::close, std::array<uint8_t, 1>{0});
    }
    return;
  }
  ++stats_.packets_in;
  if (phase_ == phase::established || phase_ == phase::closing)
    heard(p.rid);
  switch (p.type) {
    case packet_type::handshake:
      on_handshake_packet(p);
      return;
    case packet_type::data:
      on_data_packet(p);
      return;
    case packet_type::close:
      on_close_packet();
      return;
    case packet_type::keep_alive:
      return; // the router refreshed the consume rule
    case packet_type::ping:
      on_ping(p);
      return;
    case packet_type::pong: {
      auto pp = wire::routing::read_ping(p);
      if (pp && phase_ == phase::established)
        on_pong(pp->timestamp_ms);
      else
        ++stats_.ignored;
      return;
    }
    case packet_type::error:
      peer_error_.assign(reinterpret_cast<const char*>(p.payload.data()),
                         std::min(p.payload.size(), max_peer_error_text));
      return;
  }
}

void route_group_core::on_data_packet(const packet_view& p) {
  switch (phase_) {
    case phase::handshake:
      // the reference turns encryption off here; we never do
      return fail(make_error(route_group_errc::plaintext_refused,
                             "a DataPacket arrived before the route handshake"));
    case phase::noise:
      return noise_message(p.payload);
    case phase::established:
    case phase::closing:
      if (agreed_.any()) {
        if (!seen_msg_.empty() && std::equal(p.payload.begin(), p.payload.end(),
                                             seen_msg_.begin(), seen_msg_.end())) {
          // the peer repeats its KK message: a responder's answer was lost
          ++stats_.duplicates;
          if (cfg_.side == role::responder && !sent_msg_.empty())
            send_control(packet_type::data, {sent_msg_.data(), sent_msg_.size()});
          return;
        }
        return inner_frames(p.payload);
      }
      return plain_frames(p.payload);
    default:
      ++stats_.ignored;
      return;
  }
}

void route_group_core::plain_frames(byte_span payload) {
  byte_buffer got;
  auto err = fr_.feed(ns_, payload, [&](byte_span plain) {
    got.insert(got.end(), plain.begin(), plain.end());
  });
  if (!got.empty())
    deliver({got.data(), got.size()});
  if (err)
    fail(make_error(route_group_errc::protocol, "route Noise frame: " + describe(err)));
}

void route_group_core::inner_frames(byte_span payload) {
  auto bad = [&](std::string why) {
    if (agreed_.reliable) {
      ++stats_.undecryptable; // the sender retransmits what it does not see acknowledged
      return;
    }
    fail(make_error(route_group_errc::protocol, std::move(why)));
  };
  if (agreed_.cell_size != 0 && payload.size() != agreed_.cell_size)
    return bad("a DataPacket that is not one cell");
  if (payload.size() < noise::frame_prefix_len
      || (size_t{payload[0]} << 8 | payload[1]) != payload.size() - noise::frame_prefix_len)
    return bad("a DataPacket that is not exactly one Noise frame");
  auto plain = ns_.decrypt_object(payload);
  if (!plain)
    return bad("route Noise frame: " + describe(plain.error()));
  auto f = wire::routing::decode_inner({plain->data(), plain->size()}, agreed_.reliable);
  if (!f)
    return fail(make_error(route_group_errc::protocol, "inner frame: " + describe(f.error())));
  heard_inner_ = true;
  if (!confirmed_) {
    confirmed_ = true; // the initiator has the keys: what waited goes out
    on_inner(*f);
    if (phase_ == phase::established || phase_ == phase::closing) {
      flush();
      if (agreed_.reliable)
        fill_window();
      // and one frame back at once, whatever waited: the initiator repeats
      // its confirmation until it hears an inner frame (up to noise_wait)
      if (phase_ == phase::established)
        send_confirmation();
    }
    return;
  }
  on_inner(*f);
}

void route_group_core::on_inner(const inner_frame& f) {
  switch (f.kind) {
    case inner_kind::data:
      if (agreed_.reliable)
        return reliable_data(f);
      if (!f.payload.empty())
        deliver(f.payload);
      return;
    case inner_kind::ack:
      return on_ack(f.ack, f.sack, f.wnd);
    case inner_kind::ping: {
      ++stats_.pings_answered;
      inner_frame pong;
      pong.kind = inner_kind::pong;
      pong.timestamp_ms = f.timestamp_ms;
      return send_inner_control(pong);
    }
    case inner_kind::pong:
      return on_pong(f.timestamp_ms);
    case inner_kind::keep_alive:
      return;
  }
}

void route_group_core::on_ping(const packet_view& p) {
  auto pp = wire::routing::read_ping(p);
  if (!pp || phase_ != phase::established) {
    ++stats_.ignored;
    return;
  }
  ++stats_.pings_answered;
  auto pong = wire::routing::make_pong_packet(cfg_.forward_rid, pp->timestamp_ms);
  send_control(packet_type::pong, {pong.payload.data(), pong.payload.size()});
}

void route_group_core::on_pong(uint64_t timestamp_ms) {
  ++stats_.pongs;
  auto now_ms = static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(now()).count());
  if (timestamp_ms <= now_ms)
    rtt_ = std::chrono::milliseconds{now_ms - timestamp_ms};
}

// -- delivery and back-pressure ------------------------------------------------------------

void route_group_core::deliver(byte_span plain) {
  if (plain.empty())
    return;
  if (sink_ && held_.empty() && unconsumed_ < receive_bound()) {
    unconsumed_ += plain.size();
    stats_.bytes_delivered += plain.size();
    sink_(byte_buffer{plain.begin(), plain.end()});
    return;
  }
  if (held_bytes_ + plain.size() > cfg_.max_held)
    return fail(make_error(route_group_errc::overflow,
                           "the consumer stopped reading and the peer kept sending ("
                             + std::to_string(held_bytes_ + plain.size()) + " bytes held)"));
  held_.emplace_back(plain.begin(), plain.end());
  held_bytes_ += plain.size();
  if (!paused_) {
    paused_ = true;
    if (on_pressure_)
      on_pressure_(true);
  }
}

void route_group_core::release_held() {
  while (sink_ && !held_.empty() && unconsumed_ < receive_bound()) {
    auto b = std::move(held_.front());
    held_.pop_front();
    held_bytes_ -= b.size();
    unconsumed_ += b.size();
    stats_.bytes_delivered += b.size();
    sink_(std::move(b));
  }
  if (paused_ && held_.empty() && unconsumed_ < receive_bound()) {
    paused_ = false;
    if (on_pressure_)
      on_pressure_(false);
  }
  if (end_pending_ && held_.empty()) {
    end_pending_ = false;
    if (on_event_)
      on_event_(event::remote_closed, pending_end_);
  }
}

void route_group_core::consumed(size_t n) {
  unconsumed_ -= std::min(n, unconsumed_);
  release_held();
  if (agreed_.reliable && (phase_ == phase::established || phase_ == phase::closing))
    maybe_window_update();
}

// -- writing -------------------------------------------------------------------------------

caf::error route_group_core::seal_inner(const inner_frame& f, byte_buffer& out) {
  auto& plain = plain_scratch_; // only used here, so never in use twice
  plain.clear();
  size_t pad = agreed_.cell_size != 0
                 ? agreed_.cell_size - noise::frame_prefix_len - noise::min_frame_body
                 : 0;
  if (auto err = wire::routing::encode_inner(plain, f, agreed_.reliable, pad))
    return err;
  return ns_.encrypt_object({plain.data(), plain.size()}, out);
}

void route_group_core::send_inner_control(const inner_frame& f) {
  byte_buffer sealed;
  if (auto err = seal_inner(f, sealed))
    return fail(make_error(route_group_errc::protocol, describe(err)));
  send_control(packet_type::data, {sealed.data(), sealed.size()}, f.kind == inner_kind::ping);
}

route_group_core::write_result route_group_core::write(byte_span plain) {
  if (phase_ != phase::established)
    return phase_ == phase::failed ? write_result::failed : write_result::not_open;
  if (plain.empty())
    return write_result::ok;
  // (a write larger than the bound is taken when nothing waits: the bound
  // limits what waits, and a writer can always make progress)
  if (pending_send() > 0 && pending_send() + plain.size() > send_bound()) {
    refused_ = true;
    return write_result::queue_full;
  }
  stats_.bytes_written += plain.size();
  wrote_since_tick_ = true;
  size_t chunk = max_chunk();
  if (agreed_.reliable) {
    // one copy: into the frame each chunk is sealed from, after room for its prefix
    constexpr size_t prefix = wire::routing::reliable_data_prefix;
    size_t cell_plain = agreed_.cell_size != 0
                          ? agreed_.cell_size - noise::frame_prefix_len - noise::min_frame_body
                          : 0;
    for (size_t off = 0; off < plain.size(); off += chunk) {
      auto n = std::min(chunk, plain.size() - off);
      out_chunk c;
      c.frame.reserve(std::max(prefix + n, cell_plain));
      c.frame.resize(prefix);
      c.frame.insert(c.frame.end(), plain.begin() + static_cast<ptrdiff_t>(off),
                     plain.begin() + static_cast<ptrdiff_t>(off + n));
      if (c.frame.size() < cell_plain)
        c.frame.resize(cell_plain, 0);
      c.app_len = static_cast<uint32_t>(n);
      sendq_.push_back(std::move(c));
      sendq_bytes_ += n;
    }
    fill_window();
    return phase_ == phase::failed ? write_result::failed : write_result::ok;
  }
  for (size_t off = 0; off < plain.size(); off += chunk) {
    auto n = std::min(chunk, plain.size() - off);
    byte_buffer sealed;
    caf::error err;
    if (agreed_.any()) {
      inner_frame f;
      f.kind = inner_kind::data;
      f.payload = plain.subspan(off, n);
      err = seal_inner(f, sealed);
    } else {
      err = ns_.encrypt_frames(plain.subspan(off, n), sealed);
    }
    if (err) {
      fail(make_error(route_group_errc::protocol, describe(err)));
      return write_result::failed;
    }
    queued_bytes_ += sealed.size();
    queued_.push_back(std::move(sealed));
  }
  flush();
  return phase_ == phase::failed ? write_result::failed : write_result::ok;
}

void route_group_core::flush() {
  while (confirmed_ && !queued_.empty()) {
    auto& b = queued_.front();
    auto r = send_raw(packet_type::data, {b.data(), b.size()});
    if (r == send_status::busy) {
      blocked_ = true;
      return;
    }
    if (r == send_status::failed)
      return fail(make_error(route_group_errc::path_failed,
                             "the router could not send on the route's transport"));
    queued_bytes_ -= b.size();
    queued_.pop_front();
  }
  blocked_ = false;
  if (phase_ == phase::closing && drained() && close_timer_ != 0)
    send_close_now();
  maybe_drained();
}

size_t route_group_core::pending_send() const noexcept {
  return queued_bytes_ + sendq_bytes_;
}

void route_group_core::maybe_drained() {
  if (!refused_ || phase_ != phase::established || pending_send() > send_bound() / 2)
    return;
  refused_ = false;
  if (on_drain_)
    on_drain_();
}

void route_group_core::on_writable() {
  if (phase_ != phase::established && phase_ != phase::closing)
    return;
  blocked_ = false;
  flush();
  if (agreed_.reliable)
    fill_window();
}

// -- keep-alive and ping ---------------------------------------------------------------------

void route_group_core::on_keep_alive_tick() {
  ka_timer_ = 0;
  if (phase_ != phase::established)
    return;
  if (!wrote_since_tick_ && confirmed_) {
    if (agreed_.cell_size != 0) {
      inner_frame f;
      f.kind = inner_kind::keep_alive;
      send_inner_control(f);
    } else {
      send_control(packet_type::keep_alive, {});
    }
  }
  wrote_since_tick_ = false;
  ka_timer_ = after(cfg_.t.keep_alive, &route_group_core::on_keep_alive_tick);
}

void route_group_core::on_ping_tick() {
  ping_timer_ = 0;
  if (phase_ != phase::established)
    return;
  auto ms = static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(now()).count());
  if (!confirmed_) {
    // nothing from the initiator yet: no ping either
  } else if (agreed_.cell_size != 0) {
    inner_frame f;
    f.kind = inner_kind::ping;
    f.timestamp_ms = ms;
    send_inner_control(f);
  } else {
    auto p = wire::routing::make_ping_packet(cfg_.forward_rid, ms, 0);
    send_control(packet_type::ping, {p.payload.data(), p.payload.size()}, true);
  }
  check_paths();
  if (phase_ == phase::established)
    ping_timer_ = after(cfg_.t.ping, &route_group_core::on_ping_tick);
}

// -- close ---------------------------------------------------------------------------------

bool route_group_core::drained() const {
  return queued_.empty() && sendq_.empty() && inflight_.empty();
}

void route_group_core::close(caf::error reason) {
  if (phase_ == phase::closed || phase_ == phase::failed || phase_ == phase::closing)
    return;
  if (phase_ != phase::established) {
    // nothing was carried yet: tell the peer and end
    send_control(packet_type::close, std::array<uint8_t, 1>{0});
    return finish(event::closed, {});
  }
  phase_ = phase::closing;
  close_reason_ = std::move(reason);
  cancel(ka_timer_);
  cancel(ping_timer_);
  // the close wait covers the drain of what we wrote and the peer's answer
  close_timer_ = after(cfg_.t.close_wait, &route_group_core::on_close_timeout);
  if (drained())
    send_close_now();
}

void route_group_core::send_close_now() {
  if (close_reason_) {
    auto text = describe(close_reason_);
    send_control(packet_type::error,
                 {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    close_reason_ = caf::error{};
  }
  send_control(packet_type::close, std::array<uint8_t, 1>{0});
  close_sent_ = true;
  if (peer_closed_)
    return finish(event::closed, {});
  if (agreed_.any()) { // between two of ours a lost Close is sent again
    cancel(resend_timer_);
    resend_timer_ = after(cfg_.t.handshake_resend, &route_group_core::on_resend);
  }
}

void route_group_core::on_close_timeout() {
  close_timer_ = 0;
  if (phase_ != phase::closing)
    return;
  if (!drained())
    return fail(make_error(route_group_errc::unreachable,
                           "closing: written data not acknowledged within "
                             + ms_text(cfg_.t.close_wait)));
  // the peer did not answer our Close: we end anyway (the reference does too)
  finish(event::closed, {});
}

void route_group_core::on_close_packet() {
  if (phase_ == phase::closing) {
    peer_closed_ = true;
    if (drained())
      return finish(event::closed, {});
    return; // keep retransmitting until drained or the close wait ends
  }
  if (phase_ != phase::established)
    return fail(make_error(route_group_errc::peer_closed, "before the route handshake finished"));
  send_control(packet_type::close, std::array<uint8_t, 1>{0});
  ended_by_peer_ = true;
  last_close_answer_ = now();
  caf::error err;
  if (!peer_error_.empty()) {
    err = make_error(route_group_errc::peer_error, peer_error_);
  } else if (!drained()) {
    // what we wrote and the peer will never see: said, not dropped silently
    size_t n = queued_bytes_ + sendq_bytes_;
    for (const auto& sp : inflight_)
      n += sp.data.app_len;
    err = make_error(route_group_errc::peer_closed,
                     std::to_string(n) + " written bytes were not delivered");
  }
  finish(event::remote_closed, std::move(err));
}

void route_group_core::abort(caf::error why) {
  if (phase_ == phase::failed || phase_ == phase::closed)
    return;
  if (phase_ == phase::established || phase_ == phase::closing) {
    auto text = describe(why);
    send_control(packet_type::error, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
    send_control(packet_type::close, std::array<uint8_t, 1>{0});
  }
  fail(std::move(why));
}

void route_group_core::fail(caf::error err) {
  if (phase_ == phase::failed || phase_ == phase::closed)
    return;
  finish(event::failed, std::move(err));
}

void route_group_core::finish(event ev, caf::error err) {
  phase_ = ev == event::failed ? phase::failed : phase::closed;
  failure_ = err;
  cancel_all();
  hs_.reset();
  queued_.clear();
  queued_bytes_ = 0;
  sendq_.clear();
  sendq_bytes_ = 0;
  inflight_.clear();
  ooo_.clear();
  ooo_bytes_ = 0;
  if (ev == event::remote_closed && !held_.empty()) {
    // the end of the stream follows the data the consumer has not taken yet
    pending_end_ = std::move(err);
    end_pending_ = true;
    return;
  }
  if (on_event_)
    on_event_(ev, err);
}

} // namespace skywire::routing
