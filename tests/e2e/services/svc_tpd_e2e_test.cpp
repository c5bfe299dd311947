// `skywire svc tpd` as a process on 127.0.0.1: its help and usage errors,
// then a run that answers /health and a signed registration, and stops
// cleanly on SIGTERM. The process is stopped (and on failure killed) by PID.
#include <doctest/doctest.h>

#include <csignal>

#include <boost/json.hpp>

#include "messages/wire/httpauth.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "runtime/http/client.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/build_paths.hpp"

using namespace std::chrono_literals;
using skywire::test::process;
namespace wt = skywire::wire::transport;

namespace {
const std::string binary = SKYWIRE_BINARY;

skywire::crypto::keypair key(const std::string& seed) {
  return skywire::crypto::deterministic_keypair(
    {reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}
} // namespace

TEST_CASE("skywire svc tpd: help, usage errors") {
  auto r = skywire::test::run({binary, "svc", "tpd", "--help"}, 10s);
  CHECK(r.code == 0);
  CHECK(r.out.find("--entry-timeout") != std::string::npos);
  CHECK(r.out.find("--whitelist-keys") != std::string::npos);
  CHECK(skywire::test::run({binary, "svc", "tpd", "--addr", "nonsense"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "tpd", "--entry-timeout", "soon"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "tpd", "--whitelist-keys", "02ab"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "tpd", "--bogus"}, 10s).code == 2);
}

TEST_CASE("skywire svc tpd: serves on loopback, registers a transport, stops on SIGTERM") {
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  auto log = tmp.path / "tpd.log";
  process p;
  REQUIRE(skywire::test::spawn(
    p, {binary, "svc", "tpd", "-a", "127.0.0.1:0", "--entry-timeout", "2m"}, log));
  REQUIRE_MESSAGE(skywire::test::wait_for_text(log, "transport discovery listening", 4s),
                  skywire::test::read_text(log));
  auto port_text = skywire::test::match(skywire::test::read_text(log),
                                        "addr=127\\.0\\.0\\.1:(\\d+)");
  REQUIRE_FALSE(port_text.empty());
  auto port = static_cast<uint16_t>(std::stoi(port_text));

  auto get = [&](std::string target) {
    skywire::http::client_request r;
    r.port = port;
    r.target = std::move(target);
    r.timeout = 2s;
    auto res = skywire::http::request_sync(r);
    REQUIRE(res);
    return *res;
  };
  auto health = get("/health");
  CHECK(health.status == 200);
  CHECK(boost::json::parse(health.body).at("build_info").is_object());

  auto a = key("alice"), b = key("bob");
  auto e = skywire::crypto::make_transport_entry(a.pk, b.pk, "stcpr");
  wt::signed_entry se;
  se.entry = e;
  (void)se.set_signature(a.pk, skywire::crypto::sign(e.to_binary(), a.sk));
  (void)se.set_signature(b.pk, skywire::crypto::sign(e.to_binary(), b.sk));
  auto body = wt::encode_tpd_post_body({se});
  auto nonce = skywire::wire::decode_nonce_response(get("/security/nonces/" + a.pk.hex()).body);
  REQUIRE(nonce);
  skywire::http::client_request post;
  post.method = skywire::http::verb::post;
  post.port = port;
  post.target = "/transports/";
  post.body = body;
  post.timeout = 2s;
  post.headers = skywire::wire::httpauth_header_list(
    {a.pk, nonce->next_nonce,
     skywire::crypto::sign(skywire::wire::httpauth_payload(body, nonce->next_nonce), a.sk),
     std::nullopt});
  auto res = skywire::http::request_sync(post);
  REQUIRE(res);
  CHECK(res->status == 201);
  auto all = get("/all-transports");
  CHECK(all.body.find(e.id.to_string()) != std::string::npos);

  REQUIRE(p.stop(SIGTERM, 4s));
  CHECK(p.exit_code() == 0);
  CHECK(skywire::test::read_text(log).find("transport discovery stopped") != std::string::npos);
}
