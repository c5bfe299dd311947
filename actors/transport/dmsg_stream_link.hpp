// A dmsg stream as an io::byte_link: what a transport of type dmsg runs on
// (reference §3.2: the transport is a dmsg stream to <pk>:45, already Noise
// KK end to end; transport_core runs its settlement straight on it).
//
// The stream's plaintext reaches the link on the dmsg session's io thread
// (the stream core's direct sink), one call per read batch, so a transport
// over dmsg parses its frames where the stream's frames are decrypted: no
// actor hop per read. Received bytes are handed back to the stream's receive
// window (consumed) once the consumer returns, unless reading is paused: the
// window then closes and the remote stops, nothing is dropped.
//
// Writes go to the stream core from any thread (encrypted and framed there;
// a full stream queue refuses: write() returns false). The end of the stream
// is learnt by whoever owns it (the stream actor tells its owner with
// closed_atom; simulations use the core's notice function) and passed in
// with on_stream_closed(): on_closed follows once. close() asks the owner's
// close function (the stream actor's graceful close).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "actors/dmsg/stream_core.hpp"
#include "messages/ids.hpp"
#include "runtime/io/byte_link.hpp"

namespace skywire::transport {

class dmsg_stream_link : public io::byte_link,
                         public std::enable_shared_from_this<dmsg_stream_link> {
public:
  /// core: the established stream; name: for logs ("dmsg://pk:port");
  /// close_fn: ends the stream (the owner sends close_atom to the stream
  /// actor; tests call the core directly).
  static std::shared_ptr<dmsg_stream_link> make(dmsg::stream_core_ptr core, std::string name,
                                                std::function<void()> close_fn);

  void start(callbacks cbs, size_t max_read = 256 * 1024) override;
  bool write(io::byte_buffer&& bytes) override;
  void pause_reading() override;
  void resume_reading() override;
  void close() override;
  size_t queued_bytes() const override;
  void set_max_queued(size_t n) override;
  std::string remote_endpoint() const override { return name_; }
  io::timer_service& timers() override;
  void post(std::function<void()> fn) override;

  /// The stream ended (err empty: a clean end, reported to on_closed as
  /// end of file; else as a reset). on_closed follows once.
  void on_stream_closed(const caf::error& err);

  /// The stream's two ends (ours, the peer's), when the owner set them
  /// (before handing the link on).
  void set_addresses(address local, address remote) {
    local_ = local;
    remote_ = remote;
  }
  const address& local_address() const noexcept { return local_; }
  const address& remote_address() const noexcept { return remote_; }

private:
  dmsg_stream_link(dmsg::stream_core_ptr core, std::string name, std::function<void()> close_fn);
  void deliver(io::byte_buffer&& b);

  dmsg::stream_core_ptr core_;
  const std::string name_;
  std::function<void()> close_fn_;
  mutable std::mutex mtx_;
  callbacks cbs_;          // guarded by mtx_ until started; then read on the io thread
  bool paused_ = false;    // guarded by mtx_
  uint64_t owed_ = 0;      // received while paused, handed back on resume (mtx_)
  size_t max_queued_ = 8 * 1024 * 1024;
  address local_;
  address remote_;
  std::atomic<bool> closed_{false};
};

} // namespace skywire::transport
