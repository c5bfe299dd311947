// The handshake and settlement machines on hostile input: every fault is an
// error value of the right kind, found as early as the bytes allow, and no
// machine buffers more than one bounded frame.
#include <doctest/doctest.h>

#include "actors/transport/errors.hpp"
#include "actors/transport/handshake_io.hpp"
#include "actors/transport/settlement.hpp"
#include "messages/wire/transport/handshake.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "tests/actors/transport/tp_support.hpp"

using namespace skywire;
using namespace skywire::transport;
using namespace tp_test;
namespace wt = skywire::wire::transport;

namespace {

const auto alice = identity("alice");
const auto bob = identity("bob");
const auto carol = identity("carol");

frame_exchange responder_after_frame0(byte_buffer& frame1, frame_exchange::frame2_check check = {}) {
  frame_exchange::responder_config rc;
  rc.local = bob;
  rc.check = std::move(check);
  auto r = frame_exchange::responder(rc);
  REQUIRE(r.feed(bytes("get_nonce"), frame1) == step::need_more);
  return r;
}

std::string signed_frame2(const wt::handshake_nonce& nonce, const crypto::keypair& signer,
                          address dst = address{bob.pk, port{45}}) {
  wt::frame2 f{address{signer.pk, port{49152}}, dst, nonce, signature{}};
  f.sig = crypto::sign(bytes(wt::frame2_signed_bytes(f)), signer.sk);
  return wt::encode_frame2(f);
}

wt::handshake_nonce nonce_in(const byte_buffer& frame1) {
  auto f = wt::decode_frame1(text(frame1));
  REQUIRE(f);
  return f->nonce;
}

} // namespace

TEST_CASE("frame0: a wrong first byte fails at once, bytes after it are out of turn") {
  frame_exchange::responder_config rc;
  rc.local = bob;
  auto r = frame_exchange::responder(rc);
  byte_buffer out;
  CHECK(r.feed(bytes("get_"), out) == step::need_more);
  CHECK(r.feed(bytes("X"), out) == step::failed);
  CHECK(is(r.error(), transport_errc::protocol));
  CHECK(out.empty());

  auto r2 = frame_exchange::responder(rc);
  CHECK(r2.feed(bytes("get_nonceget_nonce"), out) == step::failed);
  CHECK(is(r2.error(), transport_errc::protocol));
  CHECK(describe(r2.error()).find("out of turn") != std::string::npos);
  CHECK(out.empty()); // no Frame1 for a peer that spoke out of turn

  auto r3 = frame_exchange::responder(rc);
  CHECK(r3.feed(bytes("GET / HTTP/1.1\r\n"), out) == step::failed);
}

TEST_CASE("frame2: oversized, garbage, wrong nonce, foreign signature, bad addresses") {
  SUBCASE("a line over 1024 bytes fails as soon as 1024 bytes came without a newline") {
    byte_buffer f1;
    auto r = responder_after_frame0(f1);
    byte_buffer out;
    std::string big(1023, 'x');
    CHECK(r.feed(bytes(big), out) == step::need_more);
    CHECK(r.feed(bytes("y"), out) == step::failed);
    CHECK(is(r.error(), transport_errc::protocol));
    CHECK(describe(r.error()).find("1024") != std::string::npos);
  }
  SUBCASE("JSON garbage") {
    byte_buffer f1;
    auto r = responder_after_frame0(f1);
    byte_buffer out;
    CHECK(r.feed(bytes("{\"SrcAddr\":[1,2,3]}\n"), out) == step::failed);
    CHECK(is(r.error(), transport_errc::protocol));
    CHECK(out.empty());
  }
  SUBCASE("another nonce: no Frame3, bad_signature (as the reference: no answer)") {
    byte_buffer f1;
    auto r = responder_after_frame0(f1);
    auto n = nonce_in(f1);
    n[0] ^= 1;
    byte_buffer out;
    CHECK(r.feed(bytes(signed_frame2(n, alice)), out) == step::failed);
    CHECK(is(r.error(), transport_errc::bad_signature));
    CHECK(out.empty());
  }
  SUBCASE("signed by another key than SrcAddr's") {
    byte_buffer f1;
    auto r = responder_after_frame0(f1);
    wt::frame2 f{address{alice.pk, port{49152}}, address{bob.pk, port{45}}, nonce_in(f1),
                 signature{}};
    f.sig = crypto::sign(bytes(wt::frame2_signed_bytes(f)), carol.sk);
    byte_buffer out;
    CHECK(r.feed(bytes(wt::encode_frame2(f)), out) == step::failed);
    CHECK(is(r.error(), transport_errc::bad_signature));
    CHECK(out.empty());
  }
  SUBCASE("DstAddr is not our key: refused with a Frame3 that says so") {
    byte_buffer f1;
    auto r = responder_after_frame0(f1);
    byte_buffer out;
    CHECK(r.feed(bytes(signed_frame2(nonce_in(f1), alice, address{carol.pk, port{45}})), out)
          == step::failed);
    CHECK(is(r.error(), transport_errc::refused));
    auto f3 = wt::decode_frame3(text(out));
    REQUIRE(f3);
    CHECK_FALSE(f3->ok);
    CHECK(f3->err_msg == "wrong destination public key: this visor is " + bob.pk.hex());
  }
  SUBCASE("a transport to oneself") {
    byte_buffer f1;
    auto r = responder_after_frame0(f1);
    byte_buffer out;
    CHECK(r.feed(bytes(signed_frame2(nonce_in(f1), bob)), out) == step::failed);
    CHECK(is(r.error(), transport_errc::refused));
  }
  SUBCASE("the owner's check refuses with its own text") {
    byte_buffer f1;
    auto r = responder_after_frame0(f1, [](const wt::frame2&) { return std::string{"busy"}; });
    byte_buffer out;
    CHECK(r.feed(bytes(signed_frame2(nonce_in(f1), alice)), out) == step::failed);
    CHECK(text(out) == "{\"OK\":false,\"ErrMsg\":\"busy\"}\n");
  }
  SUBCASE("bytes after Frame2 are out of turn (the initiator must wait for Frame3)") {
    byte_buffer f1;
    auto r = responder_after_frame0(f1);
    byte_buffer out;
    CHECK(r.feed(bytes(signed_frame2(nonce_in(f1), alice) + "x"), out) == step::failed);
    CHECK(is(r.error(), transport_errc::protocol));
  }
}

