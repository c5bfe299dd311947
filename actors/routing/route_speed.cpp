#include "actors/routing/route_speed.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <cstdint>

#include <boost/json.hpp>

#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/routing/errors.hpp"
#include "actors/routing/route_group_errors.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::routing {

namespace {

constexpr const char* component = "routes";
using clock_type = std::chrono::steady_clock;
using speed_failed_atom = caf::atom_constant<caf::atom("rs_failed")>;

// ---- the speed port: a sink that acknowledges, and the test that drives it --------------------

constexpr uint64_t mib_bytes = 1024 * 1024;
constexpr size_t speed_write = 64 * 1024; ///< bytes per write of the test

api::byte_buffer be64(uint64_t v) {
  api::byte_buffer b(8);
  for (int i = 7; i >= 0; --i, v >>= 8)
    b[static_cast<size_t>(i)] = static_cast<uint8_t>(v & 0xff);
  return b;
}

/// Reads 8-byte big-endian numbers out of a stream of chunks.
struct be64_reader {
  std::array<uint8_t, 8> buf{};
  size_t len = 0;
  /// Takes bytes from `in` at `off` until a number is complete (then true).
  bool take(const api::byte_buffer& in, size_t& off, uint64_t& out) {
    while (len < buf.size() && off < in.size())
      buf[len++] = in[off++];
    if (len < buf.size())
      return false;
    out = 0;
    for (auto b : buf)
      out = (out << 8) | b;
    len = 0;
    return true;
  }
};

/// One route on the speed port.
struct sink_route {
  be64_reader head;
  bool have_count = false;
  uint64_t expect = 0;
  uint64_t got = 0;
  uint64_t next_ack = mib_bytes;
};

} // namespace

void attach_speed_sink(route_group_core& core) {
  auto r = std::make_shared<sink_route>();
  // the core owns its sink, so the pointer outlives every call of it
  core.set_sink([r, c = &core](byte_buffer&& bytes) {
    c->consumed(bytes.size());
    size_t off = 0;
    if (!r->have_count) {
      if (!r->head.take(bytes, off, r->expect))
        return;
      r->have_count = true;
      if (r->expect == 0 || r->expect > uint64_t{api::max_speed_mib} * mib_bytes)
        return c->close(make_error(routing_errc::bad_rule, "speed: a count out of range"));
    }
    r->got += bytes.size() - off;
    if (r->got > r->expect)
      return c->close(make_error(routing_errc::bad_rule, "speed: more bytes than announced"));
    if (r->got == r->expect || r->got >= r->next_ack) {
      auto n = be64(r->got);
      if (c->write({n.data(), n.size()}) != route_group_core::write_result::ok)
        return c->close(make_error(routing_errc::unavailable, "speed: the acknowledgement was refused"));
      r->next_ack = (r->got / mib_bytes + 1) * mib_bytes;
    }
  });
}

caf::behavior route_speed_listener(caf::event_based_actor*) {
  return {
    [](api::rt_accept_atom, const api::route_group_actor&, const public_key&, uint16_t) {},
    [](api::data_atom, const api::byte_buffer&) {}, // none: the sink is on the shard
    [](api::closed_atom, const caf::error&) {},
  };
}

namespace {

struct speed_state {
  api::route_speed req;
  caf::response_promise rp;
  api::route_manager_actor manager;
  api::route_group_actor group;
  clock_type::time_point started, first_write, last_ack;
  int64_t setup_us = 0;
  uint64_t total = 0;
  be64_reader acks;
  bool reporting = false;
  bool done = false;
  /// The route as `visor route ls` lists it at the end (null: not found).
  boost::json::value route;
  static inline const char* name = "route_speed";
};
using speed_actor = caf::stateful_actor<speed_state>;

void speed_finish(speed_actor* self, caf::error err) {
  auto& st = self->state;
  if (st.done)
    return;
  st.done = true;
  if (st.group)
    self->send(st.group, api::close_atom::value);
  if (err) {
    st.rp.deliver(std::move(err));
  } else {
    auto secs = std::chrono::duration<double>(st.last_ack - st.first_write).count();
    boost::json::object o;
    o["remote"] = st.req.remote.hex();
    o["min_hops"] = st.req.min_hops;
    o["setup_ms"] = static_cast<double>(st.setup_us) / 1000.0;
    o["bytes"] = st.total;
    o["seconds"] = secs;
    o["mb_s"] = secs > 0 ? static_cast<double>(st.total) / secs / 1e6 : 0.0;
    o["paths_asked"] = st.req.paths;
    if (const auto* r = st.route.if_object())
      for (const char* k : {"paths", "retransmits", "rtt_us"})
        if (const auto* v = r->if_contains(k))
          o[k] = *v;
    st.rp.deliver(boost::json::serialize(o));
  }
  self->quit();
}

/// The last byte is acknowledged: the clock stops; the route's paths,
/// retransmissions and round trip as the manager lists them go into the
/// answer (the route is ours: it wrote the count and every byte).
void speed_report(speed_actor* self) {
  auto& st = self->state;
  if (st.done || st.reporting)
    return;
  st.reporting = true;
  st.last_ack = clock_type::now();
  self->request(st.manager, std::chrono::seconds{2}, api::rt_routes_atom::value)
    .then(
      [self](std::string& listed) {
        auto& st = self->state;
        boost::system::error_code ec;
        auto v = boost::json::parse(listed, ec);
        if (!ec && v.is_array())
          for (const auto& e : v.as_array()) {
            const auto* o = e.if_object();
            const auto* out = o ? o->if_contains("bytes_out") : nullptr;
            const auto* side = o ? o->if_contains("side") : nullptr;
            if (out && out->is_number() && side && side->is_string() && *side == "dialed"
                && out->to_number<uint64_t>() == st.total + 8) {
              st.route = e;
              break;
            }
          }
        speed_finish(self, {});
      },
      [self](caf::error&) { speed_finish(self, {}); });
}

/// The bytes of the test (their value does not matter; one buffer for all).
const std::array<uint8_t, speed_write>& speed_bytes() {
  static const auto b = [] {
    std::array<uint8_t, speed_write> a{};
    a.fill(0x5a);
    return a;
  }();
  return b;
}

/// The writer on the route's io shard: the count, then every byte, as fast as
/// the group's send queue takes them (its drain callback resumes a refused
/// write), so no byte crosses a mailbox. A write that fails is reported to
/// the tester actor.
struct shard_pump {
  route_group_core* core = nullptr; ///< the core owns the drain callback that holds us
  caf::actor tester;
  uint64_t total = 0;
  uint64_t left = 0;
  bool header = false;
  bool failed = false;

