// Transport managers in one process over loopback TCP (stcp and stcpr with a
// faked resolver), each with a fake registrar that records what it is asked:
// dial, events on both sides, registration by the responder with both
// signatures, pings both ways, removal closing both sides and deregistering,
// failures, a duplicate connection resolved as the reference does it, hostile
// connections dropped without disturbing a live transport, persistent
// transports kept up with back-off, and stopping. Every wait is on an event
// or an answer, bounded.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/transport/errors.hpp"
#include "actors/transport/manager.hpp"
#include "actors/transport/tcp_network.hpp"
#include "actors/transport/transport_link.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "runtime/system/stop_and_wait.hpp"
#include "tests/actors/transport/manager_support.hpp"
#include "tests/actors/transport/tp_support.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace skywire::transport;
using namespace std::chrono_literals;
using tp_test::identity;

namespace {

using namespace mgr_test;

/// A raw TCP client of a listener, for hostile bytes.
struct raw_client {
  int fd = -1;
  explicit raw_client(uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  }
  ~raw_client() {
    if (fd >= 0)
      ::close(fd);
  }
  void send(std::string_view s) const {
    CHECK(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()));
  }
  /// Reads until the peer closes (true) or `limit` passes (false).
  bool closed_within(std::chrono::milliseconds limit) const {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0)
        continue;
      char buf[512];
      auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0)
        return true;
    }
    return false;
  }
};

} // namespace

TEST_CASE("managers: dial, events both sides, registration, pings both ways, removal") {
  world w;
  auto a = start_node(w, "alice");
  auto b = start_node(w, "bob");
  auto up = add(w, a, b.key.pk);
  REQUIRE_MESSAGE(up, describe(up.error()));
  auto id = crypto::make_transport_id(a.key.pk, b.key.pk, "stcp");
  CHECK(up->id == id);
  CHECK(up->state == "up");
  CHECK(up->role == "initiator");
  CHECK(up->remote_pk == b.key.pk);
  auto ea = next_event(a);
  CHECK(ea.kind == "up");
  CHECK(ea.s.id == id);
  auto eb = next_event(b);
  CHECK(eb.kind == "up");
  CHECK(eb.s.role == "responder");
  CHECK(eb.s.remote_pk == a.key.pk);

  // the responder registered the entry with both signatures; the initiator nothing
  REQUIRE(b.reg->wait([](auto& r) { return r.registered.size() == 1; }));
  CHECK(a.reg->registrations() == 0);
  {
    auto se = b.reg->registered[0];
    CHECK(se.entry.id == id);
    CHECK(se.entry.type == "stcp");
    auto bin = se.entry.to_binary();
    CHECK_FALSE(crypto::verify(bin, a.key.pk, se.signature_of(a.key.pk)));
    CHECK_FALSE(crypto::verify(bin, b.key.pk, se.signature_of(b.key.pk)));
  }

  // a second request for the same pair answers the transport that is up
  auto again = add(w, a, b.key.pk);
  REQUIRE(again);
  CHECK(again->id == id);
  // the peer asking for the same transport gets it too (no second dial)
  auto from_b = add(w, b, a.key.pk);
  REQUIRE(from_b);
  CHECK(from_b->role == "responder");

  // data both ways
  auto pa = ping(w, a, id);
  REQUIRE_MESSAGE(pa, describe(pa.error()));
  auto pb = ping(w, b, id);
  REQUIRE_MESSAGE(pb, describe(pb.error()));
  auto la = list(w, a);
  auto lb = list(w, b);
  REQUIRE(la.size() == 1);
  REQUIRE(lb.size() == 1);
  // a ping and a pong each way: 16 payload bytes each
  CHECK(la[0].sent == 32);
  CHECK(la[0].recv == 32);
  CHECK(lb[0].sent == 32);
  CHECK(lb[0].recv == 32);
  CHECK(la[0].wire_out > 32);

  // the discovery query goes through the registrar
  {
    caf::scoped_actor self{w.sys};
    self->request(a.mgr, 5s, api::tp_disc_pk_atom::value, a.key.pk)
      .receive([&](std::vector<api::transport_entry>& v) { CHECK(v.empty()); },
               [&](caf::error& err) { FAIL(describe(err)); });
    self->request(b.mgr, 5s, api::tp_disc_id_atom::value, id)
      .receive(
        [&](std::vector<api::transport_entry>& v) {
          REQUIRE(v.size() == 1);
          CHECK(v[0].id == id);
        },
        [&](caf::error& err) { FAIL(describe(err)); });
  }

  // removal: closed here, the peer sees it end, both deregister
  CHECK_FALSE(remove(w, a, id));
  auto da = next_event(a);
  CHECK(da.kind == "down");
  CHECK_MESSAGE(is(da.err, transport_errc::closed), describe(da.err));
  auto db = next_event(b);
  CHECK(db.kind == "down");
  CHECK(is(db.err, transport_errc::peer_closed));
  CHECK(a.reg->wait([&](auto& r) { return r.deregistered.size() == 1; }));
  CHECK(b.reg->wait([&](auto& r) { return r.deregistered.size() == 1; }));
  CHECK(a.reg->deregistered[0] == id);
  // the records go once deregistered (no event says so: a bounded poll)
  skywire::test::eventually([&] { return list(w, a).empty() && list(w, b).empty(); }, 1s, 10ms);
  CHECK(list(w, a).empty());
  CHECK(list(w, b).empty());
  auto gone = remove(w, a, id);
  CHECK(is(gone, transport_errc::unknown_transport));

  // and again: a new transport of the same ID
  auto up2 = add(w, b, a.key.pk);
  REQUIRE_MESSAGE(up2, describe(up2.error()));
  CHECK(up2->id == id);
  CHECK(up2->role == "initiator");
}

