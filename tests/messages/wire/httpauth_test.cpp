// httpauth against httpauth.json: payload bytes, SHA-256, header parsing and
// signature verification of the three captured requests.
#include <doctest/doctest.h>

#include "messages/wire/httpauth.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/messages/wire/wire_vectors.hpp"

using namespace skywire;
using namespace skywire::wire;
using namespace wire_test;

namespace {

std::optional<std::string_view> header(const boost::json::object& headers, std::string_view k) {
  auto* v = headers.if_contains(boost::json::string_view{k.data(), k.size()});
  if (!v)
    return std::nullopt;
  return std::string_view{v->as_string().data(), v->as_string().size()};
}

httpauth_raw_headers raw_from(const boost::json::object& h) {
  return {header(h, httpauth_header_public), header(h, httpauth_header_nonce),
          header(h, httpauth_header_sig), header(h, httpauth_header_public_ip)};
}

} // namespace

TEST_CASE("httpauth: the three captured requests reproduce and verify") {
  const auto& reqs = vectors("httpauth.json").at("requests").as_array();
  CHECK(reqs.size() == 3);
  for (const auto& r : reqs) {
    CAPTURE(str(r.at("path")));
    const auto& hs = r.at("headers").as_object();
    auto parsed = parse_httpauth_headers(raw_from(hs));
    REQUIRE_MESSAGE(parsed, describe(parsed.error()));
    auto body = unhex(r.at("body_hex"));
    CHECK(std::string(body.begin(), body.end()) == str(r.at("body_ascii")));
    auto payload = httpauth_payload(span(body), parsed->nonce);
    CHECK(hex(payload) == str(r.at("signed_payload_hex")));
    CHECK(std::string(payload.begin(), payload.end()) == str(r.at("signed_payload_ascii")));
    CHECK(crypto::sha256(span(payload)).hex() == str(r.at("sha256_of_signed_payload")));
    CHECK_FALSE(crypto::verify(span(payload), parsed->pk, parsed->sig));
    // Any other nonce must not verify.
    CHECK(crypto::verify(span(httpauth_payload(span(body), parsed->nonce + 1)), parsed->pk,
                         parsed->sig));
    // Re-emitting the headers gives the captured values.
    for (const auto& [k, val] : httpauth_header_list(*parsed))
      CHECK(header(hs, k) == std::optional<std::string_view>{val});
    CHECK(parsed->public_ip.has_value() == hs.contains("SW-PublicIP"));
  }
}

TEST_CASE("httpauth: the body's trailing newline is signed (errata 1)") {
  const auto& r = vectors("httpauth.json").at("requests").at(0);
  auto payload = httpauth_payload(std::string_view{R"({"port":"1234","addresses":["1.2.3.4"]})"
                                                   "\n"},
                                  7);
  CHECK(hex(payload) == str(r.at("signed_payload_hex")));
  CHECK(httpauth_payload(std::string_view{}, 0) == std::vector<uint8_t>{'0'});
  CHECK(httpauth_payload(std::string_view{"x"}, UINT64_MAX).size() == 21);
}

TEST_CASE("httpauth: header parser is strict") {
  const auto& hs = vectors("httpauth.json").at("requests").at(1).at("headers").as_object();
  auto good = raw_from(hs);
  REQUIRE(parse_httpauth_headers(good));
  auto with = [&](auto mutate) {
    auto r = good;
    mutate(r);
    return parse_httpauth_headers(r);
  };
  CHECK_FALSE(with([](auto& r) { r.pk.reset(); }));
  CHECK_FALSE(with([](auto& r) { r.nonce.reset(); }));
  CHECK_FALSE(with([](auto& r) { r.sig.reset(); }));
  CHECK(with([](auto& r) { r.public_ip.reset(); }));
  CHECK_FALSE(with([](auto& r) { r.pk = std::string_view{""}; }));
  CHECK_FALSE(with([](auto& r) { r.pk = std::string_view{"0"}; }));
  std::string null_pk(66, '0');
  CHECK_FALSE(with([&](auto& r) { r.pk = null_pk; }));
  std::string bad_prefix = "04" + std::string(64, 'a');
  CHECK_FALSE(with([&](auto& r) { r.pk = bad_prefix; }));
  for (std::string_view n : {"", "-1", "+1", "01", " 1", "1 ", "0x1", "18446744073709551616",
                             "99999999999999999999", "1e3"})
    CHECK_FALSE(with([&](auto& r) { r.nonce = n; }));
  auto max = with([](auto& r) { r.nonce = std::string_view{"18446744073709551615"}; });
  REQUIRE(max);
  CHECK(max->nonce == UINT64_MAX);
  std::string zero_sig(130, '0');
  CHECK_FALSE(with([&](auto& r) { r.sig = zero_sig; }));
  std::string short_sig(128, 'a');
  CHECK_FALSE(with([&](auto& r) { r.sig = short_sig; }));
  std::string bad_sig(130, 'g');
  CHECK_FALSE(with([&](auto& r) { r.sig = bad_sig; }));
  CHECK_FALSE(with([](auto& r) { r.public_ip = std::string_view{""}; }));
  CHECK_FALSE(with([](auto& r) { r.public_ip = std::string_view{"evil.example"}; }));
  CHECK(with([](auto& r) { r.public_ip = std::string_view{"2001:db8::1"}; }));
}

TEST_CASE("httpauth: nonce response and error body") {
  const auto& v = vectors("httpauth.json").as_object();
  nonce_response nr{alice, 7};
  CHECK(encode_nonce_response(nr) == str(v.at("nonce_response_example")));
  auto d = decode_nonce_response(str(v.at("nonce_response_example")));
  REQUIRE(d);
  CHECK(*d == nr);
  CHECK(decode_nonce_response(str(v.at("nonce_response_example")) + "\n"));
  CHECK_FALSE(decode_nonce_response(R"({"edge":"x","next_nonce":7})"));
  CHECK_FALSE(decode_nonce_response(R"({"edge":")" + alice.hex() + R"(","next_nonce":-7})"));
  CHECK_FALSE(decode_nonce_response(R"({"edge":")" + alice.hex() + R"(","next_nonce":"7"})"));
  CHECK_FALSE(decode_nonce_response(R"({"edge":")" + alice.hex() + R"("})"));
  CHECK_FALSE(decode_nonce_response("7"));

  httpauth_error e{std::string{httpauth_nonce_mismatch}, 401};
  auto body = encode_httpauth_error(e);
  CHECK(body == "{\"error\":{\"message\":\"SW-Nonce does not match\",\"code\":401}}\n");
  auto de = decode_httpauth_error(body);
  REQUIRE(de);
  CHECK(*de == e);
  CHECK(httpauth_should_refetch_nonce(*de));
  CHECK_FALSE(httpauth_should_refetch_nonce({"not found", 404}));
  CHECK_FALSE(decode_httpauth_error(R"({"error":"x"})"));
  CHECK_FALSE(decode_httpauth_error(R"({"error":{"message":"x"}})"));
}
