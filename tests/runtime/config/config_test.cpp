// runtime/config: the option registry, loading and validation, config gen,
// Go durations and cli_addr endpoints.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "runtime/config/duration.hpp"
#include "runtime/config/endpoint.hpp"
#include "runtime/config/errors.hpp"
#include "runtime/config/registry.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/support/build_paths.hpp"

using namespace skywire;
using namespace skywire::config;
using namespace std::chrono_literals;

namespace {

std::string read(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string vectors = std::string{SKYWIRE_VECTORS_DIR} + "/skywire/configs/";

// A valid minimal file: only sk (everything else defaults).
std::string minimal_with(const std::string& extra_key = {}, const std::string& extra_val = {}) {
  auto kp = crypto::deterministic_keypair(byte_span{reinterpret_cast<const uint8_t*>("alice"), 5});
  std::string s = "{\"sk\":\"" + kp.sk.hex() + "\"";
  if (!extra_key.empty())
    s += ",\"" + extra_key + "\":" + extra_val;
  return s + "}";
}

// Expects load_json(text) to fail with a message starting with `prefix`.
void expect_error(const std::string& text, const std::string& expected_message) {
  auto r = load_json(text);
  REQUIRE_FALSE(r);
  CHECK(message(r.error()) == expected_message);
}

boost::json::object nested(std::string_view path, boost::json::value leaf) {
  // builds {"a":{"b":leaf}} for "a.b" merged into a minimal file
  auto root = boost::json::parse(minimal_with()).as_object();
  boost::json::object* cur = &root;
  while (true) {
    auto dot = path.find('.');
    if (dot == std::string_view::npos) {
      (*cur)[path] = std::move(leaf);
      break;
    }
    auto& next = (*cur)[path.substr(0, dot)];
    if (!next.is_object())
      next = boost::json::object{};
    cur = &next.as_object();
    path.remove_prefix(dot + 1);
  }
  return root;
}

} // namespace

TEST_CASE("Go durations parse and format like time.Duration") {
  CHECK(parse_go_duration("10s") == nanoseconds{10s});
  CHECK(parse_go_duration("168h0m0s") == nanoseconds{168h});
  CHECK(parse_go_duration("1.5h") == nanoseconds{90min});
  CHECK(parse_go_duration("300ms") == nanoseconds{300ms});
  CHECK(parse_go_duration("2h45m30.5s") == nanoseconds{2h + 45min + 30500ms});
  CHECK(parse_go_duration("1us") == nanoseconds{1000});
  CHECK(parse_go_duration("1\xc2\xb5s") == nanoseconds{1000});
  CHECK(parse_go_duration("0") == nanoseconds{0});
  CHECK(parse_go_duration("-5s") == nanoseconds{-5s});
  for (auto bad : {"", "10", "s", "10x", "1.s.", "--1s", "99999999999999999999h", "10 s", "."})
    CHECK_MESSAGE(!parse_go_duration(bad), bad);
  CHECK(format_go_duration(0s) == "0s");
  CHECK(format_go_duration(10s) == "10s");
  CHECK(format_go_duration(168h) == "168h0m0s");
  CHECK(format_go_duration(1min) == "1m0s");
  CHECK(format_go_duration(1500ms) == "1.5s");
  CHECK(format_go_duration(300ms) == "300ms");
  CHECK(format_go_duration(nanoseconds{1500}) == "1.5\xc2\xb5s");
  CHECK(format_go_duration(nanoseconds{12}) == "12ns");
  CHECK(format_go_duration(-90s) == "-1m30s");
  for (auto d : {0ns, nanoseconds{1}, nanoseconds{999999}, nanoseconds{1234567890123}})
    CHECK(parse_go_duration(format_go_duration(d)) == d);
}

TEST_CASE("cli_addr endpoints: unix paths and loopback TCP only") {
  auto a = parse_local_endpoint("unix:///run/sw/cli.sock");
  REQUIRE(a);
  CHECK(a->is_unix());
  CHECK(a->path == "/run/sw/cli.sock");
  auto b = parse_local_endpoint("./local/cli.sock");
  REQUIRE(b);
  CHECK(b->is_unix());
  auto c = parse_local_endpoint("localhost:3435");
  REQUIRE(c);
  CHECK_FALSE(c->is_unix());
  CHECK(c->host == "127.0.0.1");
  CHECK(c->port == 3435);
  auto d = parse_local_endpoint("[::1]:9");
  REQUIRE(d);
  CHECK(d->host == "::1");
  CHECK(d->to_string() == "[::1]:9");
  CHECK_FALSE(parse_local_endpoint("0.0.0.0:3435"));
  CHECK_FALSE(parse_local_endpoint("example.com:80"));
  CHECK_FALSE(parse_local_endpoint("localhost:0"));
  CHECK_FALSE(parse_local_endpoint("localhost:99999"));
  CHECK_FALSE(parse_local_endpoint("nocolon"));
  CHECK_FALSE(parse_local_endpoint("unix://"));
  CHECK_FALSE(parse_local_endpoint("/" + std::string(200, 'a')));
}

TEST_CASE("the reference's generated config loads unchanged") {
  auto text = read(vectors + "config-gen.json");
  REQUIRE(text.size() > 100);
  auto cfg = load_json(text, "config-gen.json");
  REQUIRE_MESSAGE(cfg, message(cfg.error()));
  CHECK(cfg->pk.hex() == "023b366c597a806126e62a5312504d459bfcf302930252bde7158913c21846df40");
  CHECK(cfg->version == "unknown");
  CHECK(cfg->dmsg.discovery == "http://dmsgd.skywire.skycoin.com");
  CHECK(cfg->dmsg.sessions_count == 2);
  CHECK(cfg->dmsg.servers_type == "all");
  CHECK(cfg->dmsgpty.dmsg_port == port{22});
  REQUIRE(cfg->stcp);
  CHECK_FALSE(cfg->stcp->pk_table);
  CHECK(cfg->stcp->listening_address == ":7777");
  CHECK(cfg->transport.transport_setup.size() == 10);
  CHECK(cfg->transport.log_store.rotation_interval == 168h);
  CHECK(cfg->routing.route_setup_nodes.size() == 3);
  CHECK(cfg->routing.route_finder_timeout == 10s);
  REQUIRE(cfg->uptime_tracker);
  CHECK(cfg->uptime_tracker->addr == "http://ut.skywire.skycoin.com");
  REQUIRE(cfg->launcher.apps.size() == 5);
  CHECK(cfg->launcher.apps[1].name == "skychat");
  CHECK(cfg->launcher.apps[1].auto_start);
  CHECK(cfg->launcher.apps[1].port == port{1});
  CHECK(cfg->launcher.apps[0].args == std::vector<std::string>{"app", "vpn-client", "--dns", "1.1.1.1"});
  CHECK(cfg->survey_whitelist.size() == 7);
  CHECK(cfg->cli_addr == "localhost:3435");
  CHECK(cfg->log_level.empty());
  CHECK(cfg->stun_servers.size() == 8);
  CHECK(cfg->shutdown_timeout == 10s);
  CHECK_FALSE(cfg->persistent_transports);
  CHECK_FALSE(cfg->hypervisor);
  CHECK(cfg->unknown_keys.empty());
}

TEST_CASE("the reference's hypervisor config loads unchanged") {
  auto cfg = load_json(read(vectors + "config-gen-hypervisor.json"));
  REQUIRE_MESSAGE(cfg, message(cfg.error()));
  REQUIRE(cfg->hypervisor);
  CHECK(cfg->hypervisor->db_path == "/tmp/swrun/users.db");
  CHECK(cfg->hypervisor->cookies.hash_key.size() == 64);
  CHECK(cfg->hypervisor->cookies.block_key.size() == 32);
  CHECK(cfg->hypervisor->cookies.expires_duration == 12h);
  CHECK(cfg->hypervisor->dmsg_port == port{46});
  CHECK(cfg->hypervisor->http_addr == ":8000");
}

TEST_CASE("absent keys take the reference defaults, unknown keys are kept aside") {
  auto cfg = load_json(minimal_with("future_feature", "{\"x\":1}"));
  REQUIRE_MESSAGE(cfg, message(cfg.error()));
  CHECK(cfg->dmsg.discovery == "http://dmsgd.skywire.skycoin.com");
  CHECK(cfg->dmsg.sessions_count == 2);
  CHECK(cfg->cli_addr == "localhost:3435");
  CHECK(cfg->shutdown_timeout == 10s);
  CHECK(cfg->launcher.apps.size() == 5);
  CHECK_FALSE(cfg->stcp); // optional blocks absent = off
  CHECK_FALSE(cfg->hypervisor);
  auto kp = crypto::deterministic_keypair(byte_span{reinterpret_cast<const uint8_t*>("alice"), 5});
  CHECK(cfg->pk == kp.pk); // derived
  REQUIRE(cfg->unknown_keys.size() == 1);
  CHECK(cfg->unknown_keys[0] == "future_feature");
}

TEST_CASE("every class of bad value is refused with the key path named") {
  using boost::json::serialize;
  using V = boost::json::value;
  expect_error(serialize(nested("dmsg.sessions_count", V(-1))),
               "dmsg.sessions_count: expected a non-negative integer");
  expect_error(serialize(nested("dmsg.sessions_count", V("2"))),
               "dmsg.sessions_count: expected a non-negative integer");
  expect_error(serialize(nested("dmsg.sessions_count", V(2.5))),
               "dmsg.sessions_count: expected a non-negative integer");
  expect_error(serialize(nested("transport.stcpr_port", V(70000))),
               "transport.stcpr_port: expected an integer in 0..65535");
  expect_error(serialize(nested("dmsg.discovery", V("ftp://x"))),
               "dmsg.discovery: expected a URL starting with http://, https:// or dmsg://");
  expect_error(serialize(nested("dmsg.servers_type", V("some"))),
               "dmsg.servers_type: expected one of: all, official, community");
  expect_error(serialize(nested("transport.public_autoconnect", V("yes"))),
               "transport.public_autoconnect: expected true or false");
  expect_error(serialize(nested("routing.route_finder_timeout", V("10 seconds"))),
               "routing.route_finder_timeout: expected a duration such as \"10s\" or \"168h0m0s\"");
  expect_error(serialize(nested("shutdown_timeout", V("-1s"))),
               "shutdown_timeout: expected a non-negative duration");
  expect_error(serialize(nested("hypervisors", boost::json::array{V("02ab")})),
               "hypervisors[0]: expected a public key (66 hex digits, a compressed secp256k1 point)");
  expect_error(serialize(nested("hypervisors", V("02ab"))),
               "hypervisors: expected an array of public keys");
  // 66 hex digits but not on the curve
  expect_error(serialize(nested("survey_whitelist", boost::json::array{V("02" + std::string(64, 'f'))})),
               "survey_whitelist[0]: not a valid secp256k1 public key (the point is not on the curve)");
  expect_error(serialize(nested("stun_servers", boost::json::array{V("1.2.3.4")})),
               "stun_servers[0]: expected host:port");
  expect_error(serialize(nested("cli_addr", V("0.0.0.0:3435"))),
               "cli_addr: only loopback hosts (localhost, 127.0.0.1, ::1) or unix sockets are allowed");
  expect_error(serialize(nested("log_level", V("loud"))),
               "log_level: expected one of: \"\", trace, debug, info, warn, warning, error, fatal, panic");
  expect_error(serialize(nested("dmsg", V(3))), "dmsg: expected an object");
  auto apps = boost::json::parse(R"([{"name":"a","port":1},{"name":"b","port":-3}])");
  expect_error(serialize(nested("launcher.apps", apps)),
               "launcher.apps[1].port: expected an integer in 0..65535");
  auto dup = boost::json::parse(R"([{"name":"a"},{"name":"a"}])");
  expect_error(serialize(nested("launcher.apps", dup)),
               "launcher.apps[1].name: duplicate app name \"a\"");
  auto pt = boost::json::parse(R"([{"pk":"023b366c597a806126e62a5312504d459bfcf302930252bde7158913c21846df40","type":"udp"}])");
  expect_error(serialize(nested("persistent_transports", pt)),
               "persistent_transports[0].type: expected one of: dmsg, stcp, stcpr, sudph");
  expect_error(serialize(nested("hypervisor.cookies.block_key", V("abcd"))),
               "hypervisor.cookies.block_key: expected 64 hex digits (32 bytes)");
  expect_error(serialize(nested("hypervisor.cookies.expires_duration", V(-5))),
               "hypervisor.cookies.expires_duration: expected a duration in nanoseconds (a non-negative integer)");
}

TEST_CASE("keys: sk required and valid, pk must match sk") {
  expect_error("{}", "sk: required (generate a config with `skywire cli config gen`)");
  expect_error("{\"sk\":\"zz\"}", "sk: expected a secret key (64 hex digits)");
  expect_error("{\"sk\":\"" + std::string(64, '0') + "\"}", "sk: not a valid secp256k1 secret key");
  auto bob = crypto::deterministic_keypair(byte_span{reinterpret_cast<const uint8_t*>("bob"), 3});
  auto alice = crypto::deterministic_keypair(byte_span{reinterpret_cast<const uint8_t*>("alice"), 5});
  auto r = load_json(minimal_with("pk", "\"" + bob.pk.hex() + "\""));
  REQUIRE_FALSE(r);
  CHECK(message(r.error()) == "pk: does not match sk (the public key of sk is " + alice.pk.hex() + ")");
  CHECK(r.error().code() == static_cast<uint8_t>(config_errc::key_mismatch));
}

TEST_CASE("syntax, shape and size limits") {
  auto r = load_json("{\"sk\":");
  REQUIRE_FALSE(r);
  CHECK(message(r.error()).rfind("invalid JSON near byte", 0) == 0);
  expect_error("[1,2]", "the config must be a JSON object");
  std::string huge = "{\"x\":\"" + std::string(max_config_bytes, 'a') + "\"}";
  auto big = load_json(huge);
  REQUIRE_FALSE(big);
  CHECK(big.error().code() == static_cast<uint8_t>(config_errc::too_large));
  auto missing = load_file("/nonexistent/skywire-config.json");
  REQUIRE_FALSE(missing);
  CHECK(message(missing.error()) == "/nonexistent/skywire-config.json: cannot open the config file");
}

TEST_CASE("config gen: the reference's key order and defaults, and gen -> load round trip") {
  auto ref = boost::json::parse(read(vectors + "config-gen.json")).as_object();
  gen_options opts = reference_defaults();
  opts.sk = *secret_key::from_hex(ref["sk"].as_string());
  auto gen = generate(opts);
  REQUIRE(gen);
  // same keys in the same order, at every level
  std::function<void(const boost::json::object&, const boost::json::object&, std::string)> same_shape;
  same_shape = [&](const boost::json::object& a, const boost::json::object& b, std::string at) {
    std::vector<std::string> ka, kb;
    for (auto& kv : a) ka.emplace_back(kv.key());
    for (auto& kv : b) kb.emplace_back(kv.key());
    CHECK_MESSAGE(ka == kb, at);
    for (auto& kv : a)
      if (kv.value().is_object() && b.contains(kv.key()) && b.at(kv.key()).is_object())
        same_shape(kv.value().as_object(), b.at(kv.key()).as_object(), at + "." + std::string{kv.key()});
  };
  same_shape(*gen, ref, "");
  // with the reference profile the values equal the reference's file
  CHECK(boost::json::value(*gen) == boost::json::value(ref));
  // our own profile: unix cli socket under local_path, log_level info
  gen_options ours;
  ours.sk = crypto::generate_keypair().sk;
  ours.hypervisor = true;
  ours.local_path = "/tmp/x/local";
  auto mine = generate(ours);
  REQUIRE(mine);
  CHECK((*mine)["cli_addr"] == "unix:///tmp/x/local/cli.sock");
  CHECK((*mine)["log_level"] == "info");
  CHECK((*mine)["transport"].as_object()["log_store"].as_object()["location"] == "/tmp/x/local/transport_logs");
  CHECK(mine->contains("hypervisor"));
  auto text = to_pretty_json(*mine);
  auto back = load_json(text);
  REQUIRE_MESSAGE(back, message(back.error()));
  CHECK(back->sk == *ours.sk);
  REQUIRE(back->hypervisor);
  CHECK(back->hypervisor->cookies.hash_key.size() == 64);
}

TEST_CASE("pretty printer matches Go's MarshalIndent layout") {
  auto text = read(vectors + "config-gen.json");
  auto v = boost::json::parse(text);
  auto out = to_pretty_json(v);
  // the reference file has no trailing newline in some writers; compare trimmed
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  CHECK(out == text);
}

TEST_CASE("--local points every service at loopback and drops production key lists") {
  gen_options o;
  o.sk = crypto::generate_keypair().sk;
  o.local = local_services{};
  REQUIRE_FALSE(parse_local_ports("dmsgd=19090,sd=19098", *o.local));
  CHECK(parse_local_ports("xyz=1", *o.local));
  CHECK(parse_local_ports("dmsgd=0", *o.local));
  auto g = generate(o);
  REQUIRE(g);
  auto cfg = load_json(to_pretty_json(*g));
  REQUIRE_MESSAGE(cfg, message(cfg.error()));
  CHECK(cfg->dmsg.discovery == "http://127.0.0.1:19090");
  CHECK(cfg->transport.discovery == "http://127.0.0.1:9091");
  CHECK(cfg->launcher.service_discovery == "http://127.0.0.1:19098");
  CHECK(cfg->stun_servers.empty());
  CHECK(cfg->transport.transport_setup.empty());
  CHECK(cfg->routing.route_setup_nodes.empty());
  REQUIRE(cfg->stcp);
  CHECK(cfg->stcp->listening_address == ":7777"); // the reference's default
  // several visors on one host: each lets the kernel pick its stcp port
  o.stcp_address = "127.0.0.1:0";
  auto g2 = generate(o);
  REQUIRE(g2);
  auto cfg2 = load_json(to_pretty_json(*g2));
  REQUIRE_MESSAGE(cfg2, message(cfg2.error()));
  REQUIRE(cfg2->stcp);
  CHECK(cfg2->stcp->listening_address == "127.0.0.1:0");
  CHECK(is_host_port(":7777"));
  CHECK(is_host_port("127.0.0.1:0"));
  CHECK_FALSE(is_host_port("127.0.0.1"));
  CHECK_FALSE(is_host_port("127.0.0.1:65536"));
  CHECK_FALSE(is_host_port("a b:1"));
}

TEST_CASE("the docs table lists every key") {
  auto md = options_markdown();
  for (const auto& opt : registry())
    CHECK_MESSAGE(md.find("`" + std::string{opt.path} + "`") != std::string::npos, opt.path);
}

TEST_CASE("--go-compatible: the reference's config version and a TCP cli_addr") {
  gen_options o;
  o.sk = crypto::generate_keypair().sk;
  o.local_path = "/tmp/x/local";
  REQUIRE_FALSE(make_go_compatible(o));
  auto g = generate(o);
  REQUIRE(g);
  // the Go visor refuses another major version than its own (v1)
  CHECK((*g)["version"] == "v1.3.20");
  CHECK(std::string{reference_config_version}.rfind("v1.", 0) == 0);
  // and opens cli_addr as TCP only; the reference default
  CHECK((*g)["cli_addr"] == "localhost:3435");
  // same keys in the same order as the reference's file
  auto ref = boost::json::parse(read(vectors + "config-gen.json")).as_object();
  std::vector<std::string> ka, kb;
  for (auto& kv : *g) ka.emplace_back(kv.key());
  for (auto& kv : ref) kb.emplace_back(kv.key());
  CHECK(ka == kb);
  // ours loads it back
  auto back = load_json(to_pretty_json(*g));
  REQUIRE_MESSAGE(back, message(back.error()));
  CHECK(back->cli_addr == "localhost:3435");
  CHECK(back->version == "v1.3.20");

  // another loopback host:port is kept; a unix socket is refused
  gen_options tcp;
  tcp.cli_addr = "127.0.0.1:4000";
  REQUIRE_FALSE(make_go_compatible(tcp));
  CHECK(tcp.cli_addr == "127.0.0.1:4000");
  gen_options unix_sock;
  unix_sock.cli_addr = "unix:///tmp/cli.sock";
  auto err = make_go_compatible(unix_sock);
  REQUIRE(err);
  CHECK(message(err).find("TCP only") != std::string::npos);
}

TEST_CASE("skywire-tcp.pk_table and persistent_transports load") {
  auto bob = crypto::deterministic_keypair(byte_span{reinterpret_cast<const uint8_t*>("bob"), 3});
  boost::json::object table;
  table[bob.pk.hex()] = "127.0.0.1:7777";
  auto root = nested("skywire-tcp.pk_table", table);
  root["persistent_transports"] =
    boost::json::parse("[{\"pk\":\"" + bob.pk.hex() + "\",\"type\":\"stcp\"}]");
  auto cfg = load_json(boost::json::serialize(root));
  REQUIRE_MESSAGE(cfg, message(cfg.error()));
  REQUIRE(cfg->stcp);
  REQUIRE(cfg->stcp->pk_table);
  REQUIRE(cfg->stcp->pk_table->size() == 1);
  CHECK(cfg->stcp->pk_table->at(bob.pk) == "127.0.0.1:7777");
  REQUIRE(cfg->persistent_transports);
  REQUIRE(cfg->persistent_transports->size() == 1);
  CHECK((*cfg->persistent_transports)[0].pk == bob.pk);
  CHECK((*cfg->persistent_transports)[0].type == "stcp");
  boost::json::object bad;
  bad["02ab"] = "127.0.0.1:7777";
  expect_error(boost::json::serialize(nested("skywire-tcp.pk_table", bad)),
               "skywire-tcp.pk_table[\"02ab\"]: expected a public key (66 hex digits, a "
               "compressed secp256k1 point)");
}

TEST_CASE("config gen -d: dmsg:// services and pre-seeded servers from a dmsghttp config") {
  auto d = crypto::generate_keypair().pk.hex();
  auto t = crypto::generate_keypair().pk.hex();
  auto s = crypto::generate_keypair().pk.hex();
  std::string file = R"({"test":{"dmsg_discovery":"dmsg://)" + t + R"(:80",
    "dmsg_servers":[{"static":")" + s + R"(","server":{"address":"10.0.0.1:8081"}}]},
    "prod":{"dmsg_discovery":"dmsg://)" + d + R"(:80","transport_discovery":"dmsg://)" + t
                     + R"(:80","dmsg_servers":[{"static":")" + s
                     + R"(","server":{"address":"127.0.0.1:8081"}}]}})";
  auto prod = parse_dmsghttp_config(file, false);
  REQUIRE_MESSAGE(prod, message(prod.error()));
  CHECK(prod->dmsg_discovery == "dmsg://" + d + ":80");
  CHECK(prod->address_resolver.empty());
  REQUIRE(prod->servers.size() == 1);
  // Go's encoding of disc.Entry, as the Go `config gen -d` writes it
  CHECK(boost::json::serialize(prod->servers[0])
        == R"({"version":"","sequence":0,"timestamp":0,"static":")" + s
             + R"(","server":{"address":"127.0.0.1:8081","availableSessions":0}})");
  auto test = parse_dmsghttp_config(file, true);
  REQUIRE(test);
  CHECK(test->dmsg_discovery == "dmsg://" + t + ":80");

  gen_options o;
  o.sk = crypto::generate_keypair().sk;
  o.dmsghttp = *prod;
  auto g = generate(o);
  REQUIRE(g);
  auto cfg = load_json(to_pretty_json(*g));
  REQUIRE_MESSAGE(cfg, message(cfg.error()));
  CHECK(cfg->dmsg.discovery == "dmsg://" + d + ":80");
  CHECK(cfg->transport.discovery == "dmsg://" + t + ":80");
  CHECK(cfg->transport.address_resolver == "http://ar.skywire.skycoin.com"); // not in the file
  CHECK(cfg->dmsg.servers.size() == 1);

  // refused in words: no section, no discovery, an http URL, a bad key, no servers
  CHECK(message(parse_dmsghttp_config(R"({"prod":{}})", true).error()).find("\"test\"")
        != std::string::npos);
  CHECK(message(parse_dmsghttp_config(R"({"prod":{"dmsg_servers":[]}})", false).error())
          .find("dmsg_discovery is required")
        != std::string::npos);
  CHECK(message(parse_dmsghttp_config(R"({"prod":{"dmsg_discovery":"http://x:80"}})", false)
                  .error())
          .find("expected a dmsg:// URL")
        != std::string::npos);
  CHECK(message(parse_dmsghttp_config(R"({"prod":{"dmsg_discovery":"dmsg://02ab:80"}})", false)
                  .error())
          .find("public key")
        != std::string::npos);
  CHECK(message(parse_dmsghttp_config(R"({"prod":{"dmsg_discovery":"dmsg://)" + d
                                        + R"(:80","dmsg_servers":[{"static":")" + s
                                        + R"(","server":{}}]}})",
                                      false)
                  .error())
          .find("server.address")
        != std::string::npos);
  CHECK_FALSE(parse_dmsghttp_config("not json", false));
}
