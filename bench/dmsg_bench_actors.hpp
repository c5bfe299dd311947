// Event-based driver actors of bench/dmsg_bench. Results go back to main()
// through std::promise (the main thread only waits, it is not on any path).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "actors/dmsg/client.hpp"
#include "actors/dmsg/stream_core.hpp"
#include "messages/api/dmsg.hpp"
#include "messages/error.hpp"
#include "runtime/io/io_runtime.hpp"

namespace dmsg_bench {

using clk = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace api = skywire::api;

inline double ms_since(clk::time_point t0) {
  return std::chrono::duration<double, std::milli>(clk::now() - t0).count();
}

struct series {
  std::vector<double> v; ///< milliseconds
  int failures = 0;
  std::string last_error;
  double wall_s = 0;
};

/// Dials `target` `n` times in a row (each stream closed once open); records
/// each dial's latency.
class opener : public caf::event_based_actor {
public:
  opener(caf::actor_config& cfg, api::dmsg_client_actor client, skywire::address target, int n,
         std::shared_ptr<std::promise<series>> done)
    : caf::event_based_actor(cfg), client_(std::move(client)), target_(target), n_(n),
      done_(std::move(done)) {}

  caf::behavior make_behavior() override {
    start_ = clk::now();
    next();
    return {
      [](api::closed_atom, caf::error&) {},
      [](api::data_atom, api::byte_buffer&) {},
      [](api::ack_atom, uint64_t) {},
    };
  }

private:
  void next() {
    if (i_ >= n_) {
      res_.wall_s = ms_since(start_) / 1000;
      done_->set_value(std::move(res_));
      quit();
      return;
    }
    auto t0 = clk::now();
    // No request timeout: the client answers every dial within its stream
    // handshake deadline (20 s), and a CAF request timeout costs the clock
    // thread two wake-ups per dial (set, then cancel) that Go's Dial has not.
    request(client_, caf::infinite, api::dial_atom::value, target_)
      .then(
        [this, t0](api::stream_opened& s) {
          res_.v.push_back(ms_since(t0));
          send(s.stream, api::close_atom::value);
          ++i_;
          next();
        },
        [this](caf::error& err) {
          ++res_.failures;
          res_.last_error = skywire::describe(err);
          ++i_;
          next();
        });
  }

  api::dmsg_client_actor client_;
  skywire::address target_;
  int n_;
  int i_ = 0;
  clk::time_point start_;
  series res_;
  std::shared_ptr<std::promise<series>> done_;
};

/// Opens one stream, then `warm + n` times: writes `size` bytes, waits for
/// them to come back (echo), records the round trip of the last n.
class pinger : public caf::event_based_actor {
public:
  pinger(caf::actor_config& cfg, api::dmsg_client_actor client, skywire::address target, int warm, int n,
         size_t size, std::shared_ptr<std::promise<series>> done)
    : caf::event_based_actor(cfg), client_(std::move(client)), target_(target), warm_(warm),
      n_(n), payload_(size, 0xa5), done_(std::move(done)) {}

  caf::behavior make_behavior() override {
    request(client_, std::chrono::seconds(10), api::dial_atom::value, target_)
      .then(
        [this](api::stream_opened& s) {
          stream_ = s.stream;
          // Write through the stream's data path (no actor hop per write).
          request(stream_, std::chrono::seconds(10), api::score_atom::value)
            .then(
              [this](skywire::dmsg::stream_core_ptr& core) {
                core_ = std::move(core);
                start_ = clk::now();
                ping();
              },
              [this](caf::error& err) { fail(skywire::describe(err)); });
        },
        [this](caf::error& err) { fail(skywire::describe(err)); });
    return {
      [this](api::data_atom, api::byte_buffer& b) {
        got_ += b.size();
        core_->consumed(b.size());
        if (got_ < payload_.size())
          return;
        got_ -= payload_.size();
        if (i_ >= warm_)
          res_.v.push_back(ms_since(t0_));
        ++i_;
        if (i_ >= warm_ + n_) {
          res_.wall_s = ms_since(start_) / 1000;
          send(stream_, api::close_atom::value);
          finished_ = true;
          done_->set_value(std::move(res_));
          quit();
          return;
        }
        ping();
      },
      [](api::ack_atom, uint64_t) {},
      [this](api::closed_atom, caf::error& err) {
        if (!finished_)
          fail("stream closed: " + skywire::describe(err));
      },
    };
  }

private:
  void ping() {
    t0_ = clk::now();
    if (core_->write(payload_) != skywire::dmsg::stream_core::write_result::ok)
      fail("write refused");
  }

