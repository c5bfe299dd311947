#include <doctest/doctest.h>

#include "messages/wire/dmsg/stream_objects.hpp"
#include "messages/wire/yamux/frame.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/messages/gob/vectors.hpp"

using namespace skywire;
using namespace skywire::wire;
using skywire::test::hex;
using skywire::test::str;
using skywire::test::unhex;
using skywire::test::unhexv;

namespace {

const boost::json::object& dmsg_vectors() {
  static const auto v = test::load_vectors("skywire/dmsg.json");
  return v.as_object();
}

dmsg::stream_request vector_request() {
  auto& f = dmsg_vectors().at("stream_request").at("fields").as_object();
  dmsg::stream_request r;
  r.timestamp = f.at("Timestamp").as_int64();
  r.src.pk = *public_key::from_hex(str(f.at("SrcAddr.PK")));
  r.src.prt = port{static_cast<uint16_t>(f.at("SrcAddr.Port").as_int64())};
  r.dst.pk = *public_key::from_hex(str(f.at("DstAddr.PK")));
  r.dst.prt = port{static_cast<uint16_t>(f.at("DstAddr.Port").as_int64())};
  r.noise_msg = unhexv(f.at("NoiseMsg_hex"));
  return r;
}

dmsg::stream_response vector_response() {
  auto& f = dmsg_vectors().at("stream_response").at("fields").as_object();
  dmsg::stream_response r;
  r.req_hash = *sha256_digest::from_hex(str(f.at("ReqHash")));
  r.accepted = f.at("Accepted").as_bool();
  r.err_code = static_cast<uint16_t>(f.at("ErrCode").as_int64());
  r.noise_msg = unhexv(f.at("NoiseMsg_hex"));
  return r;
}

// Checks a gob byte stream against the vector's per-message breakdown.
void check_messages(const std::vector<uint8_t>& bytes, const boost::json::array& msgs) {
  std::string joined;
  for (auto& m : msgs)
    joined += str(m.at("hex"));
  CHECK(hex(bytes) == joined);
  gob::decoder dec;
  size_t pos = 0;
  for (auto& m : msgs) {
    auto len = static_cast<size_t>(m.at("length").as_int64());
    auto want = unhexv(m.at("hex"));
    REQUIRE(want.size() >= len);
    // Length prefix is the first want.size()-len bytes.
    auto prefix = want.size() - len;
    auto r = dec.decode_message(byte_span{want}.subspan(prefix));
    REQUIRE(r);
    bool is_value = str(m.at("kind")) == "value";
    CHECK(r->has_value() == is_value);
    if (!is_value) {
      auto id = static_cast<gob::type_id>(-m.at("type_id").as_int64());
      CHECK(dec.types().find(id) != nullptr);
    } else {
      CHECK((*r)->type == m.at("type_id").as_int64());
    }
    pos += want.size();
  }
  CHECK(pos == bytes.size());
}

} // namespace

TEST_CASE("StreamRequest gob is byte-exact and decodes") {
  auto& sr = dmsg_vectors().at("stream_request").as_object();
  auto req = vector_request();
  auto proc = std::make_shared<gob::process_types>();
  auto bytes = dmsg::encode_gob(req, proc);
  CHECK(hex(bytes) == str(sr.at("gob_hex")));
  CHECK(bytes.size() == static_cast<size_t>(sr.at("gob_len").as_int64()));
  check_messages(bytes, sr.at("gob_messages").as_array());

  auto dec = dmsg::decode_stream_request(bytes);
  REQUIRE(dec);
  CHECK(*dec == req);
  CHECK(dec->src.to_string() == req.src.pk.hex() + ":49152");

  // Signed object and hashes.
  CHECK(crypto::sha256(bytes).hex() == str(sr.at("sha256_of_gob")));
  auto sig = *signature::from_hex(str(sr.at("signature")));
  auto obj = dmsg::make_signed_object(sig, bytes);
  CHECK(hex(obj) == str(sr.at("signed_object_hex")));
  CHECK(obj.size() == static_cast<size_t>(sr.at("signed_object_len").as_int64()));
  CHECK(crypto::sha256(obj).hex() == str(sr.at("signed_object_sha256")));
  auto view = dmsg::split_signed_object(obj);
  REQUIRE(view);
  CHECK(view->sig == sig);
  CHECK(view->gob.size() == bytes.size());
  CHECK_FALSE(crypto::verify(view->gob, req.src.pk, view->sig));
  CHECK(crypto::verify(view->gob, req.dst.pk, view->sig)); // wrong signer fails

  // Our own signature verifies too (random k, so not byte-equal).
  std::string seed = "alice";
  auto alice = crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
  CHECK(alice.pk == req.src.pk);
  auto mine = crypto::sign(bytes, alice.sk);
  CHECK_FALSE(crypto::verify(bytes, req.src.pk, mine));
}

