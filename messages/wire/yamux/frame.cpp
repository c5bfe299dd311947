#include "messages/wire/yamux/frame.hpp"

namespace skywire::wire::yamux {

namespace {

uint32_t load_u32(const uint8_t* p) noexcept {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void store_u32(uint8_t* p, uint32_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

} // namespace

const char* to_string(frame_type t) noexcept {
  switch (t) {
    case frame_type::data: return "data";
    case frame_type::window_update: return "window_update";
    case frame_type::ping: return "ping";
    case frame_type::go_away: return "go_away";
  }
  return "unknown";
}

std::string to_string(const header& h) {
  std::string out = "ver=" + std::to_string(h.version) + " type=" + to_string(h.type) + " flags=";
  if (h.flags == 0) {
    out += "none";
  } else {
    static constexpr const char* names[] = {"SYN", "ACK", "FIN", "RST"};
    bool first = true;
    for (int i = 0; i < 4; ++i) {
      if (h.flags & (1u << i)) {
        if (!first)
          out += '|';
        out += names[i];
        first = false;
      }
    }
  }
  out += " id=" + std::to_string(h.stream_id) + " len=" + std::to_string(h.length);
  return out;
}

std::array<uint8_t, header_size> encode(const header& h) noexcept {
  std::array<uint8_t, header_size> out{};
  out[0] = h.version;
  out[1] = static_cast<uint8_t>(h.type);
  out[2] = static_cast<uint8_t>(h.flags >> 8);
  out[3] = static_cast<uint8_t>(h.flags);
  store_u32(out.data() + 4, h.stream_id);
  store_u32(out.data() + 8, h.length);
  return out;
}

void append_frame(std::vector<uint8_t>& out, header h, byte_span body) {
  if (h.type == frame_type::data)
    h.length = static_cast<uint32_t>(body.size());
  auto hdr = encode(h);
  out.insert(out.end(), hdr.begin(), hdr.end());
  if (h.type == frame_type::data)
    out.insert(out.end(), body.begin(), body.end());
}

expected<header> decode_header(byte_span in) {
  if (in.size() < header_size)
    return make_error(wire_errc::truncated, "yamux header needs 12 bytes");
  header h;
  h.version = in[0];
  if (h.version != protocol_version)
    return make_error(wire_errc::bad_value,
                      "yamux: invalid protocol version " + std::to_string(in[0]));
  if (in[1] > static_cast<uint8_t>(frame_type::go_away))
    return make_error(wire_errc::malformed, "yamux: invalid msg type " + std::to_string(in[1]));
  h.type = static_cast<frame_type>(in[1]);
  h.flags = static_cast<uint16_t>((uint16_t{in[2]} << 8) | in[3]);
  // Unknown flag bits are kept and ignored, as the reference does.
  h.stream_id = load_u32(in.data() + 4);
  h.length = load_u32(in.data() + 8);
  return h;
}

expected<parse_step> parse_frame(byte_span in, const parse_limits& limits) {
  if (in.size() < header_size)
    return parse_step{};
  auto h = decode_header(in);
  if (!h)
    return std::move(h.error());
  if (h->type != frame_type::data)
    return parse_step{frame_view{*h, {}}, header_size};
  if (h->length > limits.max_body)
    return make_error(wire_errc::oversized, "yamux: data frame of " + std::to_string(h->length)
                                              + " bytes exceeds " + std::to_string(limits.max_body));
  if (in.size() - header_size < h->length)
    return parse_step{};
  return parse_step{frame_view{*h, in.subspan(header_size, h->length)}, header_size + h->length};
}

void frame_reader::feed(byte_span bytes) {
  if (failed_)
    return;
  // Compact before growing so the buffer stays bounded by one frame plus one read.
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ >= buf_.size() / 2)) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

expected<std::optional<frame_view>> frame_reader::next() {
  if (failed_)
    return failed_;
  auto step = parse_frame(byte_span{buf_}.subspan(pos_), limits_);
  if (!step) {
    failed_ = step.error();
    return failed_;
  }
  if (!step->frame)
    return std::optional<frame_view>{};
  pos_ += step->consumed;
  return step->frame;
}

expected<size_t> frame_splitter::fill_tail(byte_span bytes) {
  size_t used = 0;
  if (tail_.size() < header_size) {
    size_t take = std::min(header_size - tail_.size(), bytes.size());
    tail_.insert(tail_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    used += take;
    if (tail_.size() < header_size)
      return used;
  }
  auto h = decode_header(byte_span{tail_});
  if (!h)
    return h.error();
  size_t body = h->type == frame_type::data ? h->length : 0;
  if (body > limits_.max_body)
    return make_error(wire_errc::oversized, "yamux: data frame of " + std::to_string(body) +
                                              " bytes exceeds " +
                                              std::to_string(limits_.max_body));
  size_t need = header_size + body - tail_.size();
  size_t take = std::min(need, bytes.size() - used);
  tail_.insert(tail_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(used),
               bytes.begin() + static_cast<std::ptrdiff_t>(used + take));
  return used + take;
}

} // namespace skywire::wire::yamux
