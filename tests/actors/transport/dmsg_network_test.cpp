// The dmsg transport type in process, on 127.0.0.1: the real dmsg discovery
// and server actors, two dmsg clients, two transport managers whose dmsg
// network reaches its client through a client_ref. A transport A -> B over
// a dmsg stream to port 45: up on both sides with the same ID, pings both
// ways, the bandwidth log file of the day with the transport's non-zero
// counters, removal closing both sides; then B's dmsg client is restarted
// (a new client set in the ref) and a new transport comes up through it;
// then B's transport manager is replaced and a new transport comes up.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dmsg/client.hpp"
#include "actors/dmsg/discovery_client.hpp"
#include "actors/services/dmsg_discovery.hpp"
#include "actors/services/dmsg_server.hpp"
#include "actors/transport/dmsg_network.hpp"
#include "actors/transport/errors.hpp"
#include "actors/transport/manager.hpp"
#include "messages/wire/transport/log_csv.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "runtime/system/supervision.hpp"
#include "tests/actors/transport/dmsg_world.hpp"
#include "tests/actors/transport/tp_support.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace tp = skywire::transport;
namespace svc = skywire::services;

namespace {

using dmsg_test::dmsg_node;
using dmsg_test::dmsg_world;
using dmsg_test::start_client;

/// A transport manager with the dmsg type on n's client_ref (a new one
/// replaces n's manager, as a restart of the visor's child does).
void start_manager(dmsg_world& w, dmsg_node& n, tp::transport_core::timeouts limits = {}) {
  tp::manager_config mc;
  mc.limits = limits;
  mc.local = n.key;
  tp::dmsg_network_config dc;
  dc.client = n.ref;
  dc.relisten = 50ms;
  mc.networks.push_back(tp::dmsg_network::make(w.sys, dc));
  mc.registrar = tp::make_null_registrar("test");
  mc.dial_timeout = 10s;
  mc.shutdown_grace = 2s;
  tp::transport_log_config lc;
  lc.dir = n.logs;
  mc.logs = lc;
  mc.log_every = 100ms;
  n.mgr = tp::spawn_transport_manager(w.sys, mc);
  w.to_stop.push_back(caf::actor_cast<caf::actor>(n.mgr));
  n.events = std::make_unique<caf::scoped_actor>(w.sys);
  caf::anon_send(n.mgr, api::tp_subscribe_atom::value, caf::actor_cast<caf::actor>(*n.events));
}

dmsg_node start_dmsg_node(dmsg_world& w, std::string_view seed,
                          tp::transport_core::timeouts limits = {}) {
  dmsg_node n;
  n.key = tp_test::identity(seed);
  n.logs = w.dir / std::string{seed};
  start_client(w, n);
  start_manager(w, n, limits);
  return n;
}

/// One request to a manager: its answer or its error.
template <class T, class... Ts>
expected<T> ask(dmsg_world& w, dmsg_node& n, Ts... xs) {
  caf::scoped_actor self{w.sys};
  expected<T> out = tp::make_error(tp::transport_errc::closed, "no answer");
  self->request(n.mgr, 15s, xs...)
    .receive([&](T& v) { out = std::move(v); }, [&](caf::error& err) { out = std::move(err); });
  return out;
}

/// `tp add` over dmsg, retried while the peer's dmsg entry is not yet
/// usable (its session registers a moment after it is up).
expected<api::transport_summary> add_dmsg(dmsg_world& w, dmsg_node& from, const dmsg_node& to) {
  return skywire::test::retry(
    [&] {
      return ask<api::transport_summary>(w, from, api::tp_add_atom::value,
                                         api::transport_request{to.key.pk, "dmsg", "user", 5000});
    },
    30, 100ms);
}

/// The next up or down event of a node ("none" after `limit`).
std::string next_kind(dmsg_node& n, caf::error* cause = nullptr,
                      std::chrono::milliseconds limit = 10s) {
  std::string kind = "none";
  (*n.events)->receive([&](api::tp_up_atom, api::transport_summary&) { kind = "up"; },
                       [&](api::tp_down_atom, api::transport_summary&, caf::error& err) {
                         kind = "down";
                         if (cause)
                           *cause = std::move(err);
                       },
                       [&](api::tp_error_atom, public_key&, std::string&, caf::error&) {
                         kind = "error";
                       },
                       caf::after(limit) >> [] {});
  return kind;
}

std::optional<wire::transport::log_row> log_row(const fs::path& dir, const transport_id& id) {
  std::ifstream in{dir / wire::transport::log_file_name(std::time(nullptr))};
  std::stringstream ss;
  ss << in.rdbuf();
  auto rows = wire::transport::decode_log_csv(ss.str());
  if (!rows)
    return std::nullopt;
  for (auto& r : *rows)
    if (r.id == id)
      return r;
  return std::nullopt;
}

} // namespace

