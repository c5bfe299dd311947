// Fuzzes skysocks-client's reading of the server's bytes (actors/apps/
// socks_greeting, socks_connect): connections whose application messages
// and server pieces come from the input, through one session's caches.
// Never more dropped or taken than a piece holds; an early answer is always
// a learned success (one whole reply with code 0) for a whole CONNECT; only
// a connection answered early drops the server's reply, and one that ends
// without a mismatch dropped one whole reply; the caches stay within their
// bounds.
#include <cstdlib>
#include <vector>

#include "actors/apps/socks_connect.hpp"
#include "actors/apps/socks_greeting.hpp"

using namespace skywire::apps;

namespace {

struct input {
  const uint8_t* p;
  size_t n;
  bool empty() const { return n == 0; }
  uint8_t byte() {
    if (n == 0)
      return 0;
    --n;
    return *p++;
  }
  std::span<const uint8_t> take(size_t k) {
    k = std::min(k, n);
    std::span<const uint8_t> s{p, k};
    p += k;
    n -= k;
    return s;
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  input in{data, size};
  greeting_cache greetings;
  connect_cache connects;
  auto now = connect_cache::clock::time_point{} + std::chrono::hours{1};
  while (!in.empty()) {
    greeting_tap g;
    connect_tap c;
    // the application's greeting, then its request
    auto greeting = in.take(in.byte() % 8);
    g.first_from_client(greeting, greetings);
    auto request = in.take(in.byte() % 40);
    auto early = c.from_client(request, g.method(), connects, now);
    if (early) {
      if (!connect_cache::is_connect(request) || !connect_cache::is_success(*early))
        std::abort();
    }
    size_t dropped_after_greeting = 0;
    bool mismatch = false;
    // the server's pieces, as the pipe feeds them
    int pieces = in.byte() % 6;
    for (int i = 0; i < pieces && !mismatch; ++i) {
      auto piece = in.take(in.byte() % 32);
      auto o = g.from_server(piece, greetings);
      if (o.drop > piece.size() || o.taken > piece.size() || (o.drop != 0 && o.drop != o.taken))
        std::abort();
      if (o.mismatch)
        break;
      auto rest = piece.subspan(o.taken);
      if (rest.empty())
        continue;
      auto co = c.from_server(rest, connects, now);
      if (co.drop > rest.size())
        std::abort();
      if (!early && co.drop != 0)
        std::abort(); // only what we answered is dropped
      dropped_after_greeting += co.drop;
      mismatch = co.mismatch;
    }
    // a success answered early and seen whole is dropped whole: one reply's
    // length (a name reply of 0 to 255 bytes, or IPv4, or IPv6)
    if (early && !mismatch && !c.active()
        && (dropped_after_greeting < 4 + 1 + 2 || dropped_after_greeting > 4 + 1 + 255 + 2))
      std::abort();
    if (greetings.size() > greeting_cache::max_entries || connects.size() > connect_cache::max_entries)
      std::abort();
    now += std::chrono::seconds{in.byte() % 4 == 0 ? 90 : 1};
  }
  return 0;
}
