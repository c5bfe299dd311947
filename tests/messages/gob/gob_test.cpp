#include <doctest/doctest.h>

#include "messages/wire/gob/decoder.hpp"
#include "messages/wire/gob/encoder.hpp"
#include "messages/wire/rpc/routing_schemas.hpp"
#include "tests/messages/gob/vectors.hpp"

using namespace skywire;
using namespace skywire::wire;
using gob::schema;
using gob::value;
using skywire::test::hex;
using skywire::test::str;
using skywire::test::unhex;
using skywire::test::unhexv;

namespace {

std::vector<uint8_t> enc_uint(uint64_t x) {
  std::vector<uint8_t> out;
  gob::put_uint(out, x);
  return out;
}

std::vector<uint8_t> enc_int(int64_t x) {
  std::vector<uint8_t> out;
  gob::put_int(out, x);
  return out;
}

const boost::json::object& routing_vectors() {
  static const auto v = test::load_vectors("skywire/routing.json");
  return v.as_object();
}

public_key pk(const boost::json::value& v) {
  return *public_key::from_hex(str(v));
}

rpc::route_setup::hop hop_from(const boost::json::value& j) {
  rpc::route_setup::hop h;
  h.tp_id = *transport_id::from_string(str(j.at("TpID")));
  h.from = pk(j.at("From"));
  h.to = pk(j.at("To"));
  return h;
}

} // namespace

TEST_CASE("gob integers follow the Go spec") {
  CHECK(hex(enc_uint(0)) == "00");
  CHECK(hex(enc_uint(7)) == "07");
  CHECK(hex(enc_uint(127)) == "7f");
  CHECK(hex(enc_uint(128)) == "ff80");
  CHECK(hex(enc_uint(256)) == "fe0100");
  CHECK(hex(enc_uint(476)) == "fe01dc");
  CHECK(hex(enc_uint(~uint64_t{0})) == "f8ffffffffffffffff");
  CHECK(hex(enc_int(0)) == "00");
  CHECK(hex(enc_int(-1)) == "01");
  CHECK(hex(enc_int(1)) == "02");
  CHECK(hex(enc_int(-65)) == "ff81");
  CHECK(hex(enc_int(65)) == "ff82");
  CHECK(hex(enc_int(30000000000)) == "fb0df8475800");
  CHECK(hex(enc_int(INT64_MIN)) == "f8ffffffffffffffff");
  for (int64_t x : {int64_t{0}, int64_t{-1}, int64_t{1}, INT64_MIN, INT64_MAX, int64_t{-12345678}}) {
    auto b = enc_int(x);
    gob::reader r{b};
    auto y = r.read_int();
    REQUIRE(y);
    CHECK(*y == x);
    CHECK(r.empty());
  }
  // float: byte-reversed bits. 17.0 = 0x4031000000000000 -> 0x3140 -> "fe3140".
  std::vector<uint8_t> f;
  gob::put_uint(f, gob::float_to_wire(17.0));
  CHECK(hex(f) == "fe3140");
  CHECK(gob::float_from_wire(gob::float_to_wire(-2.5)) == -2.5);
  // Nine-byte counts and truncations are errors.
  auto bad = unhex("f7000000000000000000");
  gob::reader r1{bad};
  CHECK_FALSE(r1.read_uint());
  auto cut = unhex("fe01");
  gob::reader r2{cut};
  CHECK_FALSE(r2.read_uint());
}

