#include "runtime/io/kcp/control_block.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace skywire::io::kcp {

namespace wk = wire::kcp;

namespace {

// kcp-go's constants (the values of the original C KCP).
constexpr uint32_t rto_nodelay_min = 30;
constexpr uint32_t rto_min = 100;
constexpr uint32_t rto_default = 200;
constexpr uint32_t rto_max = 60000;
constexpr uint32_t ask_send = 1; ///< a WASK is due
constexpr uint32_t ask_tell = 2; ///< a WINS is due
constexpr uint32_t wnd_rcv_default = 32; ///< the peer's window until it tells us
constexpr uint32_t thresh_init = 2;
constexpr uint32_t thresh_min = 2;
constexpr uint32_t probe_init = 7000;
constexpr uint32_t probe_limit = 120000;
constexpr uint32_t max_fragments = 255;
/// A received segment never holds more than the largest datagram allows.
constexpr size_t max_segment_data = wk::max_datagram - wk::header_size;
/// Pooled buffers an idle control block keeps.
constexpr size_t idle_buffers = 2;

/// later - earlier, modulo 2^32 (KCP's _itimediff).
constexpr int32_t diff(uint32_t later, uint32_t earlier) noexcept {
  return static_cast<int32_t>(later - earlier);
}

template <class T>
T clamp(T v, T lo, T hi) noexcept {
  return std::min(std::max(v, lo), hi);
}

settings sanitize(settings s) noexcept {
  s.mtu = clamp<uint32_t>(s.mtu, 50, wk::max_datagram);
  s.snd_wnd = clamp<uint32_t>(s.snd_wnd, 1, 65535);
  s.rcv_wnd = clamp<uint32_t>(s.rcv_wnd, 1, 65535);
  s.interval_ms = clamp<uint32_t>(s.interval_ms, 10, 5000);
  s.dead_link = std::max<uint32_t>(s.dead_link, 1);
  if (s.send_queue == 0)
    s.send_queue = s.snd_wnd;
  s.send_queue = clamp<uint32_t>(s.send_queue, 1, 65535);
  return s;
}

const char* kcp_code_name(uint8_t code) noexcept {
  return to_string(static_cast<kcp_errc>(code));
}

} // namespace

const char* to_string(kcp_errc x) noexcept {
  switch (x) {
    case kcp_errc::out_of_window: return "out_of_window";
    case kcp_errc::fragment_overflow: return "fragment_overflow";
    case kcp_errc::bad_una: return "bad_una";
  }
  return "unknown";
}

caf::atom_value kcp_category() noexcept {
  return caf::atom("kcp");
}

caf::error make_error(kcp_errc code, std::string context) {
  static const bool registered = (register_error_category(kcp_category(), kcp_code_name), true);
  (void)registered;
  return caf::error{static_cast<uint8_t>(code), kcp_category(),
                    caf::make_message(std::move(context))};
}

const char* to_string(send_status s) noexcept {
  switch (s) {
    case send_status::ok: return "ok";
    case send_status::would_block: return "would_block";
    case send_status::too_large: return "too_large";
    case send_status::dead_link: return "dead_link";
  }
  return "unknown";
}

// -- construction and buffers ---------------------------------------------------------

control_block::control_block(uint32_t conv, settings s, output_fn out)
  : conv_(conv),
    cfg_(sanitize(s)),
    mss_(cfg_.mtu - static_cast<uint32_t>(wk::header_size)),
    output_(std::move(out)),
    buffer_size_(std::max<size_t>(mss_, max_segment_data)),
    max_buffers_(size_t{cfg_.send_queue} + cfg_.snd_wnd + 2 * size_t{cfg_.rcv_wnd}),
    snd_queue_(cfg_.send_queue),
    snd_buf_(cfg_.snd_wnd),
    rcv_win_(cfg_.rcv_wnd),
    rcv_queue_(cfg_.rcv_wnd),
    max_acks_(std::max<size_t>(16, 2 * size_t{cfg_.rcv_wnd})),
    out_(cfg_.mtu),
    ssthresh_(thresh_init),
    rmt_wnd_(wnd_rcv_default),
    rx_rto_(rto_default),
    rx_minrto_(cfg_.nodelay ? rto_nodelay_min : rto_min) {
  acks_.reserve(max_acks_);
}

