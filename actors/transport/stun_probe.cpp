#include "actors/transport/stun_probe.hpp"

namespace skywire::transport {

namespace stun {

namespace {

constexpr uint16_t attr_mapped = 0x0001;
constexpr uint16_t attr_change_request = 0x0003;
constexpr uint16_t attr_changed_address = 0x0005;
constexpr uint16_t attr_xor_mapped = 0x0020;
constexpr uint16_t attr_other_address = 0x802c;

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}
uint16_t get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
uint32_t get32(std::span<const uint8_t> b, size_t at) {
  return (uint32_t{get16(b, at)} << 16) | get16(b, at + 2);
}

void header(std::vector<uint8_t>& out, uint16_t type, const transaction_id& id) {
  put16(out, type);
  put16(out, 0); // the length, set at the end
  put32(out, magic_cookie);
  out.insert(out.end(), id.begin(), id.end());
}

void set_length(std::vector<uint8_t>& out) {
  auto n = static_cast<uint16_t>(out.size() - 20);
  out[2] = static_cast<uint8_t>(n >> 8);
  out[3] = static_cast<uint8_t>(n);
}

/// The 16 bytes an address is XORed with: the cookie, then the transaction id.
std::array<uint8_t, 16> xor_key(const transaction_id& id) {
  std::array<uint8_t, 16> k{0x21, 0x12, 0xA4, 0x42};
  std::copy(id.begin(), id.end(), k.begin() + 4);
  return k;
}

expected<endpoint> decode_address(std::span<const uint8_t> v, bool xored,
                                  const transaction_id& id) {
  if (v.size() < 4)
    return make_error(wire_errc::truncated, "stun address");
  auto family = v[1];
  uint16_t port = get16(v, 2);
  auto key = xor_key(id);
  if (xored)
    port ^= static_cast<uint16_t>(magic_cookie >> 16);
  if (family == 1) {
    if (v.size() != 8)
      return make_error(wire_errc::malformed, "stun IPv4 address length");
    boost::asio::ip::address_v4::bytes_type b;
    for (size_t i = 0; i < 4; ++i)
      b[i] = static_cast<uint8_t>(v[4 + i] ^ (xored ? key[i] : 0));
    return endpoint{boost::asio::ip::address_v4{b}, port};
  }
  if (family == 2) {
    if (v.size() != 20)
      return make_error(wire_errc::malformed, "stun IPv6 address length");
    boost::asio::ip::address_v6::bytes_type b;
    for (size_t i = 0; i < 16; ++i)
      b[i] = static_cast<uint8_t>(v[4 + i] ^ (xored ? key[i] : 0));
    return endpoint{boost::asio::ip::address_v6{b}, port};
  }
  return make_error(wire_errc::bad_value, "stun address family");
}

void put_address(std::vector<uint8_t>& out, uint16_t type, const endpoint& ep, bool xored,
                 const transaction_id& id) {
  auto key = xor_key(id);
  bool v4 = ep.address().is_v4();
  put16(out, type);
  put16(out, v4 ? 8 : 20);
  out.push_back(0);
  out.push_back(v4 ? 1 : 2);
  put16(out, static_cast<uint16_t>(ep.port() ^ (xored ? magic_cookie >> 16 : 0)));
  if (v4) {
    auto b = ep.address().to_v4().to_bytes();
    for (size_t i = 0; i < 4; ++i)
      out.push_back(static_cast<uint8_t>(b[i] ^ (xored ? key[i] : 0)));
  } else {
    auto b = ep.address().to_v6().to_bytes();
    for (size_t i = 0; i < 16; ++i)
      out.push_back(static_cast<uint8_t>(b[i] ^ (xored ? key[i] : 0)));
  }
}

/// A message's header, its length checked against the datagram; its type
/// (checked by the caller, so a framing error is reported first).
expected<uint16_t> check_header(std::span<const uint8_t> b) {
  if (b.size() < 20)
    return make_error(wire_errc::truncated, "stun header");
  if (b.size() > max_message)
    return make_error(wire_errc::oversized, "stun message");
  auto type = get16(b, 0);
  auto length = get16(b, 2);
  if ((type & 0xC000) != 0 || length % 4 != 0 || size_t{length} + 20 != b.size())
    return make_error(wire_errc::malformed, "not a STUN message");
  return type;
}

/// Calls fn(type, value) for each attribute after the header; stops at the
/// first error fn returns.
template <class F>
caf::error for_each_attribute(std::span<const uint8_t> b, F fn) {
  size_t at = 20;
  while (at < b.size()) {
    if (b.size() - at < 4)
      return make_error(wire_errc::truncated, "stun attribute header");
    auto atype = get16(b, at);
    size_t alen = get16(b, at + 2);
    size_t padded = (alen + 3) & ~size_t{3};
    if (b.size() - at - 4 < padded)
      return make_error(wire_errc::truncated, "stun attribute");
    if (auto err = fn(atype, b.subspan(at + 4, alen)))
      return err;
    at += 4 + padded;
  }
  return {};
}

} // namespace

std::vector<uint8_t> encode_request(const transaction_id& id, bool change_ip, bool change_port) {
  std::vector<uint8_t> out;
  header(out, binding_request, id);
  if (change_ip || change_port) {
    put16(out, attr_change_request);
    put16(out, 4);
    put32(out, (change_ip ? 0x04u : 0u) | (change_port ? 0x02u : 0u));
  }
  set_length(out);
  return out;
}

std::vector<uint8_t> encode_response(const response& r, bool xor_mapped) {
  std::vector<uint8_t> out;
  header(out, binding_success, r.id);
  put_address(out, xor_mapped ? attr_xor_mapped : attr_mapped, r.mapped, xor_mapped, r.id);
  if (r.other)
    put_address(out, attr_other_address, *r.other, false, r.id);
  set_length(out);
  return out;
}

expected<request> decode_request(std::span<const uint8_t> b) {
  auto type = check_header(b);
  if (!type)
    return type.error();
  if (get32(b, 4) != magic_cookie)
    return make_error(wire_errc::malformed, "stun request without the magic cookie");
  if (*type != binding_request)
    return make_error(wire_errc::unsupported, "stun message type");
  request r;
  std::copy(b.begin() + 8, b.begin() + 20, r.id.begin());
  bool seen_change = false;
  auto err = for_each_attribute(b, [&](uint16_t atype, std::span<const uint8_t> v) -> caf::error {
    if (atype != attr_change_request || seen_change)
      return {}; // the first one counts
    if (v.size() != 4)
      return make_error(wire_errc::malformed, "stun CHANGE-REQUEST length");
    seen_change = true;
    auto flags = get32(v, 0);
    r.change_ip = (flags & 0x04u) != 0;
    r.change_port = (flags & 0x02u) != 0;
    return {};
  });
  if (err)
    return err;
  return r;
}

expected<response> decode_response(std::span<const uint8_t> b) {
  auto type = check_header(b);
  if (!type)
    return type.error();
  if (*type != binding_success)
    return make_error(wire_errc::unsupported, "stun message type");
  response r;
  std::copy(b.begin() + 8, b.begin() + 20, r.id.begin());
  bool cookie = get32(b, 4) == magic_cookie;
  std::optional<endpoint> mapped, xor_mapped, other, changed;
  auto err = for_each_attribute(b, [&](uint16_t atype, std::span<const uint8_t> v) {
    auto take = [&](std::optional<endpoint>& slot, bool xored) -> caf::error {
      if (slot)
        return {}; // the first one counts
      auto ep = decode_address(v, xored, r.id);
      if (!ep)
        return ep.error();
      slot = *ep;
      return {};
    };
    if (atype == attr_mapped)
      return take(mapped, false);
    if (atype == attr_xor_mapped && cookie)
      return take(xor_mapped, true);
    if (atype == attr_other_address)
      return take(other, false);
    if (atype == attr_changed_address)
      return take(changed, false);
    return caf::error{};
  });
  if (err)
    return err;
  if (xor_mapped)
    r.mapped = *xor_mapped;
  else if (mapped)
    r.mapped = *mapped;
  else
    return make_error(wire_errc::bad_value, "stun response without a mapped address");
  r.other = other ? other : changed;
  return r;
}

} // namespace stun

