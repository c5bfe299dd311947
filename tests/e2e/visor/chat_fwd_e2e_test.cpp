// skychat, SkyNet forwarding and rewards between visor processes (issue 11): SkyNet forwarding
// (`cli fwd` on one visor, `cli rev` on the other, an HTTP server behind
// the forwarded port) and skychat (a message delivered over a route, in
// both histories and on the receiver's /sse). The local network is
// `skywire svc local` and two visors with an stcp transport A-B
// (local_net.hpp); every process is stopped by PID.
#include <doctest/doctest.h>

#include <atomic>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/http/server.hpp"
#include "runtime/io/io_runtime.hpp"
#include "tests/e2e/visor/local_net.hpp"

using namespace e2e_visor;

namespace {

/// Two visors A and B, transport A-B, routes possible between them;
/// `edit` changes both configs.
struct two_visors {
  local_net net;
  visor_proc a, b;

  explicit two_visors(const std::function<void(json::object&)>& edit = {}) {
    net.make(b, "b", nullptr, 0, edit);
    start_visor(b, "visor started");
    net.make(a, "a", &b, local_net::stcp_port(b), edit);
    start_visor(a, "visor started");
    net.await_dmsg({&a, &b});
    net.add_transport(a, b);
    net.await_route(a, b);
  }
  std::string logs() const { return net.logs({&a, &b}); }
};

/// A local HTTP server (B's side): GET /hello, POST /echo answers the body
/// with a header naming its length.
struct http_backend {
  skywire::io::io_runtime io{1};
  std::unique_ptr<skywire::http::server> srv;
  std::atomic<int> requests{0};
  uint16_t port = 0;

  http_backend() {
    skywire::http::router r;
    r.get("/hello", [this](skywire::http::request, skywire::http::responder res) {
      ++requests;
      res.send(skywire::http::make_response(200, "hello from behind the route\n", "text/plain"));
    });
    skywire::http::route_options big;
    big.body_limit = 4 << 20;
    r.post(
      "/echo",
      [this](skywire::http::request req, skywire::http::responder res) {
        ++requests;
        auto out = skywire::http::make_response(200, req.body, "application/octet-stream");
        out.headers.emplace_back("X-Echo-Length", std::to_string(req.body.size()));
        res.send(std::move(out));
      },
      big);
    skywire::http::server_config cfg;
    cfg.host = "127.0.0.1";
    srv = std::make_unique<skywire::http::server>(io, cfg, std::move(r));
    auto p = srv->start();
    REQUIRE(p);
    port = *p;
  }
  ~http_backend() {
    srv->stop();
    io.stop();
  }
};

skywire::http::response request(uint16_t port, skywire::http::verb m, const std::string& target,
                                 std::string body = {}) {
  skywire::http::client_request r;
  r.method = m;
  r.port = port;
  r.target = target;
  r.body = std::move(body);
  r.timeout = 20s;
  r.response_limit = 8 << 20;
  auto res = skywire::http::request_sync(r);
  REQUIRE_MESSAGE(res, skywire::describe(res.error()));
  return *res;
}

/// A loopback TCP port nobody listens on right now.
uint16_t free_port() {
  auto p = free_tcp_udp_port();
  REQUIRE(p != 0);
  return p;
}

} // namespace

