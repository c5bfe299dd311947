// Admission control (runtime/io/admission.hpp): deterministic, no sockets.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/io/admission.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

asio::ip::address ip(const char* s) {
  return asio::ip::make_address(s);
}

io::admission_config small() {
  io::admission_config c;
  c.max_pending = 8;
  c.max_pending_per_ip = 2;
  c.max_pending_per_prefix = 4;
  c.deadline = 4000ms;
  c.min_deadline = 1000ms;
  return c;
}

} // namespace

TEST_CASE("admission: per-address bound evicts that address's oldest, others untouched") {
  auto a = io::admission::make(small());
  std::vector<std::string> evicted;
  auto admit = [&](const char* from, std::string name) {
    return a->admit(ip(from), [&evicted, name] { evicted.push_back(name); });
  };
  auto x1 = admit("10.0.0.1", "x1");
  auto y1 = admit("10.0.1.1", "y1");
  auto x2 = admit("10.0.0.1", "x2");
  REQUIRE(x1.ticket);
  REQUIRE(x2.ticket);
  auto x3 = admit("10.0.0.1", "x3");
  REQUIRE(x3.ticket);
  CHECK(evicted == std::vector<std::string>{"x1"});
  CHECK(x1.ticket->evicted());
  CHECK(!y1.ticket->evicted());
  CHECK(a->pending() == 3);
  CHECK(a->counter(io::refusal::evicted) == 1);
  // busy connections are never evicted: with both busy, the newcomer is refused
  x2.ticket->busy();
  x3.ticket->busy();
  auto x4 = admit("10.0.0.1", "x4");
  CHECK(!x4.ticket);
  CHECK(x4.why == io::refusal::per_ip);
  CHECK(a->counter(io::refusal::per_ip) == 1);
  // released slots are free again
  x2.ticket->release();
  CHECK(admit("10.0.0.1", "x5").ticket);
}

TEST_CASE("admission: a full budget evicts from the heaviest prefix and address, never a light one") {
  auto a = io::admission::make(small());
  std::vector<std::string> evicted;
  std::vector<io::admission_ticket_ptr> keep;
  auto admit = [&](const char* from, std::string name) {
    auto d = a->admit(ip(from), [&evicted, name] { evicted.push_back(name); });
    if (d.ticket)
      keep.push_back(d.ticket);
    return d;
  };
  // the honest one first: the oldest of all
  REQUIRE(admit("127.0.0.1", "honest").ticket);
  // a flood: 127.1.1.0/24 x4 (its bound), 127.1.2.0/24 x3
  for (auto from : {"127.1.1.1", "127.1.1.1", "127.1.1.2", "127.1.1.3"})
    REQUIRE(admit(from, std::string{"a-"} + from).ticket);
  for (auto from : {"127.1.2.1", "127.1.2.1", "127.1.2.2"})
    REQUIRE(admit(from, std::string{"b-"} + from).ticket);
  CHECK(a->pending() == 8);
  CHECK(evicted.empty());
  // a 5th from 127.1.1.0/24: its prefix is at its bound: its heaviest address gives way
  REQUIRE(admit("127.1.1.9", "a9").ticket);
  REQUIRE(evicted.size() == 1);
  CHECK(evicted[0] == "a-127.1.1.1");
  // budget full: a newcomer from a fresh prefix pushes out the heaviest
  // prefix's heaviest address (5 newcomers bring both flood prefixes down to
  // one connection each: a sixth would find every prefix equal and push out
  // the oldest of all)
  for (int i = 0; i < 5; ++i)
    REQUIRE(admit(("127.9." + std::to_string(i) + ".1").c_str(), "new").ticket);
  CHECK(a->pending() == 8);
  for (auto& e : evicted)
    CHECK(e != "honest");
  CHECK(a->counter(io::refusal::evicted) == evicted.size());
}

TEST_CASE("admission: the deadline shrinks with the pressure") {
  auto a = io::admission::make(small());
  CHECK(a->current_deadline() == 4000ms);
  std::vector<io::admission_ticket_ptr> keep;
  for (int i = 0; i < 4; ++i)
    keep.push_back(a->admit(ip(("10." + std::to_string(i) + ".0.1").c_str()), {}).ticket);
  CHECK(a->current_deadline() == 4000ms); // half full
  for (int i = 4; i < 8; ++i)
    keep.push_back(a->admit(ip(("10." + std::to_string(i) + ".0.1").c_str()), {}).ticket);
  CHECK(a->current_deadline() == 1000ms); // full
  keep.resize(6);
  CHECK(a->current_deadline() == 2500ms);
}

TEST_CASE("admission: source keys: v4, v4-mapped v6 and v6 /64") {
  auto a = io::admission::make(small());
  CHECK(a->address_key(ip("127.0.0.1")) == a->address_key(ip("::ffff:127.0.0.1")));
  CHECK(a->prefix_key(ip("127.0.0.1")) == a->prefix_key(ip("127.0.0.200")));
  CHECK(a->prefix_key(ip("127.0.0.1")) != a->prefix_key(ip("127.0.1.1")));
  CHECK(a->prefix_key(ip("2001:db8:1:2::1")) == a->prefix_key(ip("2001:db8:1:2:ffff::9")));
  CHECK(a->prefix_key(ip("2001:db8:1:2::1")) != a->prefix_key(ip("2001:db8:1:3::1")));
  CHECK(io::parse_remote_address("127.0.0.5:4000") == ip("127.0.0.5"));
  CHECK(io::parse_remote_address("[::1]:80") == ip("::1"));
  CHECK(io::parse_remote_address("::1") == ip("::1"));
  CHECK(io::parse_remote_address("junk").is_unspecified());
}