control_block::~control_block() {
  for (size_t i = 0; i < snd_queue_.size(); ++i)
    give_buffer(snd_queue_[i].buf);
  for (size_t i = 0; i < snd_buf_.size(); ++i)
    give_buffer(snd_buf_[i].buf);
  for (size_t i = 0; i < rcv_win_.capacity(); ++i)
    give_buffer(rcv_win_[i].buf);
  for (size_t i = 0; i < rcv_queue_.size(); ++i)
    give_buffer(rcv_queue_[i].buf);
  trim();
}

uint8_t* control_block::take_buffer() {
  if (!free_.empty()) {
    auto* b = free_.back();
    free_.pop_back();
    return b;
  }
  if (buffers_ >= max_buffers_)
    return nullptr; // cannot happen: every queue and window is bounded
  ++buffers_;
  ++stats_.buffer_allocations;
  free_.reserve(max_buffers_);
  return new uint8_t[buffer_size_];
}

void control_block::give_buffer(uint8_t*& b) noexcept {
  if (b == nullptr)
    return;
  free_.push_back(b); // never reallocates: reserved for max_buffers_
  b = nullptr;
}

void control_block::trim() noexcept {
  for (auto* b : free_)
    delete[] b;
  buffers_ -= free_.size();
  free_.clear();
}

size_t control_block::buffer_bytes() const noexcept {
  return buffers_ * buffer_size_;
}

// -- small helpers ----------------------------------------------------------------------

uint32_t control_block::wnd_unused() const noexcept {
  auto q = rcv_queue_.size();
  return q < cfg_.rcv_wnd ? static_cast<uint32_t>(cfg_.rcv_wnd - q) : 0;
}

uint32_t control_block::send_window() const noexcept {
  uint32_t w = std::min(cfg_.snd_wnd, rmt_wnd_);
  if (!cfg_.no_cwnd)
    w = std::min(cwnd_, w);
  return w;
}

bool control_block::writable() const noexcept {
  if (dead_)
    return false;
  if (!snd_queue_.full())
    return true;
  return cfg_.mode == write_mode::stream && snd_queue_.back().len < mss_;
}

size_t control_block::waiting() const noexcept {
  return snd_queue_.size() + snd_buf_.size();
}

bool control_block::quiet() const noexcept {
  return flushed_ && !dead_ && acks_.empty() && snd_queue_.empty() && snd_buf_.empty()
         && probe_ == 0 && rmt_wnd_ != 0;
}

state_view control_block::state() const noexcept {
  return {snd_una_,   snd_nxt_,    rcv_nxt_,          cwnd_,
          ssthresh_,  rmt_wnd_,    rx_srtt_,          rx_rttvar_,
          rx_rto_,    snd_queue_.size(), snd_buf_.size(), rcv_queue_.size(),
          rcv_win_count_, dead_};
}

// -- input ------------------------------------------------------------------------------

void control_block::update_rtt(int32_t rtt) noexcept {
  // RFC 6298, with kcp-go's smaller weight for samples below the range
  if (rx_srtt_ == 0) {
    rx_srtt_ = rtt;
    rx_rttvar_ = rtt >> 1;
  } else {
    int32_t delta = rtt - rx_srtt_;
    rx_srtt_ += delta >> 3;
    if (delta < 0)
      delta = -delta;
    if (rtt < rx_srtt_ - rx_rttvar_)
      rx_rttvar_ += (delta - rx_rttvar_) >> 5;
    else
      rx_rttvar_ += (delta - rx_rttvar_) >> 2;
  }
  // (64 bits: a peer's garbage ts must not wrap the sum below the maximum)
  uint64_t rto = static_cast<uint64_t>(rx_srtt_) +
                 std::max<uint64_t>(cfg_.interval_ms, static_cast<uint64_t>(rx_rttvar_) << 2);
  rx_rto_ = static_cast<uint32_t>(clamp<uint64_t>(rto, rx_minrto_, rto_max));
}

void control_block::parse_una(uint32_t una) noexcept {
  while (!snd_buf_.empty() && diff(una, snd_buf_.front().sn) > 0) {
    give_buffer(snd_buf_.front().buf);
    snd_buf_.pop_front();
  }
  snd_una_ = snd_buf_.empty() ? snd_nxt_ : snd_buf_.front().sn;
}

