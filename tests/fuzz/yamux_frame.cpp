// Fuzz: arbitrary bytes as yamux frames. Each parsed frame re-encodes to the
// same bytes; two session states (client and server) take the same bytes and
// every byte they produce must itself parse as valid frames.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "messages/wire/yamux/frame.hpp"
#include "messages/wire/yamux/session_state.hpp"

using namespace skywire;
using namespace skywire::wire::yamux;

namespace {

[[noreturn]] void fail(const char*) {
  std::abort();
}

void check_output(const std::vector<uint8_t>& out) {
  frame_reader r;
  r.feed(out);
  for (;;) {
    auto f = r.next();
    if (!f)
      fail("session produced an invalid frame");
    if (!*f)
      break;
  }
  if (r.buffered() != 0)
    fail("session produced a partial frame");
}

void drive(session_state& st, std::span<const uint8_t> in, size_t chunk) {
  for (size_t pos = 0; pos < in.size(); pos += chunk) {
    auto err = st.receive(in.subspan(pos, std::min(chunk, in.size() - pos)));
    for (auto& e : st.take_events()) {
      // Behave like a busy application: accept, consume, answer.
      if (e.k == event::kind::stream_opened) {
        if (e.stream_id % 3 == 0)
          st.reset_stream(e.stream_id);
        else if (st.status(e.stream_id) == session_state::stream_status::syn_received
                 && st.accept(e.stream_id))
          fail("cannot accept an announced stream");
        // (Events come in batches: the peer may have reset it already.)
      } else if (e.k == event::kind::data) {
        st.consumed(e.stream_id, e.data.size());
        if (!e.data.empty() && e.data[0] == 0x42)
          static_cast<void>(st.write(e.stream_id, e.data));
        if (!e.data.empty() && e.data[0] == 0x43)
          static_cast<void>(st.close_stream(e.stream_id));
      }
    }
    if (st.stream_count() > 64)
      fail("stream limit exceeded");
    auto out = st.take_output();
    check_output(out);
    if (err) {
      if (!st.failed())
        fail("error without failed state");
      // After a failure the session stays failed.
      if (!st.receive(in.subspan(0, 0)))
        fail("failure not sticky");
      return;
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

  session_limits lim;
  lim.max_streams = 64;
  config cfg;
  cfg.accept_backlog = 16;
  session_state client{role::client, cfg, lim}, server{role::server, cfg, lim};
  // Each side opens one stream first so there is local state to disturb.
  if (!client.open_stream() || !server.open_stream())
    fail("open");
  check_output(client.take_output());
  check_output(server.take_output());
  drive(client, in, chunk);
  drive(server, in, chunk);
  return 0;
}
