#include <doctest/doctest.h>

#include "messages/wire/dmsgpty/pty_types.hpp"
#include "messages/wire/dmsgpty/request.hpp"
#include "messages/wire/gob/encoder.hpp"
#include "messages/wire/rpc/net_rpc.hpp"

using namespace skywire;
using namespace skywire::wire::dmsgpty;
namespace gob = skywire::wire::gob;
namespace rpc = skywire::wire::rpc;

namespace {

const std::string pk_hex = "02dc78063c8e7d6d4f7c1c1c9fb3c95be41c8a6e1f3e5d60c7a11a2cba68154be0";

std::vector<uint8_t> bytes_of(std::string_view s) {
  return {s.begin(), s.end()};
}

// One value through a Go-like encoder and a fresh decoder.
gob::value round_trip(const gob::schema_ptr& s, const gob::value& v, gob::decoder& dec) {
  gob::encoder enc;
  std::vector<uint8_t> out;
  REQUIRE_FALSE(enc.encode(s, v, out));
  auto got = dec.decode_one(out);
  REQUIRE(got);
  return *got;
}

} // namespace

TEST_CASE("dmsgpty request prefix: length byte then the URI") {
  auto req = encode_request("dmsgpty/pty");
  REQUIRE(req);
  CHECK(*req == std::vector<uint8_t>{11, 'd', 'm', 's', 'g', 'p', 't', 'y', '/', 'p', 't', 'y'});
  // byte by byte: incomplete until the last byte
  for (size_t n = 0; n < req->size(); ++n) {
    auto r = parse_request({req->data(), n});
    REQUIRE(r);
    CHECK_FALSE(r->has_value());
  }
  // what follows the request (the first RPC bytes) is not consumed
  auto more = *req;
  more.push_back(0x42);
  auto r = parse_request(more);
  REQUIRE(r);
  REQUIRE(r->has_value());
  CHECK((*r)->uri == "dmsgpty/pty");
  CHECK((*r)->consumed == req->size());
}

TEST_CASE("dmsgpty request prefix: 255 bytes fit, 256 are refused, an empty URI is a request") {
  CHECK(encode_request(std::string(255, 'a')));
  auto big = encode_request(std::string(256, 'a'));
  REQUIRE_FALSE(big);
  CHECK(big.error().code() == static_cast<uint8_t>(wire_errc::oversized));
  auto empty = parse_request(std::vector<uint8_t>{0});
  REQUIRE(empty);
  REQUIRE(empty->has_value());
  CHECK((*empty)->uri.empty());
  CHECK((*empty)->consumed == 1);
  auto u = parse_uri("");
  REQUIRE(u);
  CHECK_FALSE(endpoint_of(*u));
}

TEST_CASE("dmsgpty URIs: leading '/' trimmed, endpoints matched exactly") {
  auto u = parse_uri("/dmsgpty/pty");
  REQUIRE(u);
  CHECK(u->path == "dmsgpty/pty");
  CHECK(endpoint_of(*u) == endpoint::pty);
  u = parse_uri("dmsgpty/whitelist");
  REQUIRE(u);
  CHECK(endpoint_of(*u) == endpoint::whitelist);
  u = parse_uri("dmsgpty/pty2");
  REQUIRE(u);
  CHECK_FALSE(endpoint_of(*u));
  u = parse_uri("dmsgpty/%70ty#frag");
  REQUIRE(u);
  CHECK(endpoint_of(*u) == endpoint::pty);
  CHECK_FALSE(parse_uri("dmsgpty/%7"));
  CHECK_FALSE(parse_uri("dmsgpty/%zz"));
  CHECK_FALSE(parse_uri(std::string("dmsgpty/\npty")));
}

TEST_CASE("dmsgpty proxy query: pk and port parsed, bad values refused") {
  address target;
  target.pk = *public_key::from_hex(pk_hex);
  target.prt = port{22};
  auto text = proxy_request_uri(target);
  CHECK(text == "dmsgpty/proxy?pk=" + pk_hex + "&port=22");
  auto u = parse_uri(text);
  REQUIRE(u);
  CHECK(endpoint_of(*u) == endpoint::proxy);
  auto t = proxy_target(*u);
  REQUIRE(t);
  CHECK(*t == target);

  for (const std::string& bad : std::vector<std::string>
       {"dmsgpty/proxy?port=22", "dmsgpty/proxy?pk=" + pk_hex,
        "dmsgpty/proxy?pk=" + pk_hex.substr(2) + "&port=22",
        "dmsgpty/proxy?pk=zz" + pk_hex.substr(2) + "&port=22",
        "dmsgpty/proxy?pk=" + pk_hex + "&port=0", "dmsgpty/proxy?pk=" + pk_hex + "&port=65536",
        "dmsgpty/proxy?pk=" + pk_hex + "&port=22x", "dmsgpty/proxy?pk=" + pk_hex + "&port=-1",
        "dmsgpty/proxy?pk=" + pk_hex + "&port="}) {
    CAPTURE(bad);
    auto bu = parse_uri(bad);
    REQUIRE(bu);
    CHECK_FALSE(proxy_target(*bu));
  }
  // first value wins, escapes decoded
  u = parse_uri("dmsgpty/proxy?port=%32%32&pk=" + pk_hex + "&port=1");
  REQUIRE(u);
  t = proxy_target(*u);
  REQUIRE(t);
  CHECK(t->prt.value == 22);
}

