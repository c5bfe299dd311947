#include "runtime/config/registry.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include "messages/wire/json/go_json.hpp"
#include "runtime/config/duration.hpp"
#include "runtime/config/endpoint.hpp"
#include "runtime/config/errors.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::config {

namespace json = boost::json;

const char* to_string(value_kind x) noexcept {
  switch (x) {
    case value_kind::block: return "object";
    case value_kind::string: return "string";
    case value_kind::url: return "URL";
    case value_kind::host_port: return "host:port";
    case value_kind::boolean: return "bool";
    case value_kind::uint: return "integer";
    case value_kind::duration: return "duration";
    case value_kind::nanoseconds: return "duration (ns)";
    case value_kind::public_key: return "public key";
    case value_kind::secret_key: return "secret key";
    case value_kind::public_keys: return "[public key]";
    case value_kind::strings: return "[string]";
    case value_kind::host_ports: return "[host:port]";
    case value_kind::hex_bytes: return "hex bytes";
    case value_kind::choice: return "enum";
    case value_kind::local_endpoint: return "socket address";
    case value_kind::apps: return "[app]";
    case value_kind::dmsg_servers: return "[dmsg entry]";
    case value_kind::pk_table: return "{pk: ip:port}";
    case value_kind::persistent_transports: return "[{pk,type}]";
  }
  return "?";
}

// ---- reading validated JSON values -------------------------------------------

namespace {

constexpr size_t max_list_items = 4096;

std::optional<uint64_t> as_uint(const json::value& v) {
  if (v.is_uint64())
    return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0)
    return static_cast<uint64_t>(v.get_int64());
  return std::nullopt;
}

