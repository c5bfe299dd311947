// End to end, dmsghttp mode (skywire-protocol.md §3.2 step 4, §6.4): a local
// deployment on loopback in which every service also serves its HTTP API on
// dmsg port 80 (`dmsg disc --sk`, `svc tpd --sk`, `svc ar --sk`, one dmsg
// server), and two visors whose configs `cli config gen -d` wrote from a
// dmsghttp-config.json naming the local keys: no plain-HTTP service URL in
// them. Both visors register their dmsg entries through the discovery over
// dmsg, an stcp transport between them is registered in the transport
// discovery over dmsghttp (httpauth included) and found with `tp disc`, and
// a stcpr resolve reaches the address resolver over dmsghttp. Every process
// is killed by PID if a check fails.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/json.hpp>

#include "actors/transport/ar_client.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/client.hpp"
#include "tests/e2e/visor/visor_procs.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/build_paths.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;
using skywire::test::process;

namespace {

const std::string binary = SKYWIRE_BINARY;

skywire::test::run_result cli(std::vector<std::string> args) {
  args.insert(args.begin(), binary);
  auto r = skywire::test::run(std::move(args), 30s);
  REQUIRE_FALSE(r.timed_out);
  return r;
}

/// The first capture of `re` in the log once `needle` is there.
using e2e_visor::port_from_log;

/// GET http://127.0.0.1:<port><target> from the test (plain HTTP).
std::optional<skywire::http::response> http_get(uint16_t port, const std::string& target) {
  skywire::http::client_request r;
  r.port = port;
  r.target = target;
  r.timeout = 2s;
  auto res = skywire::http::request_sync(r);
  if (!res)
    return std::nullopt;
  return std::move(*res);
}

struct visor_proc {
  fs::path dir, config, log;
  std::string rpc, pk;
  uint16_t stcp_port = 0;
  process p;
};

struct deployment {
  skywire::test::temp_dir tmp;
  skywire::crypto::keypair disc_key = skywire::crypto::generate_keypair();
  skywire::crypto::keypair server_key = skywire::crypto::generate_keypair();
  skywire::crypto::keypair tpd_key = skywire::crypto::generate_keypair();
  skywire::crypto::keypair ar_key = skywire::crypto::generate_keypair();
  process disc, server, tpd, ar;
  uint16_t disc_port = 0, server_port = 0, tpd_port = 0;
  visor_proc a, b;

  deployment() {
    REQUIRE(!tmp.path.empty());
    // the dmsg discovery, also on dmsg port 80 with its own key
    auto dlog = tmp.path / "disc.log";
    REQUIRE(skywire::test::spawn(disc, {binary, "dmsg", "disc", "-a", "127.0.0.1:0", "-t", "--sk",
                                        disc_key.sk.hex()},
                                 dlog));
    disc_port = port_from_log(dlog, "discovery listening", "addr=127\\.0\\.0\\.1:(\\d+)");
    REQUIRE(skywire::test::wait_for_text(dlog, "over dmsghttp", 10s));
    // one dmsg server
    json::object sc{{"public_key", server_key.pk.hex()},
                    {"secret_key", server_key.sk.hex()},
                    {"discovery", disc_url()},
                    {"public_address", ""},
                    {"local_address", "127.0.0.1:0"},
                    {"health_endpoint_address", "127.0.0.1:0"},
                    {"log_level", "info"},
                    {"update_interval", 0},
                    {"max_sessions", 100}};
    auto scfg = tmp.path / "server.json";
    std::ofstream{scfg} << json::serialize(sc);
    auto slog = tmp.path / "server.log";
    REQUIRE(skywire::test::spawn(server, {binary, "dmsg", "server", "start", "-c", scfg.string()},
                                 slog));
    server_port = port_from_log(slog, "dmsg server listening", " port=(\\d+)");
    // the transport discovery and the address resolver, each also on dmsg
    auto tlog = tmp.path / "tpd.log";
    REQUIRE(skywire::test::spawn(tpd, {binary, "svc", "tpd", "-a", "127.0.0.1:0", "--sk",
                                       tpd_key.sk.hex(), "--dmsg-disc", disc_url()},
                                 tlog));
    tpd_port = port_from_log(tlog, "transport discovery listening",
                             "addr=127\\.0\\.0\\.1:(\\d+)");
    REQUIRE(skywire::test::wait_for_text(tlog, "over dmsghttp", 10s));
    auto alog = tmp.path / "ar.log";
    REQUIRE(skywire::test::spawn(ar, {binary, "svc", "ar", "-a", "127.0.0.1:0", "--udp-addr",
                                      "off", "--sk", ar_key.sk.hex(), "--dmsg-disc", disc_url()},
                                 alog));
    REQUIRE_MESSAGE(skywire::test::wait_for_text(alog, "over dmsghttp", 10s),
                    skywire::test::read_text(alog));
    // every service has a session to the server (its entry names it)
    for (auto* k : {&disc_key, &tpd_key, &ar_key})
      REQUIRE_MESSAGE(has_session(k->pk.hex()), "no dmsg session of " << k->pk.hex() << "\n"
                                                  << skywire::test::read_text(dlog));
    // B first: A's pk_table needs B's listening port
    make_visor(b, "b", {});
    start(b);
    make_visor(a, "a", json::object{{b.pk, "127.0.0.1:" + std::to_string(b.stcp_port)}});
    start(a);
  }

