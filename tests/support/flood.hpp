// A hostile load generator for tests and bench/flood_bench: many TCP
// connections to a loopback listener, of mixed kinds, from many loopback
// source addresses (127.1.x.y, and a few 127.0.0.x beside the honest
// 127.0.0.1), held open and reopened when the server closes them. One
// thread, epoll, non-blocking sockets; every socket is closed by stop().
// Loopback only: the target is 127.0.0.1, sources are in 127.0.0.0/8.
//
// Kinds (dmsg server):
//   half_open    connects, never sends (an idle or vanished client)
//   slowloris    sends one byte of a handshake frame every `drip` interval
//   garbage      sends random bytes as fast as the socket takes them
//   oversized    a frame length of 65535, then garbage
//   first_msg    a valid Noise XK message 1 (server's key), then silence
// Kinds (HTTP):
//   http_idle    connects, never sends
//   http_slow    a request line, then one header byte every `drip`
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include <pthread.h>
#include <time.h>
#include <unordered_map>
#include <vector>

#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/handshake.hpp"

namespace skywire::testing {

/// A framed Noise XK message 1 toward `server` from a fresh key (first_msg).
inline std::vector<uint8_t> xk_first_message(const public_key& server) {
  namespace nz = crypto::noise;
  nz::handshake::config cfg;
  cfg.pattern = nz::pattern_kind::xk;
  cfg.side = nz::role::initiator;
  cfg.local = crypto::generate_keypair();
  cfg.remote = server;
  auto hs = nz::handshake::make(cfg);
  std::vector<uint8_t> out;
  if (hs)
    (void) hs->write_frame(out);
  return out;
}

enum class flood_kind : uint8_t { half_open, slowloris, garbage, oversized, first_msg, http_idle, http_slow };

struct flood_config {
  uint16_t port = 0;
  size_t connections = 1000;          ///< held at once (reopened when closed)
  std::vector<flood_kind> kinds;      ///< round robin over the connections
  size_t sources = 1000;              ///< distinct source addresses 127.1.x.y
  size_t same_prefix_sources = 8;     ///< of them in 127.0.0.0/24 (127.0.0.2..)
  uint32_t reconnects_per_second = 4000; ///< bound on new connects after the first wave
  std::chrono::milliseconds drip{1000};  ///< slowloris interval
  std::vector<std::vector<uint8_t>> first_messages; ///< framed XK message 1s (first_msg)
  size_t writer_sndbuf = 32 * 1024; ///< SO_SNDBUF of garbage/oversized writers (0: the kernel's)
};

struct flood_stats {
  std::atomic<uint64_t> connects{0};       ///< connect() calls
  std::atomic<uint64_t> established{0};    ///< connects that completed
  std::atomic<uint64_t> closed_by_peer{0}; ///< EOF or reset seen
  std::atomic<uint64_t> failed{0};         ///< connect errors
  std::atomic<uint64_t> open{0};           ///< sockets open now
  std::atomic<uint64_t> bytes_sent{0};
};

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit.
inline uint64_t raise_nofile_limit() {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

class flood {
public:
  explicit flood(flood_config cfg) : cfg_(std::move(cfg)) {
    if (cfg_.kinds.empty())
      cfg_.kinds = {flood_kind::half_open};
    for (size_t i = 0; i < cfg_.sources; ++i) {
      in_addr a{};
      if (i < cfg_.same_prefix_sources)
        a.s_addr = htonl(0x7F000002u + static_cast<uint32_t>(i)); // 127.0.0.2..
      else {
        auto j = static_cast<uint32_t>(i - cfg_.same_prefix_sources);
        a.s_addr = htonl(0x7F010000u | ((j / 250) << 8) | (j % 250 + 1)); // 127.1.x.y
      }
      sources_.push_back(a);
    }
    garbage_.resize(64 * 1024);
    std::mt19937 rng{12345};
    for (auto& b : garbage_)
      b = static_cast<uint8_t>(rng());
    garbage_[0] = 0x7F; // a length prefix far beyond a handshake frame
  }
  ~flood() { stop(); }
  flood(const flood&) = delete;
  flood& operator=(const flood&) = delete;

  /// Opens the connections and keeps them up until stop().
  void start() {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    running_ = true;
    thread_ = std::thread{[this] { run(); }};
  }

  /// CPU seconds the flood's thread has used so far (0 when not running):
  /// what the attacker takes from the machine the test shares with it.
  double cpu_seconds() {
    if (!thread_.joinable())
      return 0;
    clockid_t cid{};
    timespec ts{};
    if (::pthread_getcpuclockid(thread_.native_handle(), &cid) != 0 || ::clock_gettime(cid, &ts) != 0)
      return 0;
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }

  /// Closes every socket and joins the thread (idempotent).
  void stop() {
    if (!running_.exchange(false)) {
      if (thread_.joinable())
        thread_.join();
      return;
    }
    thread_.join();
    for (auto& [fd, c] : conns_)
      ::close(fd);
    conns_.clear();
    stats.open = 0;
    if (ep_ >= 0)
      ::close(ep_);
    ep_ = -1;
  }

  /// True once the first wave (cfg.connections connects) has been made.
  bool first_wave_done() const { return first_wave_.load(); }

  flood_stats stats;

private:
  using clk = std::chrono::steady_clock;
  struct conn {
    flood_kind kind;
    bool connected = false;
    size_t sent = 0;
    clk::time_point next_drip{};
  };

  void open_one(size_t idx) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ++stats.failed;
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    auto kind = cfg_.kinds[idx % cfg_.kinds.size()];
    if (kind == flood_kind::garbage || kind == flood_kind::oversized) {
      // The writers fill the server's receive window as before, but through
      // a small send buffer: on one machine the generator would otherwise
      // spend its core copying megabytes into its own kernel buffers that
      // the server never reads (it refuses at the length prefix).
      int sndbuf = static_cast<int>(cfg_.writer_sndbuf);
      if (sndbuf > 0)
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    }
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr = sources_[idx % sources_.size()];
    ::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(cfg_.port);
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ++stats.connects;
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
    if (rc != 0 && errno != EINPROGRESS) {
      ++stats.failed;
      ::close(fd);
      return;
    }
    conn c;
    c.kind = kind;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    ev.data.fd = fd;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    conns_.emplace(fd, c);
    ++stats.open;
  }

  void drop(int fd, bool by_peer) {
    ::epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns_.erase(fd);
    --stats.open;
    if (by_peer)
      ++stats.closed_by_peer;
  }

  /// Sends what the kind sends once connected (or on writability).
  void feed(int fd, conn& c) {
    auto send = [&](const uint8_t* p, size_t n) -> ssize_t {
      auto r = ::send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (r > 0)
        stats.bytes_sent += static_cast<uint64_t>(r);
      return r;
    };
    switch (c.kind) {
      case flood_kind::garbage:
      case flood_kind::oversized: {
        if (c.kind == flood_kind::oversized && c.sent == 0) {
          uint8_t len[2] = {0xFF, 0xFF};
          if (send(len, 2) == 2)
            c.sent = 2;
        }
        for (int i = 0; i < 4; ++i) { // bounded per wake-up
          auto r = send(garbage_.data(), garbage_.size());
          if (r <= 0)
            break;
          c.sent += static_cast<size_t>(r);
        }
        break;
      }
      case flood_kind::first_msg:
        if (c.sent == 0 && !cfg_.first_messages.empty()) {
          auto& m = cfg_.first_messages[static_cast<size_t>(fd) % cfg_.first_messages.size()];
          if (send(m.data(), m.size()) > 0)
            c.sent = m.size();
        }
        break;
      case flood_kind::http_slow:
        if (c.sent == 0) {
          static const char line[] = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
          if (send(reinterpret_cast<const uint8_t*>(line), sizeof line - 1) > 0)
            c.sent = sizeof line - 1;
          c.next_drip = clk::now() + cfg_.drip;
        }
        break;
      case flood_kind::slowloris:
        if (c.sent == 0) {
          uint8_t b = 0x00; // the high byte of a 49-byte frame's length
          if (send(&b, 1) == 1)
            c.sent = 1;
          c.next_drip = clk::now() + cfg_.drip;
        }
        break;
      case flood_kind::half_open:
      case flood_kind::http_idle:
        break;
    }
  }

  void drip(clk::time_point now) {
    for (auto& [fd, c] : conns_) {
      if (!c.connected || c.next_drip == clk::time_point{} || now < c.next_drip)
        continue;
      c.next_drip = now + cfg_.drip;
      uint8_t b = c.kind == flood_kind::http_slow ? 'a' : (c.sent == 1 ? 0x31 : 0x00);
      if (::send(fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) {
        ++c.sent;
        ++stats.bytes_sent;
      }
    }
  }

  void run() {
    std::vector<epoll_event> evs(1024);
    size_t next_idx = 0;
    // the first wave as fast as possible
    while (running_ && next_idx < cfg_.connections)
      open_one(next_idx++);
    first_wave_ = true;
    auto last_refill = clk::now();
    double tokens = 0;
    auto last_drip = clk::now();
    std::vector<uint8_t> sink(64 * 1024);
    while (running_) {
      int n = ::epoll_wait(ep_, evs.data(), static_cast<int>(evs.size()), 20);
      for (int i = 0; i < n; ++i) {
        int fd = evs[static_cast<size_t>(i)].data.fd;
        auto it = conns_.find(fd);
        if (it == conns_.end())
          continue;
        auto e = evs[static_cast<size_t>(i)].events;
        auto& c = it->second;
        if (!c.connected && (e & EPOLLOUT) && !(e & (EPOLLERR | EPOLLHUP))) {
          c.connected = true;
          ++stats.established;
          feed(fd, c);
          // only the writers keep asking for writability
          if (c.kind != flood_kind::garbage && c.kind != flood_kind::oversized) {
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLRDHUP;
            ev.data.fd = fd;
            ::epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &ev);
          }
        } else if (c.connected && (e & EPOLLOUT)) {
          feed(fd, c);
        }
        if (e & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
          if (!c.connected)
            ++stats.failed;
          drop(fd, c.connected);
          continue;
        }
        if (e & EPOLLIN) {
          auto r = ::recv(fd, sink.data(), sink.size(), MSG_DONTWAIT);
          if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            drop(fd, true);
        }
      }
      auto now = clk::now();
      // reopen what the server closed, at a bounded rate
      tokens += std::chrono::duration<double>(now - last_refill).count()
                * cfg_.reconnects_per_second;
      tokens = std::min(tokens, static_cast<double>(cfg_.reconnects_per_second) / 10.0);
      last_refill = now;
      while (tokens >= 1.0 && conns_.size() < cfg_.connections) {
        open_one(next_idx++);
        tokens -= 1.0;
      }
      if (now - last_drip >= std::chrono::milliseconds{50}) {
        drip(now);
        last_drip = now;
      }
    }
  }

  flood_config cfg_;
  std::vector<in_addr> sources_;
  std::vector<uint8_t> garbage_;
  std::unordered_map<int, conn> conns_;
  int ep_ = -1;
  std::atomic<bool> running_{false};
  std::atomic<bool> first_wave_{false};
  std::thread thread_;
};

} // namespace skywire::testing
