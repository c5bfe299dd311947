// Two transport cores (actors/transport/transport_core.hpp) over the
// simulated link (tests/sim/sim_link.hpp), and one core against a scripted
// hostile peer: the whole handshake, KK, settlement and data both ways, the
// dmsg and address-resolver modes, refusals, truncation, garbage, oversize,
// a slowloris, cuts, a full send queue, keep-alives and a silent peer, a
// clean close. Virtual clock, no sockets, no sleeps: deterministic.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>

#include "actors/transport/handshake_io.hpp"
#include "actors/transport/transport_core.hpp"
#include "messages/wire/routing/packet.hpp"
#include "messages/wire/transport/handshake.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/session.hpp"
#include "runtime/crypto/transport_id.hpp"
#include "tests/actors/transport/tp_support.hpp"
#include "tests/sim/sim_link.hpp"

using namespace skywire;
using namespace skywire::transport;
using namespace tp_test;
using skywire::sim::faults;
using skywire::sim::network;
using skywire::sim::sim_link;
namespace wt = skywire::wire::transport;
namespace nz = skywire::crypto::noise;
using wr = transport_core::write_result;

namespace {

const auto alice = identity("alice");
const auto bob = identity("bob");

byte_buffer pattern(size_t n, uint8_t seed) {
  byte_buffer b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : b) {
    x = x * 1103515245u + 12345u;
    c = static_cast<uint8_t>(x >> 16);
  }
  return b;
}

transport_core::params base(transport_role role, transport_mode mode = transport_mode::noise_kk) {
  transport_core::params p;
  p.mode = mode;
  p.role = role;
  p.type = mode == transport_mode::dmsg ? "dmsg" : "stcpr";
  if (role == transport_role::initiator) {
    p.local = alice;
    p.remote = bob.pk;
    p.local_port = port{49152};
  } else {
    p.local = bob;
    if (mode == transport_mode::dmsg)
      p.remote = alice.pk;
  }
  return p;
}

/// Two cores on the two ends of one simulated link.
struct duo {
  network net;
  std::shared_ptr<sim_link> la, lb;
  recorder ra, rb;
  transport_core_ptr a, b; // a = initiator (alice), b = responder (bob)

  duo(transport_core::params pa, transport_core::params pb, faults ab = {}, faults ba = {}) {
    auto links = sim_link::make_pair(net, ab, ba);
    la = links.first;
    lb = links.second;
    // close() as TCP's: what was written arrives, then the end of the stream
    la->set_fin_on_close(true);
    lb->set_fin_on_close(true);
    ra.attach(pa);
    rb.attach(pb);
    auto ma = transport_core::make(std::move(pa));
    auto mb = transport_core::make(std::move(pb));
    REQUIRE(ma);
    REQUIRE(mb);
    a = *ma;
    b = *mb;
  }
  void start() {
    b->start(lb);
    a->start(la);
  }
  bool run_until(const std::function<bool()>& pred, std::chrono::nanoseconds limit = 30s) {
    return net.run_until(pred, limit);
  }
  bool both_up() const { return ra.ups == 1 && rb.ups == 1; }
};

/// Writes data through core in pieces while it accepts them; resumed by
/// on_writable (a writer that respects the queue bound).
struct pump {
  transport_core_ptr core;
  const byte_buffer* data = nullptr;
  size_t off = 0;
  size_t piece = 16 * 1024;
  int refusals = 0;

  void run() {
    while (off < data->size()) {
      auto n = std::min(piece, data->size() - off);
      auto r = core->write(byte_span{*data}.subspan(off, n));
      if (r == wr::queue_full) {
        ++refusals;
        return;
      }
      REQUIRE(r == wr::ok);
      off += n;
    }
  }
};

} // namespace

