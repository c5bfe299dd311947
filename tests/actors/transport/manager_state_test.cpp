// The transport manager's plain state (actors/transport/registry.hpp,
// persistence.hpp, tcp_network's host:port parser, summary JSON): duplicate
// resolution as the reference does it, including the convergence of two
// simultaneous dials; the registry by transport ID; persistent transports'
// back-off with an injected clock. No actors, no sockets.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "actors/transport/persistence.hpp"
#include "actors/transport/registrar.hpp"
#include "actors/transport/registry.hpp"
#include "actors/transport/summary_json.hpp"
#include "actors/transport/tcp_network.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "tests/actors/transport/tp_support.hpp"

using namespace skywire;
using namespace skywire::transport;
using namespace std::chrono_literals;
using tp_test::identity;

namespace {

/// Two identities and which of them is the lower edge.
struct pair_of_keys {
  crypto::keypair low;
  crypto::keypair high;
  pair_of_keys() {
    auto a = identity("alice");
    auto b = identity("bob");
    if (a.pk.bytes < b.pk.bytes) {
      low = a;
      high = b;
    } else {
      low = b;
      high = a;
    }
  }
};

} // namespace

TEST_CASE(
  "duplicate resolution: the lower edge keeps the old connection, the other adopts the new") {
  pair_of_keys k;
  CHECK(resolve_duplicate(k.low.pk, k.high.pk) == duplicate_choice::keep_old);
  CHECK(resolve_duplicate(k.high.pk, k.low.pk) == duplicate_choice::adopt_new);
  // the reference's order is the order of the sorted edges
  auto edges = wire::transport::sort_edges(k.high.pk, k.low.pk);
  CHECK(edges[0] == k.low.pk);

  SUBCASE("lower edge") {
    underlay u{k.low.pk, k.high.pk};
    u.add(1);
    auto first = u.up(1);
    CHECK(first.adopted);
    CHECK(first.first);
    CHECK_FALSE(first.close);
    u.add(2);
    CHECK(u.pending() == 1);
    auto second = u.up(2);
    CHECK_FALSE(second.adopted);
    REQUIRE(second.close);
    CHECK(*second.close == 2);
    CHECK(u.current() == 1u);
    // the closed duplicate ending does not take the transport down
    CHECK(u.down(2) == underlay::down_action::none);
    CHECK(u.current() == 1u);
    CHECK(u.down(1) == underlay::down_action::transport_down);
    CHECK_FALSE(u.current());
  }
  SUBCASE("higher edge") {
    underlay u{k.high.pk, k.low.pk};
    u.up(1);
    auto second = u.up(2);
    CHECK(second.adopted);
    CHECK_FALSE(second.first);
    REQUIRE(second.close);
    CHECK(*second.close == 1);
    CHECK(u.current() == 2u);
    // the old connection's end is not the transport's end
    CHECK(u.down(1) == underlay::down_action::none);
    CHECK(u.current() == 2u);
    CHECK(u.live() == std::vector<uint64_t>{2});
  }
  SUBCASE("a link that fails before coming up") {
    underlay u{k.low.pk, k.high.pk};
    u.add(7);
    CHECK_FALSE(u.ever_up());
    CHECK(u.down(7) == underlay::down_action::none);
    CHECK(u.pending() == 0);
    CHECK_FALSE(u.ever_up());
    // unknown links: nothing
    CHECK(u.down(99) == underlay::down_action::none);
  }
}

TEST_CASE("duplicate resolution: two simultaneous dials, as the reference resolves them") {
  // Connection X: dialed by the lower edge. Connection Y: dialed by the higher
  // edge. Each side sees both settle in some order; the outcome per side is
  // the connection it keeps (closing the other), and a connection lives only
  // when neither side closed it.
  pair_of_keys k;
  enum conn : uint64_t { x = 1, y = 2 };
  auto kept = [](underlay& u, conn first, conn second) {
    u.up(first);
    auto a = u.up(second);
    REQUIRE(a.close);
    return *u.current();
  };
  struct outcome {
    uint64_t low_keeps, high_keeps;
  };
  auto run = [&](conn low_first, conn high_first) {
    underlay low{k.low.pk, k.high.pk}, high{k.high.pk, k.low.pk};
    auto other = [](conn c) { return c == x ? y : x; };
    return outcome{kept(low, low_first, other(low_first)),
                   kept(high, high_first, other(high_first))};
  };
  // the lower edge saw X first: it keeps X; the higher edge saw Y first and
  // adopts X: both keep X (converged)
  auto o1 = run(x, y);
  CHECK(o1.low_keeps == x);
  CHECK(o1.high_keeps == x);
  // the lower edge saw Y first and keeps Y; the higher edge saw X first and
  // adopts Y: both keep Y (converged)
  auto o2 = run(y, x);
  CHECK(o2.low_keeps == y);
  CHECK(o2.high_keeps == y);
  // both saw X first: the lower keeps X, the higher adopts Y: diverged,
  // each closes the one the other kept, so both go (the reference behaves
  // the same; the next dial starts over); the same when both saw Y first
  auto o3 = run(x, x);
  CHECK(o3.low_keeps == x);
  CHECK(o3.high_keeps == y);
  auto o4 = run(y, y);
  CHECK(o4.low_keeps == y);
  CHECK(o4.high_keeps == x);
}

