// The transport discovery's API class with an injected clock: what a
// registration must carry (both signatures, the right ID, an edge as the
// caller), httpauth nonces, expiry and refresh, the bounds and the
// per-source limits. Deterministic: no sockets, no sleeps.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "actors/services/transport_discovery/api.hpp"
#include "support.hpp"

using namespace skywire;
using namespace tpd_test;
namespace tpd = skywire::services::transport_discovery;
using namespace std::chrono_literals;

namespace {

/// An API with a controlled clock and a client per key that keeps its nonce
/// as the Go client does (advanced on 2xx here, since ours consumes it then).
struct harness {
  int64_t now = t0;
  tpd::tpd_api api;
  std::map<public_key, uint64_t> nonces;

  explicit harness(tpd::tpd_config cfg = {})
    : api{[&] {
            cfg.clock = [this] { return now; };
            return cfg;
          }(),
          nullptr} {}

  http::response call(tpd::tpd_op op, http::verb m, std::string target, std::string body,
                      const crypto::keypair& kp, std::string remote = "192.0.2.10:40000") {
    auto& n = nonces[kp.pk];
    auto req = signed_request(m, target, std::move(body), kp, n, std::move(remote));
    if (auto slash = target.rfind('/'); slash != std::string::npos)
      req.params.emplace(op == tpd::tpd_op::nonce ? "pk" : "key", target.substr(slash + 1));
    auto r = api.handle(op, req);
    if (r.status >= 200 && r.status < 300)
      ++n;
    return r;
  }
  http::response post(const std::vector<wt::signed_entry>& list, const crypto::keypair& caller,
                      std::string remote = "192.0.2.10:40000") {
    return call(tpd::tpd_op::register_transports, http::verb::post, "/transports/",
                wt::encode_tpd_post_body(list), caller, std::move(remote));
  }
  http::response get_id(const transport_id& id, const crypto::keypair& caller) {
    return call(tpd::tpd_op::get_transport, http::verb::get, "/transports/id:" + id.to_string(), "",
                caller);
  }
  http::response get_edge(const public_key& pk, const crypto::keypair& caller) {
    return call(tpd::tpd_op::get_transport, http::verb::get, "/transports/edge:" + pk.hex(), "",
                caller);
  }
  http::response del(const transport_id& id, const crypto::keypair& caller) {
    return call(tpd::tpd_op::delete_transport, http::verb::delete_,
                "/transports/id:" + id.to_string(), "", caller);
  }
};

std::string error_text(const http::response& r) {
  return std::string{boost::json::parse(r.body).at("error").as_string()};
}

} // namespace

TEST_CASE("tpd api: register, get by id and by edge, delete by an edge") {
  harness h;
  auto a = key("alice"), b = key("bob"), c = key("carol");
  auto ab = signed_both(a, b), ac = signed_both(a, c, "dmsg");
  auto r = h.post({ab, ac}, a);
  REQUIRE_MESSAGE(r.status == 201, r.body);
  CHECK(r.body == wt::encode_tpd_post_body({ab, ac})); // echoes the list, "\n" included

  r = h.get_id(ab.entry.id, c); // any authenticated key may look
  CHECK(r.status == 200);
  CHECK(r.body == wt::encode_entry_json(ab.entry) + "\n");
  auto listed = wt::decode_entry_json(r.body);
  REQUIRE(listed);
  CHECK(*listed == ab.entry);

  r = h.get_edge(a.pk, b);
  CHECK(r.status == 200);
  auto arr = boost::json::parse(r.body).as_array();
  CHECK(arr.size() == 2);
  CHECK(h.get_edge(key("nobody").pk, b).body == "[]\n");
  CHECK(h.get_edge(c.pk, b).status == 200);

  r = h.del(ab.entry.id, c); // carol is no edge of alice-bob
  CHECK(r.status == 403);
  CHECK(error_text(r).find("only an edge") != std::string::npos);
  r = h.del(ab.entry.id, b);
  CHECK(r.status == 200);
  CHECK(r.body == "transport deleted");
  r = h.get_id(ab.entry.id, a);
  CHECK(r.status == 404);
  CHECK(r.body == "{\"error\":\"transport not found\"}\n");
  CHECK(h.del(ab.entry.id, a).status == 404);

  // malformed keys
  r = h.call(tpd::tpd_op::get_transport, http::verb::get, "/transports/id:not-a-uuid", "", a);
  CHECK(r.status == 400);
  CHECK(error_text(r) == "transport ID is invalid");
  r = h.call(tpd::tpd_op::get_transport, http::verb::get, "/transports/edge:02ab", "", a);
  CHECK(r.status == 400);
  CHECK(error_text(r) == "public key is invalid");
  r = h.call(tpd::tpd_op::get_transport, http::verb::get, "/transports/what:ever", "", a);
  CHECK(r.status == 404);
}

