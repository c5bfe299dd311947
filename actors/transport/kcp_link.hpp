// One KCP session (a sudph transport, or the visor's channel to the address
// resolver) as an io::byte_link: one io::kcp::control_block, its
// conversation id and the remote UDP endpoint, on the io shard of the shared
// UDP socket (sudph_socket.hpp). The demultiplexer feeds it the datagrams of
// its conversation through input(); the datagrams it sends leave through the
// shared socket; the shard's timer wheel drives KCP's update() at the time
// check() names.
//
// Bounds: bytes accepted by write() wait in a queue bounded by
// set_max_queued() until KCP's send queue (itself bounded by its window
// settings) takes them; write() refuses what does not fit and never drops.
// Reads: each whole KCP message is handed to the reader in one call (one
// segment in packet mode: the message boundaries the address resolver's
// channel relies on); pause_reading() leaves them in KCP's receive queue,
// whose fullness closes the receive window toward the peer.
//
// End: close() (ours: the link lingers, at most 5 s, until the peer
// acknowledged what was sent, unless it was never heard from), KCP's dead
// link (a segment sent dead_link times without an acknowledgement) or the
// owner's abandon() (the socket closed) end the link; on_closed comes once,
// last. Nothing is sent on close: KCP has no close segment (kcp-go sends
// none either).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "runtime/io/byte_link.hpp"
#include "runtime/io/kcp/control_block.hpp"
#include "runtime/io/udp_socket.hpp"

namespace skywire::transport {

/// The KCP settings of a sudph transport: kcp-go's defaults (what Skywire's
/// visors run) in packet mode, ACKs sent at the end of each input.
io::kcp::settings sudph_kcp_settings();

/// What a link needs from where it runs: the datagram path to its peer, the
/// timers and millisecond clock of its thread, and a way onto that thread.
/// make() builds it from an io shard and the shared UDP socket; tests build
/// one over a simulated datagram link and its virtual clock.
struct kcp_link_env {
  std::function<void(std::span<const uint8_t>)> send; ///< one datagram to the peer
  /// Several datagrams to the peer, in order (one sendmmsg); unset: send()
  /// each.
  std::function<void(std::span<const std::span<const uint8_t>>)> send_many;
  io::timer_service* timers = nullptr;
  std::function<int64_t()> now_ms;
  std::function<void(std::function<void()>)> post;
};

class kcp_link final : public io::byte_link, public std::enable_shared_from_this<kcp_link> {
public:
  using endpoint = boost::asio::ip::udp::endpoint;
  /// Called once when the link ended (on the shard), so the demultiplexer
  /// forgets it. Before on_closed.
  using detach_fn = std::function<void(kcp_link&)>;

  /// A link of conversation `conv` with `remote`, sending through `sock`.
  /// Call start() (or let a transport_core start it) to begin.
  static std::shared_ptr<kcp_link> make(boost::asio::io_context& ctx, io::udp_socket_ptr sock,
                                        endpoint remote, uint32_t conv,
                                        io::kcp::settings s = sudph_kcp_settings());
  /// The same over any environment (`remote` names the peer in logs).
  static std::shared_ptr<kcp_link> make(kcp_link_env env, endpoint remote, uint32_t conv,
                                        io::kcp::settings s = sudph_kcp_settings());
  ~kcp_link() override;

  // io::byte_link
  void start(callbacks cbs, size_t max_read) override;
  bool write(io::byte_buffer&& bytes) override;
  bool write_parts(std::span<const std::span<const uint8_t>> parts) override;
  void pause_reading() override;
  void resume_reading() override;
  void close() override;
  size_t queued_bytes() const override;
  void set_max_queued(size_t n) override;
  std::string remote_endpoint() const override;
  io::timer_service& timers() override;
  /// Every write() waits in the queue for the shard: all bytes are reported.
  void set_direct_send_reports(bool) override {}
  void post(std::function<void()> fn) override;

