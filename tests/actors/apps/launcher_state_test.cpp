// The launcher's bookkeeping (actors/apps/launcher_state): entry resolution
// (name / single-binary form), unknown apps errored with a status that says
// why, the state machine with its detailed statuses, the restart policy
// (back-off growing to its cap, giving up past the budget, a fresh budget
// on a user's start), stale timers, the bounded log ring and RFC 3339 `since`.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "actors/apps/launcher_state.hpp"

using namespace skywire;
using namespace std::chrono_literals;
using apps::launcher_state;
using api::app_state;

namespace {

config::app_config app(std::string name, std::vector<std::string> args, bool auto_start,
                       uint16_t port, std::string binary = "skywire") {
  config::app_config c;
  c.name = std::move(name);
  c.binary = std::move(binary);
  c.args = std::move(args);
  c.auto_start = auto_start;
  c.port = skywire::port{port};
  return c;
}

bool known(std::string_view n) {
  return n == "echo" || n == "skysocks";
}

apps::launcher_limits fast_limits() {
  apps::launcher_limits l;
  l.policy.initial_backoff = 100ms;
  l.policy.factor = 2.0;
  l.policy.max_backoff = 400ms;
  l.policy.max_restarts = 3;
  l.policy.window = 10s;
  l.policy.stable_after = 5s;
  l.log_lines = 8;
  l.line_bytes = 32;
  return l;
}

const auto t0 = apps::steady_clock::time_point{} + 1h;
const auto w0 = apps::wall_clock::time_point{} + std::chrono::hours{24 * 365 * 50};

} // namespace

TEST_CASE("entries resolve to a built-in app: the single-binary form and the plain name") {
  auto r = apps::resolve_entry(app("proxy", {"app", "skysocks", "--passcode", "x"}, true, 3));
  CHECK(r.app == "skysocks");
  CHECK(r.args == std::vector<std::string>{"--passcode", "x"});
  auto p = apps::resolve_entry(app("echo", {"--x"}, true, 10, "echo"));
  CHECK(p.app == "echo");
  CHECK(p.args == std::vector<std::string>{"--x"});
  // "app" alone is no single-binary form
  auto q = apps::resolve_entry(app("echo", {"app"}, true, 10));
  CHECK(q.app == "echo");
  CHECK(apps::is_safe_app_name("skysocks-client"));
  CHECK_FALSE(apps::is_safe_app_name("../etc"));
  CHECK_FALSE(apps::is_safe_app_name(".."));
  CHECK_FALSE(apps::is_safe_app_name(""));
  CHECK_FALSE(apps::is_safe_app_name(std::string(65, 'a')));
}

TEST_CASE("unknown and unsafe apps are errored with a clear status; the others stopped") {
  launcher_state s({app("echo", {"app", "echo"}, true, 10), app("vpn-client", {"app", "vpn-client"}, true, 43),
                    app("../x", {"app", "echo"}, true, 11), app("skysocks", {"app", "skysocks"}, false, 3)},
                   known, {"echo", "skysocks"}, fast_limits());
  REQUIRE(s.entries().size() == 4);
  CHECK(s.find("echo")->state == app_state::stopped);
  CHECK(s.find("echo")->detailed_status == "Stopped");
  const auto* v = s.find("vpn-client");
  CHECK(v->state == app_state::errored);
  CHECK(v->detailed_status.find("unknown app \"vpn-client\"") != std::string::npos);
  CHECK(v->detailed_status.find("built-in: echo, skysocks") != std::string::npos);
  CHECK(s.find("../x")->state == app_state::errored);
  // only runnable auto_start apps start at boot
  CHECK(s.auto_start_names() == std::vector<std::string>{"echo"});
  CHECK(s.cannot_start("echo").empty());
  CHECK(s.cannot_start("vpn-client").find("unknown app") != std::string::npos);
  CHECK(s.cannot_start("nope").find("no app named") != std::string::npos);
  auto sum = s.summary(*s.find("skysocks"));
  CHECK(sum.name == "skysocks");
  CHECK(sum.app == "skysocks");
  CHECK(sum.port == 3);
  CHECK_FALSE(sum.auto_start);
  CHECK(sum.args == std::vector<std::string>{"app", "skysocks"});
}