TEST_CASE("tpd api: unsigned, half-signed, forged, mislabelled or foreign entries are refused") {
  harness h;
  auto a = key("alice"), b = key("bob"), c = key("carol"), m = key("mallory");
  auto e = entry_of(a, b);

  auto r = h.post({sign_by(e, {})}, a);
  CHECK(r.status == 400);
  CHECK(error_text(r).find("not signed by both edges") != std::string::npos);
  r = h.post({sign_by(e, {&a})}, a); // what the initiator alone can make
  CHECK(r.status == 400);
  CHECK(error_text(r).find("edge " + b.pk.hex() + " has not signed") != std::string::npos);

  auto forged = sign_by(e, {&a});
  auto bytes = e.to_binary();
  (void)forged.set_signature(b.pk, crypto::sign(bytes, m.sk)); // bob's slot, mallory's key
  r = h.post({forged}, a);
  CHECK(r.status == 403);
  CHECK(error_text(r).find("signature of edge " + b.pk.hex() + " does not verify")
        != std::string::npos);

  auto other_payload = sign_by(e, {&a, &b});
  auto changed = entry_of(a, b, "sudph"); // bob's signature was for stcpr
  other_payload.entry.type = "sudph";
  other_payload.entry.id = changed.id;
  (void)other_payload.set_signature(a.pk, crypto::sign(changed.to_binary(), a.sk));
  r = h.post({other_payload}, a);
  CHECK(r.status == 403);

  auto wrong_id = signed_both(a, b);
  wrong_id.entry.id = entry_of(a, c).id;
  r = h.post({wrong_id}, a);
  CHECK(r.status == 400);
  CHECK(error_text(r).rfind("transport ID is invalid", 0) == 0);

  r = h.post({signed_both(a, b)}, c); // a valid entry, posted by a third key
  CHECK(r.status == 403);
  CHECK(error_text(r).find("is not an edge") != std::string::npos);

  // one bad entry refuses the request: nothing of it is stored
  r = h.post({signed_both(a, c), forged}, a);
  CHECK(r.status == 403);
  CHECK(h.api.store().size() == 0);

  r = h.call(tpd::tpd_op::register_transports, http::verb::post, "/transports/", "{\"x\":1}\n", a);
  CHECK(r.status == 400);
  CHECK(h.api.store().size() == 0);

  // the label is not signed: a relabelled entry with valid signatures is fine
  auto relabelled = signed_both(a, b);
  relabelled.entry.label = wt::transport_label::skycoin;
  CHECK(h.post({relabelled}, b).status == 201);
  auto m_text = h.api.handle(tpd::tpd_op::metrics, {}).body;
  CHECK(m_text.find("tpd_registrations_forged_total 3") != std::string::npos);
  CHECK(m_text.find("tpd_transports 1") != std::string::npos);
}

