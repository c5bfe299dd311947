// The app launcher in a visor process (issue 11): apps from launcher.apps
// (the `echo` app on routing ports 10 and 11, the default config's
// vpn-client that this build has not), `cli visor app ls | start | stop |
// autostart | log` with --json, a crashed app (fault injection) coming back
// by the restart policy, and the done-when case "a config written back by
// the CLI is never left partial": autostart toggled through the CLI while the
// visor is SIGKILLed at varying moments, in a loop; the file must always
// parse and be one of the two valid versions. Every process is stopped by PID.
#include <doctest/doctest.h>

#include <csignal>

#include "tests/e2e/visor/visor_procs.hpp"

using namespace e2e_visor;

namespace {

json::object echo_app(const std::string& name, uint16_t port, bool auto_start) {
  return json::object{{"name", name},
                      {"binary", "skywire"},
                      {"args", json::array{"app", "echo"}},
                      {"auto_start", auto_start},
                      {"port", port}};
}

/// launcher.apps = echo (auto_start, port 10), echo-2 (port 11), and the
/// default config's vpn-client (no such app in this build).
void with_apps(json::object& c) {
  auto& l = c["launcher"].as_object();
  json::array apps{echo_app("echo", 10, true), echo_app("echo-2", 11, false)};
  for (const auto& a : l["apps"].as_array())
    if (a.as_object().at("name") == "vpn-client")
      apps.push_back(a);
  l["apps"] = std::move(apps);
}

json::object app_of(const json::value& ls, const std::string& name) {
  for (const auto& a : ls.as_array())
    if (a.as_object().at("name") == name.c_str())
      return a.as_object();
  FAIL("no app " << name << " in " << json::serialize(ls));
  return {};
}

json::object ls_app(const visor_proc& v, const std::string& name) {
  return app_of(call_json(v, {"app", "ls"}), name);
}

bool app_state(const visor_proc& v, const std::string& name, const char* state) {
  return ls_app(v, name).at("state") == state;
}

json::value file_json(const visor_proc& v) {
  return json::parse(skywire::test::read_text(v.config));
}

json::value with_auto_start(json::value c, const std::string& name, bool on) {
  for (auto& a : c.as_object()["launcher"].as_object()["apps"].as_array())
    if (a.as_object().at("name") == name.c_str())
      a.as_object()["auto_start"] = on;
  return c;
}

void start_with_faults(visor_proc& v, const fs::path& log) {
  v.log = log;
  v.p.pid = -1; // (a process of an earlier round was reaped)
  v.p.reaped = false;
  REQUIRE(skywire::test::spawn(v.p,
                               {binary, "visor", "-c", v.config.string(),
                                "--enable-fault-injection"},
                               v.log));
  await_visor(v, "visor started");
}

} // namespace

TEST_CASE("apps e2e: auto_start, ls/start/stop/autostart/log over the CLI, a crashed app comes back by policy") {
  skywire::test::temp_dir tmp;
  visor_proc v;
  make_visor(v, tmp.path, "v", with_apps);
  start_with_faults(v, v.dir / "visor.log");

  // echo runs from the config (it listens on routing port 10), echo-2 waits,
  // vpn-client is errored with a status that says why
  REQUIRE_MESSAGE(eventually([&] { return app_state(v, "echo", "running"); }, 10s),
                  skywire::test::read_text(v.log));
  auto ls = call_json(v, {"app", "ls"});
  auto echo = app_of(ls, "echo");
  CHECK(echo["detailed_status"] == "Running");
  CHECK(echo["status"] == 1);
  CHECK(echo["port"] == 10);
  CHECK(echo["auto_start"] == true);
  CHECK(echo["app"] == "echo");
  CHECK(app_of(ls, "echo-2")["state"] == "stopped");
  auto vpn = app_of(ls, "vpn-client");
  CHECK(vpn["state"] == "errored");
  CHECK(vpn["status"] == 2);
  CHECK(std::string{vpn["detailed_status"].as_string()}.find("unknown app \"vpn-client\"")
        != std::string::npos);
  CHECK(fs::is_directory(v.dir / "local" / "echo"));
  // the table has the reference's columns
  auto table = cli({"cli", "visor", "app", "ls", "--rpc", v.rpc});
  REQUIRE(table.code == 0);
  CHECK(table.out.find("auto_start") != std::string::npos);
  CHECK(table.out.find("Running") != std::string::npos);
  // --help of every command
  for (auto* c : {"ls", "start", "stop", "autostart", "log"}) {
    auto h = cli({"cli", "visor", "app", c, "--help"});
    CHECK(h.code == 0);
    CHECK(h.out.find("--json") != std::string::npos);
  }

  // a crash (fault injection): errored, then back by the policy (1 s back-off)
  auto crash = cli({"cli", "visor", "debug", "crash", "app/echo", "--rpc", v.rpc});
  REQUIRE_MESSAGE(crash.code == 0, crash.err);
  REQUIRE_MESSAGE(eventually(
                    [&] {
                      auto e = ls_app(v, "echo");
                      return e["restarts"] == 1 && e["state"] == "running";
                    },
                    10s),
                  skywire::test::read_text(v.log));
  auto after = ls_app(v, "echo");
  CHECK(std::string{after["error"].as_string()}.find("injected fault") != std::string::npos);
  auto log = call_json(v, {"app", "log", "echo"}).as_array();
  bool crashed = false, restarting = false;
  for (const auto& l : log) {
    std::string s{l.as_string()};
    crashed = crashed || s.find("crashed: ") != std::string::npos;
    restarting = restarting || s.find("restarting in 1s") != std::string::npos;
  }
  CHECK(crashed);
  CHECK(restarting);
  // --since in the future: nothing
  CHECK(call_json(v, {"app", "log", "echo", "--since", "2100-01-01T00:00:00Z"}).as_array().empty());
  auto bad_since = cli({"cli", "visor", "app", "log", "echo", "--since", "yesterday", "--rpc", v.rpc});
  CHECK(bad_since.code != 0);

  // stop and start
  auto stopped = call_json(v, {"app", "stop", "echo"}).as_object();
  CHECK(stopped["state"] == "stopped");
  CHECK(stopped["detailed_status"] == "Stopped");
  auto started = call_json(v, {"app", "start", "echo-2"}).as_object();
  CHECK(started["name"] == "echo-2");
  REQUIRE(eventually([&] { return app_state(v, "echo-2", "running"); }, 10s));
  auto twice = cli({"cli", "visor", "app", "start", "echo-2", "--rpc", v.rpc});
  CHECK(twice.code == 1);
  CHECK(twice.err.find("already running") != std::string::npos);
  auto unknown = cli({"cli", "visor", "app", "start", "vpn-client", "--rpc", v.rpc});
  CHECK(unknown.code == 1);
  CHECK(unknown.err.find("unknown app") != std::string::npos);
  auto nope = cli({"cli", "visor", "app", "stop", "nope", "--rpc", v.rpc});
  CHECK(nope.code == 1);

  // autostart: answered once the file says so; the rest of the file as it was
  auto before = file_json(v);
  auto on = call_json(v, {"app", "autostart", "echo-2", "on"}).as_object();
  CHECK(on["auto_start"] == true);
  CHECK(file_json(v) == with_auto_start(before, "echo-2", true));
  auto off = call_json(v, {"app", "arg", "autostart", "echo", "false"}).as_object();
  CHECK(off["auto_start"] == false);
  CHECK(file_json(v) == with_auto_start(with_auto_start(before, "echo-2", true), "echo", false));
  CHECK(cli({"cli", "config", "check", v.config.string()}).code == 0);
  auto bad = cli({"cli", "visor", "app", "autostart", "echo", "maybe", "--rpc", v.rpc});
  CHECK(bad.code == 2);

  // SIGTERM stops the apps with the visor
  REQUIRE(v.p.stop(SIGTERM, 10s));
  CHECK(v.p.exit_code() == 0);
}

