// The simulated link: an in-memory io::byte_link pair driven by a virtual
// clock, with faults injected per direction (one-way delay and jitter, a
// bandwidth cap, chunking at an MTU, loss and reordering of chunks, a cut after
// N bytes or on demand). Everything runs on the thread that advances the
// clock: a test is deterministic (seeded randomness, no sleeps, no sockets)
// and takes no wall time for the virtual seconds it simulates.
//
// Transmission model per direction: a write is split into chunks (mtu); each
// chunk occupies the sender's line for size / bandwidth, then travels for
// delay (+ jitter); it leaves the sender's queue (on_sent, queued_bytes) when
// its transmission ends and reaches the peer's on_data when it arrives.
// Lost chunks are transmitted and never arrive; a reordered chunk arrives
// after the next one.
//
// close() cuts both directions by default (both ends read a reset). With
// set_fin_on_close(true) it ends the link as a TCP close does: what was
// written still arrives, then the peer reads the end of the stream
// (on_closed with eof) and this end reports operation_aborted.
//
// Datagram pairs (make_datagram_pair, for UDP protocols such as KCP): a
// write is one datagram, never split or merged: it is delivered whole, one
// on_data / on_span call per datagram, or lost; a write longer than the mtu
// is refused (as a UDP socket refuses it). A UDP path that goes silent is
// loss = 1 (cut() closes both ends, which UDP never tells anyone).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/error.hpp>

#include "runtime/io/byte_link.hpp"

namespace skywire::sim {

using nanos = std::chrono::nanoseconds;

/// A virtual clock and its event queue (single-threaded; at()/after() may be
/// called from any thread, events run on the thread calling advance/run_until).
class network : public io::timer_service {
public:
  explicit network(uint64_t seed = 1) : rng_(seed) {}

  // -- io::timer_service: data timers on the virtual clock -----------------------------
  timer_id schedule(std::chrono::nanoseconds delay, std::function<void()> fn) override {
    auto id = next_timer_++;
    auto alive = std::make_shared<bool>(true);
    timers_[id] = alive;
    after(delay, [this, id, alive, fn = std::move(fn)] {
      if (!*alive)
        return;
      timers_.erase(id);
      fn();
    });
    return id;
  }
  bool cancel(timer_id id) override {
    auto i = timers_.find(id);
    if (i == timers_.end())
      return false;
    *i->second = false;
    timers_.erase(i);
    return true;
  }

  nanos now() const { return now_; }

  void at(nanos at, std::function<void()> fn) {
    std::lock_guard<std::mutex> g{mtx_};
    events_.emplace(std::make_pair(std::max(at, now_), seq_++), std::move(fn));
  }
  void after(nanos dt, std::function<void()> fn) { at(now_ + dt, std::move(fn)); }

  /// Runs every event due within dt, advancing the clock to each; the clock
  /// ends at now + dt. Returns the number of events run.
  size_t advance(nanos dt) {
    auto end = now_ + dt;
    size_t n = 0;
    while (run_one(end))
      ++n;
    now_ = end;
    return n;
  }

  /// Runs events until pred() holds or `limit` of virtual time has passed.
  bool run_until(const std::function<bool()>& pred, nanos limit, nanos step = nanos{1'000'000}) {
    auto end = now_ + limit;
    while (!pred()) {
      if (now_ >= end)
        return false;
      advance(std::min(step, end - now_));
    }
    return true;
  }

  std::mt19937_64& rng() { return rng_; }

private:
  bool run_one(nanos end) {
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> g{mtx_};
      if (events_.empty() || events_.begin()->first.first > end)
        return false;
      auto it = events_.begin();
      now_ = it->first.first;
      fn = std::move(it->second);
      events_.erase(it);
    }
    fn();
    return true;
  }

  nanos now_{0};
  uint64_t seq_ = 0;
  std::mutex mtx_;
  std::map<std::pair<nanos, uint64_t>, std::function<void()>> events_;
  std::mt19937_64 rng_;
  timer_id next_timer_ = 1;
  std::map<timer_id, std::shared_ptr<bool>> timers_;
};