TEST_CASE("tpd api: httpauth nonces advance on every 2xx, replays and stale nonces get 401") {
  harness h;
  auto a = key("alice"), b = key("bob");
  auto body = wt::encode_tpd_post_body({signed_both(a, b)});
  auto req = signed_request(http::verb::post, "/transports/", body, a, 0);
  CHECK(h.api.handle(tpd::tpd_op::register_transports, req).status == 201);
  auto replay = h.api.handle(tpd::tpd_op::register_transports, req);
  CHECK(replay.status == 401);
  auto e = wire::decode_httpauth_error(replay.body);
  REQUIRE(e);
  CHECK(e->message == "SW-Nonce does not match");
  CHECK(e->code == 401);

  // the nonce endpoint tells the next one; a non-2xx answer does not consume it
  http::request q;
  q.params.emplace("pk", a.pk.hex());
  auto n = h.api.handle(tpd::tpd_op::nonce, q);
  CHECK(n.status == 200);
  CHECK(n.body == wire::encode_nonce_response({a.pk, 1}));
  auto missing = signed_request(http::verb::get,
                                "/transports/id:" + entry_of(a, key("x")).id.to_string(), "", a, 1);
  missing.params.emplace("key", "id:" + entry_of(a, key("x")).id.to_string());
  CHECK(h.api.handle(tpd::tpd_op::get_transport, missing).status == 404);
  CHECK(h.api.handle(tpd::tpd_op::get_transport, missing).status == 404); // still nonce 1
  q.params["pk"] = std::string(66, '0');
  CHECK(h.api.handle(tpd::tpd_op::nonce, q).status == 400);
  q.params["pk"] = "xyz";
  CHECK(h.api.handle(tpd::tpd_op::nonce, q).status == 400);

  // no headers at all
  http::request bare;
  bare.body = body;
  auto r = h.api.handle(tpd::tpd_op::register_transports, bare);
  CHECK(r.status == 401);
  CHECK(wire::decode_httpauth_error(r.body)->message == "SW-Public missing");
  CHECK(h.api.handle(tpd::tpd_op::metrics, {}).body.find("tpd_httpauth_refused_total 2")
        != std::string::npos);
}

TEST_CASE("tpd api: the Go client's captured requests are served in order") {
  // httpauth.json: bob's tpdclient asks GET /transports/edge:<bob> at nonce 0,
  // then POSTs the doubly signed stcpr entry at nonce 1.
  auto v = vectors("httpauth.json");
  harness h;
  std::vector<unsigned> statuses;
  for (const auto& item : v.at("requests").as_array()) {
    const auto& r = item.as_object();
    auto path = str(r.at("path"));
    if (path.rfind("/transports", 0) != 0)
      continue;
    http::request req;
    req.method = str(r.at("method")) == "GET" ? http::verb::get : http::verb::post;
    req.path = req.target = path;
    req.body = str(r.at("body_ascii"));
    req.remote = "203.0.113.9:50000";
    for (const auto& [k, val] : r.at("headers").as_object())
      req.headers.emplace_back(std::string{k}, str(val));
    auto op = tpd::tpd_op::register_transports;
    if (req.method == http::verb::get) {
      op = tpd::tpd_op::get_transport;
      req.params.emplace("key", path.substr(path.rfind('/') + 1));
    }
    auto res = h.api.handle(op, req);
    INFO(res.body);
    statuses.push_back(res.status);
  }
  CHECK(statuses == std::vector<unsigned>{200, 201});
  auto a = key("alice");
  auto stored = h.api.store().get(entry_of(a, key("bob")).id, h.now);
  REQUIRE(stored);
  CHECK(stored->entry.type == "stcpr");
}