TEST_CASE("StreamResponse gob: ids after the request, first in process, rejected") {
  auto& rs = dmsg_vectors().at("stream_response").as_object();
  auto resp = vector_response();
  // The vector process encoded the request first (ids 65..67), then the response (68, 69).
  auto proc = std::make_shared<gob::process_types>();
  dmsg::encode_gob(vector_request(), proc);
  auto bytes = dmsg::encode_gob(resp, proc);
  CHECK(hex(bytes) == str(rs.at("gob_hex")));
  CHECK(bytes.size() == static_cast<size_t>(rs.at("gob_len").as_int64()));
  check_messages(bytes, rs.at("gob_messages").as_array());
  // Each object carries its own definitions (fresh encoder per object).
  CHECK(hex(dmsg::encode_gob(resp, proc)) == str(rs.at("gob_hex")));

  auto& first = rs.at("same_response_gob_if_first_in_process").as_object();
  auto fresh = dmsg::encode_gob(resp);
  CHECK(hex(fresh) == str(first.at("hex")));
  check_messages(fresh, first.at("gob_messages").as_array());

  for (auto* b : {&bytes, &fresh}) {
    auto d = dmsg::decode_stream_response(*b);
    REQUIRE(d);
    CHECK(*d == resp);
  }

  CHECK(crypto::sha256(bytes).hex() == str(rs.at("sha256_of_gob")));
  auto obj = unhexv(rs.at("signed_object_hex"));
  CHECK(obj.size() == static_cast<size_t>(rs.at("signed_object_len").as_int64()));
  auto view = dmsg::split_signed_object(obj);
  REQUIRE(view);
  CHECK(hex({view->gob.begin(), view->gob.end()}) == hex(bytes));
  auto bob = *public_key::from_hex(str(dmsg_vectors().at("stream_request").at("fields").at("DstAddr.PK")));
  CHECK_FALSE(crypto::verify(view->gob, bob, view->sig));
  // ReqHash is the hash of the whole signed request.
  CHECK(resp.req_hash.hex()
        == str(dmsg_vectors().at("stream_request").at("signed_object_sha256")));

  auto& rej = dmsg_vectors().at("stream_response_rejected_example").as_object();
  dmsg::stream_response r2;
  r2.req_hash = resp.req_hash;
  r2.accepted = false;
  r2.err_code = 306;
  auto proc2 = std::make_shared<gob::process_types>();
  dmsg::encode_gob(vector_request(), proc2);
  auto rb = dmsg::encode_gob(r2, proc2);
  CHECK(hex(rb) == str(rej.at("gob_hex")));
  check_messages(rb, rej.at("gob_messages").as_array());
  auto d2 = dmsg::decode_stream_response(rb);
  REQUIRE(d2);
  CHECK(*d2 == r2);
  CHECK(d2->err_code == 306);
  CHECK_FALSE(d2->accepted);
  CHECK(d2->noise_msg.empty());
}

TEST_CASE("a connection decoder keeps types across objects") {
  // Two requests on one gob stream: the second carries no definitions.
  gob::encoder enc;
  std::vector<uint8_t> first, second;
  auto req = vector_request();
  REQUIRE_FALSE(enc.encode(dmsg::stream_request_schema(), dmsg::to_gob(req), first));
  req.timestamp += 1;
  req.noise_msg.clear();
  REQUIRE_FALSE(enc.encode(dmsg::stream_request_schema(), dmsg::to_gob(req), second));
  CHECK(second.size() < 150);
  gob::decoder dec{dmsg::object_limits()};
  auto a = dmsg::decode_stream_request(dec, first);
  REQUIRE(a);
  auto b = dmsg::decode_stream_request(dec, second);
  REQUIRE(b);
  CHECK(*b == req);
  // A fresh decoder cannot read the second object alone.
  CHECK_FALSE(dmsg::decode_stream_request(second));
}

