#include "messages/wire/routing/packet.hpp"

#include <algorithm>

namespace skywire::wire::routing {

namespace {

void put_be(std::vector<uint8_t>& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t get_be(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v = v << 8 | p[i];
  return v;
}

packet make(packet_type t, route_id rid, std::vector<uint8_t> payload = {}) {
  return packet{t, rid, std::move(payload)};
}

/// Parses the header at the start of `in` (at least 7 bytes).
caf::error check_header(byte_span in, size_t max_payload, packet_type& t, route_id& rid,
                        size_t& len) {
  if (in[0] > static_cast<uint8_t>(packet_type::error))
    return make_error(wire_errc::unsupported, "routing packet: unknown type "
                                                + std::to_string(in[0]));
  t = static_cast<packet_type>(in[0]);
  rid = route_id{static_cast<uint32_t>(get_be(in.data() + 1, 4))};
  len = static_cast<size_t>(get_be(in.data() + 5, 2));
  if (len > max_payload)
    return make_error(wire_errc::oversized, "routing packet: payload of "
                                              + std::to_string(len) + " bytes exceeds "
                                              + std::to_string(max_payload));
  return {};
}

} // namespace

const char* to_string(packet_type t) noexcept {
  switch (t) {
    case packet_type::data: return "DataPacket";
    case packet_type::close: return "ClosePacket";
    case packet_type::keep_alive: return "KeepAlivePacket";
    case packet_type::handshake: return "Handshake";
    case packet_type::ping: return "Ping";
    case packet_type::pong: return "Pong";
    case packet_type::error: return "Error";
  }
  return "Unknown";
}

caf::error validate_payload(packet_type t, byte_span payload) {
  size_t want = 0;
  switch (t) {
    case packet_type::data:
    case packet_type::error:
      return {};
    case packet_type::close:
    case packet_type::handshake:
      want = 1;
      break;
    case packet_type::keep_alive:
      want = 0;
      break;
    case packet_type::ping:
    case packet_type::pong:
      want = 16;
      break;
    default:
      return make_error(wire_errc::unsupported, "routing packet: unknown type");
  }
  if (payload.size() != want)
    return make_error(wire_errc::malformed, std::string{"routing packet: "} + to_string(t)
                                              + " payload must be " + std::to_string(want)
                                              + " bytes, got "
                                              + std::to_string(payload.size()));
  return {};
}

caf::error encode(std::vector<uint8_t>& out, packet_type t, route_id rid, byte_span payload) {
  if (payload.size() > max_packet_payload)
    return make_error(wire_errc::oversized, "routing packet: payload of "
                                              + std::to_string(payload.size())
                                              + " bytes exceeds 65535");
  out.reserve(out.size() + packet_header_size + payload.size());
  out.push_back(static_cast<uint8_t>(t));
  put_be(out, rid.value, 4);
  put_be(out, payload.size(), 2);
  out.insert(out.end(), payload.begin(), payload.end());
  return {};
}

std::array<uint8_t, packet_header_size> encode_header(packet_type t, route_id rid,
                                                       size_t payload_size) noexcept {
  std::array<uint8_t, packet_header_size> h{};
  h[0] = static_cast<uint8_t>(t);
  for (int i = 0; i < 4; ++i)
    h[static_cast<size_t>(1 + i)] = static_cast<uint8_t>(rid.value >> (24 - 8 * i));
  h[5] = static_cast<uint8_t>(payload_size >> 8);
  h[6] = static_cast<uint8_t>(payload_size);
  return h;
}

expected<std::vector<uint8_t>> encode(const packet& p) {
  std::vector<uint8_t> out;
  if (auto err = encode(out, p.type, p.rid, {p.payload.data(), p.payload.size()}))
    return err;
  return out;
}

expected<packet_view> decode_packet(byte_span in) {
  if (in.size() < packet_header_size)
    return make_error(wire_errc::truncated, "routing packet: " + std::to_string(in.size())
                                              + " bytes, the header alone is 7");
  packet_view p;
  size_t len = 0;
  if (auto err = check_header(in, max_packet_payload, p.type, p.rid, len))
    return err;
  if (in.size() - packet_header_size < len)
    return make_error(wire_errc::truncated, "routing packet: payload length "
                                              + std::to_string(len) + " but only "
                                              + std::to_string(in.size() - packet_header_size)
                                              + " bytes follow");
  if (in.size() - packet_header_size > len)
    return make_error(wire_errc::malformed, "routing packet: trailing bytes after payload");
  p.payload = in.subspan(packet_header_size, len);
  if (auto err = validate_payload(p.type, p.payload))
    return err;
  return p;
}

packet make_data_packet(route_id rid, byte_span payload) {
  return make(packet_type::data, rid, {payload.begin(), payload.end()});
}

packet make_close_packet(route_id rid, close_code code) {
  return make(packet_type::close, rid, {static_cast<uint8_t>(code)});
}

packet make_keep_alive_packet(route_id rid) {
  return make(packet_type::keep_alive, rid);
}

packet make_handshake_packet(route_id rid, bool supports_encryption) {
  return make(packet_type::handshake, rid, {static_cast<uint8_t>(supports_encryption ? 1 : 0)});
}

packet make_ping_packet(route_id rid, uint64_t timestamp_ms, int64_t throughput) {
  std::vector<uint8_t> pl;
  put_be(pl, timestamp_ms, 8);
  put_be(pl, static_cast<uint64_t>(throughput), 8);
  return make(packet_type::ping, rid, std::move(pl));
}

packet make_pong_packet(route_id rid, uint64_t timestamp_ms) {
  std::vector<uint8_t> pl;
  put_be(pl, timestamp_ms, 8);
  put_be(pl, 0, 8);
  return make(packet_type::pong, rid, std::move(pl));
}

packet make_error_packet(route_id rid, std::string_view text) {
  auto n = std::min(text.size(), max_packet_payload);
  return make(packet_type::error, rid, {text.begin(), text.begin() + static_cast<ptrdiff_t>(n)});
}

expected<ping_payload> read_ping(const packet_view& p) {
  if (p.type != packet_type::ping && p.type != packet_type::pong)
    return make_error(wire_errc::bad_value, "not a Ping or Pong packet");
  if (p.payload.size() != 16)
    return make_error(wire_errc::malformed, "Ping/Pong payload must be 16 bytes");
  return ping_payload{get_be(p.payload.data(), 8),
                      static_cast<int64_t>(get_be(p.payload.data() + 8, 8))};
}

expected<bool> read_handshake(const packet_view& p) {
  if (p.type != packet_type::handshake)
    return make_error(wire_errc::bad_value, "not a Handshake packet");
  if (p.payload.size() != 1)
    return make_error(wire_errc::malformed, "Handshake payload must be 1 byte");
  return p.payload[0] != 0;
}

expected<close_code> read_close(const packet_view& p) {
  if (p.type != packet_type::close)
    return make_error(wire_errc::bad_value, "not a Close packet");
  if (p.payload.size() != 1)
    return make_error(wire_errc::malformed, "Close payload must be 1 byte");
  return static_cast<close_code>(p.payload[0]);
}

// ---- stream splitting -----------------------------------------------------------

expected<size_t> split_packets(byte_span in, std::vector<packet_view>& out,
                               size_t max_payload) {
  max_payload = std::min(max_payload, max_packet_payload);
  size_t pos = 0;
  while (in.size() - pos >= packet_header_size) {
    packet_view p;
    size_t len = 0;
    auto rest = in.subspan(pos);
    if (auto err = check_header(rest, max_payload, p.type, p.rid, len))
      return err;
    if (rest.size() - packet_header_size < len)
      break;
    p.payload = rest.subspan(packet_header_size, len);
    if (auto err = validate_payload(p.type, p.payload))
      return err;
    out.push_back(p);
    pos += packet_header_size + len;
  }
  return pos;
}

void packet_splitter::feed(byte_span bytes) {
  if (failed_)
    return;
  if (pos_ > 0) { // drop what next() already returned
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

expected<std::optional<packet_view>> packet_splitter::next() {
  if (failed_)
    return make_error(wire_errc::malformed, "routing packet stream already failed");
  auto p = parse(byte_span{buf_.data(), buf_.size()}.subspan(pos_));
  if (p && *p)
    pos_ += (*p)->wire_size();
  return p;
}

expected<std::optional<packet_view>> packet_splitter::parse(byte_span rest) {
  if (rest.size() < packet_header_size)
    return std::optional<packet_view>{};
  packet_view p;
  size_t len = 0;
  if (auto err = check_header(rest, max_payload_, p.type, p.rid, len)) {
    failed_ = true;
    return err;
  }
  if (rest.size() - packet_header_size < len)
    return std::optional<packet_view>{};
  p.payload = rest.subspan(packet_header_size, len);
  if (auto err = validate_payload(p.type, p.payload)) {
    failed_ = true;
    return err;
  }
  return std::optional<packet_view>{p};
}

size_t packet_splitter::missing() const noexcept {
  size_t have = pending();
  if (have < packet_header_size)
    return packet_header_size - have;
  const uint8_t* h = buf_.data() + pos_;
  size_t len = size_t{h[5]} << 8 | h[6];
  return packet_header_size + len - have;
}

} // namespace skywire::wire::routing
