#include "messages/wire/kcp/segment.hpp"

#include <cstdio>
#include <cstring>

namespace skywire::wire::kcp {

namespace {

uint16_t load_u16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>(uint16_t{p[0]} | (uint16_t{p[1]} << 8));
}

uint32_t load_u32(const uint8_t* p) noexcept {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

void store_u16(uint8_t* p, uint16_t v) noexcept {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

void store_u32(uint8_t* p, uint32_t v) noexcept {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

void write_header(uint8_t* p, const header& h) noexcept {
  store_u32(p, h.conv);
  p[4] = static_cast<uint8_t>(h.cmd);
  p[5] = h.frg;
  store_u16(p + 6, h.wnd);
  store_u32(p + 8, h.ts);
  store_u32(p + 12, h.sn);
  store_u32(p + 16, h.una);
  store_u32(p + 20, h.len);
}

} // namespace

const char* to_string(command c) noexcept {
  switch (c) {
    case command::push: return "PUSH";
    case command::ack: return "ACK";
    case command::wask: return "WASK";
    case command::wins: return "WINS";
  }
  return "unknown";
}

std::string to_string(const header& h) {
  char conv[16];
  std::snprintf(conv, sizeof conv, "0x%08x", h.conv);
  return std::string{to_string(h.cmd)} + " conv=" + conv + " frg=" + std::to_string(h.frg) +
         " wnd=" + std::to_string(h.wnd) + " ts=" + std::to_string(h.ts) +
         " sn=" + std::to_string(h.sn) + " una=" + std::to_string(h.una) +
         " len=" + std::to_string(h.len);
}

std::array<uint8_t, header_size> encode(const header& h) noexcept {
  std::array<uint8_t, header_size> out{};
  write_header(out.data(), h);
  return out;
}

size_t encode_into(std::span<uint8_t> out, header h, byte_span data) noexcept {
  if (out.size() < header_size || out.size() - header_size < data.size())
    return 0;
  h.len = static_cast<uint32_t>(data.size());
  write_header(out.data(), h);
  if (!data.empty())
    std::memcpy(out.data() + header_size, data.data(), data.size());
  return header_size + data.size();
}

void append_segment(std::vector<uint8_t>& out, header h, byte_span data) {
  h.len = static_cast<uint32_t>(data.size());
  auto hdr = encode(h);
  out.insert(out.end(), hdr.begin(), hdr.end());
  out.insert(out.end(), data.begin(), data.end());
}

expected<header> decode_header(byte_span in) {
  if (in.size() < header_size)
    return make_error(wire_errc::truncated, "kcp: a segment header needs 24 bytes, got " +
                                              std::to_string(in.size()));
  if (!is_command(in[cmd_offset]))
    return make_error(wire_errc::malformed,
                      "kcp: unknown command " + std::to_string(in[cmd_offset]));
  header h;
  h.conv = load_u32(in.data());
  h.cmd = static_cast<command>(in[cmd_offset]);
  h.frg = in[5];
  h.wnd = load_u16(in.data() + 6);
  h.ts = load_u32(in.data() + 8);
  h.sn = load_u32(in.data() + 12);
  h.una = load_u32(in.data() + 16);
  h.len = load_u32(in.data() + 20);
  return h;
}

expected<segment_view> decode_segment(byte_span in, size_t& consumed) {
  consumed = 0;
  auto h = decode_header(in);
  if (!h)
    return std::move(h.error());
  if (h->len > in.size() - header_size)
    return make_error(wire_errc::truncated, "kcp: " + std::string{to_string(h->cmd)} +
                                              " segment announces " + std::to_string(h->len) +
                                              " data bytes, " +
                                              std::to_string(in.size() - header_size) +
                                              " follow");
  consumed = header_size + h->len;
  return segment_view{*h, in.subspan(header_size, h->len)};
}

expected<std::optional<segment_view>> datagram_reader::next() {
  if (failed_)
    return failed_;
  if (rest_.empty())
    return std::optional<segment_view>{};
  size_t used = 0;
  auto seg = decode_segment(rest_, used);
  if (!seg) {
    failed_ = seg.error();
    return failed_;
  }
  rest_ = rest_.subspan(used);
  return std::optional<segment_view>{*seg};
}

expected<size_t> validate_datagram(byte_span datagram, std::optional<uint32_t> conv) {
  if (datagram.size() > max_datagram)
    return make_error(wire_errc::oversized, "kcp: a datagram of " +
                                              std::to_string(datagram.size()) +
                                              " bytes exceeds " + std::to_string(max_datagram));
  if (datagram.empty())
    return make_error(wire_errc::truncated, "kcp: an empty datagram");
  datagram_reader r{datagram};
  size_t n = 0;
  for (;;) {
    auto s = r.next();
    if (!s)
      return std::move(s.error());
    if (!*s)
      return n;
    if (conv && (*s)->hdr.conv != *conv) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "kcp: conversation 0x%08x, expected 0x%08x",
                    (*s)->hdr.conv, *conv);
      return make_error(wire_errc::bad_value, buf);
    }
    ++n;
  }
}

std::optional<uint32_t> peek_conv(byte_span datagram) noexcept {
  if (datagram.size() < 4)
    return std::nullopt;
  return load_u32(datagram.data());
}

} // namespace skywire::wire::kcp
