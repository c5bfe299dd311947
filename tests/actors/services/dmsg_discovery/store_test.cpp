// The in-memory store and the API class, driven directly with an injected clock.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "actors/services/discovery_store.hpp"
#include "actors/services/dmsg_discovery_api.hpp"
#include "support.hpp"

using namespace skywire;
using namespace std::chrono_literals;
using namespace test_support;
namespace dm = skywire::wire::dmsg;
namespace svc = skywire::services;

namespace {

constexpr int64_t t0 = 1'800'000'000'000'000'000; // an arbitrary "now" in unix ns
constexpr int64_t sec = 1'000'000'000;

http::request body_request(std::string body, std::string query = {}) {
  http::request r;
  r.method = http::verb::post;
  r.body = std::move(body);
  r.query = std::move(query);
  return r;
}

http::request pk_request(const public_key& pk) {
  http::request r;
  r.params.emplace("pk", pk.hex());
  return r;
}

std::string message(const http::response& r) {
  return std::string{boost::json::parse(r.body).at("message").as_string()};
}

} // namespace

TEST_CASE("store: available servers ordered by free sessions, bounded, expiring") {
  svc::memory_discovery_store st{4};
  auto a = key("a"), b = key("b"), c = key("c"), d = key("d"), e = key("e");
  REQUIRE_FALSE(st.put(server_entry(a, 0, t0, "1.1.1.1:1", 5), 120s, t0));
  REQUIRE_FALSE(st.put(server_entry(b, 0, t0, "1.1.1.2:1", 50), 120s, t0));
  REQUIRE_FALSE(st.put(server_entry(c, 0, t0, "1.1.1.3:1", 0), 120s, t0));
  REQUIRE_FALSE(st.put(client_entry(d, 0, t0, {a.pk}), 0s, t0));
  // bound reached: a new key is refused, an existing one may be replaced
  CHECK(st.put(client_entry(e, 0, t0, {}), 0s, t0));
  CHECK_FALSE(st.put(server_entry(a, 1, t0, "1.1.1.1:1", 7), 120s, t0));

  auto avail = st.available_servers(512, t0);
  REQUIRE(avail.size() == 2); // c has no free sessions
  CHECK(avail[0].static_pk == b.pk);
  CHECK(avail[1].static_pk == a.pk);
  CHECK(avail[1].server->available_sessions == 7);
  CHECK(st.available_servers(1, t0).size() == 1);
  CHECK(st.all_servers(t0).size() == 3);
  CHECK(st.client_keys(t0) == std::vector<public_key>{d.pk});
  CHECK(st.count().servers == 3);
  CHECK(st.count().clients == 1);

  // expiry: servers vanish after their TTL, clients stay
  auto later = t0 + 121 * sec;
  CHECK_FALSE(st.get(a.pk, later));
  CHECK(st.get(d.pk, later));
  CHECK(st.available_servers(512, later).empty());
  CHECK(st.sweep(later) == 3);
  CHECK(st.count().servers == 0);
  CHECK(st.remove(d.pk));
  CHECK_FALSE(st.remove(d.pk));
}

