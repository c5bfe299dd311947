// runtime/io/reactor_read on a unix socket pair: a read the owner calls
// drained makes the next one wait for epoll without trying the socket; a read
// that may have left bytes is tried again at once; bytes that come later are
// read when epoll reports them; closing the socket ends a waiting read with
// operation_aborted; an io_context destroyed with a read pending lets go of
// the owner; a second start while the read is pending is ignored; a start on
// a closed socket completes with an error. The io_context runs on this thread (poll/run_one): no waits.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <memory>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>

#include "runtime/io/reactor_read.hpp"

namespace io = skywire::io;
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

/// The owner: reads what one recv gives; `drained_on_short` decides what a
/// short read tells the reactor.
struct reader : std::enable_shared_from_this<reader> {
  asio::generic::stream_protocol::socket sock;
  io::reactor_read op{this, &perform, &complete};
  bool drained_on_short = true;
  int performs = 0;    ///< times the reactor (or start) tried the socket
  int completions = 0;
  size_t got = 0;
  std::string bytes;
  error_code last;

  reader(asio::io_context& ctx, int fd)
    : sock(ctx, asio::generic::stream_protocol(AF_UNIX, 0), fd) {
    sock.non_blocking(true);
  }

  void start() { op.start(sock, shared_from_this()); }

  static io::reactor_read::found perform(void* p, error_code& ec) {
    auto* self = static_cast<reader*>(p);
    ++self->performs;
    std::array<char, 64> buf{};
    ssize_t n = ::recv(self->sock.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? io::reactor_read::found::nothing
                                                     : (ec = error_code(errno, asio::error::get_system_category()),
                                                        io::reactor_read::found::drained);
    if (n == 0) {
      ec = asio::error::eof;
      return io::reactor_read::found::drained;
    }
    self->got = static_cast<size_t>(n);
    self->bytes.append(buf.data(), self->got);
    bool short_read = self->got < buf.size();
    return short_read && self->drained_on_short ? io::reactor_read::found::drained
                                                : io::reactor_read::found::some;
  }

  static void complete(void* p, const error_code& ec) {
    auto* self = static_cast<reader*>(p);
    ++self->completions;
    self->last = ec;
  }
};

struct socket_pair {
  int ours = -1, theirs = -1;
  socket_pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    ours = fds[0];
    theirs = fds[1];
  }
  ~socket_pair() {
    if (theirs >= 0)
      ::close(theirs);
  }
  void send(const std::string& s) const {
    REQUIRE(::send(theirs, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()));
  }
};

} // namespace

TEST_CASE("reactor_read: after a drained read the next one waits for epoll without a try; "
          "after one that may have left bytes it is tried at once") {
  for (bool drained_on_short : {true, false}) {
    CAPTURE(drained_on_short);
    asio::io_context ctx{1};
    socket_pair sp;
    auto r = std::make_shared<reader>(ctx, sp.ours);
    r->drained_on_short = drained_on_short; // false: what Asio's own reads do

    sp.send("hello");
    r->start(); // tried at once: bytes wait
    CHECK(r->performs == 1);
    ctx.poll();
    CHECK(r->completions == 1);
    CHECK(r->bytes == "hello");
    CHECK_FALSE(r->last);

    // Drained: this start queues the read, no recv. Otherwise it tries one,
    // which finds nothing, and then queues.
    r->start();
    CHECK(r->performs == (drained_on_short ? 1 : 2));
    ctx.poll();
    CHECK(r->completions == 1); // nothing came

    // Bytes that come now are an edge: the reactor performs the read.
    sp.send("world");
    ctx.restart();
    CHECK(ctx.run_one_for(std::chrono::seconds(5)) == 1);
    CHECK(r->performs == (drained_on_short ? 2 : 3));
    CHECK(r->completions == 2);
    CHECK(r->bytes == "helloworld");

    r->sock.close();
    ctx.restart();
    ctx.poll();
  }
}

TEST_CASE("reactor_read: the peer's end, and a close while the read waits") {
  asio::io_context ctx{1};
  socket_pair sp;
  auto r = std::make_shared<reader>(ctx, sp.ours);
  std::weak_ptr<reader> weak = r;

  r->start(); // nothing yet: queued after one try
  ctx.poll();
  CHECK(r->completions == 0);
  ::close(sp.theirs);
  sp.theirs = -1;
  ctx.restart();
  CHECK(ctx.run_one_for(std::chrono::seconds(5)) == 1);
  CHECK(r->last == asio::error::eof);

  // A read waiting when the socket is closed ends aborted, and lets go of its
  // owner.
  socket_pair sp2;
  auto r2 = std::make_shared<reader>(ctx, sp2.ours);
  std::weak_ptr<reader> weak2 = r2;
  r2->start();
  r2->sock.close();
  ctx.restart();
  ctx.poll();
  CHECK(r2->completions == 1);
  CHECK(r2->last == asio::error::operation_aborted);
  r2.reset();
  CHECK(weak2.expired());
  r.reset();
  CHECK(weak.expired());
}

TEST_CASE("reactor_read: an io_context destroyed with a read pending lets go of the owner") {
  std::weak_ptr<reader> weak;
  socket_pair sp;
  {
    asio::io_context ctx{1};
    auto r = std::make_shared<reader>(ctx, sp.ours);
    weak = r;
    r->start();
    ctx.poll();
    CHECK(r->completions == 0);
    r.reset();
    CHECK_FALSE(weak.expired()); // the pending read holds it
  }
  CHECK(weak.expired());
}

TEST_CASE("reactor_read: a start while the read is pending is ignored") {
  asio::io_context ctx{1};
  socket_pair sp;
  auto r = std::make_shared<reader>(ctx, sp.ours);
  r->start(); // nothing there: queued after one try
  CHECK(r->op.pending());
  r->start(); // ignored: the op is queued once
  CHECK(r->performs == 1);
  sp.send("once");
  ctx.restart();
  CHECK(ctx.run_one_for(std::chrono::seconds(5)) == 1);
  CHECK_FALSE(r->op.pending());
  ctx.restart();
  ctx.poll();
  CHECK(r->completions == 1);
  CHECK(r->bytes == "once");
  r->sock.close();
}

TEST_CASE("reactor_read: a start on a closed socket completes with an error") {
  asio::io_context ctx{1};
  socket_pair sp;
  auto r = std::make_shared<reader>(ctx, sp.ours);
  r->sock.close();
  r->start();
  ctx.poll();
  CHECK(r->completions == 1);
  CHECK(r->last == asio::error::bad_descriptor);
  CHECK(r->performs == 0);
  CHECK(r->op.last_events() == 0);
}
