// The uptime tracker end to end on 127.0.0.1, with the visor's side: its
// client (actors/visor/uptime_client) and the heartbeat actor the visor
// runs (actors/visor/uptime_reporter), signed as the Go visor signs.
#include <doctest/doctest.h>

#include <future>
#include <thread>

#include <boost/json.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/services/uptime_tracker/service.hpp"
#include "actors/transport/client_errors.hpp"
#include "actors/visor/uptime_client.hpp"
#include "actors/visor/uptime_reporter.hpp"
#include "runtime/system/supervision.hpp"
#include "runtime/system/stop_and_wait.hpp"
#include "tests/actors/services/transport_discovery/support.hpp"
#include "tests/support/http_service.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace ut = skywire::services::uptime_tracker;
using skywire::test::http_call;
using tpd_test::key;

namespace {

caf::error beat(const visor::uptime_client& c, std::string version) {
  std::promise<caf::error> pr;
  auto f = pr.get_future();
  c.heartbeat(version, [&pr](caf::error e) { pr.set_value(std::move(e)); });
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

} // namespace

TEST_CASE("uptime tracker over HTTP: the visor's client and heartbeat actor are credited") {
  skywire::test::service_fixture f;
  ut::ut_config cfg;
  cfg.port = 0;
  cfg.test_mode = true;
  auto h = ut::spawn_uptime_tracker(f.sys, f.io, cfg);
  REQUIRE(h);
  skywire::test::stop_at_exit guard{[&] { h->stop(); }};
  auto url = "http://127.0.0.1:" + std::to_string(h->port);
  auto a = key("alice"), b = key("bob");

  // the client: fetches its nonce, signs, 200; the old paths answer 410
  auto c = visor::uptime_client::make(f.io, url, a.pk, a.sk);
  REQUIRE(c);
  CHECK(!beat(*c, "v1.3.20 (cpp)"));
  CHECK(!beat(*c, "v1.3.20 (cpp)"));
  CHECK(http_call(h->port, http::verb::get, "/v3/update").status == 410);
  auto r = http_call(h->port, http::verb::get, "/uptimes?v=v2");
  auto arr = boost::json::parse(r.body).as_array();
  REQUIRE(arr.size() == 1);
  CHECK(arr[0].at("pk").as_string() == a.pk.hex());
  CHECK(arr[0].at("on").as_bool());
  CHECK(arr[0].at("version").as_string() == "v1.3.20 (cpp)");
  // a tracker that refuses: the error carries its status
  auto bad = visor::uptime_client::make(f.io, url + "/nowhere", a.pk, a.sk);
  REQUIRE(bad);
  auto err = beat(*bad, "v");
  CHECK(err);
  auto too_long = beat(*c, std::string(70, 'x')); // refused before anything is sent
  CHECK(transport::is(too_long, transport::client_errc::invalid_argument));

  // the heartbeat actor: one at start, then every interval
  visor::uptime_reporter_config rc;
  rc.url = url;
  rc.pk = b.pk;
  rc.sk = b.sk;
  rc.version = "v9";
  rc.interval = 100ms;
  auto rep = visor::spawn_uptime_reporter(f.sys, f.io, rc);
  skywire::test::stop_at_exit rep_guard{[&] { system::stop_and_wait(rep); }};
  caf::scoped_actor self{f.sys};
  boost::json::object info;
  // bounded poll of the actor's status (no event tells a test of a heartbeat)
  skywire::test::eventually(
    [&] {
      self->request(caf::actor_cast<system::info_provider_actor>(rep), 2s, system::info_atom::value)
        .receive([&](const std::string& s) { info = boost::json::parse(s).as_object(); },
                 [&](caf::error&) {});
      return info.contains("ok") && info.at("ok").as_int64() >= 3;
    },
    5s);
  REQUIRE(info.contains("ok"));
  CHECK(info.at("ok").as_int64() >= 3);
  CHECK(info.at("failed").as_int64() == 0);
  r = http_call(h->port, http::verb::get, "/uptime/" + b.pk.hex());
  CHECK(r.body == "{\"key\":\"" + b.pk.hex() + "\",\"online\":true}\n");
}
