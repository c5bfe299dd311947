// Transport ids, entries, the transport handshake, settlement and the AR
// control channel against transport.json; signatures checked with crypto::verify.
#include <doctest/doctest.h>

#include "messages/wire/transport/address_resolver.hpp"
#include "messages/wire/transport/entry.hpp"
#include "messages/wire/transport/handshake.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "tests/messages/wire/wire_vectors.hpp"

using namespace skywire;
using namespace skywire::wire::transport;
using namespace wire_test;

namespace {

const boost::json::object& tp_vec() {
  return vectors("transport.json").as_object();
}

public_key named(std::string_view who) {
  if (who == "alice")
    return alice;
  if (who == "bob")
    return bob;
  if (who == "carol")
    return carol;
  FAIL("unknown identity " << who);
  return {};
}

handshake_nonce nonce_0_15() {
  handshake_nonce n{};
  for (uint8_t i = 0; i < 16; ++i)
    n[i] = i;
  return n;
}

} // namespace

TEST_CASE("transport ids: all 12 vector items") {
  const auto& items = tp_vec().at("transport_ids").at("items").as_array();
  CHECK(items.size() == 12);
  for (const auto& it : items) {
    auto a = named(str(it.at("pk_a")));
    auto b = named(str(it.at("pk_b")));
    auto type = str(it.at("type"));
    CAPTURE(type);
    auto edges = sort_edges(a, b);
    CHECK(edges[0].hex() == str(it.at("edges_sorted").at(0)));
    CHECK(edges[1].hex() == str(it.at("edges_sorted").at(1)));
    CHECK(sort_edges(b, a) == edges);
    auto input = unhex(it.at("sha256_input_hex"));
    CHECK(crypto::sha256(span(input)).hex() == str(it.at("sha256")));
    auto id = crypto::make_transport_id(a, b, type);
    CHECK(id.to_string() == str(it.at("transport_id")));
    CHECK(to_hex({id.bytes.data(), 16}) == str(it.at("transport_id_hex")));
    CHECK(crypto::make_transport_id(b, a, type) == id);
    CHECK((id.bytes[6] >> 4) == 0);
    CHECK((id.bytes[8] & 0xc0) == 0x80);
  }
}

TEST_CASE("entry: JSON, signed binary form and labels") {
  const auto& v = tp_vec().at("entry");
  auto e = crypto::make_transport_entry(alice, bob, type_stcpr);
  CHECK(encode_entry_json(e) == str(v.at("json")));
  CHECK(hex(e.to_binary()) == str(v.at("to_binary_hex")));
  CHECK(crypto::sha256(span(e.to_binary())).hex() == str(v.at("sha256_of_binary")));
  auto dec = decode_entry_json(str(v.at("json")));
  REQUIRE_MESSAGE(dec, describe(dec.error()));
  CHECK(*dec == e);
  CHECK_FALSE(crypto::check_transport_id(*dec));
  const auto& labels = v.at("labels_examples_dmsg_type").as_array();
  transport_label ls[] = {transport_label::user, transport_label::automatic,
                          transport_label::skycoin};
  for (size_t i = 0; i < 3; ++i) {
    auto de = crypto::make_transport_entry(bob, alice, type_dmsg, ls[i]);
    CHECK(encode_entry_json(de) == str(labels[i]));
    auto back = decode_entry_json(str(labels[i]));
    REQUIRE(back);
    CHECK(*back == de);
    // The label is not part of the signed bytes.
    CHECK(de.to_binary() == crypto::make_transport_entry(alice, bob, type_dmsg).to_binary());
  }
  CHECK(*e.edge_index(alice) == 1);
  CHECK(*e.edge_index(bob) == 0);
  CHECK_FALSE(e.edge_index(carol));
  CHECK(e.remote_edge(alice) == bob);
}

