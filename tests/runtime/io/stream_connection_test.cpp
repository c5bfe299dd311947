#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <numeric>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "runtime/io/io_runtime.hpp"
#include "runtime/io/stream_connection.hpp"

using namespace skywire;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct collector {
  std::mutex mtx;
  std::condition_variable cv;
  io::byte_buffer data;
  bool closed = false;
  size_t sent = 0;

  bool wait_for(size_t n) {
    std::unique_lock<std::mutex> lk{mtx};
    return cv.wait_for(lk, std::chrono::seconds(10), [&] { return data.size() >= n || closed; })
           && data.size() >= n;
  }
  bool wait_closed() {
    std::unique_lock<std::mutex> lk{mtx};
    return cv.wait_for(lk, std::chrono::seconds(10), [&] { return closed; });
  }
  io::stream_connection::callbacks cbs() {
    return {[this](io::byte_buffer&& b) {
              std::lock_guard<std::mutex> g{mtx};
              data.insert(data.end(), b.begin(), b.end());
              cv.notify_all();
            },
            [this](size_t n) {
              std::lock_guard<std::mutex> g{mtx};
              sent += n;
              cv.notify_all();
            },
            [this](const boost::system::error_code&) {
              std::lock_guard<std::mutex> g{mtx};
              closed = true;
              cv.notify_all();
            },
            {}};
  }
};

std::pair<tcp::socket, tcp::socket> connected_pair(asio::io_context& ctx) {
  tcp::acceptor acc(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket a(ctx), b(ctx);
  a.connect(acc.local_endpoint());
  acc.accept(b);
  return {std::move(a), std::move(b)};
}

/// A shard of `rt` other than `first` (nullptr if it has only one).
asio::io_context* other_shard(io::io_runtime& rt, asio::io_context& first) {
  for (size_t i = 0; i < rt.shards(); ++i)
    if (auto& c = rt.next_context(); &c != &first)
      return &c;
  return nullptr;
}

} // namespace

TEST_CASE("stream_connection moves 8 MiB in order in both directions and reports close") {
  io::io_runtime rt{2};
  auto [sa, sb] = connected_pair(rt.context());
  auto a = io::stream_connection::make(std::move(sa));
  auto b = io::stream_connection::make(std::move(sb));
  collector ca, cb;
  a->start(ca.cbs());
  b->start(cb.cbs());
  constexpr size_t chunk = 64 * 1024, chunks = 128;
  io::byte_buffer expected;
  for (size_t i = 0; i < chunks; ++i) {
    io::byte_buffer buf(chunk);
    for (size_t j = 0; j < chunk; ++j)
      buf[j] = static_cast<uint8_t>((i * 131 + j) & 0xff);
    expected.insert(expected.end(), buf.begin(), buf.end());
    io::byte_buffer copy = buf;
    REQUIRE(a->write(std::move(buf)));
    REQUIRE(b->write(std::move(copy)));
  }
  REQUIRE(cb.wait_for(expected.size()));
  REQUIRE(ca.wait_for(expected.size()));
  CHECK(cb.data == expected);
  CHECK(ca.data == expected);
  a->close();
  CHECK(ca.wait_closed());
  CHECK(cb.wait_closed()); // peer sees EOF
  CHECK_FALSE(a->write(io::byte_buffer(10, 1)));
  rt.stop();
}

TEST_CASE("stream_connection span reads: views of the shard buffer, in order, 8 MiB") {
  io::io_runtime rt{2};
  auto [sa, sb] = connected_pair(rt.next_context());
  auto a = io::stream_connection::make(std::move(sa));
  auto b = io::stream_connection::make(std::move(sb));
  collector ca, cb;
  a->start(ca.cbs());
  auto span_cbs = cb.cbs();
  auto on_data = std::move(span_cbs.on_data);
  span_cbs.on_data = nullptr;
  size_t reads = 0;
  span_cbs.on_span = [&, on_data](std::span<const uint8_t> s) {
    ++reads;
    on_data(io::byte_buffer(s.begin(), s.end()));
  };
  b->start(std::move(span_cbs), 16 * 1024);
  io::byte_buffer expected(8u << 20);
  for (size_t j = 0; j < expected.size(); ++j)
    expected[j] = static_cast<uint8_t>((j * 7 + j / 4096) & 0xff);
  REQUIRE(a->write(io::byte_buffer(expected)));
  REQUIRE(cb.wait_for(expected.size()));
  CHECK(cb.data == expected);
  CHECK(reads >= expected.size() / (16 * 1024)); // bounded by max_read per read
  b->close();
  CHECK(cb.wait_closed());
  CHECK(ca.wait_closed());
  rt.stop();
}