std::string str(const json::value& v) {
  return v.is_string() ? std::string{v.get_string()} : std::string{};
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

std::optional<nanoseconds> as_duration(const json::value& v) {
  if (v.is_string())
    return parse_go_duration(v.get_string());
  if (auto u = as_uint(v); u && *u <= static_cast<uint64_t>(INT64_MAX))
    return nanoseconds{static_cast<int64_t>(*u)};
  return std::nullopt;
}

nanoseconds dur(const json::value& v) {
  return as_duration(v).value_or(nanoseconds{0});
}

uint64_t u64(const json::value& v) {
  return as_uint(v).value_or(0);
}

public_key pk_of(const json::value& v) {
  auto r = public_key::from_hex(str(v));
  return r ? *r : public_key{};
}

std::vector<public_key> pks_of(const json::value& v) {
  std::vector<public_key> out;
  if (v.is_array())
    for (const auto& x : v.get_array())
      out.push_back(pk_of(x));
  return out;
}

std::vector<std::string> strs_of(const json::value& v) {
  std::vector<std::string> out;
  if (v.is_array())
    for (const auto& x : v.get_array())
      out.push_back(str(x));
  return out;
}

std::vector<uint8_t> bytes_of(const json::value& v) {
  auto s = str(v);
  std::vector<uint8_t> out(s.size() / 2);
  if (from_hex(s, out))
    out.clear();
  return out;
}

json::array pk_array(const std::vector<public_key>& pks) {
  json::array a;
  for (const auto& pk : pks)
    a.emplace_back(pk.hex());
  return a;
}


std::string random_hex(size_t n) {
  std::vector<uint8_t> buf(n);
  crypto::random_bytes(buf);
  auto s = to_hex(buf);
  secure_wipe(buf.data(), buf.size());
  return s;
}

std::string service_url(const gen_options& o, uint16_t local_services::*port,
                        std::string dmsghttp_services::*dmsg_url, std::string_view production) {
  if (o.dmsghttp && !((*o.dmsghttp).*dmsg_url).empty())
    return (*o.dmsghttp).*dmsg_url;
  if (!o.local)
    return std::string{production};
  std::string host = o.local->host;
  if (host.find(':') != std::string::npos)
    host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string((*o.local).*port);
}

// Reference production values (reference §1.3 and the generated vector file).
const std::vector<std::string_view> k_transport_setup = {
  "03530b786c670fc7f5ab9021478c7ec9cd06a03f3ea1416c50c4a8889ef5bba80e",
  "03271c0de223b80400d9bd4b7722b536a245eb6c9c3176781ee41e7bac8f9bad21",
  "03a792e6d960c88c6fb2184ee4f16714c58b55f0746840617a19f7dd6e021699d9",
  "0313efedc579f57f05d4f5bc3fbf0261f31e51cdcfde7e568169acf92c78868926",
  "025c7bbf23e3441a36d7e8a1e9d717921e2a49a2ce035680fec4808a048d244c8a",
  "030eb6967f6e23e81db0d214f925fc5ce3371e1b059fb8379ae3eb1edfc95e0b46",
  "02e582c0a5e5563aad47f561b272e4c3a9f7ac716258b58e58eb50afd83c286a7f",
  "02ddc6c749d6ed067bb68df19c9bcb1a58b7587464043b1707398ffa26a9746b26",
  "03aa0b1c4e23616872058c11c6efba777c130a85eaf909945d697399a1eb08426d",
  "03adb2c924987d8deef04d02bd95236c5ae172fe5dfe7273e0461d96bf4bc220be",
};
const std::vector<std::string_view> k_route_setup_nodes = {
  "0324579f003e6b4048bae2def4365e634d8e0e3054a20fc7af49daf2a179658557",
  "024fbd3997d4260f731b01abcfce60b8967a6d4c6a11d1008812810ea1437ce438",
  "03b87c282f6e9f70d97aeea90b07cf09864a235ef718725632d067873431dd1015",
};
const std::vector<std::string_view> k_survey_whitelist = {
  "0327e2cf1d2e516ecbfdbd616a87489cc92a73af97335d5c8c29eafb5d8882264a",
  "03abbb3eff140cf3dce468b3fa5a28c80fa02c6703d7b952be6faaf2050990ebf4",
  "02b5ee5333aa6b7f5fc623b7d5f35f505cb7f974e98a70751cf41962f84c8c4637",
  "03714c8bdaee0fb48f47babbc47c33e1880752b6620317c9d56b30f3b0ff58a9c3",
  "020d35bbaf0a5abc8ec0ba33cde219fde734c63e7202098e1f9a6cf9daaeee55a9",
  "027f7dec979482f418f01dfabddbd750ad036c579a16422125dd9a313eaa59c8e1",
  "031d4cf1b7ab4c789b56c769f2888e4a61c778dfa5fe7e5cd0217fc41660b2eb65",
};
const std::vector<std::string_view> k_stun_servers = {
  "139.162.12.30:3478",  "170.187.228.181:3478", "172.104.161.184:3478",
  "170.187.231.137:3478", "143.42.74.91:3478",   "170.187.225.78:3478",
  "143.42.78.123:3478",  "139.162.12.244:3478",
};

json::array list_of(const std::vector<std::string_view>& xs) {
  json::array a;
  for (auto x : xs)
    a.emplace_back(x);
  return a;
}

json::value pk_list_default(const std::optional<std::vector<public_key>>& given,
                            const gen_options& o, const std::vector<std::string_view>& prod) {
  if (given)
    return pk_array(*given);
  if (o.local)
    return json::array{};
  return list_of(prod);
}

json::object app(std::string_view name, const std::vector<std::string>& args, bool auto_start,
                 uint16_t port) {
  json::object o;
  o["name"] = name;
  o["binary"] = "skywire";
  json::array a;
  for (auto& x : args)
    a.emplace_back(json::string{x});
  o["args"] = std::move(a);
  o["auto_start"] = auto_start;
  o["port"] = port;
  return o;
}

json::value default_apps(const gen_options& g) {
  auto or_default = [](const std::string& v, const char* d) { return v.empty() ? std::string{d} : v; };
  std::vector<std::string> client{"app", "skysocks-client", "--addr",
                                  or_default(g.proxy_addr, ":1080")};
  if (g.proxy_server) {
    client.push_back("--srv");
    client.push_back(g.proxy_server->hex());
  }
  if (g.proxy_min_hops > 0) {
    client.push_back("--min-hops");
    client.push_back(std::to_string(g.proxy_min_hops));
  }
  json::array a;
  a.emplace_back(app("vpn-client", {"app", "vpn-client", "--dns", "1.1.1.1"}, false, 43));
  a.emplace_back(
    app("skychat", {"app", "skychat", "--addr", or_default(g.chat_addr, ":8001")}, true, 1));
  a.emplace_back(app("skysocks", {"app", "skysocks"}, true, 3));
  a.emplace_back(app("skysocks-client", client, g.proxy_server.has_value(), 13));
  a.emplace_back(app("vpn-server", {"app", "vpn-server"}, false, 44));
  return a;
}

std::string join_path(const std::string& base, std::string_view leaf) {
  if (base.empty() || base == ".")
    return "./" + std::string{leaf};
  if (base.back() == '/')
    return base + std::string{leaf};
  return base + "/" + std::string{leaf};
}

// ---- the registry --------------------------------------------------------------

using V = json::value;
using G = gen_options;
using C = visor_config;

std::vector<option> build_registry() {
  std::vector<option> r;
  auto add = [&r](option o) { r.push_back(std::move(o)); };
  // clang-format off
  add({"version", value_kind::string, "config format version (config gen writes the reference's v1.3.20; the Go visor requires its own major version, we ignore it)", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(o.version); },
       [](C& c, const V& v) { c.version = str(v); }});
  add({"sk", value_kind::secret_key, "the visor's secret key (64 hex digits); never logged", opt_required, 0, {}, 0,
       [](const G& o) -> V { return o.sk ? V(o.sk->hex()) : V(nullptr); },
       [](C& c, const V& v) { if (auto k = secret_key::from_hex(str(v))) c.sk = *k; }});
  add({"pk", value_kind::public_key, "the visor's public key (66 hex digits); must belong to sk (derived when absent)", opt_none, 0, {}, 0,
       [](const G& o) -> V {
         if (!o.sk) return V(nullptr);
         auto pk = crypto::derive_public_key(*o.sk);
         return pk ? V(pk->hex()) : V(nullptr);
       },
       [](C& c, const V& v) { c.pk = pk_of(v); }});
  add({"dmsg", value_kind::block, "dmsg client", opt_none, 0, {}, 0, nullptr, nullptr});
  add({"dmsg.discovery", value_kind::url, "dmsg discovery URL", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(service_url(o, &local_services::dmsg_discovery, &dmsghttp_services::dmsg_discovery, "http://dmsgd.skywire.skycoin.com")); },
       [](C& c, const V& v) { c.dmsg.discovery = str(v); }});
  add({"dmsg.sessions_count", value_kind::uint, "dmsg server sessions to keep (0 = every server)", opt_none, 1u << 20, {}, 0,
       [](const G& o) -> V { return V(o.sessions_count.value_or(2)); },
       [](C& c, const V& v) { c.dmsg.sessions_count = u64(v); }});
  add({"dmsg.servers", value_kind::dmsg_servers, "pre-seeded dmsg server entries (dmsghttp mode)", opt_none, 0, {}, 0,
       [](const G& o) -> V { return o.dmsghttp ? V(o.dmsghttp->servers) : V(json::array{}); },
       [](C& c, const V& v) { c.dmsg.servers = v.is_array() ? v.get_array() : json::array{}; }});
  add({"dmsg.servers_type", value_kind::choice, "which dmsg servers to use", opt_none, 0, {"all", "official", "community"}, 0,
       [](const G&) -> V { return V("all"); },
       [](C& c, const V& v) { c.dmsg.servers_type = str(v); }});
  add({"dmsgpty", value_kind::block, "remote shell over dmsg", opt_none, 0, {}, 0, nullptr, nullptr});
  add({"dmsgpty.dmsg_port", value_kind::uint, "dmsg port of the pty host", opt_none, 65535, {}, 0,
       [](const G&) -> V { return V(22); },
       [](C& c, const V& v) { c.dmsgpty.dmsg_port = skywire::port{static_cast<uint16_t>(u64(v))}; }});
  add({"dmsgpty.cli_network", value_kind::choice, "network of the local pty CLI socket", opt_none, 0, {"unix", "tcp"}, 0,
       [](const G&) -> V { return V("unix"); },
       [](C& c, const V& v) { c.dmsgpty.cli_network = str(v); }});
  add({"dmsgpty.cli_address", value_kind::string, "address of the local pty CLI socket", opt_none, 0, {}, 0,
       [](const G&) -> V { return V("/tmp/dmsgpty.sock"); },
       [](C& c, const V& v) { c.dmsgpty.cli_address = str(v); }});
  add({"dmsgpty.whitelist", value_kind::public_keys, "public keys allowed to open a shell", opt_none, 0, {}, 0,
       [](const G&) -> V { return json::array{}; },
       [](C& c, const V& v) { c.dmsgpty.whitelist = pks_of(v); }});
  add({"skywire-tcp", value_kind::block, "stcp transport (absent = off)", opt_optional, 0, {}, 0, nullptr,
       [](C& c, const V&) { c.stcp.emplace(); }});
  add({"skywire-tcp.pk_table", value_kind::pk_table, "static pk -> ip:port table for stcp", opt_none, 0, {}, 0,
       [](const G&) -> V { return V(nullptr); },
       [](C& c, const V& v) {
         if (!v.is_object()) { c.stcp->pk_table.reset(); return; }
         std::map<public_key, std::string> t;
         for (const auto& kv : v.get_object())
           if (auto pk = public_key::from_hex(kv.key())) t[*pk] = str(kv.value());
         c.stcp->pk_table = std::move(t);
       }});
  add({"skywire-tcp.listening_address", value_kind::host_port, "stcp listening address", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(o.stcp_address.empty() ? ":7777" : o.stcp_address); },
       [](C& c, const V& v) { c.stcp->listening_address = str(v); }});
  add({"transport", value_kind::block, "transports", opt_none, 0, {}, 0, nullptr, nullptr});
  add({"transport.discovery", value_kind::url, "transport discovery URL", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(service_url(o, &local_services::transport_discovery, &dmsghttp_services::transport_discovery, "http://tpd.skywire.skycoin.com")); },
       [](C& c, const V& v) { c.transport.discovery = str(v); }});
  add({"transport.address_resolver", value_kind::url, "address resolver URL", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(service_url(o, &local_services::address_resolver, &dmsghttp_services::address_resolver, "http://ar.skywire.skycoin.com")); },
       [](C& c, const V& v) { c.transport.address_resolver = str(v); }});
  add({"transport.public_autoconnect", value_kind::boolean, "connect to public visors automatically", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(o.public_autoconnect); },
       [](C& c, const V& v) { c.transport.public_autoconnect = v.is_bool() && v.get_bool(); }});
  add({"transport.transport_setup", value_kind::public_keys, "transport setup nodes allowed to steer transports", opt_none, 0, {}, 0,
       [](const G& o) -> V { return pk_list_default(o.transport_setup, o, k_transport_setup); },
       [](C& c, const V& v) { c.transport.transport_setup = pks_of(v); }});
  add({"transport.log_store", value_kind::block, "transport bandwidth logs", opt_none, 0, {}, 0, nullptr, nullptr});
  add({"transport.log_store.type", value_kind::choice, "where transport logs are kept", opt_none, 0, {"file", "memory"}, 0,
       [](const G&) -> V { return V("file"); },
       [](C& c, const V& v) { c.transport.log_store.type = str(v); }});
  add({"transport.log_store.location", value_kind::string, "folder of the daily transport log files", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(join_path(o.local_path, "transport_logs")); },
       [](C& c, const V& v) { c.transport.log_store.location = str(v); }});
  add({"transport.log_store.rotation_interval", value_kind::duration, "age after which transport logs are deleted", opt_none, 0, {}, 0,
       [](const G&) -> V { return V("168h0m0s"); },
       [](C& c, const V& v) { c.transport.log_store.rotation_interval = dur(v); }});
  add({"transport.stcpr_port", value_kind::uint, "stcpr TCP port (0 = random)", opt_none, 65535, {}, 0,
       [](const G& o) -> V { return V(o.stcpr_port.value_or(0)); },
       [](C& c, const V& v) { c.transport.stcpr_port = static_cast<uint16_t>(u64(v)); }});
  add({"transport.sudph_port", value_kind::uint, "sudph UDP port (0 = random)", opt_none, 65535, {}, 0,
       [](const G& o) -> V { return V(o.sudph_port.value_or(0)); },
       [](C& c, const V& v) { c.transport.sudph_port = static_cast<uint16_t>(u64(v)); }});
  add({"routing", value_kind::block, "routing", opt_none, 0, {}, 0, nullptr, nullptr});
  add({"routing.route_setup_nodes", value_kind::public_keys, "setup nodes allowed to install rules", opt_none, 0, {}, 0,
       [](const G& o) -> V { return pk_list_default(o.route_setup_nodes, o, k_route_setup_nodes); },
       [](C& c, const V& v) { c.routing.route_setup_nodes = pks_of(v); }});
  add({"routing.route_finder", value_kind::url, "route finder URL", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(service_url(o, &local_services::route_finder, &dmsghttp_services::route_finder, "http://rf.skywire.skycoin.com")); },
       [](C& c, const V& v) { c.routing.route_finder = str(v); }});
  add({"routing.route_finder_timeout", value_kind::duration, "route finder request timeout", opt_none, 0, {}, 0,
       [](const G&) -> V { return V("10s"); },
       [](C& c, const V& v) { c.routing.route_finder_timeout = dur(v); }});
  add({"routing.min_hops", value_kind::uint, "minimum hops of a route", opt_none, 65535, {}, 0,
       [](const G&) -> V { return V(0); },
       [](C& c, const V& v) { c.routing.min_hops = static_cast<uint16_t>(u64(v)); }});
  add({"routing.cell_size", value_kind::uint,
       "ours, not generated: uniform route cells offered (0 = none; 512, 1024 or 1400)", opt_none,
       1400, {}, 0, nullptr,
       [](C& c, const V& v) { c.routing.cell_size = static_cast<uint16_t>(u64(v)); }});
  add({"uptime_tracker", value_kind::block, "uptime tracker (absent = off)", opt_optional, 0, {}, 0, nullptr,
       [](C& c, const V&) { c.uptime_tracker.emplace(); }});
  add({"uptime_tracker.addr", value_kind::url, "uptime tracker URL", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(service_url(o, &local_services::uptime_tracker, &dmsghttp_services::uptime_tracker, "http://ut.skywire.skycoin.com")); },
       [](C& c, const V& v) { c.uptime_tracker->addr = str(v); }});
  add({"launcher", value_kind::block, "app launcher", opt_none, 0, {}, 0, nullptr, nullptr});
  add({"launcher.service_discovery", value_kind::url, "service discovery URL", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(service_url(o, &local_services::service_discovery, &dmsghttp_services::service_discovery, "http://sd.skycoin.com")); },
       [](C& c, const V& v) { c.launcher.service_discovery = str(v); }});
  add({"launcher.apps", value_kind::apps, "apps: name, binary, args, auto_start, port", opt_none, 0, {}, 0,
       default_apps,
       [](C& c, const V& v) {
         c.launcher.apps.clear();
         if (!v.is_array()) return;
         for (const auto& x : v.get_array()) {
           const auto& o = x.get_object();
           app_config a;
           a.name = str(o.at("name"));
           if (auto it = o.find("binary"); it != o.end()) a.binary = str(it->value());
           if (auto it = o.find("args"); it != o.end()) a.args = strs_of(it->value());
           if (auto it = o.find("auto_start"); it != o.end()) a.auto_start = it->value().is_bool() && it->value().get_bool();
           if (auto it = o.find("port"); it != o.end()) a.port = skywire::port{static_cast<uint16_t>(u64(it->value()))};
           c.launcher.apps.push_back(std::move(a));
         }
       }});
  add({"launcher.server_addr", value_kind::host_port, "app server address (apps connect here)", opt_none, 0, {}, 0,
       [](const G&) -> V { return V("localhost:5505"); },
       [](C& c, const V& v) { c.launcher.server_addr = str(v); }});
  add({"launcher.bin_path", value_kind::string, "folder of app binaries", opt_none, 0, {}, 0,
       [](const G&) -> V { return V("./"); },
       [](C& c, const V& v) { c.launcher.bin_path = str(v); }});
  add({"launcher.display_node_ip", value_kind::boolean, "show this visor's IP in service discovery", opt_none, 0, {}, 0,
       [](const G&) -> V { return V(false); },
       [](C& c, const V& v) { c.launcher.display_node_ip = v.is_bool() && v.get_bool(); }});
  add({"survey_whitelist", value_kind::public_keys, "keys allowed to fetch the system survey", opt_none, 0, {}, 0,
       [](const G& o) -> V { return o.local ? V(json::array{}) : V(list_of(k_survey_whitelist)); },
       [](C& c, const V& v) { c.survey_whitelist = pks_of(v); }});
  add({"hypervisors", value_kind::public_keys, "remote hypervisors this visor dials (dmsg port 46)", opt_none, 0, {}, 0,
       [](const G& o) -> V { return pk_array(o.hypervisors); },
       [](C& c, const V& v) { c.hypervisors = pks_of(v); }});
  add({"cli_addr", value_kind::local_endpoint, "CLI socket: unix:///path, /path, ./path, or loopback host:port", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(o.cli_addr.empty() ? "unix://" + join_path(o.local_path, "cli.sock") : o.cli_addr); },
       [](C& c, const V& v) { c.cli_addr = str(v); }});
  add({"log_level", value_kind::choice, "trace, debug, info, warn, error, fatal (\"\" = info)", opt_none, 0,
       {"", "trace", "debug", "info", "warn", "warning", "error", "fatal", "panic"}, 0,
       [](const G& o) -> V { return V(o.log_level); },
       [](C& c, const V& v) { c.log_level = str(v); }});
  add({"local_path", value_kind::string, "folder for the visor's runtime files", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(o.local_path); },
       [](C& c, const V& v) { c.local_path = str(v); }});
  add({"dmsghttp_server_path", value_kind::string, "extra files served over dmsghttp", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(join_path(o.local_path, "custom")); },
       [](C& c, const V& v) { c.dmsghttp_server_path = str(v); }});
  add({"stun_servers", value_kind::host_ports, "STUN servers (ip:port)", opt_none, 0, {}, 0,
       [](const G& o) -> V { return o.local ? V(json::array{}) : V(list_of(k_stun_servers)); },
       [](C& c, const V& v) { c.stun_servers = strs_of(v); }});
  add({"shutdown_timeout", value_kind::duration, "time allowed for a clean shutdown", opt_none, 0, {}, 0,
       [](const G&) -> V { return V("10s"); },
       [](C& c, const V& v) { c.shutdown_timeout = dur(v); }});
  add({"is_public", value_kind::boolean, "advertise as a public visor", opt_none, 0, {}, 0,
       [](const G& o) -> V { return V(o.is_public); },
       [](C& c, const V& v) { c.is_public = v.is_bool() && v.get_bool(); }});
  add({"persistent_transports", value_kind::persistent_transports, "transports kept up: [{\"pk\":…,\"type\":…}]", opt_none, 0, {}, 0,
       [](const G&) -> V { return V(nullptr); },
       [](C& c, const V& v) {
         if (!v.is_array()) { c.persistent_transports.reset(); return; }
         std::vector<persistent_transport> out;
         for (const auto& x : v.get_array())
           out.push_back({pk_of(x.get_object().at("pk")), str(x.get_object().at("type"))});
         c.persistent_transports = std::move(out);
       }});
  add({"hypervisor", value_kind::block, "local hypervisor web UI (absent = off; `config gen -i`)", opt_optional | opt_hv_only, 0, {}, 0, nullptr,
       [](C& c, const V&) { c.hypervisor.emplace(); }});
  add({"hypervisor.db_path", value_kind::string, "user/session database", opt_hv_only, 0, {}, 0,
       [](const G& o) -> V {
         if (!o.db_path.empty()) return V(o.db_path);
         std::error_code ec;
         auto cwd = std::filesystem::current_path(ec);
         return V(ec ? std::string{"./users.db"} : (cwd / "users.db").string());
       },
       [](C& c, const V& v) { c.hypervisor->db_path = str(v); }});
  add({"hypervisor.enable_auth", value_kind::boolean, "require a login", opt_hv_only, 0, {}, 0,
       [](const G&) -> V { return V(false); },
       [](C& c, const V& v) { c.hypervisor->enable_auth = v.is_bool() && v.get_bool(); }});
  add({"hypervisor.cookies", value_kind::block, "session cookies", opt_hv_only, 0, {}, 0, nullptr, nullptr});
  add({"hypervisor.cookies.hash_key", value_kind::hex_bytes, "cookie HMAC key (64 bytes hex, random)", opt_hv_only, 0, {}, 64,
       [](const G&) -> V { return V(random_hex(64)); },
       [](C& c, const V& v) { c.hypervisor->cookies.hash_key = bytes_of(v); }});
  add({"hypervisor.cookies.block_key", value_kind::hex_bytes, "cookie encryption key (32 bytes hex, random)", opt_hv_only, 0, {}, 32,
       [](const G&) -> V { return V(random_hex(32)); },
       [](C& c, const V& v) { c.hypervisor->cookies.block_key = bytes_of(v); }});
  add({"hypervisor.cookies.expires_duration", value_kind::nanoseconds, "cookie lifetime in ns (12h)", opt_hv_only, 0, {}, 0,
       [](const G&) -> V { return V(static_cast<int64_t>(43200000000000)); },
       [](C& c, const V& v) { c.hypervisor->cookies.expires_duration = dur(v); }});
  add({"hypervisor.cookies.path", value_kind::string, "cookie path", opt_hv_only, 0, {}, 0,
       [](const G&) -> V { return V("/"); },
       [](C& c, const V& v) { c.hypervisor->cookies.path = str(v); }});
  add({"hypervisor.cookies.domain", value_kind::string, "cookie domain", opt_hv_only, 0, {}, 0,
       [](const G&) -> V { return V(""); },
       [](C& c, const V& v) { c.hypervisor->cookies.domain = str(v); }});
  add({"hypervisor.dmsg_port", value_kind::uint, "dmsg port visors dial in on", opt_hv_only, 65535, {}, 0,
       [](const G&) -> V { return V(46); },
       [](C& c, const V& v) { c.hypervisor->dmsg_port = skywire::port{static_cast<uint16_t>(u64(v))}; }});
  add({"hypervisor.http_addr", value_kind::host_port, "web UI listening address", opt_hv_only, 0, {}, 0,
       [](const G&) -> V { return V(":8000"); },
       [](C& c, const V& v) { c.hypervisor->http_addr = str(v); }});
  add({"hypervisor.enable_tls", value_kind::boolean, "serve the UI over TLS", opt_hv_only, 0, {}, 0,
       [](const G&) -> V { return V(false); },
       [](C& c, const V& v) { c.hypervisor->enable_tls = v.is_bool() && v.get_bool(); }});
  add({"hypervisor.tls_cert_file", value_kind::string, "TLS certificate", opt_hv_only, 0, {}, 0,
       [](const G&) -> V { return V("./ssl/cert.pem"); },
       [](C& c, const V& v) { c.hypervisor->tls_cert_file = str(v); }});
  add({"hypervisor.tls_key_file", value_kind::string, "TLS key", opt_hv_only, 0, {}, 0,
       [](const G&) -> V { return V("./ssl/key.pem"); },
       [](C& c, const V& v) { c.hypervisor->tls_key_file = str(v); }});
  // clang-format on
  return r;
}

