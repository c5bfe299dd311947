// A byte-stream link as the protocol engines above it see it: whatever
// carries a dmsg session (a TCP connection today; tests/sim's in-memory link
// in simulations; later a transport's stream). The engines (dmsg session_io,
// stream cores) depend on this interface only, so the same code runs over
// sockets and over a simulated link with injected faults.
//
// Contract (stream_connection is the reference implementation):
//  - start(): reading begins; on_data gets each read batch, in order, on one
//    thread at a time (the link's shard); on_sent reports bytes that left the
//    write queue; on_closed comes exactly once, last.
//  - write() never blocks and is thread-safe; it returns false when the link
//    is closed or over its queue bound (the caller treats that as a failure:
//    nothing is dropped quietly).
//  - queued_bytes() is what was accepted by write() and not yet sent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/system/error_code.hpp>

#include "runtime/io/timer_service.hpp"

namespace skywire::io {

using byte_buffer = std::vector<uint8_t>;

class byte_link {
public:
  struct callbacks {
    /// Each read as an owned buffer (for consumers that keep or forward it).
    std::function<void(byte_buffer&&)> on_data;
    std::function<void(size_t)> on_sent; ///< optional
    std::function<void(const boost::system::error_code&)> on_closed;
    /// Each read as a view, valid during the call only: the link reads into a
    /// buffer that is reused (the connection's small head, or a per-shard
    /// buffer: no allocation, no zero-fill per read).
    /// When set, on_data is not used.
    std::function<void(std::span<const uint8_t>)> on_span;
  };

  virtual ~byte_link() = default;

  /// Starts reading. max_read bounds one read (and so one on_data buffer).
  virtual void start(callbacks cbs, size_t max_read = 256 * 1024) = 0;
  /// Queues bytes; thread-safe; false when closed or over the queue bound.
  virtual bool write(byte_buffer&& bytes) = 0;
  /// Writes `parts` in order (views valid during the call only); same bounds
  /// and results as write(). This default copies them into one buffer; a
  /// socket link sends them straight from the caller's memory when it can.
  virtual bool write_parts(std::span<const std::span<const uint8_t>> parts) {
    size_t n = 0;
    for (auto p : parts)
      n += p.size();
    byte_buffer b;
    b.reserve(n);
    for (auto p : parts)
      b.insert(b.end(), p.begin(), p.end());
    return write(std::move(b));
  }
  /// A buffer of n bytes for a later write(), whose contents the caller
  /// overwrites: a socket link hands back one that an earlier write() sent
  /// (warm memory, no zero-fill, no allocation) when it has one. Thread-safe.
  virtual byte_buffer take_buffer(size_t n) { return byte_buffer(n); }
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
  /// Closes; on_closed follows (once). Thread-safe.
  virtual void close() = 0;
  /// Bytes accepted by write() and not yet sent.
  virtual size_t queued_bytes() const = 0;
  virtual void set_max_queued(size_t n) = 0;
  /// "ip:port", a unix path or a simulated name, for logs.
  virtual std::string remote_endpoint() const = 0;
  /// The data timers of the thread the link's callbacks run on (its shard's
  /// timer wheel; the virtual clock in simulations). Use from that thread.
  virtual timer_service& timers() = 0;
  /// Whether bytes that write() sent at once (nothing was queued) are also
  /// reported through on_sent. Consumers that pace themselves by on_sent
  /// (pipes crediting a stream) need them; consumers that only wait for a
  /// queue to drain do not, and turning them off saves a wake-up of the
  /// link's thread per direct write. Default: on. Call before start().
  virtual void set_direct_send_reports(bool on) { static_cast<void>(on); }
  /// Runs fn on the link's thread (serialized with its callbacks).
  virtual void post(std::function<void()> fn) = 0;
};

using byte_link_ptr = std::shared_ptr<byte_link>;

} // namespace skywire::io
