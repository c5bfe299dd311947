// Loading (load_json/load_file), generation (generate, to_pretty_json), the
// options table of the docs and the local-ports flag: everything that reads
// or writes whole config files through the key table in registry.cpp.
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
// ---- loading -------------------------------------------------------------------

namespace {

// Looks up a dotted path below `root`. Returns nullptr when absent.
const json::value* lookup(const json::object& root, std::string_view path) {
  const json::object* obj = &root;
  while (true) {
    auto dot = path.find('.');
    auto key = path.substr(0, dot);
    auto it = obj->find(key);
    if (it == obj->end())
      return nullptr;
    if (dot == std::string_view::npos)
      return &it->value();
    if (!it->value().is_object())
      return nullptr;
    obj = &it->value().get_object();
    path.remove_prefix(dot + 1);
  }
}

bool under(std::string_view path, std::string_view block) {
  return path.size() > block.size() && path.substr(0, block.size()) == block
         && path[block.size()] == '.';
}

} // namespace

expected<visor_config> load_json(std::string_view text, std::string source_path) {
  if (text.size() > max_config_bytes)
    return make_error(config_errc::too_large,
                      "config is larger than " + std::to_string(max_config_bytes) + " bytes");
  json::stream_parser p;
  boost::system::error_code ec;
  size_t n = p.write(text.data(), text.size(), ec);
  if (!ec)
    p.finish(ec);
  if (ec)
    return make_error(config_errc::syntax,
                      "invalid JSON near byte " + std::to_string(n) + ": " + ec.message());
  json::value root = p.release();
  if (!root.is_object())
    return make_error(config_errc::syntax, "the config must be a JSON object");
  const auto& obj = root.get_object();

  visor_config cfg;
  cfg.source_path = std::move(source_path);
  const auto& defaults = reference_defaults();
  std::vector<std::string_view> absent_blocks;
  for (const auto& opt : registry()) {
    if (std::any_of(absent_blocks.begin(), absent_blocks.end(),
                    [&](std::string_view b) { return under(opt.path, b); }))
      continue;
    const json::value* v = lookup(obj, opt.path);
    if (v && v->is_null() && (opt.kind == value_kind::block || opt.kind == value_kind::string
                              || opt.kind == value_kind::url || opt.kind == value_kind::uint
                              || opt.kind == value_kind::boolean || opt.kind == value_kind::choice
                              || opt.kind == value_kind::duration
                              || opt.kind == value_kind::nanoseconds
                              || opt.kind == value_kind::host_port
                              || opt.kind == value_kind::hex_bytes
                              || opt.kind == value_kind::local_endpoint))
      v = nullptr; // Go: null leaves a scalar at its default
    if (!v) {
      if (opt.flags & opt_required)
        return make_error(config_errc::missing_key,
                          std::string{opt.path} + ": required (generate a config with `skywire cli config gen`)");
      if (opt.kind == value_kind::block) {
        if (opt.flags & opt_optional)
          absent_blocks.push_back(opt.path);
        continue;
      }
      if (opt.path == "pk")
        continue; // derived below
      if (opt.make_default && opt.bind) {
        auto d = opt.make_default(defaults);
        opt.bind(cfg, d);
      }
      continue;
    }
    std::string where;
    auto problem = check_value(opt, *v, where);
    if (!problem.empty())
      return make_error(config_errc::invalid_value,
                        std::string{opt.path} + where + ": " + problem);
    if (opt.bind)
      opt.bind(cfg, *v);
  }
  // pk must belong to sk
  auto derived = crypto::derive_public_key(cfg.sk);
  if (!derived)
    return make_error(config_errc::invalid_value, "sk: not a valid secp256k1 secret key");
  if (lookup(obj, "pk") == nullptr || lookup(obj, "pk")->is_null())
    cfg.pk = *derived;
  else if (cfg.pk != *derived)
    return make_error(config_errc::key_mismatch,
                      "pk: does not match sk (the public key of sk is " + derived->hex() + ")");
  for (const auto& kv : obj) {
    bool known = std::any_of(registry().begin(), registry().end(), [&](const option& o) {
      return o.path == std::string_view{kv.key()};
    });
    if (!known)
      cfg.unknown_keys.emplace_back(kv.key());
  }
  return cfg;
}

expected<visor_config> load_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(config_errc::io_error, path + ": cannot open the config file");
  std::string text;
  text.resize(max_config_bytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad())
    return make_error(config_errc::io_error, path + ": read error");
  if (text.size() > max_config_bytes)
    return make_error(config_errc::too_large, path + ": larger than "
                                                + std::to_string(max_config_bytes) + " bytes");
  return load_json(text, path);
}

// ---- generation ----------------------------------------------------------------

