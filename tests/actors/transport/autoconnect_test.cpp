// Public autoconnect: the plain class against a fake clock and a fake
// dialer (fill to the target, rest there, top up after a drop where the
// reference stops for good, back-off per peer, fetch back-off, ourselves and
// connected keys skipped, bounded candidates); the service discovery's
// Service codec (the reference's JSON, hostile JSON refused); the client
// against a small fake service discovery on 127.0.0.1.
#include <doctest/doctest.h>

#include <future>
#include <map>
#include <mutex>
#include <set>

#include "actors/transport/autoconnect.hpp"
#include "actors/transport/sd_client.hpp"
#include "messages/wire/service_discovery.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/server.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace tp = skywire::transport;

namespace {

using clock = tp::public_autoconnect::clock;

public_key key(int i) {
  std::string seed = "autoconnect-" + std::to_string(i);
  return crypto::deterministic_keypair(
           byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()})
    .pk;
}

/// A fake dialer: every dial it is asked for is remembered; the test decides
/// each outcome. The clock is a plain time point moved by the test.
struct harness {
  clock::time_point now{std::chrono::hours{1}};
  tp::public_autoconnect ac;
  std::set<public_key> connected; ///< keys with a transport of any kind
  std::vector<public_key> dials;  ///< every dial asked for, in order
  int fetches = 0;

  explicit harness(tp::autoconnect_params p = {}) : ac(key(0), p, now) {}

  tp::public_autoconnect::actions poll() {
    auto a = ac.poll(now, [this](const public_key& pk) { return connected.count(pk) > 0; });
    dials.insert(dials.end(), a.dial.begin(), a.dial.end());
    if (a.fetch)
      ++fetches;
    return a;
  }
  void advance(std::chrono::milliseconds d) { now += d; }
};

std::vector<public_key> keys(std::initializer_list<int> ids) {
  std::vector<public_key> out;
  for (int i : ids)
    out.push_back(key(i));
  return out;
}

} // namespace

TEST_CASE("autoconnect: fetch at start, dial up to the target, rest there") {
  harness h;
  auto a = h.poll();
  CHECK(a.fetch); // nothing known yet: ask the service discovery
  CHECK(a.dial.empty());
  CHECK(h.ac.fetching());
  CHECK_FALSE(h.poll().fetch); // one fetch at a time
  h.ac.fetched(keys({1, 2, 3, 4}), h.now);
  a = h.poll();
  CHECK(a.dial == keys({1, 2, 3})); // the target: 3, in the order listed
  CHECK_FALSE(a.fetch);
  CHECK(h.ac.dialing() == 3);
  for (int i : {1, 2, 3})
    h.ac.dial_up(key(i));
  CHECK(h.ac.up() == 3);
  // at the target: neither dials nor fetches, however long it stays there
  for (int i = 0; i < 100; ++i) {
    h.advance(10s);
    a = h.poll();
    CHECK(a.dial.empty());
    CHECK_FALSE(a.fetch);
  }
  CHECK(h.fetches == 1);
}

TEST_CASE("autoconnect: tops up when an automatic transport drops (the reference stops at 3)") {
  harness h;
  h.poll();
  h.ac.fetched(keys({1, 2, 3, 4}), h.now);
  h.poll();
  for (int i : {1, 2, 3})
    h.ac.dial_up(key(i));
  // one drops: the next poll dials the spare candidate at once
  h.ac.down(key(2), h.now);
  CHECK(h.ac.up() == 2);
  auto a = h.poll();
  CHECK(a.dial == keys({4}));
  h.ac.dial_up(key(4));
  // two more drop and no spare is left: the dropped peers wait their back-off
  // (5 s), a fetch is due only after fetch_every (10 s) from the last one
  h.ac.down(key(1), h.now);
  h.ac.down(key(3), h.now);
  h.advance(1s);
  a = h.poll();
  CHECK(a.dial.empty());
  CHECK_FALSE(a.fetch);
  h.advance(4s); // 5 s after the drop
  a = h.poll();
  CHECK(a.dial == keys({1, 2})); // two of the three idle ones, in the order listed
  for (const auto& pk : a.dial)
    h.ac.dial_up(pk);
  CHECK(h.ac.up() == 3);
  CHECK(h.ac.dialing() == 0);
}

