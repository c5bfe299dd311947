// A read that the io_context's own epoll reactor performs with the owner's
// system call, told by the owner when the socket is drained.
//
// Why: Asio 1.81's reads (async_read_some, async_receive) tell the reactor
// that a socket is drained only after a read of 0 bytes. After every short
// read (every message of a request/response exchange) the next read is tried
// at once and finds nothing: one wasted system call per message. A wait op
// instead (async_wait) costs an epoll_ctl each time it starts. Here the
// owner's read says when the socket is drained: the next start() then queues
// without a system call, and the reactor performs the read when epoll reports
// new bytes (the descriptor is registered edge-triggered: bytes arriving
// after the read are a new edge). The owner must be sure: what was already
// there when the read ran (a stream's FIN behind its last bytes) makes no
// new edge. One persistent op per socket, no allocation per read.
//
// It is built on Asio's detail layer (epoll_reactor::start_op, reactor_op),
// which the Boost release we build against (1.81, Asio 1.26) fixes; another
// Asio fails to compile here rather than misbehave.
#pragma once

#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/version.hpp>
#include <boost/system/error_code.hpp>

#include <memory>

#if BOOST_ASIO_VERSION != 102600 || !defined(BOOST_ASIO_HAS_EPOLL)                             \
  || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#error "reactor_read is written against Asio 1.26's epoll reactor (Boost 1.81)"
#endif

namespace skywire::io {

class reactor_read final : private boost::asio::detail::reactor_op {
public:
  /// What the owner's read found.
  enum class found {
    nothing, ///< it would block: the op waits for epoll
    some,    ///< bytes, and more may wait (the buffer filled)
    drained, ///< bytes and the socket is empty now (a short read), or an end or error
  };
  /// The read, on the io thread, the socket's descriptor lock held: it may
  /// touch only the owner's read state. Sets ec on an error or the end.
  using perform_fn = found (*)(void* owner, boost::system::error_code& ec);
  /// The completion, on the io thread (not under the lock): ec is the read's
  /// error, or operation_aborted when the socket was closed or released first.
  using complete_fn = void (*)(void* owner, const boost::system::error_code& ec);

  reactor_read(void* owner, perform_fn perform, complete_fn complete) noexcept
    : reactor_op(boost::system::error_code{}, &do_perform, &do_complete),
      owner_(owner),
      perform_(perform),
      complete_(complete) {}

  reactor_read(const reactor_read&) = delete;
  reactor_read& operator=(const reactor_read&) = delete;

  /// Starts the read on `socket` (any Asio socket of an io_context): tried at
  /// once unless the reactor knows the socket is drained. `keep` (the owner)
  /// is held until the completion has run, or until the io_context destroys
  /// the op unrun. One read at a time: call again from the completion or later.
  /// A start() while the read is pending is ignored (the op is in the
  /// reactor's queue once; the pending read's completion comes as usual).
  template <class Socket>
  void start(Socket& socket, std::shared_ptr<void> keep) {
    if (pending_)
      return;
    auto& impl = access<Socket>::impl(socket);
    if (reactor_ == nullptr)
      reactor_ = &boost::asio::use_service<boost::asio::detail::reactor>(
        socket.get_executor().context());
    pending_ = true;
    keep_ = std::move(keep);
    ec_ = {};
    bytes_transferred_ = 0;
    state_ = impl.reactor_data_;
    reactor_->start_op(boost::asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_,
                       this, true, true);
  }

  bool pending() const noexcept { return pending_; }

  /// The events (EPOLLIN, EPOLLERR, EPOLLHUP ...) epoll last reported for the
  /// socket of the last start(): the reactor keeps them in its state of the
  /// descriptor. For a perform function, on the io thread. A reset that came
  /// with the last bytes shows here as EPOLLERR|EPOLLHUP when epoll reported
  /// both in one event; when it came later its own event is still to come.
  uint32_t last_events() const noexcept {
    if (state_ == nullptr)
      return 0;
    // the descriptor state derives privately from the scheduler's operation,
    // which keeps the events in task_result_; an explicit conversion to an
    // inaccessible base is what a C-style cast is allowed to do
    auto* op = (boost::asio::detail::scheduler_operation*)state_;
    return events_access::get(*op);
  }

private:
  struct events_access : boost::asio::detail::scheduler_operation {
    static uint32_t get(const boost::asio::detail::scheduler_operation& o) {
      return o.*(&events_access::task_result_);
    }
  };

  /// basic_socket keeps its implementation protected; a pointer to the member,
  /// named through a derived class, reaches it without a cast.
  template <class Socket>
  struct access : Socket {
    static auto& impl(Socket& s) { return (s.*(&access::impl_)).get_implementation(); }
  };

  static status do_perform(reactor_op* base) {
    auto* self = static_cast<reactor_read*>(base);
    switch (self->perform_(self->owner_, self->ec_)) {
    case found::nothing:
      return not_done;
    case found::some:
      return done;
    case found::drained:
      break;
    }
    return done_and_exhausted;
  }

  static void do_complete(void* scheduler, boost::asio::detail::scheduler_operation* base,
                          const boost::system::error_code&, std::size_t) {
    auto* self = static_cast<reactor_read*>(base);
    auto keep = std::move(self->keep_); // the last use of self may end it
    self->pending_ = false;
    auto ec = self->ec_; // the completion may start the next read, which clears ec_
    if (scheduler != nullptr)
      self->complete_(self->owner_, ec);
  }

  void* owner_;
  perform_fn perform_;
  complete_fn complete_;
  boost::asio::detail::reactor* reactor_ = nullptr;
  boost::asio::detail::reactor::per_descriptor_data state_ = nullptr;
  std::shared_ptr<void> keep_;
  bool pending_ = false;
};

} // namespace skywire::io
