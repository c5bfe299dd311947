// Fuzz: arbitrary bytes as a setup node's stream to the visor's route setup
// gateway (RPCGateway on dmsg port 136), read by the gateway's codec in
// uneven chunks. Every call read is bounded (count, rule number, rule
// types decoded strictly) and answered; the reply bytes read back as a
// net/rpc response of the same call.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "messages/wire/rpc/route_gateway.hpp"

using namespace skywire;
using namespace skywire::wire;
namespace rs = skywire::wire::rpc::route_setup;

namespace {

[[noreturn]] void fail(const char*) {
  std::abort();
}

void answer(rs::gateway_codec& g, rpc::client_codec& cc, const rs::gateway_call& c) {
  if (c.header.service_method.size() > rpc::max_service_method)
    fail("unbounded service method");
  std::vector<uint8_t> out;
  caf::error err;
  if (!c.refusal.empty()) {
    err = g.reply_error(c.header, c.refusal, out);
  } else {
    switch (c.method) {
      case rs::gateway_method::reserve_ids: {
        std::vector<route_id> ids;
        for (uint32_t i = 1; i <= c.count; ++i)
          ids.push_back(route_id{i});
        err = g.reply_ids(c.header, ids, out);
        break;
      }
      case rs::gateway_method::add_intermediary_rules:
        if (c.rules.size() > rs::max_gateway_rules)
          fail("unbounded rules");
        err = g.reply_bool(c.header, true, out);
        break;
      case rs::gateway_method::add_edge_rules:
        if (!c.edge || c.edge->forward.encode().empty())
          fail("edge rules missing");
        err = g.reply_bool(c.header, true, out);
        break;
      case rs::gateway_method::remove_rules:
        if (c.keys.size() > rs::max_gateway_rules)
          fail("unbounded keys");
        err = g.reply_bool(c.header, true, out);
        break;
      case rs::gateway_method::unknown:
        fail("an unknown method without a refusal");
    }
  }
  if (err)
    fail("reply encode");
  // the replies of one stream read back in order by one client
  cc.feed(out);
  auto r = cc.next_response();
  if (!r || !*r || (*r)->header.seq != c.header.seq)
    fail("reply does not read back");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rs::gateway_codec g;
  rpc::client_codec cc;
  size_t pos = 0;
  size_t step = size > 0 ? (data[0] % 64) + 1 : 1;
  while (pos < size) {
    auto n = std::min(step, size - pos);
    g.feed({data + pos, n});
    pos += n;
    for (;;) {
      auto c = g.next();
      if (!c)
        return 0; // the stream ends here
      if (!*c)
        break;
      answer(g, cc, **c);
    }
  }
  return 0;
}
