// End to end: the real `skywire` binary (SKYWIRE_BINARY) on loopback/unix
// sockets in a temp dir. Every process started here is killed by PID when a
// check fails (process guard).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "runtime/config/errors.hpp"
#include "runtime/config/registry.hpp"
#include "tests/support/process.hpp"
#include "tests/support/build_paths.hpp"
#include "tests/support/wait.hpp"

extern char** environ;

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string binary = SKYWIRE_BINARY;

using skywire::test::process;
using skywire::test::run_result;
using skywire::test::temp_dir;

// Starts the binary with stdout/stderr to `log` (append).
void start(process& p, std::vector<std::string> args, const fs::path& log) {
  args.insert(args.begin(), binary);
  REQUIRE(skywire::test::spawn(p, std::move(args), log));
}

// Runs the binary to completion (bounded: killed after 30 s).
run_result run(std::vector<std::string> args) {
  args.insert(args.begin(), binary);
  auto r = skywire::test::run(std::move(args), 30s);
  REQUIRE_FALSE(r.timed_out);
  return r;
}

int dial_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof(sa.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Waits until the socket at `path` takes a connection: re-tried when its
/// folder changes (the listener creating it), not on a timer.
bool wait_for_socket(const std::string& path, std::chrono::milliseconds limit) {
  return skywire::test::wait_in_dir(std::filesystem::path{path}.parent_path(), limit, [&] {
    int fd = dial_unix(path);
    if (fd < 0)
      return false;
    ::close(fd);
    return true;
  });
}

// Sends bytes, reads one line (bounded). "" on EOF/timeout.
std::string roundtrip(int fd, const std::string& bytes, std::chrono::milliseconds limit = 5s) {
  size_t off = 0;
  while (off < bytes.size()) {
    auto n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0)
      break;
    off += static_cast<size_t>(n);
  }
  std::string in;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (in.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      break;
    in.append(buf, static_cast<size_t>(n));
  }
  auto nl = in.find('\n');
  return nl == std::string::npos ? std::string{} : in.substr(0, nl);
}

json::object call(const std::string& sock, const std::string& line) {
  int fd = dial_unix(sock);
  REQUIRE(fd >= 0);
  auto reply = roundtrip(fd, line + "\n");
  ::close(fd);
  REQUIRE_MESSAGE(!reply.empty(), line);
  return json::parse(reply).as_object();
}

json::value actors_json(const temp_dir&, const std::string& sock) {
  auto r = run({"cli", "visor", "actors", "--json", "--rpc", "unix://" + sock});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  return json::parse(r.out);
}

json::object child(const json::value& tree, const std::string& name) {
  for (auto& c : tree.as_object().at("children").as_array())
    if (c.as_object().at("name") == name.c_str())
      return c.as_object();
  FAIL("no child " << name);
  return {};
}