TEST_CASE("apps e2e: a config written back by the CLI is never left partial (the visor killed mid-write, in a loop)") {
  skywire::test::temp_dir tmp;
  visor_proc v;
  make_visor(v, tmp.path, "v", with_apps);
  // How long a toggle takes from the CLI's start to its answer (the visor
  // running): the kill moments are spread over that span and a little past
  // it, so some kills land before the write, some during, some after.
  std::chrono::microseconds span{0};
  {
    start_with_faults(v, v.dir / "visor-calibrate.log");
    for (int k = 0; k < 4; ++k) {
      auto t0 = std::chrono::steady_clock::now();
      auto r = cli({"cli", "visor", "app", "autostart", "echo-2", k % 2 ? "off" : "on", "--rpc",
                    v.rpc});
      REQUIRE(r.code == 0);
      span = std::max(span, std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - t0));
    }
    v.p.kill_now();
  }
  const int rounds = 40;
  int changed = 0, unchanged = 0;
  for (int i = 0; i < rounds; ++i) {
    start_with_faults(v, v.dir / ("visor-" + std::to_string(i) + ".log"));
    auto current = file_json(v);
    bool was = current.at("launcher").at("apps").at(1).at("auto_start").as_bool();
    auto toggled = with_auto_start(current, "echo-2", !was);
    // every 5th round waits for the answer (the write must be there then)
    bool after_answer = i % 5 == 4;
    auto delay = std::chrono::microseconds{
      static_cast<int64_t>(static_cast<double>(span.count()) * (0.1 + 1.0 * i / rounds))};
    process client;
    REQUIRE(skywire::test::spawn(client,
                                 {binary, "cli", "visor", "app", "autostart", "echo-2",
                                  was ? "off" : "on", "--rpc", v.rpc},
                                 tmp.path / "client.log"));
    if (after_answer) {
      REQUIRE(client.wait_for(20s));
      CHECK(client.exit_code() == 0);
    } else {
      std::this_thread::sleep_for(delay);
    }
    v.p.kill_now(); // SIGKILL, reaped
    REQUIRE(client.stop(SIGTERM, 20s));
    json::value now;
    REQUIRE_NOTHROW(now = file_json(v));
    bool old_version = now == current, new_version = now == toggled;
    CHECK_MESSAGE((old_version || new_version), "round ", i, ": ", json::serialize(now));
    if (after_answer)
      CHECK(new_version);
    (new_version ? changed : unchanged)++;
    auto chk = cli({"cli", "config", "check", v.config.string()});
    CHECK_MESSAGE(chk.code == 0, chk.err);
  }
  // temporaries left by kills between their creation and the rename
  int left = 0;
  for (const auto& e : fs::directory_iterator{v.dir})
    left += e.path().filename().string().find("skywire-config.json.tmp-") == 0 ? 1 : 0;
  MESSAGE("kill loop: " << rounds << " rounds over " << span.count() << " us, " << changed
                        << " written, " << unchanged << " not yet, " << left
                        << " killed mid-write (a temporary left)");
  CHECK(changed >= rounds / 5);
}