TEST_CASE("starting, running on the first status or after running_after, stopped on request") {
  launcher_state s({app("echo", {"app", "echo"}, true, 10)}, known, {"echo"}, fast_limits());
  auto g1 = s.spawning("echo", false, t0, w0);
  CHECK(s.find("echo")->state == app_state::starting);
  CHECK(s.find("echo")->detailed_status == "Starting");
  // the app's own "Starting" keeps it starting, and the timer leaves it so
  s.status("echo", "Starting", w0);
  CHECK(s.find("echo")->state == app_state::starting);
  CHECK_FALSE(s.promote("echo", g1, w0));
  CHECK(s.find("echo")->state == app_state::starting);
  s.status("echo", "Connecting", w0);
  CHECK(s.find("echo")->state == app_state::running);
  CHECK(s.find("echo")->detailed_status == "Connecting");
  // the promotion timer is harmless once running
  CHECK_FALSE(s.promote("echo", g1, w0));
  CHECK(s.find("echo")->detailed_status == "Connecting");
  CHECK(s.stop_requested("echo", w0));
  auto d = s.exited("echo", false, "user_shutdown", t0 + 1s, w0);
  CHECK_FALSE(d.restart);
  CHECK(s.find("echo")->state == app_state::stopped);
  CHECK(s.find("echo")->detailed_status == "Stopped");
  // a silent app is running once running_after passed
  auto g2 = s.spawning("echo", true, t0 + 2s, w0);
  CHECK_FALSE(s.promote("echo", g1, w0)); // stale
  CHECK(s.find("echo")->state == app_state::starting);
  CHECK(s.promote("echo", g2, w0));
  CHECK(s.find("echo")->state == app_state::running);
  CHECK(s.find("echo")->detailed_status == "Running");
  // an app that ends by itself is stopped, not restarted
  auto e = s.exited("echo", false, "normal", t0 + 3s, w0);
  CHECK_FALSE(e.restart);
  CHECK(s.find("echo")->detailed_status == "Stopped (the app ended)");
  // stopping a stopped app: nothing to send
  CHECK_FALSE(s.stop_requested("echo", w0));
}

TEST_CASE("a crashed app is restarted with a growing back-off, capped, then given up") {
  launcher_state s({app("echo", {"app", "echo"}, true, 10)}, known, {"echo"}, fast_limits());
  auto now = t0;
  std::vector<std::chrono::milliseconds> delays;
  uint64_t gen = s.spawning("echo", false, now, w0);
  for (int i = 0; i < 3; ++i) {
    now += 10ms;
    auto d = s.exited("echo", true, "runtime_error: boom", now, w0);
    REQUIRE(d.restart);
    CHECK(d.generation == gen);
    delays.push_back(d.delay);
    const auto* e = s.find("echo");
    CHECK(e->state == app_state::errored);
    CHECK(e->error == "runtime_error: boom");
    CHECK(e->detailed_status.find("Crashed (runtime_error: boom); restarting in") == 0);
    CHECK(s.restart_due("echo", gen));
    CHECK_FALSE(s.restart_due("echo", gen + 1));
    now += d.delay;
    gen = s.spawning("echo", false, now, w0);
    CHECK_FALSE(s.restart_due("echo", gen - 1)); // the timer of the last crash is stale now
  }
  CHECK(delays == std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms});
  CHECK(s.find("echo")->tracker.restarts() == 3);
  // the fourth crash inside the window exceeds the budget
  auto d = s.exited("echo", true, "runtime_error: boom", now + 10ms, w0);
  CHECK_FALSE(d.restart);
  const auto* e = s.find("echo");
  CHECK(e->state == app_state::errored);
  CHECK(e->detailed_status.find("4 times within 10s; not restarted") != std::string::npos);
  CHECK(e->detailed_status.find("skywire cli visor app start echo") != std::string::npos);
  // a user's start gets a fresh budget
  gen = s.spawning("echo", true, now + 1s, w0);
  CHECK(s.find("echo")->tracker.restarts() == 0);
  auto again = s.exited("echo", true, "runtime_error: boom", now + 2s, w0);
  CHECK(again.restart);
  CHECK(again.delay == 100ms);
  // stopping while a restart is pending cancels it
  CHECK_FALSE(s.stop_requested("echo", w0));
  CHECK(s.find("echo")->state == app_state::stopped);
  CHECK_FALSE(s.restart_due("echo", again.generation));
}

