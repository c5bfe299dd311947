// transport_core over a real TCP connection on loopback: what is written on
// the link's own thread (a relay forwarding what it read, a route group on
// the transport's shard) is gathered and sealed into full 4070-byte frames
// that run across the writes' boundaries, sent once the handler is done; the
// peer reads the same byte stream; a write from another thread afterwards
// keeps the order; an answer written while its read is delivered leaves when
// the delivery ends.
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include <boost/asio/ip/tcp.hpp>

#include "actors/transport/transport_core.hpp"
#include "messages/wire/routing/packet.hpp"
#include "runtime/crypto/noise/session.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/io/stream_connection.hpp"
#include "tests/actors/transport/tp_support.hpp"

using namespace skywire;
using namespace skywire::transport;
using namespace tp_test;
namespace asio = boost::asio;
namespace nz = skywire::crypto::noise;
namespace wr = skywire::wire::routing;
using asio::ip::tcp;

namespace {

/// One end's callbacks, from its io thread.
struct end_state {
  std::mutex mtx;
  std::condition_variable cv;
  bool up = false;
  bool down = false;
  byte_buffer data;

  void attach(transport_core::params& p) {
    p.on_up = [this](const established&) {
      std::lock_guard<std::mutex> g{mtx};
      up = true;
      cv.notify_all();
    };
    p.on_data = [this](byte_span b) {
      std::lock_guard<std::mutex> g{mtx};
      data.insert(data.end(), b.begin(), b.end());
      cv.notify_all();
    };
    p.on_down = [this](const caf::error&) {
      std::lock_guard<std::mutex> g{mtx};
      down = true;
      cv.notify_all();
    };
  }
  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock<std::mutex> lk{mtx};
    return cv.wait_for(lk, std::chrono::seconds(10), pred);
  }
};

byte_buffer pattern(size_t n, uint8_t seed) {
  byte_buffer b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  return b;
}

/// 40 routing packets of 4096 payload bytes (what a route group's Noise
/// frame makes: 4103 bytes a packet), route ids 1..40.
constexpr size_t packets = 40;
constexpr size_t payload = 4096;

/// Writes the packets to t, header and payload as two parts each; true when
/// every write was taken.
bool write_packets(transport_core& t, const byte_buffer& body) {
  bool ok = true;
  for (size_t i = 0; i < packets; ++i) {
    auto h = wr::encode_header(wr::packet_type::data, route_id{static_cast<uint32_t>(i + 1)},
                               payload);
    const std::array<byte_span, 2> parts{byte_span{h.data(), h.size()},
                                         byte_span{body.data(), body.size()}};
    ok = ok && t.write_parts(parts) == transport_core::write_result::ok;
  }
  return ok;
}

/// The byte stream the packets make.
byte_buffer packet_stream(const byte_buffer& body) {
  byte_buffer want;
  for (size_t i = 0; i < packets; ++i) {
    auto h = wr::encode_header(wr::packet_type::data, route_id{static_cast<uint32_t>(i + 1)},
                               payload);
    want.insert(want.end(), h.begin(), h.end());
    want.insert(want.end(), body.begin(), body.end());
  }
  return want;
}

/// Full frames across the packets' boundaries: the wire carries what one
/// write of all of them would (one partial frame per flush at most), not a
/// frame pair per packet.
void check_full_frames(size_t wire, size_t stream) {
  size_t gathered = transport_core::gather_limit + wr::packet_header_size + payload;
  size_t per_flush = gathered - gathered % (wr::packet_header_size + payload);
  CHECK(wire < packets * nz::frames_size(wr::packet_header_size + payload));
  CHECK(wire <= nz::frames_size(stream) + (stream / per_flush + 1) * nz::max_frame_size);
}

} // namespace

