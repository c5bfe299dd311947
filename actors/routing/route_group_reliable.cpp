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
  // ooo_ is in sequence order (all of it above rcv_next_): only the first
  // ones can be among the 32 after it
  uint32_t bits = 0;
  for (const auto& [seq, _] : ooo_) {
    uint32_t d = seq - rcv_next_ - 1;
    if (d >= 32)
      break;
    bits |= uint32_t{1} << d;
  }
  return bits;
}

uint32_t route_group_core::recv_window() const noexcept {
  // the bytes of sequence numbers below rcv_next_ the consumer has not taken
  // yet; what arrived out of order is inside the window, so not subtracted
  size_t used = unconsumed_ + held_bytes_;
  size_t room = used < receive_bound() ? receive_bound() - used : 0;
  size_t chunk = std::max<size_t>(max_chunk(), 1);
  return static_cast<uint32_t>(std::min(cfg_.max_inflight, room / chunk));
}

uint32_t route_group_core::full_window() const noexcept {
  return static_cast<uint32_t>(
    std::min(cfg_.max_inflight, receive_bound() / std::max<size_t>(max_chunk(), 1)));
}

uint32_t route_group_core::advertise() {
  uint32_t wnd = recv_window();
  uint32_t edge = rcv_next_ + wnd;
  if (seq_before(adv_edge_, edge))
    adv_edge_ = edge;
  return wnd;
}

void route_group_core::maybe_window_update() {
  // announced when it opened by a quarter of the largest window: a sender
  // stopped at the edge goes on without waiting for its persist timer, and a
  // consumer taking a few bytes at a time does not cause an ack each
  uint32_t edge = rcv_next_ + recv_window();
  if (!seq_before(adv_edge_, edge))
    return;
  if (edge - adv_edge_ < std::max<size_t>(full_window() / 4, 1))
    return;
  ++stats_.window_updates;
  send_ack();
}

bool route_group_core::window_closed() const noexcept {
  return !seq_before(next_seq_, snd_edge_);
}

// The delayed-ACK timer is not cancelled when an ACK goes out: when it fires
// it sends one only if packets came since (unacked_in_), so an ACK still
// waits at most ack_delay, and a bulk flow schedules it about once per
// ack_delay instead of once per ACK.
void route_group_core::send_ack() {
  unacked_in_ = 0;
  inner_frame f;
  f.kind = inner_kind::ack;
  f.ack = rcv_next_;
  f.sack = sack_bits();
  f.wnd = advertise();
  send_inner_control(f);
}

