// dmsg figures in one run, measured like the Go reference (dmsg-protocol.md
// §8: A -> S -> B on loopback, three parties):
//   S = `skywire dmsg local` (discovery + one dmsg server) in its OWN process,
//       started here and stopped by PID on every path;
//   A, B = real dmsg clients (actors/dmsg) in this process, one actor system;
//       B listens on port 80 (echo) and 81 (sink).
// Figures (one "DMSG ..." line each, then a table next to the Go figures):
//   1. stream open latency A->B:80, n dials, each stream closed once open:
//      without a discovery lookup (A has no discovery; the dial goes through
//      its session) and with `GET entry/{B}` (the client does not cache
//      entries: every dial looks B up);
//   2. 32-byte echo round trip over one stream: A an event-based actor (one
//      actor hop per round trip), then A a direct sink on its io thread (as
//      pipes consume; no actor hop); B echoes on its io thread in both;
//   3. single-stream throughput A->B:81, 64 KiB writes (--write-size; the
//      Go figures use 32 KiB), at most 8 MiB unacknowledged (ack credits;
//      --inflight), sink hands the window back at once;
//      then 4 KiB writes (what Go senders write): the server's CPU per MiB and,
//      counted by the server (/metrics: relayed frames, copied bytes, its
//      allocations) and /proc (context switches of its threads), the
//      wake-ups, allocations and user-space copies per relayed frame;
//   4. server RSS delta per idle session: 1000 real clients (no discovery,
//      fixed server) each with one session, counted by the server's /health;
//   5. session setups/s while opening those 1000 (16 in flight): client
//      spawn -> TCP -> Noise XK -> yamux -> ready.
// The machine is shared: the load average and CPU time (this process and
// the server process) are printed next to wall-clock figures.
//
// usage: bench_dmsg_bench [--skywire PATH] [--sessions N] [--opens N]
//                         [--rtts N] [--mib N] [--seconds S]
//                         [--write-size BYTES|NK] [--inflight BYTES|NK|NM]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
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
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/ephemeral_pool.hpp"
#include "runtime/crypto/noise/static_dh_cache.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/system/actor_system.hpp"
#include "runtime/system/memory.hpp"

using namespace skywire;
using namespace dmsg_bench;
namespace fs = std::filesystem;

namespace {

struct options {
  std::string skywire;
  int sessions = 1000;
  int opens = 200;
  int rtts = 5000;
  uint64_t mib = 512;
  double seconds = 5;
  size_t write_size = 64 * 1024; ///< bytes per write in the throughput phase
  uint64_t inflight = 8 * 1024 * 1024; ///< unacknowledged bytes the throughput sender keeps
};

// "32768", "32k" or "32KiB" -> bytes; 0 when malformed.
size_t parse_size(const std::string& text) {
  size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &used);
  } catch (const std::exception&) {
    return 0;
  }
  auto unit = text.substr(used);
  if (unit == "k" || unit == "K" || unit == "KiB")
    v *= 1024;
  else if (unit == "m" || unit == "M" || unit == "MiB")
    v *= 1024 * 1024;
  else if (!unit.empty())
    return 0;
  return static_cast<size_t>(v);
}

std::string size_text(size_t n) {
  return n % 1024 == 0 ? std::to_string(n / 1024) + "KiB" : std::to_string(n) + "B";
}

dmsg::client_config base_client(const deployment& d, bool with_discovery) {
  return dmsg_bench::base_client(d, with_discovery, 200, 1000);
}

/// The server's "sessions" figure from /health, or -1.
long server_sessions(uint16_t health_port) {
  auto body = http_get(health_port, "/health", std::chrono::seconds(3));
  if (!body)
    return -1;
  boost::system::error_code ec;
  auto v = boost::json::parse(*body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("sessions"))
    return -1;
  return static_cast<long>(v.as_object().at("sessions").to_number<int64_t>());
}

