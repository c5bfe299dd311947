// pipe_core: a local socket that ends (its reply sent, then closed) while
// stream bytes for it are still on their way. The socket's events are
// recorded and handed to the core by this test, in the order the owner's
// mailbox can see them: the stream's bytes first, then the socket's data and
// its end, which the connection had already read (so a write to it fails).
// A scoped actor stands in for the dmsg stream and sees what the core sends.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dmsg_tools/pipe_core.hpp"
#include "messages/api/dmsg.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/io/stream_connection.hpp"

using namespace skywire;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// The socket's callbacks, kept for the test to replay (the owner's mailbox).
struct socket_log {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<dmsg_tools::byte_buffer> data;
  bool closed = false;

  io::stream_connection::callbacks callbacks() {
    io::stream_connection::callbacks cbs;
    cbs.on_data = [this](io::byte_buffer&& b) {
      std::lock_guard<std::mutex> g{mtx};
      data.push_back(std::move(b));
    };
    cbs.on_sent = [](size_t) {};
    cbs.on_closed = [this](const boost::system::error_code&) {
      std::lock_guard<std::mutex> g{mtx};
      closed = true;
      cv.notify_all();
    };
    return cbs;
  }

  bool wait_closed() {
    std::unique_lock<std::mutex> g{mtx};
    return cv.wait_for(g, std::chrono::seconds(10), [this] { return closed; });
  }
};

} // namespace

TEST_CASE("pipe_core: a reply the socket read before it ended still reaches the stream, then a "
          "clean close, when stream bytes for the socket arrive after the end") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  io::io_runtime rt{1};

  tcp::acceptor acc(rt.context(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket local(rt.context()), peer(rt.context());
  local.connect(acc.local_endpoint());
  acc.accept(peer);

  // The local service answers at once and closes (a reply cut short: it
  // never reads the request).
  const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc";
  REQUIRE(::write(peer.native_handle(), reply.data(), reply.size())
          == static_cast<ssize_t>(reply.size()));
  peer.close();

  caf::scoped_actor stream{sys};
  auto stream_handle = caf::actor_cast<api::dmsg_stream_actor>(stream);
  auto conn = io::stream_connection::make(std::move(local));
  socket_log events;
  bool socket_ended = false;
  std::string local_failure = "not run";
  uint64_t to_stream = 0;
  auto owner = sys.spawn([&](caf::event_based_actor* self) {
    dmsg_tools::pipe_core core{self, conn, stream_handle};
    conn->start(events.callbacks());
    // The connection has read the reply and its end: writes to it fail now.
    socket_ended = events.wait_closed();
    if (!socket_ended)
      return;
    // The dialer's request reaches the pipe first ...
    const std::string request = "GET / HTTP/1.1\r\n\r\n";
    core.on_stream_data(dmsg_tools::byte_buffer(request.begin(), request.end()));
    // ... then what the socket read, then its end.
    for (auto& b : events.data)
      core.on_socket_data(std::move(b));
    core.on_socket_closed();
    local_failure = core.local_failure();
    to_stream = core.bytes_to_stream();
  });
  stream->wait_for(owner);
  REQUIRE(socket_ended);
  CHECK(local_failure.empty()); // the local side ended, it did not fail
  CHECK(to_stream == reply.size());

  // The stream gets the whole reply, then a close: not a close first (the
  // dialer would see "stream closed before a response").
  std::string got;
  bool closed = false;
  bool closed_early = false;
  while (!closed) {
    bool timed_out = false;
    stream->receive(
      [&](api::write_atom, api::byte_buffer& b) {
        got.append(b.begin(), b.end());
      },
      [&](api::close_atom) {
        closed = true;
        closed_early = got.size() < reply.size();
      },
      [&](api::consumed_atom, uint32_t) {},
      caf::after(std::chrono::seconds(10)) >> [&] { timed_out = true; });
    if (timed_out)
      break;
  }
  CHECK(closed);
  CHECK_FALSE(closed_early);
  CHECK(got == reply);
  rt.stop();
}