TEST_CASE("initiator: Frame1 and Frame3 faults") {
  auto make = [] {
    return frame_exchange::initiator({alice, port{49152}, address{bob.pk, port{45}}});
  };
  byte_buffer out;
  auto i = make();
  CHECK(i.feed(bytes("{\"Nonce\":[1,2,3]}\n"), out) == step::failed);
  CHECK(is(i.error(), transport_errc::protocol));

  auto i2 = make();
  std::string f1 = wt::encode_frame1({});
  CHECK(i2.feed(bytes(f1 + "{"), out) == step::failed); // out of turn
  CHECK(is(i2.error(), transport_errc::protocol));

  auto i3 = make();
  out.clear();
  CHECK(i3.feed(bytes(f1), out) == step::need_more);
  std::string big(8192, ' ');
  CHECK(i3.feed(bytes(big), out) == step::failed); // Frame3 bound
  CHECK(is(i3.error(), transport_errc::protocol));

  auto i4 = make();
  CHECK(i4.feed(bytes(f1), out) == step::need_more);
  CHECK(i4.feed(bytes("{\"OK\":false,\"ErrMsg\":\"go away\"}\n"), out) == step::failed);
  CHECK(is(i4.error(), transport_errc::rejected));
  CHECK(peer_text(i4.error()) == std::optional<std::string>{"go away"});

  // the address resolver channel: bytes after Frame3 are the first data
  auto i5 = frame_exchange::initiator({alice, port{0}, address{}, true});
  CHECK(i5.feed(bytes(f1), out) == step::need_more);
  CHECK(i5.feed(bytes("{\"OK\":true,\"ErrMsg\":\"\"}\npush"), out) == step::done);
  CHECK(text(i5.take_rest()) == "push");
}

TEST_CASE("kk exchange: exact frame length, nothing out of turn, a wrong key fails") {
  auto ki = kk_exchange::make({alice, bob.pk, true, std::nullopt});
  auto kr = kk_exchange::make({bob, alice.pk, false, std::nullopt});
  REQUIRE(ki);
  REQUIRE(kr);
  byte_buffer m1;
  ki->start(m1);
  CHECK(m1.size() == 51);
  byte_buffer m2;
  CHECK(kr->feed(byte_span{m1}.first(20), m2) == step::need_more);
  CHECK(kr->feed(byte_span{m1}.subspan(20), m2) == step::done);
  CHECK(m2.size() == 51);
  byte_buffer none;
  CHECK(ki->feed(m2, none) == step::done);
  auto si = ki->take_session();
  auto sr = kr->take_session();
  REQUIRE(si);
  REQUIRE(sr);
  CHECK(si->send_key_for_tests() == sr->recv_key_for_tests());

  auto bad_len = kk_exchange::make({bob, alice.pk, false, std::nullopt});
  byte_buffer frame{0x10, 0x00};
  CHECK(bad_len->feed(frame, none) == step::failed);
  CHECK(is(bad_len->error(), transport_errc::noise_failed));

  auto extra = kk_exchange::make({bob, alice.pk, false, std::nullopt});
  auto more = m1;
  more.push_back(0);
  CHECK(extra->feed(more, none) == step::failed);
  CHECK(is(extra->error(), transport_errc::protocol));

  // carol expects alice, but bob's message 1 arrives: the KK check fails
  auto ki2 = kk_exchange::make({bob, carol.pk, true, std::nullopt});
  auto kc = kk_exchange::make({carol, alice.pk, false, std::nullopt});
  byte_buffer m1b;
  ki2->start(m1b);
  CHECK(kc->feed(m1b, none) == step::failed);
  CHECK(is(kc->error(), transport_errc::noise_failed));
}

