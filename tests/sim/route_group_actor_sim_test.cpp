// The route group actor (actors/routing/route_group.hpp) around two cores on
// the simulated route: ready, writes answered, data to the owner with the
// group as sender, the owner's consumed credits, info, close and the closed
// message at both owners, a group whose owner ended closing. The "shard" is
// the test thread: posts queue up and run between steps of the virtual clock.
#include <doctest/doctest.h>

#include <deque>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/routing/route_group.hpp"
#include "actors/routing/route_group_errors.hpp"
#include "tests/sim/route_group_support.hpp"

using namespace rg_sim;

namespace {

/// The test thread as the cores' shard.
struct shard {
  std::mutex m;
  std::deque<std::function<void()>> posted;

  std::function<void(std::function<void()>)> post() {
    return [this](std::function<void()> fn) {
      std::lock_guard<std::mutex> g{m};
      posted.push_back(std::move(fn));
    };
  }
  void run() {
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard<std::mutex> g{m};
        if (posted.empty())
          return;
        fn = std::move(posted.front());
        posted.pop_front();
      }
      fn();
    }
  }
};

/// What the owner (a scoped actor) received.
struct inbox {
  size_t oks = 0;
  std::vector<caf::error> errors;
  std::map<caf::actor_addr, byte_buffer> data;
  std::map<caf::actor_addr, caf::error> closed;
  std::vector<api::route_group_info> infos;
};

/// The actor system, the owner (a scoped actor) and the shard of one test.
struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  shard sh;
  route r;
  inbox in;

  /// Runs the shard, the virtual clock (1 ms a step) and the owner's inbox
  /// (data credited back at once) until done() or `steps` steps.
  bool pump(const std::function<bool()>& done, int steps = 20000) {
    for (int i = 0; i < steps && !done(); ++i) {
      sh.run();
      r.net.advance(1ms);
      bool more = true;
      while (more) {
        more = false;
        self->receive(
          [&](api::ok_atom) { ++in.oks; more = true; },
          [&](api::data_atom, byte_buffer& bytes) {
            auto& d = in.data[caf::actor_cast<caf::actor_addr>(self->current_sender())];
            d.insert(d.end(), bytes.begin(), bytes.end());
            self->send(caf::actor_cast<api::route_group_actor>(self->current_sender()),
                       api::consumed_atom::value, static_cast<uint32_t>(bytes.size()));
            more = true;
          },
          [&](api::closed_atom, caf::error& err) {
            in.closed[caf::actor_cast<caf::actor_addr>(self->current_sender())] = err;
            more = true;
          },
          [&](api::route_group_info& i) { in.infos.push_back(i); more = true; },
          [&](caf::error& err) { in.errors.push_back(err); more = true; },
          caf::after(std::chrono::milliseconds{0}) >> [] {});
      }
    }
    return done();
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "route group actor: ready, write, data to the owner, consumed, info, close") {
  r.make(1, faults{.delay = 2ms}, {.reliable = true}, {.reliable = true});
  // spawn both groups; the owner is the scoped actor
  auto a = sys.spawn<route_group_actor>(route_group_params{r.a.c, sh.post(), self, true, {}});
  auto b = sys.spawn<route_group_actor>(route_group_params{r.b.c, sh.post(), self, true, {}});
  self->send(a, api::ready_atom::value);
  self->send(b, api::ready_atom::value);
  REQUIRE(pump([&] { return in.oks == 2; }));
  CHECK(in.errors.empty());
  // writes both ways, each answered
  auto ab = pattern(100'000, 1);
  auto ba = pattern(60'000, 2);
  for (size_t off = 0; off < ab.size(); off += 10'000)
    self->send(a, api::write_atom::value,
               byte_buffer{ab.begin() + static_cast<ptrdiff_t>(off),
                           ab.begin() + static_cast<ptrdiff_t>(off + 10'000)});
  self->send(b, api::write_atom::value, ba);
  REQUIRE(pump([&] {
    return in.data[b.address()].size() == ab.size() && in.data[a.address()].size() == ba.size();
  }));
  CHECK(in.oks == 2 + 11);
  CHECK(in.data[b.address()] == ab); // data from b's group = what a wrote
  CHECK(in.data[a.address()] == ba);
  // the owner's credits reach the core
  CHECK(pump([&] { return r.b.c->unconsumed() == 0 && r.a.c->unconsumed() == 0; }));
  self->send(a, api::info_atom::value);
  REQUIRE(pump([&] { return !in.infos.empty(); }));
  CHECK(in.infos[0].phase == "established");
  CHECK(in.infos[0].reliable);
  CHECK(in.infos[0].bytes_out == ab.size());
  CHECK(in.infos[0].bytes_in == ba.size());
  // close from a: both owners get closed_atom without an error, both actors end
  self->send(a, api::close_atom::value);
  REQUIRE(pump([&] { return in.closed.size() == 2; }));
  CHECK_FALSE(in.closed[a.address()]);
  CHECK_FALSE(in.closed[b.address()]);
  sh.run();
  self->wait_for(a, b);
  sh.run(); // the cores are released on their shard
}

TEST_CASE_FIXTURE(fixture, "route group actor: a failed handshake fails ready and reports closed") {
  r.make(1);
  r.links[0].first->close(); // nothing gets through
  auto a = sys.spawn<route_group_actor>(route_group_params{r.a.c, sh.post(), self, true, {}});
  caf::error ready_err, closed_err;
  bool got_closed = false;
  self->send(a, api::ready_atom::value);
  for (int i = 0; i < 5000 && !got_closed; ++i) {
    sh.run();
    r.net.advance(1ms);
    self->receive([&](api::ok_atom) { FAIL("ready on a dead route"); },
                  [&](caf::error& err) { ready_err = err; },
                  [&](api::closed_atom, caf::error& err) {
                    closed_err = err;
                    got_closed = true;
                  },
                  caf::after(std::chrono::milliseconds{0}) >> [] {});
  }
  REQUIRE(got_closed);
  CHECK(is(closed_err, route_group_errc::handshake_timeout));
  // the ready answer (an error) came before closed
  CHECK(is(ready_err, route_group_errc::handshake_timeout));
  self->wait_for(a);
  sh.run();
}

TEST_CASE_FIXTURE(fixture, "route group actor: a group whose owner is gone closes, and its peer hears it") {
  r.make(1, faults{.delay = 2ms}, {.reliable = true}, {.reliable = true});
  // a's owner: an actor that ends once the route is up (an app that
  // stopped, a dial's owner that left); b's owner is the scoped actor
  auto gone = sys.spawn([]() -> caf::behavior { return {[](int) {}}; });
  auto a = sys.spawn<route_group_actor>(route_group_params{r.a.c, sh.post(), gone, true, {}});
  auto b = sys.spawn<route_group_actor>(route_group_params{r.b.c, sh.post(), self, true, {}});
  self->send(a, api::ready_atom::value);
  self->send(b, api::ready_atom::value);
  REQUIRE(pump([&] { return in.oks == 2; }));
  self->send_exit(gone, caf::exit_reason::user_shutdown);
  // a closes its route: b's owner is told, cleanly
  REQUIRE(pump([&] { return in.closed.count(b.address()) == 1; }));
  CHECK_FALSE(in.closed[b.address()]);
  CHECK(in.errors.empty());
  // a's close ends once the peer answered (within the 2 s close wait)
  pump([] { return false; }, 3000);
  self->wait_for(a, b);
  sh.run();
}
