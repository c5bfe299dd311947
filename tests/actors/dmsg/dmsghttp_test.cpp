// dmsghttp in process, on 127.0.0.1 with the real discovery and dmsg server:
// an http::server's routes served on a dmsg port and reached over dmsg
// streams (same handlers and limits as over TCP, the caller's dmsg address
// as the remote), failures in words, and a dmsg client in dmsghttp mode that
// reaches its discovery only over dmsg through pre-seeded servers.
#include <doctest/doctest.h>

#include <future>
#include <mutex>
#include <vector>

#include "actors/dmsg/dmsghttp.hpp"
#include "actors/services/dmsg_front.hpp"
#include "runtime/http/error.hpp"
#include "runtime/http/router.hpp"
#include "tests/support/dmsg_net.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace skywire::test::dmsg_net;

namespace {

/// Sends one request through `send` and waits (bounded) for its answer.
expected<http::response> send_and_wait(const http::client_sender& send, http::client_request req) {
  auto p = std::make_shared<std::promise<expected<http::response>>>();
  auto f = p->get_future();
  send(std::move(req), [p](expected<http::response> r) { p->set_value(std::move(r)); });
  REQUIRE(f.wait_for(20s) == std::future_status::ready);
  return f.get();
}

http::client_request dmsg_request(const public_key& pk, uint16_t dport, http::verb method,
                                  std::string target, std::string body = {}) {
  http::client_request r;
  r.scheme = "dmsg";
  r.host = pk.hex();
  r.port = dport;
  r.method = method;
  r.target = std::move(target);
  r.body = std::move(body);
  r.timeout = 10s;
  return r;
}

/// Holds the responders of /never (a dropped responder answers 500).
struct kept_responders {
  std::mutex mtx;
  std::vector<http::responder> held;
};

http::router routes(std::shared_ptr<kept_responders> keep) {
  http::router r;
  r.get("/hello/{name}", [](http::request req, http::responder res) {
    res.send(http::make_response(200, "hi " + std::string{req.param("name")} + " from "
                                        + req.remote,
                                 "text/plain"));
  });
  http::route_options small;
  small.body_limit = 64;
  r.post(
    "/echo",
    [](http::request req, http::responder res) {
      res.send(http::make_response(200, req.body, "text/plain"));
    },
    small);
  r.get("/never", [keep](http::request, http::responder res) { // never answers
    std::lock_guard<std::mutex> g{keep->mtx};
    keep->held.push_back(std::move(res));
  });
  return r;
}

} // namespace

