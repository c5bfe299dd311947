// skysocks-client's greeting shortcut (actors/apps/socks_greeting.hpp): what
// is learned from the server, when the client answers by itself, how the
// server's echo is dropped (in one piece or split), and the reset when the
// server answers otherwise.
#include <doctest/doctest.h>

#include <vector>

#include "actors/apps/socks_greeting.hpp"

using skywire::apps::greeting_cache;
using skywire::apps::greeting_tap;
using bytes = std::vector<uint8_t>;

namespace {

const bytes no_auth{5, 1, 0};          // curl without credentials
const bytes with_auth{5, 2, 0, 2};     // curl with credentials
const greeting_cache::reply pick_none{5, 0};
const greeting_cache::reply pick_user{5, 2};

/// One connection that goes the long way and learns the server's answer.
void learn(greeting_cache& cache, const bytes& greeting, greeting_cache::reply r) {
  greeting_tap tap;
  CHECK_FALSE(tap.first_from_client(greeting, cache));
  auto o = tap.from_server(bytes{r.begin(), r.end()}, cache);
  CHECK(o.drop == 0);
  CHECK_FALSE(o.mismatch);
}

} // namespace

TEST_CASE("socks greeting: only a whole lone greeting counts") {
  CHECK(greeting_cache::is_greeting(no_auth));
  CHECK(greeting_cache::is_greeting(with_auth));
  CHECK_FALSE(greeting_cache::is_greeting(bytes{5, 1}));           // cut short
  CHECK_FALSE(greeting_cache::is_greeting(bytes{5, 0}));           // no method
  CHECK_FALSE(greeting_cache::is_greeting(bytes{4, 1, 0}));        // SOCKS4
  CHECK_FALSE(greeting_cache::is_greeting(bytes{5, 1, 0, 5, 1}));  // a pipelined request after it
  CHECK_FALSE(greeting_cache::is_greeting(bytes{}));
}

TEST_CASE("socks greeting: the first connection goes the long way, the next ones are answered at once") {
  greeting_cache cache;
  learn(cache, no_auth, pick_none);
  CHECK(cache.size() == 1);

  greeting_tap tap;
  auto answer = tap.first_from_client(no_auth, cache);
  REQUIRE(answer);
  CHECK(*answer == pick_none);
  CHECK(tap.answered_locally());
  // the server's own answer comes with its CONNECT reply behind it: only the echo goes
  bytes from_server{5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0, 80};
  auto o = tap.from_server(from_server, cache);
  CHECK(o.drop == 2);
  CHECK_FALSE(o.mismatch);
  // and nothing more is dropped afterwards
  CHECK(tap.from_server(bytes{5, 0}, cache).drop == 0);
}

TEST_CASE("socks greeting: an echo split over pieces is dropped byte by byte") {
  greeting_cache cache;
  learn(cache, with_auth, pick_user);
  greeting_tap tap;
  REQUIRE(tap.first_from_client(with_auth, cache) == pick_user);
  auto a = tap.from_server(bytes{5}, cache);
  CHECK(a.drop == 1);
  auto b = tap.from_server(bytes{2, 1, 0}, cache); // then the auth status
  CHECK(b.drop == 1);
  CHECK_FALSE(b.mismatch);
}

TEST_CASE("socks greeting: another answer resets the connection and is forgotten") {
  greeting_cache cache;
  learn(cache, no_auth, pick_none);
  greeting_tap tap;
  REQUIRE(tap.first_from_client(no_auth, cache));
  auto o = tap.from_server(bytes{5, 0xFF}, cache);
  CHECK(o.mismatch);
  CHECK(cache.size() == 0);
  greeting_tap next;
  CHECK_FALSE(next.first_from_client(no_auth, cache)); // the long way again
}

TEST_CASE("socks greeting: refusals and unoffered methods are not learned") {
  greeting_cache cache;
  learn(cache, no_auth, {5, 0xFF});  // a server with a passcode refuses no-auth
  learn(cache, no_auth, {5, 2});     // a method the client did not offer
  learn(cache, no_auth, {4, 0});     // not SOCKS5
  CHECK(cache.size() == 0);
  // a client whose first bytes are not a lone greeting is left alone
  greeting_tap tap;
  CHECK_FALSE(tap.first_from_client(bytes{5, 1, 0, 5, 1, 0, 1}, cache));
  CHECK(tap.from_server(bytes{5, 0}, cache).drop == 0);
  CHECK(cache.size() == 0);
}

TEST_CASE("socks greeting: different greetings are kept apart, the oldest goes first") {
  greeting_cache cache;
  learn(cache, no_auth, pick_none);
  learn(cache, with_auth, pick_user);
  CHECK(cache.lookup(no_auth) == pick_none);
  CHECK(cache.lookup(with_auth) == pick_user);
  for (uint8_t m = 10; m < 10 + greeting_cache::max_entries; ++m)
    learn(cache, bytes{5, 1, m}, {5, m});
  CHECK(cache.size() == greeting_cache::max_entries);
  CHECK_FALSE(cache.lookup(no_auth));
}
