// The launcher actor (actors/apps/launcher) with the real `echo` app and a
// stand-in route manager that grants listens: auto_start at boot, the work
// folder created, unknown apps errored, a crashed app (fault injection)
// restarted by the policy, stop/start/autostart/logs answered, a bad
// argument failing the start, and every app stopped with the launcher.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/apps/errors.hpp"
#include "actors/apps/launcher.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct fake_routes_state {
  std::shared_ptr<std::atomic<int>> listens;
  std::vector<caf::actor> listeners; ///< kept, as the route manager does
};

/// Grants every listen (and counts them); dials, pings and speed tests fail.
api::route_manager_actor::behavior_type
fake_routes(api::route_manager_actor::stateful_pointer<fake_routes_state> self,
            std::shared_ptr<std::atomic<int>> listens) {
  self->state.listens = std::move(listens);
  return {
    [](api::rt_dial_atom, api::route_dial&) -> caf::result<api::route_group_actor> {
      return caf::make_error(caf::sec::invalid_argument, "no dials here");
    },
    [self](api::rt_listen_atom, uint16_t, caf::actor l) -> caf::result<api::ok_atom> {
      ++*self->state.listens;
      self->state.listeners.push_back(std::move(l));
      return api::ok_atom::value;
    },
    [](api::rt_ping_atom, api::route_ping&) -> caf::result<std::string> {
      return caf::make_error(caf::sec::invalid_argument, "no pings here");
    },
    [](api::rt_speed_atom, api::route_speed&) -> caf::result<std::string> {
      return caf::make_error(caf::sec::invalid_argument, "no speed tests here");
    },
    [](api::rt_routes_atom) -> caf::result<std::string> { return std::string{"[]"}; },
    [](api::rt_service_atom, uint16_t) -> caf::result<caf::actor> {
      return caf::make_error(caf::sec::invalid_argument, "no services here");
    },
  };
}

config::app_config app(std::string name, std::vector<std::string> args, bool auto_start,
                       uint16_t port) {
  config::app_config c;
  c.name = std::move(name);
  c.binary = "skywire";
  c.args = std::move(args);
  c.auto_start = auto_start;
  c.port = skywire::port{port};
  return c;
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  fs::path dir;
  std::shared_ptr<std::atomic<int>> listens = std::make_shared<std::atomic<int>>(0);
  api::route_manager_actor routes;
  apps::launcher_actor launcher;

  fixture() {
    dir = fs::temp_directory_path() / ("skywire-launcher-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    auto c = std::make_shared<config::visor_config>();
    auto kp = crypto::generate_keypair();
    c->pk = kp.pk;
    c->sk = kp.sk;
    c->local_path = (dir / "local").string();
    c->launcher.apps = {app("echo", {"app", "echo"}, true, 10),
                        app("echo-bad", {"app", "echo", "--no-such-flag"}, false, 11),
                        app("vpn-client", {"app", "vpn-client"}, true, 43)};
    routes = sys.spawn(fake_routes, listens);
    apps::launcher_options o;
    o.cfg = c;
    o.routes = std::make_shared<apps::route_manager_slot>();
    o.routes->set(routes);
    o.fault_injection = true;
    o.limits.policy.initial_backoff = 50ms;
    o.limits.policy.max_backoff = 200ms;
    o.limits.running_after = 100ms;
    launcher = apps::spawn_launcher(sys, o);
  }
  ~fixture() {
    self->send_exit(launcher, caf::exit_reason::kill);
    self->send_exit(routes, caf::exit_reason::kill);
    fs::remove_all(dir);
  }

  std::vector<api::app_summary> ls() {
    std::vector<api::app_summary> out;
    self->request(launcher, 5s, api::app_ls_atom::value)
      .receive([&](std::vector<api::app_summary>& v) { out = std::move(v); },
               [&](caf::error& e) { FAIL("ls failed: " << describe(e)); });
    return out;
  }
  api::app_summary get(const std::string& name) {
    for (auto& s : ls())
      if (s.name == name)
        return s;
    FAIL("no app " << name);
    return {};
  }
  /// A bounded poll of `app ls` (the launcher has no event to wait on).
  template <class Pred>
  api::app_summary wait_for(const std::string& name, Pred p) {
    api::app_summary s;
    test::eventually(
      [&] {
        s = get(name);
        return p(s);
      },
      10s, 10ms);
    return s;
  }
  template <class... Ts>
  expected<api::app_summary> call(Ts... xs) {
    expected<api::app_summary> out = caf::make_error(caf::sec::request_timeout);
    self->request(launcher, 10s, xs...)
      .receive([&](api::app_summary& s) { out = std::move(s); },
               [&](caf::error& e) { out = std::move(e); });
    return out;
  }
};

bool running(const api::app_summary& s) {
  return s.state == api::app_state::running;
}

} // namespace

