// The CLI socket's protocol as plain code (actors/visor/cli_rpc): the line
// framing (a trailing '\r', partial lines, the max_line bound), a request
// line parsed or refused with its JSON-RPC code, the answer lines' exact
// bytes, and the typed param readers with their problems as values (a
// missing param, a wrong type, out-of-range numbers).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <variant>

#include <caf/sec.hpp>

#include "actors/visor/cli_rpc.hpp"

using namespace skywire;
using namespace skywire::visor::cli;

namespace {

// secp256k1's generator, compressed: a valid public key.
constexpr const char* g_hex = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

request parsed(std::string_view line) {
  auto r = parse_request(line);
  REQUIRE(std::holds_alternative<request>(r));
  return std::get<request>(std::move(r));
}

request_error refused(std::string_view line) {
  auto r = parse_request(line);
  REQUIRE(std::holds_alternative<request_error>(r));
  return std::get<request_error>(std::move(r));
}

json::value obj(std::string_view text) {
  return json::parse(text);
}

void feed(line_framer& f, std::string_view bytes) {
  f.append(bytes.data(), bytes.size());
}

/// The next line, which must be there.
std::string take(line_framer& f) {
  auto line = f.next();
  REQUIRE(line);
  return std::string{*line};
}

/// {"<key>":"<G>"<rest>}: params with a valid public key.
json::value with_pk(const char* key, std::string_view rest) {
  return obj("{\"" + std::string{key} + "\":\"" + g_hex + "\"" + std::string{rest} + "}");
}

template <class T> std::string problem(const std::variant<T, bad_params>& v) {
  REQUIRE(std::holds_alternative<bad_params>(v));
  return std::get<bad_params>(v).text;
}

} // namespace

TEST_CASE("a valid request: id, method and params") {
  auto r = parsed(R"({"id":7,"method":"app-visor.Transport",)"
                  R"("params":{"id":"0d5c8a4e-7b1f-4c2a-9e3d-1a2b3c4d5e6f"}})");
  CHECK(r.rid == "7");
  CHECK(r.method == "app-visor.Transport");
  REQUIRE(r.params_ptr() != nullptr);
  auto tid = id_param(r.params_ptr());
  REQUIRE(std::holds_alternative<transport_id>(tid));
  CHECK(std::get<transport_id>(tid).to_string() == "0d5c8a4e-7b1f-4c2a-9e3d-1a2b3c4d5e6f");

  auto s = parsed(R"({"id":"a","method":"visor.info","params":null})");
  CHECK(s.rid == "\"a\"");
  CHECK(s.params_ptr() == nullptr);
  CHECK(parsed(R"({"method":"visor.pk"})").rid == "null");
}

TEST_CASE("an invalid line or request is refused with its code") {
  auto bad_json = refused("{\"id\":1,\"method\":");
  CHECK(bad_json.code == parse_error);
  CHECK(bad_json.rid == "null");
  CHECK(bad_json.message.rfind("invalid JSON: ", 0) == 0);

  auto not_object = refused("[1,2]");
  CHECK(not_object.code == invalid_request);
  CHECK(not_object.message == "a request must be a JSON object");

  auto bad_id = refused(R"({"id":{"x":1},"method":"visor.pk"})");
  CHECK(bad_id.code == invalid_request);
  CHECK(bad_id.rid == "null");
  CHECK(bad_id.message == "id must be a number, a string or null");

  auto no_method = refused(R"({"id":3,"method":5})");
  CHECK(no_method.code == invalid_request);
  CHECK(no_method.rid == "3");
  CHECK(no_method.message == "method must be a string");

  auto bad_params_type = refused(R"({"id":4,"method":"visor.pk","params":[1]})");
  CHECK(bad_params_type.code == invalid_params);
  CHECK(bad_params_type.rid == "4");
  CHECK(bad_params_type.message == "params must be an object");
}

TEST_CASE("answer lines, byte for byte") {
  CHECK(result_line("7", "{\"a\":1}") == "{\"id\":7,\"result\":{\"a\":1}}\n");
  CHECK(error_line("\"x\"", invalid_params, "say \"no\"")
        == "{\"id\":\"x\",\"error\":{\"code\":-32602,\"message\":\"say \\\"no\\\"\"}}\n");
  auto timeout = caf::make_error(caf::sec::request_timeout);
  CHECK(error_code(timeout) == timeout_error);
  CHECK(error_text(timeout) == "the visor did not answer in time");
  auto failed = caf::make_error(caf::sec::runtime_error, std::string{"no such transport"});
  CHECK(error_code(failed) == server_error);
  CHECK(error_text(failed) == "no such transport");
}

TEST_CASE("a missing param is a bad_params with its text") {
  auto empty = obj("{}");
  CHECK(problem(pk_param(&empty, "pk")) == "params.pk must be a public key (66 hex digits)");
  CHECK(problem(pk_param(nullptr, "RemotePK"))
        == "params.RemotePK must be a public key (66 hex digits)");
  CHECK(problem(id_param(&empty)) == "params.id must be a transport ID (UUID text)");
  CHECK(problem(route_id_param(nullptr)) == "params.id must be a route ID (a number)");
  CHECK(problem(app_name_param(&empty, "AppName")) == "params.AppName must name an app");
  CHECK(problem(rule_param(&empty)) == "params.rule must be a RuleSummary object");
  CHECK(param(nullptr, "x") == nullptr);
  CHECK(param(&empty, "x") == nullptr);

  auto no_type = with_pk("RemotePK", "");
  CHECK(problem(add_param(&no_type)) == "params.TpType must name a transport type");
}

