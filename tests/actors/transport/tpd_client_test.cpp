// The visor's transport discovery client against our transport discovery
// service, in process on 127.0.0.1: a doubly signed entry registered as the
// responder of a settlement posts it, looked up by ID and by edge,
// deregistered; forged and half-signed entries refused with the service's
// status and text; httpauth nonces (fetch, stale nonce re-fetched and
// retried once, requests serialised); health; an unreachable service.
#include <doctest/doctest.h>

#include <future>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/services/transport_discovery/service.hpp"
#include "actors/transport/tpd_client.hpp"
#include "messages/wire/httpauth.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/transport_id.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace tpd = skywire::services::transport_discovery;
namespace tp = skywire::transport;
namespace wt = skywire::wire::transport;

namespace {

crypto::keypair kp(std::string_view seed) {
  return crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

/// The entry between a and b signed by the given edges, as the settlement
/// leaves it (the initiator's signature, then the responder's).
wt::signed_entry signed_by(const crypto::keypair& a, const crypto::keypair& b,
                           std::initializer_list<const crypto::keypair*> signers,
                           std::string_view type = "stcpr") {
  wt::signed_entry se;
  se.entry = crypto::make_transport_entry(a.pk, b.pk, type);
  auto bytes = se.entry.to_binary();
  for (auto* s : signers)
    REQUIRE_FALSE(se.set_signature(s->pk, crypto::sign(bytes, s->sk)));
  return se;
}

template <class T>
T wait(std::future<T>& f) {
  REQUIRE(f.wait_for(4s) == std::future_status::ready);
  return f.get();
}

caf::error reg(const tp::tpd_client& c, std::vector<wt::signed_entry> list) {
  std::promise<caf::error> p;
  auto f = p.get_future();
  c.register_transports(std::move(list), [&p](caf::error e) { p.set_value(std::move(e)); });
  return wait(f);
}

expected<wt::entry> by_id(const tp::tpd_client& c, const transport_id& id) {
  std::promise<expected<wt::entry>> p;
  auto f = p.get_future();
  c.get_by_id(id, [&p](expected<wt::entry> e) { p.set_value(std::move(e)); });
  return wait(f);
}

expected<std::vector<wt::entry>> by_edge(const tp::tpd_client& c, const public_key& pk) {
  std::promise<expected<std::vector<wt::entry>>> p;
  auto f = p.get_future();
  c.get_by_edge(pk, [&p](expected<std::vector<wt::entry>> e) { p.set_value(std::move(e)); });
  return wait(f);
}

caf::error dereg(const tp::tpd_client& c, const transport_id& id) {
  std::promise<caf::error> p;
  auto f = p.get_future();
  c.deregister(id, [&p](caf::error e) { p.set_value(std::move(e)); });
  return wait(f);
}

uint64_t server_nonce(const tp::tpd_client& c) {
  std::promise<expected<uint64_t>> p;
  auto f = p.get_future();
  c.auth().fetch_nonce([&p](expected<uint64_t> n) { p.set_value(std::move(n)); });
  auto n = wait(f);
  REQUIRE(n);
  return *n;
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  io::io_runtime io{1};
  tpd::tpd_handle h;
  fixture() {
    tpd::tpd_config c;
    c.port = 0;
    auto started = tpd::spawn_transport_discovery(sys, io, c);
    REQUIRE(started);
    h = *started;
  }
  ~fixture() { h.stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(h.port); }
  tp::tpd_client client(const crypto::keypair& k, tp::httpauth_client::options o = {}) const {
    o.timeout = 3s;
    auto c = tp::tpd_client::make(const_cast<io::io_runtime&>(io), url(), k.pk, k.sk, o);
    REQUIRE(c);
    return *c;
  }
};

} // namespace

TEST_CASE("tpd client: register a doubly signed entry, get it by id and edge, deregister") {
  fixture f;
  auto a = kp("tpdc-alice"), b = kp("tpdc-bob"), c = kp("tpdc-carol");
  auto ca = f.client(a), cb = f.client(b), cc = f.client(c);

  // the responder (b) posts the entry both edges signed
  auto ab = signed_by(a, b, {&a, &b});
  auto bc = signed_by(b, c, {&b, &c}, "sudph");
  REQUIRE_FALSE(reg(cb, {ab, bc}));
  // 201 consumed the nonce on our service and the client advanced in step
  CHECK(cb.auth().nonce() == std::optional<uint64_t>{server_nonce(cb)});

  auto got = by_id(ca, ab.entry.id);
  REQUIRE(got);
  CHECK(*got == ab.entry);
  auto listed = by_edge(cc, b.pk);
  REQUIRE(listed);
  REQUIRE(listed->size() == 2);
  CHECK(((*listed)[0] == ab.entry || (*listed)[1] == ab.entry));
  auto none = by_edge(cc, kp("tpdc-nobody").pk);
  REQUIRE(none);
  CHECK(none->empty());

  // a third party may not delete it; an edge may
  auto refused = dereg(cc, ab.entry.id);
  CHECK(tp::is(refused, tp::client_errc::forbidden));
  CHECK(tp::http_status(refused) == 403);
  REQUIRE_FALSE(dereg(ca, ab.entry.id));
  auto gone = by_id(cc, ab.entry.id);
  REQUIRE_FALSE(gone);
  CHECK(tp::is(gone.error(), tp::client_errc::not_found));
  CHECK(tp::http_status(gone.error()) == 404);
  CHECK(tp::server_message(gone.error()) == "transport not found");
  auto again = dereg(ca, ab.entry.id);
  CHECK(tp::is(again, tp::client_errc::not_found));
  CHECK(by_edge(ca, a.pk)->empty());

  // health
  std::promise<expected<wire::health_response>> hp;
  auto hf = hp.get_future();
  ca.health([&hp](expected<wire::health_response> h) { hp.set_value(std::move(h)); });
  auto health = wait(hf);
  REQUIRE(health);
  CHECK(health->build_info);
  CHECK_FALSE(health->started_at.empty());
}

TEST_CASE("tpd client: forged and half-signed entries are refused with the service's text") {
  fixture f;
  auto a = kp("tpdc-forge-a"), b = kp("tpdc-forge-b"), m = kp("tpdc-mallory");
  auto ca = f.client(a);

  // b's slot signed by mallory
  auto forged = signed_by(a, b, {&a});
  REQUIRE_FALSE(forged.set_signature(b.pk, crypto::sign(forged.entry.to_binary(), m.sk)));
  auto err = reg(ca, {forged});
  CHECK(tp::is(err, tp::client_errc::forbidden));
  CHECK(tp::http_status(err) == 403);
  CHECK(tp::server_message(err).find("does not verify") != std::string::npos);
  CHECK(describe(err).find("transport discovery: HTTP 403") == 0);

  err = reg(ca, {signed_by(a, b, {&a})});
  CHECK(tp::is(err, tp::client_errc::bad_request));
  CHECK(tp::server_message(err).find("not signed by both edges") != std::string::npos);

  // nothing was stored
  auto missing = by_id(ca, forged.entry.id);
  REQUIRE_FALSE(missing);
  CHECK(tp::is(missing.error(), tp::client_errc::not_found));

  // more than 64 entries are refused before anything is sent
  std::vector<wt::signed_entry> many(65, signed_by(a, b, {&a, &b}));
  CHECK(tp::is(reg(ca, many), tp::client_errc::invalid_argument));
  CHECK_FALSE(reg(ca, {}));
}

TEST_CASE("tpd client: a stale nonce is re-fetched and the request retried once") {
  fixture f;
  auto a = kp("tpdc-nonce-a"), b = kp("tpdc-nonce-b");
  // two clients with one key (a restarted visor, a CLI beside it): each one's
  // requests make the other's nonce stale
  auto first = f.client(a), second = f.client(a);
  auto ab = signed_by(a, b, {&a, &b});
  REQUIRE_FALSE(reg(first, {ab}));
  REQUIRE(by_id(second, ab.entry.id));
  auto stale = first.auth().nonce();
  REQUIRE(stale);
  REQUIRE(by_id(first, ab.entry.id)); // 401 "SW-Nonce does not match", re-fetch, retry
  CHECK(*first.auth().nonce() == *stale + 2);
  CHECK(*first.auth().nonce() == server_nonce(first));
  REQUIRE(by_edge(second, a.pk));
  CHECK(*second.auth().nonce() == server_nonce(second));
}

TEST_CASE("tpd client: concurrent signed requests are serialised, the queue is bounded") {
  fixture f;
  auto a = kp("tpdc-queue-a"), b = kp("tpdc-queue-b");
  auto ca = f.client(a);
  REQUIRE_FALSE(reg(ca, {signed_by(a, b, {&a, &b})}));

  constexpr int n = 20;
  std::vector<std::promise<expected<std::vector<wt::entry>>>> ps(n);
  std::vector<std::future<expected<std::vector<wt::entry>>>> fs;
  for (auto& p : ps)
    fs.push_back(p.get_future());
  for (int i = 0; i < n; ++i)
    ca.get_by_edge(a.pk, [&p = ps[i]](auto r) { p.set_value(std::move(r)); });
  for (auto& fu : fs) {
    auto r = wait(fu);
    REQUIRE(r);
    CHECK(r->size() == 1);
  }
  CHECK(*ca.auth().nonce() == server_nonce(ca));

  // a queue of one, with a sender that holds requests until released: the
  // first request runs (its nonce fetch is held), the second waits, the
  // third is refused at once
  struct gate {
    std::mutex mtx;
    bool open = false;
    std::vector<std::pair<http::client_request, http::client_callback>> held;
  };
  auto g = std::make_shared<gate>();
  tp::httpauth_client::options small;
  small.max_queued = 1;
  small.send = [g, &io = f.io](http::client_request req, http::client_callback cb) {
    {
      std::lock_guard<std::mutex> l{g->mtx};
      if (!g->open) {
        g->held.emplace_back(std::move(req), std::move(cb));
        return;
      }
    }
    http::async_request(io, std::move(req), std::move(cb));
  };
  auto cq = f.client(a, small);
  std::promise<caf::error> p1, p2, p3;
  auto f1 = p1.get_future(), f2 = p2.get_future(), f3 = p3.get_future();
  auto id = crypto::make_transport_id(a.pk, b.pk, "stcpr");
  cq.get_by_id(id, [&p1](auto r) { p1.set_value(r ? caf::error{} : r.error()); });
  cq.get_by_id(id, [&p2](auto r) { p2.set_value(r ? caf::error{} : r.error()); });
  cq.get_by_id(id, [&p3](auto r) { p3.set_value(r ? caf::error{} : r.error()); });
  CHECK(tp::is(wait(f3), tp::client_errc::busy));
  std::vector<std::pair<http::client_request, http::client_callback>> release;
  {
    std::lock_guard<std::mutex> l{g->mtx};
    g->open = true;
    release.swap(g->held);
  }
  CHECK(release.size() == 1); // only the first job's nonce fetch went out
  for (auto& [req, cb] : release)
    http::async_request(f.io, std::move(req), std::move(cb));
  CHECK_FALSE(wait(f1));
  CHECK_FALSE(wait(f2));
}

TEST_CASE("tpd client: SW-PublicIP goes with dmsg:// URLs only, as the reference sends it") {
  fixture f;
  auto a = kp("tpdc-publicip-a"), b = kp("tpdc-publicip-b");
  // a dmsghttp stand-in: dmsg:// requests are carried to the service over
  // TCP, and every header seen is recorded (the service, over dmsghttp,
  // would read the caller's IP from SW-PublicIP)
  struct seen_t {
    std::mutex mtx;
    std::vector<std::string> public_ips; ///< one per signed request ("" = none)
  };
  auto seen = std::make_shared<seen_t>();
  auto carrier = [seen, &f](http::client_request req, http::client_callback cb) {
    std::string ip;
    bool sig = false;
    for (const auto& [k, v] : req.headers) {
      sig |= k == wire::httpauth_header_sig;
      if (k == wire::httpauth_header_public_ip)
        ip = v;
    }
    if (sig) {
      std::lock_guard<std::mutex> g{seen->mtx};
      seen->public_ips.push_back(ip);
    }
    req.scheme = "http";
    req.host = "127.0.0.1";
    req.port = f.h.port;
    http::async_request(f.io, std::move(req), std::move(cb));
  };
  tp::httpauth_client::options o;
  o.timeout = 3s;
  o.send = carrier;
  o.public_ip = [] { return std::optional<std::string>{"203.0.113.7"}; };
  auto dmsg_url = "dmsg://" + kp("tpdc-publicip-svc").pk.hex() + ":80";
  auto over_dmsg = tp::tpd_client::make(f.io, dmsg_url, a.pk, a.sk, o);
  REQUIRE(over_dmsg);
  REQUIRE_FALSE(reg(*over_dmsg, {signed_by(a, b, {&a, &b})}));
  auto over_http = tp::tpd_client::make(f.io, f.url(), a.pk, a.sk, o);
  REQUIRE(over_http);
  REQUIRE(by_edge(*over_http, a.pk));
  std::lock_guard<std::mutex> g{seen->mtx};
  REQUIRE(seen->public_ips.size() == 2);
  CHECK(seen->public_ips[0] == "203.0.113.7");
  CHECK(seen->public_ips[1] == "");
}

TEST_CASE("tpd client: an unreachable discovery and a bad URL are errors, not hangs") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  io::io_runtime io{1};
  uint16_t dead_port = 0;
  {
    tpd::tpd_config c;
    c.port = 0;
    auto h = tpd::spawn_transport_discovery(sys, io, c);
    REQUIRE(h);
    dead_port = h->port;
    h->stop();
  }
  auto a = kp("tpdc-dead");
  tp::httpauth_client::options o;
  o.timeout = 2s;
  auto c = tp::tpd_client::make(io, "http://127.0.0.1:" + std::to_string(dead_port), a.pk, a.sk, o);
  REQUIRE(c);
  auto r = by_id(*c, crypto::make_transport_id(a.pk, kp("x").pk, "stcpr"));
  REQUIRE_FALSE(r);
  CHECK(tp::is(r.error(), tp::client_errc::unreachable));
  CHECK(tp::http_status(r.error()) == 0);
  CHECK_FALSE(tp::tpd_client::make(io, "ftp://nowhere", a.pk, a.sk));
}
