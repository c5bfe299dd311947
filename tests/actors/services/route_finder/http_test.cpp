// The route finder end to end on 127.0.0.1: a transport discovery holding a
// graph, the route finder reading it over HTTP (paged) or in-process (the
// embedded deployment), requests over HTTP and over dmsghttp, and the
// visor's rf_client against it.
#include <doctest/doctest.h>

#include <future>
#include <thread>

#include "actors/dmsg/client_ref.hpp"
#include "actors/dmsg/dmsghttp.hpp"
#include "actors/routing/rf_client.hpp"
#include "actors/services/dmsg_front.hpp"
#include "actors/services/route_finder/service.hpp"
#include "actors/services/transport_discovery/service.hpp"
#include "actors/transport/client_errors.hpp"
#include "support.hpp"
#include "tests/support/dmsg_net.hpp"
#include "tests/support/http_service.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace rf_test;
using namespace std::chrono_literals;
namespace tpd = skywire::services::transport_discovery;
namespace wr = skywire::wire::routing;

namespace {

/// 0 - 1 - 2 - 3 - 4 - 5, plus 0 - 6 - 2 (a second way to 2).
const std::vector<std::pair<uint32_t, uint32_t>> topology{
  {0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}, {0, 6}, {6, 2}};

std::unique_ptr<tpd::transport_store> filled_store() {
  auto s = std::make_unique<tpd::memory_transport_store>();
  for (const auto& e : entries(topology))
    REQUIRE(!s->put(e, std::chrono::nanoseconds{0}, 1));
  return s;
}

tpd::tpd_handle start_tpd(caf::actor_system& sys, io::io_runtime& io) {
  tpd::tpd_config c;
  c.port = 0;
  c.entry_ttl = std::chrono::nanoseconds{0};
  auto h = tpd::spawn_transport_discovery(sys, io, c, filled_store());
  REQUIRE_MESSAGE(h, describe(h.error()));
  return *h;
}

/// A source over `send`, its first graph built before it returns.
std::shared_ptr<rf::tpd_graph_source> loaded_source(http::client_sender send, std::string url,
                                                    size_t page_limit) {
  rf::tpd_source_config c;
  c.tpd_url = std::move(url);
  c.page_limit = page_limit;
  auto s = rf::tpd_graph_source::make(std::move(send), c);
  REQUIRE(s);
  std::promise<caf::error> p;
  auto f = p.get_future();
  (*s)->refresh_then([&p](const caf::error& err) { p.set_value(err); });
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  auto err = f.get();
  REQUIRE_MESSAGE(!err, describe(err));
  return *s;
}

rf::rf_handle start_rf(caf::actor_system& sys, io::io_runtime& io,
                       std::shared_ptr<rf::graph_source> src) {
  rf::rf_config c;
  c.port = 0;
  auto h = rf::spawn_route_finder(sys, io, c, std::move(src));
  REQUIRE_MESSAGE(h, describe(h.error()));
  return *h;
}

std::string request(uint32_t a, uint32_t b, uint16_t min, uint16_t max) {
  return wr::encode_find_routes_request({{{key(a), key(b)}}, {min, max}});
}

expected<routing::routes_map> find(const routing::rf_client& c,
                                   std::vector<routing::path_edge> edges, uint16_t min,
                                   uint16_t max) {
  auto p = std::make_shared<std::promise<expected<routing::routes_map>>>();
  auto f = p->get_future();
  c.find_routes(std::move(edges), min, max,
                [p](expected<routing::routes_map> r) { p->set_value(std::move(r)); });
  REQUIRE(f.wait_for(20s) == std::future_status::ready);
  return f.get();
}

} // namespace

