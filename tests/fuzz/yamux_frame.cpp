// Fuzz: arbitrary bytes as yamux frames. The zero-copy splitter (fed in
// chunks) agrees with the copying reader; each parsed frame re-encodes to the
// same bytes; and the frames, applied to the flow-control windows every
// endpoint uses (wire::yamux::send_window / recv_window), never break their
// invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "messages/wire/yamux/frame.hpp"
#include "messages/wire/yamux/window.hpp"

using namespace skywire;
using namespace skywire::wire::yamux;

namespace {

[[noreturn]] void fail(const char*) {
  std::abort();
}

/// Data frames use up a receive window (a relay credits half of what it
/// passed on, in the order frames came), window updates grow a send window
/// that data then takes from. Overruns must be refused, never absorbed.
void drive_windows(std::span<const uint8_t> in) {
  recv_window rw{initial_stream_window};
  send_window sw{initial_stream_window};
  frame_reader r{parse_limits{1 << 20}};
  r.feed(in);
  uint64_t outstanding = 0; // received, not yet credited
  for (;;) {
    auto f = r.next();
    if (!f || !*f)
      break;
    const auto& h = (*f)->hdr;
    if (h.type == frame_type::data) {
      auto before = rw.window();
      if (!rw.receive(h.length)) {
        if (h.length <= before)
          fail("receive refused within the window");
        if (rw.window() != before)
          fail("a refused receive changed the window");
        return;
      }
      outstanding += h.length;
      auto back = outstanding / 2;
      rw.credit(back);
      outstanding -= back;
      if (h.flags & flag::syn)
        rw.widen(h.length);
      if (auto u = rw.take_update(); u && *u == 0)
        fail("an empty window update");
      if (uint64_t{rw.window()} + rw.pending() > rw.bound())
        fail("window + credit exceed the bound");
      if (sw.take(h.length) > h.length)
        fail("took more than asked");
    } else if (h.type == frame_type::window_update) {
      auto before = sw.available();
      bool ok = sw.grant(h.length);
      if (ok != (uint64_t{before} + h.length <= UINT32_MAX))
        fail("grant overflow misjudged");
      if (!ok && sw.available() != before)
        fail("a refused grant changed the window");
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  size_t chunk = 1 + data[0] % 40;
  std::span<const uint8_t> in{data + 1, size - 1};

  // The zero-copy splitter, fed in chunks, yields exactly the frames (and
  // the error) of the copying reader fed at once.
  {
    std::vector<std::pair<header, std::vector<uint8_t>>> split, whole;
    frame_splitter sp{parse_limits{1 << 16}};
    bool sp_failed = false;
    for (size_t pos = 0; pos < in.size() && !sp_failed; pos += chunk) {
      auto err = sp.feed(in.subspan(pos, std::min(chunk, in.size() - pos)), [&](const frame_view& f) {
        split.emplace_back(f.hdr, std::vector<uint8_t>(f.body.begin(), f.body.end()));
        return true;
      });
      sp_failed = static_cast<bool>(err);
    }
    frame_reader wr{parse_limits{1 << 16}};
    wr.feed(in);
    bool wr_failed = false;
    for (;;) {
      auto f = wr.next();
      if (!f) {
        wr_failed = true;
        break;
      }
      if (!*f)
        break;
      whole.emplace_back((*f)->hdr, std::vector<uint8_t>((*f)->body.begin(), (*f)->body.end()));
    }
    if (split != whole || sp_failed != wr_failed)
      fail("splitter and reader disagree");
    if (!sp_failed && sp.buffered() != wr.buffered())
      fail("splitter keeps another tail");
  }

  // Frame round trip.
  frame_reader r{parse_limits{1 << 16}};
  r.feed(in);
  for (;;) {
    auto f = r.next();
    if (!f || !*f)
      break;
    std::vector<uint8_t> again;
    append_frame(again, (*f)->hdr, (*f)->body);
    auto back = parse_frame(again, parse_limits{1 << 16});
    if (!back || !back->frame || back->consumed != again.size())
      fail("re-encoded frame does not parse");
    if (!(back->frame->hdr == (*f)->hdr))
      fail("header changed");
    if (!std::equal(back->frame->body.begin(), back->frame->body.end(), (*f)->body.begin(),
                    (*f)->body.end()))
      fail("body changed");
  }

  drive_windows(in);
  return 0;
}
