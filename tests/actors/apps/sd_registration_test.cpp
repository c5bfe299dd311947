// An app's service-discovery registration as a state machine
// (actors/apps/sd_registration): registered at start, refreshed every
// `refresh`, retried with a pause doubling from min_backoff to max_backoff
// (never past refresh) while the discovery fails, stale timers ignored,
// never two registrations in flight, and deleted at stop exactly when an
// entry may be stored. Plus the entry an app registers (reference §5.3).
#include <doctest/doctest.h>

#include <chrono>

#include "actors/apps/sd_registration.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/system/build_info.hpp"

using namespace skywire;
using namespace std::chrono_literals;
using apps::sd_registration;
using phase = sd_registration::phase;

namespace {
sd_registration::params fast() {
  sd_registration::params p;
  p.refresh = 300s;
  p.min_backoff = 1s;
  p.max_backoff = 8s;
  return p;
}
} // namespace

TEST_CASE("sd_registration: registered at start, refreshed every refresh interval") {
  sd_registration r{fast()};
  CHECK(r.current() == phase::idle);
  CHECK_FALSE(r.timer(0)); // no timer before start
  REQUIRE(r.start());
  CHECK_FALSE(r.start()); // once
  CHECK(r.current() == phase::registering);
  auto n = r.answered(true);
  REQUIRE(n);
  CHECK(n->delay == 300s);
  CHECK(r.current() == phase::registered);
  CHECK(r.registrations() == 1);
  // the refresh timer sends the next registration; a second tick of the same
  // generation finds it in flight
  CHECK(r.timer(n->generation));
  CHECK(r.current() == phase::registering);
  CHECK_FALSE(r.timer(n->generation));
  auto m = r.answered(true);
  REQUIRE(m);
  CHECK(m->delay == 300s);
  CHECK(m->generation != n->generation);
  CHECK_FALSE(r.timer(n->generation)); // stale
  CHECK(r.timer(m->generation));
  CHECK(r.registrations() == 2);
}

TEST_CASE("sd_registration: failures back off 1, 2, 4, 8, 8 s; a success resets the pause") {
  sd_registration r{fast()};
  REQUIRE(r.start());
  std::chrono::milliseconds want[] = {1s, 2s, 4s, 8s, 8s};
  for (auto w : want) {
    auto n = r.answered(false);
    REQUIRE(n);
    CHECK(n->delay == w);
    CHECK(r.current() == phase::backing_off);
    REQUIRE(r.timer(n->generation));
  }
  CHECK(r.failures() == 5);
  CHECK(r.consecutive_failures() == 5);
  auto ok = r.answered(true);
  REQUIRE(ok);
  CHECK(ok->delay == 300s);
  CHECK(r.consecutive_failures() == 0);
  REQUIRE(r.timer(ok->generation));
  auto again = r.answered(false);
  REQUIRE(again);
  CHECK(again->delay == 1s);
}

TEST_CASE("sd_registration: the back-off never exceeds the refresh interval") {
  sd_registration::params p;
  p.refresh = 3s;
  p.min_backoff = 2s;
  p.max_backoff = 60s;
  sd_registration r{p};
  REQUIRE(r.start());
  auto a = r.answered(false);
  REQUIRE(a);
  CHECK(a->delay == 2s);
  REQUIRE(r.timer(a->generation));
  auto b = r.answered(false);
  REQUIRE(b);
  CHECK(b->delay == 3s);
}

TEST_CASE("sd_registration: stop deletes only what may be stored, and ends the machine") {
  SUBCASE("never started: nothing to delete") {
    sd_registration r{fast()};
    CHECK_FALSE(r.stop());
    CHECK(r.current() == phase::stopped);
    CHECK_FALSE(r.start());
  }
  SUBCASE("registered: deleted once; later timers and answers are ignored") {
    sd_registration r{fast()};
    REQUIRE(r.start());
    auto n = r.answered(true);
    REQUIRE(n);
    CHECK(r.stop());
    CHECK_FALSE(r.stop());
    CHECK_FALSE(r.timer(n->generation));
    CHECK_FALSE(r.answered(true));
  }
  SUBCASE("a registration in flight (its fate unknown): deleted") {
    sd_registration r{fast()};
    REQUIRE(r.start());
    CHECK(r.stop());
    CHECK_FALSE(r.answered(true)); // the late answer arms nothing
  }
  SUBCASE("every attempt failed (the discovery was unreachable): still deleted, as a request "
          "may have been stored without its answer arriving") {
    sd_registration r{fast()};
    REQUIRE(r.start());
    auto n = r.answered(false);
    REQUIRE(n);
    CHECK(r.stop());
  }
}

TEST_CASE("app_service_entry: type, <pk>:<port>, this build's version, display_node_ip") {
  auto kp = crypto::generate_keypair();
  auto e = apps::app_service_entry(kp.pk, 3, "skysocks", true);
  CHECK(e.pk == kp.pk);
  CHECK(e.prt.value == 3);
  CHECK(e.type == "skysocks");
  CHECK(e.version == system::version());
  CHECK_FALSE(e.version.empty());
  CHECK(e.display_node_ip);
  CHECK(e.local_ips.empty());
  CHECK_FALSE(e.geo);
  auto f = apps::app_service_entry(kp.pk, 3, "skysocks", false);
  CHECK_FALSE(f.display_node_ip);
}
