// A connected stream socket (TCP or unix) owned by one actor.
//
// Reads: after start(), the socket is read continuously; each completed read
// (everything the kernel had, up to max_read bytes) is handed to on_data as one
// buffer. While idle, only a 256-byte head is held (a read starts there, and
// continues into the io thread's shared buffer when the head fills), so
// thousands of idle connections cost little memory, and waiting for the next
// message re-arms nothing in epoll (a read op, where a readiness wait costs an
// epoll_ctl each time).
// pause_reading()/resume_reading() give the owner back-pressure.
//
// Writes: write() is thread-safe and never blocks. When nothing is queued and
// no write is in flight, it sends at once from the caller's thread with a
// non-blocking send(2) (no io-thread wake-up per frame) and queues only what
// the kernel did not take; queued buffers are sent by the io thread with one
// gathered write per round (batching). on_sent reports how many bytes left
// the queue (bytes sent directly included, reported from the io thread), so
// the owner can bound its unacknowledged bytes.
//
// Callbacks run on an io thread: an actor's callbacks should only anon_send to
// the actor. After close() or an error, on_closed is called exactly once and no
// other callback follows.
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/strand.hpp>

#include "runtime/io/byte_link.hpp"
#include "runtime/io/reactor_read.hpp"

namespace skywire::io {

class stream_connection : public byte_link,
                          public std::enable_shared_from_this<stream_connection> {
public:
  using socket_type = boost::asio::generic::stream_protocol::socket;
  using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;

  using callbacks = byte_link::callbacks;

  static std::shared_ptr<stream_connection> make(boost::asio::ip::tcp::socket&& s);
  /// Adopts a connected TCP socket a listener took with accept4 (non-blocking
  /// already; `peer` is what accept4 returned, so no getpeername, no
  /// getsockname and one epoll registration instead of three). Null on error
  /// (the descriptor is closed then).
  static std::shared_ptr<stream_connection> adopt_tcp(boost::asio::io_context& ctx, int fd,
                                                      const boost::asio::ip::tcp::endpoint& peer);
  static std::shared_ptr<stream_connection> make(boost::asio::local::stream_protocol::socket&& s);

  ~stream_connection() override;

  /// Starts reading. max_read bounds one read (and so one on_data buffer).
  void start(callbacks cbs, size_t max_read = 256 * 1024) override;

  /// Bounds the reads from the next one on (thread-safe; a read already
  /// pending may still deliver up to 256 bytes). A listener reads an
  /// unauthenticated peer in small pieces, so that what a hostile one queued
  /// is refused at its first bytes rather than copied out of the kernel.
  void set_max_read(size_t max_read);

  /// Queues bytes; thread-safe. Returns false when the connection is closed
  /// or more than max_queued bytes are already waiting (the caller should treat
  /// that as a slow peer and close).
  bool write(byte_buffer&& bytes) override;

  /// Writes `parts` in order, sent straight from the caller's memory with
  /// one sendmsg when nothing is queued ahead of them (zero copies); what
  /// the kernel does not take, or everything when bytes are already queued,
  /// is copied into the queue. `copied` gets how many bytes were copied.
  /// Same bounds and results as write(); thread-safe.
  bool write_gather(std::span<const std::span<const uint8_t>> parts, size_t& copied);
  bool write_parts(std::span<const std::span<const uint8_t>> parts) override {
    size_t copied = 0;
    return write_gather(parts, copied);
  }
  /// Most parts write_gather sends straight away (more are copied and queued).
  static constexpr size_t max_gather_parts = 64;

  void pause_reading() override;
  void resume_reading() override;

  /// Closes the socket; on_closed follows (once). Thread-safe.
  void close() override;

  /// Ends the connection with a TCP RST instead of a FIN (SO_LINGER {1, 0},
  /// then close, no shutdown), so the peer reads ECONNRESET rather than a
  /// clean end of stream: for when what it got is known to be incomplete.
  /// Like close(), it does not wait for queued bytes (call it once on_sent
  /// has reported them), and bytes the kernel has not yet delivered are
  /// dropped, as with any abortive close. on_closed follows (once).
  /// Thread-safe.
  void close_with_reset();

  /// Bytes queued and not yet written.
  size_t queued_bytes() const override;

  /// True once the connection has ended (close(), close_with_reset(), the
  /// peer's end or an error): writes fail from then on, and on_closed is
  /// called (once), after every on_data of what was read before the end.
  /// Tells a write refused by an ended connection from one refused by a
  /// full queue. Thread-safe.
  bool closed() const;

  std::string remote_endpoint() const override; ///< "ip:port" or the unix path, for logs

  void set_max_queued(size_t n) override { max_queued_ = n; }
  /// Recycled from buffers write() took and sent (at most max_spare_buffers
  /// kept, each of recyclable size): the bytes of a sent buffer are not
  /// cleared, its pages stay mapped.
  byte_buffer take_buffer(size_t n) override;
  static constexpr size_t max_spare_buffers = 4;
  static constexpr size_t min_recycled = 16 * 1024;
  static constexpr size_t max_recycled = 256 * 1024;

  timer_service& timers() override;
  /// True when the caller runs on this connection's io thread (its shard),
  /// where timers() may be used.
  bool on_io_thread() const;
  void set_direct_send_reports(bool on) override;
  void post(std::function<void()> fn) override;

  /// Moves the socket to another io context (shard): a connection whose
  /// first phase ran on one shard (a listener's admission and handshake)
  /// goes on on another. Call on this connection's io thread (in one of its
  /// callbacks or a post()), with nothing queued or being written. On
  /// success this connection ends silently (its callbacks are dropped,
  /// on_closed is not called, writes fail) and the returned one owns the
  /// socket, not started (start() it with its callbacks); its queue bound
  /// and send-report setting are carried over. nullptr: nothing changed
  /// (bytes queued, the connection ended, or it is itself a moved one whose
  /// predecessor's last read has not reached it yet), keep using this one.
  /// A read pending when the socket moves completes on this connection's
  /// io thread: the bytes (and an error) it took are handed to the returned
  /// connection, which reads nothing from the socket before them.
  std::shared_ptr<stream_connection> move_to(boost::asio::io_context& ctx);

private:
  explicit stream_connection(socket_type&& s);
  void do_wait_read();
  static reactor_read::found perform_read(void* self, boost::system::error_code& ec);
  static void complete_read(void* self, const boost::system::error_code& ec);
  void on_head(size_t n);
  void hand_over(size_t n, const boost::system::error_code& ec);
  void deliver_carried();
  void do_write();
  size_t send_now_locked(const ::iovec* iov, size_t n, bool& post_report);
  void post_after_write(bool post_write, bool post_report);
  void write_batch(std::shared_ptr<std::vector<byte_buffer>> batch, size_t index, size_t offset);
  void report_direct();
  void finish(const boost::system::error_code& ec);

  socket_type socket_;
  strand_type strand_;
  callbacks cbs_;
  size_t max_read_ = 256 * 1024;
  size_t max_queued_ = 16 * 1024 * 1024;
  int fd_ = -1;             // socket_'s descriptor, for direct sends
  mutable std::mutex mtx_;  // guards queue_, queued_, writing_, closed_, direct_*
  std::deque<byte_buffer> queue_;
  /// Sent buffers kept for take_buffer() (mtx_): sizes are left as they were.
  std::vector<byte_buffer> spare_;
  void recycle_locked(byte_buffer&& b);
  size_t queued_ = 0;
  bool writing_ = false;    // a gathered write is in flight (or being started)
  bool report_sent_ = true; // on_sent wanted (known once start() ran)
  bool direct_reports_ = true; // on_sent also for bytes sent directly by write()
  size_t direct_unreported_ = 0; // sent directly, not yet passed to on_sent
  // Every read starts here (see do_wait_read); small messages end here.
  std::array<uint8_t, 256> head_;
  reactor_read read_op_{this, &perform_read, &complete_read}; // the read into head_
  size_t read_want_ = 0; // strand only, and the read op while it is pending
  size_t read_got_ = 0;  // likewise: what the read op put in head_
  int read_inq_ = -1;    // likewise: TCP_INQ's bytes left after it (-1: unknown, or must read)
  bool tcp_inq_ = false; // reads return what is left (TCP_INQ): a TCP socket
  byte_buffer carried_;                 // strand only: read by the predecessor (move_to)
  boost::system::error_code carried_error_; // strand only: and the error its read met
  std::shared_ptr<stream_connection> successor_; // strand only: set by move_to
  bool awaiting_predecessor_ = false;   // strand only: its pending read is not in yet
  bool started_ = false;                // strand only
  bool reading_paused_ = false; // strand only
  bool read_pending_ = false;   // strand only
  bool closed_ = false;
  bool finished_ = false;   // strand only
  bool reset_on_finish_ = false; // strand only: finish() sends an RST
  std::string remote_;
};

using stream_connection_ptr = std::shared_ptr<stream_connection>;

} // namespace skywire::io