TEST_CASE("dmsg transport: up both sides, pings, bandwidth logs, removal, restarts of the dmsg "
          "client and of the manager") {
  dmsg_world w;
  auto a = start_dmsg_node(w, "dmsg-tp-alice");
  auto b = start_dmsg_node(w, "dmsg-tp-bob");
  auto types = ask<std::vector<std::string>>(w, a, api::tp_types_atom::value);
  REQUIRE(types);
  CHECK(*types == std::vector<std::string>{"dmsg"});

  auto up = add_dmsg(w, a, b);
  REQUIRE_MESSAGE(up, describe(up.error()));
  auto id = crypto::make_transport_id(a.key.pk, b.key.pk, "dmsg");
  CHECK(up->id == id);
  CHECK(up->type == "dmsg");
  CHECK(up->role == "initiator");
  CHECK(next_kind(a) == "up");
  CHECK(next_kind(b) == "up");
  auto on_b = ask<api::transport_summary>(w, b, api::tp_get_atom::value, id);
  REQUIRE_MESSAGE(on_b, describe(on_b.error()));
  CHECK(on_b->role == "responder");
  CHECK(on_b->remote_pk == a.key.pk);
  CHECK(on_b->state == "up");

  // data both ways
  for (auto* n : {&a, &b}) {
    auto rtt = ask<uint64_t>(w, *n, api::tp_ping_atom::value, id);
    REQUIRE_MESSAGE(rtt, describe(rtt.error()));
    CHECK(*rtt > 0);
  }

  // the day's log file holds the transport's bytes on both sides (written
  // every 100 ms here; a file on disk has no event to wait on: bounded poll)
  for (auto* n : {&a, &b}) {
    std::optional<wire::transport::log_row> row;
    skywire::test::eventually(
      [&] {
        row = log_row(n->logs, id);
        return row && row->recv >= 32 && row->sent >= 32;
      },
      5s);
    REQUIRE(row);
    CHECK(row->recv == 32); // one ping and one pong of 16 payload bytes each way
    CHECK(row->sent == 32);
  }

  // removal closes both sides
  auto rm = ask<api::tp_ok_atom>(w, a, api::tp_remove_atom::value, id);
  REQUIRE_MESSAGE(rm, describe(rm.error()));
  CHECK(next_kind(a) == "down");
  caf::error b_cause;
  CHECK(next_kind(b, &b_cause) == "down");
  CHECK_MESSAGE(tp::is(b_cause, tp::transport_errc::peer_closed), describe(b_cause));

  // B's dmsg client restarts: the dmsg type listens on the new one
  caf::anon_send_exit(b.client, caf::exit_reason::kill);
  start_client(w, b);
  auto again = add_dmsg(w, a, b);
  REQUIRE_MESSAGE(again, describe(again.error()));
  CHECK(again->id == id);
  CHECK(next_kind(a) == "up");
  CHECK(next_kind(b) == "up");
  auto pong = ask<uint64_t>(w, b, api::tp_ping_atom::value, id);
  CHECK_MESSAGE(pong, describe(pong.error()));

  // B's transport manager restarts: its dmsg streams end with the old one
  // (A's transport goes down), the new one listens on port 45 again
  caf::anon_send_exit(b.mgr, caf::exit_reason::kill);
  CHECK(next_kind(a) == "down");
  start_manager(w, b);
  auto third = add_dmsg(w, a, b);
  REQUIRE_MESSAGE(third, describe(third.error()));
  CHECK(third->id == id);
  CHECK(next_kind(b) == "up");
  auto ping3 = ask<uint64_t>(w, b, api::tp_ping_atom::value, id);
  CHECK_MESSAGE(ping3, describe(ping3.error()));
}

