// The transport link against the Go reference's recorded bytes
// (tests/vectors/skywire/transport.json): the frame exchange with the fixed
// nonce both ways, then the live stcpr exchange alice:49152 -> bob:45
// replayed byte for byte against our responder and our initiator (handshake
// frames, Noise KK with the recorded ephemerals, settlement, first packet),
// and the rejected handshake. Signatures of the reference are random, so
// ours are compared on the signed bytes and verified, never as bytes.
#include <doctest/doctest.h>

#include "actors/transport/handshake_io.hpp"
#include "actors/transport/settlement.hpp"
#include "actors/transport/transport_core.hpp"
#include "messages/wire/transport/handshake.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/session.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "tests/actors/transport/tp_support.hpp"
#include "tests/messages/wire/wire_vectors.hpp"

using namespace skywire;
using namespace skywire::transport;
using namespace tp_test;
namespace wt = skywire::wire::transport;
namespace nz = skywire::crypto::noise;
using wire_test::str;
using wire_test::unhex;

namespace {

const boost::json::object& tp_vec() {
  return wire_test::vectors("transport.json").as_object();
}

wt::handshake_nonce nonce_of_frame1(const std::string& line) {
  auto f1 = wt::decode_frame1(line);
  REQUIRE(f1);
  return f1->nonce;
}

/// Feeds `in` in pieces of `chunk` bytes; the last step's result.
template <class Machine>
step feed_chunked(Machine& m, byte_span in, size_t chunk, byte_buffer& out) {
  step r = step::need_more;
  while (!in.empty()) {
    auto n = std::min(chunk, in.size());
    r = m.feed(in.first(n), out);
    if (r == step::failed)
      return r;
    in = in.subspan(n);
  }
  return r;
}

/// Our Frame2 must be the vector's except for the (random) signature, which
/// must verify under alice's key.
void check_our_frame2(const std::string& line, const std::string& vector_signed_bytes) {
  auto f2 = wt::decode_frame2(line);
  REQUIRE(f2);
  CHECK(wt::frame2_signed_bytes(*f2) == vector_signed_bytes);
  CHECK(wt::encode_frame2(*f2) == line);
  CHECK_FALSE(crypto::verify(bytes(wt::frame2_signed_bytes(*f2)), wire_test::alice, f2->sig));
}

} // namespace

TEST_CASE("vector identities are the deterministic keys") {
  CHECK(identity("alice").pk == wire_test::alice);
  CHECK(identity("bob").pk == wire_test::bob);
  const auto& kk = tp_vec().at("handshake_live_exchange").at("noise_kk");
  CHECK(identity("alice-tp-ephemeral").sk.hex() == str(kk.at("initiator_ephemeral_sk")));
  CHECK(identity("bob-tp-ephemeral").sk.hex() == str(kk.at("responder_ephemeral_sk")));
}

TEST_CASE("frame exchange, fixed nonce: our responder answers the Go initiator's frames") {
  const auto& v = tp_vec().at("handshake_fixed_nonce");
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}}) {
    CAPTURE(chunk);
    frame_exchange::responder_config rc;
    rc.local = identity("bob");
    rc.nonce = nonce_of_frame1(str(v.at("frame1_json")));
    auto r = frame_exchange::responder(rc);
    byte_buffer out;
    r.start(out);
    CHECK(out.empty());
    CHECK(feed_chunked(r, wire_test::span(unhex(v.at("frame0_hex"))), chunk, out)
          == step::need_more);
    CHECK(text(out) == str(v.at("frame1_json")));
    out.clear();
    CHECK(feed_chunked(r, bytes(str(v.at("frame2_wire_json"))), chunk, out) == step::done);
    CHECK(text(out) == str(v.at("frame3_ok_json")));
    CHECK(r.remote() == address{wire_test::alice, port{49152}});
    CHECK(r.local() == address{wire_test::bob, port{45}});
  }
}