TEST_CASE("a crash while a stop was asked for is a stop; a failed start is errored and not retried") {
  launcher_state s({app("echo", {"app", "echo"}, true, 10)}, known, {"echo"}, fast_limits());
  s.spawning("echo", false, t0, w0);
  CHECK(s.stop_requested("echo", w0));
  auto d = s.exited("echo", true, "kill", t0 + 1s, w0);
  CHECK_FALSE(d.restart);
  CHECK(s.find("echo")->state == app_state::stopped);
  s.spawning("echo", true, t0 + 2s, w0);
  s.spawn_failed("echo", "echo takes no arguments", w0);
  CHECK(s.find("echo")->state == app_state::errored);
  CHECK(s.find("echo")->detailed_status == "Failed to start: echo takes no arguments");
  CHECK_FALSE(s.restart_due("echo", s.find("echo")->generation));
  // status of a down app is ignored
  s.status("echo", "Running", w0);
  CHECK(s.find("echo")->state == app_state::errored);
}

TEST_CASE("the log ring is bounded, lines are cut, and `since` selects by time") {
  launcher_state s({app("echo", {"app", "echo"}, true, 10)}, known, {"echo"}, fast_limits());
  s.spawning("echo", false, t0, w0);
  for (int i = 0; i < 20; ++i)
    s.status("echo", "status " + std::to_string(i), w0 + std::chrono::seconds{i});
  auto all = s.logs_since("echo", 0);
  CHECK(all.size() == 8); // log_lines
  CHECK(all.back().find("status 19") != std::string::npos);
  // RFC 3339 stamps
  CHECK(all.back().find("Z state: running, status: status 19") != std::string::npos);
  auto w15 = std::chrono::duration_cast<std::chrono::nanoseconds>(
               (w0 + 15s).time_since_epoch()).count();
  auto recent = s.logs_since("echo", w15);
  CHECK(recent.size() == 5);
  CHECK(recent.front().find("status 15") != std::string::npos);
  // a long status is cut at line_bytes
  s.error("echo", std::string(100, 'x'), w0 + 30s);
  CHECK(s.find("echo")->error.size() == 32);
  CHECK(s.logs_since("echo", 0).back().find("error: " + std::string(32, 'x')) != std::string::npos);
  CHECK(s.logs_since("nope", 0).empty());
  s.set_auto_start("echo", false, w0 + 31s);
  CHECK_FALSE(s.find("echo")->cfg.auto_start);
  CHECK(s.logs_since("echo", 0).back().find("auto_start: false") != std::string::npos);
}