TEST_CASE("the launcher starts auto_start apps, restarts a crashed one, stops and starts on request") {
  fixture f;
  auto echo = f.wait_for("echo", running);
  CHECK(echo.state == api::app_state::running);
  CHECK(echo.detailed_status == "Running");
  CHECK(echo.app == "echo");
  CHECK(echo.port == 10);
  CHECK(f.listens->load() == 1);
  CHECK(fs::is_directory(f.dir / "local" / "echo"));
  // unknown app: errored, the others run
  auto vpn = f.get("vpn-client");
  CHECK(vpn.state == api::app_state::errored);
  CHECK(vpn.detailed_status.find("unknown app \"vpn-client\"") != std::string::npos);
  CHECK(f.get("echo-bad").state == api::app_state::stopped);

  // a crash: errored, then back by the policy
  std::string injected;
  f.self->request(f.launcher, 5s, api::visor_crash_atom::value, std::string{"echo"})
    .receive([&](std::string& s) { injected = s; },
             [&](caf::error& e) { FAIL("crash failed: " << describe(e)); });
  CHECK(injected == "\"injected\"");
  auto back = f.wait_for("echo", [](const api::app_summary& s) {
    return s.restarts == 1 && s.state == api::app_state::running;
  });
  CHECK(back.state == api::app_state::running);
  CHECK(back.restarts == 1);
  CHECK(back.error.find("injected fault") != std::string::npos);
  CHECK(f.listens->load() == 2);

  // stop: answered once the app ended
  auto stopped = f.call(api::app_stop_atom::value, std::string{"echo"});
  REQUIRE(stopped);
  CHECK(stopped->state == api::app_state::stopped);
  CHECK(stopped->detailed_status == "Stopped");
  // stopping again is no error
  auto again = f.call(api::app_stop_atom::value, std::string{"echo"});
  REQUIRE(again);
  CHECK(again->state == api::app_state::stopped);

  // start: spawned, running once it reports
  auto started = f.call(api::app_start_atom::value, std::string{"echo"});
  REQUIRE(started);
  CHECK((started->state == api::app_state::starting || started->state == api::app_state::running));
  CHECK(f.wait_for("echo", running).state == api::app_state::running);
  auto twice = f.call(api::app_start_atom::value, std::string{"echo"});
  REQUIRE_FALSE(twice);
  CHECK(apps::is(twice.error(), apps::apps_errc::already_running));

  // autostart (in memory here; the visor writes the file)
  auto off = f.call(api::app_autostart_atom::value, std::string{"echo"}, false);
  REQUIRE(off);
  CHECK_FALSE(off->auto_start);

  // an unknown name and a refused argument
  auto nope = f.call(api::app_start_atom::value, std::string{"nope"});
  REQUIRE_FALSE(nope);
  CHECK(apps::is(nope.error(), apps::apps_errc::unknown_app));
  auto bad = f.call(api::app_start_atom::value, std::string{"echo-bad"});
  REQUIRE_FALSE(bad);
  CHECK(apps::is(bad.error(), apps::apps_errc::start_failed));
  auto bs = f.get("echo-bad");
  CHECK(bs.state == api::app_state::errored);
  CHECK(bs.detailed_status.find("Failed to start") == 0);
  CHECK(bs.detailed_status.find("--no-such-flag") != std::string::npos);

  // the log: the crash, the stop, the autostart change
  std::vector<std::string> lines;
  f.self->request(f.launcher, 5s, api::app_logs_atom::value, std::string{"echo"}, int64_t{0})
    .receive([&](std::vector<std::string>& v) { lines = std::move(v); },
             [&](caf::error& e) { FAIL("logs failed: " << describe(e)); });
  auto has = [&](std::string_view what) {
    for (auto& l : lines)
      if (l.find(what) != std::string::npos)
        return true;
    return false;
  };
  CHECK(has("crashed: "));
  CHECK(has("restarting in 50ms"));
  CHECK(has("stop requested"));
  CHECK(has("auto_start: false"));

  // the launcher's end stops its apps first
  auto a = f.call(api::app_start_atom::value, std::string{"echo"});
  CHECK_FALSE(a); // still running
  f.self->monitor(f.launcher);
  f.self->send_exit(f.launcher, caf::exit_reason::user_shutdown);
  bool down = false;
  f.self->receive([&](caf::down_msg& dm) {
    down = true;
    CHECK(dm.reason == caf::exit_reason::user_shutdown);
  }, caf::after(10s) >> [] {});
  CHECK(down);
}
