#include <doctest/doctest.h>

#include <map>

#include "messages/wire/rpc/net_rpc.hpp"
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
namespace rs = skywire::wire::rpc::route_setup;

namespace {

const boost::json::object& routing_vectors() {
  static const auto v = test::load_vectors("skywire/routing.json");
  return v.as_object();
}

rs::hop hop_from(const boost::json::value& j) {
  rs::hop h;
  h.tp_id = *transport_id::from_string(str(j.at("TpID")));
  h.from = *public_key::from_hex(str(j.at("From")));
  h.to = *public_key::from_hex(str(j.at("To")));
  return h;
}

std::string joined(const boost::json::array& msgs) {
  std::string out;
  for (auto& m : msgs)
    out += str(m.at("hex"));
  return out;
}

// Argument schema and value for a call, from the vector's decoded form.
std::pair<gob::schema_ptr, value> argument(const std::string& method, const boost::json::value& d) {
  if (method == "SetupRPCGateway.DialRouteGroup") {
    auto desc = unhexv(d.at("Desc_hex"));
    std::vector<rs::hop> fwd, rev;
    for (auto& h : d.at("Forward").as_array())
      fwd.push_back(hop_from(h));
    for (auto& h : d.at("Reverse").as_array())
      rev.push_back(hop_from(h));
    return {rs::bidirectional_route_schema(),
            rs::bidirectional_route_value(std::span<const uint8_t, 70>(desc.data(), 70),
                                          d.at("KeepAlive_ns").as_int64(), fwd, rev)};
  }
  if (method == "RPCGateway.ReserveIDs")
    return {schema::uint_(), value::of_uint(static_cast<uint64_t>(d.as_int64()))};
  if (method == "RPCGateway.AddIntermediaryRules") {
    std::vector<std::vector<uint8_t>> rules;
    for (auto& r : d.as_array())
      rules.push_back(unhexv(r));
    return {rs::rules_schema(), rs::rules_value(rules)};
  }
  if (method == "RPCGateway.AddEdgeRules") {
    auto desc = unhexv(d.at("Desc_hex"));
    return {rs::edge_rules_schema(),
            rs::edge_rules_value(std::span<const uint8_t, 70>(desc.data(), 70),
                                 unhexv(d.at("Forward_hex")), unhexv(d.at("Reverse_hex")))};
  }
  FAIL("unknown method " << method);
  return {};
}

std::pair<gob::schema_ptr, value> reply(const std::string& method, const boost::json::value& d) {
  if (method == "SetupRPCGateway.DialRouteGroup") {
    auto desc = unhexv(d.at("Desc_hex"));
    return {rs::edge_rules_schema(),
            rs::edge_rules_value(std::span<const uint8_t, 70>(desc.data(), 70),
                                 unhexv(d.at("Forward_hex")), unhexv(d.at("Reverse_hex")))};
  }
  if (method == "RPCGateway.ReserveIDs") {
    std::vector<route_id> ids;
    for (auto& x : d.as_array())
      ids.push_back(route_id{static_cast<uint32_t>(x.as_int64())});
    return {rs::route_ids_schema(), rs::route_ids_value(ids)};
  }
  return {schema::boolean(), value::of_bool(d.as_bool())};
}

// Checks a decoded argument/reply against the vector's decoded form.
void check_decoded(const gob::decoder& dec, const std::string& method, const value& v,
                   const boost::json::value& d, bool is_reply) {
  if (method == "RPCGateway.ReserveIDs" && !is_reply) {
    CHECK(v.as_uint() == static_cast<uint64_t>(d.as_int64()));
  } else if (method == "RPCGateway.ReserveIDs") {
    REQUIRE(v.items.size() == d.as_array().size());
    for (size_t k = 0; k < v.items.size(); ++k)
      CHECK(v.items[k].as_uint() == static_cast<uint64_t>(d.as_array()[k].as_int64()));
  } else if (method == "RPCGateway.AddIntermediaryRules" && !is_reply) {
    REQUIRE(v.items.size() == d.as_array().size());
    for (size_t k = 0; k < v.items.size(); ++k)
      CHECK(hex(v.items[k].data) == str(d.as_array()[k]));
  } else if (d.is_bool()) {
    CHECK(v.as_bool() == d.as_bool());
  } else {
    // BidirectionalRoute or EdgeRules.
    std::vector<uint8_t> desc;
    REQUIRE(dec.field(v, "Desc"));
    REQUIRE(dec.field(v, "Desc")->byte_array(desc));
    CHECK(hex(desc) == str(d.at("Desc_hex")));
    if (auto* ka = d.as_object().if_contains("KeepAlive_ns"))
      CHECK(dec.field(v, "KeepAlive")->as_int() == ka->as_int64());
    if (auto* fw = d.as_object().if_contains("Forward")) {
      auto* f = dec.field(v, "Forward");
      REQUIRE(f);
      REQUIRE(f->items.size() == fw->as_array().size());
      for (size_t k = 0; k < f->items.size(); ++k) {
        auto h = hop_from(fw->as_array()[k]);
        CHECK(dec.field(f->items[k], "TpID")->data
              == std::vector<uint8_t>(h.tp_id.bytes.begin(), h.tp_id.bytes.end()));
        CHECK(dec.field(f->items[k], "From")->data
              == std::vector<uint8_t>(h.from.bytes.begin(), h.from.bytes.end()));
      }
    }
    if (auto* fr = d.as_object().if_contains("Forward_hex"))
      CHECK(hex(dec.field(v, "Forward")->data) == str(*fr));
    if (auto* rr = d.as_object().if_contains("Reverse_hex"))
      CHECK(hex(dec.field(v, "Reverse")->data) == str(*rr));
  }
}

} // namespace

