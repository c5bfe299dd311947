#include "actors/services/dmsg_server_config.hpp"

#include <charconv>

#include <boost/json.hpp>

#include "messages/wire/json/go_json.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::services {

namespace {

caf::error bad(std::string what) {
  return make_error(wire_errc::bad_value, "dmsg server config: " + std::move(what));
}

} // namespace

expected<host_port> parse_host_port(std::string_view text) {
  host_port out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad("bad address \"" + std::string{text} + "\"");
    out.host = std::string{text.substr(1, close - 1)};
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return bad("address \"" + std::string{text} + "\" has no port");
    out.host = std::string{text.substr(0, colon)};
    port_text = text.substr(colon + 1);
  }
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
  if (ec != std::errc{} || p != port_text.data() + port_text.size() || v > 65535
      || port_text.empty())
    return bad("bad port in \"" + std::string{text} + "\"");
  out.port = static_cast<uint16_t>(v);
  return out;
}

expected<dmsg_server_config> parse_dmsg_server_config(std::string_view json) {
  if (json.size() > 64 * 1024)
    return bad("file larger than 64 KiB");
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object())
    return bad("not a JSON object");
  auto& o = v.as_object();
  dmsg_server_config cfg;
  auto str = [&](const char* k, std::string& out) -> caf::error {
    if (auto* p = o.if_contains(k)) {
      if (!p->is_string())
        return bad(std::string{k} + " must be a string");
      out = std::string{p->as_string()};
    }
    return {};
  };
  std::string pk_text, sk_text;
  for (auto [k, out] : {std::pair{"public_key", &pk_text}, {"secret_key", &sk_text},
                        {"discovery", &cfg.discovery}, {"public_address", &cfg.public_address},
                        {"local_address", &cfg.local_address},
                        {"health_endpoint_address", &cfg.health_endpoint_address},
                        {"log_level", &cfg.log_level}})
    if (auto err = str(k, *out))
      return err;
  auto integer = [&](const char* k, int64_t& out) -> caf::error {
    if (auto* p = o.if_contains(k)) {
      if (p->is_int64())
        out = p->as_int64();
      else if (p->is_uint64() && p->as_uint64() <= uint64_t{INT64_MAX})
        out = static_cast<int64_t>(p->as_uint64());
      else
        return bad(std::string{k} + " must be an integer");
    }
    return {};
  };
  int64_t interval = 0;
  if (auto err = integer("update_interval", interval))
    return err;
  if (interval < 0)
    return bad("update_interval must not be negative");
  cfg.update_interval = std::chrono::nanoseconds{interval};
  if (auto err = integer("max_sessions", cfg.max_sessions))
    return err;
  if (cfg.max_sessions <= 0)
    return bad("max_sessions must be positive");
  if (!sk_text.empty()) {
    auto sk = secret_key::from_hex(sk_text);
    if (!sk || !crypto::is_valid(*sk))
      return bad("invalid secret_key");
    cfg.sk = *sk;
    auto derived = crypto::derive_public_key(cfg.sk);
    if (!derived)
      return bad("invalid secret_key");
    cfg.pk = *derived;
  }
  if (!pk_text.empty()) {
    auto pk = crypto::parse_public_key(pk_text);
    if (!pk)
      return bad("invalid public_key");
    if (!sk_text.empty() && *pk != cfg.pk)
      return bad("public_key does not match secret_key");
    cfg.pk = *pk;
  }
  if (cfg.sk.is_null())
    return bad("secret_key is required");
  if (auto hp = parse_host_port(cfg.local_address); !hp)
    return hp.error();
  if (!cfg.health_endpoint_address.empty())
    if (auto hp = parse_host_port(cfg.health_endpoint_address); !hp)
      return hp.error();
  return cfg;
}

std::string to_json(const dmsg_server_config& cfg) {
  std::string out = "{\n";
  auto field = [&](const char* k, const std::string& v, bool last = false) {
    out += "\t\"";
    out += k;
    out += "\": ";
    wire::json::append_string(out, v);
    out += last ? "\n" : ",\n";
  };
  field("public_key", cfg.pk.hex());
  field("secret_key", cfg.sk.hex());
  field("discovery", cfg.discovery);
  field("public_address", cfg.public_address);
  field("local_address", cfg.local_address);
  field("health_endpoint_address", cfg.health_endpoint_address);
  field("log_level", cfg.log_level);
  out += "\t\"update_interval\": " + std::to_string(cfg.update_interval.count()) + ",\n";
  out += "\t\"max_sessions\": " + std::to_string(cfg.max_sessions) + "\n}\n";
  return out;
}

dmsg_server_config generate_dmsg_server_config(bool test_env) {
  auto kp = crypto::generate_keypair();
  dmsg_server_config cfg;
  cfg.pk = kp.pk;
  cfg.sk = kp.sk;
  if (test_env)
    cfg.discovery = "http://dmsgd.skywire.dev";
  return cfg;
}

} // namespace skywire::services
