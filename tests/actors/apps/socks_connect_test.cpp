// skysocks-client's early CONNECT reply (actors/apps/socks_connect.hpp):
// which requests count, what is learned from the server's reply (whole or
// split, IPv4, IPv6 and name replies), when the client answers by itself,
// how the server's success is dropped with the target's bytes behind it
// kept, the reset when the server fails a request answered early, the age
// and count bounds, and the greeting tap's hand-over (taken, method()).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "actors/apps/socks_connect.hpp"
#include "actors/apps/socks_greeting.hpp"

using skywire::apps::connect_cache;
using skywire::apps::connect_tap;
using skywire::apps::greeting_cache;
using skywire::apps::greeting_tap;
using bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;

namespace {

const auto t0 = connect_cache::clock::time_point{} + 1h;

bytes v4_request(uint16_t port) {
  return {5, 1, 0, 1, 127, 0, 0, 1, static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port)};
}

bytes name_request(const std::string& host, uint16_t port) {
  bytes b(4 + 1 + host.size() + 2);
  b[0] = 5;
  b[1] = 1;
  b[3] = 3;
  b[4] = static_cast<uint8_t>(host.size());
  for (size_t i = 0; i < host.size(); ++i)
    b[5 + i] = static_cast<uint8_t>(host[i]);
  b[5 + host.size()] = static_cast<uint8_t>(port >> 8);
  b[6 + host.size()] = static_cast<uint8_t>(port);
  return b;
}

const bytes ok_v4{5, 0, 0, 1, 127, 0, 0, 1, 0xC3, 0x51};             // bound 127.0.0.1:50001
const bytes refused_v4{5, 5, 0, 1, 0, 0, 0, 0, 0, 0};
const bytes ok_v6{5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xC3, 0x52};

bytes cat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// One connection that goes the long way: the server's reply passes and a
/// success is learned.
void long_way(connect_cache& cache, const bytes& request, const bytes& reply,
              connect_cache::clock::time_point now = t0) {
  connect_tap tap;
  CHECK_FALSE(tap.from_client(request, uint8_t{0}, cache, now));
  auto o = tap.from_server(reply, cache, now);
  CHECK(o.drop == 0);
  CHECK_FALSE(o.mismatch);
  CHECK_FALSE(tap.active());
}

/// A cache that learned `request` the long way, and a connection whose same
/// request it answered early.
struct answered {
  connect_cache cache;
  bytes request;
  connect_tap tap;
  explicit answered(bytes r) : request(std::move(r)) {
    long_way(cache, request, ok_v4);
    REQUIRE(tap.from_client(request, uint8_t{0}, cache, t0));
  }
};

} // namespace

TEST_CASE("socks connect: only a whole lone CONNECT counts") {
  CHECK(connect_cache::is_connect(v4_request(80)));
  CHECK(connect_cache::is_connect(name_request("example.org", 443)));
  bytes v6{5, 1, 0, 4};
  v6.resize(4 + 16 + 2, 1);
  CHECK(connect_cache::is_connect(v6));
  auto r = v4_request(80);
  CHECK_FALSE(connect_cache::is_connect(bytes(r.begin(), r.end() - 1)));          // cut short
  CHECK_FALSE(connect_cache::is_connect(cat(r, {'G', 'E', 'T'})));                // data after it
  CHECK_FALSE(connect_cache::is_connect(bytes{4, 1, 0, 1, 127, 0, 0, 1, 0, 80})); // SOCKS4
  CHECK_FALSE(connect_cache::is_connect(bytes{5, 2, 0, 1, 127, 0, 0, 1, 0, 80})); // BIND
  CHECK_FALSE(connect_cache::is_connect(bytes{5, 3, 0, 1, 127, 0, 0, 1, 0, 80})); // UDP ASSOCIATE
  CHECK_FALSE(connect_cache::is_connect(bytes{5, 1, 1, 1, 127, 0, 0, 1, 0, 80})); // RSV not 0
  CHECK_FALSE(connect_cache::is_connect(bytes{5, 1, 0, 2, 127, 0, 0, 1, 0, 80})); // no such type
  CHECK_FALSE(connect_cache::is_connect(bytes{5, 1, 0, 3, 0, 0, 80}));            // empty name
  CHECK_FALSE(connect_cache::is_connect(bytes{}));
  // what a success is: one whole reply with code 0
  CHECK(connect_cache::is_success(ok_v4));
  CHECK(connect_cache::is_success(ok_v6));
  CHECK_FALSE(connect_cache::is_success(refused_v4));
  CHECK_FALSE(connect_cache::is_success(bytes(ok_v4.begin(), ok_v4.end() - 1)));
  CHECK_FALSE(connect_cache::is_success(cat(ok_v4, {0})));
  CHECK_FALSE(connect_cache::is_success(bytes{5, 0, 1, 1, 127, 0, 0, 1, 0, 80})); // RSV
  CHECK_FALSE(connect_cache::is_success(bytes{5, 0, 0, 7, 0, 0, 0, 0, 0, 0}));    // no such type
}