  void fail(std::string why) {
    if (finished_)
      return;
    finished_ = true;
    res_.failures++;
    res_.last_error = std::move(why);
    done_->set_value(std::move(res_));
    quit();
  }

  api::dmsg_client_actor client_;
  skywire::address target_;
  int warm_, n_;
  int i_ = 0;
  api::byte_buffer payload_;
  size_t got_ = 0;
  api::dmsg_stream_actor stream_;
  skywire::dmsg::stream_core_ptr core_;
  clk::time_point t0_, start_;
  bool finished_ = false;
  series res_;
  std::shared_ptr<std::promise<series>> done_;
};

/// Like pinger, but A consumes on its io thread: the answer is read and the
/// next ping written by a direct sink on A's stream (as pipes and relays
/// consume), so a round trip is four socket crossings and no actor hop. The
/// actor only dials and hands the stream over.
class shard_pinger : public caf::event_based_actor {
public:
  shard_pinger(caf::actor_config& cfg, api::dmsg_client_actor client, skywire::address target, int warm,
               int n, std::shared_ptr<std::promise<series>> done)
    : caf::event_based_actor(cfg), client_(std::move(client)), target_(target),
      st_(std::make_shared<state>()) {
    st_->warm = warm;
    st_->n = n;
    st_->done = std::move(done);
  }

  caf::behavior make_behavior() override {
    request(client_, std::chrono::seconds(10), api::dial_atom::value, target_)
      .then(
        [this](api::stream_opened& s) {
          stream_ = s.stream;
          request(stream_, std::chrono::seconds(10), api::score_atom::value)
            .then(
              [this](skywire::dmsg::stream_core_ptr& core) { start(std::move(core)); },
              [this](caf::error& err) { fail(skywire::describe(err)); });
        },
        [this](caf::error& err) { fail(skywire::describe(err)); });
    return {
      [](api::data_atom, api::byte_buffer&) {},
      [](api::ack_atom, uint64_t) {},
      [this](api::closed_atom, caf::error& err) { fail("stream closed: " + skywire::describe(err)); },
    };
  }

private:
  struct state {
    int warm = 0, n = 0, i = 0;
    size_t got = 0;
    api::byte_buffer payload = api::byte_buffer(32, 0xa5);
    clk::time_point t0, start;
    series res;
    std::atomic<bool> finished{false};
    std::shared_ptr<std::promise<series>> done;
    void finish(std::string err = {}) {
      if (finished.exchange(true))
        return;
      if (!err.empty()) {
        res.failures++;
        res.last_error = std::move(err);
      }
      done->set_value(std::move(res));
    }
  };

  void start(skywire::dmsg::stream_core_ptr core) {
    std::weak_ptr<skywire::dmsg::stream_core> weak = core;
    auto st = st_;
    // Runs on A's io thread from here on.
    core->set_sink([weak, st](api::byte_buffer&& b) {
      auto c = weak.lock();
      if (!c || st->finished)
        return;
      st->got += b.size();
      c->consumed(b.size());
      if (st->got < st->payload.size())
        return;
      st->got -= st->payload.size();
      if (st->i >= st->warm)
        st->res.v.push_back(ms_since(st->t0));
      if (++st->i >= st->warm + st->n) {
        st->res.wall_s = ms_since(st->start) / 1000;
        return st->finish();
      }
      st->t0 = clk::now();
      c->write(st->payload);
    });
    st->start = st->t0 = clk::now();
    if (core->write(st->payload) != skywire::dmsg::stream_core::write_result::ok)
      fail("write refused");
    core_ = std::move(core);
  }

  void fail(std::string why) {
    st_->finish(std::move(why));
    quit();
  }

