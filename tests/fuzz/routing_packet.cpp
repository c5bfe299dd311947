// Fuzz the routing packet decoder and the stream splitter.
// Properties: errors are values; every packet the splitter yields re-encodes
// to exactly the bytes it came from; the splitter (any chunking) and
// split_packets agree (feed_each as well); decode_packet accepts exactly one whole packet.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "messages/wire/routing/packet.hpp"

using namespace skywire;
using namespace skywire::wire::routing;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  size_t chunk = data[0] % 32 + 1;
  size_t max_payload = data[0] & 0x80 ? 64 : max_packet_payload;
  byte_span in{data + 1, size - 1};

  // 1) one-shot splitting
  std::vector<packet_view> views;
  auto used = split_packets(in, views, max_payload);
  size_t pos = 0;
  for (const auto& p : views) {
    std::vector<uint8_t> enc;
    FUZZ_ASSERT(!encode(enc, p.type, p.rid, p.payload));
    FUZZ_ASSERT(enc.size() == p.wire_size());
    FUZZ_ASSERT(std::equal(enc.begin(), enc.end(), in.begin() + static_cast<ptrdiff_t>(pos)));
    auto again = decode_packet({enc.data(), enc.size()});
    FUZZ_ASSERT(again);
    FUZZ_ASSERT(again->type == p.type && again->rid == p.rid
                && again->payload.size() == p.payload.size());
    FUZZ_ASSERT(p.payload.size() <= max_payload);
    pos += enc.size();
  }
  if (used)
    FUZZ_ASSERT(*used == pos && in.size() - pos < packet_header_size + max_payload);

  // 2) chunked splitting yields the same packets
  packet_splitter s{max_payload};
  size_t n = 0;
  bool failed = false;
  for (size_t off = 0; off < in.size() && !failed; off += chunk) {
    s.feed(in.subspan(off, std::min(chunk, in.size() - off)));
    for (;;) {
      auto p = s.next();
      if (!p) {
        failed = true;
        break;
      }
      if (!*p)
        break;
      FUZZ_ASSERT(n < views.size());
      FUZZ_ASSERT((*p)->type == views[n].type && (*p)->rid == views[n].rid);
      FUZZ_ASSERT(std::equal((*p)->payload.begin(), (*p)->payload.end(),
                             views[n].payload.begin(), views[n].payload.end()));
      ++n;
    }
  }
  FUZZ_ASSERT(n == views.size());
  FUZZ_ASSERT(failed == !used);

  // 2b) feed_each (packets viewed in the chunk where whole) agrees too
  packet_splitter e{max_payload};
  size_t m = 0;
  bool e_failed = false;
  for (size_t off = 0; off < in.size() && !e_failed; off += chunk) {
    auto err = e.feed_each(in.subspan(off, std::min(chunk, in.size() - off)),
                           [&](const packet_view& p) {
                             FUZZ_ASSERT(m < views.size());
                             FUZZ_ASSERT(p.type == views[m].type && p.rid == views[m].rid);
                             FUZZ_ASSERT(std::equal(p.payload.begin(), p.payload.end(),
                                                    views[m].payload.begin(),
                                                    views[m].payload.end()));
                             ++m;
                             return true;
                           });
    e_failed = static_cast<bool>(err);
  }
  FUZZ_ASSERT(m == views.size());
  FUZZ_ASSERT(e_failed == !used);

  // 3) the exact decoder: accepted input re-encodes to itself
  if (auto p = decode_packet(in)) {
    if (p->payload.size() <= max_payload)
      FUZZ_ASSERT(views.size() == 1 && used && *used == in.size());
    else
      FUZZ_ASSERT(!used && views.empty());
    std::vector<uint8_t> enc;
    FUZZ_ASSERT(!encode(enc, p->type, p->rid, p->payload));
    FUZZ_ASSERT(enc.size() == in.size() && std::equal(enc.begin(), enc.end(), in.begin()));
    if (p->type == packet_type::ping || p->type == packet_type::pong)
      FUZZ_ASSERT(read_ping(*p));
  }
  return 0;
}