TEST_CASE("socks connect: the first connection goes the long way, the next ones are answered at once") {
  connect_cache cache;
  auto req = v4_request(8080);
  long_way(cache, req, ok_v4);
  CHECK(cache.size() == 1);
  for (int i = 0; i < 3; ++i) {
    connect_tap tap;
    auto a = tap.from_client(req, uint8_t{0}, cache, t0 + 10s);
    REQUIRE(a);
    CHECK(*a == ok_v4); // the server's last answer, its bound address too
    CHECK(tap.answered_locally());
    // the server's success (another bound port) and the target's first bytes in one piece
    bytes fresh = ok_v4;
    fresh[9] = static_cast<uint8_t>(0x60 + i);
    auto o = tap.from_server(cat(fresh, {'H', 'T', 'T', 'P'}), cache, t0 + 10s);
    CHECK_FALSE(o.mismatch);
    CHECK(o.drop == ok_v4.size()); // the reply goes, the target's bytes stay
    CHECK_FALSE(tap.active());
    // later pieces are not looked at
    CHECK(tap.from_server(bytes{5, 5, 0, 1}, cache, t0 + 10s).drop == 0);
  }
  // another port of the same host is another target
  connect_tap other;
  CHECK_FALSE(other.from_client(v4_request(8081), uint8_t{0}, cache, t0));
  CHECK(other.active());
}

