// The KCP ARQ engine of one sudph conversation, written for this project to
// behave as xtaci/kcp-go v5.4.20 does under Skywire's UDPSession settings
// (docs/protocol/kcp.md has the settings, the behaviour and the few places
// where we differ). A plain class: no socket, no clock, no thread. Its owner
// (the link on an io shard) feeds it received datagrams with input(), hands it
// application bytes with send(), takes them out with recv(), and calls
// update() at the deadline check() names; datagrams to transmit come out
// through the output callback, several segments packed per datagram up to
// the MTU.
//
// Time is a 32-bit millisecond clock chosen by the owner (any monotonic
// origin; it may wrap): the segments carry it in `ts` and only differences
// are ever used.
//
// Everything is bounded: the send queue (send() pushes back when it is
// full), the segments in flight (snd_wnd), the receive buffer and queue
// (rcv_wnd each), the ACK list. Segment buffers come from a pool owned by the
// control block and are recycled: a transfer in steady state allocates
// nothing per segment. Network input never throws: a datagram that is not
// well-formed KCP of this conversation is refused whole with an error value;
// a segment that breaks the protocol (outside the receive window, a message
// longer than the window, an ACK of data never sent) is dropped with an error
// value while the rest of its datagram is applied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "messages/error.hpp"
#include "messages/wire/kcp/segment.hpp"
#include "runtime/io/kcp/ring.hpp"

namespace skywire::io::kcp {

using byte_span = std::span<const uint8_t>;
/// The owner's millisecond clock, truncated to 32 bits (wraps; differences
/// are taken modulo 2^32, as KCP does).
using millis = uint32_t;

/// How send() cuts application bytes into segments.
enum class write_mode : uint8_t {
  /// kcp-go's UDPSession.Write, which Skywire uses: the bytes of one send()
  /// are cut into pieces of at most mss bytes, each its own segment with
  /// frg 0; two send() calls never share a segment. The peer's Read returns
  /// one piece at a time, so message boundaries up to mss survive (the
  /// address resolver's side channel relies on it).
  packet,
  /// KCP stream mode: bytes of successive send() calls fill segments up to
  /// mss while they wait in the send queue. For links whose reader treats
  /// the bytes as a stream (Noise frames carry their own lengths).
  stream,
  /// KCP message mode: one send() is one message of at most 255 segments
  /// (frg counts down to 0), accepted whole or not at all.
  message,
};

/// The settings of one control block. Defaults are kcp-go's, which Skywire
/// keeps (it calls none of SetNoDelay, SetWindowSize, SetMtu, SetStreamMode).
struct settings {
  uint32_t mtu = 1400;        ///< bytes of the largest datagram we send (50-1500)
  uint32_t snd_wnd = 32;      ///< segments in flight at most (1-65535)
  uint32_t rcv_wnd = 32;      ///< receive window, segments (1-65535)
  /// Minimum RTO 30 ms, not 100; a timeout adds RTO/2 to a segment's RTO, not RTO.
  bool nodelay = false;
  uint32_t interval_ms = 100; ///< flush period (10-5000)
  uint32_t fast_resend = 0;   ///< resend after this many later ACKs; 0 = off
  bool no_cwnd = false;       ///< no congestion window (only snd_wnd and the peer's window)
  uint32_t dead_link = 20;    ///< transmissions of one segment after which the link is dead
  uint32_t send_queue = 0;    ///< segments waiting for the window (0 = snd_wnd)
  bool ack_nodelay = false;   ///< send ACKs at the end of each input() instead of the next flush
  write_mode mode = write_mode::packet;
};

/// Protocol violations by the peer (category "kcp").
enum class kcp_errc : uint8_t {
  out_of_window = 1, ///< a PUSH at or beyond rcv_nxt + rcv_wnd (dropped, not acknowledged)
  fragment_overflow, ///< frg >= rcv_wnd: a message that could never fit (dropped)
  bad_una,           ///< una acknowledges segments we never sent (ignored)
};

const char* to_string(kcp_errc x) noexcept;
caf::atom_value kcp_category() noexcept;
caf::error make_error(kcp_errc code, std::string context);

/// What send() did.
enum class send_status : uint8_t {
  ok,          ///< every byte was queued
  would_block, ///< the send queue is full: `accepted` bytes (maybe 0) were queued; retry the rest
  too_large,   ///< message mode: the message needs more than 255 segments or the whole queue
  dead_link,   ///< the link is dead; nothing was queued
};

const char* to_string(send_status s) noexcept;

struct send_result {
  size_t accepted = 0;
  send_status status = send_status::ok;
};

/// Counters since construction.
struct counters {
  uint64_t datagrams_in = 0;      ///< accepted by input()
  uint64_t datagrams_out = 0;     ///< handed to the output callback
  uint64_t bytes_in = 0;          ///< datagram bytes accepted by input()
  uint64_t bytes_out = 0;         ///< datagram bytes output
  uint64_t segments_in = 0;
  uint64_t segments_out = 0;
  uint64_t data_sent = 0;         ///< application bytes accepted by send()
  uint64_t data_received = 0;     ///< application bytes returned by recv()
  uint64_t retransmits = 0;       ///< every resend (timeout, fast and early)
  uint64_t lost = 0;              ///< resends because the retransmission timer expired
  uint64_t fast_retransmits = 0;  ///< resends after fast_resend later ACKs
  uint64_t early_retransmits = 0; ///< resends after a later ACK when nothing new went out
  uint64_t repeated = 0;          ///< PUSH segments received twice
  uint64_t input_errors = 0;      ///< datagrams refused whole
  uint64_t refused_segments = 0;  ///< segments dropped for a protocol violation
  uint64_t buffer_allocations = 0; ///< segment buffers allocated (the pool grows, then recycles)
};

/// Internal state, for tests and diagnostics.
struct state_view {
  uint32_t snd_una, snd_nxt, rcv_nxt;
  uint32_t cwnd, ssthresh, rmt_wnd;
  int32_t rx_srtt, rx_rttvar;
  uint32_t rx_rto;
  size_t snd_queue, snd_buf, rcv_queue, rcv_buf;
  bool dead;
};

class control_block {
public:
  /// Receives each datagram to transmit; the bytes are valid during the call only.
  using output_fn = std::function<void(byte_span datagram)>;