/// Polls /health until `pred(sessions)` or `timeout`; the last figure.
template <class Pred>
long wait_sessions(uint16_t health_port, Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = clk::now() + timeout;
  long n = -1;
  while (clk::now() < deadline) {
    n = server_sessions(health_port);
    if (pred(n))
      return n;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return n;
}

template <class T>
T wait_for(std::future<T>& f, std::chrono::seconds timeout, const char* what) {
  if (f.wait_for(timeout) != std::future_status::ready)
    die(std::string{what} + ": no result within " + std::to_string(timeout.count()) + " s");
  return f.get();
}

void wait_ready(caf::actor_system& sys, const api::dmsg_client_actor& c, const char* who) {
  caf::scoped_actor self{sys};
  std::string err;
  bool ok = false;
  self->request(c, std::chrono::seconds(15), api::ready_atom::value)
    .receive([&](api::ok_atom) { ok = true; },
             [&](caf::error& e) { err = describe(e); });
  if (!ok)
    die(std::string{who} + " not ready: " + err);
}

void listen(caf::actor_system& sys, const api::dmsg_client_actor& c, uint16_t p, const caf::actor& owner) {
  caf::scoped_actor self{sys};
  std::string err;
  bool ok = false;
  self->request(c, std::chrono::seconds(5), api::listen_atom::value, port{p}, owner)
    .receive([&](api::ok_atom) { ok = true; }, [&](caf::error& e) { err = describe(e); });
  if (!ok)
    die("listen: " + err);
}

} // namespace

