// Fuzz: arbitrary bytes as a dmsg signed object (sig[65] || gob) holding a
// StreamRequest or StreamResponse. A decoded object re-encodes (Go-exact
// encoder, fresh process) to bytes that decode to the same object, and
// encoding is a fixed point.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "messages/wire/dmsg/stream_objects.hpp"

using namespace skywire;
using namespace skywire::wire;

namespace {

[[noreturn]] void fail(const char*) {
  std::abort();
}

template <class T>
void check(const expected<T>& got) {
  if (!got)
    return;
  auto b1 = dmsg::encode_gob(*got);
  expected<T> back = T{};
  if constexpr (std::is_same_v<T, dmsg::stream_request>)
    back = dmsg::decode_stream_request(b1);
  else
    back = dmsg::decode_stream_response(b1);
  if (!back || !(*back == *got))
    fail("object does not round-trip");
  if (dmsg::encode_gob(*back) != b1)
    fail("encode not a fixed point");
  auto obj = dmsg::make_signed_object(signature{}, b1);
  auto view = dmsg::split_signed_object(obj);
  if (!view || view->gob.size() != b1.size())
    fail("signed object framing");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in{data, size};
  auto view = dmsg::split_signed_object(in);
  if (view) {
    check(dmsg::decode_stream_request(view->gob));
    check(dmsg::decode_stream_response(view->gob));
  }
  // Also the raw bytes as gob, and both objects on one connection decoder.
  check(dmsg::decode_stream_request(in));
  gob::decoder dec{dmsg::object_limits()};
  auto st = dec.next(in);
  if (st && st->consumed < in.size()) {
    check(dmsg::decode_stream_response(dec, in.subspan(st->consumed)));
  }
  return 0;
}
