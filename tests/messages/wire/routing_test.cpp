// Routing packets, rules and descriptors against routing.json.
#include <doctest/doctest.h>

#include "messages/wire/routing/packet.hpp"
#include "messages/wire/routing/route_descriptor.hpp"
#include "messages/wire/routing/rule.hpp"
#include "tests/messages/wire/wire_vectors.hpp"

using namespace skywire;
using namespace skywire::wire::routing;
using namespace wire_test;
using namespace std::chrono_literals;

namespace {

const boost::json::object& routing_vec() {
  return vectors("routing.json").as_object();
}

transport_id tid(std::string_view text) {
  return *transport_id::from_string(text);
}

// The seven rules rebuilt from their "inputs" with our constructors.
rule constructed(std::string_view name) {
  auto tp_ab = tid("9ff2818c-b326-0541-9f0b-f73272312553");
  if (name == "consume_key5_src_bob_dst_alice_3_to_49152")
    return make_consume_rule(30s, route_id{5}, {bob, alice, port{3}, port{49152}});
  if (name == "forward_key6_next7_tp_stcpr_ab")
    return make_forward_rule(30s, route_id{6}, route_id{7}, tp_ab,
                             {alice, bob, port{49152}, port{3}});
  if (name == "intermediary_key8_next9")
    return make_intermediary_rule(30s, route_id{8}, route_id{9}, tp_ab);
  if (name == "consume_2h_key_fffffffe")
    return make_consume_rule(2h, route_id{0xfffffffe}, {alice, bob, port{65535}, port{1}});
  if (name == "forward_keepalive0_next_ffffffff")
    return make_forward_rule(0s, route_id{1}, route_id{0xffffffff},
                             tid("c8c95801-3e73-0018-97e4-c43e3037bd7d"),
                             {bob, carol, port{1}, port{65535}});
  if (name == "intermediary_1500ms")
    return make_intermediary_rule(1500ms, route_id{100000}, route_id{200000},
                                  tid("8b59a02c-3a58-0964-b7a0-7d894adb11a9"));
  if (name == "intermediary_negative_keepalive")
    return make_intermediary_rule(-5s, route_id{1}, route_id{2}, tp_ab);
  FAIL("unknown rule vector " << name);
  return {};
}

} // namespace

TEST_CASE("rules: all seven vectors byte for byte, log form and RuleSummary") {
  size_t n = 0;
  for (const auto& [name, item] : routing_vec().at("rules").as_object()) {
    if (!item.is_object() || !item.as_object().contains("rule"))
      continue;
    ++n;
    std::string nm{name.data(), name.size()};
    CAPTURE(nm);
    const auto& v = item.at("rule");
    auto want = unhex(v.at("hex"));
    auto built = constructed(nm);
    auto bytes = built.encode();
    CHECK(hex(bytes) == str(v.at("hex")));
    CHECK(bytes.size() == v.at("len").as_int64());
    CHECK(built.to_string() == str(v.at("string")));
    CHECK(encode_summary_json(built) == str(v.at("summary_json")));
    auto dec = rule::decode(span(want));
    REQUIRE_MESSAGE(dec, describe(dec.error()));
    CHECK(*dec == built);
    auto from_summary = decode_summary_json(str(v.at("summary_json")));
    REQUIRE_MESSAGE(from_summary, describe(from_summary.error()));
    CHECK(*from_summary == built);
  }
  CHECK(n == 7);
}

TEST_CASE("rules: keep-alive semantics") {
  auto r = make_intermediary_rule(-5s, route_id{1}, route_id{2}, transport_id{});
  CHECK(r.keep_alive == 0ns);
  // A negative keep-alive in a summary is stored as 0, like the constructor.
  auto s = decode_summary_json(R"({"keep_alive":-7,"rule_type":2,"key_route_id":1,)"
                               R"("intermediary_forward_fields":{"next_rid":2,)"
                               R"("next_tid":"9ff2818c-b326-0541-9f0b-f73272312553"}})");
  REQUIRE(s);
  CHECK(s->keep_alive == 0ns);
  // Binary keep-alive with the top bit set would be negative in Go: rejected.
  auto bytes = make_intermediary_rule(1s, route_id{1}, route_id{2}, transport_id{}).encode();
  bytes[0] = 0x80;
  auto bad = rule::decode(span(bytes));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == static_cast<uint8_t>(wire_errc::bad_value));
}