TEST_CASE("socks connect: a reply split over pieces is learned and dropped byte by byte") {
  connect_cache cache;
  auto req = name_request("localhost", 80);
  bytes name_reply{5, 0, 0, 3, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', 0x1F, 0x90};
  {
    connect_tap tap;
    CHECK_FALSE(tap.from_client(req, uint8_t{0}, cache, t0));
    for (auto b : name_reply) {
      auto o = tap.from_server(bytes{b}, cache, t0);
      CHECK(o.drop == 0);
      CHECK_FALSE(o.mismatch);
    }
    CHECK_FALSE(tap.active());
  }
  REQUIRE(cache.lookup(req, t0));
  CHECK(*cache.lookup(req, t0) == name_reply);
  connect_tap tap;
  REQUIRE(tap.from_client(req, uint8_t{0}, cache, t0));
  size_t dropped = 0;
  for (auto b : name_reply) {
    auto o = tap.from_server(bytes{b}, cache, t0);
    CHECK_FALSE(o.mismatch);
    dropped += o.drop;
  }
  CHECK(dropped == name_reply.size());
  CHECK_FALSE(tap.active());
  // an IPv6 reply is learned whole too
  auto req6 = v4_request(9000);
  long_way(cache, req6, ok_v6);
  CHECK(*cache.lookup(req6, t0) == ok_v6);
}

TEST_CASE("socks connect: a failure after an early answer resets the connection and is forgotten") {
  answered a{v4_request(8080)};
  auto& [cache, req, tap] = a;
  auto o = tap.from_server(bytes{5}, cache, t0); // the version alone says nothing yet
  CHECK_FALSE(o.mismatch);
  CHECK(o.drop == 1);
  o = tap.from_server(bytes(refused_v4.begin() + 1, refused_v4.end()), cache, t0);
  CHECK(o.mismatch);
  CHECK_FALSE(tap.active());
  CHECK(cache.size() == 0);
  // the next connection goes the long way and its application gets reply 5
  connect_tap next;
  CHECK_FALSE(next.from_client(req, uint8_t{0}, cache, t0));
  CHECK(next.from_server(refused_v4, cache, t0).drop == 0);
  CHECK(cache.size() == 0); // failures are not learned
  // a reply of an unknown type after an early answer is a failure too
  long_way(cache, req, ok_v4);
  connect_tap odd;
  REQUIRE(odd.from_client(req, uint8_t{0}, cache, t0));
  CHECK(odd.from_server(bytes{5, 0, 0, 9, 1, 2, 3}, cache, t0).mismatch);
  CHECK(cache.size() == 0);
}

TEST_CASE("socks connect: a stream that ends before the reply to an early answer is a reset, and forgets") {
  answered a{v4_request(8080)};
  auto& [cache, req, tap] = a;
  CHECK(tap.from_server(bytes{5, 0, 0}, cache, t0).drop == 3); // part of the reply, then the end
  CHECK(tap.stream_ended(cache));
  CHECK_FALSE(tap.active());
  CHECK(cache.size() == 0);
  // the long way, or a reply seen whole: the end is the target's
  long_way(cache, req, ok_v4);
  connect_tap whole;
  REQUIRE(whole.from_client(req, uint8_t{0}, cache, t0));
  whole.from_server(ok_v4, cache, t0);
  CHECK_FALSE(whole.stream_ended(cache));
  connect_tap watching;
  CHECK_FALSE(watching.from_client(v4_request(9), uint8_t{0}, cache, t0));
  CHECK_FALSE(watching.stream_ended(cache));
  CHECK(cache.size() == 1);
  // a success whose reserved byte is not 0 is not one
  connect_tap odd;
  REQUIRE(odd.from_client(req, uint8_t{0}, cache, t0));
  CHECK(odd.from_server(bytes{5, 0, 1, 1}, cache, t0).mismatch);
}

TEST_CASE("socks connect: not after authentication, not before the method is known, not after a minute") {
  connect_cache cache;
  auto req = v4_request(8080);
  long_way(cache, req, ok_v4);
  connect_tap auth;
  CHECK_FALSE(auth.from_client(req, uint8_t{2}, cache, t0)); // username/password comes first
  CHECK_FALSE(auth.active());
  connect_tap unknown;
  CHECK_FALSE(unknown.from_client(req, std::nullopt, cache, t0));
  CHECK_FALSE(unknown.active());
  connect_tap pipelined; // a request with data behind it goes the long way, unlearned
  CHECK_FALSE(pipelined.from_client(cat(req, {'G'}), uint8_t{0}, cache, t0));
  CHECK_FALSE(pipelined.active());
  connect_tap late;
  CHECK(late.from_client(req, uint8_t{0}, cache, t0 + connect_cache::max_age));
  connect_tap stale;
  CHECK_FALSE(stale.from_client(req, uint8_t{0}, cache, t0 + connect_cache::max_age + 1ms));
  CHECK(stale.active()); // the long way, and the answer learned afresh
  stale.from_server(ok_v4, cache, t0 + 2min);
  CHECK(cache.lookup(req, t0 + 2min + 30s));
  // the server speaking before any request: nothing to follow
  connect_tap early;
  CHECK(early.from_server(ok_v4, cache, t0).drop == 0);
  CHECK_FALSE(early.active());
}

TEST_CASE("socks connect: at most 64 targets, the oldest goes first") {
  connect_cache cache;
  for (uint16_t p = 1; p <= connect_cache::max_entries + 1; ++p)
    long_way(cache, v4_request(p), ok_v4);
  CHECK(cache.size() == connect_cache::max_entries);
  CHECK_FALSE(cache.lookup(v4_request(1), t0));
  CHECK(cache.lookup(v4_request(2), t0));
  CHECK(cache.lookup(v4_request(connect_cache::max_entries + 1), t0));
}

TEST_CASE("socks greeting tap: what it took of the server's bytes and the method it saw") {
  greeting_cache greetings;
  const bytes no_auth{5, 1, 0};
  {
    greeting_tap tap; // the long way: the answer passes, then the CONNECT's reply follows it
    CHECK_FALSE(tap.first_from_client(no_auth, greetings));
    CHECK_FALSE(tap.method());
    auto o = tap.from_server(cat({5, 0}, ok_v4), greetings);
    CHECK(o.taken == 2);
    CHECK(o.drop == 0);
    CHECK(tap.done());
    REQUIRE(tap.method());
    CHECK(*tap.method() == 0);
  }
  greeting_tap tap; // answered here: the method is known at once, the echo dropped
  REQUIRE(tap.first_from_client(no_auth, greetings));
  REQUIRE(tap.method());
  CHECK(*tap.method() == 0);
  auto o = tap.from_server(bytes{5}, greetings);
  CHECK(o.taken == 1);
  CHECK(o.drop == 1);
  o = tap.from_server(cat({0}, ok_v4), greetings);
  CHECK(o.taken == 1);
  CHECK(o.drop == 1);
  CHECK(tap.done());
  greeting_tap other; // not a greeting: no method, nothing taken
  CHECK_FALSE(other.first_from_client(v4_request(80), greetings));
  CHECK_FALSE(other.method());
  CHECK(other.from_server(ok_v4, greetings).taken == 0);
}