TEST_CASE("route setup RPC channels: byte-exact streams and decoded calls") {
  auto& channels = routing_vectors().at("setup_node_rpc").at("channels").as_array();
  REQUIRE(channels.size() == 4);
  // One process_types per Go process; the setup node's calls to carol
  // (AddIntermediaryRules) came before bob's AddEdgeRules and before its reply
  // to alice, and alice replied to ReserveIDs after her own DialRouteGroup.
  std::map<std::string, std::shared_ptr<gob::process_types>> procs;
  for (auto name : {"alice", "carol", "bob", "setup node"})
    procs[name] = std::make_shared<gob::process_types>();
  struct encoded_channel {
    std::vector<uint8_t> c2s, s2c;
  };
  std::vector<encoded_channel> enc(channels.size());
  auto encode_client = [&](size_t i) {
    auto& ch = channels[i].as_object();
    rpc::client_codec cc{procs[str(ch.at("client"))]};
    for (auto& call : ch.at("client_to_server_calls").as_array()) {
      auto method = str(call.at("service_method"));
      auto [s, v] = argument(method, call.at("arg_decoded"));
      std::vector<uint8_t> out;
      REQUIRE_FALSE(cc.write_request({method, static_cast<uint64_t>(call.at("seq").as_int64())}, s, v, out));
      CHECK(hex(out).substr(0, str(call.at("header_bytes_hex")).size()) == str(call.at("header_bytes_hex")));
      CHECK(hex(out) == str(call.at("header_bytes_hex")) + joined(call.at("arg_gob_messages").as_array()));
      enc[i].c2s.insert(enc[i].c2s.end(), out.begin(), out.end());
    }
  };
  auto encode_server = [&](size_t i) {
    auto& ch = channels[i].as_object();
    rpc::server_codec sc{procs[str(ch.at("server"))]};
    for (auto& rep : ch.at("server_to_client_replies").as_array()) {
      auto method = str(rep.at("service_method"));
      auto [s, v] = reply(method, rep.at("reply_decoded"));
      std::vector<uint8_t> out;
      REQUIRE_FALSE(sc.write_response({method, static_cast<uint64_t>(rep.at("seq").as_int64()),
                                       str(rep.at("error"))}, s, v, out));
      CHECK(hex(out) == joined(rep.at("header_gob_messages").as_array())
                          + joined(rep.at("reply_gob_messages").as_array()));
      enc[i].s2c.insert(enc[i].s2c.end(), out.begin(), out.end());
    }
  };
  // alice's process: DialRouteGroup (client, ch 0), then her gateway replies (server, ch 1).
  encode_client(0);
  encode_server(1);
  // setup node's process: calls to alice, carol, bob, then its reply to alice.
  encode_client(1);
  encode_client(2);
  encode_client(3);
  encode_server(0);
  encode_server(2);
  encode_server(3);

  size_t calls = 0;
  for (size_t i = 0; i < channels.size(); ++i) {
    auto& ch = channels[i].as_object();
    CAPTURE(str(ch.at("channel")));
    CHECK(hex(enc[i].c2s) == str(ch.at("client_to_server_hex")));
    CHECK(hex(enc[i].s2c) == str(ch.at("server_to_client_hex")));

    // Decode the whole client stream as a server would, in uneven chunks.
    rpc::server_codec sc;
    auto c2s = unhexv(ch.at("client_to_server_hex"));
    std::vector<rpc::inbound_request> got;
    for (size_t pos = 0; pos < c2s.size(); pos += 7) {
      sc.feed(byte_span{c2s}.subspan(pos, std::min<size_t>(7, c2s.size() - pos)));
      for (;;) {
        auto r = sc.next_request();
        REQUIRE(r);
        if (!*r)
          break;
        got.push_back(std::move(**r));
      }
    }
    auto& calls_j = ch.at("client_to_server_calls").as_array();
    REQUIRE(got.size() == calls_j.size());
    for (size_t k = 0; k < got.size(); ++k) {
      auto method = str(calls_j[k].at("service_method"));
      CHECK(got[k].header.service_method == method);
      CHECK(got[k].header.seq == static_cast<uint64_t>(calls_j[k].at("seq").as_int64()));
      check_decoded(sc.decoder(), method, got[k].arg, calls_j[k].at("arg_decoded"), false);
      ++calls;
    }

    rpc::client_codec cc;
    cc.feed(unhexv(ch.at("server_to_client_hex")));
    auto& reps = ch.at("server_to_client_replies").as_array();
    for (auto& rep : reps) {
      auto r = cc.next_response();
      REQUIRE(r);
      REQUIRE(*r);
      auto method = str(rep.at("service_method"));
      CHECK((*r)->header.service_method == method);
      CHECK((*r)->header.error == str(rep.at("error")));
      check_decoded(cc.decoder(), method, (*r)->reply, rep.at("reply_decoded"), true);
    }
    auto end = cc.next_response();
    REQUIRE(end);
    CHECK_FALSE(*end);
  }
  CHECK(calls == 6);
}