int main(int argc, char** argv) {
  dmsg_bench::bench_name = "dmsg_bench";
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
    else if (a == "--sessions")
      opt.sessions = std::stoi(val());
    else if (a == "--opens")
      opt.opens = std::stoi(val());
    else if (a == "--rtts")
      opt.rtts = std::stoi(val());
    else if (a == "--mib")
      opt.mib = std::stoull(val());
    else if (a == "--seconds")
      opt.seconds = std::stod(val());
    else if (a == "--inflight") {
      opt.inflight = parse_size(val());
      if (opt.inflight < 4096 || opt.inflight > 64 * 1024 * 1024)
        die("--inflight: 4 KiB .. 64 MiB, e.g. 1m or 4194304");
    } else if (a == "--write-size") {
      opt.write_size = parse_size(val());
      if (opt.write_size == 0 || opt.write_size > (16u << 20))
        die("--write-size: 1 byte .. 16 MiB, e.g. 32768 or 32k");
    } else {
      std::cerr << "usage: " << argv[0]
                << " [--skywire PATH] [--sessions N] [--opens N] [--rtts N] [--mib N]"
                   " [--seconds S] [--write-size BYTES|NK] [--inflight BYTES|NK|NM]\n";
      return a == "-h" || a == "--help" ? 0 : 2;
    }
  }
  opt.sessions = std::clamp(opt.sessions, 1, 2000);
  opt.opens = std::clamp(opt.opens, 1, 100000);
  opt.rtts = std::clamp(opt.rtts, 1, 1000000);
  auto bin = find_skywire(opt.skywire);
  if (bin.empty())
    die("skywire binary not found (pass --skywire PATH)");

  auto wall0 = clk::now();
  auto load_start = loadavg();
  auto nofile = raise_nofile();
  if (nofile < static_cast<uint64_t>(opt.sessions) + 256)
    note("RLIMIT_NOFILE " + std::to_string(nofile) + " is low for "
         + std::to_string(opt.sessions) + " sessions");

  // ---- S: discovery + dmsg server in their own process -------------------------------
  auto info_path = (fs::temp_directory_path()
                    / ("dmsg_bench_" + std::to_string(::getpid()) + ".json"))
                     .string();
  std::remove(info_path.c_str());
  // A fixed server port: with an ephemeral one `dmsg local` registers
  // "127.0.0.1:0" in the discovery (see docs/benchmarks.md).
  auto server_port = free_port();
  if (server_port == 0)
    die("no free loopback port");
  pid_t spid = start_child({bin, "dmsg", "local", "--info-file", info_path, "--loglvl", "error",
                            "--server-port", std::to_string(server_port)});
  if (spid <= 0)
    die("cannot start " + bin);
  {
    auto deadline = clk::now() + std::chrono::seconds(15);
    while (!fs::exists(info_path) && clk::now() < deadline) {
      if (!child_alive())
        die("skywire dmsg local exited early");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!fs::exists(info_path))
      die("skywire dmsg local wrote no info file in 15 s");
  }
  auto dep = load_info(info_path);
  std::remove(info_path.c_str());
  note("server pid " + std::to_string(spid) + " at " + dep.server_address + ", discovery "
       + dep.discovery);

  // ---- A, B: real clients in this process ---------------------------------------------
  caf::actor_system_config cfg;
  system::system_options so;
  so.max_threads = 2;
  system::configure(cfg, so);
  auto io = std::make_unique<io::io_runtime>(io::default_shards());
  auto sys = std::make_unique<caf::actor_system>(cfg);

  auto b_cfg = base_client(dep, true);
  address b_echo{b_cfg.pk, port{80}};
  address b_sink{b_cfg.pk, port{81}};
  address b_shard_sink{b_cfg.pk, port{82}};
  auto B = dmsg::spawn_dmsg_client(*sys, *io, b_cfg);
  auto A_lookup = dmsg::spawn_dmsg_client(*sys, *io, base_client(dep, true));
  auto A = dmsg::spawn_dmsg_client(*sys, *io, base_client(dep, false));
  wait_ready(*sys, B, "B");
  wait_ready(*sys, A_lookup, "A (with discovery)");
  wait_ready(*sys, A, "A");
  auto echo_actor = sys->spawn(echo);
  auto sink_st = std::make_shared<sink_stats>();
  auto sink_actor = sys->spawn(sink, sink_st);
  listen(*sys, B, 80, echo_actor);
  listen(*sys, B, 81, sink_actor);
  auto shard_st = std::make_shared<sink_stats>();
  auto shard_sink_actor = sys->spawn(shard_sink, shard_st);
  listen(*sys, B, 82, shard_sink_actor);
  long base_sessions = wait_sessions(dep.health_port, [](long n) { return n >= 3; },
                                     std::chrono::seconds(10));
  if (base_sessions < 3)
    die("server reports " + std::to_string(base_sessions) + " sessions, expected 3");

  // ---- 4 + 5: session setups and idle-session memory ---------------------------------
  std::vector<dmsg::client_config> cfgs;
  cfgs.reserve(static_cast<size_t>(opt.sessions));
  for (int i = 0; i < opt.sessions; ++i) {
    auto c = base_client(dep, false);
    c.keepalive = std::chrono::seconds(30);
    cfgs.push_back(std::move(c));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto rss_before = rss_kb(spid);
  auto scpu0 = proc_cpu_s(spid);
  auto bcpu0 = self_cpu_s();
  auto prom_setup = std::make_shared<std::promise<setup_result>>();
  auto fut_setup = prom_setup->get_future();
  sys->spawn<setup_driver>(io.get(), std::move(cfgs), 16, std::chrono::seconds(30), prom_setup);
  auto setup = wait_for(fut_setup, std::chrono::seconds(60), "session setups");
  auto scpu_setup = proc_cpu_s(spid) - scpu0;
  auto bcpu_setup = self_cpu_s() - bcpu0;
  auto up = static_cast<long>(setup.s.v.size());
  long seen = wait_sessions(
    dep.health_port, [&](long n) { return n >= base_sessions + up; }, std::chrono::seconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto rss_after = rss_kb(spid);
  auto threads = proc_threads(spid);
  double kb_per_session = up > 0 ? static_cast<double>(rss_after) - static_cast<double>(rss_before)
                          : NAN;
  kb_per_session /= static_cast<double>(std::max<long>(up, 1));
  note("sessions up " + std::to_string(up) + "/" + std::to_string(opt.sessions) + " (server says "
       + std::to_string(seen) + ")" + (setup.s.failures ? ", last error: " + setup.s.last_error : ""));
  for (auto& c : setup.clients)
    caf::anon_send(c, api::close_atom::value);
  long after_close = wait_sessions(
    dep.health_port, [&](long n) { return n >= 0 && n <= base_sessions; }, std::chrono::seconds(15));
  note("after closing them the server reports " + std::to_string(after_close) + " sessions");
  setup.clients.clear();

  // ---- 1: stream open latency --------------------------------------------------------
  auto run_opens = [&](const api::dmsg_client_actor& client, int n) {
    auto p = std::make_shared<std::promise<series>>();
    auto f = p->get_future();
    sys->spawn<opener>(client, b_echo, n, p);
    return wait_for(f, std::chrono::seconds(60), "stream opens");
  };
  run_opens(A, 10); // warm-up
  scpu0 = proc_cpu_s(spid);
  bcpu0 = self_cpu_s();
  auto opens = run_opens(A, opt.opens);
  auto scpu_open = proc_cpu_s(spid) - scpu0;
  auto bcpu_open = self_cpu_s() - bcpu0;
  auto opens_lookup = run_opens(A_lookup, opt.opens);
  if (opens.failures || opens_lookup.failures)
    note("open failures: " + std::to_string(opens.failures) + " / "
         + std::to_string(opens_lookup.failures) + ": " + opens.last_error + " "
         + opens_lookup.last_error);

  // ---- 2: 32-byte echo round trip ----------------------------------------------------
  scpu0 = proc_cpu_s(spid);
  bcpu0 = self_cpu_s();
  auto prom_rtt = std::make_shared<std::promise<series>>();
  auto fut_rtt = prom_rtt->get_future();
  sys->spawn<pinger>(A, b_echo, 200, opt.rtts, size_t{32}, prom_rtt);
  auto rtt = wait_for(fut_rtt, std::chrono::seconds(60), "round trips");
  auto scpu_rtt = proc_cpu_s(spid) - scpu0;
  auto bcpu_rtt = self_cpu_s() - bcpu0;
  if (rtt.failures)
    note("round trip failed: " + rtt.last_error);
  auto rtt_n = static_cast<double>(std::max<size_t>(rtt.v.size(), 1));
  // 2b: the same with A consuming on its io thread (no actor hop)
  auto prom_srtt = std::make_shared<std::promise<series>>();
  auto fut_srtt = prom_srtt->get_future();
  auto spinger = sys->spawn<shard_pinger>(A, b_echo, 200, opt.rtts, prom_srtt);
  auto srtt = wait_for(fut_srtt, std::chrono::seconds(60), "round trips (shard consumer)");
  caf::anon_send_exit(spinger, caf::exit_reason::user_shutdown);
  if (srtt.failures)
    note("round trip (shard consumer) failed: " + srtt.last_error);

  // ---- 3: single-stream throughput ---------------------------------------------------
  scpu0 = proc_cpu_s(spid);
  bcpu0 = self_cpu_s();
  auto prom_tp = std::make_shared<std::promise<send_result>>();
  auto fut_tp = prom_tp->get_future();
  auto budget = std::chrono::milliseconds(static_cast<int64_t>(opt.seconds * 1000));
  sys->spawn<sender>(A, b_sink, opt.mib * 1024 * 1024, budget, opt.write_size,
                     opt.inflight, prom_tp);
  auto tp = wait_for(fut_tp, std::chrono::seconds(static_cast<int64_t>(opt.seconds) + 30),
                     "throughput");
  {
    auto deadline = clk::now() + std::chrono::seconds(15);
    while (sink_st->bytes.load() < tp.sent && clk::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto scpu_tp = proc_cpu_s(spid) - scpu0;
  auto bcpu_tp = self_cpu_s() - bcpu0;
  uint64_t got = sink_st->bytes.load();
  double tp_secs = std::chrono::duration<double>(
                     clk::time_point{clk::duration{sink_st->last_ns.load()}} - tp.t0)
                     .count();
  double mib = static_cast<double>(got) / (1024.0 * 1024.0);
  double mib_s = tp_secs > 0 ? mib / tp_secs : NAN;
  if (!tp.error.empty())
    note("throughput: " + tp.error);
  if (tp.stream)
    caf::anon_send(tp.stream, api::close_atom::value);

  // ---- 3a: the same, B consuming on its io thread (a direct sink, as pipes) ---------
  scpu0 = proc_cpu_s(spid);
  bcpu0 = self_cpu_s();
  auto prom_tps = std::make_shared<std::promise<send_result>>();
  auto fut_tps = prom_tps->get_future();
  sys->spawn<sender>(A, b_shard_sink, opt.mib * 1024 * 1024, budget, opt.write_size,
                     opt.inflight, prom_tps);
  auto tps = wait_for(fut_tps, std::chrono::seconds(static_cast<int64_t>(opt.seconds) + 30),
                      "throughput (shard consumer)");
  {
    auto deadline = clk::now() + std::chrono::seconds(15);
    while (shard_st->bytes.load() < tps.sent && clk::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto scpu_tps = proc_cpu_s(spid) - scpu0;
  auto bcpu_tps = self_cpu_s() - bcpu0;
  double mib_sh = static_cast<double>(shard_st->bytes.load()) / (1024.0 * 1024.0);
  double secs_sh = std::chrono::duration<double>(
                     clk::time_point{clk::duration{shard_st->last_ns.load()}} - tps.t0)
                     .count();
  double mib_s_sh = secs_sh > 0 ? mib_sh / secs_sh : NAN;
  if (!tps.error.empty())
    note("throughput (shard consumer): " + tps.error);
  if (tps.stream)
    caf::anon_send(tps.stream, api::close_atom::value);

  // ---- 3b: 4 KiB writes (what Go senders write): server CPU and, counted by
  // the server (/metrics) and /proc, what one relayed frame costs it -----------
  auto metrics = [&] { return http_get(dep.health_port, "/metrics", std::chrono::seconds(3)); };
  auto m0 = metrics();
  auto ctx0 = proc_ctx_switches(spid);
  scpu0 = proc_cpu_s(spid);
  auto sink_before = sink_st->bytes.load();
  auto prom_4k = std::make_shared<std::promise<send_result>>();
  auto fut_4k = prom_4k->get_future();
  auto mib_4k_target = std::max<uint64_t>(1, opt.mib / 2);
  sys->spawn<sender>(A, b_sink, mib_4k_target * 1024 * 1024, budget, size_t{4096},
                     uint64_t{1024 * 1024}, prom_4k, size_t{4096});
  auto tp4 = wait_for(fut_4k, std::chrono::seconds(static_cast<int64_t>(opt.seconds) + 30),
                      "throughput 4 KiB");
  {
    auto deadline = clk::now() + std::chrono::seconds(15);
    while (sink_st->bytes.load() - sink_before < tp4.sent && clk::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto scpu_4k = proc_cpu_s(spid) - scpu0;
  auto ctx1 = proc_ctx_switches(spid);
  auto m1 = metrics();
  double mib_4k = static_cast<double>(sink_st->bytes.load() - sink_before) / (1024.0 * 1024.0);
  double secs_4k = std::chrono::duration<double>(
                     clk::time_point{clk::duration{sink_st->last_ns.load()}} - tp4.t0)
                     .count();
  if (!tp4.error.empty())
    note("throughput 4 KiB: " + tp4.error);
  if (tp4.stream)
    caf::anon_send(tp4.stream, api::close_atom::value);
  double frames = NAN, allocs_per_frame = NAN, copies_per_frame = NAN, wakeups_per_frame = NAN,
         bytes_per_frame = NAN;
  if (m0 && m1) {
    auto d = [&](const char* name) { return prom_value(*m1, name) - prom_value(*m0, name); };
    frames = d("dmsg_relay_frames_total");
    if (frames > 0) {
      bytes_per_frame = d("dmsg_relay_bytes_total") / frames;
      copies_per_frame = d("dmsg_relay_copied_bytes_total") / d("dmsg_relay_bytes_total");
      if (prom_value(*m1, "process_allocations_total") >= 0)
        allocs_per_frame = d("process_allocations_total") / frames;
      wakeups_per_frame = static_cast<double>(ctx1 - ctx0) / frames;
    }
  }

  auto load_end = loadavg();
  double total_wall = std::chrono::duration<double>(clk::now() - wall0).count();

  // ---- report ------------------------------------------------------------------------
  auto setups_s = setup.s.wall_s > 0 ? static_cast<double>(up) / setup.s.wall_s : NAN;
  std::cout << "DMSG setup loadavg_start=" << load_start << " loadavg_end=" << load_end
            << " cores=" << std::thread::hardware_concurrency() << " nofile=" << nofile
            << " server=own_process(skywire dmsg local, pid " << spid << ", " << threads
            << " threads)" << " clients=in_process(A,B one actor system)\n";
  std::cout << "DMSG open_p50_ms=" << fmt(pct(opens.v, 50), 3)
            << " open_p99_ms=" << fmt(pct(opens.v, 99), 3) << " n=" << opens.v.size()
            << " failures=" << opens.failures << " lookup=no"
            << " cpu_ms_per_open_server=" << fmt(scpu_open * 1000 / opt.opens, 3)
            << " cpu_ms_per_open_clients=" << fmt(bcpu_open * 1000 / opt.opens, 3) << "\n";
  std::cout << "DMSG open_lookup_p50_ms=" << fmt(pct(opens_lookup.v, 50), 3)
            << " open_lookup_p99_ms=" << fmt(pct(opens_lookup.v, 99), 3)
            << " n=" << opens_lookup.v.size() << " failures=" << opens_lookup.failures
            << " lookup=every_dial(no client cache)\n";
  std::cout << "DMSG rtt32_p50_us=" << fmt(pct(rtt.v, 50) * 1000, 1)
            << " rtt32_p90_us=" << fmt(pct(rtt.v, 90) * 1000, 1)
            << " rtt32_p99_us=" << fmt(pct(rtt.v, 99) * 1000, 1) << " n=" << rtt.v.size()
            << " cpu_us_per_rtt_server=" << fmt(scpu_rtt * 1e6 / rtt_n, 1)
            << " cpu_us_per_rtt_clients=" << fmt(bcpu_rtt * 1e6 / rtt_n, 1) << "\n";
  std::cout << "DMSG rtt32_shard_p50_us=" << fmt(pct(srtt.v, 50) * 1000, 1)
            << " rtt32_shard_p90_us=" << fmt(pct(srtt.v, 90) * 1000, 1)
            << " rtt32_shard_p99_us=" << fmt(pct(srtt.v, 99) * 1000, 1) << " n=" << srtt.v.size()
            << " (A reads and writes on its io thread: a direct sink, as pipes consume)\n";
  std::cout << "DMSG throughput_mib_s=" << fmt(mib_s, 1) << " mib=" << fmt(mib, 1)
            << " secs=" << fmt(tp_secs, 3) << " write=" << size_text(opt.write_size) << " inflight=" << size_text(opt.inflight)
            << " server_cpu_ms_per_mib=" << fmt(mib > 0 ? scpu_tp * 1000 / mib : NAN, 3)
            << " clients_cpu_ms_per_mib=" << fmt(mib > 0 ? bcpu_tp * 1000 / mib : NAN, 3)
            << " server_cores=" << fmt(tp_secs > 0 ? scpu_tp / tp_secs : NAN, 2)
            << (tp.error.empty() ? "" : " error=1") << "\n";
  std::cout << "DMSG throughput_shard_mib_s=" << fmt(mib_s_sh, 1) << " mib=" << fmt(mib_sh, 1)
            << " secs=" << fmt(secs_sh, 3) << " write=" << size_text(opt.write_size)
            << " server_cpu_ms_per_mib=" << fmt(mib_sh > 0 ? scpu_tps * 1000 / mib_sh : NAN, 3)
            << " clients_cpu_ms_per_mib=" << fmt(mib_sh > 0 ? bcpu_tps * 1000 / mib_sh : NAN, 3)
            << " (B consumes on its io thread: a direct sink, as pipes consume)"
            << (tps.error.empty() ? "" : " error=1") << "\n";
  std::cout << "DMSG throughput4k_mib_s=" << fmt(secs_4k > 0 ? mib_4k / secs_4k : NAN, 1)
            << " mib=" << fmt(mib_4k, 1) << " write=4KiB frames=4KiB(one yamux frame per Noise frame, as Go)"
            << " server_cpu_ms_per_mib=" << fmt(mib_4k > 0 ? scpu_4k * 1000 / mib_4k : NAN, 3)
            << (tp4.error.empty() ? "" : " error=1") << "\n";
  std::cout << "DMSG relay_per_frame frames=" << fmt(frames, 0)
            << " bytes_per_frame=" << fmt(bytes_per_frame, 0)
            << " wakeups=" << fmt(wakeups_per_frame, 3)
            << " allocations=" << fmt(allocs_per_frame, 3)
            << " user_copies=" << fmt(copies_per_frame, 3)
            << " kernel_copies=2 (counted by the server: /metrics dmsg_relay_* and"
               " process_allocations_total, /proc ctxt_switches of its threads; 4 KiB writes)\n";
  std::cout << "DMSG idle_session_kb=" << fmt(kb_per_session, 2) << " sessions=" << up
            << " server_reported=" << seen << " rss_before_kb=" << rss_before
            << " rss_after_kb=" << rss_after << "\n";
  std::cout << "DMSG setups_per_s=" << fmt(setups_s, 1) << " n=" << up
            << " failures=" << setup.s.failures << " in_flight=16"
            << " wall_s=" << fmt(setup.s.wall_s, 3)
            << " ready_p50_ms=" << fmt(pct(setup.s.v, 50), 2)
            << " ready_p99_ms=" << fmt(pct(setup.s.v, 99), 2)
            << " server_cpu_ms_per_setup=" << fmt(up ? scpu_setup * 1000 / static_cast<double>(up) : NAN, 3)
            << " clients_cpu_ms_per_setup=" << fmt(up ? bcpu_setup * 1000 / static_cast<double>(up) : NAN, 3)
            << " setups_per_server_cpu_s=" << fmt(scpu_setup > 0 ? static_cast<double>(up) / scpu_setup : NAN, 0)
            << "\n";
  // CPU-normalized: what the work costs in CPU of all three parties
  // (server process + this process), independent of the machine's load.
  auto per = [](double cpu, double n) { return n > 0 ? cpu / n : NAN; };
  std::cout << "DMSG cpu open_ms=" << fmt(per((scpu_open + bcpu_open) * 1e3, opt.opens), 3)
            << " rtt32_us=" << fmt(per((scpu_rtt + bcpu_rtt) * 1e6, rtt_n), 1)
            << " mib_per_cpu_s=" << fmt(per(mib, scpu_tp + bcpu_tp), 1)
            << " mib_per_server_cpu_s=" << fmt(per(mib, scpu_tp), 1)
            << " setups_per_cpu_s=" << fmt(per(static_cast<double>(up), scpu_setup + bcpu_setup), 0)
            << " (server+clients CPU time)\n";
  // This process's (A, B and the 1000 clients) handshake shortcuts over the run.
  auto pool = crypto::noise::ephemeral_pool::process().stats();
  auto ss = crypto::noise::static_dh_cache::process().stats();
  std::cout << "DMSG crypto_clients ephemeral_pooled=" << pool.pooled
            << " ephemeral_inline=" << pool.generated_inline << " ss_hits=" << ss.hits
            << " ss_misses=" << ss.misses << "\n";
  std::cout << "DMSG total_wall_s=" << fmt(total_wall, 1) << "\n\n";

  std::cout << "| figure                           | this run          | Go reference  | aim        |\n"
               "|----------------------------------|-------------------|---------------|------------|\n";
  auto row = [](const std::string& f, const std::string& v, const std::string& g,
                const std::string& a) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "| %-32s | %-17s | %-13s | %-10s |\n", f.c_str(), v.c_str(),
                  g.c_str(), a.c_str());
    std::cout << buf;
  };
  row("open p50 (no lookup)", fmt(pct(opens.v, 50), 3) + " ms", "6.76 ms", "<= 1 ms");
  row("open p99 (no lookup)", fmt(pct(opens.v, 99), 3) + " ms", "8.7 ms", "");
  row("open p50 (with GET entry)", fmt(pct(opens_lookup.v, 50), 3) + " ms", "7.3 ms", "");
  row("32 B round trip p50", fmt(pct(rtt.v, 50) * 1000, 1) + " us", "166 us", "<=1.5x relay");
  row("32 B round trip p99", fmt(pct(rtt.v, 99) * 1000, 1) + " us", "252 us", "");
  row("32 B RTT p50, shard consumer", fmt(pct(srtt.v, 50) * 1000, 1) + " us", "166 us", "<=1.5x relay");
  row("single-stream throughput", fmt(mib_s, 1) + " MiB/s", "119-147 MiB/s", ">=0.8x AEAD");
  row("throughput, shard consumer", fmt(mib_s_sh, 1) + " MiB/s", "119-147 MiB/s", ">=0.8x AEAD");
  row("server CPU per MiB, 4 KiB writes",
      fmt(mib_4k > 0 ? scpu_4k * 1000 / mib_4k : NAN, 2) + " ms", "5-6.5 ms", "<= 1.5 ms");
  row("server RSS per idle session", fmt(kb_per_session, 1) + " KiB", "~60 KB", "<= 6 KiB");
  row("session setups/s (16 in flight)", fmt(setups_s, 0) + " /s", "~190 /s", "");
  row("setups per server CPU-second",
      fmt(scpu_setup > 0 ? static_cast<double>(up) / scpu_setup : NAN, 0), "", ">= 3000");
  std::cout.flush();

  // ---- teardown: everything by handle, the server by PID -----------------------------
  std::thread watchdog{[] {
    std::this_thread::sleep_for(std::chrono::seconds(10));
    stop_child();
    std::_Exit(0);
  }};
  watchdog.detach();
  for (auto& c : {A, A_lookup, B})
    caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  for (auto& a : {echo_actor, sink_actor, shard_sink_actor})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  stop_child();
  sys.reset();
  io.reset();
  return 0;
}