TEST_CASE("route finder over HTTP: reads the TPD page by page, answers POST /routes") {
  test::service_fixture f;
  auto t = start_tpd(f.sys, f.io);
  // 7 transports in pages of 3: three requests to /all-transports
  auto src = loaded_source(rf::tcp_sender(f.io), "http://127.0.0.1:" + std::to_string(t.port), 3);
  REQUIRE(src->current());
  CHECK(src->current()->edges() == topology.size());
  CHECK(src->current()->vertices() == 7);
  auto h = start_rf(f.sys, f.io, src);

  auto r = test::http_call(h.port, http::verb::post, "/routes", request(0, 5, 0, 50));
  REQUIRE(r.status == 200);
  auto m = wr::decode_routes_answer(r.body, {{{key(0), key(5)}}, {0, 50}});
  REQUIRE_MESSAGE(m, describe(m.error()));
  const auto& paths = m->at({key(0), key(5)});
  REQUIRE(paths.size() == 2);
  CHECK(keys_of(paths[0]) == std::vector<uint32_t>{0, 1, 2, 3, 4, 5});
  CHECK(keys_of(paths[1]) == std::vector<uint32_t>{0, 6, 2, 3, 4, 5});

  r = test::http_call(h.port, http::verb::post, "/routes", request(9, 5, 0, 50));
  CHECK(r.status == 404);
  CHECK(r.body == "{\"error\":{\"message\":\"transport not found\",\"code\":404}}\n");
  r = test::http_call(h.port, http::verb::post, "/routes", request(0, 5, 6, 50));
  CHECK(r.status == 404);
  CHECK(r.body == "{\"error\":{\"message\":\"route not found\",\"code\":404}}\n");
  r = test::http_call(h.port, http::verb::post, "/routes", "{\"Edges\":");
  CHECK(r.status == 400);
  // the server's own refusals in the same shape
  r = test::http_call(h.port, http::verb::get, "/nothing");
  CHECK(r.status == 404);
  CHECK(r.body.find("\"code\":404") != std::string::npos);
  r = test::http_call(h.port, http::verb::post, "/routes", std::string(20'000, ' '));
  CHECK(r.status == 413);
  r = test::http_call(h.port, http::verb::get, "/health");
  CHECK(r.status == 200);
  r = test::http_call(h.port, http::verb::get, "/metrics");
  CHECK(r.body.find("rf_graph_transports 7\n") != std::string::npos);
  CHECK(r.body.find("rf_graph_refreshes_total") != std::string::npos);

  // the visor's client: both directions in one request, each path checked
  auto c = routing::rf_client::make(f.io, "http://127.0.0.1:" + std::to_string(h.port));
  REQUIRE(c);
  auto got = find(*c, {{key(0), key(3)}, {key(3), key(0)}}, 0, 50);
  REQUIRE_MESSAGE(got, describe(got.error()));
  CHECK(got->at({key(0), key(3)}).size() == 2);
  CHECK(got->at({key(3), key(0)}).front().front().from == key(3));
  got = find(*c, {{key(0), key(3)}}, 4, 50);
  REQUIRE_FALSE(got);
  CHECK(transport::is(got.error(), transport::client_errc::not_found));
  CHECK(transport::server_message(got.error()) == "route not found");
  h.stop();
  t.stop();
  got = find(*c, {{key(0), key(3)}}, 0, 50);
  REQUIRE_FALSE(got);
  CHECK(transport::is(got.error(), transport::client_errc::unreachable));
}

TEST_CASE("route finder embedded: reads the TPD in the same process through its actor") {
  test::service_fixture f;
  auto t = start_tpd(f.sys, f.io);
  auto src = loaded_source(rf::in_process_tpd_sender(t.actor), "http://in-process", 2);
  CHECK(src->current()->edges() == topology.size());
  auto h = start_rf(f.sys, f.io, src);
  auto r = test::http_call(h.port, http::verb::post, "/routes", request(1, 6, 0, 2));
  REQUIRE(r.status == 200);
  auto m = wr::decode_routes_answer(r.body, {{{key(1), key(6)}}, {0, 2}});
  REQUIRE(m);
  REQUIRE(m->begin()->second.size() == 2); // 1-0-6 and 1-2-6
  h.stop();
  t.stop();
}

TEST_CASE("route finder: a failed refresh keeps the previous graph and is counted") {
  test::service_fixture f;
  auto t = start_tpd(f.sys, f.io);
  auto src = loaded_source(rf::tcp_sender(f.io), "http://127.0.0.1:" + std::to_string(t.port),
                           100);
  t.stop();
  std::promise<caf::error> p;
  auto fut = p.get_future();
  src->refresh_then([&p](const caf::error& err) { p.set_value(err); });
  REQUIRE(fut.wait_for(15s) == std::future_status::ready);
  CHECK(fut.get());
  CHECK(src->current()->edges() == topology.size());
  CHECK(src->status().failures == 1);
  CHECK(src->status().refreshes == 1);
  // more transports than the bound: refused, not truncated
  auto t2 = start_tpd(f.sys, f.io);
  rf::tpd_source_config c;
  c.tpd_url = "http://127.0.0.1:" + std::to_string(t2.port);
  c.max_entries = 5;
  c.page_limit = 3;
  auto small = rf::tpd_graph_source::make(rf::tcp_sender(f.io), c);
  REQUIRE(small);
  std::promise<caf::error> p2;
  auto f2 = p2.get_future();
  (*small)->refresh_then([&p2](const caf::error& err) { p2.set_value(err); });
  REQUIRE(f2.wait_for(10s) == std::future_status::ready);
  auto err = f2.get();
  REQUIRE(err);
  CHECK(describe(err).find("at most 5 transports") != std::string::npos);
  CHECK_FALSE((*small)->current());
  t2.stop();
}

TEST_CASE("route finder over dmsghttp: the same API on dmsg port 80, reached by rf_client") {
  test::dmsg_net::net n;
  n.server("rf-s1");
  n.wait_server_registered(1);
  auto t = start_tpd(n.sys, n.io);
  auto src = loaded_source(rf::tcp_sender(n.io), "http://127.0.0.1:" + std::to_string(t.port),
                           100);
  auto h = start_rf(n.sys, n.io, src);
  auto rk = test::dmsg_net::kp("rf-service");
  services::dmsg_front_config fc;
  fc.pk = rk.pk;
  fc.sk = rk.sk;
  fc.discovery_url = n.url();
  auto front = services::serve_over_dmsg(n.sys, n.io, h.server, fc);
  REQUIRE_MESSAGE(front, describe(front.error()));

  auto user = n.client(n.client_cfg("rf-user"));
  auto ref = std::make_shared<dmsg::client_ref>();
  ref->set(user);
  routing::rf_client::options o;
  o.send = dmsg::make_service_sender(n.sys, n.io, ref);
  auto c = routing::rf_client::make(n.io, "dmsg://" + rk.pk.hex() + ":80", o);
  REQUIRE(c);
  // the service's entry is stored a moment after it listens (no event: retried)
  auto got = skywire::test::retry(
    [&] { return find(*c, {{key(5), key(0)}}, 0, 50); }, 30, 100ms,
    [](const auto& r) { return transport::is(r.error(), transport::client_errc::unreachable); });
  REQUIRE_MESSAGE(got, describe(got.error()));
  const auto& paths = got->at({key(5), key(0)});
  REQUIRE(paths.size() == 2);
  CHECK(keys_of(paths[0]) == std::vector<uint32_t>{5, 4, 3, 2, 1, 0});
  front->stop();
  h.stop();
  t.stop();
}