TEST_CASE("rules: unpadded forms are accepted, anything else rejected") {
  auto fwd = constructed("forward_key6_next7_tp_stcpr_ab");
  auto b = fwd.encode();
  std::vector<uint8_t> unpadded(b.begin(), b.begin() + forward_rule_unpadded_size);
  auto d = rule::decode(span(unpadded));
  REQUIRE(d);
  CHECK(*d == fwd);
  auto inter = constructed("intermediary_key8_next9").encode();
  std::vector<uint8_t> iu(inter.begin(), inter.begin() + intermediary_rule_unpadded_size);
  REQUIRE(rule::decode(span(iu)));

  // Truncations, extensions, non-zero padding, unknown type.
  for (size_t len = 0; len < b.size(); ++len) {
    if (len == forward_rule_unpadded_size)
      continue;
    CHECK_FALSE(rule::decode(span(std::vector<uint8_t>(b.begin(), b.begin() + len))));
  }
  auto longer = b;
  longer.push_back(0);
  CHECK_FALSE(rule::decode(span(longer)));
  auto padded_junk = b;
  padded_junk.back() = 1;
  CHECK_FALSE(rule::decode(span(padded_junk)));
  auto unknown = b;
  unknown[8] = 3;
  auto e = rule::decode(span(unknown));
  REQUIRE_FALSE(e);
  CHECK(e.error().code() == static_cast<uint8_t>(wire_errc::unsupported));
  auto consume = constructed("consume_2h_key_fffffffe").encode();
  consume.pop_back();
  CHECK_FALSE(rule::decode(span(consume)));
}

TEST_CASE("rules: RuleSummary decoder is strict") {
  auto good = str(routing_vec().at("rules").at("intermediary_key8_next9").at("rule").at(
    "summary_json"));
  REQUIRE(decode_summary_json(good));
  // Fields of another type, a missing fields object, wrong types, overflows.
  CHECK_FALSE(decode_summary_json(R"({"keep_alive":0,"rule_type":2,"key_route_id":1})"));
  CHECK_FALSE(decode_summary_json(
    R"({"keep_alive":0,"rule_type":2,"key_route_id":1,"app_fields":{},)"
    R"("intermediary_forward_fields":{"next_rid":2,"next_tid":"9ff2818c-b326-0541-9f0b-f73272312553"}})"));
  CHECK_FALSE(decode_summary_json(
    R"({"keep_alive":0,"rule_type":2,"key_route_id":4294967296,)"
    R"("intermediary_forward_fields":{"next_rid":2,"next_tid":"9ff2818c-b326-0541-9f0b-f73272312553"}})"));
  CHECK_FALSE(decode_summary_json(
    R"({"keep_alive":0,"rule_type":2,"key_route_id":1.0,)"
    R"("intermediary_forward_fields":{"next_rid":2,"next_tid":"9ff2818c-b326-0541-9f0b-f73272312553"}})"));
  CHECK_FALSE(decode_summary_json(
    R"({"keep_alive":0,"rule_type":2,"key_route_id":1,)"
    R"("intermediary_forward_fields":{"next_rid":2,"next_tid":"9ff2818cb32605419f0bf73272312553"}})"));
  CHECK_FALSE(decode_summary_json(
    R"({"keep_alive":0,"rule_type":7,"key_route_id":1})"));
  CHECK_FALSE(decode_summary_json("[]"));
  CHECK_FALSE(decode_summary_json(good + "x"));
  CHECK_FALSE(decode_summary_json(std::string(max_rule_summary_json + 1, ' ')));
}

TEST_CASE("route descriptors: 70 bytes, inverse and string forms") {
  const auto& v = routing_vec().at("route_descriptors");
  route_descriptor d{alice, bob, port{49152}, port{44}};
  auto b = d.bytes();
  CHECK(to_hex({b.data(), b.size()}) == str(v.at("alice_49152_to_bob_44").at("hex")));
  CHECK(d.to_string() == str(v.at("alice_49152_to_bob_44").at("string")));
  auto inv = d.inverted();
  auto ib = inv.bytes();
  CHECK(to_hex({ib.data(), ib.size()}) == str(v.at("inverted").at("hex")));
  CHECK(inv.to_string() == str(v.at("inverted").at("string")));
  auto dec = route_descriptor::decode(span(unhex(v.at("inverted").at("hex"))));
  REQUIRE(dec);
  CHECK(*dec == inv);
  CHECK(dec->inverted() == d);
  // Keys must look like compressed points (or be null), as in the text form.
  auto bad = unhex(v.at("inverted").at("hex"));
  bad[33] = 0x04;
  CHECK_FALSE(route_descriptor::decode(span(bad)));
  CHECK(route_descriptor::decode(span(std::vector<uint8_t>(70))));
  CHECK_FALSE(route_descriptor::decode(span(std::vector<uint8_t>(69))));
  CHECK_FALSE(route_descriptor::decode(span(std::vector<uint8_t>(71))));
}

