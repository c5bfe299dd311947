#include "actors/services/http_service.hpp"

#include <algorithm>

#include "actors/services/service_clock.hpp"
#include "messages/wire/json/go_json.hpp"
#include "messages/wire/health.hpp"
#include "runtime/http/metrics.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/stop_and_wait.hpp"

namespace skywire::services {

namespace detail {

void log_still_running(const char* name) {
  SKYWIRE_LOG(info, name, "service actor still running 5 s after stop");
}

void log_handler_failure(const char* name, const std::string& path, const char* what) {
  SKYWIRE_LOG(info, name, "request failed", log::kv("path", path), log::kv("error", what));
}

} // namespace detail

void http_service_handle::stop() {
  if (server)
    server->stop();
  if (actor && !system::stop_and_wait(actor))
    detail::log_still_running(name);
  actor = nullptr;
}

http::server_config service_server_config(std::string host, uint16_t port, size_t max_connections) {
  http::server_config c;
  c.host = std::move(host);
  c.port = port;
  c.max_connections = max_connections;
  c.default_body_limit = 4096;
  return c;
}

http::response health_answer(const std::string& version, int64_t started_at_unix_ns,
                             const std::string& dmsg_address) {
  wire::health_response h;
  h.build_info = wire::build_info{version, "", ""};
  h.started_at = rfc3339(started_at_unix_ns);
  h.dmsg_address = dmsg_address;
  return http::make_response(200, wire::encode_health(h));
}

std::optional<page_request> page_of(const http::request& req, size_t max_limit) {
  auto number = [&](std::string_view name, size_t dflt) -> std::optional<size_t> {
    auto v = req.query_param(name);
    if (!v || v->empty())
      return dflt;
    size_t n = 0;
    for (char c : *v) {
      if (c < '0' || c > '9' || n > (size_t{1} << 40))
        return std::nullopt;
      n = n * 10 + static_cast<size_t>(c - '0');
    }
    return n;
  };
  auto offset = number("offset", 0);
  auto limit = number("limit", max_limit);
  if (!offset || !limit)
    return std::nullopt;
  return page_request{*offset, std::min(*limit, max_limit)};
}

void add_page_headers(http::response& r, size_t total, size_t next) {
  r.headers.emplace_back("X-Total-Count", std::to_string(total));
  if (next < total)
    r.headers.emplace_back("X-Next-Offset", std::to_string(next));
}

http::response error_object_reply(unsigned status, std::string_view text) {
  std::string body;
  wire::json::writer w{body};
  w.begin_object().key("error").string(text).end_object();
  body += '\n';
  return http::make_response(status, std::move(body));
}

void append_metric(std::string& out, std::string_view prefix, std::string_view name,
                   std::string_view type, uint64_t v) {
  http::append_metric(out, prefix, name, type, v);
}

} // namespace skywire::services