TEST_CASE("transport link: packets written on the link's thread go out as full frames") {
  io::io_runtime rt{1};
  auto& ctx = rt.context();
  tcp::acceptor acc{ctx, tcp::endpoint{asio::ip::address_v4::loopback(), 0}};
  tcp::socket sa{ctx};
  tcp::socket sb{ctx};
  sa.connect(acc.local_endpoint());
  acc.accept(sb);
  auto la = io::stream_connection::make(std::move(sa));
  auto lb = io::stream_connection::make(std::move(sb));

  end_state ea, eb;
  transport_core::params pa;
  pa.mode = transport_mode::noise_kk;
  pa.role = transport_role::initiator;
  pa.type = "stcp";
  pa.local = identity("alice");
  pa.remote = identity("bob").pk;
  pa.local_port = port{49152};
  ea.attach(pa);
  transport_core::params pb;
  pb.mode = transport_mode::noise_kk;
  pb.role = transport_role::responder;
  pb.type = "stcp";
  pb.local = identity("bob");
  eb.attach(pb);
  auto a = transport_core::make(std::move(pa));
  auto b = transport_core::make(std::move(pb));
  REQUIRE(a);
  REQUIRE(b);
  (*b)->start(lb);
  (*a)->start(la);
  REQUIRE(ea.wait([&] { return ea.up; }));
  REQUIRE(eb.wait([&] { return eb.up; }));

  // the packets, all in one handler of alice's io thread
  auto body = pattern(payload, 3);
  auto want = packet_stream(body);
  auto wire_before = (*a)->counters().wire_out.load();
  std::mutex mtx;
  std::condition_variable cv;
  bool written = false;
  bool all_ok = true;
  size_t queued_in_handler = 0;
  la->post([&] {
    bool ok = write_packets(**a, body);
    // gathered (the part beyond gather_limit already went): counted as queued
    auto q = (*a)->queued_bytes();
    std::lock_guard<std::mutex> g{mtx};
    all_ok = ok;
    queued_in_handler = q;
    written = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lk{mtx};
    REQUIRE(cv.wait_for(lk, std::chrono::seconds(10), [&] { return written; }));
  }
  CHECK(all_ok);
  CHECK(queued_in_handler > 0);
  REQUIRE(eb.wait([&] { return eb.data.size() >= want.size(); }));
  {
    std::lock_guard<std::mutex> g{eb.mtx};
    CHECK(eb.data == want);
  }
  check_full_frames((*a)->counters().wire_out.load() - wire_before, want.size());

  // a write from this thread afterwards: sealed at once, after the rest
  auto tail = pattern(1000, 9);
  CHECK((*a)->write(byte_span{tail}) == transport_core::write_result::ok);
  want.insert(want.end(), tail.begin(), tail.end());
  REQUIRE(eb.wait([&] { return eb.data.size() >= want.size(); }));
  {
    std::lock_guard<std::mutex> g{eb.mtx};
    CHECK(eb.data == want);
  }
  CHECK((*a)->queued_bytes() == 0);

  (*a)->close();
  REQUIRE(ea.wait([&] { return ea.down; }));
  REQUIRE(eb.wait([&] { return eb.down; }));
  rt.stop();
}

namespace {

/// Two transport_cores over a loopback TCP connection on ctx, up.
struct linked_pair {
  end_state ea, eb;
  std::shared_ptr<transport_core> a, b;
};

void link_up(asio::io_context& ctx, linked_pair& lp, const char* left, const char* right,
             std::function<void(byte_span)> right_data = nullptr) {
  tcp::acceptor acc{ctx, tcp::endpoint{asio::ip::address_v4::loopback(), 0}};
  tcp::socket sa{ctx};
  tcp::socket sb{ctx};
  sa.connect(acc.local_endpoint());
  acc.accept(sb);
  transport_core::params pa;
  pa.mode = transport_mode::noise_kk;
  pa.role = transport_role::initiator;
  pa.type = "stcp";
  pa.local = identity(left);
  pa.remote = identity(right).pk;
  pa.local_port = port{49152};
  lp.ea.attach(pa);
  transport_core::params pb;
  pb.mode = transport_mode::noise_kk;
  pb.role = transport_role::responder;
  pb.type = "stcp";
  pb.local = identity(right);
  lp.eb.attach(pb);
  if (right_data)
    pb.on_data = std::move(right_data);
  auto a = transport_core::make(std::move(pa));
  auto b = transport_core::make(std::move(pb));
  REQUIRE(a);
  REQUIRE(b);
  lp.a = std::move(*a);
  lp.b = std::move(*b);
  lp.b->start(io::stream_connection::make(std::move(sb)));
  lp.a->start(io::stream_connection::make(std::move(sa)));
  REQUIRE(lp.ea.wait([&] { return lp.ea.up; }));
  REQUIRE(lp.eb.wait([&] { return lp.eb.up; }));
}

} // namespace

TEST_CASE("transport link: a relay's packets to a transport on another thread go out once the read "
          "is delivered, as full frames") {
  // in: alice -> bob on one io thread; out: carol -> dave on another. Each
  // read bob gets is forwarded to carol as routing packets from bob's thread
  // (a relay whose two transports sit on different shards).
  io::io_runtime rt_in{1};
  io::io_runtime rt_out{1};
  auto body = pattern(payload, 5);
  linked_pair out;
  link_up(rt_out.context(), out, "carol", "dave");

  std::mutex mtx;
  std::condition_variable cv;
  bool forwarded = false;
  bool all_ok = true;
  size_t queued_in_handler = 0;
  linked_pair in;
  link_up(rt_in.context(), in, "alice", "bob", [&](byte_span) {
    bool ok = write_packets(*out.a, body);
    // still gathered while the read is being delivered
    auto q = out.a->queued_bytes();
    std::lock_guard<std::mutex> g{mtx};
    all_ok = ok;
    queued_in_handler = q;
    forwarded = true;
    cv.notify_all();
  });

  auto want = packet_stream(body);
  auto wire_before = out.a->counters().wire_out.load();
  auto trigger = pattern(100, 1);
  CHECK(in.a->write(byte_span{trigger}) == transport_core::write_result::ok);
  {
    std::unique_lock<std::mutex> lk{mtx};
    REQUIRE(cv.wait_for(lk, std::chrono::seconds(10), [&] { return forwarded; }));
  }
  CHECK(all_ok);
  CHECK(queued_in_handler > 0);
  REQUIRE(out.eb.wait([&] { return out.eb.data.size() >= want.size(); }));
  {
    std::lock_guard<std::mutex> g{out.eb.mtx};
    CHECK(out.eb.data == want);
  }
  check_full_frames(out.a->counters().wire_out.load() - wire_before, want.size());
  CHECK(out.a->queued_bytes() == 0);

  // outside any delivery, a write from a foreign thread is sealed and sent at once
  auto tail = pattern(1000, 9);
  CHECK(out.a->write(byte_span{tail}) == transport_core::write_result::ok);
  want.insert(want.end(), tail.begin(), tail.end());
  REQUIRE(out.eb.wait([&] { return out.eb.data.size() >= want.size(); }));
  {
    std::lock_guard<std::mutex> g{out.eb.mtx};
    CHECK(out.eb.data == want);
  }

  in.a->close();
  out.a->close();
  REQUIRE(in.eb.wait([&] { return in.eb.down; }));
  REQUIRE(out.eb.wait([&] { return out.eb.down; }));
  rt_in.stop();
  rt_out.stop();
}

TEST_CASE("transport link: an answer written while its read is delivered leaves when the delivery "
          "ends, before the thread's next turn") {
  // bob echoes each read from his own io thread. A check posted to that
  // thread before the echo runs after the delivery: the echo must already
  // have been sealed and handed to the socket by then (a posted flush would
  // still hold it gathered: one more turn of the event loop per answer).
  io::io_runtime rt{1};
  std::mutex mtx;
  std::condition_variable cv;
  bool checked = false;
  bool echo_ok = true;
  size_t queued_at_check = 0;
  uint64_t wire_in_handler = 0, wire_at_check = 0;
  linked_pair lp;
  link_up(rt.context(), lp, "alice", "bob", [&](byte_span b) {
    auto& bob = *lp.b;
    wire_in_handler = bob.counters().wire_out.load();
    asio::post(rt.context(), [&] {
      auto q = bob.queued_bytes();
      auto w = bob.counters().wire_out.load();
      std::lock_guard<std::mutex> g{mtx};
      queued_at_check = q;
      wire_at_check = w;
      checked = true;
      cv.notify_all();
    });
    echo_ok = bob.write(b) == transport_core::write_result::ok;
  });

  auto msg = pattern(32, 4);
  CHECK(lp.a->write(byte_span{msg}) == transport_core::write_result::ok);
  {
    std::unique_lock<std::mutex> lk{mtx};
    REQUIRE(cv.wait_for(lk, std::chrono::seconds(10), [&] { return checked; }));
  }
  CHECK(echo_ok);
  CHECK(queued_at_check == 0);
  CHECK(wire_at_check == wire_in_handler + nz::frames_size(msg.size()));
  REQUIRE(lp.ea.wait([&] { return lp.ea.data.size() >= msg.size(); }));
  {
    std::lock_guard<std::mutex> g{lp.ea.mtx};
    CHECK(lp.ea.data == msg);
  }

  lp.a->close();
  REQUIRE(lp.eb.wait([&] { return lp.eb.down; }));
  rt.stop();
}
