// The dmsg server and the dmsg discovery under a hostile flood, full form
// (tests/actors/services/dmsg_server/flood_test.cpp is the CI form).
//
//   S = `skywire dmsg local` (discovery + one dmsg server) in its OWN process,
//       started here, stopped by PID on every path; its RSS from /proc.
//   A, B, C = real dmsg clients in this process (127.0.0.1).
//   the flood = tests/support/flood.hpp in this process: N connections of
//       mixed kinds from many loopback sources (127.1.x.y and 127.0.0.2..),
//       reopened when the server closes them (at a bounded rate).
//
// Phases and figures (one "FLOOD ..." line each):
//   1. unloaded: A -> B single-stream throughput; S's idle RSS.
//   2. dmsg flood (half-open, slowloris, garbage, oversized length, valid XK
//      message 1 then silence): A -> B throughput on its session opened
//      before; a new client C: time to a session, then C -> B throughput;
//      /health latency (max of samples); S's peak RSS.
//   3. after: S's RSS each 0.5 s until within 16 MiB of idle (at most 10 s).
//   4. discovery flood (idle and slowloris HTTP connections): latency of
//      honest GET /dmsg-discovery/entry/{B} (each must succeed, max), then
//      `--registrations` signed new-key POSTs from one source (127.0.0.1):
//      how many were stored, how many refused with 429.
// Pass/fail per criterion of issue 8 in the last lines.
//
// usage: bench_flood_bench [--skywire PATH] [--connections N] [--reconnects N/s]
//                          [--seconds S] [--samples N] [--registrations N]
//                          [--preload LIB]
// Each throughput (unloaded, the old session and the new one under the
// flood) is the median of --samples runs of --seconds (min/median/max
// printed): one 3-second sample moves by +-10 % on a 2-core machine.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dmsg/client.hpp"
#include "bench/dmsg_bench_actors.hpp"
#include "bench/dmsg_bench_deploy.hpp"
#include "bench/dmsg_bench_proc.hpp"
#include "messages/wire/dmsg/discovery_entry.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/system/actor_system.hpp"
#include "runtime/system/memory.hpp"
#include "tests/support/flood.hpp"

using namespace skywire;
using namespace dmsg_bench;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct options {
  std::string skywire;
  size_t connections = 10000;
  uint32_t reconnects = 2000;
  double seconds = 3;
  int samples = 3; ///< throughput samples per phase (median reported)
  size_t registrations = 100000;
  std::string preload; ///< LD_PRELOAD for the server (e.g. Debian's libjemalloc.so.2)
};

dmsg::client_config base_client(const deployment& d, bool with_discovery) {
  return dmsg_bench::base_client(d, with_discovery, 100, 500);
}

/// Milliseconds until the client is ready, or NAN.
double wait_ready(caf::actor_system& sys, const api::dmsg_client_actor& c, std::chrono::seconds limit,
                  std::string* err = nullptr) {
  caf::scoped_actor self{sys};
  auto t0 = clk::now();
  double ms = NAN;
  self->request(c, limit, api::ready_atom::value)
    .receive([&](api::ok_atom) { ms = ms_since(t0); },
             [&](caf::error& e) {
               if (err)
                 *err = describe(e);
             });
  return ms;
}

/// min, median and max of a phase's throughput samples.
struct spread {
  double min = NAN, median = NAN, max = NAN;
};

spread spread_of(std::vector<double> v) {
  std::erase_if(v, [](double x) { return std::isnan(x); });
  if (v.empty())
    return {};
  std::sort(v.begin(), v.end());
  return {v.front(), v[v.size() / 2], v.back()};
}

std::string fmt_spread(const spread& s) {
  return fmt(s.min, 1) + "/" + fmt(s.median, 1) + "/" + fmt(s.max, 1);
}

/// MiB/s of `from` -> `to` over `seconds` (sink bytes over sink time).
double throughput(caf::actor_system& sys, const api::dmsg_client_actor& from, const address& to,
                  const std::shared_ptr<sink_stats>& st, double seconds) {
  auto before = st->bytes.load();
  auto p = std::make_shared<std::promise<send_result>>();
  auto f = p->get_future();
  auto budget = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  sys.spawn<sender>(from, to, uint64_t{1} << 40, budget, size_t{64 * 1024}, uint64_t{1024 * 1024}, p);
  if (f.wait_for(budget + 20s) != std::future_status::ready)
    die("throughput: no result");
  auto r = f.get();
  auto deadline = clk::now() + 10s;
  while (st->bytes.load() - before < r.sent && clk::now() < deadline)
    std::this_thread::sleep_for(2ms);
  if (r.stream)
    caf::anon_send(r.stream, api::close_atom::value);
  if (!r.error.empty()) {
    note("throughput: " + r.error);
    return NAN;
  }
  double secs = std::chrono::duration<double>(clk::time_point{clk::duration{st->last_ns.load()}}
                                              - r.t0)
                  .count();
  return secs > 0 ? static_cast<double>(st->bytes.load() - before) / (1024.0 * 1024.0) / secs : NAN;
}