std::string read_file(const fs::path& p) {
  std::ifstream in{p};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// gen a local config in dir; returns the socket path
std::string gen_config(const temp_dir& dir, const std::string& extra_timeout = {}) {
  auto cfg = dir.path / "skywire-config.json";
  auto r = run({"cli", "config", "gen", "--local", "-o", cfg.string(), "--local-path",
                (dir.path / "local").string()});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  struct stat st {};
  REQUIRE(::stat(cfg.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  if (!extra_timeout.empty()) {
    auto v = json::parse(read_file(cfg)).as_object();
    v["shutdown_timeout"] = extra_timeout;
    std::ofstream{cfg} << json::serialize(v);
  }
  return (dir.path / "local" / "cli.sock").string();
}

} // namespace

TEST_CASE("usage errors and an absent visor") {
  auto unknown = run({"frobnicate"});
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("unknown command") != std::string::npos);
  auto help = run({"--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("visor") != std::string::npos);
  auto tree = run({"tree"});
  CHECK(tree.code == 0);
  CHECK(tree.out.find("gen-keys") != std::string::npos);
  CHECK(tree.out.find("actors") != std::string::npos);
  CHECK(run({"cli", "config", "gen", "--help"}).code == 0);
  CHECK(run({"cli", "config", "gen", "--bogus"}).code == 2);
  temp_dir dir;
  auto sock = (dir.path / "nobody.sock").string();
  auto r = run({"cli", "visor", "pk", "--rpc", "unix://" + sock});
  CHECK(r.code == 1);
  CHECK(r.err.find("cannot reach the visor at unix://" + sock + ": is it running?")
        != std::string::npos);
  auto keys = run({"cli", "config", "gen-keys"});
  CHECK(keys.code == 0);
  CHECK(keys.out.size() == 66 + 1 + 64 + 1);
}

TEST_CASE("config gen writes the reference version, --go-compatible a TCP cli_addr") {
  auto plain = run({"cli", "config", "gen", "-n"});
  REQUIRE_MESSAGE(plain.code == 0, plain.err);
  auto p = json::parse(plain.out).as_object();
  CHECK(p["version"] == "v1.3.20");
  CHECK(p["cli_addr"].as_string().starts_with("unix://")); // our default
  auto go = run({"cli", "config", "gen", "-n", "--go-compatible"});
  REQUIRE_MESSAGE(go.code == 0, go.err);
  auto g = json::parse(go.out).as_object();
  CHECK(g["version"] == "v1.3.20");
  CHECK(g["cli_addr"] == "localhost:3435");
  auto other = run({"cli", "config", "gen", "-n", "--go-compatible", "--cli-addr", "127.0.0.1:4435"});
  REQUIRE_MESSAGE(other.code == 0, other.err);
  CHECK(json::parse(other.out).as_object()["cli_addr"] == "127.0.0.1:4435");
  auto bad = run({"cli", "config", "gen", "-n", "--go-compatible", "--cli-addr", "/tmp/x.sock"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("TCP only") != std::string::npos);
}

TEST_CASE("a bad config is refused with the key named") {
  temp_dir dir;
  gen_config(dir);
  auto cfg = dir.path / "skywire-config.json";
  auto v = json::parse(read_file(cfg)).as_object();
  v["dmsg"].as_object()["sessions_count"] = -3;
  std::ofstream{cfg} << json::serialize(v);
  auto r = run({"visor", "-c", cfg.string()});
  CHECK(r.code == 1);
  CHECK(r.err.find("dmsg.sessions_count: expected a non-negative integer") != std::string::npos);
  auto chk = run({"cli", "config", "check", cfg.string()});
  CHECK(chk.code == 1);
}

TEST_CASE("visor: queries, fault injection with restarts, SIGTERM within the timeout") {
  temp_dir dir;
  auto sock = gen_config(dir);
  auto cfg_path = dir.path / "skywire-config.json";
  auto cfg = skywire::config::load_file(cfg_path.string());
  REQUIRE(cfg);
  auto log = dir.path / "visor.log";
  process visor;
  start(visor, {"visor", "-c", cfg_path.string(), "--enable-fault-injection"}, log);
  REQUIRE_MESSAGE(wait_for_socket(sock, 15s), read_file(log));
  struct stat st {};
  REQUIRE(::stat(sock.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // through the CLI
  auto rpc = "unix://" + sock;
  auto pk = run({"cli", "visor", "pk", "--rpc", rpc});
  REQUIRE_MESSAGE(pk.code == 0, pk.err);
  CHECK(pk.out == cfg->pk.hex() + "\n");
  auto pkj = run({"cli", "visor", "pk", "--json", "-c", cfg_path.string()});
  REQUIRE_MESSAGE(pkj.code == 0, pkj.err);
  CHECK(json::parse(pkj.out) == cfg->pk.hex().c_str());
  auto info = run({"cli", "visor", "info", "--json", "--rpc", rpc});
  REQUIRE_MESSAGE(info.code == 0, info.err);
  auto io = json::parse(info.out).as_object();
  CHECK(io["pk"] == cfg->pk.hex().c_str());
  CHECK(io["config_path"] == cfg_path.c_str());
  CHECK(io["fault_injection"] == true);
  CHECK(io.contains("dmsg_sessions"));
  CHECK(io["uptime_seconds"].is_number());
  auto human = run({"cli", "visor", "actors", "--rpc", rpc});
  CHECK(human.code == 0);
  CHECK(human.out.find("cli_gateway") != std::string::npos);
  auto tree = actors_json(dir, sock);
  CHECK(child(tree, "config_owner")["restarts"] == 0);
  CHECK(child(tree, "cli_gateway")["state"] == "running");

  // directly over the socket
  auto r1 = call(sock, R"({"id":7,"method":"visor.pk"})");
  CHECK(r1["id"] == 7);
  CHECK(r1["result"] == cfg->pk.hex().c_str());
  auto r2 = call(sock, R"({"id":"x","method":"no.such"})");
  CHECK(r2["id"] == "x");
  CHECK(r2["error"].as_object()["code"] == -32601);
  auto r3 = call(sock, R"({"id":1,"method":)");
  CHECK(r3["error"].as_object()["code"] == -32700);
  auto r4 = call(sock, R"({"id":2,"method":"debug.crash","params":{"actor":"nobody"}})");
  CHECK(r4["error"].as_object()["code"] == -32000);
  {
    // an over-long line: an error, then the connection is closed
    int fd = dial_unix(sock);
    REQUIRE(fd >= 0);
    auto reply = roundtrip(fd, std::string(70 * 1024, 'a'));
    REQUIRE(!reply.empty());
    CHECK(json::parse(reply).as_object()["error"].as_object()["code"] == -32600);
    char c;
    pollfd p{fd, POLLIN, 0};
    CHECK(::poll(&p, 1, 3000) == 1);
    CHECK(::recv(fd, &c, 1, 0) == 0);
    ::close(fd);
  }
  // several requests on one connection, pipelined
  {
    int fd = dial_unix(sock);
    REQUIRE(fd >= 0);
    auto first = roundtrip(fd, "{\"id\":1,\"method\":\"visor.pk\"}\n{\"id\":2,\"method\":\"visor.pk\"}\n");
    CHECK(!first.empty());
    ::close(fd);
  }

  // inject a crash into config_owner: restarted, count rises
  auto crash = call(sock, R"({"id":3,"method":"debug.crash","params":{"actor":"config_owner"}})");
  CHECK(crash["result"] == "injected");
  // the actor table announces the restart by no event: a bounded poll
  CHECK(skywire::test::eventually(
    [&] {
      auto c = child(actors_json(dir, sock), "config_owner");
      return c["restarts"] == 1 && c["state"] == "running";
    },
    5s));
  // crash the gateway itself: the socket comes back
  int fd = dial_unix(sock);
  REQUIRE(fd >= 0);
  roundtrip(fd, "{\"id\":4,\"method\":\"debug.crash\",\"params\":{\"actor\":\"cli_gateway\"}}\n", 2s);
  ::close(fd);
  // The old socket may still answer for a moment: the loop below waits for
  // the restarted gateway itself (restarts == 1), whatever the socket does.
  REQUIRE_MESSAGE(wait_for_socket(sock, 10s), read_file(log));
  CHECK(skywire::test::eventually(
    [&] {
      auto r = run({"cli", "visor", "actors", "--json", "--rpc", rpc});
      return r.code == 0 && child(json::parse(r.out), "cli_gateway")["restarts"] == 1;
    },
    5s));

  // SIGTERM: clean exit within shutdown_timeout (10 s), socket removed
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(::kill(visor.pid, SIGTERM) == 0);
  REQUIRE_MESSAGE(visor.wait_for(12s), read_file(log));
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(visor.exit_code() == 0);
  CHECK(took < 10s);
  CHECK_FALSE(fs::exists(sock));
  auto text = read_file(log);
  CHECK(text.find("msg=\"visor started\"") != std::string::npos);
  CHECK(text.find("msg=\"visor stopped\"") != std::string::npos);
  CHECK(text.find(cfg->sk.hex()) == std::string::npos);
  MESSAGE("SIGTERM to exit: " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                              << " ms");
}

TEST_CASE("visor: fault injection is off by default, visor.halt stops it") {
  temp_dir dir;
  auto sock = gen_config(dir);
  auto log = dir.path / "visor.log";
  process visor;
  start(visor, {"visor", "-c", (dir.path / "skywire-config.json").string(), "--log-json"}, log);
  REQUIRE_MESSAGE(wait_for_socket(sock, 15s), read_file(log));
  auto r = call(sock, R"({"id":1,"method":"debug.crash","params":{"actor":"config_owner"}})");
  CHECK(r["error"].as_object()["code"] == -32601);
  auto halt = run({"cli", "visor", "halt", "--rpc", "unix://" + sock});
  CHECK(halt.code == 0);
  REQUIRE(visor.wait_for(10s));
  CHECK(visor.exit_code() == 0);
  // JSON log lines
  std::istringstream lines{read_file(log)};
  int n = 0;
  for (std::string l; std::getline(lines, l);) {
    auto v = json::parse(l).as_object();
    CHECK(v.contains("level"));
    ++n;
  }
  CHECK(n >= 2);
}

/// Voluntary context switches of all a process's threads: how often they
/// went to sleep, so how often something woke them.
uint64_t sleeps_of(pid_t pid) {
  uint64_t n = 0;
  std::error_code ec;
  for (const auto& t : fs::directory_iterator(fs::path{"/proc"} / std::to_string(pid) / "task", ec)) {
    std::istringstream in{read_file(t.path() / "status")};
    for (std::string l; std::getline(in, l);)
      if (l.rfind("voluntary_ctxt_switches:", 0) == 0)
        n += std::stoull(l.substr(l.find(':') + 1));
  }
  return n;
}

TEST_CASE("an idle visor sleeps: its threads wake a few times a second, not on every tick") {
  temp_dir dir;
  auto sock = gen_config(dir);
  {
    // no address resolver: no sudph channel whose first message, unanswered
    // here, KCP would keep sending on its 100 ms flush interval
    auto cfg = dir.path / "skywire-config.json";
    auto v = json::parse(read_file(cfg)).as_object();
    v["transport"].as_object()["address_resolver"] = "";
    std::ofstream{cfg} << json::serialize(v);
  }
  auto log = dir.path / "visor.log";
  process visor;
  start(visor, {"visor", "-c", (dir.path / "skywire-config.json").string()}, log);
  REQUIRE_MESSAGE(wait_for_socket(sock, 15s), read_file(log));
  // Its other services are unreachable here (nothing listens on the local
  // ports), so it retries with back-off: a measurement window, not a wait
  // for an event. Now 10-12 wake-ups a second in its first seconds (CAF's clock and
  // multiplexer threads, the back-offs); before the shard slept until its
  // next timer and the main thread until a signal or the visor's end, the
  // main thread alone woke 21 times a second (a 100 ms signal poll and a
  // mailbox poll), the shard 100 times while any timer was pending.
  auto s0 = sleeps_of(visor.pid);
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(3s);
  auto rate = static_cast<double>(sleeps_of(visor.pid) - s0)
              / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("idle visor: " << rate << " wake-ups a second, all threads");
  CHECK(rate < 20);
  REQUIRE(::kill(visor.pid, SIGTERM) == 0);
  REQUIRE_MESSAGE(visor.wait_for(12s), read_file(log));
  CHECK(visor.exit_code() == 0);
}

TEST_CASE("the reference's config runs a visor on its TCP cli_addr") {
  temp_dir dir;
  // the reference file, with cli_addr moved to a free loopback port
  auto v = json::parse(read_file(std::string{SKYWIRE_VECTORS_DIR} + "/skywire/configs/config-gen.json")).as_object();
  int probe = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sa);
  REQUIRE(::bind(probe, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
  ::getsockname(probe, reinterpret_cast<sockaddr*>(&sa), &len);
  int port = ntohs(sa.sin_port);
  ::close(probe);
  v["cli_addr"] = "localhost:" + std::to_string(port);
  v["local_path"] = (dir.path / "local").string();
  // network rule: nothing but loopback, whatever subsystems the visor grows
  v["dmsg"].as_object()["discovery"] = "http://127.0.0.1:1";
  v["transport"].as_object()["discovery"] = "http://127.0.0.1:1";
  v["transport"].as_object()["address_resolver"] = "http://127.0.0.1:1";
  // the bandwidth logs in the test's folder, not the working directory's ./local
  v["transport"].as_object()["log_store"].as_object()["location"] =
    (dir.path / "local" / "transport_logs").string();
  v["routing"].as_object()["route_finder"] = "http://127.0.0.1:1";
  v["uptime_tracker"].as_object()["addr"] = "http://127.0.0.1:1";
  v["launcher"].as_object()["service_discovery"] = "http://127.0.0.1:1";
  v["stun_servers"] = json::array{};
  auto cfg = dir.path / "ref.json";
  std::ofstream{cfg} << json::serialize(v);
  auto log = dir.path / "visor.log";
  process visor;
  start(visor, {"visor", "-c", cfg.string()}, log);
  // up once its RPC answers (a TCP listener announces itself by no event here)
  run_result pk;
  skywire::test::eventually(
    [&] {
      pk = run({"cli", "visor", "pk", "--rpc", "127.0.0.1:" + std::to_string(port)});
      return pk.code == 0;
    },
    15s, 100ms);
  CHECK_MESSAGE(pk.code == 0, read_file(log));
  CHECK(pk.out == "023b366c597a806126e62a5312504d459bfcf302930252bde7158913c21846df40\n");
  REQUIRE(::kill(visor.pid, SIGINT) == 0);
  REQUIRE(visor.wait_for(12s));
  CHECK(visor.exit_code() == 0);
}
