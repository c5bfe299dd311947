#include "cli/visor_call.hpp"

#include <algorithm>
#include <iostream>

#include "cli/command.hpp"
#include "cli/rpc_client.hpp"

namespace po = boost::program_options;
namespace json = boost::json;

namespace skywire::cli {

po::options_description visor_options(const std::string& argv0, const std::string& usage,
                                      const std::string& what, visor_flags& c) {
  po::options_description desc{"usage: " + argv0 + usage + "\n" + what + "\n\noptions"};
  desc.add_options()("help,h", "show this help")("json", po::bool_switch(&c.json),
                                                 "print JSON instead of a table")(
    "rpc", po::value(&c.rpc)->value_name("ADDR"),
    "visor CLI socket: unix:///path, ./path or localhost:PORT (default: cli_addr of the "
    "config, else localhost:3435)")("config,c", po::value(&c.config)->value_name("FILE"),
                                    "read cli_addr from this config file");
  return desc;
}

std::optional<json::value> visor_call(const visor_flags& c, const std::string& method,
                                      const json::object& params, int& rc,
                                      std::chrono::milliseconds timeout, std::string* error_out) {
  std::string err;
  auto ep = resolve_rpc(c.rpc, c.config, err);
  if (!ep) {
    std::cerr << "skywire: " << err << '\n';
    rc = exit_failure;
    return std::nullopt;
  }
  auto r = rpc_call(*ep, method, params, std::chrono::seconds(5), timeout);
  if (!r.ok) {
    if (error_out)
      *error_out = r.message;
    else
      std::cerr << "skywire: " << r.message << '\n';
    rc = exit_failure;
    return std::nullopt;
  }
  rc = exit_ok;
  return std::move(r.result);
}

int usage_error(const std::string& argv0, const std::string& text,
                const po::options_description& desc) {
  std::cerr << argv0 << ": " << text << "\n\n" << desc << '\n';
  return exit_usage;
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i)
        width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      std::cout << r[i];
      if (i + 1 < r.size())
        std::cout << std::string(width[i] - r[i].size() + 3, ' ');
    }
    std::cout << '\n';
  }
}

int call_and_print(const visor_flags& c, const std::string& method, const json::object& params,
                   const std::function<void(const json::value&)>& human,
                   std::chrono::milliseconds timeout) {
  int rc = 0;
  auto v = visor_call(c, method, params, rc, timeout);
  if (!v)
    return rc;
  if (c.json)
    std::cout << json::serialize(*v) << '\n';
  else
    human(*v);
  return exit_ok;
}

std::string json_field(const json::value& v, const char* key) {
  if (!v.is_object())
    return "-";
  auto* x = v.get_object().if_contains(key);
  if (!x || x->is_null())
    return "-";
  if (x->is_string())
    return std::string{x->get_string()};
  return json::serialize(*x);
}

} // namespace skywire::cli