  api::dmsg_client_actor client_;
  skywire::address target_;
  api::dmsg_stream_actor stream_;
  skywire::dmsg::stream_core_ptr core_;
  std::shared_ptr<state> st_;
};

/// B's echo: every accepted stream's data is written back, on the stream's
/// io thread (a direct sink: no actor hop between reading and writing back).
inline caf::behavior echo(caf::event_based_actor* self) {
  return {
    [self](api::accept_atom, api::stream_opened& s) {
      // An accepted stream holds its data until it has an owner or a sink.
      self->request(s.stream, std::chrono::seconds(10), api::score_atom::value)
        .then([](skywire::dmsg::stream_core_ptr& core) {
          std::weak_ptr<skywire::dmsg::stream_core> weak = core;
          core->set_sink([weak](api::byte_buffer&& b) {
            if (auto c = weak.lock()) {
              c->write(b);
              c->consumed(b.size());
            }
          });
        },
        [](caf::error&) {
          // the stream ended before it was handed over (the opener phase
          // closes its streams at once): nothing to echo
        });
    },
    [self](api::data_atom, api::byte_buffer& b) {
      auto n = static_cast<uint32_t>(b.size());
      auto stream = caf::actor_cast<caf::actor>(self->current_sender());
      self->send(stream, api::write_atom::value, std::move(b));
      self->send(stream, api::consumed_atom::value, n);
    },
    [](api::ack_atom, uint64_t) {},
    [](api::closed_atom, caf::error&) {},
  };
}

struct sink_stats {
  std::atomic<uint64_t> bytes{0};
  std::atomic<int64_t> last_ns{0}; ///< steady_clock time of the last byte
};

/// B's sink: counts what arrives and hands the window back at once.
inline caf::behavior sink(caf::event_based_actor* self, std::shared_ptr<sink_stats> st) {
  return {
    [self](api::accept_atom, api::stream_opened& s) {
      // An accepted stream holds its data until it has an owner.
      self->send(s.stream, api::set_owner_atom::value, caf::actor_cast<caf::actor>(self));
    },
    [self, st](api::data_atom, api::byte_buffer& b) {
      st->bytes.fetch_add(b.size(), std::memory_order_relaxed);
      st->last_ns.store(clk::now().time_since_epoch().count(), std::memory_order_relaxed);
      self->send(caf::actor_cast<caf::actor>(self->current_sender()), api::consumed_atom::value,
                 static_cast<uint32_t>(b.size()));
    },
    [](api::ack_atom, uint64_t) {},
    [](api::closed_atom, caf::error&) {},
  };
}

/// B's sink on its io thread: every accepted stream gets a direct sink that
/// counts and re-opens the window in place (as pipes consume: no actor hop
/// between reading and crediting).
inline caf::behavior shard_sink(caf::event_based_actor* self, std::shared_ptr<sink_stats> st) {
  return {
    [self, st](api::accept_atom, api::stream_opened& s) {
      self->request(s.stream, std::chrono::seconds(10), api::score_atom::value)
        .then(
          [st](skywire::dmsg::stream_core_ptr& core) {
            std::weak_ptr<skywire::dmsg::stream_core> weak = core;
            core->set_sink([weak, st](api::byte_buffer&& b) {
              st->bytes.fetch_add(b.size(), std::memory_order_relaxed);
              st->last_ns.store(clk::now().time_since_epoch().count(), std::memory_order_relaxed);
              if (auto c = weak.lock())
                c->consumed(b.size());
            });
          },
          [](caf::error&) {});
    },
    [](api::data_atom, api::byte_buffer&) {},
    [](api::ack_atom, uint64_t) {},
    [](api::closed_atom, caf::error&) {},
  };
}

struct send_result {
  clk::time_point t0;
  uint64_t sent = 0;
  api::dmsg_stream_actor stream;
  std::string error;
};

/// Opens a stream and writes `chunk`-byte buffers until `total` bytes or
/// `budget` elapsed, keeping at most `max_inflight` unacknowledged bytes.
class sender : public caf::event_based_actor {
public:
  /// max_frame: cap the stream's yamux frames (0 = the default; 4096 = one
  /// yamux frame per Noise frame, as Go senders write).
  sender(caf::actor_config& cfg, api::dmsg_client_actor client, skywire::address target, uint64_t total,
         std::chrono::milliseconds budget, size_t chunk, uint64_t max_inflight,
         std::shared_ptr<std::promise<send_result>> done, size_t max_frame = 0)
    : caf::event_based_actor(cfg), client_(std::move(client)), target_(target), total_(total),
      budget_(budget), chunk_(chunk), max_inflight_(max_inflight), done_(std::move(done)),
      max_frame_(max_frame) {}

