// Fuzz KCP (sudph): the segment codec and the control block.
// 1) The whole input as one datagram: the reader never reads past it;
//    every segment re-encodes to the bytes it came from; validate_datagram
//    accepts exactly what the reader walks to the end; anything accepted
//    looks like KCP to the sudph demultiplexer.
// 2) The input as a script for a control block (settings from the first
//    byte; then records: a raw datagram, a well-formed segment built from
//    fields, a send, a recv, a clock step): errors are values, every queue
//    and window stays within its bound, the pool never grows past its bound,
//    every datagram it outputs is well-formed KCP of its conversation and
//    no longer than its MTU, recv never returns more than readable().
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "messages/wire/kcp/segment.hpp"
#include "runtime/io/kcp/control_block.hpp"

using namespace skywire;
namespace wk = skywire::wire::kcp;
namespace kc = skywire::io::kcp;

#define FUZZ_ASSERT(x)                                                                       \
  do {                                                                                       \
    if (!(x))                                                                                \
      std::abort();                                                                          \
  } while (0)

namespace {

constexpr uint32_t conv = 0x5eed1234;

void check_codec(wk::byte_span in) {
  wk::datagram_reader r{in};
  std::vector<uint8_t> again;
  size_t n = 0;
  bool failed = false;
  for (;;) {
    auto s = r.next();
    if (!s) {
      failed = true;
      FUZZ_ASSERT(!r.next()); // sticky
      break;
    }
    if (!*s)
      break;
    const auto& v = **s;
    FUZZ_ASSERT(v.data.size() == v.hdr.len);
    FUZZ_ASSERT(v.data.data() >= in.data() &&
                v.data.data() + v.data.size() <= in.data() + in.size());
    FUZZ_ASSERT(wk::is_command(static_cast<uint8_t>(v.hdr.cmd)));
    wk::append_segment(again, v.hdr, v.data);
    ++n;
  }
  if (!failed)
    FUZZ_ASSERT(again.size() == in.size() && std::equal(again.begin(), again.end(), in.begin()));
  else
    FUZZ_ASSERT(std::equal(again.begin(), again.end(), in.begin()));
  auto valid = wk::validate_datagram(in);
  FUZZ_ASSERT(static_cast<bool>(valid) == (!failed && n > 0 && in.size() <= wk::max_datagram));
  if (valid) {
    FUZZ_ASSERT(*valid == n);
    FUZZ_ASSERT(wk::looks_like_kcp(in));
    FUZZ_ASSERT(wk::peek_conv(in).has_value());
  }
}

struct reader {
  wk::byte_span in;
  size_t pos = 0;
  bool empty() const { return pos >= in.size(); }
  uint8_t u8() { return pos < in.size() ? in[pos++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  wk::byte_span bytes(size_t n) {
    n = std::min(n, in.size() - std::min(pos, in.size()));
    auto out = in.subspan(pos, n);
    pos += n;
    return out;
  }
};

void drive(wk::byte_span in) {
  reader r{in};
  uint8_t cfg = r.u8();
  kc::settings s;
  s.mode = static_cast<kc::write_mode>(cfg % 3);
  s.rcv_wnd = 1 + (cfg >> 2) % 8;
  s.snd_wnd = 1 + (cfg >> 5);
  s.nodelay = cfg & 0x80;
  s.no_cwnd = cfg & 0x40;
  s.fast_resend = (cfg >> 3) & 1 ? 2 : 0;
  s.ack_nodelay = (cfg >> 4) & 1;
  s.mtu = 60 + r.u8() * 6; // 60..1590: clamped to 1500
  s.dead_link = 5;
  size_t outputs = 0;
  kc::control_block* self = nullptr;
  kc::control_block cb{conv, s, [&](wk::byte_span d) {
                         ++outputs;
                         FUZZ_ASSERT(d.size() <= self->config().mtu);
                         FUZZ_ASSERT(wk::validate_datagram(d, conv));
                       }};
  self = &cb;
  const auto& c = cb.config();
  const size_t max_bytes = (size_t{c.send_queue} + c.snd_wnd + 2 * size_t{c.rcv_wnd}) *
                           (wk::max_datagram - wk::header_size);
  uint32_t now = r.u16();
  static const std::vector<uint8_t> pattern = [] {
    std::vector<uint8_t> p(70000);
    for (size_t i = 0; i < p.size(); ++i)
      p[i] = static_cast<uint8_t>(i * 7);
    return p;
  }();
  static std::vector<uint8_t> buf(70000);
  std::vector<uint8_t> seg;
  while (!r.empty()) {
    switch (r.u8() % 6) {
      case 0: { // a raw datagram
        auto d = r.bytes(r.u16() % 1600);
        auto before = cb.stats().input_errors;
        auto err = cb.input(d, now);
        if (!wk::validate_datagram(d, conv))
          FUZZ_ASSERT(err && cb.stats().input_errors == before + 1);
        break;
      }
      case 1:
      case 2: { // one or two well-formed segments of our conversation
        seg.clear();
        for (int k = r.u8() % 2; k >= 0; --k) {
          wk::header h;
          h.conv = conv;
          h.cmd = static_cast<wk::command>(81 + r.u8() % 4);
          h.frg = r.u8() % 4 == 0 ? r.u8() : 0;
          h.wnd = r.u8() % 40;
          h.ts = now - r.u8();
          h.sn = r.u8() % 16 == 0 ? r.u16() * 65537u : r.u8() % 24;
          h.una = r.u8() % 16 == 0 ? r.u16() * 65537u : r.u8() % 24;
          wk::append_segment(seg, h, wk::byte_span{pattern}.first(r.u8() * 4u));
        }
        (void)cb.input(seg, now);
        break;
      }
      case 3: { // the application writes
        size_t n = r.u8() * 37;
        auto res = cb.send(wk::byte_span{pattern}.first(n));
        FUZZ_ASSERT(res.accepted <= n);
        if (res.status == kc::send_status::ok)
          FUZZ_ASSERT(res.accepted == n);
        break;
      }
      case 4: { // the application reads
        auto readable = cb.readable();
        size_t n = r.u8() * 8;
        if (r.u8() & 1) {
          auto got = cb.recv(std::span<uint8_t>{buf}.first(n));
          FUZZ_ASSERT(got <= n && got <= readable);
        } else {
          auto peek = cb.peek_size();
          auto got = cb.recv_message(buf);
          FUZZ_ASSERT(static_cast<bool>(peek) == static_cast<bool>(got));
          if (got)
            FUZZ_ASSERT(*got == *peek && *got <= readable);
        }
        break;
      }
      case 5: { // time passes; the timer fires
        now += r.u8() * 4;
        cb.update(now);
        auto next = cb.check(now);
        FUZZ_ASSERT(static_cast<int32_t>(next - now) <= static_cast<int32_t>(c.interval_ms));
        break;
      }
    }
    auto st = cb.state();
    FUZZ_ASSERT(st.snd_buf <= c.snd_wnd);
    FUZZ_ASSERT(st.snd_queue <= c.send_queue);
    FUZZ_ASSERT(st.rcv_queue <= c.rcv_wnd);
    FUZZ_ASSERT(st.rcv_buf <= c.rcv_wnd);
    FUZZ_ASSERT(cb.buffer_bytes() <= max_bytes);
  }
  cb.flush(now);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wk::byte_span in{data, size};
  check_codec(in);
  drive(in);
  return 0;
}