  std::string disc_url() const { return "http://127.0.0.1:" + std::to_string(disc_port); }

  /// Whether pk's client entry in the discovery lists the dmsg server (a
  /// bounded poll: entries are posted a moment after a session is up).
  bool has_session(const std::string& pk) {
    return skywire::test::eventually(
      [&] {
        auto r = http_get(disc_port, "/dmsg-discovery/entry/" + pk);
        return r && r->status == 200 && r->body.find(server_key.pk.hex()) != std::string::npos;
      },
      20s);
  }

  std::string dmsghttp_config() {
    auto url = [](const skywire::public_key& pk) { return "dmsg://" + pk.hex() + ":80"; };
    // route finder, uptime tracker, service discovery: not run here (the
    // visor does not call them yet), but dmsg:// URLs too
    json::object prod{{"dmsg_discovery", url(disc_key.pk)},
                      {"transport_discovery", url(tpd_key.pk)},
                      {"address_resolver", url(ar_key.pk)},
                      {"route_finder", url(skywire::crypto::generate_keypair().pk)},
                      {"uptime_tracker", url(skywire::crypto::generate_keypair().pk)},
                      {"service_discovery", url(skywire::crypto::generate_keypair().pk)},
                      {"dmsg_servers",
                       json::array{json::object{
                         {"static", server_key.pk.hex()},
                         {"server", json::object{{"address", "127.0.0.1:"
                                                               + std::to_string(server_port)}}}}}}};
    auto path = tmp.path / "dmsghttp-config.json";
    std::ofstream{path} << json::serialize(json::object{{"prod", prod}});
    return path.string();
  }

  void make_visor(visor_proc& v, const std::string& name, json::object pk_table) {
    v.dir = tmp.path / name;
    fs::create_directories(v.dir);
    v.config = v.dir / "skywire-config.json";
    v.log = v.dir / "visor.log";
    auto r = cli({"cli", "config", "gen", "-d", "-D", dmsghttp_config(), "--local", "--minsess",
                  "1", "-y", "-o", v.config.string(), "--local-path", (v.dir / "local").string()});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    auto text = skywire::test::read_text(v.config);
    // dmsghttp mode: no plain-HTTP service URL at all
    CHECK_MESSAGE(text.find("http://") == std::string::npos, text);
    auto c = json::parse(text).as_object();
    v.pk = std::string{c["pk"].as_string()};
    CHECK(c["dmsg"].as_object()["discovery"] == ("dmsg://" + disc_key.pk.hex() + ":80").c_str());
    auto& seeded = c["dmsg"].as_object()["servers"].as_array();
    REQUIRE(seeded.size() == 1);
    CHECK(seeded[0].as_object()["static"] == server_key.pk.hex().c_str());
    CHECK(c["transport"].as_object()["discovery"]
          == ("dmsg://" + tpd_key.pk.hex() + ":80").c_str());
    // loopback: stcp on an ephemeral port with its pk_table
    auto& stcp = c["skywire-tcp"].as_object();
    stcp["listening_address"] = "127.0.0.1:0";
    stcp["pk_table"] = pk_table.empty() ? json::value(nullptr) : json::value(pk_table);
    auto tmpfile = v.config;
    tmpfile += ".tmp";
    std::ofstream{tmpfile} << json::serialize(c);
    fs::rename(tmpfile, v.config);
    v.rpc = "unix://" + (v.dir / "local" / "cli.sock").string();
  }

