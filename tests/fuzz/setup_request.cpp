// Fuzz: arbitrary bytes as the stream a setup node reads on port 36 (and a
// setup client reads back): every request is decoded as the node does
// (BidirectionalRoute by field names, then validate); a route that decodes
// re-encodes as Go would and decodes back equal. Answers are decoded as the
// visor's setup client does (EdgeRules) and the gateway calls' typed
// readers run on whatever the values are.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "messages/wire/rpc/net_rpc.hpp"
#include "messages/wire/rpc/route_setup_calls.hpp"
#include "tests/fuzz/rpc_streams.hpp"

using namespace skywire;
using namespace skywire::wire;
namespace rs = skywire::wire::rpc::route_setup;

namespace {

[[noreturn]] void fail(const char*) {
  std::abort();
}

gob::limits fuzz_limits() {
  gob::limits lim;
  lim.max_message = 1 << 16;
  lim.max_nodes = 1 << 16;
  lim.max_types = 64;
  lim.max_depth = 16;
  return lim;
}

void check_route(const gob::decoder& dec, const gob::value& v) {
  auto route = rs::bidirectional_route_from_gob(dec, v);
  (void)rs::route_ids_from_gob(v);
  (void)rs::rules_from_gob(v);
  (void)rs::bool_from_gob(v);
  (void)rs::uint8_from_gob(v);
  if (!route)
    return;
  if (route->forward.size() > rs::max_decoded_hops || route->reverse.size() > rs::max_decoded_hops)
    fail("unbounded hops");
  (void)rs::validate(*route, 50, 3'600'000'000'000);
  rpc::client_codec cc;
  std::vector<uint8_t> b;
  if (cc.write_request({std::string{rs::dial_route_group_method}, 1},
                       rs::bidirectional_route_schema(), rs::to_gob(*route), b))
    fail("a decoded route does not encode");
  rpc::server_codec sc;
  sc.feed(b);
  auto back = sc.next_request();
  if (!back || !*back)
    fail("a re-encoded route does not decode");
  auto again = rs::bidirectional_route_from_gob(sc.decoder(), (*back)->arg);
  if (!again || !(*again == *route))
    fail("route changed in a round trip");
}

void check_edge(const gob::decoder& dec, const gob::value& v) {
  auto e = rs::edge_rules_from_gob(dec, v);
  if (!e)
    return;
  if (e->forward.type != routing::rule_type::forward || e->reverse.type != routing::rule_type::consume)
    fail("edge rules of the wrong types");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::feed_rpc_streams(
    data, size, fuzz_limits(),
    [](const gob::decoder& dec, const rpc::inbound_request& r) { check_route(dec, r.arg); },
    [](const gob::decoder& dec, const rpc::inbound_response& r) {
      check_edge(dec, r.reply);
      (void)rs::route_ids_from_gob(r.reply);
    });
  return 0;
}