  // -- the demultiplexer's side (shard thread) --------------------------------
  /// One datagram of this conversation. Datagrams KCP refuses (malformed,
  /// another conversation) are counted and change nothing. The link runs
  /// at once: received bytes to the reader, then the ACKs.
  void input(std::span<const uint8_t> datagram);
  /// The same inside a batch of datagrams read together: KCP takes it, the
  /// rest waits for end_batch(). True for the first datagram of the batch
  /// that reached this link (the caller calls end_batch() once for it).
  bool input_batched(std::span<const uint8_t> datagram);
  /// After a batch: the received bytes go to the reader, then the ACKs of
  /// the whole batch leave (few datagrams instead of one per datagram
  /// received), with the window the reader left open.
  void end_batch();
  /// Ends the link without sending anything (the socket is closing).
  void abandon();
  void set_detach(detach_fn fn) { detach_ = std::move(fn); }

  uint32_t conv() const noexcept { return conv_; }
  const endpoint& remote() const noexcept { return remote_; }
  bool ended() const noexcept { return ended_; }
  /// Datagrams input() refused (shard thread).
  uint64_t refused_datagrams() const noexcept { return refused_; }
  /// Milliseconds (the environment's clock) of the last accepted datagram.
  int64_t last_input_ms() const noexcept { return last_input_ms_; }
  const io::kcp::counters& kcp_stats() const noexcept { return kcb_.stats(); }
  /// KCP's windows and timers now (shard thread).
  io::kcp::state_view kcp_state() const noexcept { return kcb_.state(); }

  /// The millisecond clock of links on an io shard (steady).
  static int64_t steady_ms() noexcept;

private:
  kcp_link(kcp_link_env env, endpoint remote, uint32_t conv, io::kcp::settings s);
  void output(std::span<const uint8_t> datagram);
  bool apply_input(std::span<const uint8_t> datagram); ///< [shard] KCP takes a datagram
  /// [shard] While one lives, datagrams KCP outputs are gathered and leave
  /// together (send_many) when the outermost one ends.
  struct cork {
    explicit cork(kcp_link& l) : link(l), outer(!l.corked_) { link.corked_ = true; }
    ~cork() {
      if (outer) {
        link.corked_ = false;
        link.flush_output();
      }
    }
    kcp_link& link;
    bool outer;
  };
  void flush_output();
  void pump();      ///< [shard] queue -> KCP, KCP -> reader, timer
  void deliver();   ///< [shard] received messages to the reader
  void feed();      ///< [shard] queued bytes into KCP's send queue
  void schedule();  ///< [shard] the timer at check()
  void end(const boost::system::error_code& ec);
  void request_pump(); ///< [any]

  kcp_link_env env_;
  endpoint remote_;
  uint32_t conv_;
  io::kcp::control_block kcb_;
  callbacks cbs_;
  bool started_ = false;
  bool paused_ = false;
  bool ended_ = false;
  detach_fn detach_;
  io::byte_buffer rx_;
  size_t max_read_ = 256 * 1024;
  io::timer_service::timer_id timer_ = 0;
  int64_t timer_due_ = 0;
  uint64_t refused_ = 0;
  int64_t last_input_ms_ = 0;
  bool heard_ = false; ///< a datagram of the peer was accepted
  bool ack_nodelay_ = false; ///< ACKs after each input / batch (KCP itself holds them)
  bool in_batch_ = false;    ///< input_batched() took a datagram since end_batch()
  bool corked_ = false;
  /// [shard] written on the shard while this link's pump runs (a reader
  /// answering what it was just handed): the pump feeds it before it ends,
  /// so the answer leaves with the ACKs of what it answers, in one datagram,
  /// without a posted turn of the shard in between.
  bool repump_ = false;
  io::byte_buffer out_bytes_;        ///< gathered datagrams, back to back
  std::vector<size_t> out_sizes_;    ///< their sizes

  mutable std::mutex mtx_; ///< the write queue and its bounds
  std::deque<io::byte_buffer> queue_;
  size_t queue_head_ = 0; ///< bytes of queue_.front() already handed to KCP
  size_t queued_ = 0;
  size_t max_queued_ = 4 * 1024 * 1024;
  bool closed_ = false;   ///< close() called (writes refused)
  bool pump_posted_ = false;
};

using kcp_link_ptr = std::shared_ptr<kcp_link>;

} // namespace skywire::transport
