// route_group_core: reliable mode (an extension between two of ours):
// acknowledgements with selective bits, the send window, retransmission on
// timeout, and moving to a new path (the class is declared in
// route_group_core.hpp; the data path is in route_group_core.cpp).
#include "actors/routing/route_group_core.hpp"

#include <algorithm>

#include "actors/routing/route_group_errors.hpp"

namespace skywire::routing {

using wire::routing::inner_frame;
using wire::routing::inner_kind;
namespace noise = crypto::noise;

namespace {

/// Serial-number order of 32-bit sequence numbers.
bool seq_before(uint32_t a, uint32_t b) noexcept {
  return static_cast<int32_t>(a - b) < 0;
}

} // namespace

// -- reliable mode -------------------------------------------------------------------------

uint32_t route_group_core::sack_bits() const {
  uint32_t bits = 0;
  for (const auto& [seq, _] : ooo_) {
    uint32_t d = seq - rcv_next_ - 1;
    if (d < 32)
      bits |= uint32_t{1} << d;
  }
  return bits;
}

void route_group_core::send_ack() {
  unacked_in_ = 0;
  cancel(ack_timer_);
  inner_frame f;
  f.kind = inner_kind::ack;
  f.ack = rcv_next_;
  f.sack = sack_bits();
  send_inner_control(f);
}

void route_group_core::reliable_data(const inner_frame& f) {
  on_ack(f.ack, f.sack);
  if (phase_ == phase::failed || phase_ == phase::closed)
    return;
  uint32_t d = f.seq - rcv_next_;
  bool now_ack = false; // a gap, a repeat or a refusal is acknowledged at once
  if (seq_before(f.seq, rcv_next_) || ooo_.count(f.seq) != 0) {
    ++stats_.duplicates;
    now_ack = true;
  } else if (d >= cfg_.max_inflight
             || (unconsumed_ + held_bytes_ + ooo_bytes_ >= cfg_.max_unconsumed)) {
    ++stats_.deferred; // not stored, not acknowledged: the sender sends it again later
    now_ack = true;
  } else {
    ooo_bytes_ += f.payload.size();
    ooo_.emplace(f.seq, byte_buffer{f.payload.begin(), f.payload.end()});
    while (!ooo_.empty() && ooo_.begin()->first == rcv_next_) {
      // std::map orders by value: fine while the window never spans a wrap
      // of 2^32 (the window is at most 1024 packets; seqs wrap after 2^32)
      auto node = ooo_.extract(ooo_.begin());
      ooo_bytes_ -= node.mapped().size();
      ++rcv_next_;
      deliver({node.mapped().data(), node.mapped().size()});
      if (phase_ == phase::failed)
        return;
    }
    now_ack = now_ack || !ooo_.empty();
  }
  // acks are coalesced: one per ack_every packets in order, or after ack_delay
  if (now_ack || ++unacked_in_ >= ack_every)
    return send_ack();
  if (ack_timer_ == 0)
    ack_timer_ = after(cfg_.t.ack_delay, &route_group_core::on_ack_timer);
}

void route_group_core::on_ack_timer() {
  ack_timer_ = 0;
  if ((phase_ == phase::established || phase_ == phase::closing) && unacked_in_ > 0)
    send_ack();
}

void route_group_core::on_ack(uint32_t ack, uint32_t sack) {
  auto t = now();
  last_ack_at_ = t;
  bool progressed = false;
  while (!inflight_.empty() && seq_before(inflight_.front().seq, ack)) {
    auto& sp = inflight_.front();
    if (sp.tries == 1) { // Karn: only packets sent once give a sample
      // RFC 6298: the timer is the smoothed round trip plus four mean
      // deviations (and the peer's ack delay), so that a round trip that
      // swings with queueing (a busy relay, a busy machine) does not fire it
      // while the packets are only waiting in a queue
      auto sample = t - sp.first_sent;
      if (srtt_.count() == 0) {
        srtt_ = sample;
        rttvar_ = sample / 2;
      } else {
        auto dev = srtt_ > sample ? srtt_ - sample : sample - srtt_;
        rttvar_ = (rttvar_ * 3 + dev) / 4;
        srtt_ = (srtt_ * 7 + sample) / 8;
      }
      rto_ = std::clamp(srtt_ + rttvar_ * 4 + cfg_.t.ack_delay, cfg_.t.min_rto, cfg_.t.max_rto);
    }
    inflight_.pop_front();
    progressed = true;
  }
  for (auto& sp : inflight_) {
    uint32_t d = sp.seq - ack - 1;
    if (d < 32 && (sack >> d & 1))
      sp.sacked = true;
  }
  if (progressed) {
    fill_window();
    if (phase_ == phase::closing && drained() && close_timer_ != 0)
      send_close_now();
  }
  if (inflight_.empty())
    cancel(rto_timer_);
}

void route_group_core::transmit(sent_packet& sp) {
  inner_frame f;
  f.kind = inner_kind::data;
  f.seq = sp.seq;
  f.ack = rcv_next_;
  f.sack = sack_bits();
  f.payload = byte_span{sp.app.data(), sp.app.size()};
  unacked_in_ = 0; // this packet carries the acknowledgement
  cancel(ack_timer_);
  byte_buffer sealed;
  sealed.reserve(noise::frame_prefix_len + noise::min_frame_body
                 + wire::routing::inner_size(f, true) + agreed_.cell_size);
  if (auto err = seal_inner(f, sealed))
    return fail(make_error(route_group_errc::protocol, describe(err)));
  auto t = now();
  if (sp.tries == 0)
    sp.first_sent = t;
  sp.last_sent = t;
  ++sp.tries;
  // striped over the paths: a first try takes the next path in turn, a
  // retransmission the path after its last one
  size_t start = sp.tries == 1 ? rr_++ % paths_.size() : (sp.path + 1) % paths_.size();
  // busy or failed: the packet stays in flight and goes again on the timer
  // (or on_writable / replace_path), so nothing is lost
  auto [r, used] = send_on(start, {sealed.data(), sealed.size()});
  sp.path = used;
  if (r == send_status::busy)
    blocked_ = true;
}

void route_group_core::fill_window() {
  while (confirmed_ && !sendq_.empty() && inflight_.size() < cfg_.max_inflight && !blocked_) {
    sent_packet sp;
    sp.seq = next_seq_++;
    sp.app = std::move(sendq_.front());
    sendq_.pop_front();
    inflight_.push_back(std::move(sp));
    transmit(inflight_.back());
    if (phase_ == phase::failed)
      return;
  }
  arm_rto();
  maybe_drained();
}

void route_group_core::arm_rto() {
  if (rto_timer_ == 0 && !inflight_.empty())
    rto_timer_ = after(rto_, &route_group_core::on_rto);
}

void route_group_core::on_rto() {
  rto_timer_ = 0;
  if (phase_ != phase::established && phase_ != phase::closing)
    return;
  check_paths();
  if (phase_ != phase::established && phase_ != phase::closing)
    return;
  auto t = now();
  if (!inflight_.empty() && t - last_ack_at_ >= cfg_.t.give_up)
    return fail(make_error(route_group_errc::unreachable,
                           "no acknowledgement from the peer for " + ms_text(t - last_ack_at_)));
  bool resent = false;
  blocked_ = false;
  for (auto& sp : inflight_) {
    if (sp.sacked || t - sp.last_sent < rto_)
      continue;
    ++stats_.retransmits;
    transmit(sp);
    resent = true;
    if (phase_ == phase::failed || blocked_)
      break;
  }
  if (resent)
    rto_ = std::min(rto_ * 2, cfg_.t.max_rto); // back off while the path is silent
  arm_rto();
}

void route_group_core::replace_path(write_fn out, route_id forward_rid, route_id consume_rid) {
  paths_.clear();
  path p;
  p.out = std::move(out);
  p.rid = forward_rid;
  p.consume = consume_rid;
  p.last_heard = now();
  paths_.push_back(std::move(p));
  cfg_.forward_rid = forward_rid;
  blocked_ = false;
  if (phase_ != phase::established && phase_ != phase::closing)
    return;
  last_ack_at_ = now(); // the new path gets its own give-up time
  rto_ = cfg_.t.min_rto;
  for (auto& sp : inflight_) {
    if (sp.sacked)
      continue;
    ++stats_.retransmits;
    transmit(sp);
    if (phase_ == phase::failed)
      return;
  }
  flush();
  if (agreed_.reliable) {
    send_ack();
    fill_window();
  }
}

} // namespace skywire::routing
