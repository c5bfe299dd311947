// The generic Noise machine against every vector of the cacophony file
// (25519 / ChaChaPoly / BLAKE2b): NN, KK, XK, IK, XX with prologue and
// payloads, the handshake hash, and the transport messages after Split().
#include <doctest/doctest.h>

#include <set>

#include "runtime/crypto/noise/state.hpp"
#include "tests/runtime/crypto/vectors.hpp"

using namespace skywire;
using namespace skywire::crypto;
using namespace skywire::crypto::noise;
using namespace skywire::crypto::test;

namespace {

using std_state = handshake_state<x25519_dh, chachapoly_cipher, blake2b_hash>;

std::array<uint8_t, 32> arr32(const boost::json::value& v) {
  auto b = unhex(v);
  REQUIRE(b.size() == 32);
  std::array<uint8_t, 32> out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

std::optional<x25519_dh::keypair> opt_kp(const boost::json::object& o, const char* key) {
  if (!o.contains(key))
    return std::nullopt;
  return x25519_dh::from_secret(arr32(o.at(key)));
}

std::optional<x25519_dh::public_key> opt_pk(const boost::json::object& o, const char* key) {
  if (!o.contains(key))
    return std::nullopt;
  return arr32(o.at(key));
}

void run_vector(const boost::json::object& v) {
  std::string name{v.at("protocol_name").as_string()};
  INFO(name);
  // "Noise_XX_25519_ChaChaPoly_BLAKE2b" -> "XX"
  auto pname = name.substr(6, name.find('_', 6) - 6);
  auto* pat = patterns::by_name(pname);
  REQUIRE(pat != nullptr);
  CHECK(std_state::protocol_name(*pat) == name);

  auto iprologue = unhex(v.at("init_prologue"));
  auto rprologue = unhex(v.at("resp_prologue"));
  std_state ini, res;
  std_state::config ic;
  ic.pattern = pat;
  ic.initiator = true;
  ic.prologue = iprologue;
  ic.s = opt_kp(v, "init_static");
  ic.e = opt_kp(v, "init_ephemeral");
  ic.rs = opt_pk(v, "init_remote_static");
  std_state::config rc;
  rc.pattern = pat;
  rc.initiator = false;
  rc.prologue = rprologue;
  rc.s = opt_kp(v, "resp_static");
  rc.e = opt_kp(v, "resp_ephemeral");
  rc.rs = opt_pk(v, "resp_remote_static");
  REQUIRE(ini.initialize(ic) == handshake_status::ok);
  REQUIRE(res.initialize(rc) == handshake_status::ok);

  auto& msgs = v.at("messages").as_array();
  std::pair<std_state::cipher, std_state::cipher> ics, rcs;
  bool split_done = false;
  for (size_t i = 0; i < msgs.size(); ++i) {
    CAPTURE(i);
    auto payload = unhex(msgs[i].at("payload"));
    auto expected_ct = unhex(msgs[i].at("ciphertext"));
    bool from_initiator = i % 2 == 0;
    auto& writer = from_initiator ? ini : res;
    auto& reader = from_initiator ? res : ini;
    if (!writer.finished()) {
      REQUIRE(writer.my_turn());
      REQUIRE(!reader.my_turn());
      std::vector<uint8_t> out;
      REQUIRE(writer.write_message(payload, out) == handshake_status::ok);
      CHECK(hex(out) == hex(expected_ct));
      std::vector<uint8_t> got;
      REQUIRE(reader.read_message(out, got) == handshake_status::ok);
      CHECK(hex(got) == hex(payload));
      CHECK(writer.h() == reader.h());
      continue;
    }
    REQUIRE(reader.finished());
    if (!split_done) {
      CHECK(to_hex(ini.h()) == str(v.at("handshake_hash")));
      CHECK(to_hex(res.h()) == str(v.at("handshake_hash")));
      ics = ini.split();
      rcs = res.split();
      split_done = true;
    }
    // Spec assignment: the initiator sends with c1, the responder with c2.
    auto& enc = from_initiator ? ics.first : rcs.second;
    auto& dec = from_initiator ? rcs.first : ics.second;
    std::vector<uint8_t> ct(payload.size() + 16);
    size_t n = 0;
    REQUIRE(enc.encrypt_with_ad({}, payload.data(), payload.size(), ct.data(), n));
    ct.resize(n);
    CHECK(hex(ct) == hex(expected_ct));
    std::vector<uint8_t> pt(ct.size());
    REQUIRE(dec.decrypt_with_ad({}, ct.data(), ct.size(), pt.data(), n));
    pt.resize(n);
    CHECK(pt == payload);
  }
  CHECK(split_done);
}

} // namespace

TEST_CASE("standard Noise vectors: every 25519_ChaChaPoly_BLAKE2b vector of NN, KK, XK, IK, XX") {
  auto doc = load_vectors("noise-25519-chachapoly-blake2b.json");
  auto& vs = doc.at("vectors").as_array();
  REQUIRE(vs.size() >= 5);
  std::set<std::string> seen;
  for (auto& v : vs) {
    run_vector(v.as_object());
    seen.insert(std::string{v.at("protocol_name").as_string()}.substr(6, 2));
  }
  CHECK(seen == std::set<std::string>{"NN", "KK", "XK", "IK", "XX"});
}

TEST_CASE("HMAC over the hash policy matches libsodium HMAC-SHA-256 (RFC 4231 case 2)") {
  using ss = symmetric_state<chachapoly_cipher, sha256_hash>;
  std::string key = "Jefe";
  std::string data = "what do ya want for nothing?";
  std::array<uint8_t, 32> out{};
  ss::hmac(reinterpret_cast<const uint8_t*>(key.data()), key.size(),
           {byte_span{reinterpret_cast<const uint8_t*>(data.data()), data.size()}}, out.data());
  CHECK(to_hex(out) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Keys longer than a block are hashed first.
  std::vector<uint8_t> long_key(131, 0xaa);
  std::string d2 = "Test Using Larger Than Block-Size Key - Hash Key First";
  ss::hmac(long_key.data(), long_key.size(),
           {byte_span{reinterpret_cast<const uint8_t*>(d2.data()), d2.size()}}, out.data());
  CHECK(to_hex(out) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("handshake state rejects misuse and tampering") {
  auto* pat = &patterns::XX;
  auto mk = [&](bool initiator) {
    std_state st;
    std_state::config c;
    c.pattern = pat;
    c.initiator = initiator;
    c.s = x25519_dh::generate();
    REQUIRE(st.initialize(c) == handshake_status::ok);
    return st;
  };
  auto ini = mk(true);
  auto res = mk(false);
  std::vector<uint8_t> out, pl;
  CHECK(res.write_message({}, out) == handshake_status::not_my_turn);
  REQUIRE(ini.write_message({}, out) == handshake_status::ok);
  REQUIRE(res.read_message(out, pl) == handshake_status::ok);
  out.clear();
  REQUIRE(res.write_message({}, out) == handshake_status::ok);
  out[40] ^= 1; // inside the encrypted static key
  CHECK(ini.read_message(out, pl) == handshake_status::decrypt_failed);
  CHECK(ini.failed());
  CHECK(ini.read_message(out, pl) == handshake_status::failed);
  // Missing pre-message key.
  std_state kk;
  std_state::config c;
  c.pattern = &patterns::KK;
  c.s = x25519_dh::generate();
  CHECK(kk.initialize(c) == handshake_status::missing_key);
  // Truncated message.
  auto a = mk(true);
  auto b = mk(false);
  out.clear();
  REQUIRE(a.write_message({}, out) == handshake_status::ok);
  out.resize(10);
  CHECK(b.read_message(out, pl) == handshake_status::bad_message);
}
