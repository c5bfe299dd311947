// What the `skywire cli visor …` commands share: the common flags (--json,
// --rpc, -c), one call of the visor's CLI socket with its failure printed,
// and the table printer.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

namespace skywire::cli {

struct visor_flags {
  bool json = false;
  std::string rpc;
  std::string config;
};

/// The options description of a visor command: usage line, what it does,
/// and --help, --json, --rpc, -c.
boost::program_options::options_description visor_options(const std::string& argv0,
                                                          const std::string& usage,
                                                          const std::string& what,
                                                          visor_flags& c);

/// One call; prints the failure (or hands it to error_out) and sets rc.
std::optional<boost::json::value> visor_call(const visor_flags& c, const std::string& method,
                                             const boost::json::object& params, int& rc,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(20),
                                             std::string* error_out = nullptr);

/// One call, its answer printed: as JSON with --json, else by `human`.
/// Returns the command's exit code.
int call_and_print(const visor_flags& c, const std::string& method,
                   const boost::json::object& params,
                   const std::function<void(const boost::json::value&)>& human,
                   std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// Prints "argv0: text", the usage, and returns exit_usage.
int usage_error(const std::string& argv0, const std::string& text,
                const boost::program_options::options_description& desc);

/// Columns padded to the widest cell (3 spaces between).
void print_table(const std::vector<std::vector<std::string>>& rows);

/// A field of a JSON object as text ("-" when absent or null).
std::string json_field(const boost::json::value& v, const char* key);

} // namespace skywire::cli
