// Socket-free stand-ins for the relay's connection and session events, and a
// frame decoder for what was written: the relay and the link are driven
// directly in unit tests.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "actors/services/dmsg_server_link.hpp"
#include "messages/wire/yamux/frame.hpp"

namespace dmsg_relay_test {

namespace rl = skywire::services::dmsg_relay;
namespace ym = skywire::wire::yamux;
using bytes = std::vector<uint8_t>;

struct frame {
  ym::header hdr;
  bytes body;
};

/// Decodes and removes the whole frames in `out` (a partial last frame
/// stays); a header that does not decode fails the test.
inline std::vector<frame> take_frames(bytes& out) {
  std::vector<frame> r;
  size_t pos = 0;
  while (out.size() - pos >= ym::header_size) {
    auto h = ym::decode_header(skywire::byte_span{out}.subspan(pos));
    REQUIRE(h);
    size_t body = h->type == ym::frame_type::data ? h->length : 0;
    if (out.size() - pos < ym::header_size + body)
      break;
    auto b = out.begin() + static_cast<std::ptrdiff_t>(pos + ym::header_size);
    r.push_back({*h, bytes(b, b + static_cast<std::ptrdiff_t>(body))});
    pos += ym::header_size + body;
  }
  out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(pos));
  return r;
}

/// Records every write; `queued` is what the test says the kernel has not
/// taken yet; `refuse` makes writes fail as on a closed connection.
class fake_sink final : public rl::frame_sink {
public:
  bool write(bytes&& b) override {
    std::lock_guard<std::mutex> g{mtx};
    if (refuse || closed)
      return false;
    out.insert(out.end(), b.begin(), b.end());
    return true;
  }
  size_t queued_bytes() const override {
    std::lock_guard<std::mutex> g{mtx};
    return queued;
  }
  void close() override {
    std::lock_guard<std::mutex> g{mtx};
    closed = true;
  }

  /// Decodes and removes everything written so far.
  std::vector<frame> frames() {
    std::lock_guard<std::mutex> g{mtx};
    return take_frames(out);
  }

  mutable std::mutex mtx;
  bytes out;
  size_t queued = 0;
  bool refuse = false;
  bool closed = false;
};

/// Records the events a session actor would receive.
class fake_events final : public rl::link_hooks, public rl::stream_events {
public:
  void handshake_frame(bytes body, bool extra) override {
    hs.push_back(std::move(body));
    hs_extra = extra;
  }
  void control_data(uint32_t id) override { control.push_back(id); }
  void control_reset(uint32_t id) override { control_resets.push_back(id); }
  void failed(const char* reason) override { failure = reason; }
  void reset_stream(uint32_t id) override { resets.push_back(id); }
  void fin_sent(uint32_t id) override { fins.push_back(id); }

  std::vector<bytes> hs;
  bool hs_extra = false;
  std::vector<uint32_t> control, control_resets, resets, fins;
  std::string failure;
};

inline bytes with_headroom(const bytes& body) {
  bytes b(rl::headroom);
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

inline bytes yamux_frame(ym::frame_type t, uint16_t flags, uint32_t id, const bytes& body = {},
                         uint32_t len = 0) {
  bytes out;
  ym::append_frame(out, ym::header{0, t, flags, id, t == ym::frame_type::data ? 0 : len}, body);
  return out;
}

} // namespace dmsg_relay_test