  /// Out-of-range settings are clamped to the ranges given in `settings`.
  control_block(uint32_t conv, settings s, output_fn out);
  ~control_block();
  control_block(const control_block&) = delete;
  control_block& operator=(const control_block&) = delete;

  uint32_t conv() const noexcept { return conv_; }
  const settings& config() const noexcept { return cfg_; }
  /// Largest data bytes per segment (mtu - 24).
  uint32_t mss() const noexcept { return mss_; }

  // -- network side ----------------------------------------------------------

  /// One received datagram. Errors: wire category (not well-formed KCP, or
  /// another conversation: nothing applied); kcp category (a segment broke
  /// the protocol and was dropped; the others were applied). With
  /// ack_nodelay, ACKs go out before it returns.
  caf::error input(byte_span datagram, millis now);

  /// Sends what is due now: ACKs, window probes, new segments the windows
  /// allow, retransmissions. kcp-go's flush.
  void flush(millis now);

  /// flush() if the deadline check() names has come; otherwise nothing.
  void update(millis now);

  /// Sends the queued ACKs now, in as few datagrams as they fit (what
  /// ack_nodelay does at the end of each input(); an owner that feeds a
  /// batch of datagrams calls it once after the batch instead).
  void send_acks();

  /// When update() must run next: `now` if something is due now (first
  /// call, bytes that the window would let out), else the earlier of the
  /// next flush tick and the next retransmission.
  millis check(millis now) const;

  // -- application side ------------------------------------------------------

  /// Queues application bytes (see write_mode). They leave with the next
  /// flush; check() turns `now` while the window lets them out.
  send_result send(byte_span data);

  /// Stream read: copies as many received bytes as fit into buf, across
  /// segments and messages; returns how many (0 when none is ready).
  size_t recv(std::span<uint8_t> buf);

  /// Size of the next whole message, if one is ready: the segments up to
  /// the one with frg 0, what one Read of kcp-go's UDPSession returns (one
  /// segment unless the peer sent in message mode). A peer may send empty
  /// messages.
  std::optional<size_t> peek_size() const noexcept;

