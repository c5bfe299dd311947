// `skywire svc ar` as a process on 127.0.0.1: its help and usage errors,
// then a run in test mode that answers /health, takes a visor's sudph
// control channel over UDP and a signed stcpr bind, resolves both, and
// stops cleanly on SIGTERM. The process is stopped (and on failure killed)
// by PID.
#include <doctest/doctest.h>

#include <csignal>

#include <boost/json.hpp>

#include "runtime/http/client.hpp"
#include "tests/actors/services/address_resolver/support.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/build_paths.hpp"

using namespace std::chrono_literals;
using skywire::test::process;
namespace wt = skywire::wire::transport;

namespace {
const std::string binary = SKYWIRE_BINARY;
} // namespace

TEST_CASE("skywire svc ar: help, usage errors") {
  auto r = skywire::test::run({binary, "svc", "ar", "--help"}, 10s);
  CHECK(r.code == 0);
  for (auto* flag : {"--addr", "--udp-addr", "--testing", "--entry-timeout", "--whitelist-keys"})
    CHECK_MESSAGE(r.out.find(flag) != std::string::npos, flag);
  CHECK(skywire::test::run({binary, "svc", "ar", "--addr", "nonsense"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "ar", "--udp-addr", "x:y"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "ar", "--entry-timeout", "soon"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "ar", "--whitelist-keys", "02ab"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "ar", "--bogus"}, 10s).code == 2);
}

TEST_CASE("skywire svc ar: serves HTTP and sudph on loopback, stops on SIGTERM") {
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  auto log = tmp.path / "ar.log";
  process p;
  REQUIRE(skywire::test::spawn(
    p, {binary, "svc", "ar", "-a", "127.0.0.1:0", "--udp-addr", "127.0.0.1:0", "-t"}, log));
  REQUIRE_MESSAGE(skywire::test::wait_for_text(log, "address resolver listening", 4s),
                  skywire::test::read_text(log));
  auto text = skywire::test::read_text(log);
  auto port_text = skywire::test::match(text, "addr=127\\.0\\.0\\.1:(\\d+)");
  auto udp_text = skywire::test::match(text, "udp=127\\.0\\.0\\.1:(\\d+)");
  REQUIRE_FALSE(port_text.empty());
  REQUIRE_FALSE(udp_text.empty());
  auto port = static_cast<uint16_t>(std::stoi(port_text));
  auto udp_port = static_cast<uint16_t>(std::stoi(udp_text));

  auto call = [&](skywire::http::verb m, std::string target, std::string body = {},
                  const skywire::crypto::keypair* kp = nullptr) {
    skywire::http::client_request r;
    r.method = m;
    r.port = port;
    r.target = std::move(target);
    r.timeout = 2s;
    if (kp) {
      skywire::http::client_request n;
      n.port = port;
      n.target = "/security/nonces/" + kp->pk.hex();
      n.timeout = 2s;
      auto nr = skywire::http::request_sync(n);
      REQUIRE(nr);
      auto nonce = skywire::wire::decode_nonce_response(nr->body);
      REQUIRE(nonce);
      auto sig = skywire::crypto::sign(skywire::wire::httpauth_payload(body, nonce->next_nonce),
                                       kp->sk);
      r.headers = skywire::wire::httpauth_header_list({kp->pk, nonce->next_nonce, sig, {}});
    }
    r.body = std::move(body);
    auto res = skywire::http::request_sync(r);
    REQUIRE(res);
    return *res;
  };
  auto health = call(skywire::http::verb::get, "/health");
  CHECK(health.status == 200);
  CHECK(boost::json::parse(health.body).at("build_info").is_object());

  auto a = ar_test::key("alice"), b = ar_test::key("bob");
  ar_test::udp_visor va{udp_port, 0x12345678};
  REQUIRE(va.bind(a, {skywire::port{va.local_port()}, {"127.0.0.1"}}));
  auto r = call(skywire::http::verb::post, "/bind/stcpr",
                wt::encode_local_addresses_line({skywire::port{7777}, {"127.0.0.1"}}), &b);
  CHECK(r.status == 200);
  r = call(skywire::http::verb::get, "/resolve/sudph/" + a.pk.hex(), {}, &b);
  REQUIRE(r.status == 200);
  CHECK(wt::decode_visor_data(r.body)->remote_addr
        == "127.0.0.1:" + std::to_string(va.local_port()));
  r = call(skywire::http::verb::get, "/resolve/stcpr/" + b.pk.hex(), {}, &a);
  REQUIRE(r.status == 200);
  CHECK(wt::decode_visor_data(r.body)->remote_addr == "127.0.0.1");
  auto t = wt::decode_ar_transports(call(skywire::http::verb::get, "/transports").body);
  REQUIRE(t);
  CHECK(t->sudph == std::vector<skywire::public_key>{a.pk});
  CHECK(t->stcpr == std::vector<skywire::public_key>{b.pk});

  REQUIRE(p.stop(SIGTERM, 4s));
  CHECK(p.exit_code() == 0);
  CHECK(skywire::test::read_text(log).find("address resolver stopped") != std::string::npos);
}