TEST_CASE("net/rpc error reply") {
  auto& er = routing_vectors().at("rpc_error_reply").as_object();
  // Client and server in one process: Request 65, Response 66, struct{} 67.
  auto proc = std::make_shared<gob::process_types>();
  rpc::client_codec cc{proc};
  rpc::server_codec sc{proc};
  std::vector<uint8_t> req;
  REQUIRE_FALSE(cc.write_request({"RPCGateway.ReserveIDs", 0}, schema::uint_(), value::of_uint(3), req));
  CHECK(hex(req) == str(er.at("client_to_server_hex")));
  sc.feed(req);
  auto in = sc.next_request();
  REQUIRE(in);
  REQUIRE(*in);
  CHECK((*in)->arg.as_uint() == 3);
  std::vector<uint8_t> resp;
  auto& rep = er.at("server_to_client_replies").as_array()[0];
  REQUIRE_FALSE(sc.write_error((*in)->header, str(rep.at("error")), resp));
  CHECK(hex(resp) == joined(rep.at("header_gob_messages").as_array()) + str(rep.at("reply_bytes_hex")));
  cc.feed(resp);
  auto out = cc.next_response();
  REQUIRE(out);
  REQUIRE(*out);
  CHECK((*out)->header.error == str(er.at("client_error")));
  CHECK((*out)->header.service_method == "RPCGateway.ReserveIDs");
  CHECK((*out)->reply.t == value::tag::struct_);
  CHECK((*out)->reply.items.empty());
}

TEST_CASE("net/rpc codecs reject bad headers") {
  SUBCASE("a non-struct header") {
    gob::encoder e;
    std::vector<uint8_t> b;
    REQUIRE_FALSE(e.encode(schema::uint_(), value::of_uint(1), b));
    rpc::server_codec sc;
    sc.feed(b);
    CHECK_FALSE(sc.next_request());
  }
  SUBCASE("an over-long service method") {
    rpc::client_codec cc;
    std::vector<uint8_t> b;
    REQUIRE_FALSE(cc.write_request({std::string(300, 'x'), 1}, schema::boolean(), value::of_bool(true), b));
    rpc::server_codec sc;
    sc.feed(b);
    auto r = sc.next_request();
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == static_cast<uint8_t>(wire_errc::oversized));
  }
  SUBCASE("a mismatched argument leaves the codec usable") {
    rpc::client_codec cc;
    std::vector<uint8_t> b;
    CHECK(cc.write_request({"A.B", 1}, schema::uint_(), value::of_string("no"), b));
    CHECK(b.empty());
    REQUIRE_FALSE(cc.write_request({"A.B", 2}, schema::uint_(), value::of_uint(5), b));
    rpc::server_codec sc;
    sc.feed(b);
    auto r = sc.next_request();
    REQUIRE(r);
    REQUIRE(*r);
    CHECK((*r)->header.seq == 2);
  }
}
