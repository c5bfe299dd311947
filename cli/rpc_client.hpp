// A blocking client of the visor's CLI socket (cli_gateway): one JSON line
// out, one JSON line back, bounded by timeouts and a response size limit.
// The CLI is a short-lived process, so blocking is fine here (never in an actor).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "runtime/config/endpoint.hpp"

namespace skywire::cli {

struct rpc_result {
  bool ok = false;
  boost::json::value result;    ///< when ok
  int code = 0;                 ///< when !ok: JSON-RPC code, or 0 for transport errors
  std::string message;          ///< when !ok
  bool unreachable = false;     ///< could not connect at all
};

rpc_result rpc_call(const config::local_endpoint& ep, const std::string& method,
                    const boost::json::object& params = {},
                    std::chrono::milliseconds dial_timeout = std::chrono::seconds(5),
                    std::chrono::milliseconds call_timeout = std::chrono::seconds(20));

/// Resolves the visor address: --rpc, else cli_addr of the config file given
/// with -c (or ./skywire-config.json when it exists), else localhost:3435.
std::optional<config::local_endpoint> resolve_rpc(const std::string& rpc_flag,
                                                  const std::string& config_flag,
                                                  std::string& error);

} // namespace skywire::cli
