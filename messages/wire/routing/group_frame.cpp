#include "messages/wire/routing/group_frame.hpp"

namespace skywire::wire::routing {

namespace {

void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8)
    out.push_back(static_cast<uint8_t>(v >> s));
}

void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8)
    out.push_back(static_cast<uint8_t>(v >> s));
}

uint32_t get_u32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

uint64_t get_u64(const uint8_t* p) {
  return uint64_t{get_u32(p)} << 32 | get_u32(p + 4);
}

uint8_t cell_class(uint16_t size) noexcept {
  for (uint8_t i = 1; i < 4; ++i)
    if (cell_sizes[i] == size)
      return i;
  return 0;
}

} // namespace

uint8_t encode_handshake_byte(const group_options& o) noexcept {
  uint8_t b = handshake_encryption_bit;
  if (o.reliable)
    b |= handshake_reliable_bit;
  b |= static_cast<uint8_t>(cell_class(o.cell_size) << 2);
  return b;
}

expected<group_options> decode_handshake_byte(uint8_t b) {
  if ((b & handshake_encryption_bit) == 0)
    return make_error(wire_errc::bad_value,
                      "the peer's route handshake does not offer encryption");
  group_options o;
  o.reliable = (b & handshake_reliable_bit) != 0;
  o.cell_size = cell_sizes[(b >> 2) & 0x03];
  return o;
}

group_options agree(const group_options& ours, const group_options& theirs) noexcept {
  group_options o;
  o.reliable = ours.reliable && theirs.reliable;
  if (ours.cell_size != 0 && ours.cell_size == theirs.cell_size && cell_class(ours.cell_size) != 0)
    o.cell_size = ours.cell_size;
  return o;
}

size_t inner_size(const inner_frame& f, bool reliable) noexcept {
  switch (f.kind) {
    case inner_kind::data:
      return inner_header_size + (reliable ? reliable_header_size : 0) + f.payload.size();
    case inner_kind::ack:
      return inner_header_size + ack_body_size;
    case inner_kind::ping:
    case inner_kind::pong:
      return inner_header_size + ping_body_size;
    case inner_kind::keep_alive:
      return inner_header_size;
  }
  return 0;
}

void put_reliable_data_prefix(uint8_t* at, uint32_t seq, uint32_t ack, uint32_t sack,
                              uint32_t wnd, size_t app_len) noexcept {
  auto u32 = [&at](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
      *at++ = static_cast<uint8_t>(v >> s);
  };
  auto body = static_cast<uint16_t>(reliable_header_size + app_len);
  *at++ = static_cast<uint8_t>(inner_kind::data);
  *at++ = static_cast<uint8_t>(body >> 8);
  *at++ = static_cast<uint8_t>(body);
  u32(seq);
  u32(ack);
  u32(sack);
  u32(wnd);
}

caf::error encode_inner(std::vector<uint8_t>& out, const inner_frame& f, bool reliable,
                        size_t pad_to) {
  size_t n = inner_size(f, reliable);
  if (n - inner_header_size > 0xffff)
    return make_error(wire_errc::oversized, "inner frame body exceeds 65535 bytes");
  if (pad_to > 0 && n > pad_to)
    return make_error(wire_errc::oversized, "inner frame does not fit its cell");
  if (f.kind == inner_kind::ack && !reliable)
    return make_error(wire_errc::bad_value, "an ack outside reliable mode");
  size_t start = out.size();
  out.reserve(start + (pad_to > 0 ? pad_to : n));
  out.push_back(static_cast<uint8_t>(f.kind));
  put_u16(out, static_cast<uint16_t>(n - inner_header_size));
  switch (f.kind) {
    case inner_kind::data:
      if (reliable) {
        put_u32(out, f.seq);
        put_u32(out, f.ack);
        put_u32(out, f.sack);
        put_u32(out, f.wnd);
      }
      out.insert(out.end(), f.payload.begin(), f.payload.end());
      break;
    case inner_kind::ack:
      put_u32(out, f.ack);
      put_u32(out, f.sack);
      put_u32(out, f.wnd);
      break;
    case inner_kind::ping:
      put_u64(out, f.timestamp_ms);
      put_u64(out, static_cast<uint64_t>(f.throughput));
      break;
    case inner_kind::pong:
      put_u64(out, f.timestamp_ms);
      put_u64(out, 0);
      break;
    case inner_kind::keep_alive:
      break;
  }
  if (pad_to > 0)
    out.resize(start + pad_to, 0);
  return {};
}

expected<inner_frame> decode_inner(byte_span plain, bool reliable) {
  if (plain.size() < inner_header_size)
    return make_error(wire_errc::truncated, "inner frame shorter than its header");
  if (plain[0] > static_cast<uint8_t>(inner_kind::keep_alive))
    return make_error(wire_errc::unsupported, "unknown inner frame kind");
  size_t len = size_t{plain[1]} << 8 | plain[2];
  if (len > plain.size() - inner_header_size)
    return make_error(wire_errc::truncated, "inner frame body runs past the Noise frame");
  inner_frame f;
  f.kind = static_cast<inner_kind>(plain[0]);
  const uint8_t* b = plain.data() + inner_header_size;
  switch (f.kind) {
    case inner_kind::data:
      if (reliable) {
        if (len < reliable_header_size)
          return make_error(wire_errc::truncated, "reliable data frame without its header");
        f.seq = get_u32(b);
        f.ack = get_u32(b + 4);
        f.sack = get_u32(b + 8);
        f.wnd = get_u32(b + 12);
        f.payload = byte_span{b + reliable_header_size, len - reliable_header_size};
      } else {
        f.payload = byte_span{b, len};
      }
      break;
    case inner_kind::ack:
      if (!reliable)
        return make_error(wire_errc::bad_value, "an ack outside reliable mode");
      if (len != ack_body_size)
        return make_error(wire_errc::malformed, "ack body must be 12 bytes");
      f.ack = get_u32(b);
      f.sack = get_u32(b + 4);
      f.wnd = get_u32(b + 8);
      break;
    case inner_kind::ping:
    case inner_kind::pong:
      if (len != ping_body_size)
        return make_error(wire_errc::malformed, "ping/pong body must be 16 bytes");
      f.timestamp_ms = get_u64(b);
      f.throughput = static_cast<int64_t>(get_u64(b + 8));
      break;
    case inner_kind::keep_alive:
      if (len != 0)
        return make_error(wire_errc::malformed, "keepalive body must be empty");
      break;
  }
  return f;
}

} // namespace skywire::wire::routing