void control_block::parse_ack(uint32_t sn) noexcept {
  if (diff(sn, snd_una_) < 0 || diff(sn, snd_nxt_) >= 0 || snd_buf_.empty())
    return;
  auto i = static_cast<size_t>(sn - snd_buf_.front().sn);
  if (i >= snd_buf_.size())
    return;
  auto& seg = snd_buf_[i];
  seg.acked = true;
  give_buffer(seg.buf);
}

void control_block::parse_fastack(uint32_t sn, uint32_t ts) noexcept {
  if (diff(sn, snd_una_) < 0 || diff(sn, snd_nxt_) >= 0)
    return;
  for (size_t i = 0; i < snd_buf_.size(); ++i) {
    auto& seg = snd_buf_[i];
    if (diff(sn, seg.sn) <= 0)
      break;
    if (diff(seg.ts, ts) <= 0)
      ++seg.fastack;
  }
}

void control_block::move_to_queue() noexcept {
  while (rcv_win_[0].present && !rcv_queue_.full()) {
    auto seg = rcv_win_[0];
    rcv_win_[0].buf = nullptr;
    rcv_win_.rotate();
    --rcv_win_count_;
    ++rcv_nxt_;
    seg.present = false;
    readable_ += seg.len;
    rcv_queue_.push_back(seg);
  }
}

void control_block::parse_data(const wk::segment_view& seg) {
  // the caller checked rcv_nxt <= sn < rcv_nxt + rcv_wnd
  auto off = static_cast<size_t>(seg.hdr.sn - rcv_nxt_);
  auto& slot = rcv_win_[off];
  if (slot.present) {
    ++stats_.repeated;
  } else {
    auto* b = take_buffer();
    if (b == nullptr) { // unreachable (bounded windows); treated as a lost segment
      ++stats_.refused_segments;
      return;
    }
    if (!seg.data.empty())
      std::memcpy(b, seg.data.data(), seg.data.size());
    slot.buf = b;
    slot.len = static_cast<uint32_t>(seg.data.size());
    slot.off = 0;
    slot.frg = seg.hdr.frg;
    slot.present = true;
    ++rcv_win_count_;
  }
  move_to_queue();
}

caf::error control_block::input(byte_span datagram, millis now) {
  if (auto n = wk::validate_datagram(datagram, conv_); !n) {
    ++stats_.input_errors;
    return std::move(n.error());
  }
  ++stats_.datagrams_in;
  stats_.bytes_in += datagram.size();
  // A quiet block's owner stopped calling update(); the flush ticks go on
  // from here, an interval ahead (as kcp-go's ticking updater, whose next
  // tick is at most an interval away), not at once from a stale time
  if (quiet())
    next_flush_ = now + cfg_.interval_ms;
  caf::error refused;
  auto refuse = [&](kcp_errc code, const wk::header& h, const char* why) {
    ++stats_.refused_segments;
    if (!refused)
      refused = make_error(code, "kcp: " + wk::to_string(h) + ": " + why);
  };

  uint32_t prev_una = snd_una_;
  bool any_ack = false;
  uint32_t latest_ts = 0;
  wk::datagram_reader reader{datagram};
  for (;;) {
    auto next = reader.next();
    if (!next || !*next)
      break; // validated above: only the end
    const auto& seg = **next;
    const auto& h = seg.hdr;
    ++stats_.segments_in;
    rmt_wnd_ = h.wnd;
    if (diff(h.una, snd_nxt_) > 0)
      refuse(kcp_errc::bad_una, h, "acknowledges segments never sent");
    else
      parse_una(h.una);
    switch (h.cmd) {
      case wk::command::ack:
        parse_ack(h.sn);
        parse_fastack(h.sn, h.ts);
        any_ack = true;
        latest_ts = h.ts;
        break;
      case wk::command::push:
        if (diff(h.sn, rcv_nxt_ + cfg_.rcv_wnd) >= 0) {
          refuse(kcp_errc::out_of_window, h, "beyond the receive window");
        } else if (h.frg >= cfg_.rcv_wnd) {
          refuse(kcp_errc::fragment_overflow, h, "a message longer than the receive window");
        } else {
          if (acks_.size() == max_acks_) {
            wk::header tmpl{conv_, wk::command::ack, 0, static_cast<uint16_t>(wnd_unused()), 0, 0,
                            rcv_nxt_, 0};
            flush_acks(tmpl);
            if (out_len_ > 0)
              emit();
          }
          acks_.push_back({h.sn, h.ts});
          if (diff(h.sn, rcv_nxt_) >= 0)
            parse_data(seg);
          else
            ++stats_.repeated;
        }
        break;
      case wk::command::wask:
        probe_ |= ask_tell;
        break;
      case wk::command::wins:
        break;
    }
  }

  if (any_ack && diff(now, latest_ts) >= 0)
    update_rtt(diff(now, latest_ts));

  // congestion window growth when una moved
  if (!cfg_.no_cwnd && diff(snd_una_, prev_una) > 0 && cwnd_ < rmt_wnd_) {
    uint32_t mss = mss_;
    if (cwnd_ < ssthresh_) {
      ++cwnd_;
      incr_ += mss;
    } else {
      if (incr_ < mss)
        incr_ = mss;
      incr_ += (mss * mss) / incr_ + mss / 16;
      if ((cwnd_ + 1) * mss <= incr_)
        ++cwnd_;
    }
    if (cwnd_ > rmt_wnd_) {
      cwnd_ = rmt_wnd_;
      incr_ = rmt_wnd_ * mss;
    }
  }

  if (cfg_.ack_nodelay)
    send_acks();
  return refused;
}