TEST_CASE("autoconnect: a failing peer backs off, doubling, capped, reset once up") {
  tp::autoconnect_params p;
  p.target = 1;
  p.peer_backoff = 5s;
  p.peer_backoff_max = 20s;
  harness h{p};
  h.poll();
  h.ac.fetched(keys({1}), h.now);
  std::vector<std::chrono::milliseconds> gaps;
  auto last = h.now;
  for (int attempt = 0; attempt < 6; ++attempt) {
    // poll every 100 ms until the peer is dialed again
    std::vector<public_key> d;
    for (int i = 0; i < 1000 && d.empty(); ++i) {
      auto a = h.poll();
      if (a.fetch)
        h.ac.fetched(keys({1}), h.now); // the service discovery lists it again
      d = a.dial;
      if (d.empty())
        h.advance(100ms);
    }
    REQUIRE(d == keys({1}));
    gaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(h.now - last));
    last = h.now;
    h.ac.dial_failed(key(1), h.now);
  }
  CHECK(gaps[0] == 0ms);
  CHECK(gaps[1] == 5s);
  CHECK(gaps[2] == 10s);
  CHECK(gaps[3] == 20s);
  CHECK(gaps[4] == 20s); // capped
  CHECK(gaps[5] == 20s);
  // up, then dropped: the back-off starts over at 5 s
  h.advance(20s);
  REQUIRE(h.poll().dial == keys({1}));
  h.ac.dial_up(key(1));
  h.ac.down(key(1), h.now);
  h.advance(4900ms);
  CHECK(h.poll().dial.empty());
  h.advance(100ms);
  CHECK(h.poll().dial == keys({1}));
}

TEST_CASE("autoconnect: fetches every 10 s below the target, with back-off after failures") {
  harness h;
  CHECK(h.poll().fetch);
  h.ac.fetch_failed(h.now);
  h.advance(9s);
  CHECK_FALSE(h.poll().fetch);
  h.advance(1s);
  CHECK(h.poll().fetch); // 10 s
  h.ac.fetch_failed(h.now);
  h.advance(19s);
  CHECK_FALSE(h.poll().fetch);
  h.advance(1s);
  CHECK(h.poll().fetch); // 20 s
  h.ac.fetched(keys({1}), h.now); // reset; one candidate, below the target
  auto a = h.poll();
  CHECK(a.dial == keys({1}));
  CHECK_FALSE(a.fetch);
  h.advance(10s);
  CHECK(h.poll().fetch); // still below the target: fetch again after 10 s
  h.ac.fetched(keys({1, 2}), h.now); // 1 known already (dialing): not doubled
  CHECK(h.ac.candidates() == 2);
  CHECK(h.poll().dial == keys({2}));
}

TEST_CASE("autoconnect: ourselves and keys with a transport already are not dialed") {
  harness h;
  h.poll();
  h.connected.insert(key(2));
  h.ac.fetched(keys({0, 1, 2, 3}), h.now); // key(0) is ours
  auto a = h.poll();
  CHECK(a.dial == keys({1, 3}));
  CHECK(a.fetch == false); // fetched just now
  CHECK(h.ac.candidates() == 3);
}

TEST_CASE("autoconnect: candidates are bounded, busy ones are never forgotten") {
  tp::autoconnect_params p;
  p.max_candidates = 4;
  p.target = 2;
  harness h{p};
  h.poll();
  h.ac.fetched(keys({1, 2, 3, 4, 5, 6}), h.now);
  CHECK(h.ac.candidates() == 4);
  auto a = h.poll();
  CHECK(a.dial == keys({3, 4})); // 1 and 2, the oldest idle ones, made room for 5 and 6
  h.ac.dial_up(key(3));
  h.ac.dial_up(key(4));
  h.ac.fetched(keys({7, 8, 9, 10}), h.now);
  CHECK(h.ac.candidates() == 4);
  CHECK(h.ac.up() == 2); // the two up were kept
}

