// Transport figures in one run, between two processes on loopback (issue 9's
// benchmark; docs/benchmarks.md "Transports"):
//   the bench process (initiators) and a peer process (this binary with
//   --peer: responders on a TCP listener (tcp_network, admission included)
//   and on a sudph_socket), each transport the real stack: transport_core
//   (the transport handshake, Noise KK, the settlement, Noise frames) over a
//   TCP stream_connection (stcpr: once dialed its path is stcp's) or over a
//   kcp_link on the shared UDP socket (sudph: KCP in kcp-go's segment format);
//   then a real `skywire visor` process.
// Figures, one "TP ..." line each:
//   1. single-core ChaCha20-Poly1305 IETF encrypt (libsodium, this process,
//      4070-byte messages as a transport frame carries and 64 KiB);
//   2. raw TCP: 32-byte round trip between the two processes (blocking
//      sockets, TCP_NODELAY, the peer echoes);
//   3. per transport type (stcpr, sudph):
//      - dial-to-usable: connect -> transport handshake -> KK -> settlement
//        -> on_up (the first byte can be written), n sequential dials, a new
//        initiator key each (cold Noise caches), no discovery (the address is
//        given, the responder registers nowhere);
//      - 32-byte round trip: the peer echoes on its io thread, our loop runs
//        on our link's thread;
//      - bulk throughput one direction (64 KiB writes by this thread, the
//        peer's sink acknowledges each MiB): MiB/s and MB (10^6) per
//        CPU-second of both processes (getrusage here, /proc for the peer);
//   4. `skywire visor` (stcp listener on 127.0.0.1, no discovery, no dmsg,
//      no address resolver): RSS idle; then this process dials it `--idle`
//      times with as many keys (100 stcp transports from one peer process,
//      each a separate transport identity): dial-to-usable against the real
//      visor, RSS with them all idle, the RSS per transport (the marginal
//      cost: measured after 10 warm-up transports have faulted in the code); a route-0 Ping
//      /Pong round trip (23-byte packets) over one of them.
// Every child is stopped by PID on every path; nothing leaves 127.0.0.1.
//
// usage: bench_transport_bench [--skywire PATH] [--mib N] [--seconds S]
//          [--rtts N] [--dials N] [--idle N] [--shards N] [--no-visor]
//          [--types stcpr,sudph]
//        bench_transport_bench --peer INFO_FILE [--shards N]   (the peer)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <sodium.h>

#include "actors/transport/sudph_socket.hpp"
#include "actors/transport/tcp_network.hpp"
#include "bench/dmsg_bench_proc.hpp"
#include "bench/transport_bench_ends.hpp"
#include "messages/wire/routing/packet.hpp"
#include "runtime/crypto/chachapoly.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/system/memory.hpp"
#include "runtime/log/logger.hpp"

using namespace tp_bench;
using namespace dmsg_bench;
namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

struct options {
  std::string peer_info; ///< --peer: run as the peer, ready when this file exists
  std::string skywire;
  std::string self; ///< this binary (the peer runs it with --peer)
  uint64_t mib = 1024;
  double seconds = 5;
  int rtts = 5000;
  int dials = 50;
  int idle = 100;
  unsigned shards = 1; ///< io shards per process (the visor runs one)
  bool visor = true;
  std::vector<std::string> types{"stcpr", "sudph"};
};

