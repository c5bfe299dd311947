// Fuzz: arbitrary bytes as a net/rpc stream, read by a server codec (requests)
// and a client codec (responses). Every call read re-encodes and reads back
// equal (header and body).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "messages/wire/rpc/net_rpc.hpp"
#include "tests/fuzz/rpc_streams.hpp"

using namespace skywire;
using namespace skywire::wire;

namespace {

[[noreturn]] void fail(const char*) {
  std::abort();
}

gob::limits fuzz_limits() {
  gob::limits lim;
  lim.max_message = 1 << 16;
  lim.max_nodes = 1 << 16;
  return lim;
}

void check_request(const gob::decoder& dec, const rpc::inbound_request& r) {
  if (r.header.service_method.size() > rpc::max_service_method)
    fail("unbounded service method");
  auto s = gob::schema_from_wire(dec.types(), r.arg.type);
  if (!s)
    return;
  rpc::client_codec cc;
  cc.encoder().set_max_output(1 << 20);
  std::vector<uint8_t> b;
  if (cc.write_request(r.header, *s, r.arg, b))
    return; // only oversized zero-value expansions can fail here
  rpc::server_codec sc{nullptr, fuzz_limits()};
  sc.feed(b);
  auto back = sc.next_request();
  if (!back) {
    if (back.error().code() == static_cast<uint8_t>(wire_errc::oversized))
      return;
    fail("re-encoded request does not decode");
  }
  if (!*back || !((*back)->header == r.header))
    fail("header changed");
  // The body may gain explicit zero structs; a second round must be stable.
  rpc::client_codec cc2;
  std::vector<uint8_t> b2;
  auto s2 = gob::schema_from_wire(sc.decoder().types(), (*back)->arg.type);
  if (!s2 || cc2.write_request((*back)->header, *s2, (*back)->arg, b2))
    fail("second encode");
  if (b2 != b)
    fail("request encode not a fixed point");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::feed_rpc_streams(
    data, size, fuzz_limits(),
    [](const gob::decoder& dec, const rpc::inbound_request& r) { check_request(dec, r); },
    [](const gob::decoder&, const rpc::inbound_response& r) {
      if (r.header.service_method.size() > rpc::max_service_method)
        fail("unbounded service method");
    });
  return 0;
}