  caf::behavior make_behavior() override {
    request(client_, std::chrono::seconds(10), api::dial_atom::value, target_)
      .then(
        [this](api::stream_opened& s) {
          res_.stream = s.stream;
          if (max_frame_ == 0)
            return start();
          request(s.stream, std::chrono::seconds(10), api::score_atom::value)
            .then(
              [this](skywire::dmsg::stream_core_ptr& core) {
                core->set_max_frame(max_frame_);
                start();
              },
              [this](caf::error& err) { report(skywire::describe(err)); });
        },
        [this](caf::error& err) { report(skywire::describe(err)); });
    return {
      [this](api::ack_atom, uint64_t n) {
        inflight_ -= std::min(inflight_, n);
        pump();
      },
      [](api::data_atom, api::byte_buffer&) {},
      [this](api::closed_atom, caf::error& err) {
        report("stream closed: " + skywire::describe(err));
      },
    };
  }

private:
  void start() {
    res_.t0 = clk::now();
    deadline_ = res_.t0 + budget_;
    pump();
  }

  void pump() {
    if (reported_)
      return;
    auto now = clk::now();
    while (inflight_ < max_inflight_ && res_.sent < total_ && now < deadline_) {
      auto n = static_cast<size_t>(std::min<uint64_t>(chunk_, total_ - res_.sent));
      send(res_.stream, api::write_atom::value, api::byte_buffer(n, 0x5a));
      res_.sent += n;
      inflight_ += n;
    }
    if (res_.sent >= total_ || now >= deadline_)
      report({});
  }

  void report(std::string err) {
    if (reported_)
      return;
    reported_ = true;
    res_.error = std::move(err);
    done_->set_value(res_);
  }

  api::dmsg_client_actor client_;
  skywire::address target_;
  uint64_t total_;
  std::chrono::milliseconds budget_;
  size_t chunk_;
  uint64_t max_inflight_;
  uint64_t inflight_ = 0;
  clk::time_point deadline_;
  bool reported_ = false;
  send_result res_;
  std::shared_ptr<std::promise<send_result>> done_;
  size_t max_frame_ = 0;
};

struct setup_result {
  series s;
  std::vector<api::dmsg_client_actor> clients;
};

/// Starts one real dmsg client per config, `parallel` at a time, each until
/// its session is up (ready); keeps them (idle sessions). Stops launching
/// after `budget`.
class setup_driver : public caf::event_based_actor {
public:
  setup_driver(caf::actor_config& cfg, skywire::io::io_runtime* io,
               std::vector<skywire::dmsg::client_config> cfgs, int parallel,
               std::chrono::milliseconds budget, std::shared_ptr<std::promise<setup_result>> done)
    : caf::event_based_actor(cfg), io_(io), cfgs_(std::move(cfgs)), parallel_(parallel),
      budget_(budget), done_(std::move(done)) {}

  caf::behavior make_behavior() override {
    start_ = clk::now();
    for (int k = 0; k < parallel_; ++k)
      start_one();
    return {[](api::ok_atom) {}};
  }

private:
  void start_one() {
    if (next_ >= cfgs_.size() || clk::now() - start_ > budget_) {
      if (finished_ == launched_)
        finish();
      return;
    }
    auto c = skywire::dmsg::spawn_dmsg_client(system(), *io_, std::move(cfgs_[next_++]));
    ++launched_;
    res_.clients.push_back(c);
    auto t0 = clk::now();
    request(c, std::chrono::seconds(15), api::ready_atom::value)
      .then(
        [this, t0](api::ok_atom) {
          res_.s.v.push_back(ms_since(t0));
          ++finished_;
          start_one();
        },
        [this](caf::error& err) {
          ++res_.s.failures;
          res_.s.last_error = skywire::describe(err);
          ++finished_;
          start_one();
        });
  }

  void finish() {
    if (delivered_)
      return;
    delivered_ = true;
    res_.s.wall_s = ms_since(start_) / 1000;
    done_->set_value(std::move(res_));
    quit();
  }

  skywire::io::io_runtime* io_;
  std::vector<skywire::dmsg::client_config> cfgs_;
  int parallel_;
  std::chrono::milliseconds budget_;
  size_t next_ = 0, launched_ = 0, finished_ = 0;
  bool delivered_ = false;
  clk::time_point start_;
  setup_result res_;
  std::shared_ptr<std::promise<setup_result>> done_;
};

} // namespace dmsg_bench