  /// Copies the next whole message into buf and returns its size; nothing
  /// when none is ready or buf is shorter than peek_size() (then nothing is
  /// consumed).
  std::optional<size_t> recv_message(std::span<uint8_t> buf);

  /// Bytes recv() could return now.
  size_t readable() const noexcept { return readable_; }
  /// Whether send() would take at least one byte now.
  bool writable() const noexcept;
  /// Segments not yet acknowledged or not yet sent (kcp-go's WaitSnd).
  size_t waiting() const noexcept;
  /// Nothing for a flush to do until the application sends or a datagram
  /// comes in: no ACK owed, nothing queued or unacknowledged, no window probe
  /// asked for or needed. The owner need not run update() on the interval
  /// then (an idle link costs no wake-ups); input() and send() end it, and
  /// input() on a quiet block puts the next flush an interval ahead.
  bool quiet() const noexcept;

  /// A segment was sent dead_link times without an acknowledgement: the
  /// peer is gone or the path is cut. Sticky.
  bool dead() const noexcept { return dead_; }

  const counters& stats() const noexcept { return stats_; }
  state_view state() const noexcept;

  /// Frees the pooled segment buffers nobody uses (an idle link keeps none).
  void trim() noexcept;
  /// Bytes held in segment buffers (in use and pooled).
  size_t buffer_bytes() const noexcept;

private:
  struct tx_seg {
    uint8_t* buf = nullptr; ///< from the pool; returned when acknowledged
    uint32_t len = 0;
    uint32_t sn = 0, ts = 0, rto = 0, resendts = 0, fastack = 0, xmit = 0;
    uint8_t frg = 0;
    bool acked = false;
  };
  struct rx_seg {
    uint8_t* buf = nullptr;
    uint32_t len = 0;
    uint32_t off = 0; ///< bytes already read (stream reads)
    uint8_t frg = 0;
    bool present = false;
  };
  struct ack_item {
    uint32_t sn, ts;
  };

  uint8_t* take_buffer();
  void give_buffer(uint8_t*& b) noexcept;
  uint32_t wnd_unused() const noexcept;
  uint32_t send_window() const noexcept;
  void parse_una(uint32_t una) noexcept;
  void parse_ack(uint32_t sn) noexcept;
  void parse_fastack(uint32_t sn, uint32_t ts) noexcept;
  void parse_data(const wire::kcp::segment_view& seg);
  void move_to_queue() noexcept;
  void update_rtt(int32_t rtt) noexcept;
  void put_segment(const wire::kcp::header& h, byte_span data);
  void make_space(size_t n);
  void emit();
  void flush_acks(wire::kcp::header& tmpl);
  size_t take_from_queue(std::span<uint8_t> buf, size_t limit_segments);

  uint32_t conv_;
  settings cfg_;
  uint32_t mss_;
  output_fn output_;

  // segment buffers: a free list in front of the allocator
  size_t buffer_size_;
  size_t max_buffers_;
  size_t buffers_ = 0;
  std::vector<uint8_t*> free_;

  ring<tx_seg> snd_queue_;
  ring<tx_seg> snd_buf_;  ///< sn snd_una, snd_una+1, ... (acked ones stay until una passes)
  ring<rx_seg> rcv_win_;  ///< offset i holds sn rcv_nxt + i, if it arrived
  size_t rcv_win_count_ = 0;
  ring<rx_seg> rcv_queue_;
  std::vector<ack_item> acks_;
  size_t max_acks_;
  std::vector<uint8_t> out_;
  size_t out_len_ = 0;

  uint32_t snd_una_ = 0, snd_nxt_ = 0, rcv_nxt_ = 0;
  uint32_t ssthresh_, cwnd_ = 0, incr_ = 0, rmt_wnd_;
  int32_t rx_srtt_ = 0, rx_rttvar_ = 0;
  uint32_t rx_rto_, rx_minrto_;
  uint32_t probe_ = 0, ts_probe_ = 0, probe_wait_ = 0;
  bool flushed_ = false;
  millis next_flush_ = 0;
  bool dead_ = false;
  size_t readable_ = 0;
  counters stats_;
};

} // namespace skywire::io::kcp