std::string fmt(double v, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

skywire::crypto::keypair seeded_key(const std::string& seed) {
  return skywire::crypto::deterministic_keypair(
    {reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

/// Runs fn on `ctx` and waits for it.
template <class F>
auto on_ctx(asio::io_context& ctx, F fn) {
  std::packaged_task<decltype(fn())()> task{std::move(fn)};
  auto fut = task.get_future();
  asio::post(ctx, [&task] { task(); });
  return fut.get();
}

// ---- raw TCP (the anchor) ------------------------------------------------------------------

int tcp_listen_loopback(uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0
      || ::listen(fd, 16) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    return -1;
  port = ntohs(sa.sin_port);
  return fd;
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/// The peer's raw echo: one blocking thread per connection.
void raw_echo_server(int lfd) {
  for (;;) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      return;
    set_nodelay(fd);
    std::thread{[fd] {
      std::vector<char> buf(64 * 1024);
      for (;;) {
        auto n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n <= 0)
          break;
        for (ssize_t off = 0; off < n;) {
          auto w = ::send(fd, buf.data() + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
          if (w <= 0) {
            ::close(fd);
            return;
          }
          off += w;
        }
      }
      ::close(fd);
    }}.detach();
  }
}

/// A blocking client of the peer's raw echo: 32-byte round trips (the anchor).
class raw_echo_client {
public:
  explicit raw_echo_client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
      die("raw TCP: cannot connect to the peer's echo");
    set_nodelay(fd_);
  }
  raw_echo_client(const raw_echo_client&) = delete;
  raw_echo_client& operator=(const raw_echo_client&) = delete;
  ~raw_echo_client() { ::close(fd_); }

  /// warmup + n round trips; appends the last n (µs each) to `us`.
  void round_trips(int warmup, int n, std::vector<double>& us) {
    char msg[32] = {}, back[32];
    for (int i = 0; i < warmup + n; ++i) {
      auto t0 = clk::now();
      if (::send(fd_, msg, sizeof msg, MSG_NOSIGNAL) != sizeof msg)
        die("raw TCP: send failed");
      size_t got = 0;
      while (got < sizeof back) {
        auto r = ::recv(fd_, back + got, sizeof back - got, 0);
        if (r <= 0)
          die("raw TCP: the echo closed");
        got += static_cast<size_t>(r);
      }
      if (i >= warmup)
        us.push_back(std::chrono::duration<double, std::micro>(clk::now() - t0).count());
    }
  }

private:
  int fd_ = -1;
};

/// The round trips are measured in blocks that alternate between raw TCP and the
/// transport, so that both see the same state of the machine (on a shared or
/// virtualised host the wake-up latency drifts by tens of per cent within a
/// minute: two phases measured one after the other compare two different
/// machines). The ratio reported is the median of the blocks' ratios.
constexpr int rtt_blocks = 10;

/// The CPUs this process may run on.
std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) != 0)
    return cpus;
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &set))
      cpus.push_back(i);
  return cpus;
}

/// Every thread of `pid` (0: this process) on `cpus` (threads started later inherit it).
void pin_process(pid_t pid, const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus)
    CPU_SET(c, &set);
  std::string dir = "/proc/" + (pid == 0 ? std::string{"self"} : std::to_string(pid)) + "/task";
  std::error_code ec;
  for (const auto& t : fs::directory_iterator(dir, ec)) {
    pid_t tid = static_cast<pid_t>(std::stol(t.path().filename().string()));
    if (::sched_setaffinity(tid, sizeof set, &set) != 0)
      die("cannot set the CPU affinity of thread " + std::to_string(tid));
  }
}

// ---- the peer process --------------------------------------------------------------------

const std::string peer_seed = "transport-bench-peer";

int run_peer(const options& o) {
  raise_nofile();
  skywire::log::set_level(skywire::log::level::error);
  // SIGTERM/SIGINT end the peer; blocked before any thread starts
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto key = seeded_key(peer_seed);
  skywire::io::io_runtime io{o.shards};

  tp::tcp_network_config tc;
  tc.type = "stcpr";
  tc.listen_host = "127.0.0.1";
  tc.listen_port = 0;
  auto tcp = tp::tcp_network::make(io, tc);
  if (auto err = tcp->listen([key](skywire::io::byte_link_ptr link,
                                   skywire::io::admission_ticket_ptr ticket) {
        accept_transport(key, "stcpr", std::move(link), [ticket] { ticket->release(); });
      }))
    die("peer: TCP listener: " + skywire::describe(err));

  auto udp = tp::sudph_socket::open(io.context(), "127.0.0.1", 0);
  if (!udp)
    die("peer: UDP socket: " + skywire::describe(udp.error()));
  auto sock = *udp;
  on_ctx(io.context(), [&] {
    sock->start([key, sock](const tp::kcp_link_ptr& link) {
      std::weak_ptr<tp::kcp_link> wl = link;
      std::weak_ptr<tp::sudph_socket> ws = sock;
      accept_transport(key, "sudph", link, [wl, ws] {
        auto l = wl.lock();
        auto s = ws.lock();
        if (l && s)
          s->confirm(*l);
      });
    });
  });

  uint16_t raw_port = 0;
  int lfd = tcp_listen_loopback(raw_port);
  if (lfd < 0)
    die("peer: raw TCP listener");
  std::thread{[lfd] { raw_echo_server(lfd); }}.detach();

  {
    auto tmp = o.peer_info + ".tmp";
    std::ofstream{tmp} << "tcp=" << tcp->port() << " udp=" << sock->local_port()
                       << " raw=" << raw_port << "\n";
    fs::rename(tmp, o.peer_info);
  }
  int sig = 0;
  sigwait(&sigs, &sig);
  // a bench peer: nothing to keep; leave without tearing the shards down
  std::_Exit(0);
}

