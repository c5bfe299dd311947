// Fuzz the route finder's JSON decoders: what a visor reads from a route
// finder (decode_routes, decode_routes_answer: a hostile answer must neither
// crash nor bloat the visor) and what the route finder reads from a client
// (decode_find_routes_request). Properties: errors are values; decode ->
// encode -> decode is stable and the encoding a fixed point; a checked
// answer holds only valid paths for the edges asked, within the bounds.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "messages/wire/routing/route_finder.hpp"

using namespace skywire;
using namespace skywire::wire::routing;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  rf_limits lim;
  lim.max_bytes = 64 * 1024;
  lim.max_edges = 8;
  lim.max_paths = 8;
  lim.max_hops = 64;
  if (auto r = decode_find_routes_request(text, lim)) {
    FUZZ_ASSERT(r->edges.size() <= lim.max_edges);
    auto json = encode_find_routes_request(*r);
    auto again = decode_find_routes_request(json, lim);
    FUZZ_ASSERT(again && *again == *r && encode_find_routes_request(*again) == json);
  }
  if (auto m = decode_routes(text, lim)) {
    FUZZ_ASSERT(m->size() <= lim.max_edges);
    for (const auto& [edge, paths] : *m) {
      FUZZ_ASSERT(paths.size() <= lim.max_paths);
      for (const auto& p : paths)
        FUZZ_ASSERT(!p.empty() && p.size() <= lim.max_hops);
    }
    auto json = encode_routes(*m);
    lim.max_bytes = 4 << 20; // the encoding may be longer than the input (escapes undone)
    auto again = decode_routes(json, lim);
    FUZZ_ASSERT(again && encode_routes(*again) == json);
    // asked for exactly the edges it holds, with the widest bounds
    find_routes_request asked;
    for (const auto& [edge, paths] : *m)
      asked.edges.push_back(edge);
    asked.opts = {0, 0xffff};
    if (auto checked = decode_routes_answer(json, asked, lim)) {
      for (const auto& [edge, paths] : *checked) {
        FUZZ_ASSERT(!paths.empty());
        for (const auto& p : paths)
          FUZZ_ASSERT(!check_path(edge, p, asked.opts) && p.front().from == edge.src
                      && p.back().to == edge.dst);
      }
    }
  }
  return 0;
}