// ---- validation ----------------------------------------------------------------

bool valid_host_port(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || s.size() > 300)
    return false;
  auto port = s.substr(colon + 1);
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc{} || ptr != port.data() + port.size() || p > 65535)
    return false;
  auto host = s.substr(0, colon);
  return std::none_of(host.begin(), host.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= ' '; });
}

const char* pk_problem(const json::value& v) {
  static constexpr const char* msg
    = "expected a public key (66 hex digits, a compressed secp256k1 point)";
  if (!v.is_string())
    return msg;
  auto s = v.get_string();
  if (s.size() != 66 || !is_hex(s))
    return msg;
  auto pk = public_key::from_hex(s);
  if (!pk)
    return msg;
  if (!crypto::is_valid(*pk))
    return "not a valid secp256k1 public key (the point is not on the curve)";
  return nullptr;
}

std::string check_list(const json::value& v, std::string& where, const char* what,
                       const std::function<const char*(const json::value&)>& item) {
  if (v.is_null())
    return {};
  if (!v.is_array())
    return std::string{"expected "} + what;
  const auto& a = v.get_array();
  if (a.size() > max_list_items)
    return "too many entries (at most " + std::to_string(max_list_items) + ")";
  for (size_t i = 0; i < a.size(); ++i)
    if (auto p = item(a[i])) {
      where = "[" + std::to_string(i) + "]";
      return p;
    }
  return {};
}

} // namespace