struct peer_info {
  uint16_t tcp = 0, udp = 0, raw = 0;
};

std::optional<peer_info> read_peer_info(const std::string& path) {
  std::ifstream in{path};
  std::string line;
  if (!std::getline(in, line))
    return std::nullopt;
  peer_info pi;
  std::smatch m;
  if (!std::regex_search(line, m, std::regex{"tcp=(\\d+) udp=(\\d+) raw=(\\d+)"}))
    return std::nullopt;
  pi.tcp = static_cast<uint16_t>(std::stoi(m[1]));
  pi.udp = static_cast<uint16_t>(std::stoi(m[2]));
  pi.raw = static_cast<uint16_t>(std::stoi(m[3]));
  return pi;
}

// ---- the driver ----------------------------------------------------------------------------

/// Single-core libsodium ChaCha20-Poly1305 IETF encrypt, MB/s of this
/// thread's CPU, messages of `size` bytes.
double aead_rate(size_t size, double budget_s, bool ours = false) {
  skywire::crypto::ensure_sodium();
  std::vector<uint8_t> key(32, 7), pt(size, 0x5a), ct(size + 16);
  uint8_t nonce[12] = {};
  uint64_t n = 0, bytes = 0;
  auto cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  double c0 = cpu();
  do {
    for (int i = 0; i < 64; ++i) {
      ++n;
      std::memcpy(nonce + 4, &n, 8);
      if (ours)
        skywire::crypto::chachapoly::seal(ct.data(), pt.data(), pt.size(), nullptr, 0, nonce,
                                          key.data());
      else
        crypto_aead_chacha20poly1305_ietf_encrypt(ct.data(), nullptr, pt.data(), pt.size(),
                                                  nullptr, 0, nullptr, nonce, key.data());
      bytes += size;
    }
  } while (cpu() - c0 < budget_s);
  return static_cast<double>(bytes) / (cpu() - c0) / 1e6;
}

struct world {
  options o;
  skywire::io::io_runtime io;
  pid_t peer_pid = 0;
  peer_info peer;
  skywire::public_key peer_pk = seeded_key(peer_seed).pk;
  tp::sudph_socket_ptr udp; ///< this process's sudph socket
  uint64_t key_counter = 0;

  explicit world(options opts) : o(std::move(opts)), io(o.shards) {}

  skywire::crypto::keypair fresh_key() {
    return seeded_key("transport-bench-initiator-" + std::to_string(getpid()) + "-"
                      + std::to_string(key_counter++));
  }

  /// A transport of `type` to the peer (or to a visor's stcp port), up;
  /// the dial-to-usable time in ms through `dial_ms`.
  client_ptr dial(const std::string& type, uint16_t src_port, double* dial_ms,
                  const skywire::crypto::keypair& key, const skywire::public_key& remote,
                  uint16_t tcp_port) {
    auto c = client::make(key, remote, type, src_port);
    if (!c)
      die("cannot make a client core");
    auto t0 = clk::now();
    if (type == "sudph") {
      asio::ip::udp::endpoint ep{asio::ip::make_address("127.0.0.1"), peer.udp};
      auto core = c->core;
      asio::post(udp->context(), [this, core, ep, c] {
        auto link = udp->dial(ep);
        c->kcp = link;
        core->start(std::move(link));
      });
    } else {
      tp::tcp_connect(io, {"127.0.0.1:" + std::to_string(tcp_port)}, 5000ms,
                      [c](skywire::expected<skywire::io::byte_link_ptr> link) {
                        if (!link) {
                          std::lock_guard<std::mutex> g{c->mtx};
                          c->down = true;
                          c->err = link.error();
                          c->cv.notify_all();
                          return;
                        }
                        c->core->start(std::move(*link));
                      });
    }
    if (!c->wait([&] { return c->up || c->down; }, 15s) || !c->up)
      die(type + ": the transport did not come up: " + skywire::describe(c->err));
    if (dial_ms)
      *dial_ms = std::chrono::duration<double, std::milli>(c->t_up - t0).count();
    return c;
  }

