// client_ref: the current dmsg client across restarts; watchers hear of every
// new client with its generation, at once for the current one.
#include <doctest/doctest.h>

#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/dmsg/client_ref.hpp"

using namespace skywire;

namespace {

caf::behavior idle(caf::event_based_actor*) {
  return {[](int) {}};
}

} // namespace

TEST_CASE("client_ref: set, get, generations, watchers") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto one = caf::actor_cast<api::dmsg_client_actor>(sys.spawn(idle));
  auto two = caf::actor_cast<api::dmsg_client_actor>(sys.spawn(idle));

  dmsg::client_ref ref;
  CHECK_FALSE(ref.get());
  CHECK(ref.generation() == 0);

  std::vector<std::pair<caf::actor_addr, uint64_t>> early, late;
  auto t1 = ref.watch([&](const api::dmsg_client_actor& c, uint64_t g) {
    early.emplace_back(c.address(), g);
  });
  CHECK(early.empty()); // nothing to tell yet

  ref.set(one);
  CHECK(ref.get() == one);
  CHECK(ref.generation() == 1);
  REQUIRE(early.size() == 1);
  CHECK(early[0].first == one.address());
  CHECK(early[0].second == 1);

  // a later watcher hears of the current client at once
  auto t2 = ref.watch([&](const api::dmsg_client_actor& c, uint64_t g) {
    late.emplace_back(c.address(), g);
  });
  REQUIRE(late.size() == 1);
  CHECK(late[0].second == 1);
  CHECK(ref.watchers() == 2);

  // a restart: both hear of the new one
  ref.set(two);
  CHECK(ref.generation() == 2);
  REQUIRE(early.size() == 2);
  CHECK(early[1].first == two.address());
  CHECK(early[1].second == 2);
  REQUIRE(late.size() == 2);

  ref.unwatch(t1);
  ref.set(one);
  CHECK(early.size() == 2);
  CHECK(late.size() == 3);
  ref.unwatch(t2);
  CHECK(ref.watchers() == 0);

  caf::anon_send_exit(one, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(two, caf::exit_reason::user_shutdown);
}
