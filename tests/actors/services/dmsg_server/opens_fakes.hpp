// Two (or more) server sessions without sockets or actors, for session_opens
// tests: each has a dmsg_server_link writing into a recording sink, its
// session_opens registered in a registry, a fake io thread (manual timers,
// posted work run on demand) and the client's side of the Noise session, so
// a test plays both clients and drives the server's open protocol directly.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <caf/actor.hpp>
#include <doctest/doctest.h>

#include "actors/dmsg/objects.hpp"
#include "actors/services/dmsg_server_opens.hpp"
#include "actors/services/dmsg_server_registry.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "tests/actors/services/dmsg_server/relay_fakes.hpp"

namespace dmsg_opens_test {

using namespace dmsg_relay_test;
using namespace std::chrono_literals;
namespace sw = skywire;
namespace sd = skywire::services::session_detail;
namespace nz = skywire::crypto::noise;
namespace dm = skywire::dmsg;

/// The session's io thread: here() on the owner thread, manual timers,
/// posted work kept until run_posted().
class fake_thread final : public sd::open_thread {
public:
  bool here() const override { return std::this_thread::get_id() == owner; }
  sw::io::timer_service& timers() override { return timers_; }
  void post(std::function<void()> fn) override {
    std::lock_guard<std::mutex> g{mtx_};
    posted_.push_back(std::move(fn));
  }
  size_t run_posted() {
    std::vector<std::function<void()>> fs;
    {
      std::lock_guard<std::mutex> g{mtx_};
      fs.swap(posted_);
    }
    for (auto& f : fs)
      f();
    return fs.size();
  }
  void advance(std::chrono::nanoseconds d) { timers_.advance(d); }
  size_t timers_pending() const { return timers_.due.size(); }

  std::atomic<std::thread::id> owner{std::this_thread::get_id()};

private:
  struct manual_timers final : sw::io::timer_service {
    timer_id schedule(std::chrono::nanoseconds delay, std::function<void()> fn) override {
      due[++last] = {now + delay, std::move(fn)};
      return last;
    }
    bool cancel(timer_id id) override { return due.erase(id) > 0; }
    void advance(std::chrono::nanoseconds d) {
      now += d;
      for (auto i = due.begin(); i != due.end();) {
        if (i->second.first > now) {
          ++i;
          continue;
        }
        auto fn = std::move(i->second.second);
        i = due.erase(i);
        fn();
      }
    }
    std::chrono::nanoseconds now{0};
    timer_id last = 0;
    std::map<timer_id, std::pair<std::chrono::nanoseconds, std::function<void()>>> due;
  };
  std::mutex mtx_;
  std::vector<std::function<void()>> posted_;
  manual_timers timers_;
};

/// A recording sink that wakes waiters, with a hook run on every write.
class waiting_sink final : public rl::frame_sink {
public:
  bool write(bytes&& b) override {
    std::function<void()> hook;
    {
      std::lock_guard<std::mutex> g{mtx};
      if (closed)
        return false;
      out.insert(out.end(), b.begin(), b.end());
      hook = std::move(on_write);
    }
    cv.notify_all();
    if (hook)
      hook(); // once
    return true;
  }
  size_t queued_bytes() const override { return 0; }
  void close() override {
    std::lock_guard<std::mutex> g{mtx};
    closed = true;
  }
  std::vector<frame> frames() {
    std::lock_guard<std::mutex> g{mtx};
    return take_frames(out);
  }
  /// Waits (bounded, as a failure guard) until something was written.
  void wait(std::chrono::milliseconds limit = 10s) {
    std::unique_lock<std::mutex> g{mtx};
    cv.wait_for(g, limit, [&] { return !out.empty(); });
  }

  std::mutex mtx;
  std::condition_variable cv;
  bytes out;
  bool closed = false;
  std::function<void()> on_write;
};

/// What the session actor would do: control hooks straight into the opens;
/// events raised under relay locks recorded, delivered by deliver().
class hooks final : public rl::link_hooks, public rl::stream_events {
public:
  void handshake_frame(bytes, bool) override {}
  void control_data(uint32_t id) override {
    if (auto o = opens.lock())
      o->on_control(id);
  }
  void control_reset(uint32_t id) override {
    if (auto o = opens.lock())
      o->on_client_reset(id);
  }
  void failed(const char* r) override {
    std::lock_guard<std::mutex> g{mtx};
    failure = r;
  }
  void reset_stream(uint32_t id) override {
    std::lock_guard<std::mutex> g{mtx};
    resets.push_back(id);
  }
  void fin_sent(uint32_t) override {}

  std::weak_ptr<sd::session_opens> opens;
  std::mutex mtx;
  std::vector<uint32_t> resets;
  std::string failure;
};

/// What one client sees on its streams.
struct stream_view {
  bool syn = false, rst = false, fin = false;
  std::optional<bytes> object; ///< the decrypted object the server wrote
  bytes data;                  ///< stream data after it
  dm::object_reader rd;
};

struct session {
  sw::crypto::keypair client = sw::crypto::generate_keypair();
  std::shared_ptr<waiting_sink> sink = std::make_shared<waiting_sink>();
  std::shared_ptr<hooks> ev = std::make_shared<hooks>();
  std::shared_ptr<fake_thread> thread = std::make_shared<fake_thread>();
  std::shared_ptr<rl::dmsg_server_link> link;
  std::shared_ptr<sd::session_opens> opens;
  nz::session client_sess; ///< the client's side
  uint32_t next_id = 1;
  std::map<uint32_t, stream_view> seen;