void control_block::send_acks() {
  if (acks_.empty())
    return;
  wk::header tmpl{conv_, wk::command::ack, 0, static_cast<uint16_t>(wnd_unused()), 0, 0,
                  rcv_nxt_, 0};
  flush_acks(tmpl);
  if (out_len_ > 0)
    emit();
}

// -- output -----------------------------------------------------------------------------

void control_block::emit() {
  ++stats_.datagrams_out;
  stats_.bytes_out += out_len_;
  auto n = out_len_;
  out_len_ = 0;
  if (output_)
    output_(byte_span{out_.data(), n});
}

void control_block::make_space(size_t n) {
  if (out_len_ + n > cfg_.mtu)
    emit();
}

void control_block::put_segment(const wk::header& h, byte_span data) {
  out_len_ += wk::encode_into(std::span<uint8_t>{out_}.subspan(out_len_), h, data);
  ++stats_.segments_out;
}

void control_block::flush_acks(wk::header& tmpl) {
  // An ACK below rcv_nxt adds nothing to una except the last one (kcp-go's
  // filter of jitter caused by buffer bloat); kcp-go makes room even for
  // those it skips, and so do we, for the same datagram boundaries.
  tmpl.cmd = wk::command::ack;
  for (size_t i = 0; i < acks_.size(); ++i) {
    make_space(wk::header_size);
    const auto& a = acks_[i];
    if (diff(a.sn, rcv_nxt_) >= 0 || i + 1 == acks_.size()) {
      tmpl.sn = a.sn;
      tmpl.ts = a.ts;
      put_segment(tmpl, {});
    }
  }
  acks_.clear();
}

