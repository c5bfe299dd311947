// The dmsg discovery client against the real discovery service actor on
// 127.0.0.1: register, sequence recovery, lookups, server lists, delete.
#include <doctest/doctest.h>

#include <future>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/dmsg/discovery_client.hpp"
#include "actors/services/dmsg_discovery.hpp"
#include "runtime/crypto/keys.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace dm = skywire::wire::dmsg;
namespace svc = skywire::services;

namespace {

crypto::keypair kp(std::string_view seed) {
  return crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

template <class T>
T wait(std::future<T>& f) {
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  io::io_runtime io{1};
  svc::dmsg_discovery_handle disc;
  fixture() {
    svc::dmsg_discovery_config dc;
    dc.port = 0;
    dc.test_mode = true;
    auto h = svc::spawn_dmsg_discovery(sys, io, dc);
    REQUIRE(h);
    disc = *h;
  }
  ~fixture() { disc.stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(disc.port); }
};

expected<dm::entry> put(const dmsg::discovery_client& dc, dm::entry e, const secret_key& sk) {
  std::promise<expected<dm::entry>> p;
  auto f = p.get_future();
  dc.put_entry(std::move(e), sk, [&p](expected<dm::entry> r) { p.set_value(std::move(r)); });
  return wait(f);
}

expected<dm::entry> get(const dmsg::discovery_client& dc, const public_key& pk) {
  std::promise<expected<dm::entry>> p;
  auto f = p.get_future();
  dc.get_entry(pk, [&p](expected<dm::entry> r) { p.set_value(std::move(r)); });
  return wait(f);
}

} // namespace

TEST_CASE("discovery client: put, get, sequence recovery, server lists, delete") {
  fixture f;
  auto dc = dmsg::discovery_client::make(f.io, f.url(), 3s);
  REQUIRE(dc);
  auto a = kp("dc-client-a");
  auto s1 = kp("dc-server-1");

  // Unknown key: 100.
  auto missing = get(*dc, a.pk);
  REQUIRE_FALSE(missing);
  CHECK(dmsg::is(missing.error(), dmsg::dmsg_errc::entry_not_found));

  // First registration, then an update.
  auto e = dmsg::make_client_entry(a.pk, {s1.pk});
  auto stored = put(*dc, e, a.sk);
  REQUIRE(stored);
  CHECK(stored->sequence == 0);
  auto got = get(*dc, a.pk);
  REQUIRE(got);
  CHECK(*got == *stored);

  // A client that lost its state posts sequence 0 again: the client refetches
  // and retries with stored + 1.
  auto again = put(*dc, dmsg::make_client_entry(a.pk, {}), a.sk);
  REQUIRE(again);
  CHECK(again->sequence == 1);
  got = get(*dc, a.pk);
  REQUIRE(got);
  CHECK(got->sequence == 1);
  REQUIRE(got->client);
  REQUIRE(got->client->delegated_servers);
  CHECK(got->client->delegated_servers->empty());

  // Server lists: none yet (404 -> empty), then one.
  {
    std::promise<expected<std::vector<dm::entry>>> p;
    auto fu = p.get_future();
    dc->available_servers([&p](auto r) { p.set_value(std::move(r)); });
    auto l = wait(fu);
    REQUIRE(l);
    CHECK(l->empty());
  }
  dm::entry se;
  se.version = "0.0.1";
  se.static_pk = s1.pk;
  se.server = dm::server_part{"127.0.0.1:8081", 10, {}};
  REQUIRE(put(*dc, se, s1.sk));
  {
    std::promise<expected<std::vector<dm::entry>>> p;
    auto fu = p.get_future();
    dc->all_servers([&p](auto r) { p.set_value(std::move(r)); });
    auto l = wait(fu);
    REQUIRE(l);
    REQUIRE(l->size() == 1);
    CHECK(l->front().static_pk == s1.pk);
    CHECK(l->front().server->address == "127.0.0.1:8081");
  }

  // Delete the client entry.
  {
    auto del = *again;
    del.sequence += 1;
    dmsg::sign_entry(del, a.sk);
    std::promise<caf::error> p;
    auto fu = p.get_future();
    dc->delete_entry(del, [&p](caf::error err) { p.set_value(std::move(err)); });
    auto err = wait(fu);
    CHECK_MESSAGE(!err, describe(err));
    auto gone = get(*dc, a.pk);
    CHECK_FALSE(gone);
  }
}

TEST_CASE("discovery client: unreachable discovery is a clear error within the timeout") {
  io::io_runtime io{1};
  // Port 1 on loopback: connection refused.
  auto dc = dmsg::discovery_client::make(io, "http://127.0.0.1:1", 1s);
  REQUIRE(dc);
  auto r = get(*dc, kp("x").pk);
  REQUIRE_FALSE(r);
  CHECK(dmsg::is(r.error(), dmsg::client_errc::discovery_failed));
  CHECK_FALSE(dmsg::discovery_client::make(io, "not a url"));
}