TEST_CASE("tpd api: the reference vector's doubly signed entry registers - one signature does not") {
  auto v = vectors("transport.json");
  harness h;
  auto bob = key("bob"), alice = key("alice");
  auto both = str(v.at("signed_entry").at("tpd_post_transports_body"));
  auto r = h.call(tpd::tpd_op::register_transports, http::verb::post, "/transports/", both, alice);
  CHECK(r.status == 201);
  CHECK(r.body == both);
  auto one = "[" + str(v.at("signed_entry").at("one_signature_json_with_newline"));
  one.back() = ']';
  one += '\n';
  harness h2;
  r = h2.call(tpd::tpd_op::register_transports, http::verb::post, "/transports/", one, alice);
  CHECK(r.status == 400);
  CHECK(h2.api.store().size() == 0);
}

TEST_CASE("tpd api: transports expire unless re-registered - the sweep counts them") {
  tpd::tpd_config cfg;
  cfg.entry_ttl = 60s;
  harness h{cfg};
  auto a = key("alice"), b = key("bob"), c = key("carol");
  auto ab = signed_both(a, b), ac = signed_both(a, c);
  CHECK(h.post({ab, ac}, a).status == 201);
  h.now += 50 * sec;
  CHECK(h.post({ab}, b).status == 201); // refreshed by the other edge
  h.now += 20 * sec;                    // 70 s after the first registration
  CHECK(h.get_id(ac.entry.id, a).status == 404);
  CHECK(h.get_id(ab.entry.id, a).status == 200);
  CHECK(h.api.sweep() == 1);
  h.now += 41 * sec;
  CHECK(h.get_edge(a.pk, a).body == "[]\n");
  CHECK(h.api.sweep() == 1);
  CHECK(h.api.handle(tpd::tpd_op::metrics, {}).body.find("tpd_expired_total 2")
        != std::string::npos);
}

TEST_CASE("tpd api: new transports and new keys per source are limited - bounds say why") {
  tpd::tpd_config cfg;
  cfg.new_burst = 12;
  cfg.new_per_minute = 60;
  cfg.max_per_edge = 5;
  harness h{cfg};
  auto hub = key("hub");
  // the hub's first request costs a token (a new nonce key), each new transport one more
  std::vector<crypto::keypair> peers;
  for (int i = 0; i < 20; ++i)
    peers.push_back(key("peer-" + std::to_string(i)));
  for (int i = 0; i < 5; ++i)
    CHECK(h.post({signed_both(hub, peers[static_cast<size_t>(i)])}, hub).status == 201);
  auto r = h.post({signed_both(hub, peers[5])}, hub);
  CHECK(r.status == 422); // the hub's edge is full
  CHECK(error_text(r).find("already has 5 transports") != std::string::npos);
  // 12 - 1 - 5 - 1 (the refused one paid too) = 5 tokens left for this source
  // each new key pays for its first request and for its new transport: two
  // succeed, then the budget is spent
  std::vector<unsigned> st;
  for (size_t i = 6; i < 11; ++i)
    st.push_back(h.post({signed_both(peers[i], peers[i + 5])}, peers[i]).status);
  CHECK(st == std::vector<unsigned>{201, 201, 429, 429, 429});
  r = h.post({signed_both(peers[16], peers[17])}, peers[16]);
  CHECK(r.status == 429);
  CHECK(error_text(r).find("too many new registrations from 192.0.2.10") != std::string::npos);
  CHECK(r.header("Retry-After") == std::optional<std::string_view>{"60"});
  // refreshes of stored transports by a known key cost nothing
  CHECK(h.post({signed_both(hub, peers[0])}, hub).status == 201);
  // another source is not affected
  CHECK(h.post({signed_both(peers[16], peers[17])}, peers[16], "198.51.100.5:1").status == 201);
  // and the budget refills
  h.now += 10 * sec;
  CHECK(h.post({signed_both(peers[18], peers[19])}, peers[18]).status == 201);
}

