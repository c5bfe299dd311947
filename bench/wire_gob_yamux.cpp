// Throughput of the pure codecs on the dmsg/rpc hot paths: yamux frame
// parsing and session state, gob decode/encode of StreamRequest and of a
// BidirectionalRoute RPC call. Prints figures; not a test.
#include <chrono>
#include <cstdio>
#include <vector>

#include "messages/wire/dmsg/stream_objects.hpp"
#include "messages/wire/rpc/net_rpc.hpp"
#include "messages/wire/rpc/routing_schemas.hpp"
#include "messages/wire/yamux/frame.hpp"

using namespace skywire;
using namespace skywire::wire;
using clk = std::chrono::steady_clock;

namespace {

template <class F>
double seconds(F&& f) {
  auto t0 = clk::now();
  f();
  return std::chrono::duration<double>(clk::now() - t0).count();
}

size_t sink = 0;

} // namespace

int main() {
  // yamux: parse 64 MiB of 16 KiB data frames.
  {
    std::vector<uint8_t> body(16384, 0x5a), buf;
    for (int i = 0; i < 4096; ++i)
      yamux::append_frame(buf, {0, yamux::frame_type::data, 0, 1, 0}, body);
    size_t frames = 0;
    double s = seconds([&] {
      yamux::frame_reader r;
      r.feed(buf);
      while (auto f = r.next()) {
        if (!*f)
          break;
        ++frames;
        sink += (*f)->body.size();
      }
    });
    std::printf("yamux frame_reader: %zu frames, %.0f MiB/s\n", frames,
                buf.size() / s / (1 << 20));
  }
  // yamux splitter: the zero-copy frame splitter every session uses, fed
  // 4 KiB reads (frames cut across reads are the only ones copied).
  {
    std::vector<uint8_t> stream;
    std::vector<uint8_t> body(16384, 1);
    for (uint32_t i = 0; i < 1024; ++i)
      yamux::append_frame(stream, yamux::header{0, yamux::frame_type::data, 0, 1, 16384}, body);
    size_t moved = 0, frames = 0;
    double s = seconds([&] {
      for (int round = 0; round < 16; ++round) {
        yamux::frame_splitter sp;
        for (size_t pos = 0; pos < stream.size(); pos += 4096) {
          byte_span chunk{stream.data() + pos, std::min<size_t>(4096, stream.size() - pos)};
          static_cast<void>(sp.feed(chunk, [&](const yamux::frame_view& f) {
            ++frames;
            moved += f.body.size();
            return true;
          }));
        }
      }
    });
    std::printf("yamux frame_splitter (4 KiB reads): %zu frames, %.0f MiB/s\n", frames,
                moved / s / (1 << 20));
  }
  // dmsg StreamRequest: encode + decode.
  {
    dmsg::stream_request req;
    req.timestamp = 1700000000000000000;
    req.src.pk.bytes.fill(3);
    req.src.prt = port{49152};
    req.dst.pk.bytes.fill(2);
    req.dst.prt = port{45};
    req.noise_msg.assign(49, 7);
    const int n = 20000;
    size_t bytes = 0;
    double se = seconds([&] {
      for (int i = 0; i < n; ++i)
        bytes += dmsg::encode_gob(req).size();
    });
    auto enc = dmsg::encode_gob(req);
    double sd = seconds([&] {
      for (int i = 0; i < n; ++i)
        sink += dmsg::decode_stream_request(enc)->timestamp != 0;
    });
    std::printf("StreamRequest gob (%zu B): encode %.2f us, decode %.2f us\n", enc.size(),
                se / n * 1e6, sd / n * 1e6);
  }
  // net/rpc DialRouteGroup call with a 2-hop BidirectionalRoute.
  {
    namespace rs = rpc::route_setup;
    std::array<uint8_t, 70> desc{};
    desc.fill(0x9c);
    std::vector<rs::hop> hops(2);
    for (auto& h : hops) {
      h.tp_id.bytes.fill(0xa8);
      h.from.bytes.fill(0x03);
      h.to.bytes.fill(0x02);
    }
    auto arg = rs::bidirectional_route_value(desc, 30000000000, hops, hops);
    const int n = 20000;
    rpc::client_codec cc;
    std::vector<uint8_t> stream;
    double se = seconds([&] {
      for (int i = 0; i < n; ++i)
        static_cast<void>(cc.write_request({"SetupRPCGateway.DialRouteGroup", uint64_t(i)},
                                           rs::bidirectional_route_schema(), arg, stream));
    });
    rpc::server_codec sc;
    sc.feed(stream);
    size_t calls = 0;
    double sd = seconds([&] {
      while (auto r = sc.next_request()) {
        if (!*r)
          break;
        ++calls;
      }
    });
    std::printf("net/rpc DialRouteGroup (%zu B/call): encode %.2f us, decode %.2f us (%zu calls)\n",
                stream.size() / n, se / n * 1e6, sd / calls * 1e6, calls);
  }
  std::printf("(checksum %zu)\n", sink);
  return 0;
}