  void run() {
    while (!failed && (!header || left > 0)) {
      api::byte_buffer head;
      byte_span chunk;
      if (!header) {
        head = be64(total);
        chunk = {head.data(), head.size()};
      } else {
        chunk = {speed_bytes().data(), static_cast<size_t>(std::min<uint64_t>(speed_write, left))};
      }
      switch (core->write(chunk)) {
        case route_group_core::write_result::ok:
          if (!header)
            header = true;
          else
            left -= chunk.size();
          continue;
        case route_group_core::write_result::queue_full:
          return; // the drain callback calls again
        case route_group_core::write_result::not_open:
        case route_group_core::write_result::failed:
          failed = true;
          caf::anon_send(tester, speed_failed_atom::value,
                         core->failure() ? core->failure()
                                         : make_error(routing_errc::unavailable, "the route is not open"));
          return;
      }
    }
  }
};

/// One `visor speed`: dials the speed port, sends the count and the bytes,
/// waits for the sink's last acknowledgement, answers JSON.
caf::behavior speed_tester(speed_actor* self, api::route_manager_actor manager,
                           api::route_speed req, caf::response_promise rp) {
  auto& st = self->state;
  st.req = req;
  st.rp = std::move(rp);
  st.manager = manager;
  st.total = uint64_t{req.mib} * mib_bytes;
  st.started = clock_type::now();
  api::route_dial d;
  d.remote = req.remote;
  d.remote_port = api::speed_port;
  d.min_hops = req.min_hops;
  d.paths = req.paths;
  self->request(manager, caf::infinite, api::rt_dial_atom::value, d)
    .then(
      [self](api::route_group_actor& g) {
        auto& st = self->state;
        st.group = g;
        st.first_write = clock_type::now();
        st.setup_us =
          std::chrono::duration_cast<std::chrono::microseconds>(st.first_write - st.started).count();
        // the writes go from the route's own io shard
        self->request(g, std::chrono::seconds{10}, api::score_atom::value)
          .then(
            [self](api::route_group_core_ptr& core) {
              auto pump = std::make_shared<shard_pump>();
              pump->core = core.get();
              pump->tester = caf::actor_cast<caf::actor>(self);
              pump->total = self->state.total;
              pump->left = pump->total;
              core->post([core, pump] {
                core->set_drain_fn([pump] { pump->run(); });
                pump->run();
              });
            },
            [self](caf::error& err) { speed_finish(self, std::move(err)); });
      },
      [self](caf::error& err) { speed_finish(self, std::move(err)); });
  return {
    [self](speed_failed_atom, caf::error& err) {
      speed_finish(self, make_error(routing_errc::dial_failed, "speed test write: " + describe(err)));
    },
    [self](api::data_atom, api::byte_buffer& bytes) {
      auto& st = self->state;
      self->send(st.group, api::consumed_atom::value, static_cast<uint32_t>(bytes.size()));
      size_t off = 0;
      uint64_t n = 0;
      while (st.acks.take(bytes, off, n))
        if (n == st.total)
          return speed_report(self);
    },
    [self](api::closed_atom, caf::error& err) {
      if (self->state.reporting)
        return; // every byte was acknowledged; the answer is on its way
      speed_finish(self, err ? err
                             : make_error(routing_errc::unavailable,
                                          "the route closed before the last byte was acknowledged"));
    },
  };
}

} // namespace

void start_speed_test(caf::event_based_actor* spawner, api::route_manager_actor manager,
                      api::route_speed req, caf::response_promise rp) {
  spawner->spawn(speed_tester, std::move(manager), std::move(req), std::move(rp));
}

} // namespace skywire::routing