TEST_CASE("dmsg object decoding rejects hostile input") {
  auto good = dmsg::encode_gob(vector_request());
  SUBCASE("every truncation is an error") {
    for (size_t n = 0; n < good.size(); ++n)
      CHECK_FALSE(dmsg::decode_stream_request(byte_span{good}.first(n)));
  }
  SUBCASE("trailing bytes") {
    auto b = good;
    b.push_back(0);
    CHECK_FALSE(dmsg::decode_stream_request(b));
  }
  SUBCASE("type mismatches") {
    // As in Go, a struct sharing a field name decodes (only NoiseMsg here) ...
    auto cross = dmsg::decode_stream_request(dmsg::encode_gob(vector_response()));
    REQUIRE(cross);
    CHECK(cross->timestamp == 0);
    CHECK(cross->noise_msg == vector_response().noise_msg);
    // ... a struct with no common field, or a non-struct, does not.
    gob::encoder enc;
    std::vector<uint8_t> other, scalar;
    auto s = gob::schema::struct_("Other", {{"X", gob::schema::uint_()}});
    REQUIRE_FALSE(enc.encode(s, gob::value::of_struct({gob::value::of_uint(7)}), other));
    CHECK_FALSE(dmsg::decode_stream_request(other));
    gob::encoder enc2;
    REQUIRE_FALSE(enc2.encode(gob::schema::uint_(), gob::value::of_uint(7), scalar));
    CHECK_FALSE(dmsg::decode_stream_request(scalar));
    // A NoiseMsg of the wrong kind is an error.
    gob::encoder enc3;
    std::vector<uint8_t> wrong;
    auto ws = gob::schema::struct_("StreamRequest", {{"NoiseMsg", gob::schema::string()}});
    REQUIRE_FALSE(enc3.encode(ws, gob::value::of_struct({gob::value::of_string("x")}), wrong));
    CHECK_FALSE(dmsg::decode_stream_request(wrong));
  }
  SUBCASE("wrong key length") {
    auto req = vector_request();
    gob::value v = dmsg::to_gob(req);
    v.items[1].items[0].data.pop_back();
    gob::encoder enc;
    std::vector<uint8_t> out;
    REQUIRE_FALSE(enc.encode(dmsg::stream_request_schema(), v, out));
    auto d = dmsg::decode_stream_request(out);
    REQUIRE_FALSE(d);
    CHECK(d.error().code() == static_cast<uint8_t>(wire_errc::bad_value));
  }
  SUBCASE("signed object bounds") {
    CHECK_FALSE(dmsg::split_signed_object(std::vector<uint8_t>(65, 1)));
    CHECK(dmsg::split_signed_object(std::vector<uint8_t>(66, 1)));
    CHECK_FALSE(dmsg::split_signed_object(std::vector<uint8_t>(65536, 1)));
  }
}

TEST_CASE("stream-open transcript: yamux frames carry session object frames") {
  // Each object is u16 BE len || u64 BE nonce || ciphertext+tag inside one
  // yamux data frame. The request (signed 347 bytes) and the response (272)
  // are relayed by the server with the same sizes.
  auto& steps = dmsg_vectors().at("stream_open_transcript").at("steps").as_array();
  size_t objects = 0;
  for (auto& st : steps) {
    CAPTURE(str(st.at("what")));
    auto bytes = unhexv(st.at("tcp_bytes_hex"));
    yamux::frame_reader rd;
    rd.feed(bytes);
    for (;;) {
      auto f = rd.next();
      REQUIRE(f);
      if (!f->has_value())
        break;
      auto& fr = **f;
      if (fr.hdr.type != yamux::frame_type::data)
        continue;
      REQUIRE(fr.body.size() >= 2);
      size_t len = (size_t{fr.body[0]} << 8) | fr.body[1];
      CHECK(len + 2 == fr.body.size());
      if (str(st.at("what")).find("signed Stream") != std::string::npos
          || str(st.at("what")).find("signed response") != std::string::npos
          || str(st.at("what")).find("SAME signed object") != std::string::npos) {
        // nonce 1, then ciphertext = signed object + 16-byte tag
        uint64_t nonce = 0;
        for (int k = 0; k < 8; ++k)
          nonce = (nonce << 8) | fr.body[2 + k];
        CHECK(nonce == 1);
        auto ct = len - 8;
        CHECK((ct == 347 + 16 || ct == 272 + 16));
        ++objects;
      }
    }
  }
  CHECK(objects == 4);
}