TEST_CASE("chat/fwd e2e: a forwarded port carries HTTP requests both ways (cli fwd on B, cli rev on A)") {
  two_visors net;
  http_backend backend;
  auto& a = net.a;
  auto& b = net.b;
  auto bport = std::to_string(backend.port);

  // A asks for a port B has not registered: the reference's refusal
  auto lport0 = std::to_string(free_port());
  auto refused = cli({"cli", "rev", "-k", b.pk, "-r", bport, "-p", lport0, "--rpc", a.rpc});
  REQUIRE_MESSAGE(refused.code != 0, refused.out, net.logs());
  CHECK(refused.err.find("Port :" + bport + " not registered") != std::string::npos);

  // B registers its local port: listed, kept in B's local folder
  auto reg = cli({"cli", "fwd", "-p", bport, "--rpc", b.rpc});
  REQUIRE_MESSAGE(reg.code == 0, reg.err, net.logs());
  auto ls = cli({"cli", "fwd", "-l", "--json", "--rpc", b.rpc});
  REQUIRE(ls.code == 0);
  CHECK(json::parse(ls.out) == json::array{backend.port});
  CHECK(skywire::test::read_text(b.dir / "local" / "skyfwd-ports.json") == "[" + bport + "]\n");
  // a port nothing listens on cannot be registered
  auto dead = cli({"cli", "fwd", "-p", std::to_string(free_port()), "--rpc", b.rpc});
  CHECK(dead.code != 0);
  CHECK(dead.err.find("No connection on local port") != std::string::npos);

  // A opens a local port tunnelling to B's registered port
  auto lport = free_port();
  auto rev = cli({"cli", "rev", "-k", b.pk, "-r", bport, "-p", std::to_string(lport), "--json",
                  "--rpc", a.rpc});
  REQUIRE_MESSAGE(rev.code == 0, rev.err, net.logs());
  auto id = std::string{json::parse(rev.out).as_string()};
  CHECK(id.size() == 36);
  auto list = json::parse(cli({"cli", "rev", "-l", "--json", "--rpc", a.rpc}).out).as_object();
  REQUIRE(list.contains(id));
  CHECK(list.at(id).at("RemotePort") == backend.port);
  CHECK(list.at(id).at("LocalPort") == lport);

  // a GET and a 1 MiB POST through A's local port, answered by B's backend
  auto hello = request(lport, skywire::http::verb::get, "/hello");
  REQUIRE_MESSAGE(hello.status == 200, hello.body, net.logs());
  CHECK(hello.body == "hello from behind the route\n");
  std::string payload(1 << 20, '\0');
  for (size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>((i * 2654435761u) >> 13);
  auto echo = request(lport, skywire::http::verb::post, "/echo", payload);
  REQUIRE_MESSAGE(echo.status == 200, net.logs());
  CHECK(echo.body.size() == payload.size());
  CHECK(echo.body == payload);
  CHECK(backend.requests.load() == 2);

  // disconnect: the local port closes
  auto disc = cli({"cli", "rev", "-d", id, "--rpc", a.rpc});
  REQUIRE_MESSAGE(disc.code == 0, disc.err);
  skywire::http::client_request r;
  r.port = lport;
  r.target = "/hello";
  r.timeout = 5s;
  CHECK_FALSE(skywire::http::request_sync(r));
  // and B deregisters
  CHECK(cli({"cli", "fwd", "-d", bport, "--rpc", b.rpc}).code == 0);
  CHECK(json::parse(cli({"cli", "fwd", "-l", "--json", "--rpc", b.rpc}).out).as_array().empty());
}

TEST_CASE("chat/fwd e2e: reward address set, shown, refused when invalid, deleted") {
  skywire::test::temp_dir tmp;
  visor_proc v;
  make_visor(v, tmp.path, "v", [](json::object&) {});
  start_visor(v, "visor started");
  auto show = cli({"cli", "reward", "--rpc", v.rpc});
  REQUIRE(show.code == 0);
  CHECK(show.out == "reward address not set\n");
  auto bad = cli({"cli", "reward", "2jBbGxZRGoQG1mqhPBnXnLTxK6oxsTf8os7", "--rpc", v.rpc});
  CHECK(bad.code != 0);
  CHECK(bad.err.find("checksum") != std::string::npos);
  CHECK_FALSE(fs::exists(v.dir / "local" / "reward.txt"));
  auto set = cli({"cli", "reward", "2jBbGxZRGoQG1mqhPBnXnLTxK6oxsTf8os6", "--rpc", v.rpc});
  REQUIRE_MESSAGE(set.code == 0, set.err);
  CHECK(skywire::test::read_text(v.dir / "local" / "reward.txt")
        == "2jBbGxZRGoQG1mqhPBnXnLTxK6oxsTf8os6");
  auto json_show = cli({"cli", "reward", "--json", "--rpc", v.rpc});
  CHECK(json_show.out == "\"2jBbGxZRGoQG1mqhPBnXnLTxK6oxsTf8os6\"\n");
  CHECK(cli({"cli", "reward", "-d", "--rpc", v.rpc}).code == 0);
  CHECK_FALSE(fs::exists(v.dir / "local" / "reward.txt"));
  v.p.stop(SIGTERM, 10s);
}

namespace {

/// A subscriber of a skychat's /sse: a raw loopback socket whose received
/// text grows as events come.
struct sse_client {
  int fd = -1;
  std::string text;

  explicit sse_client(uint16_t port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    std::string req = "GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
    REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
  }
  ~sse_client() {
    if (fd >= 0)
      ::close(fd);
  }
  /// Reads until `needle` was received or `limit` passed.
  bool wait_for(const std::string& needle, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (text.find(needle) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return false;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        continue;
      char buf[4096];
      auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0)
        return false;
      text.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
};

void with_skychat(json::object& c) {
  json::object app;
  app["name"] = "skychat";
  app["binary"] = "skychat";
  app["args"] = json::array{"--addr", "127.0.0.1:0"};
  app["auto_start"] = true;
  app["port"] = 1;
  c["launcher"].as_object()["apps"] = json::array{app};
}

uint16_t chat_port(visor_proc& v) {
  return port_from_log(v.log, "serving HTTP", "serving HTTP.*addr=127\\.0\\.0\\.1:(\\d+)");
}

} // namespace

TEST_CASE("chat/fwd e2e: a chat message is delivered over a route, in both histories and on /sse") {
  two_visors net(with_skychat);
  auto& a = net.a;
  auto& b = net.b;
  auto a_web = chat_port(a);
  auto b_web = chat_port(b);
  sse_client sse(b_web);
  REQUIRE(sse.wait_for("text/event-stream", 5s));

  // A -> B: the first message dials B's port 1
  auto addr = [](uint16_t p) { return "127.0.0.1:" + std::to_string(p); };
  auto sent = cli({"cli", "chat", "send", b.pk, "hello", "over", "skywire", "<&>", "--addr",
                   addr(a_web)});
  REQUIRE_MESSAGE(sent.code == 0, sent.err, net.logs());
  auto event = "data: {\"message\":\"hello over skywire \\u003c\\u0026\\u003e\",\"sender\":\""
               + a.pk + "\"}\n\n";
  REQUIRE_MESSAGE(sse.wait_for(event, 10s), sse.text, net.logs());

  // both histories have it: B's incoming from A, A's outgoing to B
  auto hist = [&](uint16_t web) {
    auto r = cli({"cli", "chat", "history", "--json", "--addr", addr(web)});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    return json::parse(r.out).as_array();
  };
  auto hb = hist(b_web);
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].at("peer") == a.pk.c_str());
  CHECK(hb[0].at("dir") == "in");
  CHECK(hb[0].at("message") == "hello over skywire <&>");
  auto ha = hist(a_web);
  REQUIRE(ha.size() == 1);
  CHECK(ha[0].at("peer") == b.pk.c_str());
  CHECK(ha[0].at("dir") == "out");

  // B answers on the route A dialed (cached on both sides)
  sse_client sse_a(a_web);
  REQUIRE(sse_a.wait_for("text/event-stream", 5s));
  auto back = cli({"cli", "chat", "send", a.pk, "hi A", "--addr", addr(b_web)});
  REQUIRE_MESSAGE(back.code == 0, back.err, net.logs());
  REQUIRE_MESSAGE(sse_a.wait_for("\"message\":\"hi A\",\"sender\":\"" + b.pk + "\"", 10s),
                  sse_a.text, net.logs());
  CHECK(hist(a_web).size() == 2);
  // the history is kept in the app's work folder, one JSON line per message
  auto text_b = cli({"cli", "chat", "history", "--addr", addr(b_web)});
  CHECK(text_b.out.find("<- " + a.pk + "  hello over skywire <&>") != std::string::npos);
  CHECK(text_b.out.find("-> " + a.pk + "  hi A") != std::string::npos);

  // a bad recipient is the sender's 400, not a crash
  auto bad = cli({"cli", "chat", "send", "nope", "x", "--addr", addr(a_web)});
  CHECK(bad.code != 0);
}