/// Max and count of failures of n GETs of `path` (ms).
std::pair<double, int> get_latency(uint16_t port, const std::string& path, int n,
                                   std::chrono::milliseconds timeout) {
  double worst = 0;
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    auto t0 = clk::now();
    auto r = http_get(port, path, timeout);
    auto ms = ms_since(t0);
    if (!r)
      ++failed;
    worst = std::max(worst, ms);
    std::this_thread::sleep_for(20ms);
  }
  return {worst, failed};
}

/// POSTs `n` signed entries of fresh keys over one keep-alive connection
/// from 127.0.0.1; counts replies by status.
struct post_counts {
  uint64_t ok = 0, too_many = 0, other = 0;
  std::string first_refusal;
};
post_counts post_registrations(uint16_t port, size_t n) {
  post_counts pc;
  int fd = -1;
  auto reconnect = [&] {
    if (fd >= 0)
      ::close(fd);
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  };
  if (!reconnect())
    return pc;
  std::string buf;
  for (size_t i = 0; i < n; ++i) {
    auto kp = crypto::generate_keypair();
    wire::dmsg::entry e;
    e.version = std::string{wire::dmsg::entry_version};
    e.sequence = 0;
    e.timestamp = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    e.static_pk = kp.pk;
    e.client = wire::dmsg::client_part{};
    auto text = wire::dmsg::encode_for_signing(e);
    e.sig = crypto::sign(byte_span{reinterpret_cast<const uint8_t*>(text.data()), text.size()}, kp.sk);
    std::string body = wire::dmsg::encode(e);
    std::string req = "POST /dmsg-discovery/entry/ HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      "application/json\r\nContent-Length: "
                      + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      if (!reconnect())
        break;
      continue;
    }
    // one response: headers + Content-Length body
    buf.clear();
    char tmp[4096];
    size_t need = std::string::npos;
    while (true) {
      auto he = buf.find("\r\n\r\n");
      if (he != std::string::npos && need == std::string::npos) {
        auto cl = buf.find("Content-Length: ");
        need = he + 4 + (cl != std::string::npos && cl < he ? std::stoul(buf.substr(cl + 16)) : 0);
      }
      if (need != std::string::npos && buf.size() >= need)
        break;
      auto r = ::recv(fd, tmp, sizeof tmp, 0);
      if (r <= 0)
        break;
      buf.append(tmp, static_cast<size_t>(r));
    }
    if (buf.size() < 12) {
      ++pc.other;
      if (!reconnect())
        break;
      continue;
    }
    int st = std::stoi(buf.substr(9, 3));
    if (st == 200)
      ++pc.ok;
    else if (st == 429) {
      if (pc.too_many++ == 0)
        pc.first_refusal = buf.substr(buf.find("\r\n\r\n") + 4);
    } else
      ++pc.other;
    if (buf.find("Connection: close") != std::string::npos && !reconnect())
      break;
  }
  if (fd >= 0)
    ::close(fd);
  return pc;
}

} // namespace