TEST_CASE("registry: one transport per (peer, type), keyed by the derived transport ID") {
  auto me = identity("alice");
  auto bob = identity("bob");
  auto carol = identity("carol");
  transport_registry reg{me.pk};
  CHECK(reg.id_of(bob.pk, "stcp") == crypto::make_transport_id(bob.pk, me.pk, "stcp"));
  CHECK(reg.find(bob.pk, "stcp") == nullptr);
  auto& r = reg.insert(bob.pk, "stcp", "user", record_state::dialing);
  CHECK(r.id == crypto::make_transport_id(me.pk, bob.pk, "stcp"));
  CHECK(reg.find(bob.pk, "stcp") == &r);
  CHECK(reg.find(r.id) == &r);
  reg.insert(bob.pk, "stcpr", "automatic", record_state::up);
  reg.insert(carol.pk, "stcp", "user", record_state::up);
  CHECK(reg.size() == 3);
  CHECK(reg.up_count() == 2);
  CHECK(reg.select({}).size() == 3);
  CHECK(reg.select({{"stcp"}, {}}).size() == 2);
  CHECK(reg.select({{}, {bob.pk}}).size() == 2);
  CHECK(reg.select({{"stcpr"}, {carol.pk}}).empty());
  auto gone = reg.erase(r.id);
  REQUIRE(gone);
  CHECK(gone->remote == bob.pk);
  CHECK(reg.find(bob.pk, "stcp") == nullptr);
  CHECK_FALSE(reg.erase(r.id));
  CHECK(std::string{to_string(record_state::closing)} == "closing");
}

TEST_CASE("persistent transports: due at start, back-off after failures, reset once up") {
  auto bob = identity("bob");
  auto carol = identity("carol");
  using clock = persistent_keeper::clock;
  auto t0 = clock::time_point{} + std::chrono::hours{1};
  persistent_keeper k{
    {{bob.pk, "stcp"}, {carol.pk, "stcpr"}, {bob.pk, "stcp"}}, {1000, 2, 8000}, t0};
  CHECK(k.targets().size() == 2); // the duplicate is one target
  CHECK(k.contains(bob.pk, "stcp"));
  CHECK_FALSE(k.contains(bob.pk, "stcpr"));
  auto due = k.due(t0);
  CHECK(due.size() == 2);
  CHECK(k.due(t0).empty()); // dialing now
  CHECK(k.next_due() == clock::time_point::max());
  // bob fails: 1 s, then 2, 4, 8, 8 (capped)
  auto t = t0;
  for (auto expect : {1000, 2000, 4000, 8000, 8000}) {
    k.failed(bob.pk, "stcp", t);
    CHECK(k.next_due() == t + std::chrono::milliseconds{expect});
    CHECK(k.due(t + std::chrono::milliseconds{expect - 1}).empty());
    t += std::chrono::milliseconds{expect};
    auto d = k.due(t);
    REQUIRE(d.size() == 1);
    CHECK(d[0].pk == bob.pk);
  }
  // up: nothing due while it lasts; down: soon again (the back-off was reset)
  k.up(bob.pk, "stcp");
  CHECK(k.due(t + 1h).empty());
  k.down(bob.pk, "stcp", t);
  CHECK(k.next_due() == t + 1s);
  // unknown targets are ignored
  k.failed(identity("dave").pk, "stcp", t);
  k.up(identity("dave").pk, "stcp");
  CHECK(k.targets().size() == 2);
}

TEST_CASE("host:port parsing of listening addresses and pk_table entries") {
  auto hp = split_host_port(":7777");
  REQUIRE(hp);
  CHECK(hp->first.empty());
  CHECK(hp->second == 7777);
  hp = split_host_port("127.0.0.1:0");
  REQUIRE(hp);
  CHECK(hp->first == "127.0.0.1");
  CHECK(hp->second == 0);
  hp = split_host_port("[::1]:45");
  REQUIRE(hp);
  CHECK(hp->first == "::1");
  CHECK(hp->second == 45);
  CHECK_FALSE(split_host_port("::1:45"));
  CHECK_FALSE(split_host_port("host"));
  CHECK_FALSE(split_host_port("host:"));
  CHECK_FALSE(split_host_port("host:65536"));
  CHECK_FALSE(split_host_port("host:12a"));
}

TEST_CASE("summary and entry JSON keep the reference's field names") {
  api::transport_summary s;
  s.id = crypto::make_transport_id(identity("a").pk, identity("b").pk, "stcp");
  s.local_pk = identity("a").pk;
  s.remote_pk = identity("b").pk;
  s.type = "stcp";
  s.recv = 12;
  s.sent = 34;
  s.state = "up";
  auto o = to_json(s);
  CHECK(o["id"] == s.id.to_string().c_str());
  CHECK(o["local_pk"] == s.local_pk.hex().c_str());
  CHECK(o["remote_pk"] == s.remote_pk.hex().c_str());
  CHECK(o["type"] == "stcp");
  CHECK(o["log"].as_object()["recv"] == 12);
  CHECK(o["log"].as_object()["sent"] == 34);
  CHECK(o["is_setup"] == false);
  CHECK(o["label"] == "user");
  CHECK(o["state"] == "up");
  api::transport_entry e{s.id, s.local_pk, s.remote_pk, "stcp", "user"};
  auto j = to_json(e);
  CHECK(j["t_id"] == s.id.to_string().c_str());
  CHECK(j["edges"].as_array().size() == 2);
}

TEST_CASE("null registrar: registrations succeed without effect, queries say why") {
  auto r = make_null_registrar("no transport discovery configured");
  bool done = false;
  wire::transport::signed_entry se;
  r->register_entry(se, [&](caf::error err) { done = !err; });
  CHECK(done);
  done = false;
  r->deregister(transport_id{}, [&](caf::error err) { done = !err; });
  CHECK(done);
  bool failed = false;
  r->get_by_edge(identity("a").pk, [&](expected<std::vector<wire::transport::entry>> x) {
    failed = !x && describe(x.error()).find("no transport discovery") != std::string::npos;
  });
  CHECK(failed);
  CHECK(r->describe().find("none") == 0);
}