  session(const std::shared_ptr<const sw::services::dmsg_session_context>& ctx) {
    link = std::make_shared<rl::dmsg_server_link>(sink, ev, ev, rl::link_config{});
    auto ini = nz::handshake::make({nz::pattern_kind::xk, nz::role::initiator, client,
                                    ctx->server_keys.pk, std::nullopt});
    auto res = nz::handshake::make({nz::pattern_kind::xk, nz::role::responder, ctx->server_keys,
                                    sw::public_key{}, std::nullopt});
    REQUIRE(ini);
    REQUIRE(res);
    while (!ini->finished() || !res->finished()) {
      auto& w = ini->my_turn() ? *ini : *res;
      auto& r = ini->my_turn() ? *res : *ini;
      auto m = w.write_message();
      REQUIRE(m);
      REQUIRE(!r.read_message(*m));
    }
    auto cs = ini->split();
    auto ss = res->split();
    REQUIRE(cs);
    REQUIRE(ss);
    client_sess = std::move(*cs);
    opens = std::make_shared<sd::session_opens>(ctx, link, std::move(*ss), client.pk, thread);
    ev->opens = opens;
    ctx->registry->add(client.pk, caf::actor{}, opens);
    // Two handshake frames, then yamux (as the handshake and the actor do).
    bytes m1{0, 49};
    m1.resize(2 + 49, 1);
    bytes m3{0, 65};
    m3.resize(2 + 65, 3);
    link->on_data(m1);
    link->on_data(m3);
    link->start_yamux();
  }

  /// Client: opens a stream to `to` with a signed request; returns its id.
  /// forge: the signature is broken (still SrcAddr = this client's key).
  uint32_t request(const session& to, dm::signed_request* out = nullptr, bool forge = false) {
    uint32_t id = next_id;
    next_id += 2;
    sw::wire::dmsg::stream_request req;
    req.timestamp = 1;
    req.src = {client.pk, sw::port{49152}};
    req.dst = {to.client.pk, sw::port{80}};
    req.noise_msg.assign(49, 0x42);
    auto sr = dm::make_stream_request(req, client.sk);
    if (forge)
      sr.bytes[10] ^= 0x55;
    bytes obj;
    REQUIRE(!dm::seal_object(client_sess, sr.bytes, obj));
    auto b = yamux_frame(ym::frame_type::window_update, ym::flag::syn, id);
    auto d = yamux_frame(ym::frame_type::data, 0, id, obj);
    b.insert(b.end(), d.begin(), d.end());
    link->on_data(b);
    if (out)
      *out = std::move(sr);
    return id;
  }

  /// Client: answers the request the server wrote on its stream id.
  void respond(uint32_t id, bool accepted = true, const bytes& then = {}, bool forge = false) {
    auto& v = seen.at(id);
    REQUIRE(v.object);
    sw::wire::dmsg::stream_response resp;
    resp.req_hash = sw::crypto::sha256(*v.object);
    resp.accepted = accepted;
    resp.noise_msg.assign(49, 0x24);
    auto sr = dm::make_stream_response(resp, client.sk);
    if (forge)
      sr.bytes[10] ^= 0x55;
    bytes obj;
    REQUIRE(!dm::seal_object(client_sess, sr.bytes, obj));
    obj.insert(obj.end(), then.begin(), then.end());
    link->on_data(yamux_frame(ym::frame_type::data, 0, id, obj));
  }

  void send(uint32_t id, const bytes& data, uint16_t flags = 0) {
    link->on_data(yamux_frame(ym::frame_type::data, flags, id, data));
  }

  /// Client: reads what the server wrote so far.
  void read() {
    for (auto& f : sink->frames()) {
      auto& v = seen[f.hdr.stream_id];
      v.syn = v.syn || f.hdr.has(ym::flag::syn);
      v.rst = v.rst || f.hdr.has(ym::flag::rst);
      v.fin = v.fin || f.hdr.has(ym::flag::fin);
      if (f.hdr.type != ym::frame_type::data || f.body.empty())
        continue;
      if (v.object) {
        v.data.insert(v.data.end(), f.body.begin(), f.body.end());
        continue;
      }
      auto r = v.rd.feed(f.body);
      REQUIRE(r);
      if (*r) {
        auto p = v.rd.open(client_sess);
        REQUIRE(p);
        v.object = std::move(*p);
        v.data = v.rd.leftover();
      }
    }
  }
  /// Server streams that carry a request not yet answered.
  std::vector<uint32_t> incoming() {
    std::vector<uint32_t> r;
    for (auto& [id, v] : seen)
      if ((id & 1) == 0 && v.syn && v.object && !v.rst)
        r.push_back(id);
    return r;
  }
  /// What the session actor would do with events raised under relay locks.
  void deliver() {
    std::vector<uint32_t> rs;
    {
      std::lock_guard<std::mutex> g{ev->mtx};
      rs.swap(ev->resets);
    }
    for (auto id : rs)
      opens->reset(id);
  }
};

inline std::shared_ptr<sw::services::dmsg_session_context> make_ctx() {
  auto ctx = std::make_shared<sw::services::dmsg_session_context>();
  ctx->server_keys = sw::crypto::generate_keypair();
  ctx->registry = std::make_shared<sw::services::dmsg_server_registry>(16);
  ctx->limits.response_timeout = 20s;
  return ctx;
}

} // namespace dmsg_opens_test