void control_block::flush(millis now) {
  flushed_ = true;
  // kcp-go starts with a congestion window of 0 and raises it to 1 at the
  // end of its first flush (which UDPSession runs before any write); we
  // raise it at the start, so bytes sent before the first flush leave with it
  if (!cfg_.no_cwnd && cwnd_ < 1) {
    cwnd_ = 1;
    incr_ = mss_;
  }
  // the template every segment of this flush copies wnd and una from;
  // WASK and WINS also keep the sn and ts of the last ACK written (kcp-go)
  wk::header tmpl{conv_, wk::command::ack, 0, static_cast<uint16_t>(wnd_unused()), 0, 0,
                  rcv_nxt_, 0};
  flush_acks(tmpl);

  // probe the window while the peer's is zero
  if (rmt_wnd_ == 0) {
    if (probe_wait_ == 0) {
      probe_wait_ = probe_init;
      ts_probe_ = now + probe_wait_;
    } else if (diff(now, ts_probe_) >= 0) {
      if (probe_wait_ < probe_init)
        probe_wait_ = probe_init;
      probe_wait_ += probe_wait_ / 2;
      if (probe_wait_ > probe_limit)
        probe_wait_ = probe_limit;
      ts_probe_ = now + probe_wait_;
      probe_ |= ask_send;
    }
  } else {
    ts_probe_ = 0;
    probe_wait_ = 0;
  }
  if (probe_ & ask_send) {
    tmpl.cmd = wk::command::wask;
    make_space(wk::header_size);
    put_segment(tmpl, {});
  }
  if (probe_ & ask_tell) {
    tmpl.cmd = wk::command::wins;
    make_space(wk::header_size);
    put_segment(tmpl, {});
  }
  probe_ = 0;

  // new segments into the window
  uint32_t cwnd = send_window();
  size_t new_segs = 0;
  while (!snd_queue_.empty() && !snd_buf_.full() && diff(snd_nxt_, snd_una_ + cwnd) < 0) {
    auto seg = snd_queue_.front();
    snd_queue_.front().buf = nullptr;
    snd_queue_.pop_front();
    seg.sn = snd_nxt_++;
    snd_buf_.push_back(seg);
    ++new_segs;
  }

  uint32_t resent = cfg_.fast_resend > 0 ? cfg_.fast_resend : 0xffffffffu;
  uint64_t change = 0, lost = 0, fast = 0, early = 0;
  int32_t minrto = static_cast<int32_t>(cfg_.interval_ms);
  tmpl.cmd = wk::command::push;
  for (size_t i = 0; i < snd_buf_.size(); ++i) {
    auto& seg = snd_buf_[i];
    if (seg.acked)
      continue;
    bool send_now = false;
    if (seg.xmit == 0) { // first transmission
      send_now = true;
      seg.rto = rx_rto_;
      seg.resendts = now + seg.rto;
    } else if (seg.fastack >= resent) { // fast retransmit
      send_now = true;
      seg.fastack = 0;
      seg.rto = rx_rto_;
      seg.resendts = now + seg.rto;
      ++change;
      ++fast;
    } else if (seg.fastack > 0 && new_segs == 0) { // early retransmit
      send_now = true;
      seg.fastack = 0;
      seg.rto = rx_rto_;
      seg.resendts = now + seg.rto;
      ++change;
      ++early;
    } else if (diff(now, seg.resendts) >= 0) { // retransmission timeout
      send_now = true;
      seg.rto += cfg_.nodelay ? rx_rto_ / 2 : rx_rto_;
      seg.fastack = 0;
      seg.resendts = now + seg.rto;
      ++lost;
    }
    if (send_now) {
      ++seg.xmit;
      seg.ts = now;
      tmpl.frg = seg.frg;
      tmpl.ts = seg.ts;
      tmpl.sn = seg.sn;
      make_space(wk::header_size + seg.len);
      put_segment(tmpl, byte_span{seg.buf, seg.len});
      if (seg.xmit >= cfg_.dead_link)
        dead_ = true;
    }
    if (auto rto = diff(seg.resendts, now); rto > 0 && rto < minrto)
      minrto = rto;
  }
  if (out_len_ > 0)
    emit();

  stats_.lost += lost;
  stats_.fast_retransmits += fast;
  stats_.early_retransmits += early;
  stats_.retransmits += lost + fast + early;

  if (!cfg_.no_cwnd) {
    if (change > 0) { // rate halving (RFC 6937), with kcp-go's arithmetic
      uint32_t inflight = snd_nxt_ - snd_una_;
      ssthresh_ = std::max(inflight / 2, thresh_min);
      cwnd_ = ssthresh_ + resent; // fast resend off: wraps to ssthresh - 1, as in kcp-go
      incr_ = cwnd_ * mss_;
    }
    if (lost > 0) { // RFC 5681
      ssthresh_ = std::max(cwnd / 2, thresh_min);
      cwnd_ = 1;
      incr_ = mss_;
    }
    if (cwnd_ < 1) {
      cwnd_ = 1;
      incr_ = mss_;
    }
  }

  next_flush_ = now + static_cast<uint32_t>(minrto);

  if (snd_queue_.empty() && snd_buf_.empty() && rcv_win_count_ == 0 && rcv_queue_.empty() &&
      free_.size() > idle_buffers) {
    for (size_t i = idle_buffers; i < free_.size(); ++i)
      delete[] free_[i];
    buffers_ -= free_.size() - idle_buffers;
    free_.resize(idle_buffers);
  }
}

void control_block::update(millis now) {
  // kcp-go's guard: a flush time over 10 s away is stale (the clock moved on
  // while the link was quiet and nobody called update)
  auto d = diff(now, check(now));
  if (d >= 0 || d < -10000)
    flush(now);
}

millis control_block::check(millis now) const {
  if (!flushed_)
    return now;
  if (!snd_queue_.empty() && !snd_buf_.full() && diff(snd_nxt_, snd_una_ + send_window()) < 0)
    return now;
  return next_flush_;
}

