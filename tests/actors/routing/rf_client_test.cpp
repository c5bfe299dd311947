// The visor's route finder client against a fake sender: the request it
// sends (the reference's bytes, POST <base>/routes, its bounds), and what it
// makes of answers, hostile ones included: errors as values with the
// reference's statuses mapped, never a crash or an unbounded answer.
#include <doctest/doctest.h>

#include "actors/routing/rf_client.hpp"
#include "actors/transport/client_errors.hpp"

using namespace skywire;
namespace wr = skywire::wire::routing;
using transport::client_errc;

namespace {

public_key pk(uint8_t n) {
  public_key k;
  k.bytes.fill(n);
  k.bytes[0] = 0x02;
  return k;
}

transport_id tid(uint8_t n) {
  transport_id t;
  t.bytes.fill(n);
  return t;
}

/// A client whose sender records the request and answers `answer`.
struct fake {
  http::client_request sent;
  int calls = 0;
  expected<http::response> answer = http::response{};

  routing::rf_client client(std::string url = "http://127.0.0.1:9092/rf/") {
    routing::rf_client::options o;
    o.timeout = std::chrono::milliseconds{1234};
    o.limits.max_bytes = 4096;
    o.send = [this](http::client_request req, http::client_callback cb) {
      sent = std::move(req);
      ++calls;
      cb(answer);
    };
    auto c = routing::rf_client::make(url, std::move(o));
    REQUIRE(c);
    return *c;
  }
};

expected<routing::routes_map> find(const routing::rf_client& c,
                                   std::vector<routing::path_edge> edges, uint16_t min = 0,
                                   uint16_t max = 50) {
  expected<routing::routes_map> out = caf::error{};
  int called = 0;
  c.find_routes(std::move(edges), min, max, [&](expected<routing::routes_map> r) {
    out = std::move(r);
    ++called;
  });
  CHECK(called == 1);
  return out;
}

http::response ok(std::string body) {
  return http::make_response(200, std::move(body));
}

} // namespace

TEST_CASE("rf_client: sends the reference's request to <base>/routes with its bounds") {
  fake f;
  wr::routes_map m{{{pk(1), pk(2)}, {{{tid(1), pk(1), pk(3)}, {tid(2), pk(3), pk(2)}}}},
                   {{pk(2), pk(1)}, {{{tid(2), pk(2), pk(3)}, {tid(1), pk(3), pk(1)}}}}};
  f.answer = ok(wr::encode_routes(m));
  auto c = f.client();
  auto r = find(c, {{pk(1), pk(2)}, {pk(2), pk(1)}}, 0, 50);
  REQUIRE_MESSAGE(r, describe(r.error()));
  CHECK(r->size() == 2);
  CHECK(r->at({pk(1), pk(2)})[0].size() == 2);
  CHECK(f.sent.method == http::verb::post);
  CHECK(f.sent.host == "127.0.0.1");
  CHECK(f.sent.port == 9092);
  CHECK(f.sent.target == "/rf/routes");
  CHECK(f.sent.timeout == std::chrono::milliseconds{1234});
  CHECK(f.sent.response_limit == 4096);
  CHECK(f.sent.body
        == wr::encode_find_routes_request({{{pk(1), pk(2)}, {pk(2), pk(1)}}, {0, 50}}));
}

TEST_CASE("rf_client: refuses bad arguments before sending anything") {
  fake f;
  auto c = f.client();
  auto r = find(c, {});
  REQUIRE_FALSE(r);
  CHECK(transport::is(r.error(), client_errc::invalid_argument));
  r = find(c, {{pk(1), public_key{}}});
  REQUIRE_FALSE(r);
  CHECK(transport::is(r.error(), client_errc::invalid_argument));
  r = find(c, std::vector<routing::path_edge>(17, {pk(1), pk(2)}));
  REQUIRE_FALSE(r);
  CHECK(f.calls == 0);
  CHECK_FALSE(routing::rf_client::make("not a url", {}));
  routing::rf_client::options none;
  CHECK_FALSE(routing::rf_client::make("http://127.0.0.1:1", none)); // no sender
}

