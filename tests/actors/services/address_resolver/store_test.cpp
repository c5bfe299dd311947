// The in-memory binding store with a test clock: bind, replace, resolve,
// expiry, unbind by channel, the two bounds, listing.
#include <doctest/doctest.h>

#include "actors/services/address_resolver/errors.hpp"
#include "actors/services/address_resolver/store.hpp"
#include "support.hpp"

using namespace ar_test;
namespace ar = skywire::services::address_resolver;
using namespace std::chrono_literals;

namespace {

ar::binding binding_from(const std::string& ip, uint64_t channel = 0) {
  ar::binding b;
  b.data.remote_addr = ip;
  b.data.local = {skywire::port{7777}, {ip}};
  b.observed = boost::asio::ip::make_address(ip);
  b.source = ip;
  b.channel = channel;
  return b;
}

bool is(const caf::error& err, ar::ar_errc code) {
  return err && err.category() == ar::ar_category() && err.code() == static_cast<uint8_t>(code);
}

} // namespace

TEST_CASE("address resolver store: bind, resolve, replace, expire") {
  ar::memory_binding_store s;
  auto a = key("alice").pk, b = key("bob").pk;
  REQUIRE_FALSE(s.bind(ar::network::stcpr, a, binding_from("203.0.113.5"), 60s, t0));
  CHECK_FALSE(s.resolve(ar::network::sudph, a, t0)); // per type
  auto r = s.resolve(ar::network::stcpr, a, t0);
  REQUIRE(r);
  CHECK(r->data.remote_addr == "203.0.113.5");
  CHECK(r->bound_ns == t0);
  CHECK(r->expires_ns == t0 + 60 * sec);
  CHECK_FALSE(s.resolve(ar::network::stcpr, b, t0));

  // a re-bind is a heartbeat: new data, expiry moved, first bind kept
  REQUIRE_FALSE(s.bind(ar::network::stcpr, a, binding_from("203.0.113.6"), 60s, t0 + 50 * sec));
  r = s.resolve(ar::network::stcpr, a, t0 + 100 * sec);
  REQUIRE(r);
  CHECK(r->data.remote_addr == "203.0.113.6");
  CHECK(r->bound_ns == t0);
  CHECK(s.count_of_source(ar::network::stcpr, "203.0.113.5") == 0);
  CHECK(s.count_of_source(ar::network::stcpr, "203.0.113.6") == 1);

  // expired: not answered from that moment, swept after
  CHECK_FALSE(s.resolve(ar::network::stcpr, a, t0 + 110 * sec));
  CHECK(s.size(ar::network::stcpr) == 1);
  CHECK(s.sweep(t0 + 110 * sec) == 1);
  CHECK(s.size(ar::network::stcpr) == 0);
  CHECK(s.sweep(t0 + 110 * sec) == 0);

  // ttl 0: never expires
  REQUIRE_FALSE(s.bind(ar::network::sudph, b, binding_from("203.0.113.7", 9), 0s, t0));
  CHECK(s.resolve(ar::network::sudph, b, t0 + 1'000'000 * sec));
}

TEST_CASE("address resolver store: unbind only the channel's own binding") {
  ar::memory_binding_store s;
  auto a = key("alice").pk;
  REQUIRE_FALSE(s.bind(ar::network::sudph, a, binding_from("203.0.113.5", 1), 0s, t0));
  REQUIRE_FALSE(s.bind(ar::network::sudph, a, binding_from("203.0.113.5", 2), 0s, t0));
  CHECK_FALSE(s.unbind(ar::network::sudph, a, t0, uint64_t{1})); // replaced channel
  CHECK(s.resolve(ar::network::sudph, a, t0));
  CHECK(s.unbind(ar::network::sudph, a, t0, uint64_t{2}));
  CHECK_FALSE(s.resolve(ar::network::sudph, a, t0));
  CHECK_FALSE(s.unbind(ar::network::sudph, a, t0));
  REQUIRE_FALSE(s.bind(ar::network::stcpr, a, binding_from("203.0.113.5"), 0s, t0));
  CHECK(s.unbind(ar::network::stcpr, a, t0)); // without a channel: any
}

TEST_CASE("address resolver store: bounds in all and per source, what expired does not count") {
  ar::memory_binding_store s{{.max_bindings = 3, .max_per_source = 2}};
  auto k = [](int i) { return key("k" + std::to_string(i)).pk; };
  REQUIRE_FALSE(s.bind(ar::network::stcpr, k(1), binding_from("203.0.113.1"), 10s, t0));
  REQUIRE_FALSE(s.bind(ar::network::stcpr, k(2), binding_from("203.0.113.1"), 10s, t0));
  // a third key from the same source: refused; a refresh of one of its own is not
  CHECK(is(s.bind(ar::network::stcpr, k(3), binding_from("203.0.113.1"), 10s, t0),
           ar::ar_errc::source_full));
  CHECK_FALSE(s.bind(ar::network::stcpr, k(2), binding_from("203.0.113.1"), 10s, t0));
  REQUIRE_FALSE(s.bind(ar::network::stcpr, k(3), binding_from("203.0.113.2"), 10s, t0));
  CHECK(is(s.bind(ar::network::stcpr, k(4), binding_from("203.0.113.3"), 10s, t0),
           ar::ar_errc::full));
  CHECK(ar::status_of(s.bind(ar::network::stcpr, k(4), binding_from("203.0.113.3"), 10s, t0))
        == 503);
  // the other type has its own bounds
  CHECK_FALSE(s.bind(ar::network::sudph, k(4), binding_from("203.0.113.1"), 0s, t0));
  // once they expire, room again
  CHECK_FALSE(s.bind(ar::network::stcpr, k(4), binding_from("203.0.113.3"), 10s, t0 + 10 * sec));
  CHECK(s.size(ar::network::stcpr) == 1);
}

TEST_CASE("address resolver store: listing in key order, paged") {
  ar::memory_binding_store s;
  std::vector<public_key> keys;
  for (int i = 0; i < 5; ++i) {
    keys.push_back(key("k" + std::to_string(i)).pk);
    REQUIRE_FALSE(s.bind(ar::network::sudph, keys.back(),
                         binding_from("203.0.113." + std::to_string(i)), 0s, t0));
  }
  std::sort(keys.begin(), keys.end());
  auto p = s.list(ar::network::sudph, 0, 3, t0);
  CHECK(p.total == 5);
  CHECK(p.keys == std::vector<public_key>(keys.begin(), keys.begin() + 3));
  p = s.list(ar::network::sudph, 3, 3, t0);
  CHECK(p.keys == std::vector<public_key>(keys.begin() + 3, keys.end()));
  CHECK(s.list(ar::network::sudph, 9, 3, t0).keys.empty());
  CHECK(s.list(ar::network::stcpr, 0, 3, t0).total == 0);
}
