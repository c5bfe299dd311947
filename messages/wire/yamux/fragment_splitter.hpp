// Splits a yamux byte stream into frames whose data bodies may come in
// pieces: each piece is handed out as a view into the read it arrived in,
// the moment it was read, so no frame is ever assembled in a buffer (only a
// header cut by a read boundary is kept: 12 bytes). frame_splitter hands out
// whole frames and copies every frame a read boundary cuts; with 64 KiB data
// frames and socket reads of a few frames, that is a copy of most bytes.
// The dmsg session read paths (client and server) take bodies in pieces
// anyway: a stream's Noise frames and a relay's frames are cut where they
// fall.
//
// Each piece is a fragment: the frame's header, this piece of its body,
// whether it is the frame's first piece (act on SYN here) and its last (act
// on FIN and RST here). A frame without a body (window update, ping, go
// away, an empty data frame) is one fragment, first and last.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <caf/error.hpp>

#include "messages/wire/yamux/frame.hpp"

namespace skywire::wire::yamux {

struct fragment {
  header hdr;
  byte_span body; ///< this piece (valid during the call only)
  bool first = true;
  bool last = true;
};

class fragment_splitter {
public:
  explicit fragment_splitter(parse_limits limits = {}) : limits_(limits) {}

  /// Calls fn(const fragment&) for each frame or piece of a data frame in
  /// bytes, in order. Stops at the first invalid header or oversized data
  /// frame and returns its error (sticky). fn may return false to stop (the
  /// rest of `bytes` is dropped: the caller is closing the connection).
  template <class Fn>
  caf::error feed(byte_span bytes, Fn&& fn);

  /// Bytes of a cut header kept between reads.
  size_t buffered() const noexcept { return hhave_; }
  /// Body bytes of the current data frame still to come.
  size_t body_left() const noexcept { return left_; }

private:
  parse_limits limits_;
  std::array<uint8_t, header_size> hbuf_{};
  size_t hhave_ = 0;
  std::optional<header> cur_; ///< the data frame whose body is coming
  size_t left_ = 0;
  bool first_ = false;
  caf::error failed_;
};

template <class Fn>
caf::error fragment_splitter::feed(byte_span bytes, Fn&& fn) {
  if (failed_)
    return failed_;
  while (!bytes.empty()) {
    if (!cur_) {
      expected<header> h = header{};
      if (hhave_ > 0 || bytes.size() < header_size) {
        size_t take = std::min(header_size - hhave_, bytes.size());
        std::copy_n(bytes.begin(), take, hbuf_.begin() + static_cast<std::ptrdiff_t>(hhave_));
        hhave_ += take;
        bytes = bytes.subspan(take);
        if (hhave_ < header_size)
          return {};
        hhave_ = 0;
        h = decode_header(byte_span{hbuf_});
      } else {
        h = decode_header(bytes.first(header_size));
        bytes = bytes.subspan(header_size);
      }
      if (!h)
        return failed_ = h.error();
      size_t body = h->type == frame_type::data ? h->length : 0;
      if (body > limits_.max_body)
        return failed_ = make_error(wire_errc::oversized,
                                    "yamux: data frame of " + std::to_string(body)
                                      + " bytes exceeds " + std::to_string(limits_.max_body));
      if (body == 0) {
        if (!fn(fragment{*h, {}, true, true}))
          return {};
        continue;
      }
      cur_ = *h;
      left_ = body;
      first_ = true;
      continue;
    }
    size_t take = std::min(left_, bytes.size());
    left_ -= take;
    fragment f{*cur_, bytes.first(take), first_, left_ == 0};
    first_ = false;
    bytes = bytes.subspan(take);
    if (f.last)
      cur_.reset();
    if (!fn(f))
      return {};
  }
  return {};
}

} // namespace skywire::wire::yamux
