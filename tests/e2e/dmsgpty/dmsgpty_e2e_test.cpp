// End to end, real processes on loopback: `skywire dmsg local` (discovery +
// server) and three `skywire dmsg pty host`s, A (whitelisting B), B and C.
// Commands run on A from B's CLI socket through the proxy endpoint; C is
// refused until A's whitelist gains its key over A's CLI socket. A small
// net/rpc client in this file drives SetPtySize, concurrent Read/Write, Stop
// and connection close directly, and checks the child process is gone.
#include <doctest/doctest.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <regex>

#include <boost/json.hpp>

#include "messages/wire/dmsgpty/pty_types.hpp"
#include "messages/wire/dmsgpty/request.hpp"
#include "messages/wire/rpc/net_rpc.hpp"
#include "tests/support/process.hpp"
#include "tests/support/build_paths.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace wp = skywire::wire::dmsgpty;
using skywire::test::process;
using skywire::wire::gob::value;

namespace {

const std::string binary = SKYWIRE_BINARY;

/// Runs with `input` as stdin (a file, so the child sees its end).
skywire::test::run_result run_with_input(const fs::path& dir, std::vector<std::string> args,
                                         const std::string& input,
                                         std::chrono::milliseconds limit = 60s) {
  auto in = dir / "stdin.txt";
  std::ofstream(in, std::ios::binary | std::ios::trunc) << input;
  // the shell redirects stdin; args are quoted for it
  std::string cmd;
  for (auto& a : args) {
    std::string q = "'";
    for (char c : a)
      q += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
    cmd += q + "' ";
  }
  cmd += "< '" + in.string() + "'";
  return skywire::test::run({"/bin/sh", "-c", cmd}, limit);
}

bool pid_gone(pid_t pid, std::chrono::milliseconds limit) {
  return skywire::test::wait_pid_gone(pid, limit);
}

/// A net/rpc client on a host's CLI socket (test side, blocking with limits).
class rpc_conn {
public:
  ~rpc_conn() { close(); }
  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }
  /// Connects, sends `uri`, returns the host's answer byte (-1 on failure).
  int open(const fs::path& sock, const std::string& uri) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, sock.c_str(), sizeof(sa.sun_path) - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0)
      return -1;
    auto req = wp::encode_request(uri);
    if (!req || ::write(fd_, req->data(), req->size()) != static_cast<ssize_t>(req->size()))
      return -1;
    uint8_t b = 0;
    pollfd pf{fd_, POLLIN, 0};
    if (::poll(&pf, 1, 40000) != 1 || ::read(fd_, &b, 1) != 1)
      return -1;
    return b;
  }
  uint64_t call(const std::string& m, const skywire::wire::gob::schema_ptr& s, const value& v) {
    std::vector<uint8_t> out;
    auto seq = seq_++;
    REQUIRE_FALSE(codec_.write_request({m, seq}, s, v, out));
    REQUIRE(::write(fd_, out.data(), out.size()) == static_cast<ssize_t>(out.size()));
    return seq;
  }
  /// The next response (nullopt after `limit` or when the host closed).
  std::optional<skywire::wire::rpc::inbound_response> next(std::chrono::milliseconds limit = 20s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto r = codec_.next_response();
      REQUIRE(r);
      if (*r)
        return std::move(**r);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      pollfd pf{fd_, POLLIN, 0};
      if (::poll(&pf, 1, static_cast<int>(left.count())) != 1)
        return std::nullopt;
      uint8_t buf[65536];
      auto n = ::read(fd_, buf, sizeof(buf));
      if (n <= 0)
        return std::nullopt;
      codec_.feed({buf, static_cast<size_t>(n)});
    }
  }

private:
  int fd_ = -1;
  skywire::wire::rpc::client_codec codec_;
  uint64_t seq_ = 0;
};

/// Reads pty output (one Read outstanding) until `pattern` matches; returns
/// the output. Other answers are kept in `others`.
std::string read_until(rpc_conn& c, const std::regex& pattern,
                       std::vector<skywire::wire::rpc::inbound_response>& others,
                       std::chrono::milliseconds limit = 20s) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto rseq = c.call("pty.Read", wp::int_schema(), value::of_int(4096));
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = c.next(1s);
    if (!r)
      continue;
    if (r->header.seq != rseq) {
      others.push_back(std::move(*r));
      continue;
    }
    if (!r->header.error.empty())
      break;
    out += r->reply.as_string();
    if (std::regex_search(out, pattern))
      return out;
    rseq = c.call("pty.Read", wp::int_schema(), value::of_int(4096));
  }
  return out;
}

struct pty_host {
  process proc;
  fs::path sock, config, log;
  std::string pk;
};