int main(int argc, char** argv) {
  dmsg_bench::bench_name = "flood_bench";
  skywire::system::tune_allocator(); // as the skywire binary does
  options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc)
        die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--skywire")
      opt.skywire = val();
    else if (a == "--connections")
      opt.connections = std::stoul(val());
    else if (a == "--reconnects")
      opt.reconnects = static_cast<uint32_t>(std::stoul(val()));
    else if (a == "--seconds")
      opt.seconds = std::stod(val());
    else if (a == "--samples")
      opt.samples = std::max(1, std::stoi(val()));
    else if (a == "--registrations")
      opt.registrations = std::stoul(val());
    else if (a == "--preload")
      opt.preload = val();
    else {
      std::cerr << "usage: " << argv[0]
                << " [--skywire PATH] [--connections N] [--reconnects N/s] [--seconds S]"
                   " [--samples N] [--registrations N] [--preload LIB]\n";
      return a == "-h" || a == "--help" ? 0 : 2;
    }
  }
  auto bin = find_skywire(opt.skywire);
  if (bin.empty())
    die("skywire binary not found (pass --skywire PATH)");
  auto nofile = testing::raise_nofile_limit();
  if (nofile < opt.connections + 512)
    die("RLIMIT_NOFILE " + std::to_string(nofile) + " is too low for "
        + std::to_string(opt.connections) + " connections");
  auto load_start = loadavg();

  // ---- S --------------------------------------------------------------------------------
  auto info_path =
    (fs::temp_directory_path() / ("flood_bench_" + std::to_string(::getpid()) + ".json")).string();
  std::remove(info_path.c_str());
  auto server_port = free_port();
  if (!opt.preload.empty())
    ::setenv("LD_PRELOAD", opt.preload.c_str(), 1);
  pid_t spid = start_child({bin, "dmsg", "local", "--info-file", info_path, "--loglvl", "error",
                            "--server-port", std::to_string(server_port)});
  ::unsetenv("LD_PRELOAD");
  if (spid <= 0)
    die("cannot start " + bin);
  {
    auto deadline = clk::now() + 15s;
    while (!fs::exists(info_path) && clk::now() < deadline) {
      if (!child_alive())
        die("skywire dmsg local exited early");
      std::this_thread::sleep_for(20ms);
    }
    if (!fs::exists(info_path))
      die("no info file in 15 s");
  }
  auto dep = load_info(info_path);
  std::remove(info_path.c_str());
  note("server pid " + std::to_string(spid) + " at " + dep.server_address);

  caf::actor_system_config cfg;
  system::system_options so;
  so.max_threads = 2;
  system::configure(cfg, so);
  auto io = std::make_unique<io::io_runtime>(1);
  auto sys = std::make_unique<caf::actor_system>(cfg);
  auto b_cfg = base_client(dep, true);
  address b_sink{b_cfg.pk, port{81}};
  auto B = dmsg::spawn_dmsg_client(*sys, *io, b_cfg);
  auto A = dmsg::spawn_dmsg_client(*sys, *io, base_client(dep, false));
  if (std::isnan(wait_ready(*sys, B, 15s)) || std::isnan(wait_ready(*sys, A, 15s)))
    die("A or B not ready");
  auto sink_st = std::make_shared<sink_stats>();
  auto sink_actor = sys->spawn(sink, sink_st);
  {
    caf::scoped_actor self{*sys};
    self->request(B, 5s, api::listen_atom::value, port{81}, sink_actor)
      .receive([](api::ok_atom) {}, [](caf::error& e) { die("listen: " + describe(e)); });
  }

  // ---- 1: unloaded ----------------------------------------------------------------------
  throughput(*sys, A, b_sink, sink_st, 1); // warm-up
  std::vector<double> tp0_v;
  auto w00 = clk::now();
  auto scpu00 = proc_cpu_s(spid);
  for (int i = 0; i < opt.samples; ++i)
    tp0_v.push_back(throughput(*sys, A, b_sink, sink_st, opt.seconds));
  double server_cores0 =
    (proc_cpu_s(spid) - scpu00) / std::chrono::duration<double>(clk::now() - w00).count();
  auto tp0s = spread_of(tp0_v);
  double tp0 = tp0s.median;
  auto [health0, hfail0] = get_latency(dep.health_port, "/health", 20, 1000ms);
  std::this_thread::sleep_for(500ms);
  auto rss_idle = rss_kb(spid);
  note("unloaded: " + fmt(tp0, 1) + " MiB/s, RSS " + std::to_string(rss_idle) + " KiB");

  // ---- 2: dmsg flood --------------------------------------------------------------------
  testing::flood_config fc;
  fc.port = dep.server_port;
  fc.connections = opt.connections;
  fc.sources = std::max<size_t>(opt.connections / 5, 16);
  fc.same_prefix_sources = 16;
  fc.reconnects_per_second = opt.reconnects;
  fc.kinds = {testing::flood_kind::half_open, testing::flood_kind::slowloris,
              testing::flood_kind::garbage, testing::flood_kind::oversized,
              testing::flood_kind::first_msg};
  for (int i = 0; i < 16; ++i)
    fc.first_messages.push_back(testing::xk_first_message(dep.server_pk));
  uint64_t rss_peak = 0;
  spread tp_olds, tp_news;
  double tp_old = NAN, tp_new = NAN, ready_ms = NAN, health_max = NAN;
  int health_fail = 0;
  std::string c_err;
  uint64_t flood_connects = 0, flood_closed = 0, flood_bytes = 0;
  double attacker_cores = NAN, server_cores = NAN;
  {
    testing::flood fl{fc};
    std::atomic<bool> sampling{true};
    std::thread sampler{[&] {
      while (sampling) {
        rss_peak = std::max(rss_peak, rss_kb(spid));
        std::this_thread::sleep_for(100ms);
      }
    }};
    fl.start();
    auto deadline = clk::now() + 30s;
    while (!fl.first_wave_done() && clk::now() < deadline)
      std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(1s); // the first wave's handshake deadlines start to run out
    note("flood on: " + std::to_string(fl.stats.open.load()) + " open, "
         + std::to_string(fl.stats.connects.load()) + " connects");
    auto w0 = clk::now();
    auto fcpu0 = fl.cpu_seconds();
    auto scpu0 = proc_cpu_s(spid);
    std::vector<double> v;
    for (int i = 0; i < opt.samples; ++i)
      v.push_back(throughput(*sys, A, b_sink, sink_st, opt.seconds));
    tp_olds = spread_of(v);
    tp_old = tp_olds.median;
    auto wall = std::chrono::duration<double>(clk::now() - w0).count();
    attacker_cores = (fl.cpu_seconds() - fcpu0) / wall;
    server_cores = (proc_cpu_s(spid) - scpu0) / wall;
    auto C = dmsg::spawn_dmsg_client(*sys, *io, base_client(dep, false));
    ready_ms = wait_ready(*sys, C, 15s, &c_err);
    if (!std::isnan(ready_ms)) {
      v.clear();
      for (int i = 0; i < opt.samples; ++i)
        v.push_back(throughput(*sys, C, b_sink, sink_st, opt.seconds));
      tp_news = spread_of(v);
      tp_new = tp_news.median;
    }
    auto hl = get_latency(dep.health_port, "/health", 20, 1000ms);
    health_max = hl.first;
    health_fail = hl.second;
    flood_connects = fl.stats.connects.load();
    flood_bytes = fl.stats.bytes_sent.load();
    flood_closed = fl.stats.closed_by_peer.load();
    note("flood: A " + fmt(tp_old, 1) + " MiB/s, C ready in " + fmt(ready_ms, 1) + " ms, C "
         + fmt(tp_new, 1) + " MiB/s, health max " + fmt(health_max, 1) + " ms");
    sampling = false;
    sampler.join();
    fl.stop();
    caf::anon_send_exit(C, caf::exit_reason::user_shutdown);
  }
  auto metrics = http_get(dep.health_port, "/metrics", 3s);

  // ---- 3: after -------------------------------------------------------------------------
  auto t_after = clk::now();
  uint64_t rss_after = rss_kb(spid);
  double back_s = NAN;
  while (clk::now() - t_after < 10s) {
    rss_after = rss_kb(spid);
    if (rss_after <= rss_idle + 16 * 1024) {
      back_s = std::chrono::duration<double>(clk::now() - t_after).count();
      break;
    }
    std::this_thread::sleep_for(500ms);
  }

  if (const char* dump = std::getenv("FLOOD_BENCH_SMAPS")) { // where the RSS is (debugging)
    std::ifstream in{"/proc/" + std::to_string(spid) + "/smaps"};
    std::ofstream out{dump};
    out << in.rdbuf();
  }

  // ---- 4: discovery flood ---------------------------------------------------------------
  double get_max = NAN;
  int get_fail = 0;
  {
    testing::flood_config hc;
    hc.port = dep.disc_port;
    hc.connections = opt.connections;
    hc.sources = std::max<size_t>(opt.connections / 5, 16);
    hc.same_prefix_sources = 16;
    hc.reconnects_per_second = opt.reconnects;
    hc.kinds = {testing::flood_kind::http_idle, testing::flood_kind::http_slow};
    testing::flood fl{hc};
    fl.start();
    auto deadline = clk::now() + 30s;
    while (!fl.first_wave_done() && clk::now() < deadline)
      std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(1s);
    auto r = get_latency(dep.disc_port, "/dmsg-discovery/entry/" + b_cfg.pk.hex(), 50, 1000ms);
    get_max = r.first;
    get_fail = r.second;
    note("discovery flood: " + std::to_string(fl.stats.open.load()) + " open; GET max "
         + fmt(get_max, 1) + " ms, failed " + std::to_string(get_fail));
    fl.stop();
  }
  auto t_reg = clk::now();
  auto pc = post_registrations(dep.disc_port, opt.registrations);
  double reg_s = std::chrono::duration<double>(clk::now() - t_reg).count();
  auto load_end = loadavg();

  // ---- report ---------------------------------------------------------------------------
  auto refused = [&](const char* reason) {
    return metrics ? prom_value(*metrics, std::string{"dmsg_server_admission_refused_total{reason=\""}
                                            + reason + "\"}")
                   : -1.0;
  };
  std::cout << "FLOOD setup server=" << bin << (opt.preload.empty() ? "" : " preload=" + opt.preload)
            << " loadavg_start=" << load_start << " loadavg_end=" << load_end
            << " cores=" << std::thread::hardware_concurrency() << " connections="
            << opt.connections << " reconnects_per_s=" << opt.reconnects
            << " flood_connects=" << flood_connects << " closed_by_server=" << flood_closed
            << " flood_mib_sent=" << flood_bytes / (1024 * 1024) << "\n";
  std::cout << "FLOOD unloaded throughput_mib_s=" << fmt(tp0, 1) << " samples=" << opt.samples
            << " min/median/max=" << fmt_spread(tp0s) << " health_max_ms="
            << fmt(health0, 1) << " rss_idle_kb=" << rss_idle << "\n";
  std::cout << "FLOOD dmsg old_session_mib_s=" << fmt(tp_old, 1) << " ("
            << fmt(100 * tp_old / tp0, 0) << "%) old_min/median/max=" << fmt_spread(tp_olds)
            << " new_client_ready_ms=" << fmt(ready_ms, 1)
            << (c_err.empty() ? "" : " new_client_error=\"" + c_err + "\"")
            << " new_session_mib_s=" << fmt(tp_new, 1) << " (" << fmt(100 * tp_new / tp0, 0)
            << "%) new_min/median/max=" << fmt_spread(tp_news)
            << " health_max_ms=" << fmt(health_max, 1) << " health_failed=" << health_fail
            << " rss_peak_kb=" << rss_peak << " (+" << (rss_peak - std::min(rss_peak, rss_idle)) / 1024
            << " MiB)\n";
  // The attacker shares the machine: the cores its thread took (user +
  // kernel) and the server's, while A's throughput was measured.
  std::cout << "FLOOD cpu attacker_cores=" << fmt(attacker_cores, 2) << " server_cores="
            << fmt(server_cores, 2) << " server_cores_unloaded=" << fmt(server_cores0, 2)
            << " (during the old session's throughput; machine cores="
            << std::thread::hardware_concurrency() << ")\n";
  std::cout << "FLOOD refused evicted=" << refused("evicted") << " per_ip=" << refused("per_ip")
            << " per_prefix=" << refused("per_prefix") << " budget=" << refused("budget")
            << " deadline=" << refused("deadline") << " sessions_full=" << refused("sessions_full")
            << " replayed=" << refused("replayed")
            << "\n";
  std::cout << "FLOOD after rss_kb=" << rss_after << " (+"
            << static_cast<int64_t>(rss_after - std::min(rss_after, rss_idle)) / 1024
            << " MiB) back_within_16mib_s=" << fmt(back_s, 1) << "\n";
  std::cout << "FLOOD discovery get_max_ms=" << fmt(get_max, 1) << " get_failed=" << get_fail
            << " registrations=" << opt.registrations << " stored=" << pc.ok
            << " refused_429=" << pc.too_many << " other=" << pc.other << " secs=" << fmt(reg_s, 1)
            << " first_refusal=" << pc.first_refusal << "\n";
  auto verdict = [](bool ok) { return ok ? "PASS" : "FAIL"; };
  std::cout << "FLOOD criteria old_session_80pct=" << verdict(tp_old >= 0.8 * tp0)
            << " new_session_1s=" << verdict(ready_ms <= 1000)
            << " new_session_80pct=" << verdict(tp_new >= 0.8 * tp0)
            << " health_50ms=" << verdict(health_max <= 50 && health_fail == 0)
            << " rss_64mib=" << verdict(rss_peak <= rss_idle + 64 * 1024)
            << " rss_back_16mib_10s=" << verdict(!std::isnan(back_s))
            << " discovery_get_100ms=" << verdict(get_max <= 100 && get_fail == 0)
            << " registrations_refused=" << verdict(pc.too_many > 0 && pc.ok < opt.registrations)
            << "\n";
  std::cout.flush();

  std::thread watchdog{[] {
    std::this_thread::sleep_for(10s);
    stop_child();
    std::_Exit(0);
  }};
  watchdog.detach();
  for (auto& c : {A, B})
    caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(sink_actor, caf::exit_reason::user_shutdown);
  stop_child();
  sys.reset();
  io.reset();
  return 0;
}