TEST_CASE("tpd api: a full store answers 503 - a request that does not fit adds nothing") {
  tpd::tpd_config cfg;
  cfg.max_entries = 3;
  harness h{cfg};
  auto a = key("alice");
  std::vector<wt::signed_entry> four;
  for (int i = 0; i < 4; ++i)
    four.push_back(signed_both(a, key("p" + std::to_string(i))));
  auto r = h.post(four, a);
  CHECK(r.status == 503);
  CHECK(error_text(r).find("transport discovery is full (3 transports)") != std::string::npos);
  CHECK(h.api.store().size() == 0);
  CHECK(h.post({four[0], four[1], four[2]}, a).status == 201);
  CHECK(h.post({four[3]}, a).status == 503);
  // more entries than one request may carry
  tpd::tpd_config small;
  small.max_entries_per_post = 2;
  harness h2{small};
  CHECK(h2.post({four[0], four[1], four[2]}, a).status == 400);
}

TEST_CASE("tpd api: all-transports pages, deregister by a network monitor, health, statuses") {
  auto nm = key("nm");
  tpd::tpd_config cfg;
  cfg.page_limit = 4;
  cfg.whitelist = {nm.pk};
  harness h{cfg};
  auto a = key("alice");
  std::vector<wt::signed_entry> list;
  for (int i = 0; i < 10; ++i)
    list.push_back(signed_both(a, key("p" + std::to_string(i))));
  REQUIRE(h.post(list, a).status == 201);

  std::vector<std::string> seen;
  http::request q;
  for (int page = 0; page < 5; ++page) {
    auto r = h.api.handle(tpd::tpd_op::all_transports, q);
    REQUIRE(r.status == 200);
    auto arr = boost::json::parse(r.body).as_array();
    CHECK(arr.size() <= 4);
    for (auto& e : arr)
      seen.emplace_back(e.at("t_id").as_string().c_str());
    CHECK(r.header("X-Total-Count") == std::optional<std::string_view>{"10"});
    auto next = r.header("X-Next-Offset");
    if (!next)
      break;
    q.query = "offset=" + std::string{*next} + "&limit=100";
  }
  CHECK(seen.size() == 10);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  q.query = "offset=x";
  CHECK(h.api.handle(tpd::tpd_op::all_transports, q).status == 400);

  auto ids = "[\"" + list[0].entry.id.to_string() + "\",\"" + list[1].entry.id.to_string() + "\"]";
  http::request d;
  d.body = ids;
  CHECK(h.api.handle(tpd::tpd_op::deregister, d).status == 403); // no NM headers
  auto nm_text = nm.pk.hex();
  d.headers = {
    {"NM-PK", nm_text},
    {"NM-Sign",
     crypto::sign({reinterpret_cast<const uint8_t*>(nm_text.data()), nm_text.size()}, nm.sk)
       .hex()}};
  auto r = h.api.handle(tpd::tpd_op::deregister, d);
  CHECK(r.status == 200);
  CHECK(r.body == "null");
  CHECK(h.api.store().size() == 8);
  d.body = "[\"nope\"]";
  CHECK(h.api.handle(tpd::tpd_op::deregister, d).status == 400);
  auto stranger = key("stranger");
  auto s_text = stranger.pk.hex();
  d.headers = {
    {"NM-PK", s_text},
    {"NM-Sign",
     crypto::sign({reinterpret_cast<const uint8_t*>(s_text.data()), s_text.size()}, stranger.sk)
       .hex()}};
  d.body = ids;
  CHECK(h.api.handle(tpd::tpd_op::deregister, d).status == 403);

  r = h.api.handle(tpd::tpd_op::health, {});
  CHECK(r.status == 200);
  auto health = boost::json::parse(r.body).as_object();
  CHECK(health.at("build_info").as_object().contains("version"));
  CHECK(health.at("started_at").as_string().size() > 0);
  CHECK_FALSE(health.contains("dmsg_address")); // omitted: no dmsghttp mode yet
  r = h.api.handle(tpd::tpd_op::statuses, {});
  CHECK(r.status == 410);
  CHECK(r.body.empty());
}