/// Faults of one direction.
struct faults {
  nanos delay{0};
  nanos jitter{0};          ///< uniform in [0, jitter], added to delay
  uint64_t bandwidth = 0;   ///< bytes per second; 0 = unlimited
  size_t mtu = 0;           ///< chunk size; 0 = one chunk per write
  double loss = 0;          ///< probability that a chunk never arrives
  double reorder = 0;       ///< probability that a chunk arrives after the next one
  uint64_t cut_after = 0;   ///< cut the link once this many bytes were sent (0 = never)
};

struct link_stats {
  uint64_t bytes_sent = 0;
  uint64_t chunks_sent = 0;
  uint64_t chunks_lost = 0;
  uint64_t chunks_reordered = 0;
  uint64_t bytes_delivered = 0;
};

class sim_link : public io::byte_link, public std::enable_shared_from_this<sim_link> {
public:
  sim_link(network& net, std::string name, faults f) : net_(net), name_(std::move(name)), f_(f) {}

  /// Connects two endpoints (each direction with its own faults).
  static std::pair<std::shared_ptr<sim_link>, std::shared_ptr<sim_link>>
  make_pair(network& net, faults a_to_b = {}, faults b_to_a = {}) {
    auto a = std::make_shared<sim_link>(net, "sim:a", a_to_b);
    auto b = std::make_shared<sim_link>(net, "sim:b", b_to_a);
    a->peer_ = b;
    b->peer_ = a;
    return {a, b};
  }

  // -- byte_link ------------------------------------------------------------------------

  void start(callbacks cbs, size_t max_read) override {
    std::lock_guard<std::recursive_mutex> g{mtx_};
    cbs_ = std::move(cbs);
    max_read_ = max_read == 0 ? 1 : max_read;
    started_ = true;
    if (closed_) {
      net_.after(nanos{0}, [self = shared_from_this()] { self->finish(); });
      return;
    }
    schedule_rx();
  }

  /// Connects two endpoints that exchange datagrams (see the top).
  static std::pair<std::shared_ptr<sim_link>, std::shared_ptr<sim_link>>
  make_datagram_pair(network& net, faults a_to_b = {}, faults b_to_a = {}) {
    auto p = make_pair(net, a_to_b, b_to_a);
    p.first->datagrams_ = true;
    p.second->datagrams_ = true;
    return p;
  }

  bool write(io::byte_buffer&& bytes) override {
    std::lock_guard<std::recursive_mutex> g{mtx_};
    if (closed_ || queued_ + bytes.size() > max_queued_)
      return false;
    if (datagrams_) {
      if (f_.mtu > 0 && bytes.size() > f_.mtu)
        return false;
      transmit(std::move(bytes));
      return true;
    }
    if (bytes.empty())
      return true;
    size_t chunk = f_.mtu == 0 ? bytes.size() : f_.mtu;
    for (size_t off = 0; off < bytes.size(); off += chunk) {
      auto n = std::min(chunk, bytes.size() - off);
      io::byte_buffer c(bytes.begin() + static_cast<std::ptrdiff_t>(off),
                        bytes.begin() + static_cast<std::ptrdiff_t>(off + n));
      transmit(std::move(c));
    }
    return true;
  }

  void pause_reading() override {
    std::lock_guard<std::recursive_mutex> g{mtx_};
    paused_ = true;
  }
  void resume_reading() override {
    std::lock_guard<std::recursive_mutex> g{mtx_};
    paused_ = false;
    schedule_rx();
  }

  void close() override {
    bool fin = false;
    {
      std::lock_guard<std::recursive_mutex> g{mtx_};
      fin = fin_on_close_;
    }
    if (fin)
      send_fin();
    else
      cut();
  }

  /// close() sends a FIN instead of cutting (see the top).
  void set_fin_on_close(bool on) {
    std::lock_guard<std::recursive_mutex> g{mtx_};
    fin_on_close_ = on;
  }

