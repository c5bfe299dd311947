// tcp_pipe / pipe_core: how the end of a dmsg stream reaches the local TCP
// side. A scoped actor stands in for the dmsg stream; the TCP client is a
// plain socket on loopback read by this thread.
#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dmsg/errors.hpp"
#include "actors/dmsg_tools/tcp_pipe.hpp"
#include "messages/api/dmsg.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/io/stream_connection.hpp"

using namespace skywire;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::pair<tcp::socket, tcp::socket> connected_pair(asio::io_context& ctx) {
  tcp::acceptor acc(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket a(ctx), b(ctx);
  a.connect(acc.local_endpoint());
  acc.accept(b);
  return {std::move(a), std::move(b)};
}

struct socket_end {
  std::string data;
  int error = -1; ///< 0 = EOF, else the errno of the failed read; -1 = timed out
};

// Reads until EOF or an error (bounded: 10 s without an event).
socket_end read_to_end(int fd) {
  socket_end out;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0)
      return out;
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.data.append(buf, static_cast<size_t>(n));
      continue;
    }
    out.error = n == 0 ? 0 : errno;
    return out;
  }
}

// Pipes a fake stream to a TCP connection, sends `payload` down the stream,
// then ends the stream with `err`; returns what the TCP client saw.
socket_end run_pipe(caf::actor_system& sys, io::io_runtime& rt, const std::string& payload,
                    const caf::error& err) {
  auto [client, server] = connected_pair(rt.context());
  caf::scoped_actor stream{sys};
  api::stream_opened opened{caf::actor_cast<api::dmsg_stream_actor>(stream), {}, {}};
  auto pipe = dmsg_tools::spawn_tcp_pipe(sys, opened, io::stream_connection::make(std::move(server)));
  // the pipe takes the stream first; then the order of what follows is fixed
  stream->receive([](api::set_owner_atom, caf::actor&) {},
                  caf::after(std::chrono::seconds(10)) >> [] { FAIL("no set_owner"); });
  stream->send(pipe, api::data_atom::value, api::byte_buffer(payload.begin(), payload.end()));
  stream->send(pipe, api::closed_atom::value, err);
  auto end = read_to_end(client.native_handle());
  stream->wait_for(pipe); // the pipe quits once both sides have ended
  return end;
}

} // namespace

TEST_CASE("tcp_pipe: a clean stream end is a FIN, a failed one an RST after the data") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  io::io_runtime rt{1};
  const std::string payload(100000, 'x');

  auto clean = run_pipe(sys, rt, payload, caf::error{});
  CHECK(clean.data == payload);
  CHECK(clean.error == 0); // EOF

  auto reset = run_pipe(sys, rt, payload,
                        dmsg::make_error(dmsg::client_errc::stream_reset, "reset by the test"));
  CHECK(reset.data == payload); // what was queued still arrives
  CHECK(reset.error == ECONNRESET); // and the end is not a clean EOF

  auto lost = run_pipe(sys, rt, "",
                       dmsg::make_error(dmsg::dmsg_errc::session_closed, "session lost"));
  CHECK(lost.data.empty());
  CHECK(lost.error == ECONNRESET);
  rt.stop();
}