TEST_CASE("frame exchange, fixed nonce: our initiator against the Go responder's frames") {
  const auto& v = tp_vec().at("handshake_fixed_nonce");
  for (size_t chunk : {size_t{1}, size_t{13}, size_t{4096}}) {
    CAPTURE(chunk);
    auto i = frame_exchange::initiator(
      {identity("alice"), port{49152}, address{wire_test::bob, port{45}}});
    byte_buffer out;
    i.start(out);
    CHECK(wire_test::hex(out) == str(v.at("frame0_hex")));
    out.clear();
    CHECK(feed_chunked(i, bytes(str(v.at("frame1_json"))), chunk, out) == step::need_more);
    check_our_frame2(text(out), str(v.at("frame2_as_signed_json")));
    out.clear();
    CHECK(feed_chunked(i, bytes(str(v.at("frame3_ok_json"))), chunk, out) == step::done);
    CHECK(out.empty());
  }
}

TEST_CASE("settlement machines reproduce the live exchange's plaintexts") {
  const auto& st = tp_vec().at("handshake_live_exchange").at("settlement");
  auto plain = str(st.at("initiator_plaintext_ascii"));
  // responder bob, fed the Go initiator's entry: verifies, countersigns
  auto r = settlement::make({identity("bob"), wire_test::alice, "stcpr", false});
  REQUIRE(r);
  byte_buffer out;
  size_t used = 0;
  CHECK(r->feed(bytes(plain), out, used) == step::decide);
  CHECK(used == plain.size());
  CHECK(out.empty());
  const auto& se = r->entry();
  auto bin = se.entry.to_binary();
  CHECK_FALSE(crypto::verify(bin, wire_test::alice, se.signature_of(wire_test::alice)));
  CHECK_FALSE(crypto::verify(bin, wire_test::bob, se.signature_of(wire_test::bob)));
  // what it registers is the vector's body but for its own (random) signature
  auto reg = wt::decode_signed_entry_list(str(st.at("registered_by_responder")));
  REQUIRE(reg);
  auto expect = (*reg)[0];
  REQUIRE_FALSE(expect.set_signature(wire_test::bob, se.signature_of(wire_test::bob)));
  CHECK(wt::encode_tpd_post_body({se}) == wt::encode_tpd_post_body({expect}));
  CHECK(r->decide(true, out) == step::done);
  CHECK(wire_test::hex(out) == str(st.at("responder_plaintext_hex")));

  // initiator alice: the same line but for its signature; status 01 settles
  auto i = settlement::make({identity("alice"), wire_test::bob, "stcpr", true});
  REQUIRE(i);
  out.clear();
  i->start(out);
  auto ours = wt::decode_settlement_message(text(out));
  REQUIRE(ours);
  auto theirs = wt::decode_settlement_message(plain);
  REQUIRE(theirs);
  REQUIRE_FALSE(ours->set_signature(wire_test::alice, theirs->signature_of(wire_test::alice)));
  CHECK(wt::encode_settlement_message(*ours) == plain);
  byte_buffer none;
  auto status = unhex(st.at("responder_plaintext_hex"));
  CHECK(i->feed(wire_test::span(status), none, used) == step::done);
  CHECK(used == 1);
}