TEST_CASE("rf_client: error statuses map to client errors with the route finder's message") {
  fake f;
  auto c = f.client();
  f.answer = http::make_response(404, R"({"error":{"message":"route not found","code":404}})"
                                      "\n");
  auto r = find(c, {{pk(1), pk(2)}});
  REQUIRE_FALSE(r);
  CHECK(transport::is(r.error(), client_errc::not_found));
  CHECK(transport::server_message(r.error()) == "route not found");
  f.answer = http::make_response(400, R"({"error":{"message":"bad","code":400}})");
  r = find(c, {{pk(1), pk(2)}});
  CHECK(transport::is(r.error(), client_errc::bad_request));
  f.answer = http::make_response(500, "oops");
  r = find(c, {{pk(1), pk(2)}});
  CHECK(transport::is(r.error(), client_errc::server_error));
  f.answer = make_error(wire_errc::malformed, "connection reset");
  r = find(c, {{pk(1), pk(2)}});
  CHECK(transport::is(r.error(), client_errc::unreachable));
}

TEST_CASE("rf_client: hostile answers are bad responses, whole") {
  fake f;
  auto c = f.client();
  auto bad = [&](std::string body) {
    f.answer = ok(std::move(body));
    auto r = find(c, {{pk(1), pk(2)}}, 0, 3);
    REQUIRE_FALSE(r);
    CHECK(transport::is(r.error(), client_errc::bad_response));
    return describe(r.error());
  };
  auto route = [](std::vector<wr::hop> hops) {
    return wr::encode_routes({{{pk(1), pk(2)}, {std::move(hops)}}});
  };
  bad("");
  bad("null");
  bad("{}");                                  // the edge asked is not answered
  bad(std::string(5000, ' ') + "{}");         // over the byte bound
  bad(route({{tid(1), pk(2), pk(1)}}));       // starts at the wrong key
  bad(route({{tid(1), pk(1), pk(3)}}));       // ends at the wrong key
  bad(route({{tid(1), pk(1), pk(3)}, {tid(2), pk(4), pk(2)}})); // a gap
  bad(route({{tid(1), pk(1), pk(3)}, {tid(2), pk(3), pk(1)}, {tid(3), pk(1), pk(2)}})); // a loop
  bad(route({{tid(1), pk(1), pk(3)}, {tid(2), pk(3), pk(4)}, {tid(3), pk(4), pk(5)},
             {tid(4), pk(5), pk(2)}})); // longer than max hops
  auto extra = wr::encode_routes(
    {{{pk(1), pk(2)}, {{{tid(1), pk(1), pk(2)}}}}, {{pk(2), pk(1)}, {{{tid(1), pk(2), pk(1)}}}}});
  CHECK(bad(extra).find("not asked") != std::string::npos);
  // the same path twice
  f.answer = ok(wr::encode_routes({{{pk(1), pk(2)}, {{{tid(1), pk(1), pk(2)}}, {{tid(1), pk(1), pk(2)}}}}}));
  CHECK(bad(f.answer->body).find("the same path twice") != std::string::npos);
  // 17 paths: over the paths bound
  std::vector<wr::path> many;
  for (uint8_t i = 0; i < 17; ++i)
    many.push_back({{tid(i), pk(1), pk(2)}});
  f.answer = ok(wr::encode_routes({{{pk(1), pk(2)}, many}}));
  routing::rf_client::options o;
  o.send = [&f](http::client_request, http::client_callback cb) { cb(f.answer); };
  auto wide = routing::rf_client::make("http://127.0.0.1:1", std::move(o));
  REQUIRE(wide);
  auto r = find(*wide, {{pk(1), pk(2)}});
  REQUIRE_FALSE(r);
  CHECK(transport::is(r.error(), client_errc::bad_response));
  many.resize(16);
  f.answer = ok(wr::encode_routes({{{pk(1), pk(2)}, many}}));
  CHECK(find(*wide, {{pk(1), pk(2)}}));
}