// -- application side -------------------------------------------------------------------

send_result control_block::send(byte_span data) {
  if (dead_)
    return {0, send_status::dead_link};
  if (data.empty())
    return {};
  size_t accepted = 0;
  auto queue_piece = [&](byte_span piece, uint8_t frg) {
    auto* b = take_buffer(); // never null: the queue is bounded
    std::memcpy(b, piece.data(), piece.size());
    tx_seg s;
    s.buf = b;
    s.len = static_cast<uint32_t>(piece.size());
    s.frg = frg;
    snd_queue_.push_back(s);
  };

  if (cfg_.mode == write_mode::message) {
    size_t count = (data.size() + mss_ - 1) / mss_;
    if (count > max_fragments || count > snd_queue_.capacity())
      return {0, send_status::too_large};
    if (count > snd_queue_.capacity() - snd_queue_.size())
      return {0, send_status::would_block};
    for (size_t i = 0; i < count; ++i) {
      auto piece = data.subspan(i * mss_, std::min<size_t>(mss_, data.size() - i * mss_));
      queue_piece(piece, static_cast<uint8_t>(count - i - 1));
    }
    stats_.data_sent += data.size();
    return {data.size(), send_status::ok};
  }

  if (cfg_.mode == write_mode::stream && !snd_queue_.empty() && snd_queue_.back().len < mss_) {
    auto& tail = snd_queue_.back();
    auto n = std::min<size_t>(mss_ - tail.len, data.size());
    std::memcpy(tail.buf + tail.len, data.data(), n);
    tail.len += static_cast<uint32_t>(n);
    accepted += n;
  }
  while (accepted < data.size() && !snd_queue_.full()) {
    auto n = std::min<size_t>(mss_, data.size() - accepted);
    queue_piece(data.subspan(accepted, n), 0);
    accepted += n;
  }
  stats_.data_sent += accepted;
  return {accepted, accepted == data.size() ? send_status::ok : send_status::would_block};
}

size_t control_block::take_from_queue(std::span<uint8_t> buf, size_t limit_segments) {
  bool was_full = rcv_queue_.size() >= cfg_.rcv_wnd;
  size_t n = 0;
  size_t segs = 0;
  while (!rcv_queue_.empty() && segs < limit_segments) {
    auto& seg = rcv_queue_.front();
    auto take = std::min<size_t>(seg.len - seg.off, buf.size() - n);
    if (take > 0)
      std::memcpy(buf.data() + n, seg.buf + seg.off, take);
    n += take;
    seg.off += static_cast<uint32_t>(take);
    if (seg.off < seg.len)
      break; // buf is full
    bool last = seg.frg == 0;
    give_buffer(seg.buf);
    rcv_queue_.pop_front();
    ++segs;
    if (limit_segments != SIZE_MAX && last)
      break;
  }
  readable_ -= n;
  stats_.data_received += n;
  move_to_queue();
  // fast recovery: a reader that drained a full queue tells the peer at once
  if (was_full && rcv_queue_.size() < cfg_.rcv_wnd)
    probe_ |= ask_tell;
  return n;
}

size_t control_block::recv(std::span<uint8_t> buf) {
  if (rcv_queue_.empty())
    return 0;
  return take_from_queue(buf, SIZE_MAX);
}

std::optional<size_t> control_block::peek_size() const noexcept {
  if (rcv_queue_.empty())
    return std::nullopt;
  const auto& first = rcv_queue_.front();
  if (first.frg == 0)
    return first.len - first.off;
  // kcp-go: a message is ready once frg + 1 segments are queued; it ends at
  // the first segment with frg 0
  if (rcv_queue_.size() < size_t{first.frg} + 1)
    return std::nullopt;
  size_t n = 0;
  for (size_t i = 0; i <= first.frg; ++i) {
    const auto& s = rcv_queue_[i];
    n += s.len - s.off;
    if (s.frg == 0)
      break;
  }
  return n;
}

std::optional<size_t> control_block::recv_message(std::span<uint8_t> buf) {
  auto size = peek_size();
  if (!size || buf.size() < *size)
    return std::nullopt;
  return take_from_queue(buf.first(*size), size_t{rcv_queue_.front().frg} + 1);
}

} // namespace skywire::io::kcp