TEST_CASE("transport sim: handshake, KK, settlement, then 1 MiB each way byte for byte") {
  faults f;
  f.delay = 5ms;
  f.mtu = 1400;
  f.bandwidth = 50'000'000;
  auto pa = base(transport_role::initiator);
  auto pb = base(transport_role::responder);
  duo d{pa, pb, f, f};
  pump wa{nullptr, nullptr};
  pump wb{nullptr, nullptr};
  d.start();
  REQUIRE(d.run_until([&] { return d.both_up(); }, 5s));
  // frames (2 round trips), KK (1), settlement (1): about 4 round trips of 10 ms
  CHECK(d.net.now() < 60ms);
  REQUIRE(d.ra.up->entry);
  REQUIRE(d.rb.up->entry);
  auto id = crypto::make_transport_id(alice.pk, bob.pk, "stcpr");
  CHECK(d.ra.up->entry->entry.id == id);
  CHECK(d.rb.up->entry->entry.id == id);
  auto bin = d.rb.up->entry->entry.to_binary();
  CHECK_FALSE(crypto::verify(bin, alice.pk, d.rb.up->entry->signature_of(alice.pk)));
  CHECK_FALSE(crypto::verify(bin, bob.pk, d.rb.up->entry->signature_of(bob.pk)));
  CHECK(d.rb.up->remote == address{alice.pk, port{49152}});
  CHECK(d.ra.up->remote == address{bob.pk, port{45}});

  auto da = pattern(1 << 20, 1);
  auto db = pattern(1 << 20, 2);
  wa = pump{d.a, &da};
  wb = pump{d.b, &db};
  d.a->write(byte_span{});
  wa.run();
  wb.run();
  // writers resume on on_writable
  int wa_resumes = 0;
  int wb_resumes = 0;
  REQUIRE(d.run_until([&] {
    if (d.ra.writables > wa_resumes) {
      wa_resumes = d.ra.writables;
      wa.run();
    }
    if (d.rb.writables > wb_resumes) {
      wb_resumes = d.rb.writables;
      wb.run();
    }
    return d.rb.data.size() == da.size() && d.ra.data.size() == db.size();
  }));
  CHECK(d.rb.data == da);
  CHECK(d.ra.data == db);
  CHECK(d.ra.downs == 0);
  CHECK(d.rb.downs == 0);
  CHECK_FALSE(d.ra.data_before_up);
  CHECK_FALSE(d.rb.data_before_up);
  CHECK(d.a->counters().bytes_out == da.size());
  CHECK(d.b->counters().bytes_in == da.size());
  CHECK(d.a->counters().wire_out == d.b->counters().wire_in);
  CHECK(d.b->counters().wire_out == d.a->counters().wire_in);
}

TEST_CASE("transport sim: one read, one delivery: a read batch of many frames is one on_data") {
  duo d{base(transport_role::initiator), base(transport_role::responder)};
  d.start();
  REQUIRE(d.run_until([&] { return d.both_up(); }, 2s));
  auto data = pattern(64 * 1024, 6); // 17 frames, written (and read) at once
  CHECK(d.a->write(data) == wr::ok);
  REQUIRE(d.run_until([&] { return d.rb.data.size() == data.size(); }, 1s));
  CHECK(d.rb.data_calls == 1);
  CHECK(d.rb.data == data);
}

TEST_CASE("transport sim: a wrong DstAddr port is refused with Frame3's text, both ends") {
  auto pa = base(transport_role::initiator);
  pa.remote_port = port{46};
  duo d{pa, base(transport_role::responder)};
  d.start();
  REQUIRE(d.run_until([&] { return d.ra.downs == 1 && d.rb.downs == 1; }, 2s));
  CHECK(d.ra.is_down(transport_errc::rejected));
  CHECK(peer_text(d.ra.down) == std::optional<std::string>{"not listening on given port"});
  CHECK(d.rb.is_down(transport_errc::refused));
  CHECK(d.ra.ups == 0);
  CHECK(d.rb.ups == 0);
}

TEST_CASE("transport sim: a responder that refuses the settlement; the initiator learns it") {
  auto pb = base(transport_role::responder);
  transport_core_ptr* bp = nullptr;
  pb.on_register = [&](const wt::signed_entry&) { (*bp)->complete_settlement(false); };
  duo d{base(transport_role::initiator), pb};
  bp = &d.b;
  d.start();
  REQUIRE(d.run_until([&] { return d.ra.downs == 1 && d.rb.downs == 1; }, 2s));
  CHECK(d.ra.is_down(transport_errc::settlement_failed));
  CHECK(describe(d.ra.down).find("rejected by remote") != std::string::npos);
  CHECK(d.rb.is_down(transport_errc::settlement_failed));
}