void route_group_core::reliable_data(const inner_frame& f) {
  on_ack(f.ack, f.sack, f.wnd);
  if (phase_ == phase::failed || phase_ == phase::closed)
    return;
  uint32_t d = f.seq - rcv_next_;
  // a new gap, a repeat or a refusal is acknowledged at once; while a gap
  // stays open (multipath reorders all the time) acks are coalesced as
  // usual: an ack per packet there was an ack storm (cells over two paths:
  // 46 MB/s against 165 on one)
  bool now_ack = false;
  bool had_gap = !ooo_.empty();
  if (seq_before(f.seq, rcv_next_) || ooo_.count(f.seq) != 0) {
    ++stats_.duplicates;
    now_ack = true;
  } else if (d >= cfg_.max_inflight
             || (unconsumed_ + held_bytes_ + ooo_bytes_ + f.payload.size() > receive_bound())) {
    // beyond what we have room for (a window probe, or a sender that ignores
    // our window): not stored, not acknowledged; the ack at once tells the
    // sender our window, and it sends this again later
    ++stats_.deferred;
    now_ack = true;
  } else if (f.seq == rcv_next_ && ooo_.empty()) {
    // in order with nothing waiting (the usual case): straight to the consumer
    ++rcv_next_;
    deliver(f.payload);
    if (phase_ == phase::failed)
      return;
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
    now_ack = now_ack || (!ooo_.empty() && !had_gap);
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

void route_group_core::on_ack(uint32_t ack, uint32_t sack, uint32_t wnd) {
  auto t = now();
  last_ack_at_ = t;
  bool progressed = false;
  // the peer's window edge only moves forward (an older ack that arrives
  // late, on another path, does not close what a newer one opened)
  bool opened = false;
  if (wnd > cfg_.max_inflight)
    wnd = static_cast<uint32_t>(cfg_.max_inflight);
  if (seq_before(snd_edge_, ack + wnd)) {
    snd_edge_ = ack + wnd;
    opened = true;
  }
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
  // inflight_ is in sequence order: the selective bits cover the 32 after ack
  for (auto& sp : inflight_) {
    uint32_t d = sp.seq - ack - 1;
    if (seq_before(sp.seq, ack + 1))
      continue; // ack itself (not arrived)
    if (d >= 32)
      break;
    if (sack >> d & 1)
      sp.sacked = true;
  }
  if (opened && !inflight_.empty() && inflight_.front().probe && inflight_.front().seq == ack
      && seq_before(inflight_.front().seq, snd_edge_)) {
    // the probe the peer could not take yet fits now: again at once, not on the timer
    auto& sp = inflight_.front();
    sp.probe = false;
    ++stats_.window_probes;
    transmit(sp);
    if (phase_ == phase::failed)
      return;
  }
  if (progressed || opened) {
    fill_window();
    if (phase_ == phase::failed)
      return;
    if (progressed && phase_ == phase::closing && drained() && close_timer_ != 0)
      send_close_now();
  }
  if (inflight_.empty() && !(window_closed() && !sendq_.empty()))
    cancel(rto_timer_);
}

void route_group_core::transmit(sent_packet& sp) {
  // the prefix written in place (ack, sack and window as of now), the frame
  // sealed into the scratch buffer the router copies from
  wire::routing::put_reliable_data_prefix(sp.data.frame.data(), sp.seq, rcv_next_, sack_bits(),
                                          advertise(), sp.data.app_len);
  unacked_in_ = 0; // this packet carries the acknowledgement (the ACK timer stays: send_ack)
  // the scratch only grows (to the largest frame sent): a resize per packet
  // cleared its 4 KiB each time (1 % of a bulk sender's CPU)
  auto& sealed = sealed_scratch_;
  const size_t wire = noise::object_size(sp.data.frame.size());
  if (sealed.size() < wire)
    sealed.resize(wire);
  if (auto err = ns_.encrypt_object_to({sp.data.frame.data(), sp.data.frame.size()}, sealed.data()))
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
  auto [r, used] = send_on(start, {sealed.data(), wire});
  sp.path = used;
  if (r == send_status::busy)
    blocked_ = true;
}

void route_group_core::fill_window() {
  while (confirmed_ && !sendq_.empty() && inflight_.size() < cfg_.max_inflight && !blocked_
         && !window_closed()) {
    sent_packet sp;
    sp.seq = next_seq_++;
    sp.data = std::move(sendq_.front());
    sendq_.pop_front();
    sendq_bytes_ -= sp.data.app_len;
    inflight_.push_back(std::move(sp));
    transmit(inflight_.back());
    if (phase_ == phase::failed)
      return;
  }
  arm_rto();
  maybe_drained();
}

void route_group_core::arm_rto() {
  // also the persist timer: data waits and the peer's window is closed
  if (rto_timer_ == 0 && (!inflight_.empty() || (confirmed_ && !sendq_.empty() && window_closed())))
    rto_timer_ = after(rto_, &route_group_core::on_rto);
}

void route_group_core::send_probe() {
  // one packet into the closed window: the peer takes it if it has room by
  // now, and acknowledges at once either way (with its window), so a lost
  // window update does not stop the route for good
  sent_packet sp;
  sp.seq = next_seq_++;
  sp.data = std::move(sendq_.front());
  sp.probe = true;
  sendq_.pop_front();
  sendq_bytes_ -= sp.data.app_len;
  inflight_.push_back(std::move(sp));
  ++stats_.window_probes;
  transmit(inflight_.back());
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
  if (inflight_.empty() && confirmed_ && !sendq_.empty() && window_closed()) {
    send_probe();
    if (phase_ == phase::failed)
      return;
    rto_ = std::min(rto_ * 2, cfg_.t.max_rto);
    return arm_rto();
  }
  for (auto& sp : inflight_) {
    if (sp.sacked || t - sp.last_sent < rto_)
      continue;
    // a probe the peer had no room for is not a loss
    ++(sp.probe ? stats_.window_probes : stats_.retransmits);
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