bool is_host_port(std::string_view s) {
  return valid_host_port(s);
}

std::string check_value(const option& opt, const json::value& v, std::string& where) {
  where.clear();
  switch (opt.kind) {
    case value_kind::block:
      return v.is_object() ? "" : "expected an object";
    case value_kind::string:
      return v.is_string() ? "" : "expected a string";
    case value_kind::url: {
      if (!v.is_string())
        return "expected a URL string";
      auto s = std::string_view{v.get_string()};
      if (s.empty())
        return {};
      for (std::string_view scheme : {"http://", "https://", "dmsg://"})
        if (s.substr(0, scheme.size()) == scheme && s.size() > scheme.size()
            && std::none_of(s.begin(), s.end(),
                            [](char c) { return static_cast<unsigned char>(c) <= ' '; }))
          return {};
      return "expected a URL starting with http://, https:// or dmsg://";
    }
    case value_kind::host_port:
      return v.is_string() && valid_host_port(v.get_string()) ? ""
                                                               : "expected host:port (e.g. \":7777\")";
    case value_kind::boolean:
      return v.is_bool() ? "" : "expected true or false";
    case value_kind::uint: {
      auto u = as_uint(v);
      if (!u)
        return "expected a non-negative integer";
      if (opt.max != 0 && *u > opt.max)
        return "expected an integer in 0.." + std::to_string(opt.max);
      return {};
    }
    case value_kind::duration:
    case value_kind::nanoseconds: {
      if (v.is_string()) {
        auto d = parse_go_duration(v.get_string());
        if (!d)
          return "expected a duration such as \"10s\" or \"168h0m0s\"";
        if (d->count() < 0)
          return "expected a non-negative duration";
        return {};
      }
      if (as_uint(v))
        return {};
      return opt.kind == value_kind::duration
               ? "expected a duration such as \"10s\" or \"168h0m0s\""
               : "expected a duration in nanoseconds (a non-negative integer)";
    }
    case value_kind::public_key: {
      auto p = pk_problem(v);
      return p ? p : "";
    }
    case value_kind::secret_key: {
      if (!v.is_string() || v.get_string().size() != 64 || !is_hex(v.get_string()))
        return "expected a secret key (64 hex digits)";
      auto sk = secret_key::from_hex(v.get_string());
      if (!sk || !crypto::derive_public_key(*sk))
        return "not a valid secp256k1 secret key";
      return {};
    }
    case value_kind::public_keys:
      return check_list(v, where, "an array of public keys", pk_problem);
    case value_kind::strings:
      return check_list(v, where, "an array of strings", [](const json::value& x) -> const char* {
        return x.is_string() ? nullptr : "expected a string";
      });
    case value_kind::host_ports:
      return check_list(v, where, "an array of host:port strings",
                        [](const json::value& x) -> const char* {
                          return x.is_string() && valid_host_port(x.get_string())
                                   ? nullptr
                                   : "expected host:port";
                        });
    case value_kind::hex_bytes: {
      if (!v.is_string() || v.get_string().size() != opt.hex_bytes * 2 || !is_hex(v.get_string()))
        return "expected " + std::to_string(opt.hex_bytes * 2) + " hex digits ("
               + std::to_string(opt.hex_bytes) + " bytes)";
      return {};
    }
    case value_kind::choice: {
      std::string allowed;
      for (auto c : opt.choices) {
        if (v.is_string() && v.get_string() == c)
          return {};
        if (!allowed.empty())
          allowed += ", ";
        allowed += c.empty() ? "\"\"" : std::string{c};
      }
      return "expected one of: " + allowed;
    }
    case value_kind::local_endpoint: {
      if (!v.is_string())
        return "expected a socket address string";
      auto ep = parse_local_endpoint(v.get_string());
      return ep ? "" : message(ep.error());
    }
    case value_kind::apps: {
      if (v.is_null())
        return {};
      if (!v.is_array())
        return "expected an array of app entries";
      const auto& a = v.get_array();
      if (a.size() > 256)
        return "too many apps (at most 256)";
      std::set<std::string> names;
      for (size_t i = 0; i < a.size(); ++i) {
        auto at = "[" + std::to_string(i) + "]";
        if (!a[i].is_object()) {
          where = at;
          return "expected an object";
        }
        const auto& o = a[i].get_object();
        auto field = [&](const char* k) -> const json::value* {
          auto it = o.find(k);
          return it == o.end() ? nullptr : &it->value();
        };
        auto name = field("name");
        if (!name || !name->is_string() || name->get_string().empty()) {
          where = at + ".name";
          return "expected a non-empty string";
        }
        if (!names.insert(std::string{name->get_string()}).second) {
          where = at + ".name";
          return "duplicate app name \"" + std::string{name->get_string()} + "\"";
        }
        if (auto b = field("binary"); b && !b->is_string()) {
          where = at + ".binary";
          return "expected a string";
        }
        if (auto args = field("args"); args && !args->is_null()) {
          if (!args->is_array()) {
            where = at + ".args";
            return "expected an array of strings";
          }
          for (size_t j = 0; j < args->get_array().size(); ++j)
            if (!args->get_array()[j].is_string()) {
              where = at + ".args[" + std::to_string(j) + "]";
              return "expected a string";
            }
        }
        if (auto as = field("auto_start"); as && !as->is_bool()) {
          where = at + ".auto_start";
          return "expected true or false";
        }
        if (auto p = field("port"); p) {
          auto u = as_uint(*p);
          if (!u || *u > 65535) {
            where = at + ".port";
            return "expected an integer in 0..65535";
          }
        }
      }
      return {};
    }
    case value_kind::dmsg_servers:
      return check_list(v, where, "an array of dmsg server entries",
                        [](const json::value& x) -> const char* {
                          return x.is_object() ? nullptr : "expected an object (a discovery entry)";
                        });
    case value_kind::pk_table: {
      if (v.is_null())
        return {};
      if (!v.is_object())
        return "expected null or an object mapping public keys to ip:port";
      if (v.get_object().size() > max_list_items)
        return "too many entries";
      for (const auto& kv : v.get_object()) {
        json::value key(json::string(kv.key())); // (braces would make an array)
        if (auto p = pk_problem(key)) {
          where = "[\"" + std::string{kv.key().substr(0, 80)} + "\"]";
          return p;
        }
        if (!kv.value().is_string() || !valid_host_port(kv.value().get_string())) {
          where = "[\"" + std::string{kv.key()} + "\"]";
          return "expected ip:port";
        }
      }
      return {};
    }
    case value_kind::persistent_transports: {
      if (v.is_null())
        return {};
      if (!v.is_array())
        return "expected null or an array of {\"pk\":…,\"type\":…} objects";
      const auto& a = v.get_array();
      if (a.size() > max_list_items)
        return "too many entries";
      for (size_t i = 0; i < a.size(); ++i) {
        auto at = "[" + std::to_string(i) + "]";
        if (!a[i].is_object()) {
          where = at;
          return "expected an object";
        }
        const auto& o = a[i].get_object();
        auto pk = o.find("pk");
        if (pk == o.end()) {
          where = at + ".pk";
          return "required";
        }
        if (auto p = pk_problem(pk->value())) {
          where = at + ".pk";
          return p;
        }
        auto ty = o.find("type");
        if (ty == o.end() || !ty->value().is_string()
            || (ty->value().get_string() != "dmsg" && ty->value().get_string() != "stcp"
                && ty->value().get_string() != "stcpr" && ty->value().get_string() != "sudph")) {
          where = at + ".type";
          return "expected one of: dmsg, stcp, stcpr, sudph";
        }
      }
      return {};
    }
  }
  return "unknown kind";
}

