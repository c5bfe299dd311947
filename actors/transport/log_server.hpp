// The visor's dmsghttp log server (reference §1.6, §3.8, §6.5), served on
// dmsg port 80, as an HTTP request handler: a plain class, request in,
// response out, given the caller's public key (the dmsg stream's remote).
// dmsg_tools::file_server_config::handler plugs it into the dmsghttp server,
// whose file serving then takes what it leaves (dmsghttp_server_path).
//
//   GET /health                      {"build_info":{…},"started_at":"…"}     everyone
//   GET /<YYYY-MM-DD>.csv            a transport log file                     everyone
//   GET /transport_logs/<YYYY-MM-DD>.csv   the same                           everyone
//   GET /node-info                   the survey JSON                          whitelisted keys
//   GET /reward.txt                  <local_path>/reward.txt                  whitelisted keys
//
// HEAD is answered like GET without a body; other methods on these paths:
// 405. Log files are served only under names exactly "YYYY-MM-DD.csv" with
// a real date, as regular files (no symlink) directly inside the log folder:
// no percent-decoding, no "..", no other name ever reaches the file system.
// A /<name>.csv that is not a log file is left to the file server (the
// reference also falls back to dmsghttp_server_path); anything else under
// /transport_logs/ is 404.
//
// Differences from the reference: a key off the whitelist gets 403 (the
// reference: 401); an empty whitelist admits nobody to /node-info and
// /reward.txt (the reference then serves them to everyone: the survey holds
// the visor's IP, MAC addresses and reward address); files over max_file
// bytes are 500, not streamed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/ids.hpp"
#include "runtime/http/message.hpp"

namespace skywire::config {
struct visor_config;
}

namespace skywire::transport {

struct log_server_config {
  std::filesystem::path transport_logs; ///< transport.log_store.location ("" = none)
  std::filesystem::path local_path;     ///< where reward.txt lives ("" = none)
  std::vector<public_key> whitelist;    ///< /node-info and /reward.txt
  /// The survey (node-info) JSON, or nullopt while there is none (404).
  std::function<std::optional<std::string>()> node_info;
  std::string version = "skywire-cpp 0.1.0";
  std::string commit;
  std::string date;
  int64_t started_at_ns = 0; ///< for /health; 0: when the handler was made
  size_t max_file = 16u << 20;
};

/// The config's whitelist for the survey: survey_whitelist, hypervisors and
/// dmsgpty.whitelist (as the Go visor builds it), duplicates removed.
std::vector<public_key> log_server_whitelist(const config::visor_config& c);

/// A config from the visor config (paths, whitelist); node_info left empty.
log_server_config make_log_server_config(const config::visor_config& c);

class log_server {
public:
  explicit log_server(log_server_config cfg);

  /// The answer for a request from `remote`, or nullopt when the path is none
  /// of the log server's (the caller serves its files or answers 404).
  std::optional<http::response> handle(const http::request& req, const public_key& remote) const;

  /// handle(), with 404 for what it leaves.
  http::response handle_or_404(const http::request& req, const public_key& remote) const;

  /// Whether `name` is a log file name the server may serve ("YYYY-MM-DD.csv").
  static bool is_log_file_name(std::string_view name) noexcept;

  const log_server_config& config() const noexcept { return cfg_; }

private:
  http::response health() const;
  http::response log_file(std::string_view name) const;
  bool whitelisted(const public_key& pk) const;

  log_server_config cfg_;
};

} // namespace skywire::transport
