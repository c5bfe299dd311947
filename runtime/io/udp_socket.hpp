// A bound UDP socket on one io shard: datagrams are read in batches
// (recvmmsg, up to `batch` per system call, a few calls per wake-up) and
// handed to the owner one batch at a time; sends are non-blocking. All of it
// runs on the shard's thread: start(), send_to() and close() must be called
// there (post to the socket's executor from elsewhere).
//
// UDP semantics stay visible: a datagram longer than the receive buffer
// arrives marked `truncated` (its first bytes only), and a send the kernel
// refuses (socket buffer full) is dropped and counted, never queued: the
// protocols on top (KCP) retransmit.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "messages/error.hpp"
#include "runtime/io/reactor_read.hpp"

namespace skywire::io {

class udp_socket : public std::enable_shared_from_this<udp_socket> {
public:
  using endpoint = boost::asio::ip::udp::endpoint;

  struct datagram {
    endpoint from;
    std::span<const uint8_t> bytes; ///< valid during the callback only
    bool truncated = false;         ///< longer than buffer_size: only its start is here
  };
  /// One batch of received datagrams, in arrival order.
  using batch_fn = std::function<void(std::span<const datagram>)>;

  struct options {
    size_t batch = 32;         ///< datagrams per recvmmsg
    size_t rounds = 8;         ///< recvmmsg calls per wake-up before yielding to the shard
    size_t buffer_size = 2048; ///< bytes kept of each datagram
    int receive_buffer = 0;    ///< SO_RCVBUF in bytes (0 = the system's)
    int send_buffer = 0;       ///< SO_SNDBUF in bytes (0 = the system's)
    /// Segmentation offload where the kernel has it: send_batch hands runs
    /// of equal-sized datagrams to one peer to the kernel as one message
    /// (UDP_SEGMENT), and the socket takes coalesced datagrams (UDP_GRO),
    /// split here again: the same datagrams on the wire and to the owner,
    /// one trip through the network stack per run instead of per datagram.
    /// Falls back to plain datagrams for good when the kernel refuses.
    bool offload = false;
    size_t offload_batch = 8; ///< coalesced messages per recvmmsg (64 KiB each)
  };

  /// Counters, readable from any thread.
  struct counters {
    std::atomic<uint64_t> datagrams_in{0};
    std::atomic<uint64_t> bytes_in{0};
    std::atomic<uint64_t> truncated_in{0};
    std::atomic<uint64_t> datagrams_out{0};
    std::atomic<uint64_t> bytes_out{0};
    std::atomic<uint64_t> send_dropped{0};   ///< refused by the kernel (buffer full, unreachable)
    std::atomic<uint64_t> receive_errors{0}; ///< recvmmsg errors other than "nothing to read"
    std::atomic<uint64_t> offload_sends{0};  ///< messages sent with UDP_SEGMENT (several datagrams each)
    std::atomic<uint64_t> coalesced_in{0};   ///< messages received coalesced (UDP_GRO)
  };

  /// Binds host:port (port 0 = ephemeral). Nothing is read before start().
  static expected<std::shared_ptr<udp_socket>> open(boost::asio::io_context& ctx,
                                                    const std::string& host, uint16_t port,
                                                    options opts);
  static expected<std::shared_ptr<udp_socket>> open(boost::asio::io_context& ctx,
                                                    const std::string& host, uint16_t port) {
    return open(ctx, host, port, options{});
  }

  ~udp_socket();
  udp_socket(const udp_socket&) = delete;
  udp_socket& operator=(const udp_socket&) = delete;

  endpoint local_endpoint() const noexcept { return local_; }
  uint16_t local_port() const noexcept { return local_.port(); }
  boost::asio::io_context::executor_type executor() noexcept;

  /// Starts reading; fn gets every batch until close().
  void start(batch_fn fn);
  /// Sends one datagram now; false (and counted) when the kernel refuses it.
  bool send_to(const endpoint& to, std::span<const uint8_t> bytes);
  /// Sends the datagrams to one peer now, in order, with as few system calls
  /// as sendmmsg allows; returns how many left (the rest is counted as
  /// dropped, as send_to does).
  size_t send_batch(const endpoint& to, std::span<const std::span<const uint8_t>> datagrams);
  /// Stops reading and closes the socket (idempotent).
  void close();
  bool is_open() const noexcept;

  const counters& stats() const noexcept { return stats_; }
  /// True while sends use UDP_SEGMENT (options::offload, and the kernel took it).
  bool send_offload() const noexcept { return gso_; }
  /// True when the socket takes coalesced datagrams (UDP_GRO).
  bool receive_offload() const noexcept { return gro_; }

private:
  udp_socket(boost::asio::io_context& ctx, options opts);
  void wait_readable();
  /// One recvmmsg into rx_: how many messages, 0 when nothing waits, -1 on
  /// an error (counted; an ICMP report, say: the next datagram may be fine).
  int receive_once();
  /// Hands the n messages in rx_ to on_batch_.
  void deliver(size_t n);
  static reactor_read::found perform_read(void* self, boost::system::error_code& ec);
  static void complete_read(void* self, const boost::system::error_code& ec);
  /// Sends the datagrams as sendmmsg messages, each a run of equal-sized
  /// datagrams (the last of a run may be shorter) with UDP_SEGMENT; returns
  /// how many datagrams the kernel took (their bytes added to `bytes`);
  /// `refused` when it refused the offload itself.
  size_t send_offloaded(const endpoint& to, std::span<const std::span<const uint8_t>> datagrams,
                        size_t& bytes, bool& refused);

  boost::asio::ip::udp::socket sock_;
  options opts_;
  endpoint local_;
  batch_fn on_batch_;
  struct rx_state; ///< recvmmsg's arrays and the datagram buffer
  std::unique_ptr<rx_state> rx_;
  std::vector<datagram> batch_;
  reactor_read read_op_{this, &perform_read, &complete_read};
  size_t received_ = 0; ///< [shard] messages the read op put in rx_
  counters stats_;
  bool gso_ = false; ///< [shard] sends use UDP_SEGMENT
  bool gro_ = false; ///< UDP_GRO is on: receive buffers hold 64 KiB each
};

using udp_socket_ptr = std::shared_ptr<udp_socket>;

} // namespace skywire::io