TEST_CASE("api: post, update sequence rules, forged signature, replay") {
  int64_t now = t0;
  svc::dmsg_discovery_config cfg;
  cfg.clock = [&] { return now; };
  svc::dmsg_discovery_api api{cfg, nullptr};
  auto srv = key("server-1");
  auto cli = key("client-1");

  auto e0 = server_entry(srv, 0, now, "198.51.100.1:8081", 10);
  auto r = api.handle(svc::discovery_op::post_entry, body_request(dm::encode(e0)));
  CHECK(r.status == 200);
  CHECK(message(r) == "wrote a new entry");
  r = api.handle(svc::discovery_op::get_entry, pk_request(srv.pk));
  CHECK(r.status == 200);
  CHECK(r.body == dm::encode(e0));

  // replay of the same sequence: refused
  r = api.handle(svc::discovery_op::post_entry, body_request(dm::encode(e0)));
  CHECK(r.status == 422);
  // lower sequence: refused
  auto e1 = server_entry(srv, 5, now, "198.51.100.1:8081", 9);
  CHECK(api.handle(svc::discovery_op::post_entry, body_request(dm::encode(e1))).status == 200);
  auto old = server_entry(srv, 4, now, "198.51.100.1:8081", 9);
  CHECK(api.handle(svc::discovery_op::post_entry, body_request(dm::encode(old))).status == 422);
  // a jump in sequence is accepted (the reference only requires "greater")
  auto e2 = server_entry(srv, 9, now, "198.51.100.1:8081", 8);
  r = api.handle(svc::discovery_op::post_entry, body_request(dm::encode(e2)));
  CHECK(r.status == 200);
  CHECK(message(r) == "wrote new entry iteration");

  // forged: signed by another key
  auto forged = server_entry(srv, 10, now, "198.51.100.66:8081", 8);
  sign(forged, cli.sk);
  r = api.handle(svc::discovery_op::post_entry, body_request(dm::encode(forged)));
  CHECK(r.status == 401);
  CHECK(message(r) == "invalid signature");
  // tampered after signing
  auto tampered = server_entry(srv, 10, now, "198.51.100.1:8081", 8);
  tampered.server->address = "198.51.100.66:8081";
  CHECK(api.handle(svc::discovery_op::post_entry, body_request(dm::encode(tampered))).status
        == 401);
  // unsigned
  auto unsigned_e = tampered;
  unsigned_e.sig.reset();
  CHECK(api.handle(svc::discovery_op::post_entry, body_request(dm::encode(unsigned_e))).status
        == 422);
  // the stored entry is still e2
  CHECK(api.handle(svc::discovery_op::get_entry, pk_request(srv.pk)).body == dm::encode(e2));

  // client entries: no timestamp window, but never older than the stored one
  auto c0 = client_entry(cli, 0, now - 3600 * sec, {srv.pk});
  CHECK(api.handle(svc::discovery_op::post_entry, body_request(dm::encode(c0))).status == 200);
  auto c_older = client_entry(cli, 1, now - 7200 * sec, {srv.pk});
  CHECK(api.handle(svc::discovery_op::post_entry, body_request(dm::encode(c_older))).status
        == 422);
  // malformed body and bad keys
  CHECK(api.handle(svc::discovery_op::post_entry, body_request("{not json")).status == 400);
  http::request bad_pk;
  bad_pk.params.emplace("pk", "xyz");
  CHECK(api.handle(svc::discovery_op::get_entry, bad_pk).status == 400);
  r = api.handle(svc::discovery_op::get_entry, pk_request(key("nobody").pk));
  CHECK(r.status == 404);
  CHECK(r.body == R"({"message":"entry of public key is not found","code":404})");

  // lists
  r = api.handle(svc::discovery_op::entries, {});
  CHECK(r.body == "[\"" + cli.pk.hex() + "\"]");
  r = api.handle(svc::discovery_op::visor_entries, {});
  CHECK(r.body == "[\"" + cli.pk.hex() + "\"]");
  r = api.handle(svc::discovery_op::available_servers, {});
  CHECK(r.status == 200);
  CHECK(r.body == "[" + dm::encode(e2) + "]");
}

TEST_CASE("api: server timestamps, loopback addresses, expiry, test mode") {
  int64_t now = t0;
  svc::dmsg_discovery_config cfg;
  cfg.clock = [&] { return now; };
  svc::dmsg_discovery_api api{cfg, nullptr};
  auto srv = key("server-2");
  auto post = [&](const dm::entry& e) {
    return api.handle(svc::discovery_op::post_entry, body_request(dm::encode(e))).status;
  };
  CHECK(post(server_entry(srv, 0, now - 61 * sec, "198.51.100.2:1", 1)) == 422); // stale
  CHECK(post(server_entry(srv, 0, now + 6 * sec, "198.51.100.2:1", 1)) == 422);  // future
  CHECK(post(server_entry(srv, 0, now, "127.0.0.1:8081", 1)) == 422);
  CHECK(post(server_entry(srv, 0, now, "[::1]:8081", 1)) == 422);
  CHECK(post(server_entry(srv, 0, now, "localhost:8081", 1)) == 422);
  CHECK(post(server_entry(srv, 0, now, ":8081", 1)) == 422);
  CHECK(post(server_entry(srv, 0, now, "0.0.0.0:8081", 1)) == 422);
  CHECK(post(server_entry(srv, 0, now, "no-port", 1)) == 422);
  CHECK(post(server_entry(srv, 0, now, "", 1)) == 422);
  CHECK(post(server_entry(srv, 0, now - 59 * sec, "dmsg.example.org:8081", 1)) == 200);
  CHECK(api.handle(svc::discovery_op::available_servers, {}).status == 200);

  // expiry after the 2-minute TTL, then the sweep removes it
  now += 121 * sec;
  CHECK(api.handle(svc::discovery_op::get_entry, pk_request(srv.pk)).status == 404);
  auto r = api.handle(svc::discovery_op::available_servers, {});
  CHECK(r.status == 404);
  CHECK(message(r) == "no delegated dmsg servers available for remote");
  CHECK(api.handle(svc::discovery_op::all_servers, {}).status == 404);
  CHECK(api.sweep() == 1);

  // legacy ?timeout=true gives client entries a TTL too
  auto cli = key("client-2");
  CHECK(api.handle(svc::discovery_op::post_entry,
                   body_request(dm::encode(client_entry(cli, 0, now, {})), "timeout=true"))
          .status
        == 200);
  now += 181 * sec;
  CHECK(api.handle(svc::discovery_op::get_entry, pk_request(cli.pk)).status == 404);

  svc::dmsg_discovery_config tcfg;
  tcfg.test_mode = true;
  tcfg.clock = [&] { return now; };
  svc::dmsg_discovery_api tapi{tcfg, nullptr};
  CHECK(tapi.handle(svc::discovery_op::post_entry,
                    body_request(dm::encode(server_entry(srv, 0, now, "127.0.0.1:8081", 3))))
          .status
        == 200);
  auto m = tapi.handle(svc::discovery_op::metrics, {});
  CHECK(m.body.find("dmsg_discovery_server_entries 1") != std::string::npos);
  auto h = boost::json::parse(tapi.handle(svc::discovery_op::health, {}).body);
  CHECK(h.at("build_info").at("version").as_string() == "skywire-cpp 0.1.0");
  CHECK(h.at("started_at").as_string().size() >= 20);
}

