// The yamux session engine (runtime/yamux/session) carried by two route
// group cores over a simulated 2-hop route (route_group_support.hpp), wired
// as actors/apps/yamux_route wires it: the session writes batches into the
// core, a queue_full answer holds it back until the core's drain callback,
// received route bytes are fed to the session and consumed. Many streams
// echo through the route under a bandwidth cap with a small route send
// queue, so the route's back-pressure is exercised; every byte comes back
// in order.
#include <doctest/doctest.h>

#include <map>

#include "runtime/yamux/session.hpp"
#include "tests/sim/route_group_support.hpp"

using namespace rg_sim;

namespace {

/// A session on one end of the route, as yamux_route connects them.
struct mux {
  std::shared_ptr<core> c;
  std::unique_ptr<yamux::session> s;
  std::map<uint32_t, byte_buffer> got;
  uint64_t drains = 0;

  void wire(yamux::session::role role, bool echo) {
    yamux::session::hooks h;
    h.send = [this](yamux::byte_span b) {
      switch (c->write(b)) {
        case core::write_result::ok: return yamux::session::send_result::ok;
        case core::write_result::queue_full: return yamux::session::send_result::busy;
        default: return yamux::session::send_result::failed;
      }
    };
    h.on_accept = [this, echo](uint32_t id) { s->set_handler(id, handler(id, echo)); };
    s = std::make_unique<yamux::session>(role, std::move(h));
    c->set_sink([this](byte_buffer&& b) {
      s->on_carrier_data({b.data(), b.size()});
      c->consumed(b.size());
    });
    c->set_drain_fn([this] {
      ++drains;
      s->carrier_writable();
    });
  }

  yamux::session::stream_handler handler(uint32_t id, bool echo) {
    yamux::session::stream_handler h;
    h.on_data = [this, id, echo](yamux::byte_span b) {
      got[id].insert(got[id].end(), b.begin(), b.end());
      if (echo)
        s->write(id, b);
      s->consumed(id, b.size());
    };
    h.on_fin = [this, id, echo] {
      if (echo)
        s->close(id);
    };
    return h;
  }
};

} // namespace

TEST_CASE("yamux over a route group: 16 echoed streams over 2 hops, the route's queue pushing back") {
  route r;
  faults f;
  f.delay = 5ms;
  f.bandwidth = 20'000'000;
  wr::group_options rel;
  rel.reliable = true;
  r.build(2, f);
  auto ca = r.cfg(core::role::initiator, rel);
  auto cb = r.cfg(core::role::responder, rel);
  ca.max_send_queue = cb.max_send_queue = 128 * 1024;
  ca.reliable_send_queue = cb.reliable_send_queue = 128 * 1024;
  r.a.c = std::make_shared<core>(ca, r.net, r.writer(true));
  r.b.c = std::make_shared<core>(cb, r.net, r.writer(false));
  r.attach(r.a);
  r.attach(r.b);
  r.start_and_establish();
  mux client, server;
  client.c = r.a.c;
  server.c = r.b.c;
  client.wire(yamux::session::role::client, false);
  server.wire(yamux::session::role::server, true);

  std::map<uint32_t, byte_buffer> sent;
  for (uint8_t i = 0; i < 16; ++i) {
    auto id = client.s->open(client.handler(0, false));
    REQUIRE(id);
    client.s->set_handler(*id, client.handler(*id, false));
    sent[*id] = pattern(256 * 1024 + i * 1000u, i);
    REQUIRE(client.s->write(*id, sent[*id]));
    client.s->close(*id);
  }
  auto done = [&] {
    for (auto& [id, b] : sent)
      if (client.got[id].size() < b.size())
        return false;
    return true;
  };
  REQUIRE(r.net.run_until(done, 120s));
  for (auto& [id, b] : sent) {
    CHECK(server.got[id] == b);
    CHECK(client.got[id] == b);
  }
  CHECK(client.s->stats().busy > 0);  // the route's send queue refused batches
  CHECK(client.drains > 0);           // and its drain callback resumed them
  CHECK_FALSE(client.s->ended());
  CHECK_FALSE(server.s->ended());
  CHECK(r.a.c->current_phase() == core::phase::established);
}