TEST_CASE("write_gather: parts in order from the caller's memory, the rest copied when the kernel is full") {
  io::io_runtime rt{2};
  auto [sa, sb] = connected_pair(rt.next_context());
  auto a = io::stream_connection::make(std::move(sa));
  auto b = io::stream_connection::make(std::move(sb));
  collector ca, cb;
  a->start(ca.cbs());
  b->start(cb.cbs());
  // 16 rounds of 3 parts of 512 KiB: far more than the socket buffers take
  // at once, so later gathers find bytes queued and copy, some sends are
  // partial; the reader sees every byte once, in order.
  io::byte_buffer expected;
  size_t copied_total = 0;
  for (int round = 0; round < 16; ++round) {
    std::array<io::byte_buffer, 3> parts;
    std::array<std::span<const uint8_t>, 3> views;
    for (size_t k = 0; k < parts.size(); ++k) {
      parts[k].resize(512 * 1024);
      for (size_t j = 0; j < parts[k].size(); ++j)
        parts[k][j] = static_cast<uint8_t>((round * 31 + k * 7 + j / 1000 + j) & 0xff);
      views[k] = parts[k];
      expected.insert(expected.end(), parts[k].begin(), parts[k].end());
    }
    size_t copied = 0;
    REQUIRE(a->write_gather(views, copied));
    CHECK(copied <= 3 * 512 * 1024);
    copied_total += copied;
    // the caller's buffers may change right after the call
    for (auto& p : parts)
      std::fill(p.begin(), p.end(), uint8_t{0xee});
  }
  CHECK(copied_total < expected.size()); // some went straight from the parts
  REQUIRE(cb.wait_for(expected.size()));
  CHECK(cb.data == expected);
  std::array<std::span<const uint8_t>, 1> empty{};
  size_t copied = 1;
  CHECK(a->write_gather(empty, copied));
  CHECK(copied == 0);
  a->close();
  CHECK(cb.wait_closed());
  // closed: refused
  std::array<std::span<const uint8_t>, 1> one{std::span<const uint8_t>{expected.data(), 10}};
  CHECK_FALSE(a->write_gather(one, copied));
  rt.stop();
}

