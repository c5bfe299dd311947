// `skywire svc rf` and `skywire cli rtfind` as processes on 127.0.0.1: help
// and usage errors, then a transport discovery process holding a chain of
// signed transports, a route finder process reading it, and rtfind asking
// for routes (text, --json, a bound no route meets). Every process is
// stopped (and on failure killed) by PID.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include "messages/wire/httpauth.hpp"
#include "messages/wire/routing/route_finder.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "runtime/http/client.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/build_paths.hpp"

using namespace std::chrono_literals;
using skywire::test::process;
namespace wt = skywire::wire::transport;
namespace wr = skywire::wire::routing;

namespace {

const std::string binary = SKYWIRE_BINARY;

skywire::crypto::keypair key(const std::string& seed) {
  return skywire::crypto::deterministic_keypair(
    {reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

/// Starts `args` logging to `log` and returns the port of "<needle> addr=127.0.0.1:<port>".
uint16_t start(process& p, std::vector<std::string> args, const std::filesystem::path& log,
               const std::string& needle) {
  REQUIRE(skywire::test::spawn(p, std::move(args), log));
  REQUIRE_MESSAGE(skywire::test::wait_for_text(log, needle, 4s), skywire::test::read_text(log));
  auto port = skywire::test::match(skywire::test::read_text(log), "addr=127\\.0\\.0\\.1:(\\d+)");
  REQUIRE_FALSE(port.empty());
  return static_cast<uint16_t>(std::stoi(port));
}

/// Registers the transport a-b, signed by both, posted by a with httpauth.
void register_transport(uint16_t tpd_port, const skywire::crypto::keypair& a,
                        const skywire::crypto::keypair& b) {
  auto e = skywire::crypto::make_transport_entry(a.pk, b.pk, "stcpr");
  wt::signed_entry se;
  se.entry = e;
  for (const auto* kp : {&a, &b})
    (void)se.set_signature(kp->pk, skywire::crypto::sign(e.to_binary(), kp->sk));
  skywire::http::client_request n;
  n.port = tpd_port;
  n.target = "/security/nonces/" + a.pk.hex();
  n.timeout = 2s;
  auto nr = skywire::http::request_sync(n);
  REQUIRE(nr);
  auto nonce = skywire::wire::decode_nonce_response(nr->body);
  REQUIRE(nonce);
  skywire::http::client_request r;
  r.method = skywire::http::verb::post;
  r.port = tpd_port;
  r.target = "/transports/";
  r.body = wt::encode_tpd_post_body({se});
  r.timeout = 2s;
  auto sig = skywire::crypto::sign(skywire::wire::httpauth_payload(r.body, nonce->next_nonce), a.sk);
  r.headers = skywire::wire::httpauth_header_list({a.pk, nonce->next_nonce, sig, std::nullopt});
  auto res = skywire::http::request_sync(r);
  REQUIRE(res);
  REQUIRE_MESSAGE(res->status == 201, res->body);
}

} // namespace

TEST_CASE("skywire svc rf and cli rtfind: help, usage errors") {
  auto r = skywire::test::run({binary, "svc", "rf", "--help"}, 10s);
  CHECK(r.code == 0);
  for (auto* flag : {"--addr", "--tpd", "--refresh", "--paths", "--search-budget", "--sk"})
    CHECK_MESSAGE(r.out.find(flag) != std::string::npos, flag);
  CHECK(skywire::test::run({binary, "svc", "rf", "--addr", "nonsense"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "rf", "--refresh", "soon"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "rf", "--paths", "0"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "rf", "--tpd", "ftp://x"}, 10s).code == 2);
  r = skywire::test::run({binary, "cli", "rtfind", "--help"}, 10s);
  CHECK(r.code == 0);
  for (auto* flag : {"--min-hops", "--max-hops", "--rfaddr", "--timeout", "--json", "--rpc"})
    CHECK_MESSAGE(r.out.find(flag) != std::string::npos, flag);
  auto pk = key("x").pk.hex();
  CHECK(skywire::test::run({binary, "cli", "rtfind"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "cli", "rtfind", pk, pk, pk}, 10s).code == 2);
  // one key: from the running visor, which is not there
  skywire::test::temp_dir tmp;
  r = skywire::test::run({binary, "cli", "rtfind", pk, "--rpc",
                          "unix://" + (tmp.path / "none.sock").string(), "-a",
                          "http://127.0.0.1:1"},
                         10s);
  CHECK(r.code == 1);
  CHECK(r.err.find("visor") != std::string::npos);
  CHECK(skywire::test::run({binary, "cli", "rtfind", pk, "02ab"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "cli", "rtfind", pk, pk, "-n", "5", "-x", "2"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "cli", "rtfind", pk, pk, "-a", "dmsg://x"}, 10s).code == 2);
  // nothing listens there: exit 1 with the reason
  r = skywire::test::run({binary, "cli", "rtfind", pk, pk, "-a", "http://127.0.0.1:1", "-t", "2s"},
                         10s);
  CHECK(r.code == 1);
  CHECK(r.err.find("route finder") != std::string::npos);
}

TEST_CASE("skywire svc rf: reads a svc tpd process, answers cli rtfind, stops on SIGTERM") {
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  process tpd, rf;
  auto tpd_port = start(tpd, {binary, "svc", "tpd", "-a", "127.0.0.1:0", "--entry-timeout", "0"},
                        tmp.path / "tpd.log", "transport discovery listening");
  // a - b - c - d, and a - e - c: two ways from a to d
  auto a = key("rf-a"), b = key("rf-b"), c = key("rf-c"), d = key("rf-d"), e = key("rf-e");
  register_transport(tpd_port, a, b);
  register_transport(tpd_port, b, c);
  register_transport(tpd_port, c, d);
  register_transport(tpd_port, a, e);
  register_transport(tpd_port, e, c);
  auto rf_port = start(rf,
                       {binary, "svc", "rf", "-a", "127.0.0.1:0", "--tpd",
                        "http://127.0.0.1:" + std::to_string(tpd_port), "--refresh", "200ms"},
                       tmp.path / "rf.log", "route finder listening");
  auto rf_url = "http://127.0.0.1:" + std::to_string(rf_port);
  auto rtfind = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{binary, "cli", "rtfind", a.pk.hex(), d.pk.hex(), "-a", rf_url};
    args.insert(args.end(), extra.begin(), extra.end());
    return skywire::test::run(args, 10s);
  };
  // the first graph is read at start; a bounded wait for it (no event to wait on)
  skywire::test::run_result r;
  skywire::test::eventually(
    [&] {
      r = rtfind({});
      return r.code == 0;
    },
    5s, 100ms);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.out.find(a.pk.hex() + ":" + d.pk.hex()) == 0);
  CHECK(r.out.find("  3 hops: " + a.pk.hex()) != std::string::npos);
  CHECK(r.out.find(b.pk.hex()) != std::string::npos);
  CHECK(r.out.find(e.pk.hex()) != std::string::npos);

  r = rtfind({"--json"});
  REQUIRE(r.code == 0);
  wr::find_routes_request asked{{{a.pk, d.pk}}, {1, 1000}};
  auto m = wr::decode_routes_answer(r.out, asked);
  REQUIRE_MESSAGE(m, skywire::describe(m.error()));
  CHECK(m->at({a.pk, d.pk}).size() == 2);

  r = rtfind({"-n", "4"});
  CHECK(r.code == 1);
  CHECK(r.err.find("route not found") != std::string::npos);

  REQUIRE(rf.stop(SIGTERM, 4s));
  CHECK(rf.exit_code() == 0);
  CHECK(skywire::test::read_text(tmp.path / "rf.log").find("route finder stopped")
        != std::string::npos);
  REQUIRE(tpd.stop(SIGTERM, 4s));
  CHECK(tpd.exit_code() == 0);
}