TEST_CASE("dmsgpty gob types round-trip: CommandReq, WinSize, []byte, int, []PubKey") {
  command_req c{"/bin/sh", {"-c", "echo hi", ""}, win_size{1, 2, 40, 120}};
  {
    gob::decoder dec;
    auto v = round_trip(command_req_schema(), command_req_value(c), dec);
    auto back = command_req_from_gob(dec, v);
    REQUIRE(back);
    CHECK(*back == c);
  }
  { // a nil Size and no args
    command_req bare{"/bin/bash", {}, std::nullopt};
    gob::decoder dec;
    auto v = round_trip(command_req_schema(), command_req_value(bare), dec);
    auto back = command_req_from_gob(dec, v);
    REQUIRE(back);
    CHECK(*back == bare);
  }
  {
    gob::decoder dec;
    win_size w{0, 0, 65535, 1};
    auto v = round_trip(win_size_schema(), win_size_value(w), dec);
    auto back = win_size_from_gob(dec, v);
    REQUIRE(back);
    CHECK(*back == w);
  }
  {
    gob::decoder dec;
    auto v = round_trip(bytes_schema(), gob::value::of_bytes(bytes_of("hello\r\n")), dec);
    auto back = bytes_from_gob(v, 64);
    REQUIRE(back);
    CHECK(*back == bytes_of("hello\r\n"));
    CHECK_FALSE(bytes_from_gob(v, 3)); // over the bound
  }
  {
    gob::decoder dec;
    auto v = round_trip(int_schema(), gob::value::of_int(32768), dec);
    auto back = int_from_gob(v);
    REQUIRE(back);
    CHECK(*back == 32768);
    gob::decoder dec2;
    auto neg = round_trip(int_schema(), gob::value::of_int(-5), dec2);
    CHECK_FALSE(int_from_gob(neg));
  }
  {
    gob::decoder dec;
    std::vector<public_key> pks{*public_key::from_hex(pk_hex), public_key{}};
    auto v = round_trip(pubkeys_schema(), pubkeys_value(pks), dec);
    auto back = pubkeys_from_gob(v);
    REQUIRE(back);
    CHECK(*back == pks);
  }
}

TEST_CASE("dmsgpty calls through net/rpc codecs: Start then Write, answers matched by Seq") {
  rpc::client_codec client;
  rpc::server_codec server;
  std::vector<uint8_t> wire_bytes;
  command_req c{"/bin/echo", {"hello"}, std::nullopt};
  REQUIRE_FALSE(client.write_request({"pty.Start", 0}, command_req_schema(), command_req_value(c),
                                     wire_bytes));
  REQUIRE_FALSE(client.write_request({"pty.Read", 1}, int_schema(), gob::value::of_int(1024),
                                     wire_bytes));
  REQUIRE_FALSE(client.write_request({"pty.Write", 2}, bytes_schema(),
                                     gob::value::of_bytes(bytes_of("ls\n")), wire_bytes));
  server.feed(wire_bytes);
  auto start = server.next_request();
  REQUIRE(start);
  REQUIRE(start->has_value());
  CHECK((*start)->header.service_method == "pty.Start");
  auto back = command_req_from_gob(server.decoder(), (*start)->arg);
  REQUIRE(back);
  CHECK(*back == c);
  auto read = server.next_request();
  REQUIRE((read && read->has_value()));
  CHECK(*int_from_gob((*read)->arg) == 1024);
  auto write = server.next_request();
  REQUIRE((write && write->has_value()));
  CHECK(*bytes_from_gob((*write)->arg, 100) == bytes_of("ls\n"));

  // answers out of order: Write (2) before Read (1)
  std::vector<uint8_t> answers;
  REQUIRE_FALSE(server.write_response({"pty.Start", 0, {}}, empty_schema(), empty_value(), answers));
  REQUIRE_FALSE(server.write_response({"pty.Write", 2, {}}, int_schema(), gob::value::of_int(3),
                                      answers));
  REQUIRE_FALSE(server.write_error({"pty.Read", 1}, "EOF", answers));
  client.feed(answers);
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 3; ++i) {
    auto r = client.next_response();
    REQUIRE(r);
    REQUIRE(r->has_value());
    seqs.push_back((*r)->header.seq);
    if ((*r)->header.seq == 1)
      CHECK((*r)->header.error == "EOF");
    if ((*r)->header.seq == 2)
      CHECK((*r)->reply.as_int() == 3);
  }
  CHECK(seqs == std::vector<uint64_t>{0, 2, 1});
}

TEST_CASE("dmsgpty readers refuse values of the wrong shape") {
  gob::decoder dec;
  auto v = round_trip(int_schema(), gob::value::of_int(1), dec);
  CHECK_FALSE(command_req_from_gob(dec, v));
  CHECK_FALSE(win_size_from_gob(dec, v));
  CHECK_FALSE(bytes_from_gob(v, 10));
  CHECK_FALSE(pubkeys_from_gob(v));
  // a WinSize field wider than uint16
  auto wide = gob::schema::struct_("WinSize", {{"Rows", gob::schema::uint_()}});
  gob::decoder dec2;
  auto w = round_trip(wide, gob::value::of_struct({gob::value::of_uint(70000)}), dec2);
  CHECK_FALSE(win_size_from_gob(dec2, w));
  // too many args
  command_req many{"x", std::vector<std::string>(max_command_args + 1, "a"), std::nullopt};
  gob::decoder dec3;
  auto m = round_trip(command_req_schema(), command_req_value(many), dec3);
  CHECK_FALSE(command_req_from_gob(dec3, m));
}