TEST_CASE("a param of the wrong type or range is a bad_params") {
  auto num_pk = obj(R"({"pk":12})");
  CHECK(problem(pk_param(&num_pk, "pk")) == "params.pk must be a public key (66 hex digits)");
  auto short_pk = obj(R"({"pk":"02ab"})");
  CHECK(problem(pk_param(&short_pk, "pk")) == "params.pk: not a public key");
  auto bad_uuid = obj(R"({"id":"not-a-uuid"})");
  CHECK(problem(id_param(&bad_uuid)).rfind("params.id: not a transport ID: ", 0) == 0);

  auto zero = obj(R"({"id":0})");
  CHECK(problem(route_id_param(&zero)) == "params.id must be a route ID in 1..4294967295");
  auto too_big = obj(R"({"id":4294967296})");
  CHECK(problem(route_id_param(&too_big)) == "params.id must be a route ID in 1..4294967295");
  auto max_id = obj(R"({"id":4294967295})");
  auto rid = route_id_param(&max_id);
  REQUIRE(std::holds_alternative<uint32_t>(rid));
  CHECK(std::get<uint32_t>(rid) == 4294967295u);

  auto long_name = obj("{\"name\":\"" + std::string(65, 'a') + "\"}");
  CHECK(problem(app_name_param(&long_name, "name")) == "params.name must name an app");

  auto types = obj(R"({"FilterTypes":"stcp"})");
  CHECK(problem(filter_param(&types)) == "params.FilterTypes must be an array of type names");
  auto pks = obj(R"({"FilterPubKeys":[1]})");
  CHECK(problem(filter_param(&pks)) == "params.FilterPubKeys: not a public key");
  auto filter =
      obj(std::string{R"({"FilterTypes":["stcp","sudph"],"FilterPubKeys":[")"} + g_hex + "\"]}");
  auto f = filter_param(&filter);
  REQUIRE(std::holds_alternative<api::transport_filter>(f));
  CHECK(std::get<api::transport_filter>(f).types.size() == 2);
  CHECK(std::get<api::transport_filter>(f).pks.size() == 1);

  auto neg_timeout = with_pk("RemotePK", R"(,"TpType":"stcp","Timeout":-1)");
  CHECK(problem(add_param(&neg_timeout))
        == "params.Timeout must be nanoseconds or a duration (\"30s\")");
  auto go_timeout = with_pk("RemotePK", R"(,"TpType":"stcp","Timeout":"30s")");
  auto add = add_param(&go_timeout);
  REQUIRE(std::holds_alternative<api::transport_request>(add));
  CHECK(std::get<api::transport_request>(add).type == "stcp");
  CHECK(std::get<api::transport_request>(add).timeout_ms == 30000);
  auto long_timeout = with_pk("RemotePK", R"(,"TpType":"stcp","Timeout":1000000000000)");
  auto capped = add_param(&long_timeout);
  REQUIRE(std::holds_alternative<api::transport_request>(capped));
  CHECK(std::get<api::transport_request>(capped).timeout_ms == 300000);
}

TEST_CASE("route requests: the key, then bounded integers") {
  uint16_t count = 5;
  uint8_t hops = 0;
  public_key remote;
  auto ok = with_pk("pk", R"(,"count":10)");
  CHECK_FALSE(route_request(&ok, remote, "count 0..100, min_hops 0..255",
                            int_field{"count", 0, 100, count},
                            int_field{"min_hops", 0, 255, hops}));
  CHECK(remote.hex() == g_hex);
  CHECK(count == 10);
  CHECK(hops == 0); // absent: unchanged

  auto out_of_range = with_pk("pk", R"(,"count":101)");
  auto b = route_request(&out_of_range, remote, "count 0..100", int_field{"count", 0, 100, count});
  REQUIRE(b);
  CHECK(b->text == "count 0..100");
  auto text_count = with_pk("pk", R"(,"count":"3")");
  CHECK(route_request(&text_count, remote, "count 0..100", int_field{"count", 0, 100, count}));
  auto no_pk = obj(R"({"count":1})");
  auto missing = route_request(&no_pk, remote, "count 0..100", int_field{"count", 0, 100, count});
  REQUIRE(missing);
  CHECK(missing->text == "params.pk must be a public key (66 hex digits)");
}

TEST_CASE("framing: lines, a trailing CR, partial lines kept") {
  line_framer f{16};
  feed(f, "{\"a\":1}\r\n\n{\"b\"");
  CHECK(take(f) == "{\"a\":1}");
  CHECK(take(f).empty());
  CHECK_FALSE(f.next());
  CHECK_FALSE(f.overflowed());
  feed(f, ":2}\n");
  CHECK(take(f) == "{\"b\":2}");
  CHECK_FALSE(f.next());
  CHECK_FALSE(f.overflowed());
}

TEST_CASE("framing: a line longer than max_line overflows") {
  line_framer exact{8};
  feed(exact, "12345678\r\n");
  CHECK(take(exact) == "12345678");
  CHECK_FALSE(exact.overflowed());

  line_framer f{8};
  feed(f, "ok\n123456789\nnext\n");
  CHECK(take(f) == "ok");
  CHECK_FALSE(f.next()); // the long line stops the framing
  CHECK(f.overflowed());
  f.clear();
  CHECK_FALSE(f.overflowed());

  line_framer g{8};
  feed(g, "123456789");
  CHECK_FALSE(g.next());
  CHECK(g.overflowed());
}