  client_ptr dial_peer(const std::string& type, uint16_t src_port, double* dial_ms) {
    return dial(type, src_port, dial_ms, fresh_key(), peer_pk, peer.tcp);
  }

  void dials(const std::string& type) {
    std::vector<double> ms;
    for (int i = 0; i < o.dials; ++i) {
      double t = 0;
      auto c = dial_peer(type, port_idle, &t);
      ms.push_back(t);
      c->finish();
    }
    std::cout << "TP " << type << " dial_p50_ms=" << fmt(pct(ms, 50), 3)
              << " dial_p99_ms=" << fmt(pct(ms, 99), 3) << " dial_min_ms=" << fmt(*std::min_element(ms.begin(), ms.end()), 3)
              << " n=" << ms.size() << " discovery=none keys=fresh" << std::endl;
  }

  struct rtt_result {
    std::vector<double> us, raw_us, ratios;
  };

  rtt_result rtt_blocks_run(tp_bench::client& c, raw_echo_client& raw, const std::string& type) {
    rtt_result r;
    int per_block = std::max(1, o.rtts / rtt_blocks);
    for (int b = 0; b < rtt_blocks; ++b) {
      std::vector<double> rb;
      raw.round_trips(b == 0 ? 200 : 20, per_block, rb);
      auto tb = c.round_trips(std::vector<uint8_t>(32, 0x42), 32, b == 0 ? 200 : 20, per_block, 60s);
      if (tb.empty())
        die(type + ": round trips did not complete");
      r.ratios.push_back(pct(tb, 50) / pct(rb, 50));
      r.us.insert(r.us.end(), tb.begin(), tb.end());
      r.raw_us.insert(r.raw_us.end(), rb.begin(), rb.end());
    }
    return r;
  }

  void rtt(const std::string& type) {
    auto c = dial_peer(type, port_echo, nullptr);
    raw_echo_client raw{peer.raw};
    // As the scheduler places the two processes (the figure the aim is read on) ...
    auto r = rtt_blocks_run(*c, raw, type);
    std::cout << "TP raw_tcp rtt32_p50_us=" << fmt(pct(r.raw_us, 50), 1)
              << " rtt32_p99_us=" << fmt(pct(r.raw_us, 99), 1) << " n=" << r.raw_us.size()
              << " (two processes, blocking sockets; interleaved with " << type << ")" << std::endl;
    auto line = [&](const std::string& name, const rtt_result& x) {
      std::cout << "TP " << type << " " << name << "_p50_us=" << fmt(pct(x.us, 50), 1)
                << " " << name << "_p99_us=" << fmt(pct(x.us, 99), 1) << " n=" << x.us.size()
                << " raw_tcp_p50_us=" << fmt(pct(x.raw_us, 50), 1)
                << " ratio_blocks_p50=" << fmt(pct(x.ratios, 50), 2)
                << " ratio_blocks_min=" << fmt(*std::min_element(x.ratios.begin(), x.ratios.end()), 2)
                << " ratio_blocks_max=" << fmt(*std::max_element(x.ratios.begin(), x.ratios.end()), 2)
                << " blocks=" << rtt_blocks << std::endl;
    };
    line("rtt32", r);
    // ... then with both processes held on two CPUs, one each, and on one CPU:
    // the two placements the scheduler moves between, each measured apart.
    auto cpus = allowed_cpus();
    if (cpus.size() >= 2) {
      pin_process(0, {cpus[0]});
      pin_process(peer_pid, {cpus[1]});
      line("rtt32_two_cpus", rtt_blocks_run(*c, raw, type));
      pin_process(peer_pid, {cpus[0]});
      line("rtt32_one_cpu", rtt_blocks_run(*c, raw, type));
      pin_process(0, cpus);
      pin_process(peer_pid, cpus);
    }
    c->finish();
  }