TEST_CASE("dmsghttp: a server's routes on a dmsg port, reached over dmsg streams") {
  net n;
  n.server("dh-s1");
  n.wait_server_registered(1);
  http::server_config sc;
  sc.port = 0;
  sc.handler_timeout = 500ms;
  auto keep = std::make_shared<kept_responders>();
  auto srv = std::make_shared<http::server>(n.io, sc, routes(keep));
  auto svc = n.client(n.client_cfg("dh-service"));
  auto lst = dmsg::spawn_dmsghttp_server(n.sys, svc, srv, {});
  n.actors.push_back(lst);
  {
    caf::scoped_actor self{n.sys};
    bool ok = false;
    self->request(lst, 5s, caf::ok_atom::value)
      .receive([&](caf::ok_atom) { ok = true; }, [](caf::error& e) { FAIL(describe(e)); });
    REQUIRE(ok);
  }
  auto user = n.client(n.client_cfg("dh-user"));
  auto ref = std::make_shared<dmsg::client_ref>();
  ref->set(user);
  auto send = dmsg::make_service_sender(n.sys, n.io, ref);
  auto svc_pk = kp("dh-service").pk;

  // a GET routed by the same router, the caller's dmsg address as remote
  // the service's entry is stored a moment after ready (no event: retried)
  auto r = skywire::test::retry(
    [&] { return send_and_wait(send, dmsg_request(svc_pk, 80, http::verb::get, "/hello/bob")); },
    30, 100ms);
  REQUIRE_MESSAGE(r, describe(r.error()));
  CHECK(r->status == 200);
  CHECK(r->body.find("hi bob from " + kp("dh-user").pk.hex() + ":") == 0);

  // a body both ways; the route's body limit applies (413), unknown paths 404
  r = send_and_wait(send, dmsg_request(svc_pk, 80, http::verb::post, "/echo", "ping body"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "ping body");
  r = send_and_wait(send, dmsg_request(svc_pk, 80, http::verb::post, "/echo", std::string(65, 'x')));
  REQUIRE(r);
  CHECK(r->status == 413);
  r = send_and_wait(send, dmsg_request(svc_pk, 80, http::verb::get, "/nothing"));
  REQUIRE(r);
  CHECK(r->status == 404);
  // the handler deadline of the server holds over dmsg too
  r = send_and_wait(send, dmsg_request(svc_pk, 80, http::verb::get, "/never"));
  REQUIRE(r);
  CHECK(r->status == 504);
  CHECK(srv->stats().requests >= 4); // (the 413 was refused before routing)

  // failures in words: a port nobody serves, a key that is no key, no client
  r = send_and_wait(send, dmsg_request(svc_pk, 81, http::verb::get, "/"));
  REQUIRE_FALSE(r);
  CHECK(describe(r.error()).find("dmsg dial") != std::string::npos);
  auto bad = dmsg_request(svc_pk, 80, http::verb::get, "/");
  bad.host = "not-a-key";
  r = send_and_wait(send, bad);
  REQUIRE_FALSE(r);
  CHECK(describe(r.error()).find("not a public key") != std::string::npos);
  auto none = dmsg::make_service_sender(n.sys, n.io, std::make_shared<dmsg::client_ref>());
  r = send_and_wait(none, dmsg_request(svc_pk, 80, http::verb::get, "/hello/x"));
  REQUIRE_FALSE(r);
  CHECK(describe(r.error()).find("no dmsg client is running") != std::string::npos);
  // http:// goes over TCP through the same sender
  srv->start();
  http::client_request tcp;
  tcp.port = srv->port();
  tcp.target = "/hello/tcp";
  r = send_and_wait(send, tcp);
  REQUIRE(r);
  CHECK(r->body.find("hi tcp from 127.0.0.1:") == 0);
  srv->stop();
}

TEST_CASE("dmsghttp mode: a client reaches its discovery only over dmsg, via pre-seeded servers") {
  net n;
  auto& s1 = n.server("dhm-s1");
  n.wait_server_registered(1);
  // the discovery also serves its API on dmsg port 80 (its own client reads
  // the server list from itself over loopback)
  auto dk = kp("dhm-discovery");
  svc::dmsg_front_config fc;
  fc.pk = dk.pk;
  fc.sk = dk.sk;
  fc.discovery_url = n.url();
  fc.refresh = 200ms;
  auto front = svc::serve_over_dmsg(n.sys, n.io, n.disc.server, fc);
  REQUIRE_MESSAGE(front, describe(front.error()));

  wire::dmsg::entry seed;
  seed.static_pk = kp("dhm-s1").pk;
  seed.server = wire::dmsg::server_part{"127.0.0.1:" + std::to_string(s1.port), 0, {}};
  auto mode = [&](std::string_view name) {
    auto c = n.client_cfg(name);
    c.discovery_url = "dmsg://" + dk.pk.hex() + ":80";
    c.servers = {seed};
    c.direct = {dk.pk};
    return c;
  };
  // ready = a session and its entry stored in the discovery, over dmsghttp
  // (retried with back-off until the discovery's own session is up)
  auto a = n.client(mode("dhm-a"));
  auto b = n.client(mode("dhm-b"));
  auto plain = dmsg::discovery_client::make(n.io, n.url(), 2s);
  REQUIRE(plain);
  std::promise<expected<dmsg::entry>> p;
  auto f = p.get_future();
  plain->get_entry(kp("dhm-a").pk, [&p](expected<dmsg::entry> e) { p.set_value(std::move(e)); });
  auto e = f.get();
  REQUIRE_MESSAGE(e, describe(e.error()));
  REQUIRE(e->client);
  REQUIRE(e->client->delegated_servers);
  CHECK(e->client->delegated_servers->front() == kp("dhm-s1").pk);

  // A dials B: B's entry is looked up over dmsghttp, then the stream opens
  auto owner = n.spawn(echo);
  listen(n.sys, b, 9, owner);
  caf::scoped_actor self{n.sys};
  auto s = dial_retry(self, a, address{kp("dhm-b").pk, port{9}});
  REQUIRE_MESSAGE(s, describe(s.error()));
  self->send(s->stream, api::close_atom::value);
  front->stop();
}

TEST_CASE("dmsghttp mode needs pre-seeded servers; dmsg URL keys parse") {
  config::visor_config c;
  c.dmsg.discovery = "dmsg://" + kp("k").pk.hex() + ":80";
  auto cc = dmsg::client_config_from(c);
  REQUIRE_FALSE(cc);
  CHECK(describe(cc.error()).find("dmsg.servers") != std::string::npos);
  CHECK(dmsg::dmsg_url_key("dmsg://" + kp("k").pk.hex() + ":80/x").value() == kp("k").pk);
  CHECK_FALSE(dmsg::dmsg_url_key("http://127.0.0.1:80"));
  CHECK_FALSE(dmsg::dmsg_url_key("dmsg://02ab:80"));
  CHECK(dmsg::is_dmsg_url("dmsg://x"));
  CHECK_FALSE(dmsg::is_dmsg_url("http://x"));
}