TEST_CASE("dmsg transport: garbage and a silent stream on port 45 are dropped, the transport "
          "goes on") {
  dmsg_world w;
  auto a = start_dmsg_node(w, "dmsg-tp-alice");
  tp::transport_core::timeouts quick;
  quick.settlement = 1s; // the silent stream's bound (the reference's is 20 s)
  auto b = start_dmsg_node(w, "dmsg-tp-bob", quick);
  auto up = add_dmsg(w, a, b);
  REQUIRE_MESSAGE(up, describe(up.error()));
  auto id = up->id;

  // a third party dials B's port 45 directly
  dmsg_node m;
  m.key = tp_test::identity("dmsg-tp-mallory");
  start_client(w, m);
  caf::scoped_actor self{w.sys};
  auto open = [&]() -> std::optional<api::stream_opened> {
    std::optional<api::stream_opened> out;
    self->request(m.client, 10s, api::dial_atom::value, address{b.key.pk, port{45}})
      .receive([&](api::stream_opened& s) { out = std::move(s); },
               [&](caf::error& err) { FAIL("dial: " << describe(err)); });
    return out;
  };
  /// Waits for the stream's end (data before it is counted); false after `limit`.
  auto ends_within = [&](std::chrono::milliseconds limit, size_t& got) {
    bool ended = false;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ended && std::chrono::steady_clock::now() < deadline)
      self->receive([&](api::data_atom, api::byte_buffer& b) { got += b.size(); },
                    [&](api::closed_atom, caf::error&) { ended = true; },
                    [](api::ack_atom, uint64_t) {}, caf::after(100ms) >> [] {});
    return ended;
  };

  auto garbage = open();
  REQUIRE(garbage);
  self->send(garbage->stream, api::write_atom::value,
             api::byte_buffer{'G', 'E', 'T', ' ', '/', '\n'});
  size_t got = 0;
  CHECK(ends_within(5s, got)); // answered with a status byte (3: invalid entry) and closed
  CHECK(got <= 1);

  auto silent = open();
  REQUIRE(silent);
  auto t0 = std::chrono::steady_clock::now();
  got = 0;
  CHECK(ends_within(5s, got)); // cut at the settlement deadline
  CHECK(std::chrono::steady_clock::now() - t0 >= 900ms);
  CHECK(got == 0);

  // the transport carries on, both ways; both strangers counted as dropped
  for (auto* n : {&a, &b}) {
    auto rtt = ask<uint64_t>(w, *n, api::tp_ping_atom::value, id);
    CHECK_MESSAGE(rtt, describe(rtt.error()));
  }
  std::string info;
  self->request(caf::actor_cast<skywire::system::info_provider_actor>(b.mgr), 5s,
                skywire::system::info_atom::value)
    .receive([&](std::string& t) { info = std::move(t); },
             [](caf::error& err) { FAIL(describe(err)); });
  auto listener = boost::json::parse(info).at("listeners").as_array().at(0).as_object();
  CHECK(listener.at("type") == "dmsg");
  CHECK(listener.at("listening") == "dmsg port 45");
  CHECK(listener.at("inbound").at("dropped").to_number<uint64_t>() == 2);
  CHECK(listener.at("inbound").at("authenticated").to_number<uint64_t>() == 1);
}

TEST_CASE("dmsg transport: a dial without a dmsg client is an error value") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  tp::dmsg_network_config dc;
  dc.client = std::make_shared<dmsg::client_ref>(); // never set
  auto net = tp::dmsg_network::make(sys, dc);
  std::promise<caf::error> p;
  net->dial(tp_test::identity("nobody").pk, 0, [&p](expected<io::byte_link_ptr> r) {
    p.set_value(r ? caf::error{} : r.error());
  });
  auto f = p.get_future();
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  auto err = f.get();
  CHECK(tp::is(err, tp::transport_errc::unreachable));
  CHECK(describe(err).find("no dmsg client") != std::string::npos);
  auto info = net->info();
  CHECK(info.at("listening").is_null());
  CHECK(info.at("dial_errors").to_number<uint64_t>() == 1);
  net->stop();
  // after stop: refused at once
  std::promise<caf::error> q;
  net->dial(tp_test::identity("nobody").pk, 0, [&q](expected<io::byte_link_ptr> r) {
    q.set_value(r ? caf::error{} : r.error());
  });
  CHECK(tp::is(q.get_future().get(), tp::transport_errc::closed));
}

TEST_CASE("dmsg transport: admission counts a remote key as one source") {
  auto k1 = tp_test::identity("k1").pk;
  auto k2 = tp_test::identity("k2").pk;
  CHECK(tp::admission_address(k1) == tp::admission_address(k1));
  CHECK(tp::admission_address(k1) != tp::admission_address(k2));
  CHECK(tp::admission_address(k1).is_v6());
  auto adm = io::admission::make(tp::dmsg_network_config::default_admission());
  // the per-key bound: the 9th pending stream of one key evicts its oldest
  int evicted = 0;
  std::vector<io::admission_ticket_ptr> held;
  for (int i = 0; i < 9; ++i) {
    auto d = adm->admit(tp::admission_address(k1), [&evicted] { ++evicted; });
    REQUIRE(d.ticket);
    held.push_back(d.ticket);
  }
  CHECK(evicted == 1);
  // another key is not affected
  auto d2 = adm->admit(tp::admission_address(k2), [] {});
  CHECK(d2.ticket);
  CHECK(evicted == 1);
}