TEST_CASE("transport sim: the registration may take its time within the settlement deadline") {
  auto pb = base(transport_role::responder);
  network* netp = nullptr;
  transport_core_ptr* bp = nullptr;
  pb.on_register = [&](const wt::signed_entry& se) {
    CHECK_FALSE(se.signature_of(alice.pk).is_null());
    CHECK_FALSE(se.signature_of(bob.pk).is_null());
    netp->after(3s, [&] { (*bp)->complete_settlement(true); });
  };
  duo d{base(transport_role::initiator), pb};
  netp = &d.net;
  bp = &d.b;
  d.start();
  REQUIRE(d.run_until([&] { return d.both_up(); }, 5s));
  CHECK(d.net.now() >= 3s);
  CHECK(d.a->write(bytes("x")) == wr::ok);
}

TEST_CASE("transport sim: dmsg mode settles straight on the stream, data both ways") {
  auto pa = base(transport_role::initiator, transport_mode::dmsg);
  pa.local_port = port{49153};
  auto pb = base(transport_role::responder, transport_mode::dmsg);
  pb.local_port = port{45};
  pb.remote_port = port{49153};
  faults f;
  f.mtu = 100; // the entry arrives in pieces
  duo d{pa, pb, f, f};
  d.start();
  REQUIRE(d.run_until([&] { return d.both_up(); }, 2s));
  CHECK(d.ra.up->entry->entry.type == "dmsg");
  CHECK(d.ra.up->entry->entry.id == crypto::make_transport_id(alice.pk, bob.pk, "dmsg"));
  CHECK(d.rb.up->remote == address{alice.pk, port{49153}});
  // no handshake frames, no Noise: the first bytes on the wire are the entry
  CHECK(d.b->counters().wire_in == wt::encode_settlement_message(*d.ra.up->entry).size());
  CHECK(d.a->write(bytes("ping")) == wr::ok);
  CHECK(d.b->write(bytes("pong")) == wr::ok);
  REQUIRE(d.run_until([&] { return d.rb.data.size() == 4 && d.ra.data.size() == 4; }, 1s));
  CHECK(text(d.rb.data) == "ping");
  CHECK(text(d.ra.data) == "pong");
}

TEST_CASE("transport sim: address resolver channel: frames, then plain data at once") {
  auto pa = base(transport_role::initiator, transport_mode::handshake_only);
  pa.remote = public_key{};
  pa.remote_port = port{0};
  pa.local_port = port{0};
  auto pb = base(transport_role::responder, transport_mode::handshake_only);
  pb.require_own_key = false;
  pb.check_frame2 = [](const wt::frame2&) { return std::string{}; }; // any Frame2
  transport_core_ptr* bp = nullptr;
  pb.on_up = [&](const established& e) {
    CHECK(e.remote == address{alice.pk, port{0}});
    CHECK_FALSE(e.entry);
    // the resolver pushes right after Frame3
    CHECK((*bp)->write(bytes("{\"PK\":\"x\"}")) == wr::ok);
  };
  duo d{pa, pb};
  bp = &d.b;
  d.start();
  REQUIRE(d.run_until([&] { return d.ra.data.size() == 10; }, 2s));
  CHECK(text(d.ra.data) == "{\"PK\":\"x\"}");
  CHECK(d.a->write(bytes("heartbeat")) == wr::ok);
  REQUIRE(d.run_until([&] { return d.rb.data.size() == 9; }, 1s));
}

