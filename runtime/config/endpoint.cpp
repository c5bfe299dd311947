#include "runtime/config/endpoint.hpp"

#include <charconv>

#include "runtime/config/errors.hpp"

namespace skywire::config {

std::string local_endpoint::to_string() const {
  if (is_unix())
    return "unix://" + path;
  if (host.find(':') != std::string::npos)
    return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

expected<local_endpoint> parse_local_endpoint(std::string_view text) {
  constexpr size_t max_unix_path = 107; // sockaddr_un.sun_path minus the NUL
  local_endpoint ep;
  auto unix_path = [&](std::string_view p) -> expected<local_endpoint> {
    if (p.empty())
      return make_error(config_errc::invalid_value, "empty unix socket path");
    if (p.size() > max_unix_path)
      return make_error(config_errc::invalid_value,
                        "unix socket path longer than 107 bytes");
    if (p.find('\0') != std::string_view::npos)
      return make_error(config_errc::invalid_value, "NUL byte in unix socket path");
    ep.type = local_endpoint::kind::unix_socket;
    ep.path = std::string{p};
    return ep;
  };
  if (text.substr(0, 7) == "unix://")
    return unix_path(text.substr(7));
  if (!text.empty() && (text.front() == '/' || text.substr(0, 2) == "./"
                        || text.substr(0, 3) == "../"))
    return unix_path(text);
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return make_error(config_errc::invalid_value,
                      "expected host:port, unix:///path or a socket path starting with / or ./");
  auto host = text.substr(0, colon);
  auto port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || ptr != port_text.data() + port_text.size()
      || port == 0 || port > 65535)
    return make_error(config_errc::invalid_value, "expected a TCP port in 1..65535");
  if (host == "localhost" || host == "127.0.0.1" || host.empty())
    ep.host = "127.0.0.1";
  else if (host == "::1")
    ep.host = "::1";
  else
    return make_error(config_errc::invalid_value,
                      "only loopback hosts (localhost, 127.0.0.1, ::1) or unix sockets are "
                      "allowed");
  ep.type = local_endpoint::kind::tcp;
  ep.port = static_cast<uint16_t>(port);
  return ep;
}

} // namespace skywire::config