  size_t queued_bytes() const override {
    std::lock_guard<std::recursive_mutex> g{mtx_};
    return queued_;
  }
  void set_max_queued(size_t n) override {
    std::lock_guard<std::recursive_mutex> g{mtx_};
    max_queued_ = n;
  }
  std::string remote_endpoint() const override { return name_; }
  io::timer_service& timers() override { return net_; }
  void post(std::function<void()> fn) override { net_.after(nanos{0}, std::move(fn)); }

  // -- simulation -------------------------------------------------------------------------

  /// Cuts both directions now: both ends get on_closed (connection reset);
  /// chunks in flight are lost.
  void cut() {
    std::shared_ptr<sim_link> peer;
    {
      std::lock_guard<std::recursive_mutex> g{mtx_};
      if (closed_)
        return;
      closed_ = true;
      ++epoch_;
      peer = peer_.lock();
      net_.after(nanos{0}, [self = shared_from_this()] { self->finish(); });
    }
    if (peer)
      peer->cut();
  }

  /// Ends this side as a TCP close does: bytes in flight still arrive, then
  /// the peer reads the end of the stream.
  void send_fin() {
    std::shared_ptr<sim_link> peer;
    nanos at{0};
    {
      std::lock_guard<std::recursive_mutex> g{mtx_};
      if (closed_)
        return;
      closed_ = true;
      close_ec_ = boost::asio::error::operation_aborted;
      peer = peer_.lock();
      // after every chunk already on the line
      at = std::max(net_.now(), line_free_) + f_.delay + f_.jitter;
      net_.after(nanos{0}, [self = shared_from_this()] { self->finish(); });
    }
    if (peer)
      net_.at(at, [peer] { peer->receive_fin(); });
  }

