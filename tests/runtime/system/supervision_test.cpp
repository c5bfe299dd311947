// runtime/system: the supervision helper inside a real actor system —
// restart after a crash with back-off, state reporting, give-up escalation,
// orderly shutdown.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include <caf/all.hpp>

#include "runtime/system/actor_system.hpp"
#include "runtime/system/supervision.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace std::chrono_literals;

namespace {

using status_atom = caf::atom_constant<caf::atom("t_status")>;
using crash_it = caf::atom_constant<caf::atom("t_crash")>;

struct worker_state {
  static inline const char* name = "worker";
};

caf::behavior worker(caf::stateful_actor<worker_state>* self, std::shared_ptr<std::atomic<int>> starts) {
  ++*starts;
  system::install_exception_handler(self, "worker");
  return system::fault_injection_handler();
}

struct sup_state {
  system::supervision sup;
  caf::error gave_up;
  static inline const char* name = "test_supervisor";
};

caf::behavior test_supervisor(caf::stateful_actor<sup_state>* self, system::child_spec spec) {
  self->state.sup.attach(self, "test");
  self->state.sup.on_give_up = [self](const std::string&, const caf::error& e) {
    self->state.gave_up = e;
    self->quit(caf::make_error(caf::sec::runtime_error, "gave up"));
  };
  self->state.sup.add(std::move(spec));
  return caf::message_handler{
    [self](status_atom) { return self->state.sup.status(); },
    [self](crash_it, const std::string& name) { return self->state.sup.inject_fault(name); },
  }
    .or_else(self->state.sup.handlers());
}

std::vector<system::child_status> status_of(caf::scoped_actor& self, const caf::actor& sup) {
  std::vector<system::child_status> out;
  self->request(sup, 5s, status_atom::value)
    .receive([&](std::vector<system::child_status>& s) { out = std::move(s); },
             [&](caf::error&) {});
  return out;
}

struct st {
  system::supervision sup;
  static inline const char* name = "stopper";
};

} // namespace

TEST_CASE("a crashed child is restarted and its restart count reported") {
  caf::actor_system_config cfg;
  system::configure(cfg, {2});
  caf::actor_system sys{cfg};
  auto starts = std::make_shared<std::atomic<int>>(0);
  system::child_spec spec{"worker",
                          [starts](caf::actor_system& s, const caf::actor&) {
                            return s.spawn(worker, starts);
                          },
                          {},
                          {}};
  spec.policy.initial_backoff = 20ms;
  auto sup = sys.spawn(test_supervisor, spec);
  caf::scoped_actor self{sys};
  auto st = status_of(self, sup);
  REQUIRE(st.size() == 1);
  CHECK(st[0].name == "worker");
  CHECK(st[0].state == "running");
  CHECK(st[0].restarts == 0);
  bool injected = false;
  self->request(sup, 5s, crash_it::value, std::string{"worker"})
    .receive([&](bool ok) { injected = ok; }, [](caf::error&) {});
  CHECK(injected);
  // wait (bounded) for the restart: the new worker's start, then the
  // supervisor's report (a poll: the back-off timer fires inside it)
  skywire::test::eventually([&] { return *starts >= 2; }, 1s, 10ms);
  CHECK(*starts == 2);
  skywire::test::eventually(
    [&] {
      st = status_of(self, sup);
      return !st.empty() && st[0].state == "running";
    },
    1s, 10ms);
  REQUIRE(st.size() == 1);
  CHECK(st[0].state == "running");
  CHECK(st[0].restarts == 1);
  CHECK(st[0].last_exit.find("injected fault") != std::string::npos);
  self->send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_CASE("a child that keeps crashing makes the supervisor give up") {
  caf::actor_system_config cfg;
  system::configure(cfg, {2});
  caf::actor_system sys{cfg};
  auto starts = std::make_shared<std::atomic<int>>(0);
  system::child_spec spec{"flaky",
                          [starts](caf::actor_system& s, const caf::actor&) {
                            auto a = s.spawn(worker, starts);
                            caf::anon_send(a, system::crash_atom::value); // dies at once
                            return a;
                          },
                          {},
                          {}};
  spec.policy.initial_backoff = 1ms;
  spec.policy.max_backoff = 4ms;
  spec.policy.max_restarts = 3;
  auto sup = sys.spawn(test_supervisor, spec);
  caf::scoped_actor self{sys};
  self->monitor(sup);
  caf::error reason;
  self->receive([&](caf::down_msg& dm) { reason = dm.reason; },
                caf::after(10s) >> [] { FAIL("the supervisor did not give up"); });
  CHECK(reason == caf::sec::runtime_error);
  CHECK(*starts == 4); // first start + 3 restarts
}

TEST_CASE("shutdown stops every child and reports when all are down") {
  caf::actor_system_config cfg;
  system::configure(cfg, {2});
  caf::actor_system sys{cfg};
  auto starts = std::make_shared<std::atomic<int>>(0);
  auto stopper = sys.spawn([starts](caf::stateful_actor<st>* self) -> caf::behavior {
    self->state.sup.attach(self, "test");
    for (auto n : {"a", "b", "c"})
      self->state.sup.add({n,
                           [starts](caf::actor_system& s, const caf::actor&) {
                             return s.spawn(worker, starts);
                           },
                           {},
                           {}});
    self->set_exit_handler([self](caf::exit_msg&) {
      self->state.sup.on_stopped = [self] { self->quit(); };
      self->state.sup.shutdown(caf::exit_reason::user_shutdown);
    });
    return self->state.sup.handlers();
  });
  caf::scoped_actor self{sys};
  self->monitor(stopper);
  self->send_exit(stopper, caf::exit_reason::user_shutdown);
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; },
                caf::after(10s) >> [] { FAIL("no orderly shutdown"); });
  CHECK(down);
  CHECK(*starts == 3);
}