TEST_CASE("settlement: status codes, bad signature, wrong entry, garbage, oversize") {
  byte_buffer out;
  size_t used = 0;
  for (auto [code, words] : {std::pair<uint8_t, const char*>{0, "rejected by remote"},
                             {2, "signature error"},
                             {3, "invalid"},
                             {9, "invalid remote response"}}) {
    auto i = settlement::make({alice, bob.pk, "stcpr", true});
    REQUIRE(i);
    CHECK(i->feed({&code, 1}, out, used) == step::failed);
    CHECK(is(i->error(), transport_errc::settlement_failed));
    CHECK(describe(i->error()).find(words) != std::string::npos);
  }
  auto ok = settlement::make({alice, bob.pk, "stcpr", true});
  byte_buffer status_and_data{1, 'h', 'i'};
  CHECK(ok->feed(status_and_data, out, used) == step::done);
  CHECK(used == 1); // the rest is transport data

  auto responder = [] {
    auto r = settlement::make({bob, alice.pk, "stcpr", false});
    REQUIRE(r);
    return std::move(*r);
  };
  auto entry_line = [](const crypto::keypair& signer, std::string_view type,
                       const public_key& other) {
    wt::signed_entry se;
    se.entry = crypto::make_transport_entry(signer.pk, other, type);
    REQUIRE_FALSE(se.set_signature(signer.pk, crypto::sign(se.entry.to_binary(), signer.sk)));
    return wt::encode_settlement_message(se);
  };
  SUBCASE("signed by another key: status 3 (as the reference), bad_signature") {
    auto r = responder();
    wt::signed_entry se;
    se.entry = crypto::make_transport_entry(alice.pk, bob.pk, "stcpr");
    REQUIRE_FALSE(se.set_signature(alice.pk, crypto::sign(se.entry.to_binary(), carol.sk)));
    out.clear();
    CHECK(r.feed(bytes(wt::encode_settlement_message(se)), out, used) == step::failed);
    CHECK(out == byte_buffer{3});
    CHECK(is(r.error(), transport_errc::bad_signature));
  }
  SUBCASE("another type: status 3, settlement_failed") {
    auto r = responder();
    out.clear();
    CHECK(r.feed(bytes(entry_line(alice, "sudph", bob.pk)), out, used) == step::failed);
    CHECK(out == byte_buffer{3});
    CHECK(is(r.error(), transport_errc::settlement_failed));
  }
  SUBCASE("another pair: status 3") {
    auto r = responder();
    out.clear();
    CHECK(r.feed(bytes(entry_line(alice, "stcpr", carol.pk)), out, used) == step::failed);
    CHECK(out == byte_buffer{3});
  }
  SUBCASE("garbage: status 3, protocol") {
    auto r = responder();
    out.clear();
    CHECK(r.feed(bytes("{\"entry\":5}\n"), out, used) == step::failed);
    CHECK(out == byte_buffer{3});
    CHECK(is(r.error(), transport_errc::protocol));
  }
  SUBCASE("4096 bytes without a newline") {
    auto r = responder();
    out.clear();
    std::string big(4095, 'x');
    CHECK(r.feed(bytes(big), out, used) == step::need_more);
    CHECK(r.feed(bytes("x"), out, used) == step::failed);
    CHECK(out == byte_buffer{3});
  }
  SUBCASE("the entry in pieces, then bytes before the status are out of turn") {
    auto r = responder();
    auto line = entry_line(alice, "stcpr", bob.pk);
    out.clear();
    CHECK(r.feed(bytes(line.substr(0, 100)), out, used) == step::need_more);
    CHECK(r.feed(bytes(line.substr(100)), out, used) == step::decide);
    CHECK(r.feed(bytes("x"), out, used) == step::failed);
    CHECK(out == byte_buffer{3});
  }
  SUBCASE("refusing after verification sends status 0") {
    auto r = responder();
    out.clear();
    CHECK(r.feed(bytes(entry_line(alice, "stcpr", bob.pk)), out, used) == step::decide);
    CHECK(r.decide(false, out) == step::failed);
    CHECK(out == byte_buffer{0});
  }
  CHECK_FALSE(settlement::make({alice, alice.pk, "stcpr", true}));
  CHECK_FALSE(settlement::make({alice, bob.pk, "ST CP", true}));
}

TEST_CASE("error values: words, causes, peer text") {
  auto e = make_error(transport_errc::handshake_timeout, "waited 10 s for Frame2");
  CHECK(describe(e) == "transport: handshake timeout: waited 10 s for Frame2");
  CHECK(failure_cause(e) == "handshake timeout");
  CHECK_FALSE(peer_text(e));
  CHECK(is(e, transport_errc::handshake_timeout));
  CHECK_FALSE(is(e, transport_errc::cut));
  auto r = make_rejection("");
  CHECK(describe(r) == "transport: rejected by the peer: (no reason given)");
  CHECK(peer_text(r) == std::optional<std::string>{""});
  CHECK(failure_cause(caf::error{}) == "none");
}