  const link_stats& stats() const { return stats_; }
  faults& fault_config() { return f_; }
  bool closed() const {
    std::lock_guard<std::recursive_mutex> g{mtx_};
    return closed_;
  }

private:
  void transmit(io::byte_buffer chunk) {
    auto n = chunk.size();
    queued_ += n;
    auto start = std::max(net_.now(), line_free_);
    nanos tx{0};
    if (f_.bandwidth > 0)
      tx = nanos{static_cast<int64_t>(n * 1'000'000'000ull / f_.bandwidth)};
    line_free_ = start + tx;
    auto sent_at = line_free_;
    auto jitter = nanos{0};
    if (f_.jitter.count() > 0)
      jitter = nanos{static_cast<int64_t>(net_.rng()() % static_cast<uint64_t>(f_.jitter.count()))};
    auto arrive = sent_at + f_.delay + jitter;
    bool lost = f_.loss > 0 && std::uniform_real_distribution<double>{0, 1}(net_.rng()) < f_.loss;
    bool late = !lost && f_.reorder > 0 &&
                std::uniform_real_distribution<double>{0, 1}(net_.rng()) < f_.reorder;
    stats_.bytes_sent += n;
    ++stats_.chunks_sent;
    bool cut_now = f_.cut_after > 0 && stats_.bytes_sent >= f_.cut_after;
    auto epoch = epoch_;
    auto self = shared_from_this();
    net_.at(sent_at, [self, n, epoch] {
      std::function<void(size_t)> on_sent;
      {
        std::lock_guard<std::recursive_mutex> g{self->mtx_};
        if (epoch != self->epoch_ || self->finished_)
          return;
        self->queued_ -= n;
        on_sent = self->cbs_.on_sent;
      }
      if (on_sent)
        on_sent(n);
    });
    if (lost) {
      ++stats_.chunks_lost;
    } else if (auto peer = peer_.lock()) {
      if (late) {
        ++stats_.chunks_reordered;
        held_late_.push_back(std::move(chunk));
      } else {
        deliver_at(peer, arrive, std::move(chunk), epoch);
        // a chunk held back goes right after this one
        for (auto& h : held_late_)
          deliver_at(peer, arrive, std::move(h), epoch);
        held_late_.clear();
      }
    }
    if (cut_now)
      net_.at(sent_at, [self] { self->cut(); });
  }

  void deliver_at(const std::shared_ptr<sim_link>& peer, nanos at, io::byte_buffer chunk,
                  uint64_t epoch) {
    auto self = shared_from_this();
    net_.at(at, [self, peer, c = std::move(chunk), epoch]() mutable {
      {
        std::lock_guard<std::recursive_mutex> g{self->mtx_};
        if (epoch != self->epoch_)
          return;
        self->stats_.bytes_delivered += c.size();
      }
      peer->receive(std::move(c));
    });
  }

  void receive(io::byte_buffer&& chunk) {
    std::lock_guard<std::recursive_mutex> g{mtx_};
    if (closed_)
      return;
    rx_.push_back(std::move(chunk));
    schedule_rx();
  }

  void receive_fin() {
    std::lock_guard<std::recursive_mutex> g{mtx_};
    if (closed_)
      return;
    closed_ = true; // writes are refused from now on
    fin_received_ = true;
    close_ec_ = boost::asio::error::eof;
    if (rx_.empty() && !rx_pending_)
      net_.after(nanos{0}, [self = shared_from_this()] { self->finish(); });
    else
      schedule_rx();
  }

  void schedule_rx() {
    if (rx_pending_ || rx_.empty() || paused_ || !started_ || (closed_ && !fin_received_))
      return;
    rx_pending_ = true;
    net_.after(nanos{0}, [self = shared_from_this()] { self->read_batch(); });
  }

  /// One read: everything buffered, up to max_read bytes.
  void read_batch() {
    std::function<void(io::byte_buffer&&)> on_data;
    std::function<void(std::span<const uint8_t>)> on_span;
    io::byte_buffer batch;
    {
      std::lock_guard<std::recursive_mutex> g{mtx_};
      rx_pending_ = false;
      if (paused_ || (closed_ && !fin_received_) || rx_.empty())
        return;
      if (datagrams_) {
        batch = std::move(rx_.front());
        rx_.pop_front();
      }
      while (!datagrams_ && !rx_.empty() && batch.size() < max_read_) {
        auto& front = rx_.front();
        auto take = std::min(front.size(), max_read_ - batch.size());
        batch.insert(batch.end(), front.begin(), front.begin() + static_cast<std::ptrdiff_t>(take));
        if (take == front.size())
          rx_.pop_front();
        else
          front.erase(front.begin(), front.begin() + static_cast<std::ptrdiff_t>(take));
      }
      on_data = cbs_.on_data;
      on_span = cbs_.on_span;
    }
    if (on_span)
      on_span(std::span<const uint8_t>{batch});
    else if (on_data)
      on_data(std::move(batch));
    std::lock_guard<std::recursive_mutex> g{mtx_};
    if (fin_received_ && rx_.empty() && !finished_) {
      net_.after(nanos{0}, [self = shared_from_this()] { self->finish(); });
      return;
    }
    schedule_rx();
  }

  void finish() {
    std::function<void(const boost::system::error_code&)> cb;
    boost::system::error_code ec;
    {
      std::lock_guard<std::recursive_mutex> g{mtx_};
      if (finished_ || !started_)
        return;
      finished_ = true;
      ec = close_ec_;
      cb = std::move(cbs_.on_closed);
      cbs_ = {};
      rx_.clear();
      queued_ = 0;
    }
    if (cb)
      cb(ec);
  }

  network& net_;
  std::string name_;
  faults f_;
  std::weak_ptr<sim_link> peer_;
  mutable std::recursive_mutex mtx_;
  callbacks cbs_;
  size_t max_read_ = 256 * 1024;
  size_t max_queued_ = 16 * 1024 * 1024;
  size_t queued_ = 0;
  nanos line_free_{0};
  std::deque<io::byte_buffer> rx_;
  std::vector<io::byte_buffer> held_late_;
  uint64_t epoch_ = 0;
  bool started_ = false;
  bool paused_ = false;
  bool rx_pending_ = false;
  bool closed_ = false;
  bool finished_ = false;
  bool datagrams_ = false;
  bool fin_on_close_ = false;
  bool fin_received_ = false;
  boost::system::error_code close_ec_ = boost::asio::error::connection_reset;
  link_stats stats_;
};

} // namespace skywire::sim
