// runtime/io/udp_socket on 127.0.0.1: datagrams arrive in batches with their
// source, a datagram longer than the buffer arrives marked truncated, a send
// goes out (one, then a batch through sendmmsg), close() stops reading;
// with segmentation offload the same datagrams arrive, in order, whatever
// either end offloads. Waits are on the datagrams, bounded.
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

  /// Starts sock (on its shard) with a reader that keeps what arrives here.
  void collect(io::io_runtime& rt, const std::shared_ptr<io::udp_socket>& sock) {
    asio::post(rt.context(), [this, sock] {
      sock->start([this](std::span<const io::udp_socket::datagram> batch) {
        std::lock_guard lk{m};
        for (const auto& d : batch) {
          items.emplace_back(std::string(d.bytes.begin(), d.bytes.end()), d.truncated);
          from.push_back(d.from);
        }
        cv.notify_all();
      });
    });
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
  got.collect(rt, sock);

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

  // a batch of one (sent with sendto); one the kernel refuses (longer than
  // a UDP datagram can be) is counted as dropped, not as sent
  std::promise<std::pair<size_t, size_t>> single;
  asio::post(rt.context(), [&] {
    std::string one = "alone";
    std::vector<uint8_t> huge(70000, 1);
    std::array<std::span<const uint8_t>, 1> a{
      std::span<const uint8_t>{reinterpret_cast<const uint8_t*>(one.data()), one.size()}};
    std::array<std::span<const uint8_t>, 1> b{std::span<const uint8_t>{huge}};
    auto first = sock->send_batch(peer.local_endpoint(), a);
    single.set_value({first, sock->send_batch(peer.local_endpoint(), b)});
  });
  auto [one_sent, huge_sent] = single.get_future().get();
  CHECK(one_sent == 1);
  CHECK(huge_sent == 0);
  auto m1 = peer.receive_from(asio::buffer(buf), from);
  CHECK(std::string(buf.data(), m1) == "alone");
  CHECK(sock->stats().datagrams_out.load() == 72);
  CHECK(sock->stats().send_dropped.load() == 1);

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

namespace {

/// The datagrams a KCP sender's flush makes: full-size runs, a short one
/// ending a run, sizes that change, one alone.
std::vector<std::string> offload_datagrams() {
  std::vector<std::string> out;
  auto add = [&](size_t len) {
    std::string s(len, '\0');
    for (size_t i = 0; i < len; ++i)
      s[i] = static_cast<char>('a' + (out.size() * 7 + i) % 26);
    out.push_back(std::move(s));
  };
  for (int i = 0; i < 100; ++i) // more than one message takes (64 KiB, 64 segments)
    add(1400);
  add(300); // ends the run
  for (int i = 0; i < 5; ++i)
    add(24); // acknowledgement-sized
  add(1400);
  add(1200);
  add(1300); // longer than the one before: a new run
  add(1);
  return out;
}

/// Sends `texts` from a socket with `send_offload` to one with
/// `receive_offload` and checks that the receiver's owner gets exactly those
/// datagrams, in order, from the sender's port.
void offload_round(bool send_offload, bool receive_offload) {
  CAPTURE(send_offload);
  CAPTURE(receive_offload);
  io::io_runtime rt{1};
  io::udp_socket::options so;
  so.offload = send_offload;
  io::udp_socket::options ro;
  ro.offload = receive_offload;
  ro.receive_buffer = 1 << 20;
  auto s = io::udp_socket::open(rt.context(), "127.0.0.1", 0, so);
  auto r = io::udp_socket::open(rt.context(), "127.0.0.1", 0, ro);
  REQUIRE(s);
  REQUIRE(r);
  auto sender = *s;
  auto receiver = *r;
  // on Linux (UDP_GRO since 5.0): the option is taken
  CHECK(receiver->receive_offload() == receive_offload);
  received got;
  got.collect(rt, receiver);
  auto texts = offload_datagrams();
  std::promise<size_t> sent;
  asio::post(rt.context(), [&] {
    std::vector<std::span<const uint8_t>> parts;
    for (auto& t : texts)
      parts.emplace_back(reinterpret_cast<const uint8_t*>(t.data()), t.size());
    sent.set_value(sender->send_batch(receiver->local_endpoint(), parts));
  });
  CHECK(sent.get_future().get() == texts.size());
  REQUIRE(got.wait_for(texts.size(), 5s));
  {
    std::lock_guard lk{got.m};
    REQUIRE(got.items.size() == texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      CAPTURE(i);
      CHECK(got.items[i].first == texts[i]);
      CHECK_FALSE(got.items[i].second);
      CHECK(got.from[i].port() == sender->local_port());
    }
  }
  CHECK(sender->stats().datagrams_out.load() == texts.size());
  CHECK(receiver->stats().datagrams_in.load() == texts.size());
  if (send_offload) {
    // loopback takes UDP_SEGMENT: the runs left as a few messages
    CHECK(sender->send_offload());
    CHECK(sender->stats().offload_sends.load() >= 2);
    CHECK(sender->stats().offload_sends.load() < texts.size() / 4);
  } else {
    CHECK(sender->stats().offload_sends.load() == 0);
  }
  // coalesced only when both ends offload (a plain receiver, like a peer
  // without UDP_GRO, gets every datagram on its own)
  if (send_offload && receive_offload)
    CHECK(receiver->stats().coalesced_in.load() > 0);
  else
    CHECK(receiver->stats().coalesced_in.load() == 0);
  std::promise<void> closed;
  asio::post(rt.context(), [&] {
    sender->close();
    receiver->close();
    closed.set_value();
  });
  closed.get_future().get();
  rt.stop();
}

} // namespace

TEST_CASE("udp_socket: segmentation offload sends and receives the same datagrams") {
  SUBCASE("offload on both ends") { offload_round(true, true); }
  SUBCASE("offloaded sends to a plain receiver (a peer without UDP_GRO)") {
    offload_round(true, false);
  }
  SUBCASE("plain sends to a receiver that takes coalesced datagrams") {
    offload_round(false, true);
  }
  SUBCASE("neither") { offload_round(false, false); }
}

// The socket's read is one op in the shard's reactor (runtime/io/reactor_read):
// a second start() while it is pending, or a wait_readable() from inside the
// batch callback, must neither queue it twice nor lose the batch it read.
TEST_CASE("udp_socket: started twice, every datagram arrives once") {
  io::io_runtime rt{1};
  auto s = io::udp_socket::open(rt.context(), "127.0.0.1", 0);
  REQUIRE(s);
  auto sock = *s;
  received got;
  got.collect(rt, sock);
  got.collect(rt, sock); // the second start: ignored while the read is pending

  asio::io_context ctx;
  asio::ip::udp::socket peer{ctx};
  peer.open(asio::ip::udp::v4());
  asio::ip::udp::endpoint to{asio::ip::make_address("127.0.0.1"), sock->local_port()};
  for (int i = 0; i < 20; ++i) {
    auto text = "once " + std::to_string(i);
    peer.send_to(asio::buffer(text), to);
    REQUIRE(got.wait_for(static_cast<size_t>(i) + 1, 3s)); // one at a time: each its own read
  }
  // the next datagram is the event that would show a duplicate delivery
  peer.send_to(asio::buffer(std::string{"last"}), to);
  REQUIRE(got.wait_for(21, 3s));
  std::promise<void> flushed; // the shard has run everything queued before this
  asio::post(rt.context(), [&] { flushed.set_value(); });
  flushed.get_future().wait();
  std::lock_guard lk{got.m};
  CHECK(got.items.size() == 21);
  CHECK(sock->stats().datagrams_in.load() == 21);
  asio::post(rt.context(), [sock] { sock->close(); });
}
