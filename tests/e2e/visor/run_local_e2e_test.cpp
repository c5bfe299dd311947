// The README's main command, scripts/run-local.sh (issue 11: "stops
// everything cleanly on Ctrl-C"): started as a terminal starts it (a process
// group of its own), on ephemeral ports, with two visors and the binary this
// build made (SKIP_BUILD=1); once it says it runs, the whole group gets
// SIGINT, as a Ctrl-C sends it (and, apart, the script alone gets SIGTERM, as
// from `kill PID`). The script must then end (130, 143), every process
// it started must be gone, and each visor must have stopped by itself (a
// clean shutdown, not one forced by a second signal or the script's SIGKILL).
// Bounded waits on the script's output and on pidfds; nothing leaves
// 127.0.0.1.
#include <doctest/doctest.h>

#include <signal.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/build_paths.hpp"
#include "tests/support/process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

/// PIDs of the processes whose command line mentions `needle`.
std::vector<pid_t> processes_naming(const std::string& needle) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (fs::directory_iterator it{"/proc", ec}, end; !ec && it != end; it.increment(ec)) {
    const auto& e = *it;
    auto name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    auto cmd = skywire::test::read_text(e.path() / "cmdline");
    for (auto& c : cmd)
      if (c == '\0')
        c = ' ';
    if (cmd.find(needle) != std::string::npos)
      out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

/// Runs the script until it says it runs, then stops it with `sig`, sent to
/// its whole process group (a terminal's Ctrl-C) or to the script alone (a
/// `kill PID`, a supervisor's stop).
void run_and_stop(int sig, bool group, int want_exit) {
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  const fs::path src = skywire::test_paths::source_dir();
  const fs::path bin = skywire::test_paths::binary();
  const auto run_dir = tmp.path / "run";
  const auto out = tmp.path / "run-local.out";

  skywire::test::spawn_options opts;
  opts.env = {"BUILD_DIR=" + bin.parent_path().string(), "RUN_DIR=" + run_dir.string(),
              "PORTS=ephemeral", "VISORS=2", "CHAT_PORT_BASE=0", "SKIP_BUILD=1"};
  opts.own_group = true; // as a shell's job: what a terminal's Ctrl-C reaches
  skywire::test::process script_proc;
  REQUIRE(skywire::test::spawn(script_proc, {"bash", (src / "scripts" / "run-local.sh").string()},
                               out, opts));
  // whatever happens below, nothing started here outlives the test
  struct reaper {
    std::string needle;
    ~reaper() {
      for (auto pid : processes_naming(needle))
        ::kill(pid, SIGKILL);
    }
  } reap{run_dir.string()};

  REQUIRE_MESSAGE(skywire::test::wait_for_text(out, "Ctrl-C stops everything", 90s),
                  skywire::test::read_text(out));
  auto started = processes_naming(run_dir.string());
  CHECK(started.size() >= 3); // the control plane and two visors

  REQUIRE(::kill(group ? -script_proc.pid : script_proc.pid, sig) == 0);
  REQUIRE_MESSAGE(script_proc.wait_for(30s), skywire::test::read_text(out));
  CHECK(script_proc.exit_code() == want_exit);
  auto text = skywire::test::read_text(out);
  CHECK(text.find("stopped") != std::string::npos);
  for (auto pid : started)
    CHECK(skywire::test::wait_pid_gone(pid, 5s));
  CHECK(processes_naming(run_dir.string()).empty());
  for (int i = 1; i <= 2; ++i) {
    CAPTURE(i);
    auto log = skywire::test::read_text(run_dir / ("visor" + std::to_string(i)) / "visor.log");
    CHECK(log.find("visor stopping") != std::string::npos);
    CHECK(log.find("visor stopped") != std::string::npos);
    CHECK(log.find("forcing exit") == std::string::npos);
  }
}

} // namespace

TEST_CASE("run-local.sh: comes up, and a Ctrl-C (SIGINT to its process group) stops every "
          "process cleanly and ends the script") {
  run_and_stop(SIGINT, true, 130);
}

TEST_CASE("run-local.sh: a SIGTERM to the script alone stops every process cleanly and ends it") {
  run_and_stop(SIGTERM, false, 143);
}
