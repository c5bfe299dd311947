// The declarative option registry of the visor config: one row per key, in
// the reference's key order, with its type, default and documentation. It
// feeds loading + validation (load_json/load_file), `config gen` (generate),
// and the docs (options_markdown). Add a key here and all four follow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "runtime/config/visor_config.hpp"

namespace skywire::config {

/// A config file larger than this is refused before parsing.
constexpr size_t max_config_bytes = 1024 * 1024;

enum class value_kind : uint8_t {
  block,          ///< a JSON object holding further keys
  string,         ///< any string
  url,            ///< "" or http://, https://, dmsg:// URL
  host_port,      ///< "[host]:port"
  boolean,
  uint,           ///< non-negative integer up to option::max
  duration,       ///< Go duration string ("10s"); an integer is read as ns
  nanoseconds,    ///< integer ns (Go's plain time.Duration); a Go string is accepted too
  public_key,     ///< 66 hex digits, a valid compressed secp256k1 point
  secret_key,     ///< 64 hex digits, a valid scalar
  public_keys,    ///< array of public keys (null = empty)
  strings,        ///< array of strings (null = empty)
  host_ports,     ///< array of "host:port" strings (null = empty)
  hex_bytes,      ///< exactly option::hex_bytes bytes as hex
  choice,         ///< one of option::choices
  local_endpoint, ///< cli_addr: unix path or loopback host:port
  apps,           ///< launcher.apps
  dmsg_servers,   ///< dmsg.servers: array of discovery entries (kept as JSON)
  pk_table,       ///< null or {"<pk>": "ip:port"}
  persistent_transports, ///< null or [{"pk":…, "type":…}]
};

const char* to_string(value_kind x) noexcept;

/// Addresses of a local deployment of the services (all on loopback).
struct local_services {
  std::string host = "127.0.0.1";
  uint16_t dmsg_discovery = 9090;
  uint16_t transport_discovery = 9091;
  uint16_t route_finder = 9092;
  uint16_t address_resolver = 9093;
  uint16_t uptime_tracker = 9096;
  uint16_t service_discovery = 9098;
};

/// Parses "dmsgd=9090,tpd=9091,rf=9092,ar=9093,ut=9096,sd=9098" (any subset)
/// into `out`.
caf::error parse_local_ports(std::string_view text, local_services& out);

/// dmsghttp mode (`config gen -d`, skywire-protocol.md §6.4): the services
/// as dmsg://<pk>:80 URLs and the dmsg servers to reach them through, from a
/// file of the reference's dmsghttp-config.json shape:
///   {"test":{…},"prod":{…}}, each {"dmsg_servers":[{"static":pk,
///   "server":{"address":"ip:port"}},…], "dmsg_discovery":"dmsg://pk:80",
///   "transport_discovery", "address_resolver", "route_finder",
///   "uptime_tracker", "service_discovery"}.
/// An absent or empty service keeps its other default (http).
struct dmsghttp_services {
  std::string dmsg_discovery;
  std::string transport_discovery;
  std::string route_finder;
  std::string address_resolver;
  std::string uptime_tracker;
  std::string service_discovery;
  /// dmsg.servers as written: full discovery entries in the Go encoding
  /// (version "", sequence 0, timestamp 0, static, server{address,...}).
  boost::json::array servers;
};

/// Reads the "prod" (or with test_env the "test") section of a
/// dmsghttp-config.json text. The discovery and at least one server are
/// required; every URL must be dmsg://<pk>[:port]; every server a valid key
/// with a host:port address.
expected<dmsghttp_services> parse_dmsghttp_config(std::string_view text, bool test_env);

/// The "version" `config gen` writes: the reference release whose config
/// format the file follows (skywire-protocol.md §6), not our own version. The
/// Go visor refuses a file whose major version differs from its own (v1), so
/// our v0.x must not appear there.
inline constexpr const char* reference_config_version = "v1.3.20";

/// The reference's (and so the Go visor's) cli_addr: the Go visor opens it as
/// TCP only.
inline constexpr const char* reference_cli_addr = "localhost:3435";

/// Inputs of `config gen` (and the defaults that apply to absent keys).
struct gen_options {
  std::optional<secret_key> sk; ///< generate() requires it (the CLI draws a random one)
  std::string version = "unknown";
  bool hypervisor = false;              ///< write the "hypervisor" block (-i)
  std::vector<public_key> hypervisors;  ///< remote hypervisors (-j)
  std::string local_path = "./local";
  /// "" = a unix socket "<local_path>/cli.sock" (our default for new files);
  /// the reference default is "localhost:3435".
  std::string cli_addr;
  std::string log_level = "info";
  std::optional<local_services> local;  ///< --local: every service URL on loopback
  std::optional<dmsghttp_services> dmsghttp; ///< -d: dmsg:// service URLs, dmsg.servers
  std::optional<uint64_t> sessions_count;
  std::optional<uint16_t> stcpr_port, sudph_port;
  /// skywire-tcp.listening_address ("" keeps the reference's ":7777"); a
  /// local network of several visors on one host gives each "127.0.0.1:0"
  std::string stcp_address;
  std::optional<std::vector<public_key>> route_setup_nodes, transport_setup;
  bool is_public = false;
  bool public_autoconnect = true;
  std::string db_path;                  ///< hypervisor db; "" = <cwd>/users.db
  // the apps (launcher.apps): "" keeps the reference's default address
  std::string chat_addr;                ///< skychat --addr (default ":8001")
  std::string proxy_addr;               ///< skysocks-client --addr (default ":1080")
  /// skysocks-client --srv <pk>, auto_start on (the reference's default has
  /// no server and auto_start off)
  std::optional<public_key> proxy_server;
  uint16_t proxy_min_hops = 0;          ///< skysocks-client --min-hops (0: not given)
};

/// The profile used to fill keys absent from a loaded file: the reference's
/// defaults (cli_addr localhost:3435, production service URLs).
const gen_options& reference_defaults();

/// "host:port" as the config's host:port keys take it (port 0..65535, host
/// possibly empty: ":7777" listens on every address).
bool is_host_port(std::string_view s);

/// `config gen --go-compatible`: a file the Go visor runs as well as ours: the
/// reference config version and, unless a TCP cli_addr is already chosen, the
/// reference's loopback TCP cli_addr. Fails when cli_addr names a unix socket
/// (the Go visor cannot open one).
caf::error make_go_compatible(gen_options& opts);

enum option_flags : uint32_t {
  opt_none = 0,
  opt_required = 1,     ///< must be present in a loaded file
  opt_optional = 2,     ///< block: absent = feature off (std::nullopt)
  opt_hv_only = 4,      ///< only generated with -i
};

struct option {
  std::string_view path; ///< dotted key path, e.g. "dmsg.sessions_count"
  value_kind kind;
  std::string_view doc;
  uint32_t flags = opt_none;
  uint64_t max = 0;                        ///< uint: inclusive upper bound
  std::vector<std::string_view> choices;   ///< choice: allowed values
  size_t hex_bytes = 0;                    ///< hex_bytes: byte count
  boost::json::value (*make_default)(const gen_options&) = nullptr;
  void (*bind)(visor_config&, const boost::json::value&) = nullptr;
};

/// Every key, in the reference's order.
const std::vector<option>& registry();

/// Validates one value against an option. Returns "" when fine, otherwise
/// "<path-suffix>\t<problem>" is split into `where` (e.g. "[2].port", appended
/// to the option's path) and the returned problem text.
std::string check_value(const option& opt, const boost::json::value& v, std::string& where);

/// Parses and validates a config text. Errors (config_errc) carry a message
/// naming the key path and the problem. Unknown keys are ignored (listed in
/// visor_config::unknown_keys). pk must match sk; an absent pk is derived.
expected<visor_config> load_json(std::string_view text, std::string source_path = {});

/// Reads (at most max_config_bytes) and loads a file.
expected<visor_config> load_file(const std::string& path);

/// Builds a fresh config object in the reference's key order.
expected<boost::json::object> generate(const gen_options& opts);

/// Go's json.MarshalIndent(v, "", "  ") layout (2-space indent, Go string
/// escaping).
std::string to_pretty_json(const boost::json::value& v);

/// A markdown table of every key: path, type, default, description.
std::string options_markdown();

} // namespace skywire::config