namespace {

crypto::keypair seeded(const std::string& seed) {
  return crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

// Runs the XK session handshake of the transcript with its fixed ephemerals;
// returns {client session, server session}.
std::pair<crypto::noise::session, crypto::noise::session>
xk_sessions(const boost::json::object& s, const std::string& client_seed,
            const std::string& server_seed) {
  using namespace crypto::noise;
  auto client = seeded(client_seed);
  auto server = seeded(server_seed);
  REQUIRE(client.pk.hex() == str(s.at("client_pk")));
  REQUIRE(server.pk.hex() == str(s.at("server_pk")));
  auto hi = handshake::make({pattern_kind::xk, role::initiator, client, server.pk,
                             seeded(str(s.at("client_ephemeral_seed")))});
  auto hr = handshake::make({pattern_kind::xk, role::responder, server, public_key{},
                             seeded(str(s.at("server_ephemeral_seed")))});
  REQUIRE(hi);
  REQUIRE(hr);
  std::vector<std::string> client_frames, server_frames;
  for (int k = 0; k < 3; ++k) {
    auto& w = hi->my_turn() ? *hi : *hr;
    auto& r = hi->my_turn() ? *hr : *hi;
    std::vector<uint8_t> frame;
    REQUIRE_FALSE(w.write_frame(frame));
    (&w == &*hi ? client_frames : server_frames).push_back(hex(frame));
    REQUIRE_FALSE(r.read_message(byte_span{frame}.subspan(2)));
  }
  auto& cf = s.at("client_tcp_handshake_frames_hex").as_array();
  REQUIRE(client_frames.size() == cf.size());
  for (size_t k = 0; k < cf.size(); ++k)
    CHECK(client_frames[k] == str(cf[k]));
  CHECK(server_frames[0] == str(s.at("server_tcp_handshake_frames_hex").as_array()[0]));
  auto a = hi->split();
  auto b = hr->split();
  REQUIRE(a);
  REQUIRE(b);
  return {std::move(*a), std::move(*b)};
}

} // namespace

TEST_CASE("stream-open transcript: every session object decrypts to the signed objects") {
  auto& t = dmsg_vectors().at("stream_open_transcript").as_object();
  auto [alice, carol_a] = xk_sessions(t.at("session_alice_carol").as_object(), "alice",
                                      "carol");
  auto [bob, carol_b] = xk_sessions(t.at("session_bob_carol").as_object(), "bob", "carol");
  auto req_obj = str(dmsg_vectors().at("stream_request").at("signed_object_hex"));
  auto kk = t.at("stream_kk").as_object();
  size_t objects = 0;
  for (auto& st : t.at("steps").as_array()) {
    auto dir = str(st.at("tcp_direction"));
    auto what = str(st.at("what"));
    CAPTURE(what);
    if (what.find("signed") == std::string::npos)
      continue;
    crypto::noise::session* rx = dir == "alice -> carol"   ? &carol_a
                                 : dir == "carol -> alice" ? &alice
                                 : dir == "carol -> bob"   ? &bob
                                                           : &carol_b;
    auto bytes = unhexv(st.at("tcp_bytes_hex"));
    yamux::frame_reader rd;
    rd.feed(bytes);
    for (;;) {
      auto f = rd.next();
      REQUIRE(f);
      if (!f->has_value())
        break;
      if ((*f)->hdr.type != yamux::frame_type::data)
        continue;
      auto plain = rx->decrypt_object((*f)->body);
      REQUIRE(plain);
      auto view = dmsg::split_signed_object(*plain);
      REQUIRE(view);
      ++objects;
      if (what.find("Request") != std::string::npos || what.find("SAME") != std::string::npos) {
        // The request, relayed unchanged by the server.
        CHECK(hex(*plain) == req_obj);
        auto req = dmsg::decode_stream_request(view->gob);
        REQUIRE(req);
        CHECK(req->dst.prt.value == 45);
        CHECK(hex(req->noise_msg) == str(kk.at("kk_msg1_hex")));
        CHECK_FALSE(crypto::verify(view->gob, req->src.pk, view->sig));
      } else {
        auto resp = dmsg::decode_stream_response(view->gob);
        REQUIRE(resp);
        CHECK(resp->accepted);
        CHECK(hex(resp->noise_msg) == str(kk.at("kk_msg2_hex")));
        // ReqHash = SHA-256 of the whole signed request.
        CHECK(resp->req_hash == crypto::sha256(unhex(req_obj)));
        auto bob_pk = seeded("bob").pk;
        CHECK_FALSE(crypto::verify(view->gob, bob_pk, view->sig));
      }
    }
  }
  CHECK(objects == 4);
}
