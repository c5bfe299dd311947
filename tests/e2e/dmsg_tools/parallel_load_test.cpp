// No silent loss under parallel load, real processes on loopback:
//  - 100 parallel 8 MiB downloads (curl through one `dmsg web` SOCKS5 proxy,
//    hence one dmsg session) from `dmsg http`: every one completes with the
//    right SHA-256, none stalls;
//  - 60 parallel downloads through `dmsg web srv` from a close-delimited
//    HTTP/1.0 server (no Content-Length: the end of the body is the end of
//    the TCP stream, so a cut-off transfer would look complete): every body
//    has the right length and SHA-256.
// Every process is stopped by PID; the test's own HTTP/1.0 server runs on a
// thread of the test and is stopped before it returns.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <memory>
#include <regex>
#include <thread>

#include <boost/json.hpp>

#include "runtime/crypto/hash.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/build_paths.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using skywire::test::have_curl;
using skywire::test::match;
using skywire::test::process;
using skywire::test::pseudo_random;

namespace {

const std::string binary = SKYWIRE_BINARY;

std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}


/// A close-delimited HTTP/1.0 server on 127.0.0.1: every request gets
/// "HTTP/1.0 200 OK", no Content-Length, the body, then the connection is
/// closed. One thread per connection (the test opens a bounded number).
class http10_server {
public:
  explicit http10_server(std::shared_ptr<const std::vector<uint8_t>> body)
    : body_(std::move(body)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 256) != 0)
      return;
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { run(); });
  }
  ~http10_server() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (acceptor_.joinable())
      acceptor_.join();
    for (auto& t : workers_)
      if (t.joinable())
        t.join();
  }
  uint16_t port() const { return port_; }
  int served() const { return served_.load(); }

private:
  void run() {
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0)
        return;
      workers_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    // read the request head (bounded), then answer
    std::string head;
    char buf[1024];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 16384) {
      auto n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      head.append(buf, static_cast<size_t>(n));
    }
    std::string status = "HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n";
    bool ok = ::send(c, status.data(), status.size(), MSG_NOSIGNAL) ==
              static_cast<ssize_t>(status.size());
    size_t off = 0;
    while (ok && off < body_->size()) {
      auto n = ::send(c, body_->data() + off, std::min<size_t>(64 * 1024, body_->size() - off),
                      MSG_NOSIGNAL);
      if (n <= 0)
        ok = false;
      else
        off += static_cast<size_t>(n);
    }
    if (ok)
      ++served_;
    ::close(c);
  }

  std::shared_ptr<const std::vector<uint8_t>> body_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

struct local_plane {
  process local;
  std::string disc;
};

bool start_local(local_plane& lp, const fs::path& dir) {
  auto info_file = dir / "local.json";
  if (!skywire::test::spawn(lp.local, {binary, "dmsg", "local", "--info-file", info_file.string()},
                            dir / "local.log"))
    return false;
  auto info_text = skywire::test::wait_for_file(info_file, 30s);
  if (!info_text)
    return false;
  auto info = boost::json::parse(*info_text).as_object();
  lp.disc = info.at("discovery").as_string().c_str();
  return true;
}

/// Starts `dmsg web` and returns its SOCKS5 port ("" on failure).
std::string start_web(process& web, const fs::path& dir, const std::string& disc) {
  auto log = dir / "web.log";
  if (!skywire::test::spawn(web, {binary, "dmsg", "web", "-q", "0", "-D", disc}, log))
    return {};
  if (!skywire::test::wait_for_text(log, "SOCKS5 on", 30s))
    return {};
  return match(skywire::test::read_text(log), "SOCKS5 on 127\\.0\\.0\\.1:([0-9]+)");
}

/// Runs n curls at once through the SOCKS5 proxy; each writes to out_i.
/// Returns the exit codes (-1: did not finish in time).
std::vector<int> parallel_curl(int n, const std::string& socks_port, const std::string& url,
                               const fs::path& dir) {
  std::vector<std::unique_ptr<process>> ps;
  for (int i = 0; i < n; ++i) {
    ps.push_back(std::make_unique<process>());
    auto out = dir / ("out_" + std::to_string(i));
    skywire::test::spawn(*ps.back(),
                         {"curl", "-sS", "--max-time", "120", "--socks5-hostname",
                          "127.0.0.1:" + socks_port, "-o", out.string(), url},
                         dir / ("curl_" + std::to_string(i) + ".log"));
  }
  std::vector<int> codes;
  auto deadline = std::chrono::steady_clock::now() + 150s;
  for (auto& p : ps) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() > 0 && p->wait_for(left))
      codes.push_back(p->exit_code());
    else
      codes.push_back(-1);
  }
  return codes;
}