bool start_host(pty_host& h, const fs::path& dir, const std::string& name, const std::string& disc,
                std::vector<std::string> extra = {}) {
  h.sock = dir / (name + ".sock");
  h.config = dir / (name + ".json");
  h.log = dir / (name + ".log");
  auto gen = skywire::test::run({binary, "dmsg", "pty", "config", "gen", "-o", h.config.string(),
                                 "--disc", disc, "--cli-addr", h.sock.string()},
                                20s);
  if (gen.code != 0)
    return false;
  auto conf = boost::json::parse(skywire::test::read_text(h.config)).as_object();
  h.pk = conf.at("pk").as_string().c_str();
  std::vector<std::string> args{binary, "dmsg", "pty", "host", "-c", h.config.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return skywire::test::spawn(h.proc, args, h.log);
}

} // namespace

TEST_CASE("dmsgpty hosts on loopback: proxy, whitelist, window size, stop and close") {
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  process local;
  auto info_file = tmp.path / "local.json";
  REQUIRE(skywire::test::spawn(local, {binary, "dmsg", "local", "--info-file", info_file.string()},
                               tmp.path / "local.log"));
  auto info_text = skywire::test::wait_for_file(info_file, 30s);
  REQUIRE_MESSAGE(info_text, skywire::test::read_text(tmp.path / "local.log"));
  std::string disc = boost::json::parse(*info_text).as_object().at("discovery").as_string().c_str();

  pty_host b, c, a;
  REQUIRE(start_host(b, tmp.path, "b", disc));
  REQUIRE(start_host(c, tmp.path, "c", disc));
  REQUIRE(start_host(a, tmp.path, "a", disc, {"--wl", b.pk}));
  for (auto* h : {&a, &b, &c})
    REQUIRE_MESSAGE(skywire::test::wait_for_text(h->log, "dmsgpty host", 40s),
                    skywire::test::read_text(h->log));

  auto cli = [&](const pty_host& from, const pty_host& to, std::vector<std::string> cmd,
                 const std::string& input = {}) {
    std::vector<std::string> args{binary, "dmsg", "pty", "cli", "--cli-addr", from.sock.string(),
                                  "--addr", to.pk};
    args.insert(args.end(), cmd.begin(), cmd.end());
    return run_with_input(tmp.path, args, input);
  };

  [&] { // a command through the proxy prints its output and exits 0
    auto r = cli(b, a, {"-c", "/bin/echo", "-a", "hello"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "hello\r\n");
    // piped input to a shell: runs, then the shell exits
    r = cli(b, a, {"-c", "/bin/sh"}, "echo hi-$((6*7)); exit\n");
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find("hi-42\r\n") != std::string::npos);
    // the end of piped input reaches the remote program as end of file
    r = cli(b, a, {"-c", "/bin/cat"}, "abc\n");
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out.find("abc\r\n") != std::string::npos);
    // a local pty on b's own socket
    auto l = run_with_input(tmp.path,
                            {binary, "dmsg", "pty", "cli", "--cli-addr", b.sock.string(), "-c",
                             "/bin/echo", "-a", "local", "-a", "pty"},
                            "");
    CHECK(l.code == 0);
    CHECK(l.out == "local pty\r\n");
  }();

  [&] { // a host not on the whitelist is refused until whitelist-add
    auto r = cli(c, a, {"-c", "/bin/echo", "-a", "hello"});
    CHECK(r.code != 0);
    CHECK(r.out.empty());
    CHECK(r.err.find("rejected") != std::string::npos);

    auto wl = [&](std::vector<std::string> more) {
      std::vector<std::string> args{binary, "dmsg", "pty"};
      args.insert(args.end(), more.begin(), more.end());
      args.push_back("--cli-addr");
      args.push_back(a.sock.string());
      return skywire::test::run(args, 20s);
    };
    auto list = wl({"whitelist", "--json"});
    REQUIRE(list.code == 0);
    CHECK(boost::json::parse(list.out) == boost::json::array{boost::json::string(b.pk)});
    REQUIRE(wl({"whitelist-add", c.pk}).code == 0);
    list = wl({"whitelist"});
    CHECK(list.out.find(c.pk + "\n") != std::string::npos);
    // persisted to a's config file
    auto conf = boost::json::parse(skywire::test::read_text(a.config)).as_object();
    CHECK(conf.at("wl").as_array().size() == 2);
    CHECK(conf.at("pk").as_string() == a.pk); // other keys kept

    r = cli(c, a, {"-c", "/bin/echo", "-a", "hello"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(r.out == "hello\r\n");

    REQUIRE(wl({"whitelist-remove", c.pk}).code == 0);
    r = cli(c, a, {"-c", "/bin/echo", "-a", "hello"});
    CHECK(r.code != 0);
    // a bad key is a usage error, nothing sent
    CHECK(wl({"whitelist-add", "nothex"}).code == 2);
  }();

  [&] { // SetPtySize reaches stty, Write answers while a Read waits, close reaps the child
    rpc_conn rc;
    REQUIRE(rc.open(b.sock, wp::proxy_request_uri({*skywire::public_key::from_hex(a.pk),
                                                   skywire::port{22}}))
            == 0);
    wp::command_req cmd{"/bin/sh", {"-c", "echo pid=$$; read x; stty size; sleep 60"}, std::nullopt};
    auto s = rc.call("pty.Start", wp::command_req_schema(), wp::command_req_value(cmd));
    auto started = rc.next();
    REQUIRE(started);
    CHECK(started->header.seq == s);
    CHECK(started->header.error.empty());

    std::vector<skywire::wire::rpc::inbound_response> others;
    auto out = read_until(rc, std::regex{"pid=([0-9]+)"}, others);
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex{"pid=([0-9]+)"}));
    pid_t child = std::stoi(m[1]);
    CHECK(::kill(child, 0) == 0);

    // a Read is outstanding while SetPtySize and Write are answered
    auto rseq = rc.call("pty.Read", wp::int_schema(), value::of_int(4096));
    auto sz = rc.call("pty.SetPtySize", wp::win_size_schema(),
                      wp::win_size_value({0, 0, 37, 111}));
    auto sz_reply = rc.next();
    REQUIRE(sz_reply);
    CHECK(sz_reply->header.seq == sz);
    CHECK(sz_reply->header.error.empty());
    auto w = rc.call("pty.Write", wp::bytes_schema(), value::of_bytes({'g', 'o', '\n'}));
    std::string text;
    bool write_answered = false, read_answered = false;
    for (int i = 0; i < 2; ++i) {
      auto r = rc.next();
      REQUIRE(r);
      if (r->header.seq == w) {
        write_answered = true;
        CHECK(r->reply.as_int() == 3);
      } else if (r->header.seq == rseq) {
        read_answered = true;
        text += r->reply.as_string();
      }
    }
    CHECK(write_answered);
    CHECK(read_answered);
    if (text.find("37 111") == std::string::npos)
      text += read_until(rc, std::regex{"37 111"}, others);
    CHECK(text.find("37 111") != std::string::npos);

    // closing the connection stops the remote child (no zombie left)
    rc.close();
    CHECK(pid_gone(child, 10s));
  }();

  [&] { // Stop ends the child; later Reads get EOF
    rpc_conn rc;
    REQUIRE(rc.open(a.sock, std::string{wp::pty_uri}) == 0);
    wp::command_req cmd{"/bin/sh", {"-c", "echo pid=$$; exec sleep 60"}, wp::win_size{0, 0, 24, 80}};
    rc.call("pty.Start", wp::command_req_schema(), wp::command_req_value(cmd));
    auto started = rc.next();
    REQUIRE(started);
    CHECK(started->header.error.empty());
    // a second Start while running is refused
    rc.call("pty.Start", wp::command_req_schema(), wp::command_req_value(cmd));
    auto again = rc.next();
    REQUIRE(again);
    CHECK(again->header.error == "a pty session is already running");
    std::vector<skywire::wire::rpc::inbound_response> others;
    auto out = read_until(rc, std::regex{"pid=([0-9]+)"}, others);
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex{"pid=([0-9]+)"}));
    pid_t child = std::stoi(m[1]);
    auto st = rc.call("pty.Stop", wp::empty_schema(), wp::empty_value());
    auto stopped = rc.next();
    REQUIRE(stopped);
    CHECK(stopped->header.seq == st);
    CHECK(stopped->header.error.empty());
    CHECK(pid_gone(child, 10s));
    rc.call("pty.Read", wp::int_schema(), value::of_int(10));
    auto eof = rc.next();
    REQUIRE(eof);
    CHECK(eof->header.error == "EOF");
    // unknown methods get net/rpc's error, the connection stays usable
    rc.call("pty.Nope", wp::empty_schema(), wp::empty_value());
    auto nope = rc.next();
    REQUIRE(nope);
    CHECK(nope->header.error == "rpc: can't find method pty.Nope");
    // the whitelist service is not served on a pty connection
    rc.call("whitelist.Whitelist", wp::empty_schema(), wp::empty_value());
    auto wl = rc.next();
    REQUIRE(wl);
    CHECK(wl->header.error == "rpc: can't find service whitelist.Whitelist");
  }();

  [&] { // bad requests are rejected
    rpc_conn rc;
    CHECK(rc.open(a.sock, "dmsgpty/nothing") == 1);
    rpc_conn rc2;
    CHECK(rc2.open(a.sock, "dmsgpty/proxy?pk=00&port=22") == 1);
  }();

  for (auto* h : {&a, &b, &c}) {
    CHECK(h->proc.stop(SIGTERM, 10s));
    CHECK(h->proc.exit_code() == 0);
    CHECK_FALSE(fs::exists(h->sock)); // the CLI socket is removed on exit
  }
  CHECK(local.stop(SIGTERM, 10s));
}