namespace {

/// Holds a shard busy (a handler that waits) until release(): what a peer
/// sends meanwhile is all in the socket when the shard looks again, and epoll
/// reports it as one event.
class shard_hold {
public:
  explicit shard_hold(asio::io_context& ctx) {
    auto go = go_.get_future().share();
    auto held = std::make_shared<std::promise<void>>();
    auto is_held = held->get_future();
    asio::post(ctx, [go, held] {
      held->set_value();
      go.wait_for(std::chrono::seconds(10));
    });
    REQUIRE(is_held.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  }
  ~shard_hold() { release(); }
  void release() {
    if (!released_)
      go_.set_value();
    released_ = true;
  }

private:
  std::promise<void> go_;
  bool released_ = false;
};

enum class peer_end { fin, reset, close_with_unread_input };

} // namespace

// A short read tells the shard's reactor that the socket is drained, so the
// next read waits for epoll (runtime/io/reactor_read). Bytes and the peer's
// end that arrive together are one epoll event: the end must still be seen,
// with no write of ours needed, whichever end it is.
// Sizes: less than the first read (256 bytes), exactly it (the read is full
// and TCP_INQ says only the end is left), and more (TCP_INQ says how much);
// as owned buffers and as views of the shard's buffer.
TEST_CASE("stream_connection: the last bytes and the peer's end in one epoll event") {
  for (auto end : {peer_end::fin, peer_end::reset, peer_end::close_with_unread_input})
  for (size_t size : {size_t{12}, size_t{256}, size_t{700}})
  for (bool spans : {false, true}) {
    CAPTURE(static_cast<int>(end));
    CAPTURE(size);
    CAPTURE(spans);
    io::io_runtime rt{1};
    auto [a, b] = connected_pair(rt.context());
    auto conn = io::stream_connection::make(std::move(a));
    collector col;
    auto cbs = col.cbs();
    if (spans) {
      cbs.on_span = [on_data = cbs.on_data](std::span<const uint8_t> s) {
        on_data(io::byte_buffer(s.begin(), s.end()));
      };
      cbs.on_data = nullptr;
    }
    conn->start(std::move(cbs), 64 * 1024);
    // a first message, read on its own: the next read waits in the reactor
    std::string first = "first";
    REQUIRE(::send(b.native_handle(), first.data(), first.size(), MSG_NOSIGNAL)
            == static_cast<ssize_t>(first.size()));
    REQUIRE(col.wait_for(first.size()));
    if (end == peer_end::close_with_unread_input) {
      // the peer closes with bytes it never read: its kernel sends a reset
      std::string unread = "never read";
      REQUIRE(conn->write(io::byte_buffer(unread.begin(), unread.end())));
      pollfd p{b.native_handle(), POLLIN, 0};
      REQUIRE(::poll(&p, 1, 10000) == 1);
    }
    shard_hold hold{rt.context()};
    std::string last(size, 'x');
    for (size_t i = 0; i < size; ++i)
      last[i] = static_cast<char>('a' + i % 26);
    REQUIRE(::send(b.native_handle(), last.data(), last.size(), MSG_NOSIGNAL)
            == static_cast<ssize_t>(last.size()));
    if (end == peer_end::fin)
      ::shutdown(b.native_handle(), SHUT_WR);
    if (end == peer_end::reset)
      b.set_option(asio::socket_base::linger(true, 0));
    if (end != peer_end::fin)
      b.close();
    hold.release();
    REQUIRE(col.wait_closed());
    std::lock_guard<std::mutex> g{col.mtx};
    CHECK(std::string(col.data.begin(), col.data.end()) == first + last);
  }
}

// Each message arrives alone, so each read takes all there is: short, or a
// full first read (256 bytes) with nothing behind it, after which the next
// read waits for epoll's next report; the next message must wake it.
TEST_CASE("stream_connection: small messages one by one, each a read of its own") {
  io::io_runtime rt{1};
  auto [a, b] = connected_pair(rt.context());
  auto conn = io::stream_connection::make(std::move(a));
  collector col;
  conn->start(col.cbs());
  std::string expect;
  for (int i = 0; i < 200; ++i) {
    std::string m = "message " + std::to_string(i);
    if (i % 4 == 1)
      m.resize(256, '.'); // exactly the first read's size
    else if (i % 4 == 3)
      m.resize(512, '-'); // a full first read, the rest behind it
    expect += m;
    REQUIRE(::send(b.native_handle(), m.data(), m.size(), MSG_NOSIGNAL)
            == static_cast<ssize_t>(m.size()));
    REQUIRE(col.wait_for(expect.size()));
  }
  ::shutdown(b.native_handle(), SHUT_WR);
  REQUIRE(col.wait_closed());
  std::lock_guard<std::mutex> g{col.mtx};
  CHECK(std::string(col.data.begin(), col.data.end()) == expect);
}

TEST_CASE("stream_connection refuses writes beyond its queue bound") {
  io::io_runtime rt{1};
  auto [sa, sb] = connected_pair(rt.context());
  auto a = io::stream_connection::make(std::move(sa));
  a->set_max_queued(1024);
  collector ca;
  a->start(ca.cbs());
  // the peer never reads, so the queue eventually fills up
  bool refused = false;
  for (int i = 0; i < 10000 && !refused; ++i)
    refused = !a->write(io::byte_buffer(512, 7));
  CHECK(refused);
  a->close();
  CHECK(ca.wait_closed());
  rt.stop();
}

TEST_CASE("close_with_reset: the peer reads the sent bytes, then ECONNRESET instead of EOF") {
  io::io_runtime rt{1};
  for (bool reset : {false, true}) {
    auto [sa, sb] = connected_pair(rt.context());
    auto a = io::stream_connection::make(std::move(sa));
    collector ca;
    a->start(ca.cbs());
    REQUIRE(a->write(io::byte_buffer(5000, 7)));
    {
      std::unique_lock<std::mutex> lk{ca.mtx};
      REQUIRE(ca.cv.wait_for(lk, std::chrono::seconds(10), [&] { return ca.sent == 5000; }));
    }
    if (reset)
      a->close_with_reset();
    else
      a->close();
    CHECK(ca.wait_closed());
    size_t got = 0;
    int end = -1; // 0 = EOF, else errno
    while (end < 0) {
      pollfd p{sb.native_handle(), POLLIN, 0};
      REQUIRE(::poll(&p, 1, 10000) == 1);
      char buf[4096];
      auto n = ::recv(sb.native_handle(), buf, sizeof buf, 0);
      if (n > 0)
        got += static_cast<size_t>(n);
      else
        end = n == 0 ? 0 : errno;
    }
    CHECK(got == 5000);
    CHECK(end == (reset ? ECONNRESET : 0));
    CHECK_FALSE(a->write(io::byte_buffer(10, 1)));
  }
  rt.stop();
}

TEST_CASE("move_to: a connection goes on on another shard, nothing lost; refused while bytes are queued") {
  io::io_runtime rt{2};
  auto& first = rt.context();
  asio::io_context* second = other_shard(rt, first);
  REQUIRE(second);
  auto [sa, sb] = connected_pair(first);
  auto a = io::stream_connection::make(std::move(sa));
  auto b = io::stream_connection::make(std::move(sb));
  collector ca, cb;
  a->start(ca.cbs());
  b->start(cb.cbs());
  io::byte_buffer expected(4u << 20);
  for (size_t j = 0; j < expected.size(); ++j)
    expected[j] = static_cast<uint8_t>((j * 13 + j / 977) & 0xff);
  auto half = expected.size() / 2;
  REQUIRE(a->write(io::byte_buffer(expected.begin(), expected.begin() + half)));
  REQUIRE(cb.wait_for(half));
  // On b's thread: move, then start the moved connection with fresh callbacks.
  std::promise<io::stream_connection_ptr> moved_p;
  auto moved_f = moved_p.get_future();
  collector cm;
  b->post([&] {
    auto m = b->move_to(*second);
    if (m)
      m->start(cm.cbs());
    moved_p.set_value(m);
  });
  REQUIRE(moved_f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto m = moved_f.get();
  REQUIRE(m);
  CHECK(b->closed());
  CHECK_FALSE(b->write(io::byte_buffer(4, 1))); // the old object is done
  REQUIRE(a->write(io::byte_buffer(expected.begin() + half, expected.end())));
  REQUIRE(cm.wait_for(expected.size() - half));
  io::byte_buffer got = cb.data;
  got.insert(got.end(), cm.data.begin(), cm.data.end());
  CHECK(got == expected);
  // It runs on the other shard now, and writes go out from there.
  std::promise<bool> where;
  m->post([&] { where.set_value(second->get_executor().running_in_this_thread()); });
  CHECK(where.get_future().get());
  REQUIRE(m->write(io::byte_buffer(1000, 7)));
  REQUIRE(ca.wait_for(1000));
  {
    std::lock_guard<std::mutex> g{cb.mtx};
    CHECK_FALSE(cb.closed); // the old callbacks were dropped, never called
  }
  m->close();
  CHECK(cm.wait_closed());
  CHECK(ca.wait_closed());

  // Bytes queued (the peer does not read): nothing moves.
  auto [sc, sd] = connected_pair(first);
  auto d = io::stream_connection::make(std::move(sd));
  collector cd;
  d->start(cd.cbs());
  for (int i = 0; i < 64 && d->queued_bytes() == 0; ++i)
    REQUIRE(d->write(io::byte_buffer(1u << 20, 3)));
  REQUIRE(d->queued_bytes() > 0);
  std::promise<bool> refused;
  d->post([&] { refused.set_value(d->move_to(*second) == nullptr); });
  CHECK(refused.get_future().get());
  CHECK_FALSE(d->closed());
  d->close();
  CHECK(cd.wait_closed());
  rt.stop();
}

TEST_CASE("move_to while the peer keeps writing: every byte arrives once, in order, small or large") {
  // A read may already have taken bytes into the connection's head when the
  // move happens (its completion not yet run): they go to the successor,
  // which reads nothing before them. Moved at a different point of the flow
  // each round, with small writes (that end in the head) and large ones.
  io::io_runtime rt{2};
  auto& first = rt.context();
  asio::io_context* second = other_shard(rt, first);
  REQUIRE(second);
  for (int round = 0; round < 40; ++round) {
    CAPTURE(round);
    auto [sa, sb] = connected_pair(first);
    auto a = io::stream_connection::make(std::move(sa));
    auto b = io::stream_connection::make(std::move(sb));
    collector ca, cb, cm;
    a->start(ca.cbs());
    b->start(cb.cbs());
    const size_t chunk = round % 2 == 0 ? 40 : 3000;
    const size_t chunks = 200;
    io::byte_buffer expected(chunk * chunks);
    for (size_t j = 0; j < expected.size(); ++j)
      expected[j] = static_cast<uint8_t>((j * 7 + j / 251 + static_cast<size_t>(round)) & 0xff);
    std::promise<io::stream_connection_ptr> moved_p;
    auto moved_f = moved_p.get_future();
    const size_t move_after = static_cast<size_t>(round * 5) % chunks;
    for (size_t k = 0; k < chunks; ++k) {
      if (k == move_after)
        b->post([&] {
          auto m = b->move_to(*second);
          if (m)
            m->start(cm.cbs());
          moved_p.set_value(m);
        });
      REQUIRE(a->write(io::byte_buffer(expected.begin() + static_cast<std::ptrdiff_t>(k * chunk),
                                        expected.begin()
                                          + static_cast<std::ptrdiff_t>((k + 1) * chunk))));
    }
    REQUIRE(moved_f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    auto m = moved_f.get();
    REQUIRE(m);
    size_t before = 0;
    {
      std::lock_guard<std::mutex> g{cb.mtx};
      before = cb.data.size(); // the old callbacks are dropped by the move
    }
    REQUIRE(cm.wait_for(expected.size() - before));
    io::byte_buffer got = cb.data;
    got.insert(got.end(), cm.data.begin(), cm.data.end());
    CHECK(got.size() == expected.size());
    CHECK(got == expected);
    m->close();
    CHECK(cm.wait_closed());
    CHECK(ca.wait_closed());
  }
  rt.stop();
}

TEST_CASE("move_to: a moved connection is not moved again before its predecessor's read reached it") {
  io::io_runtime rt{2};
  auto& first = rt.context();
  asio::io_context* second = other_shard(rt, first);
  REQUIRE(second);
  auto [sa, sb] = connected_pair(first);
  auto a = io::stream_connection::make(std::move(sa));
  auto b = io::stream_connection::make(std::move(sb));
  collector ca, cb, cm;
  a->start(ca.cbs());
  b->start(cb.cbs());
  REQUIRE(a->write(io::byte_buffer(10, 1)));
  REQUIRE(cb.wait_for(10)); // b reads: a read is pending again
  // All on b's thread, which stays busy until the end, so the pending read's
  // completion (cancelled by the move) cannot run in between.
  std::promise<bool> checked;
  b->post([&] {
    auto m = b->move_to(*second);
    if (!m) {
      checked.set_value(false);
      return;
    }
    std::promise<bool> refused;
    m->post([&] { refused.set_value(m->move_to(first) == nullptr); });
    bool r = refused.get_future().get();
    m->start(cm.cbs());
    checked.set_value(r);
  });
  CHECK(checked.get_future().get());
  // ... and once it has, the moved connection reads on, nothing lost.
  REQUIRE(a->write(io::byte_buffer(20, 2)));
  REQUIRE(cm.wait_for(20));
  CHECK(cm.data == io::byte_buffer(20, 2));
  a->close();
  CHECK(cm.wait_closed());
  rt.stop();
}