  void throughput(const std::string& type) {
    auto c = dial_peer(type, port_sink, nullptr);
    constexpr size_t chunk = 64 * 1024;
    std::vector<uint8_t> buf(chunk, 0x5a);
    uint64_t target = o.mib * 1024 * 1024, sent = 0;
    double cpu0 = self_cpu_s(), pcpu0 = proc_cpu_s(peer_pid);
    auto t0 = clk::now();
    auto deadline = t0 + std::chrono::duration_cast<clk::duration>(
                           std::chrono::duration<double>(o.seconds));
    uint64_t refused = 0;
    // whole MiB only: the sink acknowledges each
    while (sent < target && (clk::now() < deadline || sent % sink_ack_every != 0)) {
      auto r = c->core->write({buf.data(), buf.size()});
      if (r == tp::transport_core::write_result::ok) {
        sent += chunk;
        continue;
      }
      if (r != tp::transport_core::write_result::queue_full)
        die(type + ": write failed");
      ++refused;
      // on_writable comes once the queue drained to half
      if (!c->wait([&] { return c->writable || c->down; }, 10s) || c->down)
        die(type + ": the transport stalled");
      std::lock_guard<std::mutex> g{c->mtx};
      c->writable = false;
    }
    if (!c->wait([&] { return c->acked >= sent || c->down; }, 60s) || c->acked < sent)
      die(type + ": the sink did not acknowledge every byte");
    auto secs = std::chrono::duration<double>(clk::now() - t0).count();
    double cpu = self_cpu_s() - cpu0, pcpu = proc_cpu_s(peer_pid) - pcpu0;
    double mib = static_cast<double>(sent) / (1024.0 * 1024.0);
    std::cout << "TP " << type << " throughput_mib_s=" << fmt(mib / secs, 1)
              << " mb_s=" << fmt(static_cast<double>(sent) / secs / 1e6, 1)
              << " mb_per_cpu_s=" << fmt(static_cast<double>(sent) / 1e6 / (cpu + pcpu), 1)
              << " mib=" << fmt(mib, 0) << " secs=" << fmt(secs, 3)
              << " cpu_sender_s=" << fmt(cpu, 2) << " cpu_receiver_s=" << fmt(pcpu, 2)
              << " write=64KiB queue_full=" << refused;
    if (auto kl = c->kcp.lock()) // the sender's KCP, read on its shard
      std::cout << on_ctx(udp->context(), [&] {
        const auto& k = kl->kcp_stats();
        auto st = kl->kcp_state();
        const auto& u = udp->socket()->stats();
        return " kcp_segments_out=" + std::to_string(k.segments_out)
               + " retransmits=" + std::to_string(k.retransmits) + " lost="
               + std::to_string(k.lost) + " fast=" + std::to_string(k.fast_retransmits)
               + " early=" + std::to_string(k.early_retransmits) + " cwnd="
               + std::to_string(st.cwnd) + " rmt_wnd=" + std::to_string(st.rmt_wnd)
               + " srtt_ms=" + std::to_string(st.rx_srtt) + " udp_send_dropped="
               + std::to_string(u.send_dropped.load());
      });
    std::cout << std::endl;
    c->finish();
  }
};

// ---- the visor -----------------------------------------------------------------------------

/// Runs argv to its end (bounded); its exit code, or -1.
int run_wait(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = start_child(argv, log);
  if (pid <= 0)
    return -1;
  for (int i = 0; i < 3000; ++i) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) {
      for (auto& slot : child_pids)
        if (slot == pid)
          slot = 0;
      return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    std::this_thread::sleep_for(10ms);
  }
  stop_child(pid);
  return -1;
}