TEST_CASE("signed entry: one and two signatures, slots, TPD body, registered") {
  const auto& v = tp_vec().at("signed_entry");
  auto e = crypto::make_transport_entry(alice, bob, type_stcpr);
  auto bin = e.to_binary();

  auto one = decode_signed_entry_json(str(v.at("one_signature_json_with_newline")));
  REQUIRE_MESSAGE(one, describe(one.error()));
  CHECK(one->entry == e);
  CHECK(one->signatures[0].is_null());
  CHECK_FALSE(crypto::verify(span(bin), alice, one->signatures[1]));
  CHECK(one->signature_of(alice) == one->signatures[1]);
  CHECK(encode_signed_entry_line(*one) == str(v.at("one_signature_json_with_newline")));

  // Rebuild from parts: alice's signature lands in slot 1.
  signed_entry se;
  se.entry = e;
  REQUIRE_FALSE(se.set_signature(alice, one->signatures[1]));
  CHECK(encode_signed_entry_line(se) == str(v.at("one_signature_json_with_newline")));
  CHECK(se.set_signature(carol, one->signatures[1]));

  auto both = decode_signed_entry_json(str(v.at("both_signatures_json_with_newline")));
  REQUIRE(both);
  CHECK_FALSE(crypto::verify(span(bin), bob, both->signatures[0]));
  CHECK_FALSE(crypto::verify(span(bin), alice, both->signatures[1]));
  CHECK(crypto::verify(span(bin), alice, both->signatures[0])); // wrong slot fails
  CHECK(encode_signed_entry_line(*both) == str(v.at("both_signatures_json_with_newline")));

  CHECK(encode_tpd_post_body({*both}) == str(v.at("tpd_post_transports_body")));
  auto list = decode_signed_entry_list(str(v.at("tpd_post_transports_body")));
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK((*list)[0] == *both);

  auto reg = decode_signed_entry_json(str(v.at("with_registered_field")));
  REQUIRE(reg);
  CHECK(reg->registered == 1700000000);
  CHECK(encode_signed_entry_json(*reg) == str(v.at("with_registered_field")));
}

TEST_CASE("entry decoders are strict") {
  auto good = str(tp_vec().at("entry").at("json"));
  auto with = [&](std::string_view from, std::string_view to) {
    auto s = good;
    auto pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    s.replace(pos, from.size(), to);
    return s;
  };
  CHECK_FALSE(decode_entry_json(with("\"label\":\"user\"", "\"label\":\"bogus\"")));
  CHECK_FALSE(decode_entry_json(with("\"type\":\"stcpr\"", "\"type\":\"STCPR\"")));
  CHECK_FALSE(decode_entry_json(with("\"type\":\"stcpr\"", "\"type\":\"\"")));
  CHECK_FALSE(decode_entry_json(with("\"t_id\"", "\"T_ID\"")));
  CHECK_FALSE(decode_entry_json(with("9ff2818c-b326-0541-9f0b-f73272312553",
                                     "9ff2818cb32605419f0bf73272312553")));
  // Edges out of order, equal, null, three of them.
  auto e0 = bob.hex();
  auto e1 = alice.hex();
  CHECK_FALSE(decode_entry_json(with("[\"" + e0 + "\",\"" + e1 + "\"]",
                                     "[\"" + e1 + "\",\"" + e0 + "\"]")));
  CHECK_FALSE(decode_entry_json(with("[\"" + e0 + "\",\"" + e1 + "\"]",
                                     "[\"" + e0 + "\",\"" + e0 + "\"]")));
  CHECK_FALSE(decode_entry_json(with("\"" + e0 + "\"", "\"\"")));
  CHECK_FALSE(decode_entry_json(with("\"" + e1 + "\"]", "\"" + e1 + "\",\"" + e1 + "\"]")));
  CHECK_FALSE(decode_entry_json(with("\"label\":\"user\"", "\"label\":null")));
  CHECK_FALSE(decode_entry_json(good + ","));
  CHECK_FALSE(decode_entry_json(""));
  // A wrong t_id parses (needs SHA-256 to detect) but fails the crypto check.
  auto wrong = decode_entry_json(with("9ff2818c", "9ff2818d"));
  REQUIRE(wrong);
  CHECK(crypto::check_transport_id(*wrong));
  // Unknown fields are ignored, as Go does.
  CHECK(decode_entry_json(with("\"label\":\"user\"", "\"label\":\"user\",\"x\":1")));
  auto signed_json = str(tp_vec().at("signed_entry").at("with_registered_field"));
  auto neg = signed_json;
  neg.replace(neg.find("1700000000"), 10, "-1");
  CHECK_FALSE(decode_signed_entry_json(neg));
  CHECK_FALSE(decode_signed_entry_list("{}"));
  CHECK_FALSE(decode_signed_entry_list("[" + signed_json + "," + signed_json + "]", 1));
}

