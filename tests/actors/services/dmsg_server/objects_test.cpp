// actors/dmsg/objects: signed StreamRequest/StreamResponse make/verify against
// the Go vectors, and the server's re-encryption of objects byte for byte
// (dmsg.json stream_open_transcript).
#include <doctest/doctest.h>

#include <string>

#include "actors/dmsg/objects.hpp"
#include "messages/wire/yamux/frame.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "tests/messages/gob/vectors.hpp"

using namespace skywire;
namespace wd = skywire::wire::dmsg;
namespace nz = skywire::crypto::noise;
using skywire::test::str;
using skywire::test::unhex;
using skywire::test::unhexv;

namespace {

const boost::json::object& vec() {
  static const auto v = test::load_vectors("skywire/dmsg.json");
  return v.as_object();
}

crypto::keypair seed_kp(std::string_view seed) {
  return crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

// The server (carol) side of one XK session of the transcript.
nz::session carol_session(const char* name, const char* eph_seed) {
  auto& s = vec().at("stream_open_transcript").at(name).as_object();
  nz::handshake::config cfg;
  cfg.pattern = nz::pattern_kind::xk;
  cfg.side = nz::role::responder;
  cfg.local = seed_kp("carol");
  cfg.ephemeral = seed_kp(eph_seed);
  auto hs = nz::handshake::make(cfg);
  REQUIRE(hs);
  auto& cf = s.at("client_tcp_handshake_frames_hex").as_array();
  auto m1 = unhexv(cf.at(0));
  REQUIRE(!hs->read_message(byte_span{m1}.subspan(2)));
  auto m2 = hs->write_message();
  REQUIRE(m2);
  auto sf = unhexv(s.at("server_tcp_handshake_frames_hex").as_array().at(0));
  CHECK(test::hex(*m2) == test::hex(std::vector<uint8_t>(sf.begin() + 2, sf.end())));
  auto m3 = unhexv(cf.at(1));
  REQUIRE(!hs->read_message(byte_span{m3}.subspan(2)));
  CHECK(hs->remote_static().hex() == str(s.at("client_pk")));
  auto sess = hs->split();
  REQUIRE(sess);
  return std::move(*sess);
}

// The body of the only data frame in a transcript step.
std::vector<uint8_t> step_data(size_t i) {
  auto& st = vec().at("stream_open_transcript").at("steps").as_array().at(i).as_object();
  for (auto& f : st.at("yamux_frames").as_array()) {
    auto& o = f.as_object();
    if (str(o.at("type")) == "data")
      return unhexv(o.at("body_hex"));
  }
  return {};
}

} // namespace

TEST_CASE("signed stream request from the vectors verifies, hash is the ReqHash") {
  auto& r = vec().at("stream_request").as_object();
  auto bytes = unhexv(r.at("signed_object_hex"));
  auto alice = seed_kp("alice");
  auto bob = seed_kp("bob");
  dmsg::request_checks checks;
  checks.expect_src = alice.pk;
  checks.expect_dst = bob.pk;
  auto v = dmsg::verify_stream_request(bytes, checks);
  REQUIRE(v);
  CHECK(v->req.src.pk == alice.pk);
  CHECK(v->req.src.prt.value == 49152);
  CHECK(v->req.dst.prt.value == 45);
  CHECK(v->hash.hex() == str(r.at("signed_object_sha256")));
  CHECK(v->bytes == bytes);

  // The response of the vectors answers this request and is signed by bob.
  auto resp = unhexv(vec().at("stream_response").at("signed_object_hex"));
  auto vr = dmsg::verify_stream_response(resp, v->hash, bob.pk, true);
  REQUIRE(vr);
  CHECK(vr->resp.accepted);
  CHECK(vr->bytes == resp);
}

TEST_CASE("request checks: session key, signature, timestamp window, tampering") {
  auto bytes = unhexv(vec().at("stream_request").at("signed_object_hex"));
  auto carol = seed_kp("carol");
  dmsg::request_checks wrong_src;
  wrong_src.expect_src = carol.pk;
  CHECK(dmsg::dmsg_code(dmsg::verify_stream_request(bytes, wrong_src).error())
        == dmsg::dmsg_errc::req_invalid_src_pk);
  dmsg::request_checks wrong_dst;
  wrong_dst.expect_dst = carol.pk;
  CHECK(dmsg::dmsg_code(dmsg::verify_stream_request(bytes, wrong_dst).error())
        == dmsg::dmsg_errc::req_invalid_dst_pk);
  dmsg::request_checks late;
  late.now_ns = int64_t{1700000000000000000} + int64_t{3600} * 1'000'000'000;
  CHECK(dmsg::dmsg_code(dmsg::verify_stream_request(bytes, late).error())
        == dmsg::dmsg_errc::req_invalid_timestamp);
  dmsg::request_checks early;
  early.now_ns = int64_t{1700000000000000000} - int64_t{3600} * 1'000'000'000;
  CHECK(dmsg::dmsg_code(dmsg::verify_stream_request(bytes, early).error())
        == dmsg::dmsg_errc::req_invalid_timestamp);
  dmsg::request_checks in_window;
  in_window.now_ns = int64_t{1700000000000000000} + 1'000'000'000;
  CHECK(dmsg::verify_stream_request(bytes, in_window));

  // A flipped signature byte: bad signature (or a different recovered key).
  auto bad_sig = bytes;
  bad_sig[10] ^= 1;
  CHECK(dmsg::dmsg_code(dmsg::verify_stream_request(bad_sig).error())
        == dmsg::dmsg_errc::req_invalid_sig);
  // A flipped byte in the gob noise message: decodes, signature fails.
  auto bad_gob = bytes;
  bad_gob[bad_gob.size() - 3] ^= 1;
  auto e = dmsg::verify_stream_request(bad_gob);
  REQUIRE(!e);
  CHECK(dmsg::dmsg_code(e.error()) == dmsg::dmsg_errc::req_invalid_sig);
  // Truncations never crash and are errors.
  for (size_t n = 0; n < bytes.size(); n += 7)
    CHECK(!dmsg::verify_stream_request(byte_span{bytes.data(), n}));
}

TEST_CASE("make/verify round trip, null keys and zero ports refused") {
  auto alice = seed_kp("alice");
  auto bob = seed_kp("bob");
  wd::stream_request req;
  req.timestamp = 5;
  req.src = {alice.pk, port{49153}};
  req.dst = {bob.pk, port{80}};
  req.noise_msg.assign(49, 7);
  auto sr = dmsg::make_stream_request(req, alice.sk);
  CHECK(sr.hash == crypto::sha256(sr.bytes));
  auto v = dmsg::verify_stream_request(sr.bytes);
  REQUIRE(v);
  CHECK(v->req == req);

  wd::stream_response resp;
  resp.req_hash = sr.hash;
  resp.accepted = true;
  resp.noise_msg.assign(49, 9);
  auto rs = dmsg::make_stream_response(resp, bob.sk);
  CHECK(dmsg::verify_stream_response(rs.bytes, sr.hash, bob.pk, true));
  // Signed by the wrong key, or for another request.
  CHECK(dmsg::dmsg_code(dmsg::verify_stream_response(rs.bytes, sr.hash, alice.pk).error())
        == dmsg::dmsg_errc::resp_invalid_sig);
  CHECK(dmsg::dmsg_code(dmsg::verify_stream_response(rs.bytes, sha256_digest{}, bob.pk).error())
        == dmsg::dmsg_errc::resp_invalid_hash);
  resp.accepted = false;
  resp.err_code = 306;
  auto rej = dmsg::make_stream_response(resp, bob.sk);
  CHECK(dmsg::verify_stream_response(rej.bytes, sr.hash, bob.pk, false));
  CHECK(dmsg::dmsg_code(dmsg::verify_stream_response(rej.bytes, sr.hash, bob.pk, true).error())
        == dmsg::dmsg_errc::resp_not_accepted);

  auto r2 = req;
  r2.src.prt = port{0};
  CHECK(dmsg::dmsg_code(
          dmsg::verify_stream_request(dmsg::make_stream_request(r2, alice.sk).bytes).error())
        == dmsg::dmsg_errc::req_invalid_src_port);
  r2 = req;
  r2.dst.prt = port{0};
  CHECK(dmsg::dmsg_code(
          dmsg::verify_stream_request(dmsg::make_stream_request(r2, alice.sk).bytes).error())
        == dmsg::dmsg_errc::req_invalid_dst_port);
  r2 = req;
  r2.dst.pk = public_key{};
  CHECK(dmsg::dmsg_code(
          dmsg::verify_stream_request(dmsg::make_stream_request(r2, alice.sk).bytes).error())
        == dmsg::dmsg_errc::req_invalid_dst_pk);
  r2 = req;
  r2.timestamp = 0;
  CHECK(dmsg::dmsg_code(
          dmsg::verify_stream_request(dmsg::make_stream_request(r2, alice.sk).bytes).error())
        == dmsg::dmsg_errc::req_invalid_timestamp);
}

TEST_CASE("transcript: carol decrypts, verifies and re-encrypts both objects byte for byte") {
  auto ca = carol_session("session_alice_carol", "carol-ephemeral");
  auto cb = carol_session("session_bob_carol", "carol-ephemeral-2");
  auto alice = seed_kp("alice");
  auto bob = seed_kp("bob");

  // Step 0: alice's request on stream 1, fed to the reader in small pieces.
  auto in = step_data(0);
  dmsg::object_reader rd;
  for (size_t i = 0; i < in.size(); i += 13) {
    auto r = rd.feed(byte_span{in}.subspan(i, std::min<size_t>(13, in.size() - i)));
    REQUIRE(r);
  }
  REQUIRE(rd.complete());
  CHECK(rd.leftover().empty());
  auto plain = rd.open(ca);
  REQUIRE(plain);
  dmsg::request_checks checks;
  checks.expect_src = alice.pk;
  auto req = dmsg::verify_stream_request(*plain, checks);
  REQUIRE(req);
  // A replayed object frame is refused by the session.
  CHECK(!rd.open(ca));

  // Step 2: carol -> bob, the same signed bytes under the carol->bob keys.
  std::vector<uint8_t> out;
  REQUIRE(!dmsg::seal_object(cb, req->bytes, out));
  CHECK(test::hex(out) == test::hex(step_data(2)));

  // Step 3: bob's response; step 4: forwarded to alice re-encrypted.
  dmsg::object_reader rr;
  REQUIRE(rr.feed(step_data(3)));
  auto rplain = rr.open(cb);
  REQUIRE(rplain);
  auto resp = dmsg::verify_stream_response(*rplain, req->hash, bob.pk);
  REQUIRE(resp);
  std::vector<uint8_t> out2;
  REQUIRE(!dmsg::seal_object(ca, resp->bytes, out2));
  CHECK(test::hex(out2) == test::hex(step_data(4)));
}

TEST_CASE("object_reader: leftover stream bytes, undersized frame") {
  std::vector<uint8_t> frame(2 + 30, 0xaa);
  frame[0] = 0;
  frame[1] = 30;
  frame.push_back(1);
  frame.push_back(2);
  dmsg::object_reader rd;
  auto r = rd.feed(frame);
  REQUIRE(r);
  CHECK(*r);
  CHECK(rd.leftover() == std::vector<uint8_t>{1, 2});
  dmsg::object_reader bad;
  std::vector<uint8_t> tiny{0, 5, 1, 2, 3, 4, 5};
  CHECK(!bad.feed(tiny));
}
