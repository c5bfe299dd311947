#include "messages/wire/socks5/socks5.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstdio>
#include <tuple>

namespace skywire::wire::socks5 {

namespace {

caf::error bad(std::string what) {
  return make_error(wire_errc::malformed, "socks5: " + std::move(what));
}

// Parses ATYP + address + port starting at in[0]; nullopt = need more.
expected<std::optional<std::pair<target, size_t>>> parse_target(std::span<const uint8_t> in) {
  if (in.empty())
    return std::optional<std::pair<target, size_t>>{};
  target t;
  size_t pos = 1;
  switch (in[0]) {
    case 1:
      t.type = target::kind::ipv4;
      if (in.size() < pos + 4 + 2)
        return std::optional<std::pair<target, size_t>>{};
      std::copy_n(in.begin() + pos, 4, t.ip.begin());
      pos += 4;
      break;
    case 4:
      t.type = target::kind::ipv6;
      if (in.size() < pos + 16 + 2)
        return std::optional<std::pair<target, size_t>>{};
      std::copy_n(in.begin() + pos, 16, t.ip.begin());
      pos += 16;
      break;
    case 3: {
      t.type = target::kind::domain;
      if (in.size() < 2)
        return std::optional<std::pair<target, size_t>>{};
      size_t len = in[1];
      if (len == 0)
        return bad("empty domain name");
      pos = 2;
      if (in.size() < pos + len + 2)
        return std::optional<std::pair<target, size_t>>{};
      t.domain.assign(reinterpret_cast<const char*>(in.data() + pos), len);
      if (t.domain.find('\0') != std::string::npos)
        return bad("NUL byte in domain name");
      pos += len;
      break;
    }
    default:
      return make_error(wire_errc::unsupported,
                        "socks5: address type " + std::to_string(in[0]) + " not supported");
  }
  t.port = static_cast<uint16_t>(in[pos] << 8 | in[pos + 1]);
  pos += 2;
  return std::optional<std::pair<target, size_t>>{std::make_pair(std::move(t), pos)};
}

} // namespace

target numeric(target t) {
  if (t.type != target::kind::domain || t.domain.size() > 45)
    return t;
  std::array<uint8_t, 16> ip{};
  const std::string name = t.domain; // NUL-terminated for inet_pton
  if (inet_pton(AF_INET, name.c_str(), ip.data()) == 1)
    t.type = target::kind::ipv4;
  else if (inet_pton(AF_INET6, name.c_str(), ip.data()) == 1)
    t.type = target::kind::ipv6;
  else
    return t;
  t.ip = ip;
  t.domain.clear();
  return t;
}

std::string target::host_string() const {
  char buf[64];
  switch (type) {
    case kind::ipv4:
      std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
      return buf;
    case kind::ipv6: {
      std::string out;
      for (int i = 0; i < 8; ++i) {
        if (i)
          out += ':';
        std::snprintf(buf, sizeof(buf), "%x", ip[2 * i] << 8 | ip[2 * i + 1]);
        out += buf;
      }
      return out;
    }
    case kind::domain:
      return domain;
  }
  return {};
}

bool greeting::offers(method m) const {
  return std::find(methods.begin(), methods.end(), m) != methods.end();
}

parse_result<greeting> parse_greeting(std::span<const uint8_t> in) {
  if (in.size() < 2)
    return std::optional<parsed<greeting>>{};
  if (in[0] != version)
    return bad("version " + std::to_string(in[0]) + " (expected 5)");
  size_t n = in[1];
  if (n == 0)
    return bad("greeting offers no methods");
  if (in.size() < 2 + n)
    return std::optional<parsed<greeting>>{};
  greeting g;
  g.methods.reserve(n);
  for (size_t i = 0; i < n; ++i)
    g.methods.push_back(static_cast<method>(in[2 + i]));
  return std::optional<parsed<greeting>>{parsed<greeting>{std::move(g), 2 + n}};
}

/// VER, one byte, RSV = 0, then a target (a request's and a reply's shape):
/// the byte and the target with the bytes used; nullopt = need more.
expected<std::optional<std::tuple<uint8_t, target, size_t>>>
parse_framed_target(std::span<const uint8_t> in, const char* what) {
  using out = std::optional<std::tuple<uint8_t, target, size_t>>;
  if (in.size() < 4)
    return out{};
  if (in[0] != version)
    return bad(std::string{what} + " version " + std::to_string(in[0]));
  if (in[2] != 0)
    return bad("reserved byte is not zero");
  auto t = parse_target(in.subspan(3));
  if (!t)
    return t.error();
  if (!*t)
    return out{};
  return out{std::make_tuple(in[1], std::move((*t)->first), 3 + (*t)->second)};
}

parse_result<request> parse_request(std::span<const uint8_t> in) {
  if (in.size() >= 4 && in[0] == version && (in[1] < 1 || in[1] > 3))
    return make_error(wire_errc::unsupported, "socks5: command " + std::to_string(in[1]));
  auto f = parse_framed_target(in, "request");
  if (!f)
    return f.error();
  if (!*f)
    return std::optional<parsed<request>>{};
  auto& [cmd, dst, used] = **f;
  request r;
  r.cmd = static_cast<command>(cmd);
  r.dst = std::move(dst);
  return std::optional<parsed<request>>{parsed<request>{std::move(r), used}};
}

parse_result<credentials> parse_credentials(std::span<const uint8_t> in) {
  if (in.size() < 2)
    return std::optional<parsed<credentials>>{};
  if (in[0] != 1)
    return bad("auth sub-negotiation version " + std::to_string(in[0]));
  size_t ulen = in[1];
  if (in.size() < 2 + ulen + 1)
    return std::optional<parsed<credentials>>{};
  size_t plen = in[2 + ulen];
  if (in.size() < 3 + ulen + plen)
    return std::optional<parsed<credentials>>{};
  credentials c;
  c.user.assign(reinterpret_cast<const char*>(in.data() + 2), ulen);
  c.password.assign(reinterpret_cast<const char*>(in.data() + 3 + ulen), plen);
  return std::optional<parsed<credentials>>{parsed<credentials>{std::move(c), 3 + ulen + plen}};
}

parse_result<method> parse_method_choice(std::span<const uint8_t> in) {
  if (in.size() < 2)
    return std::optional<parsed<method>>{};
  if (in[0] != version)
    return bad("method choice version " + std::to_string(in[0]));
  return std::optional<parsed<method>>{parsed<method>{static_cast<method>(in[1]), 2}};
}

parse_result<reply> parse_reply(std::span<const uint8_t> in) {
  auto f = parse_framed_target(in, "reply");
  if (!f)
    return f.error();
  if (!*f)
    return std::optional<parsed<reply>>{};
  auto& [code, bound, used] = **f;
  reply r;
  r.code = static_cast<reply_code>(code);
  r.bound = std::move(bound);
  return std::optional<parsed<reply>>{parsed<reply>{std::move(r), used}};
}

std::array<uint8_t, 2> encode_method_choice(method m) {
  return {version, static_cast<uint8_t>(m)};
}

std::array<uint8_t, 2> encode_auth_status(bool ok) {
  return {1, static_cast<uint8_t>(ok ? 0 : 1)};
}

namespace {

void append_target(std::vector<uint8_t>& out, const target& t) {
  out.push_back(static_cast<uint8_t>(t.type));
  switch (t.type) {
    case target::kind::ipv4:
      out.insert(out.end(), t.ip.begin(), t.ip.begin() + 4);
      break;
    case target::kind::ipv6:
      out.insert(out.end(), t.ip.begin(), t.ip.end());
      break;
    case target::kind::domain:
      out.push_back(static_cast<uint8_t>(t.domain.size()));
      out.insert(out.end(), t.domain.begin(), t.domain.end());
      break;
  }
  out.push_back(static_cast<uint8_t>(t.port >> 8));
  out.push_back(static_cast<uint8_t>(t.port & 0xff));
}

} // namespace

std::vector<uint8_t> encode_reply(reply_code code, const target& bound) {
  std::vector<uint8_t> out{version, static_cast<uint8_t>(code), 0};
  target b = bound;
  if (b.type == target::kind::domain && (b.domain.empty() || b.domain.size() > 255))
    b = target{};
  append_target(out, b);
  return out;
}

std::vector<uint8_t> encode_greeting(std::span<const method> methods) {
  std::vector<uint8_t> out{version, static_cast<uint8_t>(methods.size())};
  for (auto m : methods)
    out.push_back(static_cast<uint8_t>(m));
  return out;
}

expected<std::vector<uint8_t>> encode_request(const request& req) {
  if (req.dst.type == target::kind::domain
      && (req.dst.domain.empty() || req.dst.domain.size() > 255))
    return make_error(wire_errc::bad_value, "socks5: domain must be 1..255 bytes");
  std::vector<uint8_t> out{version, static_cast<uint8_t>(req.cmd), 0};
  append_target(out, req.dst);
  return out;
}

} // namespace skywire::wire::socks5