TEST_CASE("handshake with a fixed nonce: frames byte for byte, signature verifies") {
  const auto& v = tp_vec().at("handshake_fixed_nonce");
  CHECK(std::string{frame0_text} == str(v.at("frame0_ascii")));
  CHECK(hex(frame0_text) == str(v.at("frame0_hex")));
  CHECK_FALSE(check_frame0(span(frame0_text)));
  CHECK(check_frame0(span(std::string_view{"get_nonc"})));
  CHECK(check_frame0(span(std::string_view{"get_nonceX"})));
  CHECK(check_frame0(span(std::string_view{"GET_NONCE"})));

  frame1 f1{nonce_0_15()};
  CHECK(encode_frame1(f1) == str(v.at("frame1_json")));
  auto d1 = decode_frame1(str(v.at("frame1_json")));
  REQUIRE(d1);
  CHECK(*d1 == f1);

  frame2 f2;
  f2.src = {alice, port{49152}};
  f2.dst = {bob, port{45}};
  f2.nonce = nonce_0_15();
  auto signed_bytes = frame2_signed_bytes(f2);
  CHECK(signed_bytes == str(v.at("frame2_as_signed_json")));
  CHECK(hex(signed_bytes) == str(v.at("frame2_as_signed_hex")));
  CHECK(crypto::sha256(span(signed_bytes)).hex() == str(v.at("frame2_signed_sha256")));
  f2.sig = *signature::from_hex(str(v.at("frame2_sig")));
  CHECK(encode_frame2(f2) == str(v.at("frame2_wire_json")));
  auto d2 = decode_frame2(str(v.at("frame2_wire_json")));
  REQUIRE_MESSAGE(d2, describe(d2.error()));
  CHECK(*d2 == f2);
  CHECK(frame2_signed_bytes(*d2) == signed_bytes);
  CHECK_FALSE(crypto::verify(span(frame2_signed_bytes(*d2)), d2->src.pk, d2->sig));
  CHECK_FALSE(check_frame2_nonce(*d2, nonce_0_15()));
  CHECK(check_frame2_nonce(*d2, handshake_nonce{}));

  frame3 ok{true, ""};
  CHECK(encode_frame3(ok) == str(v.at("frame3_ok_json")));
  auto d3 = decode_frame3(str(v.at("frame3_ok_json")));
  REQUIRE(d3);
  CHECK(*d3 == ok);
}

