// The two ends of bench/transport_bench's transports, over the real stack
// (transport_core on a TCP stream_connection for stcpr, on a kcp_link of a
// sudph_socket for sudph: the transport handshake, Noise KK, the settlement,
// then Noise transport frames).
//
//   responder (the peer process): what it does with a transport is chosen by
//     the initiator's SrcAddr port (Frame2), so one listener serves every
//     phase: port_echo echoes every byte on its io thread, port_sink counts
//     bytes and answers each whole MiB with its 8-byte little-endian total,
//     anything else stays idle.
//   client (the bench process): an initiator whose events a waiting thread
//     sees (up, down, writable, the sink's acknowledged total), and an
//     optional round-trip loop that runs on the link's thread: a message is
//     written, the reply's bytes are counted there, the next message leaves
//     from the same callback (no thread hop on our side).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "actors/transport/kcp_link.hpp"
#include "actors/transport/transport_core.hpp"
#include "runtime/io/admission.hpp"

namespace tp_bench {

namespace tp = skywire::transport;
using clk = std::chrono::steady_clock;
using skywire::byte_span;

inline constexpr uint16_t port_echo = 49200;
inline constexpr uint16_t port_sink = 49201;
inline constexpr uint16_t port_idle = 49202;
inline constexpr uint64_t sink_ack_every = 1024 * 1024;

// ---- the responder ----------------------------------------------------------------------

/// One accepted transport of the peer: kept alive by its core's callbacks
/// until on_down (which drops them).
struct responder {
  tp::transport_core_ptr core;
  uint16_t behaviour = 0;
  uint64_t total = 0;
  std::function<void()> on_up; ///< the listener's confirmation (sudph), an admission release
};

/// Starts a responder core of `type` over `link`; `confirm` runs once up.
inline void accept_transport(const skywire::crypto::keypair& key, const std::string& type,
                             skywire::io::byte_link_ptr link, std::function<void()> confirm) {
  auto r = std::make_shared<responder>();
  r->on_up = std::move(confirm);
  tp::transport_core::params p;
  p.mode = tp::transport_mode::noise_kk;
  p.role = tp::transport_role::responder;
  p.type = type;
  p.max_send_queue = tp::send_queue_for(type);
  p.local = key;
  p.on_up = [r](const tp::established& e) {
    r->behaviour = e.remote.prt.value;
    if (auto fn = std::exchange(r->on_up, {}))
      fn();
  };
  p.on_data = [r](byte_span b) {
    if (r->behaviour == port_echo) {
      r->core->write(b); // queue_full is not expected for echoes
    } else if (r->behaviour == port_sink) {
      auto before = r->total / sink_ack_every;
      r->total += b.size();
      if (r->total / sink_ack_every > before) {
        uint8_t ack[8];
        uint64_t v = r->total;
        std::memcpy(ack, &v, 8);
        r->core->write({ack, 8});
      }
    }
  };
  p.on_down = [r](const caf::error&) { r->core.reset(); };
  auto core = tp::transport_core::make(std::move(p));
  if (!core)
    return;
  r->core = *core;
  r->core->start(std::move(link));
}

// ---- the client (initiator) --------------------------------------------------------------

struct client : std::enable_shared_from_this<client> {
  std::mutex mtx;
  std::condition_variable cv;
  tp::transport_core_ptr core;
  bool up = false;
  bool down = false;
  bool writable = false;
  caf::error err;
  clk::time_point t_up;
  uint64_t acked = 0; ///< the sink's latest total
  std::weak_ptr<tp::kcp_link> kcp; ///< the link of a sudph client

  // the round-trip loop, [link] while it runs
  struct rtt_loop {
    std::vector<uint8_t> msg;
    size_t reply = 0; ///< bytes that make one reply
    size_t got = 0;
    int warmup = 0;
    int left = 0;
    clk::time_point sent;
    std::vector<double> us;
    std::promise<void> done;
  };
  std::unique_ptr<rtt_loop> loop;
  std::vector<uint8_t> ack_bytes; ///< a partial sink acknowledgement [link]