const std::vector<option>& registry() {
  static const std::vector<option> r = build_registry();
  return r;
}

const gen_options& reference_defaults() {
  static const gen_options g = [] {
    gen_options o;
    o.cli_addr = reference_cli_addr;
    o.log_level = "";
    return o;
  }();
  return g;
}

caf::error make_go_compatible(gen_options& opts) {
  opts.version = reference_config_version;
  if (opts.cli_addr.empty()) {
    opts.cli_addr = reference_cli_addr;
    return {};
  }
  auto ep = parse_local_endpoint(opts.cli_addr);
  if (!ep)
    return make_error(config_errc::invalid_value, "cli_addr: " + message(ep.error()));
  if (ep->is_unix())
    return make_error(config_errc::invalid_value,
                      "cli_addr: the Go visor opens cli_addr as TCP only; give a loopback "
                      "host:port (the reference's is localhost:3435)");
  return {};
}

expected<dmsghttp_services> parse_dmsghttp_config(std::string_view text, bool test_env) {
  auto bad = [](std::string why) -> expected<dmsghttp_services> {
    return make_error(config_errc::invalid_value, "dmsghttp config: " + std::move(why));
  };
  if (text.size() > max_config_bytes)
    return make_error(config_errc::too_large, "dmsghttp config over 1 MiB");
  boost::system::error_code ec;
  auto root = json::parse(text, ec);
  if (ec || !root.is_object())
    return make_error(config_errc::syntax, "dmsghttp config: not a JSON object");
  const char* section = test_env ? "test" : "prod";
  auto* sec = root.get_object().if_contains(section);
  if (!sec || !sec->is_object())
    return bad(std::string{"no \""} + section + "\" section");
  const auto& o = sec->get_object();
  dmsghttp_services out;
  for (auto [key, field] :
       {std::pair{"dmsg_discovery", &dmsghttp_services::dmsg_discovery},
        std::pair{"transport_discovery", &dmsghttp_services::transport_discovery},
        std::pair{"address_resolver", &dmsghttp_services::address_resolver},
        std::pair{"route_finder", &dmsghttp_services::route_finder},
        std::pair{"uptime_tracker", &dmsghttp_services::uptime_tracker},
        std::pair{"service_discovery", &dmsghttp_services::service_discovery}}) {
    auto* v = o.if_contains(key);
    if (!v || (v->is_string() && v->get_string().empty()))
      continue;
    if (!v->is_string())
      return bad(std::string{section} + "." + key + ": expected a dmsg:// URL");
    std::string url{v->get_string()};
    // dmsg://<66 hex>[:port][/path]
    std::string_view rest{url};
    if (rest.substr(0, 7) != "dmsg://")
      return bad(std::string{section} + "." + key + ": expected a dmsg:// URL, not " + url);
    rest.remove_prefix(7);
    auto pk_text = rest.substr(0, std::min(rest.find_first_of(":/"), rest.size()));
    json::value pkv(json::string{pk_text});
    if (pk_problem(pkv))
      return bad(std::string{section} + "." + key + ": " + url + ": " + pk_problem(pkv));
    out.*field = std::move(url);
  }
  if (out.dmsg_discovery.empty())
    return bad(std::string{section} + ".dmsg_discovery is required");
  auto* servers = o.if_contains("dmsg_servers");
  if (!servers || !servers->is_array() || servers->get_array().empty())
    return bad(std::string{section} + ".dmsg_servers: expected a non-empty array");
  if (servers->get_array().size() > max_list_items)
    return bad(std::string{section} + ".dmsg_servers: too many entries");
  size_t i = 0;
  for (const auto& e : servers->get_array()) {
    auto at = std::string{section} + ".dmsg_servers[" + std::to_string(i++) + "]";
    if (!e.is_object())
      return bad(at + ": expected an object {\"static\":pk,\"server\":{\"address\":…}}");
    const auto* st = e.get_object().if_contains("static");
    if (!st || pk_problem(*st))
      return bad(at + ".static: " + std::string{st ? pk_problem(*st) : "missing"});
    const auto* srv = e.get_object().if_contains("server");
    const json::value* addr = srv && srv->is_object() ? srv->get_object().if_contains("address")
                                                      : nullptr;
    if (!addr || !addr->is_string() || !valid_host_port(addr->get_string()))
      return bad(at + ".server.address: expected host:port");
    // Go's encoding of disc.Entry (what the Go visor writes and reads back)
    json::object server;
    server["address"] = addr->get_string();
    server["availableSessions"] = 0;
    json::object full;
    full["version"] = "";
    full["sequence"] = 0;
    full["timestamp"] = 0;
    full["static"] = st->get_string();
    full["server"] = std::move(server);
    out.servers.emplace_back(std::move(full));
  }
  return out;
}

} // namespace skywire::config