TEST_CASE("handshake live exchange: frames reproduce, signature verifies, settlement") {
  const auto& v = tp_vec().at("handshake_live_exchange");
  const auto& ini = v.at("initiator_tcp_bytes");
  const auto& res = v.at("responder_tcp_bytes");
  CHECK_FALSE(check_frame0(span(unhex(ini.at("frame0_hex")))));

  // Responder's Frame1 arrives through the line splitter in odd chunks.
  line_splitter ls{max_handshake_frame};
  auto f1_text = str(res.at("frame1_ascii"));
  for (size_t i = 0; i < f1_text.size(); i += 5)
    ls.feed(span(std::string_view{f1_text}.substr(i, 5)));
  auto line = ls.next();
  REQUIRE(line);
  REQUIRE(*line);
  auto f1 = decode_frame1(**line);
  REQUIRE(f1);
  CHECK(encode_frame1(*f1) == f1_text);

  auto f2 = decode_frame2(str(ini.at("frame2_ascii")));
  REQUIRE(f2);
  CHECK(encode_frame2(*f2) == str(ini.at("frame2_ascii")));
  CHECK(frame2_signed_bytes(*f2) == str(ini.at("frame2_as_signed_ascii")));
  CHECK_FALSE(check_frame2_nonce(*f2, f1->nonce));
  CHECK_FALSE(crypto::verify(span(frame2_signed_bytes(*f2)), alice, f2->sig));
  CHECK(crypto::verify(span(frame2_signed_bytes(*f2)), bob, f2->sig));
  // A tampered frame no longer verifies.
  auto tampered = *f2;
  tampered.dst.prt = port{46};
  CHECK(crypto::verify(span(frame2_signed_bytes(tampered)), alice, tampered.sig));
  CHECK(f2->dst.prt.value == transport_port);
  CHECK(encode_frame3({true, ""}) == str(res.at("frame3_ascii")));

  // Settlement: the initiator's plaintext is SignedEntry JSON + "\n".
  const auto& st = v.at("settlement");
  auto plain = str(st.at("initiator_plaintext_ascii"));
  CHECK(hex(plain) == str(st.at("initiator_frames").at(0).at("plaintext_hex")));
  auto msg = decode_settlement_message(plain);
  REQUIRE(msg);
  auto expected_entry = crypto::make_transport_entry(bob, alice, type_stcpr);
  CHECK_FALSE(check_settlement_entry(msg->entry, expected_entry));
  CHECK_FALSE(crypto::verify(span(expected_entry.to_binary()), alice, msg->signature_of(alice)));
  signed_entry rebuilt;
  rebuilt.entry = expected_entry;
  REQUIRE_FALSE(rebuilt.set_signature(alice, msg->signature_of(alice)));
  CHECK(encode_settlement_message(rebuilt) == plain);
  auto other = crypto::make_transport_entry(bob, carol, type_stcpr);
  CHECK(check_settlement_entry(msg->entry, other));
  auto other_type = crypto::make_transport_entry(bob, alice, type_sudph);
  CHECK(check_settlement_entry(msg->entry, other_type));

  // Responder's status byte and the doubly-signed entry it registers.
  auto status = decode_settlement_status(span(unhex(st.at("responder_plaintext_hex"))));
  REQUIRE(status);
  CHECK(*status == settlement_status::ok);
  for (const auto& [code, text] : st.at("status_codes").as_object()) {
    uint8_t b = static_cast<uint8_t>(std::stoi(std::string{code.data(), code.size()}));
    auto s = decode_settlement_status({&b, 1});
    REQUIRE(s);
    CHECK(static_cast<uint8_t>(*s) == b);
    CAPTURE(str(text));
  }
  uint8_t four = 4;
  CHECK_FALSE(decode_settlement_status({&four, 1}));
  CHECK_FALSE(decode_settlement_status({}));
  auto reg = decode_signed_entry_list(str(st.at("registered_by_responder")));
  REQUIRE(reg);
  REQUIRE(reg->size() == 1);
  const auto& both = (*reg)[0];
  CHECK_FALSE(crypto::verify(span(expected_entry.to_binary()), bob, both.signature_of(bob)));
  CHECK_FALSE(crypto::verify(span(expected_entry.to_binary()), alice, both.signature_of(alice)));
  CHECK(encode_tpd_post_body(*reg) == str(st.at("registered_by_responder")));
}

TEST_CASE("handshake rejected: Frame1 and Frame3 with OK=false") {
  const auto& v = tp_vec().at("handshake_rejected");
  const auto& frames = v.at("responder_frames_ascii").as_array();
  auto f1 = decode_frame1(str(frames[0]));
  REQUIRE(f1);
  CHECK(encode_frame1(*f1) == str(frames[0]));
  auto f3 = decode_frame3(str(frames[1]));
  REQUIRE(f3);
  CHECK_FALSE(f3->ok);
  CHECK(f3->err_msg == "not listening on given port");
  CHECK(encode_frame3({false, "not listening on given port"}) == str(frames[1]));
}