  void start(visor_proc& v) {
    REQUIRE(skywire::test::spawn(v.p, {binary, "visor", "-c", v.config.string()}, v.log));
    v.stcp_port = port_from_log(v.log, "transport listener up",
                                "type=stcp addr=127\\.0\\.0\\.1:(\\d+)");
    REQUIRE(skywire::test::eventually(
      [&] { return cli({"cli", "visor", "pk", "--rpc", v.rpc}).code == 0; }, 10s));
  }

  json::value call_json(const visor_proc& v, std::vector<std::string> args) {
    args.insert(args.begin(), {"cli", "visor"});
    args.push_back("--json");
    args.push_back("--rpc");
    args.push_back(v.rpc);
    auto r = cli(args);
    REQUIRE_MESSAGE(r.code == 0, r.err, "\n", skywire::test::read_text(v.log));
    return json::parse(r.out);
  }
};

} // namespace

TEST_CASE("dmsghttp mode: two visors with only dmsg:// service URLs reach every service over dmsg") {
  deployment d;
  // each visor's dmsg client registered its entry through the discovery's
  // dmsg port (the only discovery URL it has)
  CHECK_MESSAGE(d.has_session(d.a.pk), skywire::test::read_text(d.a.log));
  CHECK_MESSAGE(d.has_session(d.b.pk), skywire::test::read_text(d.b.log));

  // a service served over dmsg too names its dmsg address in /health, as
  // the reference's services do
  auto health = http_get(d.tpd_port, "/health");
  REQUIRE(health);
  CHECK_MESSAGE(health->body.find("\"dmsg_address\":\"" + d.tpd_key.pk.hex() + ":80\"")
                  != std::string::npos,
                health->body);

  // an stcp transport A -> B, registered in the transport discovery over dmsghttp
  auto s = d.call_json(d.a, {"tp", "add", d.b.pk, "-t", "stcp"}).as_object();
  CHECK(s["state"] == "up");
  CHECK(s["type"] == "stcp");
  std::string id{s["id"].as_string()};
  CHECK_MESSAGE(skywire::test::eventually(
                  [&] {
                    auto r = http_get(d.tpd_port, "/all-transports");
                    return r && r->body.find(id) != std::string::npos;
                  },
                  10s),
                skywire::test::read_text(d.a.log));
  // found with `tp disc` (signed requests: httpauth over dmsghttp), both sides
  auto disc = d.call_json(d.a, {"tp", "disc", "-p", d.a.pk});
  REQUIRE(disc.is_array());
  REQUIRE(disc.as_array().size() == 1);
  CHECK(disc.as_array()[0].as_object()["t_id"] == id.c_str());
  auto by_id = d.call_json(d.b, {"tp", "disc", "-i", id});
  CHECK(by_id.as_object()["type"] == "stcp");

  // the address resolver answers over dmsghttp too. Whether B could bind
  // for stcpr depends on this host: the resolver takes a bind only from a
  // public IP listed in it, and over dmsghttp it learns the caller's IP from
  // SW-PublicIP, which the visor fills with a public interface address.
  // With one, B is bound and A dials it; without, only the resolver can say
  // that B is not bound.
  bool host_public = false;
  if (auto addrs = skywire::transport::local_interface_addresses())
    for (const auto& ip : *addrs)
      host_public |= skywire::transport::is_public_ip(ip);
  auto r = cli({"cli", "visor", "tp", "add", d.b.pk, "-t", "stcpr", "--rpc", d.a.rpc});
  if (host_public) {
    CHECK_MESSAGE(r.code == 0, r.err, "\n", skywire::test::read_text(d.b.log));
  } else {
    CHECK(r.code != 0);
    CHECK_MESSAGE(r.err.find("is not bound for stcpr at the address resolver")
                    != std::string::npos,
                  r.err, "\n", skywire::test::read_text(d.a.log));
  }

  // tp rm: closed on both sides and deregistered over dmsghttp
  auto rm = cli({"cli", "visor", "tp", "rm", "-i", id, "--rpc", d.a.rpc});
  CHECK_MESSAGE(rm.code == 0, rm.err);
  CHECK(skywire::test::eventually(
    [&] {
      auto all = http_get(d.tpd_port, "/all-transports");
      return all && all->body.find(id) == std::string::npos;
    },
    10s));
}