TEST_CASE("service discovery codec: the reference's Service JSON, hostile JSON refused") {
  auto pk = key(1);
  wire::service_entry s{pk, port{7777}, "visor", "v1.3.20", false, {"192.0.2.1"}, {}, {}};
  auto text = wire::encode_service(s);
  CHECK(text == "{\"address\":\"" + pk.hex()
                  + ":7777\",\"type\":\"visor\",\"version\":\"v1.3.20\",\"local_ips\":[\"192.0.2.1\"]}");
  auto back = wire::decode_service(text);
  REQUIRE(back);
  CHECK(*back == s);
  // as the reference's service writes a list, with geo and info
  std::string go = "[{\"address\":\"" + pk.hex()
                   + ":3\",\"type\":\"visor\",\"geo\":{\"lat\":1.5,\"lon\":2,\"country\":\"US\"},"
                     "\"display_node_ip\":true,\"info\":{\"latency\":1,\"uptime\":2,"
                     "\"connections\":3},\"new_field\":[1,2]}]";
  auto list = wire::decode_service_list(go);
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].pk == pk);
  CHECK((*list)[0].prt == port{3});
  CHECK((*list)[0].display_node_ip);
  CHECK(wire::decode_service_list("null")->empty());
  CHECK(wire::decode_service_list("[]")->empty());
  auto round = wire::decode_service_list(wire::encode_service_list({s, s}));
  REQUIRE(round);
  CHECK(round->size() == 2);

  auto entry = [&](std::string fields) { return "[{" + fields + "}]"; };
  auto addr = "\"address\":\"" + pk.hex() + ":7777\"";
  for (const auto& bad : std::vector<std::string>{
         "", "{}", "[1]", "\"x\"", "[", entry("\"type\":\"visor\""), // no address
         entry(addr),                                                  // no type
         entry(addr + ",\"type\":\"\""),
         entry(addr + ",\"type\":7"),
         entry("\"address\":\"" + pk.hex() + "\",\"type\":\"visor\""),        // no port
         entry("\"address\":\"" + pk.hex() + ":65536\",\"type\":\"visor\""),  // port range
         entry("\"address\":\"" + pk.hex() + ":-1\",\"type\":\"visor\""),
         entry("\"address\":\"" + pk.hex() + ":1x\",\"type\":\"visor\""),
         entry("\"address\":\"02zz:1\",\"type\":\"visor\""),
         entry("\"address\":\"" + std::string(66, '0') + ":1\",\"type\":\"visor\""), // null key
         entry(addr + ",\"type\":\"visor\",\"local_ips\":[\"not an ip\"]"),
         entry(addr + ",\"type\":\"visor\",\"local_ips\":\"192.0.2.1\""),
         entry(addr + ",\"type\":\"visor\",\"geo\":[1]"),
         entry(addr + ",\"type\":\"visor\",\"display_node_ip\":\"yes\""),
         entry(addr + ",\"type\":\"" + std::string(100, 'v') + "\""),
         entry(addr + ",\"type\":\"visor\",\"geo\":{\"a\":{\"b\":{\"c\":1}}}"), // too deep
       })
    CHECK_MESSAGE(!wire::decode_service_list(bad), bad);
  // bounded: entries and bytes
  std::string many = "[";
  for (size_t i = 0; i <= wire::max_services; ++i)
    many += std::string{i ? "," : ""} + "{" + addr + ",\"type\":\"visor\"}";
  many += "]";
  CHECK_FALSE(wire::decode_service_list(many));
  CHECK_FALSE(wire::decode_service_list(std::string(wire::max_service_list_json + 1, ' ')));
}

