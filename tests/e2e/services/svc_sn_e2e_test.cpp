// `skywire svc sn` as a process: its help and configuration errors, then a
// run on a dmsg network on 127.0.0.1 (discovery and server in the test) that
// sets up a 2-hop route between three in-test visors (fake gateways on port
// 136, the visor's setup client on the source) and stops on SIGTERM. The
// process is stopped (and on failure killed) by PID.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>

#include "actors/routing/setup_client.hpp"
#include "tests/actors/services/setup_node/fake_gateway.hpp"
#include "tests/support/dmsg_net.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/build_paths.hpp"

using namespace std::chrono_literals;
using skywire::test::process;
namespace dn = skywire::test::dmsg_net;
namespace rs = skywire::wire::rpc::route_setup;
namespace rt = skywire::routing;
using skywire::test::setup_node::fake_gateway;
using skywire::test::setup_node::gateway_log;

namespace {

const std::string binary = SKYWIRE_BINARY;

std::string config_json(const std::string& seed, const std::string& discovery) {
  auto k = dn::kp(seed);
  return R"({"public_key":")" + k.pk.hex() + R"(","secret_key":")" + k.sk.hex()
         + R"(","dmsg":{"discovery":")" + discovery
         + R"(","sessions_count":1,"servers":[]},"transport_discovery":"http://127.0.0.1:9","log_level":"info"})";
}

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

} // namespace

TEST_CASE("skywire svc sn: help and configuration errors") {
  auto r = skywire::test::run({binary, "svc", "sn", "--help"}, 10s);
  CHECK(r.code == 0);
  CHECK(r.out.find("--hop-timeout") != std::string::npos);
  CHECK(skywire::test::run({binary, "svc", "sn"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "sn", "/nonexistent/sn.json"}, 10s).code == 2);
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  auto bad = tmp.path / "bad.json";
  write(bad, "{not json");
  CHECK(skywire::test::run({binary, "svc", "sn", bad.string()}, 10s).code == 2);
  // a secret key that is not the public key's
  auto other = config_json("sn-a", "http://127.0.0.1:9");
  auto pk_b = dn::kp("sn-b").pk.hex();
  other.replace(other.find(dn::kp("sn-a").pk.hex()), pk_b.size(), pk_b);
  write(bad, other);
  auto mismatch = skywire::test::run({binary, "svc", "sn", bad.string()}, 10s);
  CHECK(mismatch.code == 2);
  CHECK(mismatch.err.find("does not belong") != std::string::npos);
  auto good = tmp.path / "good.json";
  write(good, config_json("sn-a", "http://127.0.0.1:9"));
  CHECK(skywire::test::run({binary, "svc", "sn", good.string(), "--hop-timeout", "soon"}, 10s).code == 2);
}

TEST_CASE("skywire svc sn: sets up a 2-hop route over dmsg, stops on SIGTERM") {
  dn::net net;
  net.server("sn-e2e-srv");
  net.wait_server_registered(1);
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  auto cfg = tmp.path / "sn.json";
  write(cfg, config_json("sn-e2e", net.url()));
  auto log = tmp.path / "sn.log";
  process p;
  REQUIRE(skywire::test::spawn(p, {binary, "svc", "sn", cfg.string()}, log));
  REQUIRE_MESSAGE(skywire::test::wait_for_text(log, "setup node running", 15s),
                  skywire::test::read_text(log));

  std::vector<std::shared_ptr<gateway_log>> logs;
  std::vector<skywire::public_key> pks;
  std::vector<skywire::api::dmsg_client_actor> clients;
  for (std::string seed : {"sn-e2e-a", "sn-e2e-b", "sn-e2e-c"}) {
    auto client = net.client(net.client_cfg(seed));
    auto l = std::make_shared<gateway_log>();
    auto gw = net.sys.spawn<fake_gateway>(l, skywire::test::setup_node::gateway_options{});
    net.actors.push_back(gw);
    dn::listen(net.sys, client, 136, gw);
    logs.push_back(l);
    pks.push_back(dn::kp(seed).pk);
    clients.push_back(client);
  }
  rt::setup_client_config cc;
  cc.setup_nodes = {dn::kp("sn-e2e").pk};
  auto setup = rt::spawn_setup_client(net.sys, clients[0], cc);
  net.actors.push_back(setup);

  rs::bidirectional_route route;
  route.desc = {pks[0], pks[2], skywire::port{49200}, skywire::port{44}};
  route.keep_alive_ns = 30'000'000'000;
  auto tp = [](uint8_t n) {
    skywire::transport_id t;
    t.bytes[0] = n;
    return t;
  };
  route.forward = {{tp(1), pks[0], pks[1]}, {tp(2), pks[1], pks[2]}};
  route.reverse = {{tp(2), pks[2], pks[1]}, {tp(1), pks[1], pks[0]}};
  caf::scoped_actor self{net.sys};
  bool ok = false;
  self->request(setup, 60s, rt::setup_route_atom::value, route)
    .receive(
      [&](rs::edge_rules& e) {
        ok = true;
        CHECK(e.desc == route.desc.inverted());
        CHECK(e.forward.next_transport == tp(1));
      },
      [&](caf::error& err) { FAIL(skywire::describe(err) << "\n" << skywire::test::read_text(log)); });
  REQUIRE(ok);
  CHECK(logs[1]->count(std::string{rs::add_intermediary_rules_method}) == 1);
  CHECK(logs[2]->wait([](gateway_log& l) { return l.edge.has_value(); }));

  REQUIRE(p.stop(SIGTERM, 10s));
  CHECK(p.exit_code() == 0);
  CHECK(skywire::test::read_text(log).find("setup node stopped") != std::string::npos);
}