TEST_CASE("RFC 3339 timestamps for `app log --since`") {
  CHECK(apps::parse_rfc3339_ns("beginning") == 0);
  CHECK(apps::parse_rfc3339_ns("1970-01-01T00:00:00Z") == 0);
  CHECK(apps::parse_rfc3339_ns("1970-01-01T00:00:01.5Z") == 1'500'000'000);
  CHECK(apps::parse_rfc3339_ns("2026-12-05T05:41:49.123456789Z") == 1796449309123456789LL);
  CHECK(apps::parse_rfc3339_ns("2026-12-05T06:41:49.123456789+01:00") == 1796449309123456789LL);
  CHECK_FALSE(apps::parse_rfc3339_ns("2026-12-05"));
  CHECK_FALSE(apps::parse_rfc3339_ns("2026-13-05T05:41:49Z"));
  CHECK_FALSE(apps::parse_rfc3339_ns("2026-02-30T05:41:49Z"));
  CHECK_FALSE(apps::parse_rfc3339_ns("2026-12-05T05:41:49"));
  CHECK_FALSE(apps::parse_rfc3339_ns("2026-12-05T05:41:49.Z"));
  CHECK_FALSE(apps::parse_rfc3339_ns("2026-12-05T05:41:49Zjunk"));
}

TEST_CASE("app_with_flags: sets flags on an entry, or a new entry on the preferred or lowest free "
          "port; refuses an entry of another app") {
  std::vector<config::app_config> list{app("skysocks", {"app", "skysocks"}, true, 3),
                                       app("skysocks-client",
                                           {"app", "skysocks-client", "--addr", ":1080"}, false, 13),
                                       app("ten", {"app", "echo"}, false, 10)};
  std::string pk(66, '3');
  auto e = apps::app_with_flags(list, "skysocks-client", "skysocks-client", {"srv", pk}, 13);
  REQUIRE(e);
  CHECK(e->args == std::vector<std::string>{"app", "skysocks-client", "--addr", ":1080", "--srv", pk});
  CHECK(e->port.value == 13);
  CHECK_FALSE(e->auto_start);
  // a new instance: 13 is taken, 10 too: 11
  auto n = apps::app_with_flags(list, "proxy-2", "skysocks-client",
                                {"srv", pk, "addr", "127.0.0.1:1081"}, 13);
  REQUIRE(n);
  CHECK(n->name == "proxy-2");
  CHECK(n->binary == "skywire");
  CHECK(n->port.value == 11);
  CHECK(n->args
        == std::vector<std::string>{"app", "skysocks-client", "--srv", pk, "--addr", "127.0.0.1:1081"});
  // the preferred port when free
  auto p = apps::app_with_flags({}, "skysocks-client", "skysocks-client", {"srv", pk}, 13);
  REQUIRE(p);
  CHECK(p->port.value == 13);
  // refusals
  CHECK_FALSE(apps::app_with_flags(list, "skysocks", "skysocks-client", {"srv", pk}, 13));
  CHECK_FALSE(apps::app_with_flags(list, "../x", "skysocks-client", {"srv", pk}, 13));
  CHECK_FALSE(apps::app_with_flags(list, "c", "skysocks-client", {"srv"}, 13));
  std::vector<config::app_config> full;
  for (uint16_t port = 10; port < 100; ++port)
    full.push_back(app("a" + std::to_string(port), {"app", "echo"}, false, port));
  CHECK_FALSE(apps::app_with_flags(full, "one-more", "echo", {}, 0));
}

TEST_CASE("configure: replaces a stopped entry (its log kept) or adds one; refused while it is up") {
  launcher_state s{{app("skysocks", {"app", "skysocks"}, false, 3)}, known, {"echo", "skysocks"},
                   fast_limits()};
  // added
  REQUIRE(s.configure(app("e2", {"app", "echo", "--x", "1"}, false, 11), known, w0));
  REQUIRE(s.find("e2"));
  CHECK(s.find("e2")->state == app_state::stopped);
  CHECK(s.find("e2")->run.app == "echo");
  CHECK(s.find("e2")->cfg.port.value == 11);
  // an unknown app is added errored, as at boot
  REQUIRE(s.configure(app("zz", {"app", "nope"}, false, 12), known, w0));
  CHECK(s.find("zz")->state == app_state::errored);
  CHECK(s.cannot_start("zz") != "");
  // up: refused
  s.spawning("skysocks", true, t0, w0);
  CHECK_FALSE(s.configure(app("skysocks", {"app", "skysocks", "--passcode", "p"}, false, 3), known,
                          w0));
  CHECK(s.find("skysocks")->run.args.empty());
  s.stop_requested("skysocks", w0);
  s.exited("skysocks", false, "", t0, w0);
  auto lines = s.logs_since("skysocks", 0).size();
  REQUIRE(s.configure(app("skysocks", {"app", "skysocks", "--passcode", "p"}, false, 3), known, w0));
  CHECK(s.find("skysocks")->run.args == std::vector<std::string>{"--passcode", "p"});
  CHECK(s.find("skysocks")->state == app_state::stopped);
  CHECK(s.logs_since("skysocks", 0).size() == lines + 1);
}