TEST_CASE("core replay: our responder answers the Go initiator byte for byte") {
  const auto& v = tp_vec().at("handshake_live_exchange");
  const auto& ini = v.at("initiator_tcp_bytes");
  const auto& res = v.at("responder_tcp_bytes");
  const auto& kk = v.at("noise_kk");
  const auto& st = v.at("settlement");
  const auto& fp = v.at("first_packet");

  sim::network net;
  scripted_peer go{net};
  recorder rec;
  transport_core::params p;
  p.role = transport_role::responder;
  p.type = "stcpr";
  p.local = identity("bob");
  p.fixed_nonce = nonce_of_frame1(str(res.at("frame1_ascii")));
  p.fixed_ephemeral = identity("bob-tp-ephemeral");
  rec.attach(p);
  bool registered = false;
  transport_core_ptr core;
  p.on_register = [&](const wt::signed_entry& se) {
    registered = true;
    rec.registered = se;
    core->complete_settlement(true);
  };
  auto made = transport_core::make(p);
  REQUIRE(made);
  core = *made;
  core->start(go.core_side);
  net.advance(1ms);
  CHECK(go.take().empty());

  go.send(wire_test::span(unhex(ini.at("frame0_hex"))));
  CHECK(text(go.take()) == str(res.at("frame1_ascii")));
  go.send(str(ini.at("frame2_ascii")));
  CHECK(text(go.take()) == str(res.at("frame3_ascii")));
  CHECK(core->phase() == link_phase::noise);
  go.send(wire_test::span(unhex(kk.at("initiator_tcp_bytes_hex"))));
  CHECK(wire_test::hex(go.take()) == str(kk.at("responder_tcp_bytes_hex")));
  CHECK(core->phase() == link_phase::settlement);
  go.send(wire_test::span(unhex(st.at("initiator_tcp_bytes_hex"))));
  CHECK(registered);
  CHECK(wire_test::hex(go.take()) == str(st.at("responder_tcp_bytes_hex")));
  REQUIRE(rec.ups == 1);
  CHECK(core->phase() == link_phase::up);
  CHECK(rec.up->remote == address{wire_test::alice, port{49152}});
  CHECK(rec.up->local == address{wire_test::bob, port{45}});
  REQUIRE(rec.up->entry);
  CHECK(rec.up->entry->entry.id.to_string() == "9ff2818c-b326-0541-9f0b-f73272312553");
  CHECK(rec.up->entry->entry == rec.registered->entry);

  go.send(wire_test::span(unhex(fp.at("initiator_tcp_bytes_hex"))));
  CHECK(wire_test::hex(rec.data) == str(fp.at("packet_hex")));
  CHECK(rec.downs == 0);
  CHECK_FALSE(rec.data_before_up);
  CHECK(core->counters().bytes_in == rec.data.size());
}

TEST_CASE("core replay: our initiator against the Go responder byte for byte") {
  const auto& v = tp_vec().at("handshake_live_exchange");
  const auto& ini = v.at("initiator_tcp_bytes");
  const auto& res = v.at("responder_tcp_bytes");
  const auto& kk = v.at("noise_kk");
  const auto& st = v.at("settlement");
  const auto& fp = v.at("first_packet");

  sim::network net;
  scripted_peer go{net};
  recorder rec;
  transport_core::params p;
  p.type = "stcpr";
  p.local = identity("alice");
  p.remote = wire_test::bob;
  p.local_port = port{49152};
  p.fixed_ephemeral = identity("alice-tp-ephemeral");
  rec.attach(p);
  auto core = transport_core::make(p);
  REQUIRE(core);
  (*core)->start(go.core_side);
  net.advance(1ms);
  CHECK(wire_test::hex(go.take()) == str(ini.at("frame0_hex")));

  go.send(str(res.at("frame1_ascii")));
  check_our_frame2(text(go.take()), str(ini.at("frame2_as_signed_ascii")));
  go.send(str(res.at("frame3_ascii")));
  CHECK(wire_test::hex(go.take()) == str(kk.at("initiator_tcp_bytes_hex")));
  go.send(wire_test::span(unhex(kk.at("responder_tcp_bytes_hex"))));

  // the settlement frame: same length and nonce as the Go one, and its
  // plaintext the same line but for alice's random signature
  auto frame = go.take();
  auto go_frame = unhex(st.at("initiator_tcp_bytes_hex"));
  REQUIRE(frame.size() == go_frame.size());
  CHECK(std::equal(frame.begin(), frame.begin() + 10, go_frame.begin()));
  std::array<uint8_t, 32> k{};
  REQUIRE_FALSE(from_hex(str(kk.at("initiator_send_key")), k));
  nz::session bob_rx{std::array<uint8_t, 32>{}, k, {}, wire_test::alice};
  byte_buffer plain(frame.size());
  auto n = bob_rx.decrypt_frame(byte_span{frame}.subspan(2), plain.data());
  REQUIRE(n);
  plain.resize(*n);
  auto ours = wt::decode_settlement_message(text(plain));
  REQUIRE(ours);
  auto theirs = wt::decode_settlement_message(str(st.at("initiator_plaintext_ascii")));
  REQUIRE(theirs);
  CHECK_FALSE(crypto::verify(ours->entry.to_binary(), wire_test::alice,
                             ours->signature_of(wire_test::alice)));
  REQUIRE_FALSE(ours->set_signature(wire_test::alice, theirs->signature_of(wire_test::alice)));
  CHECK(wt::encode_settlement_message(*ours) == str(st.at("initiator_plaintext_ascii")));
  CHECK(rec.ups == 0);

  go.send(wire_test::span(unhex(st.at("responder_tcp_bytes_hex"))));
  REQUIRE(rec.ups == 1);
  CHECK(rec.up->remote == address{wire_test::bob, port{45}});
  CHECK(rec.up->local == address{wire_test::alice, port{49152}});

  // the first packet: nonce 2, byte for byte
  auto packet = unhex(fp.at("packet_hex"));
  CHECK((*core)->write(packet) == transport_core::write_result::ok);
  net.advance(1ms);
  CHECK(wire_test::hex(go.take()) == str(fp.at("initiator_tcp_bytes_hex")));
  CHECK(rec.downs == 0);
}