  /// The initiator core (not started) of `type` to `remote`, its behaviour
  /// chosen by `src_port`.
  static std::shared_ptr<client> make(const skywire::crypto::keypair& key,
                                      const skywire::public_key& remote, const std::string& type,
                                      uint16_t src_port) {
    auto c = std::make_shared<client>();
    tp::transport_core::params p;
    p.mode = tp::transport_mode::noise_kk;
    p.role = tp::transport_role::initiator;
    p.type = type;
    p.max_send_queue = tp::send_queue_for(type); // as the visor's transports
    p.local = key;
    p.remote = remote;
    p.local_port = skywire::port{src_port};
    p.on_up = [c](const tp::established&) {
      auto now = clk::now();
      std::lock_guard<std::mutex> g{c->mtx};
      c->up = true;
      c->t_up = now;
      c->cv.notify_all();
    };
    p.on_data = [c](byte_span b) { c->on_data(b); };
    p.on_writable = [c] {
      std::lock_guard<std::mutex> g{c->mtx};
      c->writable = true;
      c->cv.notify_all();
    };
    p.on_down = [c](const caf::error& e) {
      std::lock_guard<std::mutex> g{c->mtx};
      c->down = true;
      c->err = e;
      c->cv.notify_all();
    };
    auto core = tp::transport_core::make(std::move(p));
    if (!core)
      return nullptr;
    c->core = *core;
    return c;
  }

  void on_data(byte_span b) {
    if (loop) {
      auto& l = *loop;
      l.got += b.size();
      while (l.got >= l.reply && l.left > 0) {
        l.got -= l.reply;
        auto now = clk::now();
        if (l.warmup > 0)
          --l.warmup;
        else {
          l.us.push_back(std::chrono::duration<double, std::micro>(now - l.sent).count());
          --l.left;
        }
        if (l.left == 0) {
          l.done.set_value();
          return;
        }
        l.sent = clk::now();
        core->write({l.msg.data(), l.msg.size()});
      }
      return;
    }
    // the sink's acknowledgements: 8-byte totals
    ack_bytes.insert(ack_bytes.end(), b.begin(), b.end());
    size_t whole = ack_bytes.size() / 8 * 8;
    if (whole == 0)
      return;
    uint64_t v = 0;
    std::memcpy(&v, ack_bytes.data() + whole - 8, 8);
    ack_bytes.erase(ack_bytes.begin(), ack_bytes.begin() + static_cast<ptrdiff_t>(whole));
    std::lock_guard<std::mutex> g{mtx};
    acked = v;
    cv.notify_all();
  }

  /// Waits for `pred` (under the lock) at most `limit`.
  template <class P>
  bool wait(P pred, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> g{mtx};
    return cv.wait_for(g, limit, [&] { return pred(); });
  }

  /// n round trips of `msg` (answered by `reply` bytes) after `warmup`
  /// unmeasured ones; the loop runs on the link's thread. Empty on failure.
  std::vector<double> round_trips(std::vector<uint8_t> msg, size_t reply, int warmup, int n,
                                  std::chrono::milliseconds limit) {
    loop = std::make_unique<rtt_loop>();
    loop->msg = std::move(msg);
    loop->reply = reply;
    loop->warmup = warmup;
    loop->left = n;
    auto fut = loop->done.get_future();
    loop->sent = clk::now();
    if (core->write({loop->msg.data(), loop->msg.size()})
        != tp::transport_core::write_result::ok)
      return {};
    if (fut.wait_for(limit) != std::future_status::ready)
      return {}; // the loop object stays: the link may still call in
    auto us = std::move(loop->us);
    loop.reset();
    return us;
  }

  /// Ends the transport and waits for on_down (bounded).
  void finish() {
    if (!core)
      return;
    core->abort();
    wait([&] { return down; }, std::chrono::seconds{5});
  }
};

using client_ptr = std::shared_ptr<client>;

} // namespace tp_bench