TEST_CASE("handshake decoders are strict and bounded") {
  CHECK_FALSE(decode_frame1("{\"Nonce\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14]}\n"));
  CHECK_FALSE(decode_frame1("{\"Nonce\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}\n"));
  CHECK_FALSE(decode_frame1("{\"Nonce\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,256]}\n"));
  CHECK_FALSE(decode_frame1("{\"Nonce\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,-1]}\n"));
  CHECK_FALSE(decode_frame1("{\"Nonce\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,1.0]}\n"));
  CHECK_FALSE(decode_frame1("{\"Nonce\":\"AAECAwQFBgcICQoLDA0ODw==\"}\n"));
  CHECK_FALSE(decode_frame1("{\"nonce\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}\n"));
  CHECK_FALSE(decode_frame1("{\"Nonce\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}"));
  CHECK_FALSE(decode_frame1("{\"Nonce\":null}\n"));
  CHECK_FALSE(decode_frame1("[]\n"));
  CHECK_FALSE(decode_frame1(std::string(2000, ' ') + "\n"));
  auto wire = str(tp_vec().at("handshake_fixed_nonce").at("frame2_wire_json"));
  auto no_sig = wire;
  no_sig.replace(no_sig.find(",\"Sig\""), no_sig.size() - no_sig.find(",\"Sig\"") - 2, "");
  CHECK_FALSE(decode_frame2(no_sig));
  auto bad_port = wire;
  bad_port.replace(bad_port.find("49152"), 5, "65536");
  CHECK_FALSE(decode_frame2(bad_port));
  auto short_sig = wire;
  short_sig.replace(short_sig.find("1f036220"), 8, "1f03");
  CHECK_FALSE(decode_frame2(short_sig));
  CHECK_FALSE(decode_frame3("{\"OK\":1,\"ErrMsg\":\"\"}\n"));
  CHECK_FALSE(decode_frame3("{\"OK\":true}\n"));
  CHECK_FALSE(decode_frame3("{\"OK\":true,\"ErrMsg\":\"" + std::string(2000, 'x') + "\"}\n"));

  line_splitter ls{16};
  ls.feed(span(std::string_view{"0123456789abcdef"}));
  CHECK_FALSE(ls.next());
  line_splitter two{64};
  two.feed(span(std::string_view{"{\"a\":1}\n{\"b\":2}\nrest"}));
  CHECK(**two.next() == "{\"a\":1}\n");
  CHECK(**two.next() == "{\"b\":2}\n");
  CHECK_FALSE(*two.next());
  auto rest = two.take_rest();
  CHECK(std::string(rest.begin(), rest.end()) == "rest");
}

TEST_CASE("sudph address resolver channel") {
  const auto& v = tp_vec().at("sudph_address_resolver_channel");
  frame2 f2;
  f2.src = {alice, port{0}};
  f2.dst = {public_key{}, port{0}};
  f2.nonce = nonce_0_15();
  CHECK(frame2_signed_bytes(f2) == str(v.at("frame2_as_signed_json")));
  auto wire = decode_frame2(str(v.at("frame2_wire_json")));
  REQUIRE(wire);
  CHECK(wire->dst.pk.is_null());
  CHECK(encode_frame2(*wire) == str(v.at("frame2_wire_json")));
  CHECK_FALSE(crypto::verify(span(frame2_signed_bytes(*wire)), alice, wire->sig));

  local_addresses la{port{52345}, {"192.168.1.10", "10.0.0.5"}};
  CHECK(encode_local_addresses(la) == str(v.at("bind_message_json")));
  auto dla = decode_local_addresses(str(v.at("bind_message_json")));
  REQUIRE(dla);
  CHECK(*dla == la);
  CHECK(encode_local_addresses({port{1}, {}}) == R"({"port":"1","addresses":null})");
  auto empty = decode_local_addresses(R"({"port":"1","addresses":null})");
  REQUIRE(empty);
  CHECK(empty->addresses.empty());
  CHECK_FALSE(decode_local_addresses(R"({"port":"65536","addresses":[]})"));
  CHECK_FALSE(decode_local_addresses(R"({"port":"0123","addresses":[]})"));
  CHECK_FALSE(decode_local_addresses(R"({"port":1234,"addresses":[]})"));
  CHECK_FALSE(decode_local_addresses(R"({"port":"1234","addresses":["<script>"]})"));
  CHECK_FALSE(decode_local_addresses(R"({"port":"1234"})"));

  CHECK(std::string{ar_heartbeat} == str(v.at("heartbeat_ascii")));
  CHECK(std::string{ar_unbind} == str(v.at("unbind_ascii")));
  CHECK(std::string{holepunch_datagram} == str(v.at("holepunch_ascii")));
  CHECK(std::to_string(default_ar_udp_port) == str(v.at("default_udp_port_when_url_has_none")));

  ar_push push{bob, "198.51.100.20:40001"};
  CHECK(encode_ar_push(push) == str(v.at("ar_push_message_json")));
  auto dp = decode_ar_push(str(v.at("ar_push_message_json")));
  REQUIRE(dp);
  CHECK(*dp == push);
  CHECK_FALSE(decode_ar_push(R"({"PK":"","Addr":"1.2.3.4:5"})"));
  CHECK_FALSE(decode_ar_push(R"({"pk":")" + bob.hex() + R"(","Addr":"1.2.3.4:5"})"));
}

