// Fuzz: an arbitrary gob stream through one connection decoder (persistent
// type table), fed in chunks. Every decoded value must re-encode through a
// schema rebuilt from the wire types, and decode->encode must reach a fixed
// point (same bytes, equal values).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "messages/wire/gob/decoder.hpp"
#include "messages/wire/gob/encoder.hpp"

using namespace skywire;
using namespace skywire::wire;

namespace {

[[noreturn]] void fail(const char*) {
  std::abort();
}

bool is_oversized(const caf::error& e) {
  return e.category() == wire_category() && e.code() == static_cast<uint8_t>(wire_errc::oversized);
}

void round_trip(const gob::decoder& dec, const gob::value& v) {
  auto s = gob::schema_from_wire(dec.types(), v.type);
  if (!s)
    return; // recursive or unsupported type: nothing to re-encode
  gob::encoder e1;
  e1.set_max_output(1 << 20);
  std::vector<uint8_t> b1;
  if (auto err = e1.encode(*s, v, b1)) {
    if (is_oversized(err))
      return;
    fail("decoded value does not re-encode");
  }
  gob::decoder d1;
  auto v2 = d1.decode_one(b1);
  if (!v2) {
    if (is_oversized(v2.error()))
      return;
    fail("re-encoded bytes do not decode");
  }
  auto s2 = gob::schema_from_wire(d1.types(), v2->type);
  if (!s2)
    fail("schema of re-encoded value");
  gob::encoder e2;
  std::vector<uint8_t> b2;
  if (e2.encode(*s2, *v2, b2))
    fail("second encode");
  if (b1 != b2)
    fail("encode is not a fixed point");
  gob::decoder d2;
  auto v3 = d2.decode_one(b2);
  if (!v3 || !(*v3 == *v2))
    fail("decode is not a fixed point");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  size_t chunk = 1 + data[0] % 64;
  gob::limits lim;
  lim.max_message = 1 << 16;
  lim.max_nodes = 1 << 16;
  gob::stream_decoder sd{lim};
  std::span<const uint8_t> in{data + 1, size - 1};
  for (size_t pos = 0; pos < in.size(); pos += chunk) {
    sd.feed(in.subspan(pos, std::min(chunk, in.size() - pos)));
    for (int k = 0; k < 1000; ++k) {
      auto r = sd.next();
      if (!r) {
        // Sticky: the next call fails too.
        if (sd.next())
          fail("error not sticky");
        return 0;
      }
      if (!*r)
        break;
      round_trip(sd.dec(), **r);
    }
  }
  return 0;
}