TEST_CASE("packets: every type byte for byte") {
  const auto& items = routing_vec().at("packets").at("items").as_array();
  CHECK(items.size() == 10);
  std::vector<packet> built = {
    make_data_packet(route_id{7}, span(std::string_view{"hello"})),
    make_data_packet(route_id{0xdeadbeef}, {}),
    make_close_packet(route_id{7}, close_code::requested),
    make_keep_alive_packet(route_id{7}),
    make_handshake_packet(route_id{7}, true),
    make_handshake_packet(route_id{7}, false),
    make_ping_packet(route_id{7}, 1700000000000, 1000),
    make_ping_packet(route_id{7}, 1700000000000, -1),
    make_pong_packet(route_id{7}, 1700000000000),
    make_error_packet(route_id{7}, "route group closed"),
  };
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    CAPTURE(str(it.at("inputs")));
    auto enc = encode(built[i]);
    REQUIRE(enc);
    CHECK(hex(*enc) == str(it.at("hex")));
    auto bytes = unhex(it.at("hex"));
    auto p = decode_packet(span(bytes));
    REQUIRE_MESSAGE(p, describe(p.error()));
    CHECK(to_string(p->type) == str(it.at("type")));
    CHECK(p->rid.value == it.at("route_id").to_number<uint64_t>());
    CHECK(p->payload.size() == it.at("payload_size").to_number<uint64_t>());
    CHECK(p->type == built[i].type);
    CHECK(std::equal(p->payload.begin(), p->payload.end(), built[i].payload.begin(),
                     built[i].payload.end()));
  }
  auto ping_bytes = unhex(items[7].at("hex"));
  auto ping = decode_packet(span(ping_bytes));
  REQUIRE(ping);
  auto pp = read_ping(*ping);
  REQUIRE(pp);
  CHECK(pp->timestamp_ms == 1700000000000u);
  CHECK(pp->throughput == -1);
  auto hs_bytes = unhex(items[4].at("hex"));
  auto hs = decode_packet(span(hs_bytes));
  REQUIRE(hs);
  CHECK(*read_handshake(*hs));
  CHECK_FALSE(read_close(*hs));
}

TEST_CASE("packets: strict single-packet decoder") {
  auto good = unhex("0000000007000568656c6c6f");
  for (size_t len = 0; len < good.size(); ++len)
    CHECK_FALSE(decode_packet(span(std::vector<uint8_t>(good.begin(), good.begin() + len))));
  auto longer = good;
  longer.push_back(0);
  CHECK_FALSE(decode_packet(span(longer)));
  CHECK_FALSE(decode_packet(span(unhex("07000000070000")))); // unknown type
  CHECK_FALSE(decode_packet(span(unhex("0100000007000000")))); // close, empty payload
  CHECK_FALSE(decode_packet(span(unhex("020000000700010a")))); // keep-alive with payload
  CHECK_FALSE(decode_packet(span(unhex("04000000070001ff")))); // short ping
  std::vector<uint8_t> big(max_packet_payload + 1);
  std::vector<uint8_t> out;
  CHECK(encode(out, packet_type::data, route_id{1}, span(big)));
  CHECK(out.empty());
}

