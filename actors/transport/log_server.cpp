#include "actors/transport/log_server.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <system_error>

#include "actors/services/service_clock.hpp"
#include "messages/wire/health.hpp"
#include "messages/wire/transport/log_csv.hpp"
#include "runtime/config/visor_config.hpp"

namespace skywire::transport {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view text_plain = "text/plain; charset=utf-8";
constexpr std::string_view logs_prefix = "/transport_logs/";
constexpr std::string_view reward_file = "reward.txt";

http::response text(unsigned status, std::string body) {
  return http::make_response(status, std::move(body), std::string{text_plain});
}

http::response not_found() {
  return text(404, "404 page not found\n");
}

bool get_or_head(const http::request& req) {
  return req.method == http::verb::get || req.method == http::verb::head;
}

http::response method_not_allowed() {
  auto r = text(405, "method not allowed\n");
  r.headers.emplace_back("Allow", "GET, HEAD");
  return r;
}

enum class read_result { ok, missing, too_large, failed };

/// A regular file (a symlink is not followed), at most `limit` bytes.
read_result read_regular_file(const fs::path& path, size_t limit, std::string& out) {
  std::error_code ec;
  auto st = fs::symlink_status(path, ec);
  if (ec || st.type() == fs::file_type::not_found)
    return read_result::missing;
  if (st.type() != fs::file_type::regular)
    return read_result::missing;
  auto size = fs::file_size(path, ec);
  if (ec)
    return read_result::failed;
  if (size > limit)
    return read_result::too_large;
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return read_result::failed;
  out.assign(static_cast<size_t>(size), '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  if (static_cast<size_t>(in.gcount()) != out.size())
    return read_result::failed;
  return read_result::ok;
}

} // namespace

std::vector<public_key> log_server_whitelist(const config::visor_config& c) {
  std::vector<public_key> out;
  auto add = [&out](const std::vector<public_key>& keys) {
    for (const auto& k : keys)
      if (std::find(out.begin(), out.end(), k) == out.end())
        out.push_back(k);
  };
  add(c.survey_whitelist);
  add(c.hypervisors);
  add(c.dmsgpty.whitelist);
  return out;
}

log_server_config make_log_server_config(const config::visor_config& c) {
  log_server_config out;
  if (c.transport.log_store.type != "memory")
    out.transport_logs = c.transport.log_store.location;
  out.local_path = c.local_path;
  out.whitelist = log_server_whitelist(c);
  return out;
}

log_server::log_server(log_server_config cfg) : cfg_(std::move(cfg)) {
  if (cfg_.started_at_ns == 0)
    cfg_.started_at_ns = services::system_unix_ns();
}

bool log_server::is_log_file_name(std::string_view name) noexcept {
  return wire::transport::parse_log_file_name(name).has_value();
}

bool log_server::whitelisted(const public_key& pk) const {
  return std::find(cfg_.whitelist.begin(), cfg_.whitelist.end(), pk) != cfg_.whitelist.end();
}

http::response log_server::health() const {
  wire::health_response h;
  h.build_info = wire::build_info{cfg_.version, cfg_.commit, cfg_.date};
  h.started_at = services::rfc3339(cfg_.started_at_ns);
  return http::make_response(200, wire::encode_health(h));
}

http::response log_server::log_file(std::string_view name) const {
  if (cfg_.transport_logs.empty() || !is_log_file_name(name))
    return not_found();
  std::string body;
  switch (read_regular_file(cfg_.transport_logs / std::string{name}, cfg_.max_file, body)) {
  case read_result::ok: return http::make_response(200, std::move(body), "text/csv; charset=utf-8");
  case read_result::missing: return not_found();
  case read_result::too_large: return text(500, "log file too large\n");
  case read_result::failed: break;
  }
  return text(500, "cannot read the log file\n");
}

std::optional<http::response> log_server::handle(const http::request& req,
                                                 const public_key& remote) const {
  // the path as received, without its query; nothing is percent-decoded:
  // every name served here is plain ASCII, so an escaped form is not ours
  std::string_view path = req.path.empty() ? std::string_view{req.target} : req.path;
  if (auto q = path.find_first_of("?#"); q != std::string_view::npos)
    path = path.substr(0, q);

  if (path == "/health")
    return get_or_head(req) ? health() : method_not_allowed();

  if (path == "/node-info") {
    if (!get_or_head(req))
      return method_not_allowed();
    if (!whitelisted(remote))
      return text(403, "forbidden\n");
    auto survey = cfg_.node_info ? cfg_.node_info() : std::nullopt;
    if (!survey)
      return not_found();
    return http::make_response(200, std::move(*survey));
  }

  if (path.size() == 1 + reward_file.size() && path.substr(1) == reward_file) {
    if (!get_or_head(req))
      return method_not_allowed();
    if (!whitelisted(remote))
      return text(403, "forbidden\n");
    if (cfg_.local_path.empty())
      return not_found();
    std::string body;
    switch (read_regular_file(cfg_.local_path / std::string{reward_file}, 4096, body)) {
    case read_result::ok: return text(200, std::move(body));
    case read_result::missing: return not_found();
    case read_result::too_large:
    case read_result::failed: break;
    }
    return text(500, "cannot read the reward file\n");
  }

  if (path.substr(0, logs_prefix.size()) == logs_prefix) {
    if (!get_or_head(req))
      return method_not_allowed();
    return log_file(path.substr(logs_prefix.size()));
  }

  // "/YYYY-MM-DD.csv": a log file when there is one, else the file server's
  if (path.size() > 1 && path.front() == '/' && is_log_file_name(path.substr(1))) {
    if (!get_or_head(req))
      return method_not_allowed();
    auto r = log_file(path.substr(1));
    if (r.status == 404)
      return std::nullopt;
    return r;
  }
  return std::nullopt;
}

http::response log_server::handle_or_404(const http::request& req,
                                         const public_key& remote) const {
  if (auto r = handle(req, remote))
    return std::move(*r);
  return not_found();
}

} // namespace skywire::transport
