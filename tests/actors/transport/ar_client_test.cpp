// The visor's address resolver client (HTTP side) against a small fake AR on
// 127.0.0.1 that follows the reference's API (§1.11): httpauth on bind,
// unbind and resolve (the server side is services::httpauth_guard), the
// bind refused unless the caller's IP is among the announced addresses, 404
// for an unknown key, /transports unauthenticated. The bind body is checked
// byte for byte against the Go client's captured request
// (vectors/skywire/httpauth.json).
#include <doctest/doctest.h>

#include <condition_variable>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <sstream>

#include <boost/json.hpp>

#include "actors/services/httpauth_guard.hpp"
#include "actors/transport/ar_client.hpp"
#include "messages/wire/transport/address_resolver.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/server.hpp"
#include "tests/support/build_paths.hpp"

using namespace skywire;
using namespace std::chrono_literals;
namespace tp = skywire::transport;
namespace wt = skywire::wire::transport;

namespace {

crypto::keypair kp(std::string_view seed) {
  return crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

template <class T>
T wait(std::future<T>& f) {
  REQUIRE(f.wait_for(4s) == std::future_status::ready);
  return f.get();
}

std::string ip_of(const std::string& remote) {
  auto colon = remote.rfind(':');
  auto ip = remote.substr(0, colon);
  if (!ip.empty() && ip.front() == '[')
    ip = ip.substr(1, ip.size() - 2);
  return ip;
}

/// The fake address resolver. Handlers run on the io thread; the test reads
/// the state under the mutex and waits on `changed`.
struct fake_ar {
  std::mutex mtx;
  std::condition_variable changed;
  services::httpauth_guard guard;
  std::map<std::string, std::map<public_key, wt::visor_data>> bound; ///< type -> pk -> data
  std::vector<std::string> bind_bodies;
  std::vector<std::string> unbind_bodies;
  int binds_ok = 0;
  int fail_next_binds = 0; ///< answer 500 to this many binds
  std::vector<std::string> resolved;
  bool transports_signed = false;
  std::unique_ptr<http::server> srv;

  static http::response error(unsigned status, std::string text) {
    std::string body = "{\"error\":\"" + text + "\"}\n";
    return http::make_response(status, std::move(body));
  }

  /// httpauth, then fn(caller) under the lock; the nonce advances on 200.
  template <class F>
  void authed(const http::request& req, const http::responder& res, F&& fn) {
    std::unique_lock<std::mutex> l{mtx};
    auto pk = guard.authenticate(req);
    if (!pk) {
      res.send(services::httpauth_refusal(pk.error()));
      return;
    }
    auto r = fn(*pk);
    if (r.status == 200)
      guard.consume(*pk);
    l.unlock();
    changed.notify_all();
    res.send(std::move(r));
  }

  uint16_t start(io::io_runtime& io) {
    http::router r;
    r.get("/security/nonces/{pk}", [this](http::request req, http::responder res) {
      auto pk = public_key::from_hex(req.param("pk"));
      if (!pk)
        return (void)res.send(error(400, "bad key"));
      std::lock_guard<std::mutex> l{mtx};
      res.send(http::make_response(
        200, wire::encode_nonce_response({*pk, guard.next_nonce(*pk)}) + "\n"));
    });
    r.post("/bind/stcpr", [this](http::request req, http::responder res) {
      authed(req, res, [&](const public_key& pk) {
        bind_bodies.push_back(req.body);
        if (fail_next_binds > 0) {
          --fail_next_binds;
          return error(500, "store unavailable");
        }
        auto la = wt::decode_local_addresses(req.body);
        if (!la)
          return error(400, "bad body");
        auto ip = ip_of(req.remote);
        if (std::find(la->addresses.begin(), la->addresses.end(), ip) == la->addresses.end())
          return error(400, "Cannot bind " + pk.hex() + " to " + ip
                              + " (STCPR). Remote address not present in request");
        bound["stcpr"][pk] = wt::visor_data{ip, false, *la};
        ++binds_ok;
        return http::make_response(200, "");
      });
    });
    r.del("/bind/stcpr", [this](http::request req, http::responder res) {
      authed(req, res, [&](const public_key& pk) {
        unbind_bodies.push_back(req.body);
        bound["stcpr"].erase(pk);
        return http::make_response(200, "");
      });
    });
    r.get("/resolve/{type}/{pk}", [this](http::request req, http::responder res) {
      authed(req, res, [&](const public_key&) {
        auto target = public_key::from_hex(req.param("pk"));
        if (!target)
          return http::make_response(400, "");
        resolved.push_back(std::string{req.param("type")});
        auto& m = bound[std::string{req.param("type")}];
        auto it = m.find(*target);
        if (it == m.end())
          return http::make_response(404, "");
        auto vd = it->second;
        vd.is_local = vd.remote_addr == ip_of(req.remote);
        return http::make_response(200, wt::encode_visor_data(vd));
      });
    });
    r.get("/transports", [this](http::request req, http::responder res) {
      std::lock_guard<std::mutex> l{mtx};
      if (req.header("SW-Public"))
        transports_signed = true; // public: the client should not sign it
      wt::ar_transports t;
      for (const auto& [type, m] : bound)
        for (const auto& kv : m)
          (type == "sudph" ? t.sudph : t.stcpr).push_back(kv.first);
      res.send(http::make_response(200, wt::encode_ar_transports(t)));
    });
    r.get("/health", [](http::request, http::responder res) {
      res.send(http::make_response(200, R"({"started_at":"2025-01-02T03:04:05Z"})"));
    });
    http::server_config cfg;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    srv = std::make_unique<http::server>(io, cfg, std::move(r));
    auto p = srv->start();
    REQUIRE(p);
    return *p;
  }

  ~fake_ar() {
    if (srv)
      srv->stop();
  }

  /// Waits until pred() holds (under the lock), at most 4 s.
  template <class Pred>
  bool wait_for(Pred pred) {
    std::unique_lock<std::mutex> l{mtx};
    return changed.wait_for(l, 4s, pred);
  }
};

struct fixture {
  io::io_runtime io{1};
  fake_ar ar;
  uint16_t ar_port = ar.start(io);
  std::string url() const { return "http://127.0.0.1:" + std::to_string(ar_port); }
  tp::ar_client client(const crypto::keypair& k) {
    tp::httpauth_client::options o;
    o.timeout = 3s;
    auto c = tp::ar_client::make(io, url(), k.pk, k.sk, o);
    REQUIRE(c);
    return *c;
  }
  ~fixture() { ar.srv->stop(); }
};

caf::error do_bind(const tp::ar_client& c, uint16_t p, std::vector<std::string> addrs) {
  std::promise<caf::error> pr;
  auto f = pr.get_future();
  c.bind_stcpr(port{p}, std::move(addrs), [&pr](caf::error e) { pr.set_value(std::move(e)); });
  return wait(f);
}

expected<wt::visor_data> resolve(const tp::ar_client& c, std::string_view type,
                                 const public_key& pk) {
  std::promise<expected<wt::visor_data>> pr;
  auto f = pr.get_future();
  c.resolve(type, pk, [&pr](expected<wt::visor_data> r) { pr.set_value(std::move(r)); });
  return wait(f);
}

} // namespace

TEST_CASE("ar client: the bind body is the Go client's byte for byte, a refusal has the AR's text") {
  fixture f;
  // the vector's request: port "1234", addresses ["1.2.3.4"], signed by the
  // vector's key (its seed is not published: our own key signs the same body)
  std::ifstream in{std::string{SKYWIRE_VECTORS_DIR} + "/skywire/httpauth.json"};
  std::stringstream ss;
  ss << in.rdbuf();
  auto vec = boost::json::parse(ss.str()).at("requests").at(0);
  REQUIRE(vec.at("path").as_string() == "/bind/stcpr");
  auto a = kp("arc-vector");
  auto c = f.client(a);
  auto err = do_bind(c, 1234, {"1.2.3.4"});
  REQUIRE(err);
  CHECK(tp::is(err, tp::client_errc::bad_request));
  CHECK(tp::http_status(err) == 400);
  CHECK(tp::server_message(err).find("Remote address not present in request")
        != std::string::npos);
  std::lock_guard<std::mutex> l{f.ar.mtx};
  REQUIRE(f.ar.bind_bodies.size() == 1); // the signature verified (httpauth_guard)
  CHECK(f.ar.bind_bodies[0] == std::string{vec.at("body_ascii").as_string()});
}

TEST_CASE("ar client: bind, resolve, /transports, unbind, health") {
  fixture f;
  auto a = kp("arc-a"), b = kp("arc-b");
  auto ca = f.client(a), cb = f.client(b);

  auto missing = resolve(ca, "stcpr", b.pk);
  REQUIRE_FALSE(missing);
  CHECK(tp::is(missing.error(), tp::client_errc::not_found));

  REQUIRE_FALSE(do_bind(cb, 7777, {"127.0.0.1", "192.0.2.5"}));
  auto vd = resolve(ca, "stcpr", b.pk);
  REQUIRE(vd);
  CHECK(vd->remote_addr == "127.0.0.1");
  CHECK(vd->is_local);
  CHECK(vd->local.prt == port{7777});
  CHECK(tp::stcpr_dial_addresses(*vd)
        == std::vector<std::string>{"127.0.0.1:7777", "192.0.2.5:7777"});
  CHECK(tp::is(resolve(ca, "sudph", b.pk).error(), tp::client_errc::not_found));
  CHECK(tp::is(resolve(ca, "dmsg", b.pk).error(), tp::client_errc::invalid_argument));

  std::promise<expected<wt::ar_transports>> tpr;
  auto tf = tpr.get_future();
  ca.transports([&tpr](expected<wt::ar_transports> t) { tpr.set_value(std::move(t)); });
  auto listed = wait(tf);
  REQUIRE(listed);
  CHECK(listed->stcpr == std::vector<public_key>{b.pk});
  {
    std::lock_guard<std::mutex> l{f.ar.mtx};
    CHECK_FALSE(f.ar.transports_signed);
  }

  std::promise<caf::error> up;
  auto uf = up.get_future();
  cb.unbind_stcpr([&up](caf::error e) { up.set_value(std::move(e)); });
  REQUIRE_FALSE(wait(uf));
  {
    std::lock_guard<std::mutex> l{f.ar.mtx};
    REQUIRE(f.ar.unbind_bodies.size() == 1);
    CHECK(f.ar.unbind_bodies[0] == "{}\n");
  }
  CHECK(tp::is(resolve(ca, "stcpr", b.pk).error(), tp::client_errc::not_found));
  // every signed request advanced the client's nonce in step with the AR
  std::promise<expected<uint64_t>> np;
  auto nf = np.get_future();
  ca.auth().fetch_nonce([&np](expected<uint64_t> n) { np.set_value(std::move(n)); });
  CHECK(*wait(nf) == *ca.auth().nonce());

  std::promise<expected<wire::health_response>> hp;
  auto hf = hp.get_future();
  ca.health([&hp](expected<wire::health_response> h) { hp.set_value(std::move(h)); });
  auto h = wait(hf);
  REQUIRE(h);
  CHECK(h->started_at == "2025-01-02T03:04:05Z");

  // bad arguments never reach the wire
  CHECK(tp::is(do_bind(ca, 1, {"not an ip"}), tp::client_errc::invalid_argument));
  CHECK(tp::is(do_bind(ca, 1, std::vector<std::string>(65, "127.0.0.1")),
               tp::client_errc::invalid_argument));
}

TEST_CASE("ar client: the stcpr heartbeat re-binds each interval, retries sooner, unbinds on stop") {
  fixture f;
  auto a = kp("arc-heartbeat");
  {
    std::lock_guard<std::mutex> l{f.ar.mtx};
    f.ar.fail_next_binds = 1;
  }
  std::mutex rm;
  std::vector<caf::error> results;
  tp::stcpr_heartbeat::options o;
  o.interval = 40ms;
  o.retry_delay = 5ms;
  auto hb = std::make_unique<tp::stcpr_heartbeat>(
    f.client(a), port{4444}, [] { return std::vector<std::string>{"127.0.0.1"}; },
    [&rm, &results](caf::error e) {
      std::lock_guard<std::mutex> l{rm};
      results.push_back(std::move(e));
    },
    o);
  hb->start();
  // the first bind fails (500), the retry comes after 5 ms, then every 40 ms
  REQUIRE(f.ar.wait_for([&] { return f.ar.binds_ok >= 3; }));
  std::promise<caf::error> done;
  auto df = done.get_future();
  hb->stop(true, [&done](caf::error e) { done.set_value(std::move(e)); });
  REQUIRE_FALSE(wait(df));
  {
    std::lock_guard<std::mutex> l{f.ar.mtx};
    CHECK(f.ar.bound["stcpr"].empty());
    CHECK(f.ar.unbind_bodies.size() == 1);
    for (const auto& body : f.ar.bind_bodies)
      CHECK(body == "{\"port\":\"4444\",\"addresses\":[\"127.0.0.1\"]}\n");
  }
  std::lock_guard<std::mutex> l{rm};
  REQUIRE(results.size() >= 3);
  CHECK(tp::is(results[0], tp::client_errc::server_error));
  CHECK(tp::server_message(results[0]) == "store unavailable");
  CHECK_FALSE(results[1]);
  CHECK_FALSE(results[2]);
  hb.reset(); // destroying a stopped heartbeat is fine
}

TEST_CASE("ar client: dial address order, public IPs as the Go visor sees them, interfaces") {
  wt::visor_data remote{"198.51.100.7", false, {port{7000}, {"10.0.0.2"}}};
  CHECK(tp::stcpr_dial_addresses(remote) == std::vector<std::string>{"198.51.100.7:7000"});
  wt::visor_data local6{"2001:db8::1", true, {port{7000}, {"fd00::2", "2001:db8::1"}}};
  CHECK(tp::stcpr_dial_addresses(local6)
        == std::vector<std::string>{"[fd00::2]:7000", "[2001:db8::1]:7000"});
  wt::visor_data sudph{"198.51.100.7:53000", true, {port{41000}, {"192.168.1.4"}}};
  CHECK(tp::sudph_dial_addresses(sudph)
        == std::vector<std::string>{"192.168.1.4:41000", "198.51.100.7:53000"});

  for (const char* pub : {"8.8.8.8", "192.0.2.10", "198.51.100.1", "172.32.0.1", "::ffff:8.8.4.4"})
    CHECK_MESSAGE(tp::is_public_ip(pub), pub);
  for (const char* priv : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1", "127.0.0.1",
                           "169.254.1.1", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
                           "2001:db8::1", "::1", "fe80::1", "not an ip", ""})
    CHECK_MESSAGE(!tp::is_public_ip(priv), priv);

  auto addrs = tp::local_interface_addresses();
  REQUIRE(addrs);
  for (const auto& a : *addrs) {
    CHECK(wt::plausible_ip_text(a));
    CHECK(a.rfind("169.254.", 0) != 0);
    CHECK(a.rfind("fe80:", 0) != 0);
  }
}