TEST_CASE("address resolver messages: VisorData, /transports, channel messages") {
  // VisorData as json.Marshal writes it: remote_addr, is_local (omitempty),
  // then the embedded LocalAddresses' port and addresses
  visor_data d{"198.51.100.20:40001", false, {port{40001}, {"192.168.1.10"}}};
  CHECK(encode_visor_data(d)
        == R"({"remote_addr":"198.51.100.20:40001","port":"40001","addresses":["192.168.1.10"]})");
  d.is_local = true;
  auto text = encode_visor_data(d);
  CHECK(text
        == R"({"remote_addr":"198.51.100.20:40001","is_local":true,"port":"40001","addresses":["192.168.1.10"]})");
  auto back = decode_visor_data(text);
  REQUIRE(back);
  CHECK(*back == d);
  CHECK(encode_visor_data({"203.0.113.5", false, {port{7777}, {}}})
        == R"({"remote_addr":"203.0.113.5","port":"7777","addresses":null})");
  CHECK(decode_visor_data(R"({"remote_addr":"","port":"0","addresses":null})"));
  CHECK_FALSE(decode_visor_data(R"({"remote_addr":"a b","port":"1","addresses":null})"));
  CHECK_FALSE(decode_visor_data(R"({"remote_addr":"1.2.3.4","is_local":1,"port":"1","addresses":null})"));
  CHECK_FALSE(decode_visor_data(R"({"port":"1","addresses":null})"));

  ar_transports t{{alice, bob}, {}};
  CHECK(encode_ar_transports(t) == R"({"sudph":[")" + alice.hex() + R"(",")" + bob.hex() + R"("]})");
  CHECK(encode_ar_transports({}) == "{}");
  auto dt = decode_ar_transports(R"({"stcpr":[")" + bob.hex() + R"("],"sudph":null})");
  REQUIRE(dt);
  CHECK(dt->stcpr == std::vector<public_key>{bob});
  CHECK(dt->sudph.empty());
  CHECK_FALSE(decode_ar_transports(R"({"stcpr":["nope"]})"));
  CHECK_FALSE(decode_ar_transports(R"({"stcpr":[")" + alice.hex() + R"("]})", 0));

  CHECK(decode_ar_channel_message("heartbeat")->k == ar_channel_message::kind::heartbeat);
  CHECK(decode_ar_channel_message("delBind")->k == ar_channel_message::kind::unbind);
  auto rebind = decode_ar_channel_message(R"({"port":"1","addresses":["10.0.0.1"]})");
  REQUIRE(rebind);
  CHECK(rebind->k == ar_channel_message::kind::bind);
  CHECK(rebind->bind.addresses == std::vector<std::string>{"10.0.0.1"});
  CHECK_FALSE(decode_ar_channel_message("heartbeat\n"));
  CHECK_FALSE(decode_ar_channel_message("HEARTBEAT"));
  CHECK_FALSE(decode_ar_channel_message(""));
  CHECK_FALSE(decode_ar_channel_message("{"));
  // the HTTP bind body the Go client sends ends in a newline
  CHECK(decode_local_addresses(encode_local_addresses_line({port{1}, {"1.2.3.4"}})));
}