TEST_CASE("managers: refused dials are errors with a cause, and error events") {
  world w;
  auto a = start_node(w, "alice");
  auto bob = identity("bob");
  auto r1 = add(w, a, bob.pk, "sudph");
  REQUIRE_FALSE(r1);
  CHECK(is(r1.error(), transport_errc::type_unavailable));
  CHECK(describe(r1.error()).find("enabled: stcp") != std::string::npos);
  auto r2 = add(w, a, a.key.pk);
  REQUIRE_FALSE(r2);
  CHECK(is(r2.error(), transport_errc::invalid_argument));
  // no address for bob
  auto r3 = add(w, a, bob.pk);
  REQUIRE_FALSE(r3);
  CHECK(is(r3.error(), transport_errc::unreachable));
  CHECK(next_event(a).kind == "error");
  // a stopped node's listener is gone
  {
    auto c = start_node(w, "carol");
    REQUIRE(system::stop_and_wait(c.mgr)); // its listener is stopped as it exits
    CHECK(c.net->port() == 0);
  }
  // an address where nobody listens: a port bound and held without listen()
  // (connect is refused there at once; a port merely closed could be taken by
  // another test running in parallel)
  int held = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(held >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(held, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  socklen_t sl = sizeof(sa);
  REQUIRE(::getsockname(held, reinterpret_cast<sockaddr*>(&sa), &sl) == 0);
  w.book.set(bob.pk, ntohs(sa.sin_port));
  auto r4 = add(w, a, bob.pk);
  ::close(held);
  REQUIRE_FALSE(r4);
  CHECK(is(r4.error(), transport_errc::unreachable));
  CHECK(describe(r4.error()).find("refused") != std::string::npos);
  // a listener with another key: the peer's Frame3 refusal
  auto c = start_node(w, "carol2");
  w.book.set(bob.pk, c.port);
  auto r5 = add(w, a, bob.pk);
  REQUIRE_FALSE(r5);
  CHECK(is(r5.error(), transport_errc::rejected));
  CHECK(list(w, a).empty());
}

TEST_CASE("managers: a second connection of a live transport is resolved as the reference does") {
  // Both orders of keys: the responder is once the lower, once the higher edge.
  for (auto [sa, sb] : {std::pair{"alice", "bob"}, std::pair{"bob", "alice"}}) {
    CAPTURE(sa);
    world w;
    auto a = start_node(w, sa);
    auto b = start_node(w, sb);
    auto up = add(w, a, b.key.pk);
    REQUIRE_MESSAGE(up, describe(up.error()));
    REQUIRE(next_event(a).kind == "up");
    REQUIRE(next_event(b).kind == "up");
    bool b_is_lower = b.key.pk.bytes < a.key.pk.bytes;

    // A second connection from "A" (the test holds A's key): a raw link
    caf::scoped_actor rogue{w.sys};
    transport_core::params p;
    p.role = transport_role::initiator;
    p.type = "stcp";
    p.local = a.key;
    p.remote = b.key.pk;
    p.local_port = port{60000};
    auto link = transport_link::make(std::move(p), caf::actor_cast<caf::actor>(rogue));
    REQUIRE(link);
    std::atomic<bool> connected{false};
    tcp_connect(w.io, {"127.0.0.1:" + std::to_string(b.port)}, 2s,
                [&connected, l = *link](expected<io::byte_link_ptr> c) {
                  if (!c)
                    return;
                  connected = true;
                  l->start(std::move(*c));
                });
    bool rogue_up = false, rogue_down = false;
    caf::error rogue_err;
    for (int i = 0; i < 2 && !rogue_down; ++i)
      rogue->receive([&](lk_up_atom, transport_link_ptr) { rogue_up = true; },
                     [&](lk_down_atom, transport_link_ptr, caf::error& err) {
                       rogue_down = true;
                       rogue_err = err;
                     },
                     caf::after(b_is_lower ? 5s : 1s) >> [] {});
    CHECK(connected);
    CHECK(rogue_up);
    if (b_is_lower) {
      // B keeps the old connection and closes the new one: A's transport lives on
      CHECK(rogue_down);
      CHECK(is(rogue_err, transport_errc::peer_closed));
      CHECK(next_event(a, 300ms).kind == "none");
      CHECK(ping(w, a, up->id));
    } else {
      // B closes the old connection and adopts the new one: A's own
      // transport ends, B's transport stays up on the new connection
      CHECK_FALSE(rogue_down);
      auto ea = next_event(a);
      CHECK(ea.kind == "down");
      CHECK(is(ea.err, transport_errc::peer_closed));
      auto eb = next_event(b);
      CHECK(eb.kind == "up");       // up again, on the adopted connection
      auto pb = ping(w, b, up->id); // answered by the rogue link itself
      CHECK_MESSAGE(pb, describe(pb.error()));
      (*link)->abort();
    }
  }
}

TEST_CASE("managers: hostile connections on the listener are dropped, the transport lives") {
  world w;
  node_options fast;
  fast.limits.frames = 1s; // the first phase's deadline on B
  auto a = start_node(w, "alice");
  auto b = start_node(w, "bob", fast);
  auto up = add(w, a, b.key.pk);
  REQUIRE_MESSAGE(up, describe(up.error()));
  REQUIRE(next_event(a).kind == "up");
  REQUIRE(next_event(b).kind == "up");

  raw_client garbage{b.port};
  garbage.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(garbage.closed_within(1s)); // at its first wrong byte
  raw_client truncated{b.port};
  truncated.send("get_nonce");
  raw_client slow{b.port};
  slow.send("get_n"); // and nothing more
  auto t0 = std::chrono::steady_clock::now();
  ::close(truncated.fd); // gone after Frame0
  truncated.fd = -1;
  // the live transport carries data meanwhile
  for (int i = 0; i < 5; ++i)
    CHECK(ping(w, a, up->id));
  CHECK(slow.closed_within(3s));
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 900ms); // at the deadline, not before
  for (int i = 0; i < 5; ++i)
    CHECK(ping(w, b, up->id));
  CHECK(next_event(a, 200ms).kind == "none");
  CHECK(next_event(b, 200ms).kind == "none");
  CHECK(list(w, b).size() == 1);
  CHECK(b.reg->registrations() == 1);
}

TEST_CASE("managers: persistent transports are dialed with back-off and kept up") {
  world w;
  // B's address is known, B is not there yet
  auto b_key = identity("bob");
  uint16_t b_port = 0;
  {
    auto probe = start_node(w, "probe");
    b_port = probe.port;
    REQUIRE(system::stop_and_wait(probe.mgr)); // its listener is stopped as it exits
    CHECK(probe.net->port() == 0);
  }
  w.book.set(b_key.pk, b_port);
  node_options po;
  po.persistent = {{b_key.pk, "stcp"}};
  po.backoff = {100, 2, 400};
  auto a = start_node(w, "alice", po);
  // failures at growing intervals: ~0, +100, +200, +400 ms
  std::vector<std::chrono::steady_clock::time_point> at;
  for (int i = 0; i < 4; ++i) {
    auto e = next_event(a, 3s);
    REQUIRE(e.kind == "error");
    CHECK(is(e.err, transport_errc::unreachable));
    at.push_back(std::chrono::steady_clock::now());
  }
  CHECK(at[2] - at[1] > at[1] - at[0]);
  CHECK(at[3] - at[2] >= 300ms);
  // B appears on its address: the transport comes up
  node_options bo;
  bo.listen_port = b_port;
  auto b = start_node(w, "bob", bo);
  REQUIRE(b.port == b_port);
  event e;
  do
    e = next_event(a, 3s);
  while (e.kind == "error");
  CHECK(e.kind == "up");
  CHECK(e.s.remote_pk == b.key.pk);
  // B goes away: down, then re-dialed (and failing) soon after
  caf::anon_send_exit(b.mgr, caf::exit_reason::user_shutdown);
  auto d = next_event(a, 5s);
  CHECK(d.kind == "down");
  auto again = next_event(a, 3s);
  CHECK(again.kind == "error");
}

TEST_CASE("stcpr: the listener takes the next port when its port is taken and dials by resolving") {
  world w;
  // hold a port
  int held = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(held, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  REQUIRE(::listen(held, 1) == 0);
  socklen_t len = sizeof(sa);
  ::getsockname(held, reinterpret_cast<sockaddr*>(&sa), &len);
  uint16_t taken = ntohs(sa.sin_port);
  node_options o;
  o.type = "stcpr";
  o.listen_port = taken;
  o.port_attempts = 8;
  auto b = start_node(w, "bob", o);
  CHECK(b.port > taken);
  CHECK(b.port <= taken + 7);
  node_options ao;
  ao.type = "stcpr";
  auto a = start_node(w, "alice", ao);
  auto up = add(w, a, b.key.pk, "stcpr");
  REQUIRE_MESSAGE(up, describe(up.error()));
  CHECK(up->type == "stcpr");
  CHECK(up->id == crypto::make_transport_id(a.key.pk, b.key.pk, "stcpr"));
  REQUIRE(next_event(b).kind == "up"); // the responder's side may come up a moment later
  CHECK(ping(w, b, up->id));
  ::close(held);
}

TEST_CASE("managers: stopping closes and deregisters every transport") {
  world w;
  auto a = start_node(w, "alice");
  auto b = start_node(w, "bob");
  auto up = add(w, a, b.key.pk);
  REQUIRE_MESSAGE(up, describe(up.error()));
  REQUIRE(next_event(a).kind == "up");
  REQUIRE(next_event(b).kind == "up");
  caf::scoped_actor self{w.sys};
  self->monitor(a.mgr);
  caf::anon_send_exit(a.mgr, caf::exit_reason::user_shutdown);
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; }, caf::after(5s) >> [] {});
  CHECK(down);
  CHECK(a.reg->deregistrations() == 1);
  auto eb = next_event(b);
  CHECK(eb.kind == "down");
  CHECK(b.reg->wait([](auto& r) { return r.deregistered.size() == 1; }));
}
