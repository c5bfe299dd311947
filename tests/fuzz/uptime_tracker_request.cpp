// libFuzzer target: the uptime tracker's request handling without sockets
// (actors/services/uptime_tracker): the first byte picks the operation, the
// rest is parsed as an HTTP request with the server's limits, its path
// parameters filled as the tracker's own routes would, then ut_api::handle.
// Every query (?v=, ?visors=, ?status=, ?startDate=/endDate=, ?date=,
// ?version=), path key and httpauth header is hostile. Properties: never
// crashes or throws; an answer is one the API documents (never a 500), a
// JSON answer parses, a refusal has a body.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/json/parse.hpp>

#include "actors/services/uptime_tracker/api.hpp"
#include "actors/services/uptime_tracker/service.hpp"
#include "runtime/http/parse.hpp"

namespace http = skywire::http;
namespace ut = skywire::services::uptime_tracker;

#define FUZZ_ASSERT(cond)                                                                          \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      std::abort();                                                                                \
  } while (false)

namespace {

constexpr int64_t fixed_now = 1'733'000'000'000'000'000; // 2024-11-30, unix ns

const http::router& routes() {
  static const http::router r = ut::make_ut_routes(caf::actor{}); // matched, never called
  return r;
}

bool documented(unsigned status) {
  switch (status) {
  case 200:
  case 400:
  case 401:
  case 403:
  case 404:
  case 410:
  case 429:
  case 503: return true;
  default: return false;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  auto op = static_cast<ut::ut_op>(data[0] % (static_cast<unsigned>(ut::ut_op::metrics) + 1));
  std::string_view in{reinterpret_cast<const char*>(data + 1), size - 1};
  auto req = http::parse_request(in, http::parse_limits{.header_limit = 4096, .body_limit = 0});
  if (!req)
    return 0;
  auto m = routes().find(req->method, req->path);
  for (auto& [k, v] : m.params)
    req->params.emplace(k, v);
  req->remote = "203.0.113.9:40000";
  ut::ut_config cfg;
  cfg.clock = [] { return fixed_now; };
  cfg.max_visors = 16;
  cfg.max_visor_filter = 16;
  cfg.locate = [](const std::string&) { return std::optional<std::pair<double, double>>{}; };
  ut::ut_api api{cfg};
  auto r = api.handle(op, *req);
  FUZZ_ASSERT(documented(r.status));
  if (r.status != 200 && r.status != 410)
    FUZZ_ASSERT(!r.body.empty());
  if (r.content_type == "application/json" && !r.body.empty()) {
    boost::system::error_code ec;
    boost::json::parse(r.body, ec);
    FUZZ_ASSERT(!ec);
  }
  api.sweep();
  return 0;
}
