#include "cli/rpc_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <boost/json.hpp>

#include "runtime/config/errors.hpp"
#include "runtime/config/registry.hpp"

namespace skywire::cli {

namespace {

constexpr size_t max_response = 16 * 1024 * 1024;

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Non-blocking connect with a deadline. Returns "" or an error text.
std::string dial(const config::local_endpoint& ep, fd_guard& g, std::chrono::milliseconds timeout) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_UNIX;
  if (ep.is_unix()) {
    auto* sa = reinterpret_cast<sockaddr_un*>(&ss);
    sa->sun_family = AF_UNIX;
    if (ep.path.size() >= sizeof(sa->sun_path))
      return "socket path too long";
    std::memcpy(sa->sun_path, ep.path.data(), ep.path.size());
    len = sizeof(sockaddr_un);
  } else if (ep.host == "::1") {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = family = AF_INET6;
    sa->sin6_port = htons(ep.port);
    inet_pton(AF_INET6, "::1", &sa->sin6_addr);
    len = sizeof(sockaddr_in6);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = family = AF_INET;
    sa->sin_port = htons(ep.port);
    inet_pton(AF_INET, "127.0.0.1", &sa->sin_addr);
    len = sizeof(sockaddr_in);
  }
  g.fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (g.fd < 0)
    return std::strerror(errno);
  if (::connect(g.fd, reinterpret_cast<sockaddr*>(&ss), len) == 0)
    return {};
  if (errno != EINPROGRESS && errno != EAGAIN)
    return std::strerror(errno);
  pollfd p{g.fd, POLLOUT, 0};
  int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (rc <= 0)
    return rc == 0 ? "connect timed out" : std::strerror(errno);
  int soerr = 0;
  socklen_t sl = sizeof(soerr);
  ::getsockopt(g.fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
  return soerr == 0 ? std::string{} : std::string{std::strerror(soerr)};
}

} // namespace

rpc_result rpc_call(const config::local_endpoint& ep, const std::string& method,
                    const boost::json::object& params, std::chrono::milliseconds dial_timeout,
                    std::chrono::milliseconds call_timeout) {
  rpc_result r;
  fd_guard g;
  if (auto err = dial(ep, g, dial_timeout); !err.empty()) {
    r.unreachable = true;
    r.message = "cannot reach the visor at " + ep.to_string() + ": is it running? (" + err + ")";
    return r;
  }
  boost::json::object req;
  req["id"] = 1;
  req["method"] = method;
  if (!params.empty())
    req["params"] = params;
  auto line = boost::json::serialize(req) + "\n";
  auto deadline = std::chrono::steady_clock::now() + call_timeout;
  size_t off = 0;
  while (off < line.size()) {
    auto n = ::send(g.fd, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        pollfd p{g.fd, POLLOUT, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) <= 0) {
          r.message = "timed out sending the request";
          return r;
        }
        continue;
      }
      r.message = std::string{"send failed: "} + std::strerror(errno);
      return r;
    }
    off += static_cast<size_t>(n);
  }
  std::string in;
  char buf[65536];
  while (in.find('\n') == std::string::npos) {
    pollfd p{g.fd, POLLIN, 0};
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc == 0) {
      r.message = "the visor did not answer within "
                  + std::to_string(call_timeout.count() / 1000) + " s";
      return r;
    }
    if (rc < 0 && errno != EINTR) {
      r.message = std::strerror(errno);
      return r;
    }
    auto n = ::recv(g.fd, buf, sizeof(buf), 0);
    if (n == 0) {
      r.message = "the visor closed the connection";
      return r;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        continue;
      r.message = std::string{"recv failed: "} + std::strerror(errno);
      return r;
    }
    in.append(buf, static_cast<size_t>(n));
    if (in.size() > max_response) {
      r.message = "response too large";
      return r;
    }
  }
  in.resize(in.find('\n'));
  boost::system::error_code ec;
  auto v = boost::json::parse(in, ec);
  if (ec || !v.is_object()) {
    r.message = "malformed response from the visor";
    return r;
  }
  auto& o = v.get_object();
  if (auto* res = o.if_contains("result")) {
    r.ok = true;
    r.result = *res;
    return r;
  }
  if (auto* err = o.if_contains("error"); err && err->is_object()) {
    auto& eo = err->get_object();
    if (auto* c = eo.if_contains("code"); c && c->is_int64())
      r.code = static_cast<int>(c->get_int64());
    if (auto* m = eo.if_contains("message"); m && m->is_string())
      r.message = std::string{m->get_string()};
    return r;
  }
  r.message = "malformed response from the visor";
  return r;
}

std::optional<config::local_endpoint> resolve_rpc(const std::string& rpc_flag,
                                                  const std::string& config_flag,
                                                  std::string& error) {
  std::string addr = rpc_flag;
  if (addr.empty()) {
    std::string path = config_flag;
    std::error_code ec;
    if (path.empty() && std::filesystem::exists("skywire-config.json", ec))
      path = "skywire-config.json";
    if (!path.empty()) {
      auto cfg = config::load_file(path);
      if (!cfg) {
        error = config::message(cfg.error());
        return std::nullopt;
      }
      addr = cfg->cli_addr;
    } else {
      addr = "localhost:3435";
    }
  }
  auto ep = config::parse_local_endpoint(addr);
  if (!ep) {
    error = "--rpc " + addr + ": " + config::message(ep.error());
    return std::nullopt;
  }
  return *ep;
}

} // namespace skywire::cli
