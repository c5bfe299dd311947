#include "messages/wire/dmsgpty/request.hpp"

#include <charconv>

#include "messages/wire/percent.hpp"

namespace skywire::wire::dmsgpty {

expected<std::vector<uint8_t>> encode_request(std::string_view uri) {
  if (uri.size() > max_uri)
    return make_error(wire_errc::oversized,
                      "dmsgpty request URI of " + std::to_string(uri.size()) + " bytes (max 255)");
  std::vector<uint8_t> out;
  out.reserve(uri.size() + 1);
  out.push_back(static_cast<uint8_t>(uri.size()));
  out.insert(out.end(), uri.begin(), uri.end());
  return out;
}

expected<std::optional<raw_request>> parse_request(byte_span in) {
  if (in.empty())
    return std::optional<raw_request>{};
  size_t len = in[0];
  if (in.size() < 1 + len)
    return std::optional<raw_request>{};
  raw_request r;
  r.uri.assign(reinterpret_cast<const char*>(in.data() + 1), len);
  r.consumed = 1 + len;
  return std::optional<raw_request>{std::move(r)};
}

namespace {

expected<std::string> unescape(std::string_view s, bool plus_is_space) {
  auto out = percent_decode(s, plus_is_space);
  if (!out)
    return make_error(wire_errc::malformed, "dmsgpty URI: bad or truncated % escape");
  return std::move(*out);
}

} // namespace

std::optional<std::string> request_uri::get(std::string_view key) const {
  for (const auto& [k, v] : query)
    if (k == key)
      return v;
  return std::nullopt;
}

expected<request_uri> parse_uri(std::string_view uri) {
  for (char c : uri)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return make_error(wire_errc::malformed, "dmsgpty URI: control byte");
  if (!uri.empty() && uri.front() == '/')
    uri.remove_prefix(1);
  if (auto hash = uri.find('#'); hash != std::string_view::npos)
    uri = uri.substr(0, hash);
  request_uri out;
  auto q = uri.find('?');
  auto path = unescape(uri.substr(0, q), false);
  if (!path)
    return path.error();
  out.path = std::move(*path);
  if (q == std::string_view::npos)
    return out;
  auto rest = uri.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (item.empty())
      continue;
    auto eq = item.find('=');
    auto key = unescape(item.substr(0, eq), true);
    if (!key)
      return key.error();
    std::string val;
    if (eq != std::string_view::npos) {
      auto v = unescape(item.substr(eq + 1), true);
      if (!v)
        return v.error();
      val = std::move(*v);
    }
    out.query.emplace_back(std::move(*key), std::move(val));
  }
  return out;
}

std::optional<endpoint> endpoint_of(const request_uri& u) {
  if (u.path == pty_uri)
    return endpoint::pty;
  if (u.path == whitelist_uri)
    return endpoint::whitelist;
  if (u.path == proxy_uri)
    return endpoint::proxy;
  return std::nullopt;
}

expected<address> proxy_target(const request_uri& u) {
  auto pk_text = u.get("pk");
  if (!pk_text || pk_text->size() != 66)
    return make_error(wire_errc::bad_value, "dmsgpty proxy: query value 'pk' is not 66 hex digits");
  auto pk = public_key::from_hex(*pk_text);
  if (!pk)
    return make_error(wire_errc::bad_value, "dmsgpty proxy: query value 'pk' is not hex");
  auto port_text = u.get("port");
  if (!port_text || port_text->empty() || port_text->size() > 5)
    return make_error(wire_errc::bad_value, "dmsgpty proxy: missing or bad query value 'port'");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port_text->data(), port_text->data() + port_text->size(), value);
  if (ec != std::errc{} || end != port_text->data() + port_text->size() || value == 0
      || value > 65535)
    return make_error(wire_errc::bad_value, "dmsgpty proxy: query value 'port' is not 1..65535");
  address a;
  a.pk = *pk;
  a.prt = port{static_cast<uint16_t>(value)};
  return a;
}

std::string proxy_request_uri(const address& target) {
  return std::string{proxy_uri} + "?pk=" + target.pk.hex() + "&port="
         + std::to_string(target.prt.value);
}

} // namespace skywire::wire::dmsgpty
