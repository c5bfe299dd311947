// The route group's extension encodings (docs/protocol/routing.md, route
// group): the HandshakePacket byte and the inner frame.
#include <doctest/doctest.h>

#include "messages/wire/routing/group_frame.hpp"
#include "tests/messages/wire/wire_vectors.hpp"

using namespace skywire;
using namespace skywire::wire::routing;
using namespace wire_test;

TEST_CASE("group frame: the HandshakePacket byte") {
  CHECK(encode_handshake_byte({}) == 0x01); // what the reference sends
  CHECK(encode_handshake_byte({.reliable = true}) == 0x03);
  CHECK(encode_handshake_byte({.reliable = true, .cell_size = 1024}) == 0x0b);
  CHECK(encode_handshake_byte({.cell_size = 1400}) == 0x0d);
  CHECK(encode_handshake_byte({.cell_size = 1000}) == 0x01); // not a cell size: not offered
  CHECK_FALSE(decode_handshake_byte(0x00));                   // plaintext: refused
  CHECK_FALSE(decode_handshake_byte(0x02));
  CHECK(*decode_handshake_byte(0x01) == group_options{});
  CHECK(*decode_handshake_byte(0xf1) == group_options{}); // reserved bits ignored
  CHECK(*decode_handshake_byte(0x07) == group_options{.reliable = true, .cell_size = 512});
  group_options all{.reliable = true, .cell_size = 1024};
  CHECK(agree(all, {}) == group_options{});
  CHECK(agree(all, all) == all);
  CHECK(agree(all, {.reliable = true, .cell_size = 512}) == group_options{.reliable = true});
}

TEST_CASE("group frame: inner frames encode and decode") {
  auto app = span("payload");
  inner_frame d{.kind = inner_kind::data, .seq = 7, .ack = 3, .sack = 0x5, .wnd = 200, .payload = app};
  std::vector<uint8_t> out;
  REQUIRE_FALSE(encode_inner(out, d, true));
  CHECK(hex(out) == "000017" "00000007" "00000003" "00000005" "000000c8" + hex(std::string_view{"payload"}));
  auto back = decode_inner(span(out), true);
  REQUIRE(back);
  CHECK(back->seq == 7);
  CHECK(back->ack == 3);
  CHECK(back->sack == 5);
  CHECK(back->wnd == 200);
  CHECK(std::string(back->payload.begin(), back->payload.end()) == "payload");
  // the in-place prefix writes the same bytes
  std::vector<uint8_t> inplace(reliable_data_prefix + 7);
  put_reliable_data_prefix(inplace.data(), 7, 3, 5, 200, 7);
  std::copy_n(app.begin(), 7, inplace.begin() + reliable_data_prefix);
  CHECK(inplace == out);
  // padded into a cell; the padding is ignored on decode
  std::vector<uint8_t> cell;
  REQUIRE_FALSE(encode_inner(cell, d, true, 998));
  CHECK(cell.size() == 998);
  CHECK(decode_inner(span(cell), true)->payload.size() == 7);
  std::vector<uint8_t> small;
  CHECK(encode_inner(small, d, true, 10)); // does not fit
  // unreliable data: no sequence header
  out.clear();
  REQUIRE_FALSE(encode_inner(out, d, false));
  CHECK(hex(out) == "000007" + hex(std::string_view{"payload"}));
  // ping, pong, keep-alive, ack
  out.clear();
  REQUIRE_FALSE(encode_inner(out, {.kind = inner_kind::ping, .timestamp_ms = 0x18c, .throughput = -1},
                             false));
  auto ping = decode_inner(span(out), false);
  REQUIRE(ping);
  CHECK(ping->timestamp_ms == 0x18c);
  CHECK(ping->throughput == -1);
  out.clear();
  CHECK(encode_inner(out, {.kind = inner_kind::ack}, false)); // acks only in reliable mode
  REQUIRE_FALSE(encode_inner(out, {.kind = inner_kind::ack, .ack = 9, .sack = 1, .wnd = 64}, true));
  CHECK(hex(out) == "01000c" "00000009" "00000001" "00000040");
  auto ack = decode_inner(span(out), true);
  REQUIRE(ack);
  CHECK(ack->wnd == 64);
  CHECK_FALSE(decode_inner(span(out), false));
}

TEST_CASE("group frame: hostile inner frames fail closed") {
  CHECK_FALSE(decode_inner(span(unhex("00")), false));              // short header
  CHECK_FALSE(decode_inner(span(unhex("050000")), false));          // unknown kind
  CHECK_FALSE(decode_inner(span(unhex("000005616263")), false));    // body past the end
  CHECK_FALSE(decode_inner(span(unhex("000003616263")), true));     // reliable header missing
  CHECK_FALSE(decode_inner(span(unhex("01000800000009" "00000001")), true)); // ack without its window
  CHECK_FALSE(decode_inner(span(unhex("0200020000")), false));      // ping of 2 bytes
  CHECK_FALSE(decode_inner(span(unhex("04000100ff")), false));      // keep-alive with a body
  CHECK(decode_inner(span(unhex("040000ffffff")), false));          // keep-alive, padded
}
