// The dmsg client end to end on 127.0.0.1 with the real discovery and dmsg
// server actors in process: streams through one server in both directions,
// clients on different servers (one joins the other's), fast failure on an
// unbound port, recovery after a server restart.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <chrono>
#include <future>
#include <thread>

#include <boost/asio/post.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dmsg/client.hpp"
#include "actors/dmsg/discovery_client.hpp"
#include "actors/dmsg/errors.hpp"
#include "actors/dmsg/session.hpp"
#include "actors/services/dmsg_discovery.hpp"
#include "actors/services/dmsg_server.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/support/dmsg_net.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace svc = skywire::services;
namespace api = skywire::api;

using namespace skywire::test::dmsg_net;

namespace {

void echo_roundtrip(caf::scoped_actor& self, const api::stream_opened& s, size_t total) {
  std::vector<uint8_t> sent(total);
  for (size_t i = 0; i < total; ++i)
    sent[i] = static_cast<uint8_t>(i * 131 + (i >> 9));
  std::vector<uint8_t> got;
  got.reserve(total);
  size_t off = 0;
  uint64_t unacked = 0;
  const size_t chunk = 32 * 1024;
  const uint64_t max_inflight = 512 * 1024;
  bool failed = false;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while ((got.size() < total) && !failed && std::chrono::steady_clock::now() < deadline) {
    while (off < total && unacked < max_inflight) {
      auto n = std::min(chunk, total - off);
      self->send(s.stream, api::write_atom::value,
                 api::byte_buffer(sent.begin() + off, sent.begin() + off + n));
      off += n;
      unacked += n;
    }
    self->receive(
      [&](api::data_atom, api::byte_buffer& b) {
        got.insert(got.end(), b.begin(), b.end());
        self->send(s.stream, api::consumed_atom::value, static_cast<uint32_t>(b.size()));
      },
      [&](api::ack_atom, uint64_t n) { unacked -= std::min(unacked, n); },
      [&](api::closed_atom, caf::error& err) {
        FAIL("stream closed: " << describe(err));
        failed = true;
      },
      caf::after(5s) >> [&] { failed = true; });
  }
  REQUIRE_FALSE(failed);
  REQUIRE(got.size() == total);
  CHECK(got == sent);
}

void close_client(caf::actor_system& sys, const api::dmsg_client_actor& c) {
  caf::scoped_actor self{sys};
  self->request(c, 5s, api::close_atom::value).receive([](api::ok_atom) {}, [](caf::error&) {});
}

} // namespace