TEST_CASE("rejected handshake: the vector's Frame3 both ways") {
  const auto& v = tp_vec().at("handshake_rejected");
  const auto& frames = v.at("responder_frames_ascii").as_array();
  // our responder, asked for port 46, answers exactly the reference's frames
  frame_exchange::responder_config rc;
  rc.local = identity("bob");
  rc.nonce = nonce_of_frame1(str(frames[0]));
  auto r = frame_exchange::responder(rc);
  byte_buffer out;
  CHECK(r.feed(bytes("get_nonce"), out) == step::need_more);
  CHECK(text(out) == str(frames[0]));
  wt::frame2 f2{address{wire_test::alice, port{49152}}, address{wire_test::bob, port{46}},
                *rc.nonce, signature{}};
  f2.sig = crypto::sign(bytes(wt::frame2_signed_bytes(f2)), identity("alice").sk);
  out.clear();
  CHECK(r.feed(bytes(wt::encode_frame2(f2)), out) == step::failed);
  CHECK(text(out) == str(frames[1]));
  CHECK(is(r.error(), transport_errc::refused));

  // our initiator reads the reference's refusal as a rejection with its text
  sim::network net;
  scripted_peer go{net};
  recorder rec;
  transport_core::params p;
  p.type = "stcpr";
  p.local = identity("alice");
  p.remote = wire_test::bob;
  p.local_port = port{49152};
  p.remote_port = port{46};
  rec.attach(p);
  auto core = transport_core::make(p);
  REQUIRE(core);
  (*core)->start(go.core_side);
  net.advance(1ms);
  go.take();
  go.send(str(frames[0]));
  auto f2_line = text(go.take());
  auto ours = wt::decode_frame2(f2_line);
  REQUIRE(ours);
  CHECK(ours->dst.prt.value == 46);
  go.send(str(frames[1]));
  net.advance(10ms);
  CHECK(rec.is_down(transport_errc::rejected));
  CHECK(peer_text(rec.down) == std::optional<std::string>{"not listening on given port"});
  CHECK(describe(rec.down) == "transport: rejected by the peer: not listening on given port");
  CHECK(failure_cause(rec.down) == "rejected by the peer");
  CHECK(go.closed);
}
