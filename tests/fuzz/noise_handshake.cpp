// libFuzzer target: Skywire Noise handshakes reading hostile messages.
// Fixed keys from the vectors (bob as KK responder, carol as XK responder,
// alice as initiator, all with the fixed ephemerals), so seeds taken from the
// Go transcripts complete the handshake.
//
// Input: byte 0 selects the pattern (bit 0: KK/XK) and the role (bit 1:
// responder/initiator); the rest is a sequence of `u16 BE len | message`
// frames, which are handed to read_message() whenever it is the peer's turn
// (our own messages are written in between).
// Properties: errors are crypto values; a failed handshake stays failed and
// refuses to split; a finished one splits into a working session that knows
// the peer's key.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "runtime/crypto/noise/handshake.hpp"

using namespace skywire;
using namespace skywire::crypto;
using namespace skywire::crypto::noise;

namespace {

void check(bool ok) {
  if (!ok)
    std::abort();
}

keypair kp(const char* sk_hex) {
  auto sk = secret_key::from_hex(sk_hex);
  check(static_cast<bool>(sk));
  auto pk = derive_public_key(*sk);
  check(static_cast<bool>(pk));
  return keypair{*pk, *sk};
}

const keypair alice = kp("1e2306919f7afb647a4f9633647066986fdf0dca47d25bcc2ce5e8d7b6bc3b85");
const keypair alice_e = kp("9001f82f9c7ce369fafb12075395b95d0812d6764f5832258d4db2c7824258a1");
const keypair bob = kp("bb952c933cd99f50fb0057597c3bc5e70c5de2c9f31678f08ccaeec5c1be57cc");
const keypair bob_e = kp("dfc39b04339055dd471b89ab15801ebf05d4513736d0dc73dda66b6c24232009");
const keypair carol = kp("f78982a3aa4bb31ce268417da0911989afa87f6a065b6625ca2b52feadb7abc1");
const keypair carol_e = kp("91a3915900ff7d2e8d91503c035bae6ae2f1e827b776ed992618c33f8a4b7bc2");

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  bool xk = data[0] & 1;
  bool initiator = data[0] & 2;
  const keypair& server = xk ? carol : bob;
  const keypair& server_e = xk ? carol_e : bob_e;
  handshake::config cfg;
  cfg.pattern = xk ? pattern_kind::xk : pattern_kind::kk;
  cfg.side = initiator ? role::initiator : role::responder;
  cfg.local = initiator ? alice : server;
  cfg.remote = initiator ? server.pk : (xk ? public_key{} : alice.pk);
  cfg.ephemeral = initiator ? alice_e : server_e;
  auto hs = handshake::make(cfg);
  check(static_cast<bool>(hs));
  byte_span in{data + 1, size - 1};
  bool failed = false;
  for (int step = 0; step < 8 && !hs->finished(); ++step) {
    if (hs->my_turn()) {
      std::vector<uint8_t> out;
      check(!hs->write_frame(out));
      continue;
    }
    auto f = next_frame(in, 0xffff);
    check(static_cast<bool>(f));
    if (!*f)
      break;
    in = in.subspan((*f)->consumed);
    auto err = hs->read_message((*f)->body);
    if (err) {
      check(err.category() == crypto_category());
      check(hs->failed());
      failed = true;
      break;
    }
  }
  if (failed) {
    std::vector<uint8_t> more(49, 2);
    check(static_cast<bool>(hs->read_message(more)));
    check(!hs->split());
    return 0;
  }
  if (hs->finished()) {
    auto s = hs->split();
    check(static_cast<bool>(s));
    check(is_valid(s->remote()));
    // The XK responder accepts any static key the initiator proves; the
    // other roles had the peer's key configured.
    if (initiator || !xk)
      check(s->remote() == (initiator ? server.pk : alice.pk));
    std::vector<uint8_t> wire;
    uint8_t msg[3] = {1, 2, 3};
    check(!s->encrypt_frames(byte_span{msg, 3}, wire));
  } else {
    check(!hs->split());
  }
  return 0;
}