namespace {

/// A fake service discovery: GET /api/services answers what the test set.
struct fake_sd {
  std::mutex mtx;
  std::string body = "[]";
  unsigned status = 200;
  std::vector<std::string> targets;
  std::unique_ptr<http::server> srv;

  uint16_t start(io::io_runtime& io) {
    http::router r;
    r.get("/api/services", [this](http::request req, http::responder res) {
      std::lock_guard<std::mutex> l{mtx};
      targets.push_back(req.target);
      res.send(http::make_response(status, body));
    });
    http::server_config cfg;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    srv = std::make_unique<http::server>(io, cfg, std::move(r));
    auto p = srv->start();
    REQUIRE(p);
    return *p;
  }
  void set(unsigned st, std::string b) {
    std::lock_guard<std::mutex> l{mtx};
    status = st;
    body = std::move(b);
  }
  ~fake_sd() {
    if (srv)
      srv->stop();
  }
};

expected<std::vector<wire::service_entry>> list_visors(const tp::sd_client& c, size_t n) {
  std::promise<expected<std::vector<wire::service_entry>>> pr;
  auto f = pr.get_future();
  c.public_visors(n, [&pr](auto r) { pr.set_value(std::move(r)); });
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

} // namespace

TEST_CASE("service discovery client: public visors from a fake service discovery") {
  io::io_runtime io{1};
  fake_sd sd;
  auto p = sd.start(io);
  auto self = crypto::deterministic_keypair(byte_span{reinterpret_cast<const uint8_t*>("me"), 2});
  tp::httpauth_client::options o;
  o.timeout = 3s;
  auto c = tp::sd_client::make(io, "http://127.0.0.1:" + std::to_string(p), self.pk, self.sk, o);
  REQUIRE(c);
  wire::service_entry a{key(1), port{7001}, "visor", "", false, {"192.0.2.1"}, {}, {}};
  wire::service_entry b{key(2), port{7002}, "visor", "", false, {}, {}, {}};
  sd.set(200, wire::encode_service_list({a, b}));
  auto r = list_visors(*c, 3);
  REQUIRE(r);
  CHECK(*r == std::vector<wire::service_entry>{a, b});
  {
    std::lock_guard<std::mutex> l{sd.mtx};
    REQUIRE(sd.targets.size() == 1);
    CHECK(sd.targets[0] == "/api/services?type=visor&quantity=3");
  }
  auto failed_with = [&](tp::client_errc code) {
    auto r = list_visors(*c, 3);
    return !r && tp::is(r.error(), code);
  };
  // another type listed, a key twice, hostile JSON, an error status, a huge body
  wire::service_entry vpn{key(3), port{44}, "vpn", "v1.3.20", false, {}, {}, {}};
  sd.set(200, wire::encode_service_list({a, vpn}));
  CHECK(failed_with(tp::client_errc::bad_response));
  sd.set(200, wire::encode_service_list({a, a}));
  CHECK(failed_with(tp::client_errc::bad_response));
  sd.set(200, "[{\"address\":1}]");
  CHECK(failed_with(tp::client_errc::bad_response));
  sd.set(500, "{\"error\":\"database down\"}");
  auto e = list_visors(*c, 3);
  REQUIRE_FALSE(e);
  CHECK(tp::is(e.error(), tp::client_errc::server_error));
  CHECK(tp::server_message(e.error()) == "database down");
  sd.set(200, std::string(wire::max_service_list_json + 10, ' '));
  CHECK(failed_with(tp::client_errc::unreachable));
  // refused before sending: dmsg:// (needs dmsghttp), a bad type
  CHECK_FALSE(tp::sd_client::make(io, "dmsg://" + key(1).hex() + ":80", self.pk, self.sk, o));
  std::promise<bool> pr;
  c->services("VPN!", 1, [&pr](auto r) { pr.set_value(!r && tp::is(r.error(), tp::client_errc::invalid_argument)); });
  CHECK(pr.get_future().get());
  sd.srv->stop();
  io.stop();
}
