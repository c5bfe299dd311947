// libFuzzer target: Skywire Noise stream frames through noise::frame_reader.
// The session is built from fixed keys (the KK vector's initiator->responder
// key), so seeds taken from the Go transcripts decrypt.
//
// Input byte 0 selects the mode, byte 1 seeds the chunking:
//  even: the rest is raw wire bytes from a hostile peer, fed in random chunks.
//        Properties: errors are crypto values; once failed the reader stays
//        failed; the buffer never exceeds one frame; every plaintext is at
//        most 4070 bytes; the counter only grows.
//  odd:  the rest is plaintext. It is encrypted by the sending session,
//        fed in random chunks and must come back identical; then one byte of
//        the wire is flipped and a fresh receiver must reject it.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "runtime/crypto/noise/session.hpp"

using namespace skywire;
using namespace skywire::crypto;
using namespace skywire::crypto::noise;

namespace {

std::array<uint8_t, 32> key_from_hex(const char* h) {
  std::array<uint8_t, 32> k{};
  if (from_hex(h, k))
    std::abort();
  return k;
}

const auto k1 = key_from_hex("8262900a9ec05c064e80a13a0d440d80166eeca4fe7ddf65a63d86444b67ee3c");
const auto k2 = key_from_hex("2eea0ca9873023ccf8eab4cc7ece6ac3ef11c99f91a75ba5ff1534f9ecaaec31");

void check(bool ok) {
  if (!ok)
    std::abort();
}

struct chunker {
  uint32_t state;
  size_t next(size_t left) {
    state = state * 1103515245u + 12345u;
    size_t n = (state >> 16) % 600 + 1;
    return n < left ? n : left;
  }
};

template <class F>
caf::error feed_chunked(frame_reader& r, session& s, byte_span wire, uint8_t seed, F&& sink) {
  chunker c{seed};
  caf::error first;
  while (!wire.empty()) {
    size_t n = c.next(wire.size());
    auto err = r.feed(s, wire.first(n), sink);
    check(r.buffered() <= max_frame_size);
    if (err) {
      check(err.category() == crypto_category());
      check(r.failed());
      if (!first)
        first = err;
    } else {
      check(!first); // a failed reader never recovers
    }
    wire = wire.subspan(n);
  }
  return first;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  uint8_t mode = data[0];
  uint8_t seed = data[1];
  byte_span rest{data + 2, size - 2};
  session tx{k1, k2, {}, public_key{}};
  session rx{k2, k1, {}, public_key{}};
  if (mode % 2 == 0) {
    frame_reader r;
    uint64_t last = 0;
    feed_chunked(r, rx, rest, seed, [&](byte_span p) {
      check(!p.empty() && p.size() <= max_frame_plaintext);
      check(rx.recv_counter() > last);
      last = rx.recv_counter();
    });
    return 0;
  }
  std::vector<uint8_t> wire;
  check(!tx.encrypt_frames(rest, wire));
  check(wire.size() == frames_size(rest.size()));
  std::vector<uint8_t> got;
  frame_reader r;
  auto err = feed_chunked(r, rx, wire, seed,
                          [&](byte_span p) { got.insert(got.end(), p.begin(), p.end()); });
  check(!err);
  check(got.size() == rest.size() && std::equal(got.begin(), got.end(), rest.begin()));
  check(r.buffered() == 0);
  if (!wire.empty()) {
    // Flip one byte: the fresh receiver must not deliver the altered frame.
    size_t pos = (size_t{seed} * 7919) % wire.size();
    wire[pos] ^= static_cast<uint8_t>(mode | 1);
    session rx2{k2, k1, {}, public_key{}};
    frame_reader r2;
    std::vector<uint8_t> got2;
    auto err2 = feed_chunked(r2, rx2, wire, seed,
                             [&](byte_span p) { got2.insert(got2.end(), p.begin(), p.end()); });
    // Either an error, or (altered length prefix) an incomplete tail.
    check(err2 || r2.buffered() > 0);
    check(got2.size() <= rest.size());
  }
  return 0;
}
