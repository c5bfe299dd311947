// The two shared pieces the transport discovery stands on, driven directly:
// httpauth_guard (server-side httpauth: messages, nonces, the bounded table
// and its floor) against the Go client's captured requests, and
// source_budget (per-source token buckets).
#include <doctest/doctest.h>

#include "actors/services/httpauth_guard.hpp"
#include "actors/services/source_budget.hpp"
#include "support.hpp"

using namespace skywire;
using namespace tpd_test;
namespace svc = skywire::services;

namespace {

http::request with_headers(http::header_list headers, std::string body = {}) {
  http::request r;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

std::string refusal_text(const caf::error& err) {
  return svc::httpauth_message(err);
}

} // namespace

TEST_CASE("httpauth guard: the Go client's TPD requests verify in sequence") {
  auto v = vectors("httpauth.json");
  svc::httpauth_guard g;
  size_t tpd_requests = 0;
  for (const auto& item : v.at("requests").as_array()) {
    const auto& r = item.as_object();
    if (str(r.at("path")).rfind("/transports", 0) != 0)
      continue;
    ++tpd_requests;
    http::header_list headers;
    for (const auto& [k, val] : r.at("headers").as_object())
      headers.emplace_back(std::string{k}, str(val));
    auto req = with_headers(headers, str(r.at("body_ascii")));
    auto pk = g.authenticate(req);
    REQUIRE_MESSAGE(pk, svc::httpauth_message(pk.error()));
    CHECK(pk->hex() == str(r.at("headers").at("SW-Public")));
    // replayed before the answer is counted: still the same nonce
    CHECK(g.authenticate(req));
    g.consume(*pk); // the service answered 2xx
    auto again = g.authenticate(req);
    REQUIRE_FALSE(again);
    CHECK(refusal_text(again.error()) == "SW-Nonce does not match");
  }
  CHECK(tpd_requests == 2); // GET edge at nonce 0, then POST at nonce 1
}

TEST_CASE("httpauth guard: refusals carry the reference's texts") {
  svc::httpauth_guard g;
  auto kp = key("alice");
  auto good = signed_request(http::verb::post, "/transports/", "[]\n", kp, 0);
  CHECK(g.authenticate(good));

  auto drop = [&](std::string_view name) {
    auto r = good;
    std::erase_if(r.headers, [&](const auto& h) { return h.first == name; });
    return refusal_text(g.authenticate(r).error());
  };
  CHECK(drop("SW-Public") == "SW-Public missing");
  CHECK(drop("SW-Sig") == "SW-Sig missing");
  CHECK(drop("SW-Nonce") == "SW-Nonce missing");

  auto set = [&](std::string_view name, std::string value) {
    auto r = good;
    for (auto& h : r.headers)
      if (h.first == name)
        h.second = value;
    return refusal_text(g.authenticate(r).error());
  };
  CHECK(set("SW-Nonce", "007").rfind("error parsing SW-Nonce: ", 0) == 0);
  CHECK(set("SW-Public", "zz").rfind("error parsing SW-Public: ", 0) == 0);
  CHECK(set("SW-Sig", std::string(130, '0')).rfind("error parsing SW-Sig: ", 0) == 0);
  CHECK(set("SW-Nonce", "1") == "SW-Nonce does not match");

  // the body is signed: another body, or another key's signature, fails
  auto other_body = good;
  other_body.body = "[ ]\n";
  CHECK(refusal_text(g.authenticate(other_body).error()).rfind("invalid signature", 0) == 0);
  auto impostor = signed_request(http::verb::post, "/transports/", "[]\n", key("mallory"), 0);
  impostor.headers[0].second = kp.pk.hex(); // claims alice's key, signed by mallory
  CHECK(refusal_text(g.authenticate(impostor).error()).rfind("invalid signature", 0) == 0);

  // the refusal is the reference's 401 body
  auto res = svc::httpauth_refusal(g.authenticate(impostor).error());
  CHECK(res.status == 401);
  auto parsed = wire::decode_httpauth_error(res.body);
  REQUIRE(parsed);
  CHECK(parsed->code == 401);
  CHECK(res.body.back() == '\n');
}

TEST_CASE("httpauth guard: a bounded table whose floor keeps forgotten keys' old requests out") {
  svc::httpauth_guard g{2};
  auto a = key("a"), b = key("b"), c = key("c");
  for (uint64_t n = 0; n < 5; ++n) { // a reaches nonce 5
    REQUIRE(g.authenticate(signed_request(http::verb::get, "/x", "", a, n)));
    g.consume(a.pk);
  }
  auto old_a = signed_request(http::verb::get, "/x", "", a, 4); // a's last accepted request
  g.consume(b.pk);
  CHECK(g.next_nonce(b.pk) == 1);
  CHECK(g.size() == 2);
  g.consume(b.pk); // b is now the most recently used
  g.consume(c.pk); // full: a (least recently used) is forgotten
  CHECK(g.size() == 2);
  CHECK(g.forgotten() == 1);
  CHECK_FALSE(g.known(a.pk));
  CHECK(g.floor() == 5);
  CHECK(g.next_nonce(a.pk) == 5);          // a starts where it stopped
  CHECK(g.next_nonce(key("new").pk) == 5); // and so does every key not held
  CHECK_FALSE(g.authenticate(old_a));      // a's old requests stay refused
  CHECK(g.authenticate(signed_request(http::verb::get, "/x", "", a, 5)));
  CHECK(g.next_nonce(c.pk) == 1); // c's record started past the nonce it used (0)
}

TEST_CASE("source budget: a burst, then a steady rate, per source - a bounded table") {
  svc::source_budget b{{.burst = 10, .per_minute = 60, .max_sources = 2}};
  for (int i = 0; i < 10; ++i)
    CHECK(b.take("198.51.100.1", 1, t0));
  CHECK_FALSE(b.take("198.51.100.1", 1, t0));
  CHECK(b.take("198.51.100.2", 3, t0));
  CHECK_FALSE(b.take("198.51.100.2", 8, t0)); // all or nothing
  CHECK(b.take("198.51.100.2", 7, t0));
  CHECK_FALSE(b.take("198.51.100.3", 1, t0));     // the table holds two sources
  CHECK(b.take("198.51.100.1", 2, t0 + 2 * sec)); // one a second
  CHECK_FALSE(b.take("198.51.100.1", 1, t0 + 2 * sec));
  b.sweep(t0 + 60 * sec); // both refilled: forgotten
  CHECK(b.tracked() == 0);
  CHECK(b.take("198.51.100.3", 10, t0 + 60 * sec));
  svc::source_budget off{{.burst = 0}};
  CHECK(off.take("x", 1'000'000, t0));

  CHECK(svc::source_of("198.51.100.7:4000") == "198.51.100.7");
  CHECK(svc::source_of("[::ffff:198.51.100.7]:4000") == "198.51.100.7");
  CHECK(svc::source_of("[2001:db8:1:2:3:4:5:6]:4000") == "2001:db8:1:2::/64");
  CHECK(svc::source_of("[2001:db8:1:2:ffff::1]:1") == "2001:db8:1:2::/64");
}
