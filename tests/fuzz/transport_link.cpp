// libFuzzer target: one transport link core (actors/transport/transport_core.hpp)
// over the simulated link, fed a hostile peer's bytes at every stage a peer
// can reach. Input byte 0 picks the stage, byte 1 seeds how the bytes are cut
// into reads; the rest is what the peer sends:
//   0  responder from the first byte (Frame0, Frame2)
//   1  initiator from the first byte (Frame1, Frame3)
//   2  responder after a valid frame exchange (KK message 1)
//   3  initiator after a valid frame exchange (KK message 2)
//   4  responder after frames and KK, raw bytes (the Noise frame reader)
//   5  responder after frames and KK, the rest sealed as Noise frames by the
//      peer (the settlement entry decoder)
//   6  initiator after frames and KK, sealed (the status byte, then data)
//   7  dmsg-mode responder (the entry decoder on a plain stream)
//   8  dmsg-mode initiator (status byte and data on a plain stream)
//   9  address-resolver mode initiator (Frame1, Frame3, then data)
// Properties: on_down at most once and nothing after it; no on_data before
// on_up; every error is a transport error; the send queue stays bounded; an
// abort always ends the link.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "actors/transport/handshake_io.hpp"
#include "actors/transport/transport_core.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/sim/sim_link.hpp"

using namespace skywire;
using namespace skywire::transport;
using namespace std::chrono_literals;
using byte_buffer = std::vector<uint8_t>;

namespace {

void check(bool ok) {
  if (!ok)
    std::abort();
}

const crypto::keypair& key(int who) {
  static const crypto::keypair a = crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>("alice"), 5});
  static const crypto::keypair b = crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>("bob"), 3});
  return who == 0 ? a : b;
}

struct harness {
  sim::network net;
  std::shared_ptr<sim::sim_link> core_side, peer_side;
  byte_buffer got;
  int ups = 0;
  int downs = 0;
  bool bad = false;
  transport_core_ptr core;

  harness() {
    auto links = sim::sim_link::make_pair(net);
    core_side = links.first;
    peer_side = links.second;
    io::byte_link::callbacks cbs;
    cbs.on_data = [this](byte_buffer&& b) { got.insert(got.end(), b.begin(), b.end()); };
    cbs.on_closed = [](const boost::system::error_code&) {};
    peer_side->start(std::move(cbs), 1 << 20);
  }

  bool start(transport_mode mode, bool initiator) {
    transport_core::params p;
    p.mode = mode;
    p.role = initiator ? transport_role::initiator : transport_role::responder;
    p.type = mode == transport_mode::dmsg ? "dmsg" : "stcpr";
    p.local = initiator ? key(0) : key(1);
    if (initiator || mode == transport_mode::dmsg)
      p.remote = initiator ? key(1).pk : key(0).pk;
    if (mode == transport_mode::handshake_only) {
      p.remote = public_key{};
      p.remote_port = port{0};
    }
    p.local_port = port{49152};
    p.max_send_queue = 64 * 1024;
    p.on_up = [this](const established&) {
      bad |= downs > 0;
      ++ups;
    };
    p.on_data = [this](byte_span) { bad |= ups == 0 || downs > 0; };
    p.on_down = [this](const caf::error& err) {
      bad |= downs > 0 || !err || err.category() != transport_category();
      ++downs;
    };
    auto m = transport_core::make(std::move(p));
    if (!m)
      return false;
    core = *m;
    core->start(core_side);
    net.advance(1ms);
    return true;
  }

  void send(byte_span b) {
    if (!b.empty())
      peer_side->write(byte_buffer(b.begin(), b.end()));
    net.advance(1ms);
  }
  byte_buffer take() { return std::exchange(got, {}); }
};

/// Plays a well-behaved peer through the frame exchange (and KK): the
/// session when KK ran, nullptr-like invalid session otherwise.
bool peer_handshake(harness& h, bool core_is_initiator, bool with_kk, crypto::noise::session& out) {
  byte_buffer o;
  if (core_is_initiator) {
    frame_exchange::responder_config rc;
    rc.local = key(1);
    auto r = frame_exchange::responder(rc);
    if (r.feed(h.take(), o) != step::need_more)
      return false;
    h.send(o);
    o.clear();
    if (r.feed(h.take(), o) != step::done)
      return false;
    h.send(o);
    if (!with_kk)
      return true;
    auto kk = kk_exchange::make({key(1), key(0).pk, false, std::nullopt});
    o.clear();
    if (!kk || kk->feed(h.take(), o) != step::done)
      return false;
    h.send(o);
    auto s = kk->take_session();
    if (!s)
      return false;
    out = std::move(*s);
    return true;
  }
  auto i = frame_exchange::initiator({key(0), port{49152}, address{key(1).pk, port{45}}});
  i.start(o);
  h.send(o);
  o.clear();
  if (i.feed(h.take(), o) != step::need_more)
    return false;
  h.send(o);
  o.clear();
  if (i.feed(h.take(), o) != step::done)
    return false;
  if (!with_kk)
    return true;
  auto kk = kk_exchange::make({key(0), key(1).pk, true, std::nullopt});
  if (!kk)
    return false;
  o.clear();
  kk->start(o);
  h.send(o);
  o.clear();
  if (kk->feed(h.take(), o) != step::done)
    return false;
  auto s = kk->take_session();
  if (!s)
    return false;
  out = std::move(*s);
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  uint8_t stage = data[0] % 10;
  uint32_t seed = data[1];
  byte_span rest{data + 2, size - 2};
  harness h;
  bool initiator = stage == 1 || stage == 3 || stage == 6 || stage == 8 || stage == 9;
  auto mode = stage == 7 || stage == 8   ? transport_mode::dmsg
              : stage == 9             ? transport_mode::handshake_only
                                       : transport_mode::noise_kk;
  check(h.start(mode, initiator));
  crypto::noise::session sealed;
  bool seal = false;
  if (stage >= 2 && stage <= 6) {
    bool kk = stage >= 4;
    check(peer_handshake(h, initiator, kk, sealed));
    seal = stage == 5 || stage == 6;
  }
  h.take();
  // the peer's bytes, cut into reads of 1..600 bytes
  while (!rest.empty()) {
    seed = seed * 1103515245u + 12345u;
    size_t n = (seed >> 16) % 600 + 1;
    n = n < rest.size() ? n : rest.size();
    if (seal) {
      byte_buffer frames;
      check(!sealed.encrypt_frames(rest.first(n), frames));
      h.send(frames);
    } else {
      h.send(rest.first(n));
    }
    check(h.core_side->queued_bytes() <= 64 * 1024 + 64 * 1024);
    rest = rest.subspan(n);
  }
  h.net.advance(40s); // every handshake deadline has passed
  check(h.downs <= 1);
  if (h.core->phase() == link_phase::up)
    check(h.ups == 1 && h.downs == 0);
  h.core->abort();
  h.net.advance(1s);
  check(h.downs == 1);
  check(!h.bad);
  return 0;
}