const char* to_string(nat_type t) noexcept {
  switch (t) {
    case nat_type::unknown: return "unknown";
    case nat_type::udp_blocked: return "UDP blocked";
    case nat_type::open_internet: return "open internet";
    case nat_type::symmetric_udp_firewall: return "symmetric UDP firewall";
    case nat_type::full_cone: return "full cone NAT";
    case nat_type::restricted: return "restricted NAT";
    case nat_type::port_restricted: return "port restricted NAT";
    case nat_type::symmetric: return "symmetric NAT";
  }
  return "?";
}

nat_probe::nat_probe(endpoint server, endpoint local, std::function<stun::transaction_id()> ids)
  : server_(server), local_(local), ids_(std::move(ids)) {
  send(server_, false, false);
}

void nat_probe::send(endpoint to, bool change_ip, bool change_port) {
  current_ = ids_();
  pending_ = request{to, stun::encode_request(current_, change_ip, change_port)};
  waiting_ = true;
}

std::optional<nat_probe::request> nat_probe::next() {
  return std::exchange(pending_, std::nullopt);
}

bool nat_probe::on_datagram(const endpoint& from, std::span<const uint8_t> bytes) {
  if (!waiting_ || step_ == step::done)
    return false;
  // Tests II and III ask the server to answer from another address (or
  // port): an answer from the one we asked did not change it and says
  // nothing about the NAT
  if ((step_ == step::test2 || step_ == step::test3) && from == server_)
    return false;
  auto r = stun::decode_response(bytes);
  if (!r || r->id != current_)
    return false;
  waiting_ = false;
  answered(*r);
  return true;
}

void nat_probe::finish(nat_type t) {
  result_ = t;
  step_ = step::done;
  waiting_ = false;
  pending_.reset();
}

void nat_probe::answered(const stun::response& r) {
  switch (step_) {
    case step::test1:
      mapped_ = r.mapped;
      other_ = r.other;
      step_ = step::test2;
      send(server_, true, true);
      return;
    case step::test2:
      finish(*mapped_ == local_ ? nat_type::open_internet : nat_type::full_cone);
      return;
    case step::test1_other:
      if (r.mapped != *mapped_) {
        finish(nat_type::symmetric);
        return;
      }
      step_ = step::test3;
      send(server_, false, true);
      return;
    case step::test3:
      finish(nat_type::restricted);
      return;
    case step::done:
      return;
  }
}

void nat_probe::on_no_answer() {
  if (!waiting_ || step_ == step::done)
    return;
  waiting_ = false;
  switch (step_) {
    case step::test1:
      finish(nat_type::udp_blocked);
      return;
    case step::test2:
      if (*mapped_ == local_) {
        finish(nat_type::symmetric_udp_firewall);
        return;
      }
      if (!other_) {
        finish(nat_type::unknown); // the server cannot tell us more
        return;
      }
      step_ = step::test1_other;
      send(*other_, false, false);
      return;
    case step::test1_other:
      finish(nat_type::unknown);
      return;
    case step::test3:
      finish(nat_type::port_restricted);
      return;
    case step::done:
      return;
  }
}

} // namespace skywire::transport