TEST_CASE("transport sim: hostile peers are dropped with the right error") {
  network net;
  scripted_peer peer{net};
  recorder rec;
  auto p = base(transport_role::responder);
  rec.attach(p);
  auto core = transport_core::make(p);
  REQUIRE(core);
  (*core)->start(peer.core_side);
  net.advance(1ms);

  SUBCASE("garbage is refused at its first byte, long before the deadline") {
    peer.send(bytes("\x16\x03\x01\x02\x00\x01"));
    CHECK(rec.is_down(transport_errc::protocol));
    CHECK(net.now() < 10ms);
  }
  SUBCASE("an oversized Frame2") {
    peer.send("get_nonce");
    peer.take();
    peer.send(std::string(2000, '{'));
    CHECK(rec.is_down(transport_errc::protocol));
    CHECK(describe(rec.down).find("1024") != std::string::npos);
  }
  SUBCASE("a truncated handshake: half a Frame2, then the end of the stream") {
    peer.peer_side->set_fin_on_close(true);
    peer.send("get_nonce");
    peer.take();
    peer.send("{\"SrcAddr\":{\"public_key\":\"03423b");
    peer.peer_side->close();
    net.advance(10ms);
    CHECK(rec.is_down(transport_errc::peer_closed));
    CHECK(describe(rec.down).find("Frame2") != std::string::npos);
  }
  SUBCASE("a slowloris: get_nonce, then nothing: the 10 s deadline fires on the virtual clock") {
    peer.send("get_nonce");
    CHECK(text(peer.take()).rfind("{\"Nonce\":[", 0) == 0);
    net.advance(9'900ms);
    CHECK(rec.downs == 0);
    net.advance(200ms);
    CHECK(rec.is_down(transport_errc::handshake_timeout));
    CHECK(describe(rec.down).find("waited 10 s for Frame2") != std::string::npos);
    net.advance(10ms);
    CHECK(peer.closed);
  }
  SUBCASE("a slowloris dripping one byte a second is still cut at 10 s") {
    std::string f0 = "get_nonce";
    for (char c : f0)
      peer.send(bytes(std::string_view{&c, 1}), 1s);
    CHECK(rec.downs == 0);
    net.advance(1'100ms);
    CHECK(rec.is_down(transport_errc::handshake_timeout));
  }
  CHECK(rec.downs == 1);
  CHECK(rec.ups == 0);
  CHECK_FALSE(rec.after_down);
}

TEST_CASE("transport sim: a peer that completes KK, then sends an oversized or forged frame") {
  network net;
  scripted_peer peer{net};
  recorder rec;
  auto p = base(transport_role::responder);
  rec.attach(p);
  auto core = transport_core::make(p);
  REQUIRE(core);
  (*core)->start(peer.core_side);
  net.advance(1ms);
  // the peer runs our own machines as a well-behaved initiator up to KK
  auto fx = frame_exchange::initiator({alice, port{49152}, address{bob.pk, port{45}}});
  byte_buffer out;
  fx.start(out);
  peer.send(out);
  out.clear();
  REQUIRE(fx.feed(peer.take(), out) == step::need_more);
  peer.send(out);
  out.clear();
  REQUIRE(fx.feed(peer.take(), out) == step::done);
  auto kk = kk_exchange::make({alice, bob.pk, true, std::nullopt});
  REQUIRE(kk);
  out.clear();
  kk->start(out);
  peer.send(out);
  out.clear();
  REQUIRE(kk->feed(peer.take(), out) == step::done);
  auto s = kk->take_session();
  REQUIRE(s);
  CHECK((*core)->phase() == link_phase::settlement);

  SUBCASE("a frame length above 4094") {
    peer.send(byte_buffer{0x10, 0x00, 0, 0, 0});
    CHECK(rec.is_down(transport_errc::protocol));
  }
  SUBCASE("a frame whose tag does not verify") {
    byte_buffer frame;
    REQUIRE_FALSE(s->encrypt_frames(bytes("{\"entry\":"), frame));
    frame.back() ^= 1;
    peer.send(frame);
    CHECK(rec.is_down(transport_errc::noise_failed));
  }
  SUBCASE("a replayed counter") {
    byte_buffer frame;
    REQUIRE_FALSE(s->encrypt_frames(bytes("{"), frame));
    peer.send(frame);
    peer.send(frame);
    CHECK(rec.is_down(transport_errc::noise_failed));
  }
  SUBCASE("silence: the settlement deadline (20 s)") {
    net.advance(19s);
    CHECK(rec.downs == 0);
    net.advance(2s);
    CHECK(rec.is_down(transport_errc::handshake_timeout));
    CHECK(describe(rec.down).find("settlement entry") != std::string::npos);
  }
  CHECK(rec.ups == 0);
}

TEST_CASE("transport sim: a cut in the middle of a transfer is noticed by both ends") {
  faults f;
  f.delay = 2ms;
  f.mtu = 1400;
  f.bandwidth = 20'000'000;
  duo d{base(transport_role::initiator), base(transport_role::responder), f, f};
  d.start();
  REQUIRE(d.run_until([&] { return d.both_up(); }, 2s));
  auto data = pattern(4 << 20, 3);
  pump w{d.a, &data};
  w.run();
  int resumes = 0;
  d.run_until([&] {
    if (d.ra.writables > resumes) {
      resumes = d.ra.writables;
      w.run();
    }
    return d.rb.data.size() > 1'000'000;
  });
  d.la->cut();
  REQUIRE(d.run_until([&] { return d.ra.downs == 1 && d.rb.downs == 1; }, 1s));
  CHECK(d.ra.is_down(transport_errc::cut));
  CHECK(d.rb.is_down(transport_errc::cut));
  CHECK(d.rb.data.size() < data.size());
  CHECK(std::equal(d.rb.data.begin(), d.rb.data.end(), data.begin()));
  CHECK(d.a->write(bytes("late")) == wr::closed);
  CHECK(d.a->phase() == link_phase::down);
}

TEST_CASE("transport sim: a full send queue refuses loudly, never drops, and reopens") {
  auto pa = base(transport_role::initiator);
  pa.max_send_queue = 64 * 1024;
  faults f;
  f.mtu = 1400;
  f.bandwidth = 1'000'000; // a slow line: the queue fills at once
  duo d{pa, base(transport_role::responder), f, f};
  d.start();
  REQUIRE(d.run_until([&] { return d.both_up(); }, 2s));
  auto data = pattern(256 * 1024, 4);
  pump w{d.a, &data, 0, 4096};
  w.run();
  CHECK(w.refusals == 1);
  CHECK(w.off < 64 * 1024);
  CHECK(w.off > 48 * 1024);
  CHECK(d.a->queued_bytes() <= 64 * 1024);
  CHECK(d.a->counters().writes_refused == 1);
  CHECK(d.a->write(byte_span{data}.first(4096)) == wr::queue_full);
  CHECK(d.a->counters().writes_refused == 2);
  CHECK(d.a->write(pattern(100 * 1024, 1)) == wr::too_large);
  CHECK(d.ra.writables == 0);
  // the line drains: on_writable once the queue is at half, writes resume
  int resumes = 0;
  REQUIRE(d.run_until([&] {
    if (d.ra.writables > resumes) {
      resumes = d.ra.writables;
      CHECK(d.a->queued_bytes() <= 32 * 1024);
      w.run();
    }
    return d.rb.data.size() == data.size();
  }, 5s));
  CHECK(d.rb.data == data);
  CHECK(resumes >= 3);
  CHECK(d.ra.downs == 0);
}

TEST_CASE("transport sim: keep-alives keep an idle transport up; a silent peer is declared dead") {
  faults f;
  f.delay = 5ms;
  duo d{base(transport_role::initiator), base(transport_role::responder), f, f};
  d.start();
  REQUIRE(d.run_until([&] { return d.both_up(); }, 2s));
  d.net.advance(120s);
  CHECK(d.ra.downs == 0);
  CHECK(d.rb.downs == 0);
  CHECK(d.a->counters().keepalives_out >= 10);
  CHECK(d.b->counters().keepalives_in + 1 >= d.a->counters().keepalives_out);
  CHECK(d.ra.data.empty()); // keep-alives are never data
  CHECK(d.rb.data.empty());
  // data in between: no keep-alive needed that round
  auto before = d.a->counters().keepalives_out.load();
  for (int i = 0; i < 5; ++i) {
    CHECK(d.a->write(bytes("route ping")) == wr::ok);
    d.net.advance(5s);
  }
  CHECK(d.a->counters().keepalives_out == before);
  // bob's side goes silent (its frames no longer arrive): alice gives up
  d.lb->fault_config().loss = 1.0;
  d.net.advance(45s);
  CHECK(d.ra.is_down(transport_errc::peer_silent));
  CHECK(describe(d.ra.down).find("nothing from the peer for") != std::string::npos);
}

TEST_CASE("transport sim: an idle Go-like peer (no keep-alives) is not declared dead") {
  auto pb = base(transport_role::responder);
  pb.limits.keepalive = 0ns; // behaves as the reference: sends nothing when idle
  duo d{base(transport_role::initiator), pb};
  d.start();
  REQUIRE(d.run_until([&] { return d.both_up(); }, 2s));
  d.net.advance(300s);
  CHECK(d.ra.downs == 0);
  CHECK(d.rb.downs == 0);
  CHECK(d.b->counters().keepalives_out == 0);
  CHECK(d.b->counters().keepalives_in > 0); // ours still sends them
}

TEST_CASE("transport sim: dmsg mode sends no keep-alive; a known bound still finds silence") {
  auto pa = base(transport_role::initiator, transport_mode::dmsg);
  pa.peer_keepalive_known = true; // the owner knows the stream carries pings
  pa.limits.dead_after = 30s;
  duo d{pa, base(transport_role::responder, transport_mode::dmsg)};
  d.start();
  REQUIRE(d.run_until([&] { return d.both_up(); }, 2s));
  d.net.advance(25s);
  CHECK(d.b->write(bytes("route ping")) == wr::ok);
  d.net.advance(25s);
  CHECK(d.ra.downs == 0); // the ping reset the watch
  d.net.advance(15s);
  CHECK(d.ra.is_down(transport_errc::peer_silent));
  CHECK(d.a->counters().keepalives_out == 0);
  CHECK(d.b->counters().keepalives_out == 0);
}

TEST_CASE("transport sim: a clean close sends what is queued; the peer sees its end") {
  faults f;
  f.delay = 3ms;
  f.bandwidth = 10'000'000;
  duo d{base(transport_role::initiator), base(transport_role::responder), f, f};
  d.start();
  REQUIRE(d.run_until([&] { return d.both_up(); }, 2s));
  auto data = pattern(300 * 1024, 5);
  CHECK(d.a->write(data) == wr::ok);
  d.a->close();
  CHECK(d.a->write(bytes("x")) == wr::ok); // close() is posted: still up here
  d.net.advance(1us);
  CHECK(d.a->write(bytes("y")) == wr::closed);
  REQUIRE(d.run_until([&] { return d.ra.downs == 1 && d.rb.downs == 1; }, 2s));
  CHECK(d.ra.is_down(transport_errc::closed));
  CHECK(d.rb.is_down(transport_errc::peer_closed));
  REQUIRE(d.rb.data.size() == data.size() + 1);
  CHECK(std::equal(data.begin(), data.end(), d.rb.data.begin()));
  CHECK_FALSE(d.ra.after_down);
  CHECK_FALSE(d.rb.after_down);
}

TEST_CASE("transport sim: abort and close during the handshake") {
  faults f;
  f.delay = 5ms;
  duo d{base(transport_role::initiator), base(transport_role::responder), f, f};
  d.start();
  d.net.advance(12ms); // Frame1 arrived at alice, Frame2 on its way
  CHECK(d.b->phase() == link_phase::frames);
  d.a->abort();
  REQUIRE(d.run_until([&] { return d.ra.downs == 1 && d.rb.downs == 1; }, 1s));
  CHECK(d.ra.is_down(transport_errc::closed));
  CHECK(d.rb.is_down(transport_errc::peer_closed));
  CHECK(describe(d.rb.down).find("while waiting for Noise KK message 1") != std::string::npos);
  CHECK(d.a->write(bytes("x")) == wr::closed);
}

TEST_CASE("transport sim: parameters are checked") {
  auto p = base(transport_role::initiator);
  p.remote = alice.pk;
  p.on_data = [](byte_span) {};
  p.on_down = [](const caf::error&) {};
  auto m = transport_core::make(p);
  REQUIRE_FALSE(m);
  CHECK(is(m.error(), transport_errc::invalid_argument));
  p.remote = bob.pk;
  p.local.pk = bob.pk; // does not match the secret key
  CHECK_FALSE(transport_core::make(p));
  p.local = alice;
  p.type = "";
  CHECK_FALSE(transport_core::make(p));
  p.type = "stcpr";
  p.on_down = nullptr;
  CHECK_FALSE(transport_core::make(p));
}

TEST_CASE("transport sim: the send queue by type: a largest route packet fits every type's, "
          "sudph's is shorter than the others'") {
  // a packet of the largest payload, framed, must never be too_large for any
  // type (the router would drop it as "next transport busy" for good)
  size_t packet = nz::frames_size(wire::routing::packet_header_size
                                                      + wire::routing::max_packet_payload);
  for (auto type : {"stcp", "stcpr", "sudph", "dmsg"}) {
    CAPTURE(type);
    CHECK(send_queue_for(type) >= 4 * packet);
  }
  CHECK(send_queue_for("sudph") < send_queue_for("stcpr"));
  CHECK(send_queue_for("stcpr") == transport_core::params{}.max_send_queue);
  CHECK(send_queue_for("dmsg") == transport_core::params{}.max_send_queue);
  // a transport made with it refuses a write beyond it, as any other bound
  auto pa = base(transport_role::initiator);
  pa.max_send_queue = send_queue_for("sudph");
  faults f;
  f.bandwidth = 1'000'000;
  duo d{pa, base(transport_role::responder), f, f};
  d.start();
  REQUIRE(d.run_until([&] { return d.both_up(); }, 2s));
  CHECK(d.a->write(pattern(send_queue_for("sudph"), 2)) == wr::too_large);
  CHECK(d.a->write(pattern(wire::routing::max_packet_payload, 3)) == wr::ok);
}