TEST_CASE("api: delete entry and network-monitor deregister") {
  int64_t now = t0;
  auto nm = key("network-monitor");
  auto other = key("not-a-monitor");
  svc::dmsg_discovery_config cfg;
  cfg.clock = [&] { return now; };
  cfg.whitelist = {nm.pk};
  svc::dmsg_discovery_api api{cfg, nullptr};
  auto c1 = key("c1"), c2 = key("c2"), c3 = key("c3");
  for (auto* k : {&c1, &c2, &c3})
    REQUIRE(api.handle(svc::discovery_op::post_entry,
                       body_request(dm::encode(client_entry(*k, 2, now, {}))))
              .status
            == 200);

  // DELETE /entry: signed by the owner; an older sequence cannot delete a newer entry
  http::request del;
  del.body = dm::encode(client_entry(c1, 1, now, {}));
  CHECK(api.handle(svc::discovery_op::delete_entry, del).status == 422);
  auto forged = client_entry(c1, 2, now, {});
  sign(forged, c2.sk);
  del.body = dm::encode(forged);
  CHECK(api.handle(svc::discovery_op::delete_entry, del).status == 401);
  del.body = dm::encode(client_entry(c1, 2, now, {}));
  auto r = api.handle(svc::discovery_op::delete_entry, del);
  CHECK(r.status == 200);
  CHECK(message(r) == "deleted entry");
  CHECK(api.handle(svc::discovery_op::get_entry, pk_request(c1.pk)).status == 404);
  // deleting what is gone succeeds, as in the reference
  CHECK(api.handle(svc::discovery_op::delete_entry, del).status == 200);

  auto signed_hex = [](const crypto::keypair& kp) {
    auto text = kp.pk.hex();
    return crypto::sign({reinterpret_cast<const uint8_t*>(text.data()), text.size()}, kp.sk).hex();
  };
  http::request dr;
  dr.body = "[\"" + c2.pk.hex() + "\"]";
  CHECK(api.handle(svc::discovery_op::deregister, dr).status == 401); // no headers
  dr.headers = {{"NM-PK", other.pk.hex()}, {"NM-Sign", signed_hex(other)}};
  CHECK(api.handle(svc::discovery_op::deregister, dr).status == 401); // not whitelisted
  dr.headers = {{"NM-PK", nm.pk.hex()}, {"NM-Sign", signed_hex(other)}};
  CHECK(api.handle(svc::discovery_op::deregister, dr).status == 401); // wrong signer
  dr.headers = {{"nm-pk", nm.pk.hex()}, {"nm-sign", signed_hex(nm)}};
  dr.body = "[1]";
  CHECK(api.handle(svc::discovery_op::deregister, dr).status == 400);
  dr.body = "[\"" + c2.pk.hex() + "\",\"" + c3.pk.hex() + "\"]";
  r = api.handle(svc::discovery_op::deregister, dr);
  CHECK(r.status == 200);
  CHECK(api.handle(svc::discovery_op::get_entry, pk_request(c2.pk)).status == 404);
  CHECK(api.handle(svc::discovery_op::get_entry, pk_request(c3.pk)).status == 404);
}