TEST_CASE("packets: the splitter extracts whole packets from any chunking") {
  std::vector<uint8_t> stream;
  std::vector<std::string> want;
  for (const auto& it : routing_vec().at("packets").at("items").as_array()) {
    auto b = unhex(it.at("hex"));
    stream.insert(stream.end(), b.begin(), b.end());
    want.push_back(str(it.at("hex")));
  }
  // The packets of the route handshake over the setup route, too.
  for (const auto& [k, v] : routing_vec().at("route_handshake_over_setup_route").as_object()) {
    if (!v.is_object())
      continue;
    const auto& o = v.as_object().contains("packets") ? v.at("packets").as_object()
                                                      : v.as_object();
    for (const char* hop : {"hop1_packet_hex", "hop2_packet_hex"}) {
      auto b = unhex(o.at(hop));
      stream.insert(stream.end(), b.begin(), b.end());
      want.push_back(str(o.at(hop)));
    }
  }
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{13}, size_t{64},
                       stream.size()}) {
    CAPTURE(chunk);
    packet_splitter s;
    std::vector<std::string> got;
    for (size_t off = 0; off < stream.size(); off += chunk) {
      auto n = std::min(chunk, stream.size() - off);
      s.feed({stream.data() + off, n});
      for (;;) {
        auto p = s.next();
        REQUIRE_MESSAGE(p, describe(p.error()));
        if (!*p)
          break;
        auto enc = std::vector<uint8_t>{};
        REQUIRE_FALSE(encode(enc, (*p)->type, (*p)->rid, (*p)->payload));
        got.push_back(hex(enc));
      }
    }
    CHECK(s.pending() == 0);
    CHECK(got == want);
    // feed_each: the same packets, whole ones viewed in the chunk itself
    packet_splitter e;
    std::vector<std::string> each;
    size_t in_chunk = 0;
    for (size_t off = 0; off < stream.size(); off += chunk) {
      auto n = std::min(chunk, stream.size() - off);
      const uint8_t* lo = stream.data() + off;
      auto err = e.feed_each({lo, n}, [&](const packet_view& p) {
        if (p.payload.data() >= lo && p.payload.data() + p.payload.size() <= lo + n)
          ++in_chunk;
        auto enc = std::vector<uint8_t>{};
        REQUIRE_FALSE(encode(enc, p.type, p.rid, p.payload));
        each.push_back(hex(enc));
        return true;
      });
      REQUIRE_FALSE(err);
    }
    CHECK(e.pending() == 0);
    CHECK(each == want);
    if (chunk == stream.size())
      CHECK(in_chunk == want.size());
  }
  {
    // fn stops: the rest stays buffered, the next call goes on from there
    packet_splitter e;
    std::vector<std::string> each;
    int calls = 0;
    auto first = e.feed_each(span(stream), [&](const packet_view& p) {
      auto enc = std::vector<uint8_t>{};
      REQUIRE_FALSE(encode(enc, p.type, p.rid, p.payload));
      each.push_back(hex(enc));
      return ++calls != 1;
    });
    REQUIRE_FALSE(first);
    CHECK(each.size() == 1);
    auto rest = e.feed_each({}, [&](const packet_view& p) {
      auto enc = std::vector<uint8_t>{};
      REQUIRE_FALSE(encode(enc, p.type, p.rid, p.payload));
      each.push_back(hex(enc));
      return true;
    });
    REQUIRE_FALSE(rest);
    CHECK(each == want);
  }
  std::vector<packet_view> views;
  auto used = split_packets(span(stream), views);
  REQUIRE(used);
  CHECK(*used == stream.size());
  CHECK(views.size() == want.size());
  // A partial packet at the end is left for later.
  views.clear();
  auto partial = split_packets({stream.data(), stream.size() - 1}, views);
  REQUIRE(partial);
  CHECK(views.size() == want.size() - 1);
}

TEST_CASE("packets: the splitter bounds the payload and fails closed") {
  packet_splitter s{16};
  s.feed(span(unhex("0000000001001100"))); // data packet announcing 17 bytes
  auto r = s.next();
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == static_cast<uint8_t>(wire_errc::oversized));
  s.feed(span(unhex("02000000070000")));
  CHECK_FALSE(s.next()); // stays failed
  packet_splitter t;
  t.feed(span(unhex("09000000070000")));
  CHECK_FALSE(t.next());
  packet_splitter u{16};
  int seen = 0;
  // one good packet, then one announcing 17 bytes: the first is delivered
  auto err = u.feed_each(span(unhex("0000000007000568656c6c6f0000000001001100")),
                         [&](const packet_view&) { return ++seen, true; });
  CHECK(seen == 1);
  REQUIRE(err);
  CHECK(err.code() == static_cast<uint8_t>(wire_errc::oversized));
  CHECK(u.feed_each(span(unhex("02000000070000")), [](const packet_view&) { return true; }));
  std::vector<packet_view> views;
  auto bad = split_packets(span(unhex("0000000007000568656c6c6f09000000070000")), views);
  CHECK_FALSE(bad);
}