TEST_CASE("standalone gob values are byte-exact") {
  auto& sg = routing_vectors().at("standalone_gob").as_object();
  auto& route = routing_vectors().at("setup_node_rpc").at("route").as_object();
  namespace rs = rpc::route_setup;
  auto desc = unhexv(route.at("desc_hex"));
  REQUIRE(desc.size() == 70);
  std::vector<rs::hop> fwd, rev;
  for (auto& h : route.at("forward").as_array())
    fwd.push_back(hop_from(h));
  for (auto& h : route.at("reverse").as_array())
    rev.push_back(hop_from(h));

  auto check = [&](const char* key, const gob::schema_ptr& s, const value& v) {
    CAPTURE(key);
    gob::encoder enc;
    std::vector<uint8_t> out;
    REQUIRE_FALSE(enc.encode(s, v, out));
    CHECK(hex(out) == str(sg.at(key).at("encoded").at("hex")));
    gob::decoder dec;
    auto got = dec.decode_one(out);
    REQUIRE(got);
    return std::make_pair(std::move(*got), std::move(dec));
  };

  {
    auto [v, dec] = check("hop", rs::hop_schema(), rs::hop_value(fwd[0]));
    CHECK(dec.field(v, "TpID")->data == std::vector<uint8_t>(fwd[0].tp_id.bytes.begin(), fwd[0].tp_id.bytes.end()));
    CHECK(dec.field(v, "To")->data == std::vector<uint8_t>(fwd[0].to.bytes.begin(), fwd[0].to.bytes.end()));
    CHECK(dec.type_of(v)->name == "Hop");
  }
  {
    auto [v, dec] = check("bidirectional_route", rs::bidirectional_route_schema(),
                          rs::bidirectional_route_value(std::span<const uint8_t, 70>(desc.data(), 70),
                                                        route.at("keep_alive_ns").as_int64(), fwd, rev));
    std::vector<uint8_t> d;
    REQUIRE(dec.field(v, "Desc")->byte_array(d));
    CHECK(d == desc);
    CHECK(dec.field(v, "KeepAlive")->as_int() == 30000000000);
    auto* f = dec.field(v, "Forward");
    REQUIRE(f);
    REQUIRE(f->items.size() == 2);
    CHECK(dec.field(f->items[1], "To")->data == std::vector<uint8_t>(fwd[1].to.bytes.begin(), fwd[1].to.bytes.end()));
    auto* fwd_t = dec.types().find(f->type);
    REQUIRE(fwd_t);
    CHECK(fwd_t->name == "[]routing.Hop");
  }
  {
    auto& in = routing_vectors().at("setup_node_rpc").at("alice_received_edge_rules").as_object();
    auto d2 = unhexv(in.at("desc_hex"));
    auto fr = unhexv(in.at("forward_rule_hex"));
    auto rr = unhexv(in.at("reverse_rule_hex"));
    auto [v, dec] = check("edge_rules", rs::edge_rules_schema(),
                          rs::edge_rules_value(std::span<const uint8_t, 70>(d2.data(), 70), fr, rr));
    CHECK(dec.field(v, "Forward")->data == fr);
    CHECK(dec.field(v, "Reverse")->data == rr);
  }
  {
    auto [v, dec] = check("route_ids", rs::route_ids_schema(),
                          rs::route_ids_value({route_id{11}, route_id{12}}));
    REQUIRE(v.items.size() == 2);
    CHECK(v.items[1].as_uint() == 12);
    CHECK(dec.type_of(v)->name.empty());
  }
  {
    auto [v, dec] = check("uint8", schema::uint_(), value::of_uint(2));
    CHECK(v.as_uint() == 2);
    CHECK(v.type == gob::builtin::uint_id);
  }
  {
    auto [v, dec] = check("bool", schema::boolean(), value::of_bool(true));
    CHECK(v.as_bool());
  }
}

TEST_CASE("gob decoder: limits and hostile input") {
  // A valid stream: Hop definition set + value.
  auto& sg = routing_vectors().at("standalone_gob").as_object();
  auto good = unhexv(sg.at("hop").at("encoded").at("hex"));

  SUBCASE("byte-at-a-time streaming gives the same value") {
    gob::stream_decoder sd;
    std::optional<value> got;
    for (auto b : good) {
      sd.feed(byte_span{&b, 1});
      auto r = sd.next();
      REQUIRE(r);
      if (*r) {
        CHECK_FALSE(got);
        got = std::move(**r);
      }
    }
    REQUIRE(got);
    gob::decoder dec;
    auto once = dec.decode_one(good);
    REQUIRE(once);
    CHECK(*got == *once);
    CHECK(sd.buffered() == 0);
  }
  SUBCASE("every truncation fails or waits, never crashes") {
    for (size_t n = 0; n < good.size(); ++n) {
      gob::decoder dec;
      CHECK_FALSE(dec.decode_one(byte_span{good}.first(n)));
    }
  }
  SUBCASE("duplicate type definitions are rejected, and errors are sticky") {
    gob::decoder dec;
    auto def = unhex("12ff85060101065075624b657901ff86000000");
    auto st = dec.next(def);
    REQUIRE(st);
    CHECK(st->consumed == def.size());
    auto again = dec.next(def);
    REQUIRE_FALSE(again);
    CHECK(dec.failed());
    CHECK_FALSE(dec.next(good));
  }
  SUBCASE("unknown type id") {
    gob::decoder dec;
    auto r = dec.decode_one(unhex("03ff8200"));
    REQUIRE_FALSE(r);
  }
  SUBCASE("message length over the limit") {
    gob::limits lim;
    lim.max_message = 64;
    gob::decoder dec{lim};
    auto r = dec.next(unhex("ff80ff82"));
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == static_cast<uint8_t>(wire_errc::oversized));
  }
  SUBCASE("slice count larger than the message") {
    // type 65 = []uint; value claims 1000 elements in a 5-byte message.
    gob::decoder dec;
    auto defs = unhex("0cff81020102ff820001060000");
    REQUIRE(dec.next(defs));
    auto r = dec.next(unhex("05ff8200fe03e8"));
    REQUIRE_FALSE(r);
  }
  SUBCASE("too many type definitions") {
    gob::limits lim;
    lim.max_types = 2;
    gob::decoder dec{lim};
    std::vector<uint8_t> s;
    for (int id = 65; id < 68; ++id) {
      std::vector<uint8_t> p;
      gob::wire_type t;
      t.k = gob::kind::slice;
      t.id = id;
      t.elem = gob::builtin::uint_id;
      gob::encode_definition(t, p);
      gob::append_message(s, p);
    }
    auto r = dec.next(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == static_cast<uint8_t>(wire_errc::oversized));
  }
  SUBCASE("deep nesting is bounded") {
    // type 65 = struct { F []65 }: a value nested 100 levels deep.
    gob::limits lim;
    lim.max_depth = 20;
    gob::decoder dec{lim};
    std::vector<uint8_t> s, p;
    gob::wire_type st;
    st.k = gob::kind::struct_;
    st.id = 65;
    st.name = "T";
    st.fields.push_back({"F", 66});
    gob::encode_definition(st, p);
    gob::append_message(s, p);
    p.clear();
    gob::wire_type sl;
    sl.k = gob::kind::slice;
    sl.id = 66;
    sl.elem = 65;
    gob::encode_definition(sl, p);
    gob::append_message(s, p);
    p.clear();
    gob::put_int(p, 65);
    for (int k = 0; k < 100; ++k) {
      p.push_back(1); // field F
      p.push_back(1); // one element
    }
    for (int k = 0; k < 101; ++k)
      p.push_back(0);
    gob::append_message(s, p);
    auto r = dec.decode_one(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == static_cast<uint8_t>(wire_errc::oversized));
    // The recursive type cannot become a schema either.
    CHECK_FALSE(gob::schema_from_wire(dec.types(), 65));
  }
  SUBCASE("non-nil interfaces are unsupported, nil ones decode") {
    gob::decoder dec;
    std::vector<uint8_t> s, p;
    gob::wire_type st;
    st.k = gob::kind::struct_;
    st.id = 65;
    st.name = "I";
    st.fields.push_back({"X", gob::builtin::interface_id});
    gob::encode_definition(st, p);
    gob::append_message(s, p);
    p.clear();
    gob::put_int(p, 65);
    p.insert(p.end(), {1, 0, 0}); // X = nil interface
    auto ok = s;
    gob::append_message(ok, p);
    auto v = dec.decode_one(ok);
    REQUIRE(v);
    CHECK(v->items[0].t == value::tag::nil_interface);
    p.clear();
    gob::put_int(p, 65);
    p.insert(p.end(), {1, 1, 'x', 0});
    std::vector<uint8_t> bad;
    gob::append_message(bad, p);
    CHECK_FALSE(dec.decode_one(bad));
  }
}

