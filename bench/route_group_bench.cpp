// The cost of the route group's modes in one process (issue 10, uniform
// cells: "benchmark the cost and pick the size"; docs/benchmarks.md "Route
// group"): two route group cores back to back, packets handed over in memory
// (no transport, no forwarding hop), so the figures are the group's own work:
// route-level Noise sealing and opening, inner framing, padding, acks.
// Modes: the reference (one Noise frame per DataPacket), reliable mode, and
// reliable mode with cells of 512, 1024 and 1400 bytes. Workloads: bulk
// (64 KiB writes) and interactive (100-byte writes), one direction.
// Per mode and workload, one "RG ..." line: app MB (10^6) per CPU-second of
// the process and wire bytes per app byte (routing headers included; acks
// and padding counted).
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <vector>

#include <sys/resource.h>

#include "actors/routing/route_group_core.hpp"
#include "runtime/crypto/keys.hpp"

using namespace skywire;
using namespace skywire::routing;
using core = route_group_core;
namespace wr = skywire::wire::routing;

namespace {

/// Timers that only run when the bench says so (nothing here needs them:
/// no loss, so no retransmission; no pings within a run).
class manual_timers : public io::timer_service {
public:
  timer_id schedule(std::chrono::nanoseconds, std::function<void()> fn) override {
    fns_[next_] = std::move(fn);
    return next_++;
  }
  bool cancel(timer_id id) override { return fns_.erase(id) > 0; }

private:
  std::map<timer_id, std::function<void()>> fns_;
  timer_id next_ = 1;
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct pipe_pair {
  manual_timers timers;
  struct in_flight {
    bool to_b;
    wr::packet_type t;
    byte_buffer payload;
  };
  std::deque<in_flight> q;
  uint64_t wire_bytes = 0;
  uint64_t got = 0;
  std::unique_ptr<core> a, b;

  core::write_fn writer(bool to_b) {
    return [this, to_b](wr::packet_type t, route_id, byte_span p) {
      wire_bytes += wr::packet_header_size + p.size();
      q.push_back({to_b, t, byte_buffer{p.begin(), p.end()}});
      return core::send_status::ok;
    };
  }
  void pump() {
    while (!q.empty()) {
      auto f = std::move(q.front());
      q.pop_front();
      auto& dst = f.to_b ? *b : *a;
      dst.on_packet(wr::packet_view{f.t, route_id{1}, {f.payload.data(), f.payload.size()}});
    }
  }
};

void run(const char* mode, wr::group_options opt, const char* load, size_t write_size,
         size_t total) {
  pipe_pair pp;
  auto ka = crypto::generate_keypair();
  auto kb = crypto::generate_keypair();
  core::config ca, cb;
  ca.side = core::role::initiator;
  ca.local = ka;
  ca.remote = kb.pk;
  ca.offer = opt;
  cb.side = core::role::responder;
  cb.local = kb;
  cb.remote = ka.pk;
  cb.offer = opt;
  pp.a = std::make_unique<core>(std::move(ca), pp.timers, pp.writer(true));
  pp.b = std::make_unique<core>(std::move(cb), pp.timers, pp.writer(false));
  pp.b->set_sink([&](byte_buffer&& d) {
    pp.got += d.size();
    pp.b->consumed(d.size());
  });
  pp.b->start();
  pp.a->start();
  pp.pump();
  if (pp.a->current_phase() != core::phase::established) {
    std::printf("RG %s %s: handshake failed\n", mode, load);
    return;
  }
  pp.wire_bytes = 0;
  byte_buffer chunk(write_size, 0x5a);
  double c0 = cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  size_t sent = 0;
  while (sent < total) {
    if (pp.a->write({chunk.data(), chunk.size()}) != core::write_result::ok) {
      std::printf("RG %s %s: write refused\n", mode, load);
      return;
    }
    sent += chunk.size();
    pp.pump();
  }
  pp.pump();
  double cpu = cpu_seconds() - c0;
  double wall =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (pp.got != sent) {
    std::printf("RG %s %s: %llu of %zu bytes arrived\n", mode, load,
                static_cast<unsigned long long>(pp.got), sent);
    return;
  }
  total = sent;
  std::printf("RG %-16s %-12s app %7.1f MB/CPU-s  %7.1f MB/s wall  wire/app %.3f\n", mode, load,
              static_cast<double>(total) / 1e6 / cpu, static_cast<double>(total) / 1e6 / wall,
              static_cast<double>(pp.wire_bytes) / static_cast<double>(total));
}

} // namespace

int main() {
  struct mode {
    const char* name;
    wr::group_options opt;
  };
  const mode modes[] = {
    {"reference", {}},
    {"reliable", {.reliable = true, .cell_size = 0}},
    {"reliable+c512", {.reliable = true, .cell_size = 512}},
    {"reliable+c1024", {.reliable = true, .cell_size = 1024}},
    {"reliable+c1400", {.reliable = true, .cell_size = 1400}},
    {"cells1024", {.reliable = false, .cell_size = 1024}},
  };
  for (const auto& m : modes) {
    run(m.name, m.opt, "bulk-64KiB", 64 * 1024, 128 * 1024 * 1024);
    run(m.name, m.opt, "interactive", 100, 8 * 1024 * 1024);
  }
  return 0;
}