TEST_CASE("two clients through one server, both directions, data intact") {
  net n;
  auto& s = n.server("cli-test-s1");
  n.wait_server_registered(1);
  auto a = n.client(n.client_cfg("cli-test-a"));
  auto b = n.client(n.client_cfg("cli-test-b"));
  auto ea = n.spawn(echo);
  auto eb = n.spawn(echo);
  listen(n.sys, b, 45, eb);
  listen(n.sys, a, 46, ea);

  auto ia = info(n.sys, a);
  REQUIRE(ia.sessions.size() == 1);
  CHECK(ia.sessions[0].server == kp("cli-test-s1").pk);
  CHECK(ia.sessions[0].state == "up");
  CHECK(ia.sessions[0].server_address == "127.0.0.1:" + std::to_string(s.port));
  CHECK(info(n.sys, b).listening_ports == std::vector<uint16_t>{45});

  caf::scoped_actor self{n.sys};
  auto ab = dial_retry(self, a, address{kp("cli-test-b").pk, port{45}});
  REQUIRE_MESSAGE(ab, describe(ab.error()));
  CHECK(ab->remote.pk == kp("cli-test-b").pk);
  CHECK(ab->local.prt.value >= 49152);
  echo_roundtrip(self, *ab, 3 * 1024 * 1024 + 17); // beyond the 256 KiB windows

  auto ba = dial_retry(self, b, address{kp("cli-test-a").pk, port{46}});
  REQUIRE_MESSAGE(ba, describe(ba.error()));
  echo_roundtrip(self, *ba, 100'000);

  // A clean close reaches the echo side; the dialer's stream ends.
  self->send(ab->stream, api::close_atom::value);
  self->send(ba->stream, api::close_atom::value);
  close_client(n.sys, a);
  close_client(n.sys, b);
  caf::anon_send_exit(ea, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(eb, caf::exit_reason::user_shutdown);
}

TEST_CASE("dial to an unbound port fails fast with 306, unknown key with 100") {
  net n;
  n.server("cli-test-s1");
  n.wait_server_registered(1);
  auto a = n.client(n.client_cfg("cli-test-a"));
  auto b = n.client(n.client_cfg("cli-test-b"));
  caf::scoped_actor self{n.sys};
  auto t0 = std::chrono::steady_clock::now();
  auto r = dial(self, a, address{kp("cli-test-b").pk, port{77}});
  auto dt = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(r);
  CHECK_MESSAGE(dmsg::is(r.error(), dmsg::dmsg_errc::req_no_listener), describe(r.error()));
  CHECK(dt < 5s); // the reference waits 20 s for a timeout
  auto u = dial(self, a, address{kp("nobody").pk, port{80}});
  REQUIRE_FALSE(u);
  CHECK_MESSAGE(dmsg::is(u.error(), dmsg::dmsg_errc::entry_not_found), describe(u.error()));
  auto z = dial(self, a, address{kp("cli-test-b").pk, port{0}});
  CHECK_FALSE(z);
  close_client(n.sys, a);
  close_client(n.sys, b);
}

TEST_CASE("a dial the remote never answers ends at the stream handshake deadline") {
  // B's only io thread is held: the request reaches B's socket and is never
  // answered. A's stream must fail with a timeout at its deadline (swept by
  // the session actor), and A stays usable afterwards.
  io::io_runtime io_b{1}; // outlives n (sys waits for B's actors first)
  net n;
  n.server("cli-test-s1");
  n.wait_server_registered(1);
  auto ca = n.client_cfg("cli-test-a");
  ca.stream_handshake_timeout = 300ms;
  auto a = n.client(ca);
  auto b = dmsg::spawn_dmsg_client(n.sys, io_b, n.client_cfg("cli-test-b"));
  n.actors.push_back(caf::actor_cast<caf::actor>(b));
  n.wait_ready(b);
  auto eb = n.spawn(echo);
  listen(n.sys, b, 45, eb);
  caf::scoped_actor self{n.sys};
  // The path works while B's io thread runs.
  auto ok = dial_retry(self, a, address{kp("cli-test-b").pk, port{45}});
  REQUIRE_MESSAGE(ok, describe(ok.error()));
  self->send(ok->stream, api::close_atom::value);

  std::promise<void> gate;
  auto opened = gate.get_future().share();
  std::promise<void> holding;
  boost::asio::post(io_b.next_context(), [opened, &holding] {
    holding.set_value();
    opened.wait();
  });
  holding.get_future().wait();
  auto t0 = std::chrono::steady_clock::now();
  auto r = dial(self, a, address{kp("cli-test-b").pk, port{45}});
  auto dt = std::chrono::steady_clock::now() - t0;
  gate.set_value();
  REQUIRE_FALSE(r);
  CHECK_MESSAGE(dmsg::is(r.error(), dmsg::client_errc::timeout), describe(r.error()));
  CHECK(dt >= 300ms);
  CHECK(dt < 2s);
  // Once B runs again, a new dial succeeds.
  auto again = dial_retry(self, a, address{kp("cli-test-b").pk, port{45}});
  CHECK_MESSAGE(again, describe(again.error()));
  if (again)
    self->send(again->stream, api::close_atom::value);
  close_client(n.sys, a);
  close_client(n.sys, b);
  caf::anon_send_exit(eb, caf::exit_reason::user_shutdown);
}

TEST_CASE("A on S1, B on S2: A joins S2 to reach B") {
  net n;
  auto s1 = n.server("cli-test-s1"); // copies: the vector may reallocate
  auto s2 = n.server("cli-test-s2");
  n.wait_server_registered(2);
  auto entry_of = [](std::string_view seed, uint16_t p) {
    dmsg::entry e;
    e.version = "0.0.1";
    e.static_pk = kp(seed).pk;
    e.server = wire::dmsg::server_part{"127.0.0.1:" + std::to_string(p), 10, {}};
    return e;
  };
  auto ca = n.client_cfg("cli-test-a");
  ca.servers = {entry_of("cli-test-s1", s1.port)};
  auto cb = n.client_cfg("cli-test-b");
  cb.servers = {entry_of("cli-test-s2", s2.port)};
  auto a = n.client(ca);
  auto b = n.client(cb);
  auto eb = n.spawn(echo);
  listen(n.sys, b, 45, eb);
  REQUIRE(info(n.sys, a).sessions.size() == 1);

  caf::scoped_actor self{n.sys};
  auto ab = dial_retry(self, a, address{kp("cli-test-b").pk, port{45}});
  REQUIRE_MESSAGE(ab, describe(ab.error()));
  echo_roundtrip(self, *ab, 200'000);
  auto ia = info(n.sys, a);
  CHECK(ia.sessions.size() == 2); // joined S2
  self->send(ab->stream, api::close_atom::value);
  close_client(n.sys, a);
  close_client(n.sys, b);
  caf::anon_send_exit(eb, caf::exit_reason::user_shutdown);
}

TEST_CASE("a client recovers after its server restarts") {
  net n;
  auto& s = n.server("cli-test-s1");
  auto port_no = s.port;
  n.wait_server_registered(1);
  auto a = n.client(n.client_cfg("cli-test-a"));
  auto b = n.client(n.client_cfg("cli-test-b"));
  auto eb = n.spawn(echo);
  listen(n.sys, b, 45, eb);
  caf::scoped_actor self{n.sys};
  {
    auto ab = dial_retry(self, a, address{kp("cli-test-b").pk, port{45}});
    REQUIRE_MESSAGE(ab, describe(ab.error()));
    echo_roundtrip(self, *ab, 10'000);
    n.servers.front().stop();
    n.servers.clear();
    // The open stream learns that its session is gone.
    bool closed = false;
    self->receive([&](api::closed_atom, caf::error&) { closed = true; },
                  caf::after(5s) >> [] {});
    CHECK(closed);
  }
  n.server("cli-test-s1", port_no);
  // Both clients reconnect (back-off 100 ms .. 500 ms) and re-register
  // (their sessions' states: a bounded poll of the clients' info).
  REQUIRE(skywire::test::eventually(
    [&] {
      auto ia = info(n.sys, a);
      auto ib = info(n.sys, b);
      return ia.sessions.size() == 1 && ia.sessions[0].state == "up"
             && ib.sessions.size() == 1 && ib.sessions[0].state == "up";
    },
    10s, 100ms));
  auto ab = dial_retry(self, a, address{kp("cli-test-b").pk, port{45}});
  REQUIRE_MESSAGE(ab, describe(ab.error()));
  echo_roundtrip(self, *ab, 50'000);
  self->send(ab->stream, api::close_atom::value);
  close_client(n.sys, a);
  close_client(n.sys, b);
  caf::anon_send_exit(eb, caf::exit_reason::user_shutdown);
}

TEST_CASE("30 opens, 500 small echoes in order, 64 MiB one way counted by the receiver") {
  net n;
  n.server("cli-test-s1");
  n.wait_server_registered(1);
  auto a = n.client(n.client_cfg("cli-test-a"));
  auto b = n.client(n.client_cfg("cli-test-b"));
  auto eb = n.spawn(echo);
  listen(n.sys, b, 45, eb);
  caf::scoped_actor self{n.sys};
  for (int i = 0; i < 30; ++i) {
    auto s = dial(self, a, address{kp("cli-test-b").pk, port{45}});
    REQUIRE_MESSAGE(s, describe(s.error()));
    self->send(s->stream, api::close_atom::value);
  }
  CHECK(info(n.sys, b).sessions.size() == 1);
  auto s = dial(self, a, address{kp("cli-test-b").pk, port{45}});
  REQUIRE(s);
  // Each 32-byte message carries its number; the echo must return them whole
  // and in order (a message may arrive split or merged with the next).
  std::vector<uint8_t> expected, got;
  for (uint32_t i = 0; i < 500; ++i) {
    api::byte_buffer msg(32, 0x5a);
    std::memcpy(msg.data(), &i, sizeof(i));
    expected.insert(expected.end(), msg.begin(), msg.end());
    self->send(s->stream, api::write_atom::value, msg);
    bool failed = false;
    while (got.size() < expected.size() && !failed) {
      self->receive(
        [&](api::data_atom, api::byte_buffer& buf) {
          got.insert(got.end(), buf.begin(), buf.end());
          self->send(s->stream, api::consumed_atom::value, static_cast<uint32_t>(buf.size()));
        },
        [&](api::ack_atom, uint64_t) {},
        [&](api::closed_atom, caf::error&) {
          // Closings of the 30 streams above arrive here too; only this
          // stream's counts.
          if (self->current_sender() == s->stream.address())
            failed = true;
        },
        caf::after(5s) >> [&] { failed = true; });
    }
    REQUIRE_MESSAGE(!failed, "echo " << i << " did not come back");
  }
  CHECK(got == expected);
  // 64 MiB one way A -> B; B's owner counts and consumes every byte, and
  // says when the last one is in.
  const size_t total = 64u << 20, chunk = 64 * 1024;
  auto received = std::make_shared<std::atomic<uint64_t>>(0);
  auto all_in = std::make_shared<std::promise<void>>();
  auto all_in_done = all_in->get_future();
  auto sink = n.spawn([received, all_in, total](caf::event_based_actor* self2) -> caf::behavior {
    return {
      [=](api::accept_atom, api::stream_opened& s) {
        self2->send(s.stream, api::set_owner_atom::value, caf::actor_cast<caf::actor>(self2));
      },
      [=](api::data_atom, api::byte_buffer& b) {
        if (received->fetch_add(b.size()) + b.size() == total)
          all_in->set_value();
        self2->send(caf::actor_cast<caf::actor>(self2->current_sender()),
                    api::consumed_atom::value, static_cast<uint32_t>(b.size()));
      },
      [=](api::closed_atom, caf::error&) {},
    };
  });
  listen(n.sys, b, 47, sink);
  auto t = dial(self, a, address{kp("cli-test-b").pk, port{47}});
  REQUIRE(t);
  api::byte_buffer blk(chunk, 0xab);
  size_t sent = 0;
  uint64_t acked = 0;
  while (acked < total) {
    while (sent < total && sent - acked < 1024 * 1024) {
      self->send(t->stream, api::write_atom::value, blk);
      sent += chunk;
    }
    bool stop = false;
    self->receive([&](api::ack_atom, uint64_t k) { acked += k; },
                  [&](api::closed_atom, caf::error&) { stop = true; },
                  caf::after(5s) >> [&] { stop = true; });
    if (stop)
      break;
  }
  CHECK(acked == total);
  CHECK(all_in_done.wait_for(5s) == std::future_status::ready);
  CHECK(received->load() == total);
  self->send(t->stream, api::close_atom::value);
  self->send(s->stream, api::close_atom::value);
  close_client(n.sys, a);
  close_client(n.sys, b);
  caf::anon_send_exit(eb, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
}

TEST_CASE("a dmsg session is a typed link: up, stats, down on close, error when unreachable") {
  net n;
  auto& s = n.server("cli-test-link-s");
  caf::scoped_actor owner{n.sys};
  auto k = kp("cli-test-link-c");
  auto shared = std::make_shared<dmsg::client_shared>();
  shared->pk = k.pk;
  shared->sk = k.sk;
  auto params = [&](std::string address) {
    dmsg::session_params p;
    p.client = shared;
    p.client_actor = caf::actor_cast<api::link_owner_actor>(owner);
    p.io = &n.io;
    p.server = kp("cli-test-link-s").pk;
    p.address = std::move(address);
    p.handshake_timeout = 5s;
    return p;
  };

  // The public handle: open/close/stats (api::dmsg_session_actor).
  api::dmsg_session_actor link =
    n.sys.spawn<dmsg::session_actor>(params("127.0.0.1:" + std::to_string(s.port)));
  bool up = false;
  owner->receive([&](api::link_up_atom, public_key pk) { up = pk == kp("cli-test-link-s").pk; },
                 [&](api::link_error_atom, public_key, caf::error& err) {
                   FAIL("link error: " << describe(err));
                 },
                 caf::after(10s) >> [] { FAIL("no link_up"); });
  CHECK(up);
  owner->request(link, 5s, api::link_stats_atom::value)
    .receive(
      [&](const api::link_stats& st) {
        CHECK(st.peer == kp("cli-test-link-s").pk);
        CHECK(st.state == "up");
        CHECK(st.address == "127.0.0.1:" + std::to_string(s.port));
        CHECK(st.bytes_out > 0); // the XK handshake
      },
      [&](caf::error& err) { FAIL("stats: " << describe(err)); });
  owner->send(link, api::close_atom::value);
  bool down = false;
  owner->receive([&](api::link_down_atom, public_key, caf::error&) { down = true; },
                 caf::after(10s) >> [] { FAIL("no link_down"); });
  CHECK(down);

  // Nothing listens there: the link never comes up and says so.
  auto dead = n.sys.spawn<dmsg::session_actor>(params("127.0.0.1:1"));
  bool error = false;
  owner->receive([&](api::link_error_atom, public_key, caf::error& err) { error = bool{err}; },
                 [&](api::link_up_atom, public_key) { FAIL("up on a closed port"); },
                 caf::after(10s) >> [] { FAIL("no link_error"); });
  CHECK(error);
  owner->wait_for(dead);
}
