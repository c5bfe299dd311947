// libFuzzer target: the HTTP server's request path without sockets: Beast's
// parser with the server's limits (parse_request), then the router and a
// handler answering through a responder. Properties: never crashes; failures
// map to 400/413/431; a parsed request respects the limits, splits path and
// query consistently, re-serialises and re-parses to the same request; route
// parameters are non-empty path segments; a responder answers exactly once.
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "runtime/http/parse.hpp"
#include "runtime/http/responder.hpp"
#include "runtime/http/router.hpp"

namespace http = skywire::http;
namespace bhttp = boost::beast::http;

#define FUZZ_ASSERT(cond)                                                                          \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      std::abort();                                                                                \
  } while (false)

namespace {

const http::router& routes() {
  static const http::router r = [] {
    http::router x;
    auto echo = [](http::request req, http::responder res) {
      res.send(http::make_response(200, std::string{req.param("pk")}));
    };
    x.get("/dmsg-discovery/entry/{pk}", echo, {.body_limit = 0});
    x.post("/dmsg-discovery/entry/", echo, {.body_limit = 4096});
    x.post("/dmsg-discovery/entry/{pk}", echo, {.body_limit = 4096});
    x.del("/dmsg-discovery/entry", echo, {.body_limit = 4096});
    x.get("/a/{x}/{y}/c", echo);
    x.get("/health", echo);
    return x;
  }();
  return r;
}

/// Writes the request with Beast and parses it again: the same request.
void round_trip(const http::request& req) {
  bhttp::request<bhttp::string_body> out{req.method, req.target, 11};
  for (const auto& [k, v] : req.headers)
    if (auto f = bhttp::string_to_field(k);
        f != bhttp::field::content_length && f != bhttp::field::transfer_encoding)
      out.insert(k, v); // the framing headers are recomputed by prepare_payload
  out.body() = req.body;
  out.prepare_payload();
  std::string text;
  {
    std::ostringstream os;
    os << out;
    text = os.str();
  }
  http::parse_limits wide{.header_limit = 1 << 20, .body_limit = 1 << 20};
  auto again = http::parse_request(text, wide);
  if (again) {
    FUZZ_ASSERT(again->method == req.method);
    FUZZ_ASSERT(again->target == req.target);
    FUZZ_ASSERT(again->body == req.body);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  http::parse_limits lim{.header_limit = 1024, .body_limit = 4096};
  http::parse_failure fail;
  size_t used = 0;
  auto req = http::parse_request(in, lim, &used, &fail);
  FUZZ_ASSERT(used <= in.size());
  if (!req) {
    FUZZ_ASSERT(fail.status == 400 || fail.status == 413 || fail.status == 431);
    return 0;
  }
  FUZZ_ASSERT(req->body.size() <= lim.body_limit);
  FUZZ_ASSERT(req->target.compare(0, req->path.size(), req->path) == 0);
  if (req->path.size() < req->target.size())
    FUZZ_ASSERT(req->target[req->path.size()] == '?');

  // re-serialise and parse again: the same request. Not a TRACE with a body:
  // RFC 9110 forbids a client to send one, and Beast refuses to write it (it
  // throws); our parser takes it and the router answers it like any other.
  if (!(req->method == bhttp::verb::trace && !req->body.empty()))
    round_trip(*req);

  auto m = routes().find(req->method, req->path);
  if (m.result == http::router::outcome::found) {
    for (const auto& [k, v] : m.params)
      FUZZ_ASSERT(!k.empty() && !v.empty() && v.find('/') == std::string::npos);
    int calls = 0;
    unsigned status = 0;
    {
      http::responder res{[&](http::response r) {
        ++calls;
        status = r.status;
      }};
      for (auto& [k, v] : m.params)
        req->params.emplace(k, v);
      m.r->fn(*req, res);
      FUZZ_ASSERT(!res.send(http::make_response(500, {}))); // second answer ignored
    }
    FUZZ_ASSERT(calls == 1 && status == 200);
  } else if (m.result == http::router::outcome::method_not_allowed) {
    FUZZ_ASSERT(!m.allow.empty());
  }
  return 0;
}