std::string read_text(const fs::path& p) {
  std::ifstream in{p};
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void visor_phase(world& w, const fs::path& dir) {
  auto& o = w.o;
  auto cfg = dir / "visor.json", log = dir / "visor.log";
  if (run_wait({o.skywire, "cli", "config", "gen", "--local", "-o", cfg.string(), "--local-path",
                (dir / "local").string()},
               (dir / "gen.log").string())
      != 0)
    die("skywire cli config gen failed: " + read_text(dir / "gen.log"));
  auto c = json::parse(read_text(cfg)).as_object();
  auto visor_pk = skywire::crypto::parse_public_key(c["pk"].as_string().c_str());
  if (!visor_pk)
    die("the generated config has no valid pk");
  // loopback only: stcp on an ephemeral port; no discovery, resolver or dmsg
  auto& stcp = c["skywire-tcp"].as_object();
  stcp["listening_address"] = "127.0.0.1:0";
  stcp["pk_table"] = nullptr;
  c["transport"].as_object()["discovery"] = "";
  c["transport"].as_object()["address_resolver"] = "";
  c["dmsg"].as_object()["discovery"] = "";
  std::ofstream{cfg} << json::serialize(c);
  pid_t vpid = start_child({o.skywire, "visor", "-c", cfg.string()}, log.string());
  if (vpid <= 0)
    die("cannot start the visor");
  std::string port_text;
  for (int i = 0; i < 1000 && port_text.empty(); ++i) {
    std::smatch m;
    auto text = read_text(log);
    if (std::regex_search(text, m, std::regex{"type=stcp addr=127\\.0\\.0\\.1:(\\d+)"}))
      port_text = m[1];
    else if (!child_alive(vpid))
      die("the visor exited: " + text);
    else
      std::this_thread::sleep_for(10ms);
  }
  if (port_text.empty())
    die("the visor's stcp listener did not come up: " + read_text(log));
  auto vport = static_cast<uint16_t>(std::stoi(port_text));
  std::this_thread::sleep_for(1500ms); // started: let it settle
  auto idle_kb = rss_kb(vpid);
  auto idle_anon = proc_status_kb(vpid, "RssAnon:");
  double vcpu0 = proc_cpu_s(vpid);
  // VmRSS counts the mapped pages of the binary and its libraries (shared,
  // clean) too; RssAnon is the process's own memory
  std::cout << "TP visor idle_rss_kib=" << idle_kb << " rss_anon_kib=" << idle_anon
            << " rss_file_kib=" << proc_status_kb(vpid, "RssFile:")
            << " threads=" << proc_threads(vpid) << std::endl;

  std::vector<client_ptr> held;
  std::vector<double> ms;
  auto dial_idle = [&](int i) {
    double t = 0;
    auto key = seeded_key("transport-bench-idle-" + std::to_string(i));
    held.push_back(w.dial("stcp", static_cast<uint16_t>(49300 + i % 1000), &t, key, *visor_pk,
                          vport));
    ms.push_back(t);
  };
  // The first transports fault in the code of the transport path (mapped
  // pages of the binary and its libraries, counted by VmRSS once, not per
  // transport): dial a few, then measure what each further idle transport
  // costs, the marginal figure the aim is about.
  const int warm = o.idle > 0 ? std::min(10, o.idle) : 0;
  for (int i = 0; i < warm; ++i)
    dial_idle(i);
  std::this_thread::sleep_for(1500ms);
  auto warm_kb = rss_kb(vpid);
  auto warm_anon = proc_status_kb(vpid, "RssAnon:");
  for (int i = warm; i < warm + o.idle; ++i)
    dial_idle(i);
  std::this_thread::sleep_for(1500ms);
  auto held_kb = rss_kb(vpid);
  auto held_anon = proc_status_kb(vpid, "RssAnon:");
  auto marginal = [&](uint64_t after, uint64_t before) {
    return o.idle > 0 ? (static_cast<double>(after) - static_cast<double>(before)) / o.idle : 0.0;
  };
  std::cout << "TP visor rss_with_idle_kib=" << held_kb << " rss_anon_kib=" << held_anon
            << " transports=" << warm + o.idle << " rss_after_first_kib=" << warm_kb
            << " first=" << warm << " per_transport_kib=" << fmt(marginal(held_kb, warm_kb), 2)
            << " per_transport_anon_kib=" << fmt(marginal(held_anon, warm_anon), 2)
            << " threads=" << proc_threads(vpid) << " dial_p50_ms=" << fmt(pct(ms, 50), 3)
            << " dial_p99_ms=" << fmt(pct(ms, 99), 3) << " discovery=none" << std::endl;
  if (!held.empty()) {
    auto ping = skywire::wire::routing::make_ping_packet(skywire::route_id{0}, 1, 0);
    auto bytes = skywire::wire::routing::encode(ping);
    if (!bytes)
      die("cannot encode a Ping");
    auto size = bytes->size();
    auto us = held.front()->round_trips(std::move(*bytes), size, 200, o.rtts, 60s);
    if (us.empty())
      die("visor: route-0 pings did not complete");
    std::cout << "TP visor ping_rtt_p50_us=" << fmt(pct(us, 50), 1)
              << " ping_rtt_p99_us=" << fmt(pct(us, 99), 1) << " packet_bytes=" << size
              << " n=" << us.size() << std::endl;
  }
  std::cout << "TP visor cpu_s=" << fmt(proc_cpu_s(vpid) - vcpu0, 2)
            << " (dials, pings and idle keep-alives)" << std::endl;
  for (auto& c : held)
    c->finish();
  stop_child(vpid);
}

int run_bench(options o) {
  raise_nofile();
  skywire::log::set_level(skywire::log::level::error);
  ::signal(SIGPIPE, SIG_IGN);
  std::cout << "TP start loadavg=" << loadavg() << " shards=" << o.shards << " mib=" << o.mib
            << " seconds=" << o.seconds << " rtts=" << o.rtts << " dials=" << o.dials
            << " idle=" << o.idle << std::endl;
  std::cout << "TP aead chacha20poly1305_ietf_enc_4070_mb_s=" << fmt(aead_rate(4070, 0.7), 0)
            << " enc_65536_mb_s=" << fmt(aead_rate(65536, 0.7), 0) << " (libsodium, 1 core)"
            << std::endl;
  std::cout << "TP aead_ours impl="
            << (skywire::crypto::chachapoly::active() == skywire::crypto::chachapoly::impl::avx512
                    ? "avx512"
                    : "libsodium")
            << " enc_4070_mb_s=" << fmt(aead_rate(4070, 0.7, true), 0)
            << " (runtime/crypto/chachapoly, what the transports use, 1 core)" << std::endl;

  char tmpl[] = "/tmp/transport_bench.XXXXXX";
  if (!::mkdtemp(tmpl))
    die("mkdtemp failed");
  fs::path dir{tmpl};
  world w{o};
  auto info = (dir / "peer.info").string();
  w.peer_pid = start_child({o.self, "--peer", info, "--shards", std::to_string(o.shards)});
  if (w.peer_pid <= 0)
    die("cannot start the peer");
  for (int i = 0; i < 1000 && !fs::exists(info); ++i) {
    if (!child_alive(w.peer_pid))
      die("the peer exited");
    std::this_thread::sleep_for(10ms);
  }
  auto pi = read_peer_info(info);
  if (!pi)
    die("the peer did not start");
  w.peer = *pi;
  auto udp = tp::sudph_socket::open(w.io.context(), "127.0.0.1", 0);
  if (!udp)
    die("UDP socket: " + skywire::describe(udp.error()));
  w.udp = *udp;
  on_ctx(w.io.context(), [&] { w.udp->start(nullptr); });

  for (const auto& type : o.types) {
    w.dials(type);
    w.rtt(type);
    w.throughput(type);
  }
  std::cout << "TP peer rss_kib=" << rss_kb(w.peer_pid) << std::endl;
  stop_child(w.peer_pid);
  on_ctx(w.io.context(), [&] { w.udp->close(); });
  if (o.visor)
    visor_phase(w, dir);
  std::cout << "TP end loadavg=" << loadavg() << std::endl;
  std::error_code ec;
  fs::remove_all(dir, ec);
  w.io.stop();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  dmsg_bench::bench_name = "transport_bench";
  skywire::system::tune_allocator(); // as the skywire binary does
  options o;
  fs::path self = fs::canonical("/proc/self/exe");
  o.skywire = (self.parent_path() / "skywire").string();
  o.self = self.string();
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    auto next = [&]() -> std::string {
      if (i + 1 >= args.size())
        die("missing value after " + args[i]);
      return args[++i];
    };
    const auto& a = args[i];
    if (a == "--peer")
      o.peer_info = next();
    else if (a == "--skywire")
      o.skywire = next();
    else if (a == "--mib")
      o.mib = std::stoull(next());
    else if (a == "--seconds")
      o.seconds = std::stod(next());
    else if (a == "--rtts")
      o.rtts = std::stoi(next());
    else if (a == "--dials")
      o.dials = std::stoi(next());
    else if (a == "--idle")
      o.idle = std::stoi(next());
    else if (a == "--shards")
      o.shards = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--no-visor")
      o.visor = false;
    else if (a == "--types") {
      o.types.clear();
      std::stringstream ss{next()};
      std::string t;
      while (std::getline(ss, t, ','))
        if (t == "stcpr" || t == "sudph")
          o.types.push_back(t);
        else
          die("unknown type " + t);
    } else
      die("unknown option " + a);
  }
  if (o.shards == 0 || o.rtts <= 0 || o.dials <= 0 || o.idle < 0 || o.mib == 0)
    die("bad option values");
  if (!o.peer_info.empty())
    return run_peer(o);
  return run_bench(std::move(o));
}