TEST_CASE("gob encoder: zero values, maps, floats, re-encoding decoded values") {
  auto inner = schema::struct_("Inner", {{"A", schema::int_()}});
  auto m = schema::map("map[string]int", schema::string(), schema::int_());
  auto outer = schema::struct_("Outer", {{"S", schema::string()},
                                         {"In", inner},
                                         {"M", m},
                                         {"F", schema::float_()},
                                         {"L", schema::slice("[]string", schema::string())},
                                         {"B", schema::boolean()}});
  gob::encoder enc;
  std::vector<uint8_t> out;
  // All zero: S, M, F, L, B omitted; the nested struct is always sent.
  REQUIRE_FALSE(enc.encode(outer, value::of_struct({}), out));
  gob::decoder dec;
  auto z = dec.decode_one(out);
  REQUIRE(z);
  CHECK(dec.field(*z, "S")->is_none());
  CHECK(dec.field(*z, "In")->t == value::tag::struct_);
  // A full value round-trips through a schema rebuilt from the wire types.
  auto full = value::of_struct({value::of_string("x"), value::of_struct({value::of_int(-3)}),
                                value::of_map({value::of_string("k"), value::of_int(9)}),
                                value::of_float(1.5),
                                value::of_slice({value::of_string("a"), value::of_string("")}),
                                value::of_bool(true)});
  std::vector<uint8_t> out2;
  REQUIRE_FALSE(enc.encode(outer, full, out2));
  auto v = dec.decode_one(out2);
  REQUIRE(v);
  CHECK(dec.field(*v, "F")->f == 1.5);
  CHECK(dec.field(*dec.field(*v, "In"), "A")->as_int() == -3);
  CHECK(dec.field(*v, "M")->items.size() == 2);
  auto rebuilt = gob::schema_from_wire(dec.types(), v->type);
  REQUIRE(rebuilt);
  gob::encoder enc2;
  std::vector<uint8_t> out3;
  REQUIRE_FALSE(enc2.encode(*rebuilt, *v, out3));
  gob::decoder dec2;
  auto v2 = dec2.decode_one(out3);
  REQUIRE(v2);
  CHECK(*v2 == *v);
  CHECK(gob::to_string(*v2, &dec2.types())
        == R"({S: "x", In: {A: -3}, M: map["k": 9], F: 1.5, L: ["a", ""], B: true})");
  // Mismatched values are errors and write nothing.
  std::vector<uint8_t> none;
  CHECK(enc.encode(outer, value::of_uint(3), none));
  CHECK(enc.encode(schema::array("[2]uint8", schema::uint_(), 2), value::of_byte_array(nullptr, 0), none));
  CHECK(none.empty());
}
