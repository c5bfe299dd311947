// runtime/io/udp_socket on 127.0.0.1: datagrams arrive in batches with their
// source, a datagram longer than the buffer arrives marked truncated, a send
// goes out (one, then a batch through sendmmsg), close() stops reading. Waits are on the datagrams, bounded.
#include <doctest/doctest.h>

#include <array>
#include <condition_variable>
#include <future>
#include <mutex>

#include <boost/asio/post.hpp>

#include "runtime/io/io_runtime.hpp"
#include "runtime/io/udp_socket.hpp"

namespace io = skywire::io;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct received {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<std::string, bool>> items; ///< bytes, truncated
  std::vector<asio::ip::udp::endpoint> from;

  bool wait_for(size_t n, std::chrono::milliseconds t) {
    std::unique_lock lk{m};
    return cv.wait_for(lk, t, [&] { return items.size() >= n; });
  }
};

} // namespace

TEST_CASE("udp_socket: batches with sources, truncation, sends, close") {
  io::io_runtime rt{1};
  io::udp_socket::options o;
  o.buffer_size = 2048;
  auto s = io::udp_socket::open(rt.context(), "127.0.0.1", 0, o);
  REQUIRE(s);
  auto sock = *s;
  REQUIRE(sock->local_port() != 0);
  received got;
  asio::post(rt.context(), [&] {
    sock->start([&](std::span<const io::udp_socket::datagram> batch) {
      std::lock_guard lk{got.m};
      for (const auto& d : batch) {
        got.items.emplace_back(std::string(d.bytes.begin(), d.bytes.end()), d.truncated);
        got.from.push_back(d.from);
      }
      got.cv.notify_all();
    });
  });

  asio::io_context ctx;
  asio::ip::udp::socket peer{ctx};
  peer.open(asio::ip::udp::v4());
  peer.bind({asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::udp::endpoint to{asio::ip::make_address("127.0.0.1"), sock->local_port()};
  for (int i = 0; i < 50; ++i) {
    auto text = "datagram " + std::to_string(i);
    peer.send_to(asio::buffer(text), to);
  }
  std::string big(3000, 'x');
  peer.send_to(asio::buffer(big), to);
  REQUIRE(got.wait_for(51, 3s));
  {
    std::lock_guard lk{got.m};
    for (int i = 0; i < 50; ++i) {
      CHECK(got.items[static_cast<size_t>(i)].first == "datagram " + std::to_string(i));
      CHECK_FALSE(got.items[static_cast<size_t>(i)].second);
      CHECK(got.from[static_cast<size_t>(i)].port() == peer.local_endpoint().port());
    }
    CHECK(got.items[50].first.size() == 2048);
    CHECK(got.items[50].second);
  }
  CHECK(sock->stats().datagrams_in.load() == 51);
  CHECK(sock->stats().truncated_in.load() == 1);

  // a send from the shard
  std::promise<bool> sent;
  asio::post(rt.context(), [&] {
    std::string reply = "reply";
    sent.set_value(sock->send_to(
      peer.local_endpoint(), {reinterpret_cast<const uint8_t*>(reply.data()), reply.size()}));
  });
  CHECK(sent.get_future().get());
  std::array<char, 64> buf{};
  asio::ip::udp::endpoint from;
  auto n = peer.receive_from(asio::buffer(buf), from);
  CHECK(std::string(buf.data(), n) == "reply");
  CHECK(from.port() == sock->local_port());

  // a batch: 70 datagrams (more than one sendmmsg takes), in order
  std::promise<size_t> batch_sent;
  asio::post(rt.context(), [&] {
    std::vector<std::string> texts;
    std::vector<std::span<const uint8_t>> parts;
    for (int i = 0; i < 70; ++i)
      texts.push_back("batch " + std::to_string(i));
    for (auto& t : texts)
      parts.emplace_back(reinterpret_cast<const uint8_t*>(t.data()), t.size());
    batch_sent.set_value(sock->send_batch(peer.local_endpoint(), parts));
  });
  CHECK(batch_sent.get_future().get() == 70);
  for (int i = 0; i < 70; ++i) {
    auto m = peer.receive_from(asio::buffer(buf), from);
    CHECK(std::string(buf.data(), m) == "batch " + std::to_string(i));
  }
  CHECK(sock->stats().datagrams_out.load() == 71);

  std::promise<void> closed;
  asio::post(rt.context(), [&] {
    sock->close();
    closed.set_value();
  });
  closed.get_future().get();
  CHECK_FALSE(sock->is_open());
  rt.stop();
}

TEST_CASE("udp_socket: a bad or taken address is an error value") {
  io::io_runtime rt{1};
  CHECK_FALSE(io::udp_socket::open(rt.context(), "not-an-ip", 0));
  auto a = io::udp_socket::open(rt.context(), "127.0.0.1", 0);
  REQUIRE(a);
  CHECK_FALSE(io::udp_socket::open(rt.context(), "127.0.0.1", (*a)->local_port()));
  rt.stop();
}
