#include "runtime/io/address_scope.hpp"

namespace skywire::io {

namespace ip = boost::asio::ip;

const char* to_string(address_scope s) noexcept {
  switch (s) {
  case address_scope::public_: return "public";
  case address_scope::private_: return "private";
  case address_scope::container_bridge: return "container bridge";
  case address_scope::loopback: return "loopback";
  case address_scope::unusable: return "unusable";
  }
  return "unknown";
}

ip::address unmapped(const ip::address& addr) noexcept {
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    return ip::make_address_v4(ip::v4_mapped, addr.to_v6());
  return addr;
}

namespace {

address_scope classify_v4(const ip::address_v4& a) noexcept {
  auto b = a.to_bytes();
  auto in = [&](uint8_t b0, uint8_t b1, unsigned bits) {
    uint32_t v = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    uint32_t net = (uint32_t{b0} << 24) | (uint32_t{b1} << 16);
    uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (v & mask) == net;
  };
  if (in(0, 0, 8) || in(224, 0, 4) || in(240, 0, 4))
    return address_scope::unusable;
  if (in(127, 0, 8))
    return address_scope::loopback;
  if (in(172, 17, 16))
    return address_scope::container_bridge;
  if (in(10, 0, 8) || in(172, 16, 12) || in(192, 168, 16) || in(100, 64, 10) || in(169, 254, 16)
      || in(198, 18, 15) || (b[0] == 192 && b[1] == 0 && b[2] == 0))
    return address_scope::private_;
  return address_scope::public_;
}

address_scope classify_v6(const ip::address_v6& a) noexcept {
  if (a.is_unspecified() || a.is_multicast())
    return address_scope::unusable;
  if (a.is_loopback())
    return address_scope::loopback;
  auto b = a.to_bytes();
  if ((b[0] & 0xfe) == 0xfc) // fc00::/7 unique local
    return address_scope::private_;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) // fe80::/10 link-local
    return address_scope::private_;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) // fec0::/10 site-local (deprecated)
    return address_scope::private_;
  return address_scope::public_;
}

} // namespace

address_scope classify(const ip::address& addr) noexcept {
  auto a = unmapped(addr);
  return a.is_v4() ? classify_v4(a.to_v4()) : classify_v6(a.to_v6());
}

std::optional<ip::address> parse_host(std::string_view text) noexcept {
  std::string_view host = text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      return std::nullopt;
  } else if (auto colon = text.find(':'); colon != std::string_view::npos
                                          && text.find(':', colon + 1) == std::string_view::npos) {
    host = text.substr(0, colon); // one colon: ip:port
  }
  boost::system::error_code ec;
  auto a = ip::make_address(std::string{host}, ec);
  if (ec)
    return std::nullopt;
  return unmapped(a);
}

} // namespace skywire::io