expected<json::object> generate(const gen_options& opts) {
  if (!opts.sk)
    return make_error(config_errc::missing_key, "sk: config gen needs a secret key");
  if (!crypto::derive_public_key(*opts.sk))
    return make_error(config_errc::invalid_value, "sk: not a valid secp256k1 secret key");
  if (!opts.cli_addr.empty())
    if (auto ep = parse_local_endpoint(opts.cli_addr); !ep)
      return make_error(config_errc::invalid_value, "cli_addr: " + message(ep.error()));
  json::object root;
  for (const auto& opt : registry()) {
    if ((opt.flags & opt_hv_only) && !opts.hypervisor)
      continue;
    // walk to the parent object, creating blocks in registry order
    json::object* parent = &root;
    std::string_view path = opt.path;
    for (auto dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.')) {
      auto& child = (*parent)[path.substr(0, dot)];
      if (!child.is_object())
        child = json::object{};
      parent = &child.get_object();
      path.remove_prefix(dot + 1);
    }
    if (opt.kind == value_kind::block)
      (*parent)[path] = json::object{};
    else if (opt.make_default)
      (*parent)[path] = opt.make_default(opts);
  }
  return root;
}

namespace {

void pretty(std::string& out, const json::value& v, int indent) {
  auto nl = [&](int n) {
    out += '\n';
    out.append(static_cast<size_t>(n) * 2, ' ');
  };
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: wire::json::append_int(out, v.get_int64()); break;
    case json::kind::uint64: wire::json::append_uint(out, v.get_uint64()); break;
    case json::kind::double_: out += json::serialize(v); break;
    case json::kind::string: wire::json::append_string(out, v.get_string()); break;
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        break;
      }
      out += '[';
      for (size_t i = 0; i < a.size(); ++i) {
        if (i)
          out += ',';
        nl(indent + 1);
        pretty(out, a[i], indent + 1);
      }
      nl(indent);
      out += ']';
      break;
    }
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        break;
      }
      out += '{';
      bool first = true;
      for (const auto& kv : o) {
        if (!first)
          out += ',';
        first = false;
        nl(indent + 1);
        wire::json::append_string(out, kv.key());
        out += ": ";
        pretty(out, kv.value(), indent + 1);
      }
      nl(indent);
      out += '}';
      break;
    }
  }
}

} // namespace

std::string to_pretty_json(const json::value& v) {
  std::string out;
  pretty(out, v, 0);
  return out;
}

std::string options_markdown() {
  gen_options sample = reference_defaults();
  std::string out = "| key | type | default (reference) | description |\n|---|---|---|---|\n";
  for (const auto& opt : registry()) {
    std::string def;
    if (opt.kind == value_kind::block)
      def = (opt.flags & opt_optional) ? "(optional block)" : "(block)";
    else if (opt.kind == value_kind::secret_key || opt.kind == value_kind::public_key)
      def = "(generated)";
    else if (opt.kind == value_kind::hex_bytes)
      def = "(random)";
    else if (opt.path == "hypervisor.db_path")
      def = "`<cwd>/users.db`";
    else if (opt.make_default) {
      auto d = opt.make_default(sample);
      def = json::serialize(d);
      if (def.size() > 60)
        def = d.is_array() ? "(" + std::to_string(d.get_array().size()) + " entries)" : "(see file)";
      def = "`" + def + "`";
    }
    std::string kind = to_string(opt.kind);
    if (opt.kind == value_kind::uint && opt.max)
      kind += " ≤ " + std::to_string(opt.max);
    if (opt.kind == value_kind::choice) {
      kind.clear();
      for (auto c : opt.choices)
        kind += (kind.empty() ? "" : " \\| ") + (c.empty() ? std::string{"\"\""} : std::string{c});
    }
    std::string doc{opt.doc};
    if (opt.flags & opt_required)
      doc += " (required)";
    std::string row = "| `" + std::string{opt.path} + "` | " + kind + " | " + def + " | " + doc + " |\n";
    // keep the table intact
    std::string safe;
    for (size_t i = 0; i < row.size(); ++i) {
      if (row[i] == '|' && i > 0 && row[i - 1] != ' ' && row[i - 1] != '\\' && i + 1 < row.size()
          && row[i + 1] != ' ')
        safe += "\\|";
      else
        safe += row[i];
    }
    out += safe;
  }
  return out;
}

caf::error parse_local_ports(std::string_view text, local_services& out) {
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos)
      return make_error(config_errc::invalid_value,
                        "expected name=port items (dmsgd, tpd, rf, ar, ut, sd)");
    auto name = item.substr(0, eq);
    auto num = item.substr(eq + 1);
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), p);
    if (ec != std::errc{} || ptr != num.data() + num.size() || p == 0 || p > 65535)
      return make_error(config_errc::invalid_value,
                        std::string{name} + ": expected a port in 1..65535");
    auto port = static_cast<uint16_t>(p);
    if (name == "dmsgd")
      out.dmsg_discovery = port;
    else if (name == "tpd")
      out.transport_discovery = port;
    else if (name == "rf")
      out.route_finder = port;
    else if (name == "ar")
      out.address_resolver = port;
    else if (name == "ut")
      out.uptime_tracker = port;
    else if (name == "sd")
      out.service_discovery = port;
    else
      return make_error(config_errc::invalid_value,
                        "unknown service \"" + std::string{name}
                          + "\" (known: dmsgd, tpd, rf, ar, ut, sd)");
  }
  return {};
}

} // namespace skywire::config