/// How many of the n downloads (out_i) exited 0 with exactly `want`'s bytes;
/// each one that did not is described.
int intact_downloads(int n, const std::vector<int>& codes, size_t size,
                     const skywire::sha256_digest& want, const fs::path& dir) {
  int intact = 0;
  for (int i = 0; i < n; ++i) {
    auto got = read_file(dir / ("out_" + std::to_string(i)));
    auto code = codes[static_cast<size_t>(i)];
    if (code == 0 && got.size() == size && skywire::crypto::sha256(got) == want) {
      ++intact;
      continue;
    }
    MESSAGE("download " << i << ": exit " << code << ", " << got.size() << " bytes; "
                        << skywire::test::read_text(dir / ("curl_" + std::to_string(i) + ".log")));
  }
  return intact;
}

bool curl_required() {
  if (have_curl())
    return true;
  if (std::getenv("CI"))
    FAIL("curl is required in CI (scripts/install-deps.sh installs it)");
  MESSAGE("skipped: curl is not installed");
  return false;
}

} // namespace

TEST_CASE("100 parallel 8 MiB downloads through one dmsg web session all arrive intact") {
  if (!curl_required())
    return;
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  auto www = tmp.path / "www";
  fs::create_directories(www);
  auto body = pseudo_random(8u << 20, 0xfeed);
  {
    std::ofstream out(www / "f.bin", std::ios::binary);
    out.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
  }
  auto want = skywire::crypto::sha256(body);

  local_plane lp;
  REQUIRE_MESSAGE(start_local(lp, tmp.path), skywire::test::read_text(tmp.path / "local.log"));
  process http;
  auto http_log = tmp.path / "http.log";
  REQUIRE(skywire::test::spawn(http, {binary, "dmsg", "http", "-d", www.string(), "-D", lp.disc},
                               http_log));
  REQUIRE_MESSAGE(skywire::test::wait_for_text(http_log, "serving", 30s),
                  skywire::test::read_text(http_log));
  auto pk = match(skywire::test::read_text(http_log), "dmsg://([0-9a-f]{66}):80/");
  REQUIRE(pk.size() == 66);
  process web;
  auto socks = start_web(web, tmp.path, lp.disc);
  REQUIRE_MESSAGE(!socks.empty(), skywire::test::read_text(tmp.path / "web.log"));

  constexpr int n = 100;
  auto codes = parallel_curl(n, socks, "http://" + pk + ".dmsg/f.bin", tmp.path);
  int intact = intact_downloads(n, codes, body.size(), want, tmp.path);
  CHECK(intact == n);
  CHECK(web.stop(SIGTERM, 10s));
  CHECK(http.stop(SIGTERM, 10s));
  CHECK(lp.local.stop(SIGTERM, 10s));
}

TEST_CASE("60 parallel downloads through dmsg web srv from a close-delimited HTTP/1.0 server") {
  if (!curl_required())
    return;
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  auto body = std::make_shared<const std::vector<uint8_t>>(pseudo_random(8u << 20, 0xbeef));
  auto want = skywire::crypto::sha256(*body);
  http10_server origin{body};
  REQUIRE(origin.port() != 0);

  local_plane lp;
  REQUIRE_MESSAGE(start_local(lp, tmp.path), skywire::test::read_text(tmp.path / "local.log"));
  process srv;
  auto srv_log = tmp.path / "srv.log";
  REQUIRE(skywire::test::spawn(srv,
                               {binary, "dmsg", "web", "srv", "-d", "80", "-p",
                                std::to_string(origin.port()), "-D", lp.disc, "-l", "info"},
                               srv_log));
  REQUIRE_MESSAGE(skywire::test::wait_for_text(srv_log, "dmsg://", 30s),
                  skywire::test::read_text(srv_log));
  auto pk = match(skywire::test::read_text(srv_log), "([0-9a-f]{66})");
  REQUIRE(pk.size() == 66);
  process web;
  auto socks = start_web(web, tmp.path, lp.disc);
  REQUIRE_MESSAGE(!socks.empty(), skywire::test::read_text(tmp.path / "web.log"));

  constexpr int n = 60;
  auto codes = parallel_curl(n, socks, "http://" + pk + ".dmsg/x", tmp.path);
  int intact = intact_downloads(n, codes, body->size(), want, tmp.path);
  CHECK(intact == n);
  CHECK(origin.served() == n);
  CHECK(web.stop(SIGTERM, 10s));
  CHECK(srv.stop(SIGTERM, 10s));
  CHECK(lp.local.stop(SIGTERM, 10s));
}
