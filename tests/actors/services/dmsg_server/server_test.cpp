// The dmsg server over loopback with raw test clients: XK handshake, stream
// relay both ways with end-to-end flow control, FIN/RST, and every
// robustness case while a healthy A<->B stream keeps working.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/services/dmsg_server.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/http/client.hpp"
#include "tests/actors/services/dmsg_server/raw_client.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace dmsg_server_test;
namespace svc = skywire::services;

namespace {

// Teardown: stop the server and wait until every session released its
// socket; then the io_runtime goes first (dropping callbacks that still hold
// actor handles) and the actor system after it.
struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  io::io_runtime io{1};
  crypto::keypair server_keys = crypto::generate_keypair();
  svc::dmsg_server_handle h;

  explicit fixture(int64_t max_sessions = 16,
                   std::chrono::milliseconds idle = std::chrono::milliseconds{60000}) {
    svc::dmsg_server_config c;
    c.pk = server_keys.pk;
    c.sk = server_keys.sk;
    c.discovery = "";
    c.local_address = "127.0.0.1:0";
    c.health_endpoint_address = "127.0.0.1:0";
    c.public_address = "";
    c.max_sessions = max_sessions;
    c.limits.handshake_timeout = std::chrono::milliseconds{400};
    c.limits.idle_timeout = idle;
    c.limits.keepalive_interval = std::chrono::milliseconds{200};
    auto r = svc::spawn_dmsg_server(sys, io, c);
    REQUIRE(r);
    h = *r;
  }
  ~fixture() {
    auto reg = h.registry;
    h.stop();
    // Every session released its socket and left the registry; the actor
    // system's destructor then waits for the actors themselves.
    eventually([&] { return reg->connections() == 0 && reg->tracked().empty(); });
  }

  /// The registry's counters report no event: a bounded poll.
  template <class Pred>
  bool eventually(Pred p, std::chrono::milliseconds limit = std::chrono::milliseconds{3000}) {
    return skywire::test::eventually(p, limit, std::chrono::milliseconds{5});
  }

  bool connect(raw_client& c) {
    if (!c.connect_and_handshake(h.port, server_keys.pk))
      return false;
    return eventually([&] { return h.registry->find(c.pk()) != caf::actor{}; });
  }
};

bytes pattern(size_t n, uint8_t seed) {
  bytes b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

/// Opens a stream A -> B through the server; returns (A's id, B's id).
std::pair<uint32_t, uint32_t> open_ab(raw_client& a, raw_client& b, uint32_t a_id) {
  auto req = a.open_stream(a_id, {b.pk(), port{45}});
  auto b_id = b.accept_stream();
  REQUIRE(b_id);
  CHECK((*b_id % 2) == 0);
  auto got = b.read_object(*b_id);
  REQUIRE(got);
  CHECK(*got == req.bytes); // the same signed bytes, re-encrypted
  auto v = dmsg::verify_stream_request(*got);
  REQUIRE(v);
  b.respond(*b_id, *v);
  auto resp = a.read_object(a_id);
  REQUIRE(resp);
  auto vr = dmsg::verify_stream_response(*resp, req.hash, b.pk(), true);
  CHECK(vr);
  return {a_id, *b_id};
}

/// A short echo-free exchange both ways on an open stream.
void ping_pong(raw_client& a, uint32_t a_id, raw_client& b, uint32_t b_id, uint8_t seed) {
  auto x = pattern(100, seed);
  a.send_data(a_id, x);
  auto got = b.read_data(b_id, x.size());
  REQUIRE(got);
  CHECK(*got == x);
  auto y = pattern(77, static_cast<uint8_t>(seed + 1));
  b.send_data(b_id, y);
  auto got2 = a.read_data(a_id, y.size());
  REQUIRE(got2);
  CHECK(*got2 == y);
}

} // namespace

TEST_CASE("XK handshake from a raw client registers the session, health reports it") {
  fixture f;
  raw_client a;
  REQUIRE(f.connect(a));
  CHECK(f.h.registry->sessions() == 1);
  http::client_request r;
  r.port = f.h.health_port;
  r.target = "/health";
  r.timeout = std::chrono::seconds{3};
  auto res = http::request_sync(r);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body.find("\"sessions\":1") != std::string::npos);
  CHECK(res->body.find("\"available_sessions\":15") != std::string::npos);
  CHECK(res->body.find("\"started_at\"") != std::string::npos);
  a.close();
  CHECK(f.eventually([&] { return f.h.registry->sessions() == 0; }));
  CHECK(f.eventually([&] { return f.h.registry->connections() == 0; }));
}

TEST_CASE("two clients through one server, both directions, FIN propagated") {
  fixture f;
  raw_client a, b;
  REQUIRE(f.connect(a));
  REQUIRE(f.connect(b));
  auto [x, y] = open_ab(a, b, 1);
  ping_pong(a, x, b, y, 1);
  // B -> A direction opened by B too.
  auto [y2, x2] = open_ab(b, a, 1);
  ping_pong(b, y2, a, x2, 9);
  // FIN from A reaches B; B's FIN reaches A.
  a.send_frame(ym::frame_type::window_update, ym::flag::fin, x, 0);
  bool fin = false;
  auto rest = b.read_data(y, 1, std::chrono::milliseconds{2000}, &fin);
  CHECK(fin);
  b.send_frame(ym::frame_type::window_update, ym::flag::fin, y, 0);
  fin = false;
  a.read_data(x, 1, std::chrono::milliseconds{2000}, &fin);
  CHECK(fin);
  // The other stream still works.
  ping_pong(b, y2, a, x2, 20);
}

TEST_CASE("bulk relay: 4 MiB A to B within the yamux windows") {
  fixture f;
  raw_client a, b;
  REQUIRE(f.connect(a));
  REQUIRE(f.connect(b));
  auto [x, y] = open_ab(a, b, 1);
  const size_t total = 4 << 20;
  const size_t chunk = 32 * 1024;
  auto data = pattern(total, 3);
  size_t sent = 0;
  uint64_t used = 0; // A's bytes in flight against its window
  bytes received;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  while (received.size() < total && std::chrono::steady_clock::now() < deadline) {
    // A writes while the server's credit allows.
    // (the request object used ~400 bytes of the first window: keep 1 KiB spare)
    while (sent < total && used + chunk + 1024 <= 256 * 1024 + a.granted(x)) {
      a.send_data(x, bytes(data.begin() + static_cast<std::ptrdiff_t>(sent),
                           data.begin() + static_cast<std::ptrdiff_t>(sent + chunk)));
      sent += chunk;
      used += chunk;
    }
    auto got = b.read_data(y, 1, std::chrono::milliseconds{200});
    if (got)
      received.insert(received.end(), got->begin(), got->end());
    // Drain A's window updates.
    while (a.next(std::chrono::milliseconds{1})) {
    }
  }
  CHECK(received.size() == total);
  CHECK(received == data);
  // Never more than one window ahead of what B took: + the request object
  // and the server's relay buffer (one window), which may have grown up to
  // the relay window cap (B kept up)
  const svc::dmsg_session_limits lim;
  CHECK(a.granted(x) <= total + 1024 + std::max<size_t>(lim.relay_buffer, lim.relay_window_cap - 256 * 1024));
  // the relay counted what it moved (the /metrics figures): every body byte
  // of every frame A sent, each copied once into the per-read batch
  auto st = f.h.registry->relay();
  CHECK(st->frames.load() == total / chunk);
  CHECK(st->bytes.load() == total);
  CHECK(st->copied_bytes.load() >= total);
  CHECK(st->writes.load() >= 1); // split to B's window updates: may exceed the frames
  ping_pong(a, x, b, y, 5);
}

TEST_CASE("dial to a key without a session is reset at once, bad requests reset the stream only") {
  fixture f;
  raw_client a, b;
  REQUIRE(f.connect(a));
  REQUIRE(f.connect(b));
  auto [x, y] = open_ab(a, b, 1);

  // No session for this key: RST within a short time (the reference waits 20 s).
  auto nobody = crypto::generate_keypair();
  a.open_stream(3, {nobody.pk, port{45}});
  auto t0 = std::chrono::steady_clock::now();
  bool reset = false;
  for (int i = 0; i < 10 && !reset; ++i) {
    auto fr = a.next(std::chrono::milliseconds{500});
    if (fr && fr->hdr.stream_id == 3 && fr->hdr.has(ym::flag::rst))
      reset = true;
  }
  CHECK(reset);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds{2});

  // A request signed by someone else (SrcAddr.PK != session key): reset.
  {
    wire::dmsg::stream_request req;
    req.timestamp = 1;
    auto mallory = crypto::generate_keypair();
    req.src = {mallory.pk, port{1000}};
    req.dst = {b.pk(), port{45}};
    auto sr = dmsg::make_stream_request(req, mallory.sk);
    a.send_object(5, sr.bytes, ym::flag::syn);
    bool r5 = false;
    for (int i = 0; i < 10 && !r5; ++i) {
      auto fr = a.next(std::chrono::milliseconds{500});
      if (fr && fr->hdr.stream_id == 5 && fr->hdr.has(ym::flag::rst))
        r5 = true;
    }
    CHECK(r5);
  }
  // Garbage in place of the object: reset.
  a.send_frame(ym::frame_type::window_update, ym::flag::syn, 7, 0);
  auto junk = pattern(40, 1);
  junk[0] = 0;
  junk[1] = 38; // a well-formed object frame that does not decrypt
  a.send_data(7, junk);
  bool r7 = false;
  for (int i = 0; i < 10 && !r7; ++i) {
    auto fr = a.next(std::chrono::milliseconds{500});
    if (fr && fr->hdr.stream_id == 7 && fr->hdr.has(ym::flag::rst))
      r7 = true;
  }
  CHECK(r7);
  ping_pong(a, x, b, y, 40);

  // RST from B reaches A.
  b.send_frame(ym::frame_type::window_update, ym::flag::rst, y, 0);
  bool rx = false;
  for (int i = 0; i < 10 && !rx; ++i) {
    auto fr = a.next(std::chrono::milliseconds{500});
    if (fr && fr->hdr.stream_id == x && fr->hdr.has(ym::flag::rst))
      rx = true;
  }
  CHECK(rx);
}

TEST_CASE("robustness: garbage, bad handshakes, oversized frames, window abuse, half-open") {
  fixture f;
  raw_client a, b;
  REQUIRE(f.connect(a));
  REQUIRE(f.connect(b));
  auto [x, y] = open_ab(a, b, 1);
  ping_pong(a, x, b, y, 1);

  SUBCASE("garbage instead of a handshake") {
    raw_client g;
    REQUIRE(g.connect(f.h.port));
    g.send_raw(pattern(300, 9));
    CHECK(g.wait_eof(std::chrono::milliseconds{2000}));
  }
  SUBCASE("a handshake message of the right size with junk inside") {
    raw_client g;
    REQUIRE(g.connect(f.h.port));
    bytes m(2 + 49, 0x11);
    m[0] = 0;
    m[1] = 49;
    g.send_raw(m);
    CHECK(g.wait_eof(std::chrono::milliseconds{2000}));
  }
  SUBCASE("handshake with the wrong server key") {
    raw_client g;
    REQUIRE(g.connect(f.h.port));
    CHECK(!g.handshake(crypto::generate_keypair().pk));
    CHECK(g.wait_eof(std::chrono::milliseconds{2000}));
  }
  SUBCASE("extra bytes after handshake message 3 (error 203)") {
    raw_client g;
    REQUIRE(g.connect(f.h.port));
    // A yamux ping glued to message 3 in the same write.
    bytes ping;
    ym::append_frame(ping, ym::header{0, ym::frame_type::ping, ym::flag::syn, 0, 1});
    REQUIRE(g.handshake(f.server_keys.pk, ping));
    CHECK(g.wait_eof(std::chrono::milliseconds{2000}));
    CHECK(!f.h.registry->find(g.pk()));
  }
  SUBCASE("silence: half-open connection closed at the handshake deadline") {
    raw_client g;
    REQUIRE(g.connect(f.h.port));
    CHECK(g.wait_eof(std::chrono::milliseconds{3000}));
  }
  SUBCASE("oversized yamux data frame") {
    raw_client g;
    REQUIRE(f.connect(g));
    g.send_frame(ym::frame_type::window_update, ym::flag::syn, 1, 0);
    auto big = ym::encode(ym::header{0, ym::frame_type::data, 0, 1, 64u << 20});
    g.send_raw(bytes(big.begin(), big.end()));
    CHECK(g.wait_eof(std::chrono::milliseconds{2000}));
  }
  SUBCASE("invalid yamux header") {
    raw_client g;
    REQUIRE(f.connect(g));
    g.send_raw(bytes{7, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0});
    CHECK(g.wait_eof(std::chrono::milliseconds{2000}));
  }
  SUBCASE("a client sending beyond its stream window") {
    raw_client g;
    REQUIRE(f.connect(g));
    g.open_stream(1, {b.pk(), port{45}});
    // B never answers; g floods the stream past 256 KiB.
    for (int i = 0; i < 5; ++i)
      g.send_data(1, bytes(64 * 1024, 1));
    CHECK(g.wait_eof(std::chrono::milliseconds{3000}));
    // B saw a stream open that will be reset; drain it.
    (void) b.next(std::chrono::milliseconds{200});
  }
  // Whatever happened above, the A<->B stream still works.
  ping_pong(a, x, b, y, 77);
  CHECK(f.h.registry->find(a.pk()));
  CHECK(f.h.registry->find(b.pk()));
}

TEST_CASE("a session silent after the handshake is closed at the idle timeout") {
  fixture f(16, std::chrono::milliseconds{600});
  raw_client g;
  g.answer_pings(false);
  REQUIRE(f.connect(g));
  CHECK(g.wait_eof(std::chrono::milliseconds{4000}));
  CHECK(f.eventually([&] { return !f.h.registry->find(g.pk()); }));
  CHECK(f.eventually([&] { return f.h.registry->connections() == 0; }));
  // A client that answers the server's pings stays.
  raw_client k;
  REQUIRE(f.connect(k));
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{1500};
  while (std::chrono::steady_clock::now() < until)
    (void) k.next(std::chrono::milliseconds{100});
  CHECK(!k.eof());
  CHECK(f.h.registry->find(k.pk()));
}

TEST_CASE("max_sessions is enforced, a freed slot is usable again") {
  fixture f(3);
  raw_client c1, c2, c3, c4;
  REQUIRE(f.connect(c1));
  REQUIRE(f.connect(c2));
  REQUIRE(f.connect(c3));
  REQUIRE(c4.connect(f.h.port));
  CHECK(c4.wait_eof(std::chrono::milliseconds{2000}));
  CHECK(f.h.registry->refused() >= 1);
  CHECK(f.h.registry->available() == 0);
  c1.close();
  CHECK(f.eventually([&] { return f.h.registry->connections() == 2; }));
  raw_client c5;
  REQUIRE(f.connect(c5));
  CHECK(f.h.registry->sessions() == 3);
}

TEST_CASE("a client's new session replaces its old one") {
  fixture f;
  auto kp = crypto::generate_keypair();
  raw_client first(kp), second(kp);
  REQUIRE(f.connect(first));
  auto old = f.h.registry->find(kp.pk);
  REQUIRE(second.connect_and_handshake(f.h.port, f.server_keys.pk));
  CHECK(f.eventually([&] { return f.h.registry->find(kp.pk) != old; }));
  CHECK(first.wait_eof(std::chrono::milliseconds{2000}));
  CHECK(f.h.registry->sessions() == 1);
  // The new session relays.
  raw_client b;
  REQUIRE(f.connect(b));
  auto [x, y] = open_ab(second, b, 1);
  ping_pong(second, x, b, y, 3);
}

TEST_CASE("a peer session dying resets the relayed stream on the other side") {
  fixture f;
  raw_client a, b;
  REQUIRE(f.connect(a));
  REQUIRE(f.connect(b));
  auto [x, y] = open_ab(a, b, 1);
  b.close();
  bool rx = false;
  for (int i = 0; i < 10 && !rx; ++i) {
    auto fr = a.next(std::chrono::milliseconds{500});
    if (fr && fr->hdr.stream_id == x && fr->hdr.has(ym::flag::rst))
      rx = true;
  }
  CHECK(rx);
  CHECK(f.eventually([&] { return f.h.registry->sessions() == 1; }));
}

TEST_CASE("config: parse, defaults, errors, config gen round trip") {
  auto gen = svc::generate_dmsg_server_config(false);
  auto text = svc::to_json(gen);
  CHECK(text.find("\"public_key\": \"" + gen.pk.hex() + "\"") != std::string::npos);
  CHECK(text.find("\"max_sessions\": 2048") != std::string::npos);
  CHECK(text.find("\"local_address\": \":8081\"") != std::string::npos);
  auto back = svc::parse_dmsg_server_config(text);
  REQUIRE(back);
  CHECK(back->pk == gen.pk);
  CHECK(back->sk == gen.sk);
  CHECK(back->max_sessions == 2048);
  CHECK(back->effective_update_interval() == std::chrono::minutes{1});
  CHECK(svc::generate_dmsg_server_config(true).discovery == "http://dmsgd.skywire.dev");

  auto kp = crypto::generate_keypair();
  auto other = crypto::generate_keypair();
  std::string ok = R"({"public_key":")" + kp.pk.hex() + R"(","secret_key":")" + kp.sk.hex()
                   + R"(","discovery":"http://127.0.0.1:9090","public_address":"127.0.0.1:8081",)"
                     R"("local_address":"127.0.0.1:8081","health_endpoint_address":"127.0.0.1:8082",)"
                     R"("log_level":"info","update_interval":30000000000,"max_sessions":10})";
  auto c = svc::parse_dmsg_server_config(ok);
  REQUIRE(c);
  CHECK(c->update_interval == std::chrono::seconds{30});
  CHECK(c->max_sessions == 10);
  auto mismatch = ok;
  mismatch.replace(mismatch.find(kp.pk.hex()), 66, other.pk.hex());
  CHECK(!svc::parse_dmsg_server_config(mismatch));
  CHECK(!svc::parse_dmsg_server_config("[]"));
  CHECK(!svc::parse_dmsg_server_config("{\"secret_key\":\"zz\"}"));
  CHECK(!svc::parse_dmsg_server_config("{}")); // no secret key
  auto neg = ok;
  neg.replace(neg.find("\"max_sessions\":10"), 17, "\"max_sessions\":-1");
  CHECK(!svc::parse_dmsg_server_config(neg));
  auto badaddr = ok;
  badaddr.replace(badaddr.find("127.0.0.1:8081\",\"health"), 14, "127.0.0.1:99999");
  CHECK(!svc::parse_dmsg_server_config(badaddr));
  CHECK(svc::parse_host_port("[::1]:80")->host == "::1");
  CHECK(svc::parse_host_port(":8081")->host.empty());
  CHECK(!svc::parse_host_port("nope"));
}

// 64 streams A -> B through one server; B stops reading its socket for a
// while (the scenario: 10 s in production, 2 s here), then resumes. The
// server must neither close B's session (its write queue is bounded) nor
// drop a byte: it stops crediting A, A stalls on its windows, and what the
// server holds stays within streams x (window + relay buffer) plus the
// connection's soft bound.
TEST_CASE("64 streams into a reader that stops reading: senders stall, nothing lost, bounded") {
  fixture f;
  raw_client a, b;
  REQUIRE(f.connect(a));
  REQUIRE(f.connect(b));
  b.set_receive_buffer(64 * 1024);
  constexpr size_t n = 64;
  constexpr size_t per = 1 << 20; // per stream: more than the server and kernels can hold
  constexpr size_t chunk = 16 * 1024;
  constexpr size_t window = 256 * 1024;
  const size_t relay_buffer = svc::dmsg_session_limits{}.relay_buffer;
  // what A's streams may grow by together (their readers kept up at first)
  const size_t growth = svc::dmsg_session_limits{}.relay_growth_budget;
  const size_t cap = std::max<size_t>(window + relay_buffer, svc::dmsg_session_limits{}.relay_window_cap);
  const size_t sink_limit = svc::dmsg_session_limits{}.relay_sink_limit;
  // 2 s in ctest; SKYWIRE_STALL_SECONDS=10 runs the issue's 10 s form
  const char* stall_env = std::getenv("SKYWIRE_STALL_SECONDS");
  const auto pause = std::chrono::seconds{stall_env ? std::clamp(std::atoi(stall_env), 1, 25) : 2};
  auto stats = f.h.registry->relay();
  auto rss_kib = [] {
    std::ifstream in{"/proc/self/status"};
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0)
        return std::stol(line.substr(6));
    return 0L;
  };
  const long rss_start = rss_kib();

  std::vector<uint32_t> xs(n), ys(n);
  std::map<uint32_t, size_t> index_of_y;
  for (size_t i = 0; i < n; ++i) {
    auto [x, y] = open_ab(a, b, static_cast<uint32_t>(1 + 2 * i));
    xs[i] = x;
    ys[i] = y;
    index_of_y[y] = i;
  }
  auto payload = [](size_t i, size_t off, size_t len) {
    bytes c(len);
    for (size_t k = 0; k < len; ++k)
      c[k] = static_cast<uint8_t>(i * 31 + (off + k) * 7 + (off + k) / 4099);
    return c;
  };
  std::vector<size_t> sent(n, 0);
  std::vector<bytes> got(n);
  // A writes every stream as far as the server's credit allows (the request
  // object used ~400 bytes of the first window: keep 1 KiB spare); true if
  // anything was written.
  auto a_writes = [&] {
    bool any = false;
    for (size_t i = 0; i < n; ++i)
      while (sent[i] < per && sent[i] + chunk + 1024 <= window + a.granted(xs[i])) {
        a.send_data(xs[i], payload(i, sent[i], chunk));
        sent[i] += chunk;
        any = true;
      }
    return any;
  };
  auto a_drains = [&] {
    while (a.next(std::chrono::milliseconds{0})) {
    }
  };
  auto a_stalled = [&] {
    for (size_t i = 0; i < n; ++i)
      if (sent[i] < per && sent[i] + chunk + 1024 <= window + a.granted(xs[i]))
        return false;
    return true;
  };

  // Phase 1: B reads nothing. A writes until no window is left, at least
  // for `pause`; no window update may come while B does not read.
  auto t0 = std::chrono::steady_clock::now();
  auto deadline = t0 + std::chrono::seconds{30};
  while (std::chrono::steady_clock::now() < deadline) {
    a_writes();
    a_drains();
    if (a_stalled() && std::chrono::steady_clock::now() - t0 >= pause)
      break;
    (void) a.next(std::chrono::milliseconds{20}); // wait for a window update, if any
  }
  REQUIRE(a_stalled());
  size_t total_sent = 0;
  for (auto s : sent)
    total_sent += s;
  CHECK(total_sent < n * per); // A really stalled: the server stopped crediting it
  CHECK(f.h.registry->find(b.pk()));
  const size_t bound = n * (window + relay_buffer) + growth;
  CHECK(stats->queued.load() <= bound);
  CHECK(stats->queued.load() > 0);
  MESSAGE("stalled " << pause.count() << " s: sent " << total_sent << " queued "
                     << stats->queued.load() << " peak " << stats->queued_peak.load()
                     << " sink peak " << stats->sink_peak.load() << "; process RSS "
                     << rss_start << " KiB at start, " << rss_kib() << " KiB while stalled");

  // Phase 2: B reads again (granting each frame back); everything arrives.
  size_t total_got = 0;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  while (total_got < n * per && std::chrono::steady_clock::now() < deadline) {
    bool progress = a_writes();
    a_drains();
    for (int k = 0; k < 256; ++k) {
      auto fr = b.next(std::chrono::milliseconds{progress ? 0 : 5});
      if (!fr)
        break;
      REQUIRE(!fr->hdr.has(ym::flag::rst));
      auto it = index_of_y.find(fr->hdr.stream_id);
      if (it == index_of_y.end() || fr->body.empty())
        continue;
      auto& g = got[it->second];
      g.insert(g.end(), fr->body.begin(), fr->body.end());
      total_got += fr->body.size();
      b.send_frame(ym::frame_type::window_update, 0, fr->hdr.stream_id,
                   static_cast<uint32_t>(fr->body.size()));
      progress = true;
    }
  }
  CHECK(total_got == n * per);
  for (size_t i = 0; i < n; ++i) {
    REQUIRE(got[i].size() == per);
    CHECK(crypto::sha256(got[i]) == crypto::sha256(payload(i, 0, per)));
  }
  CHECK(stats->queued_peak.load() <= bound);
  CHECK(stats->sink_peak.load() <= sink_limit + 2 * cap);
  CHECK(f.eventually([&] { return stats->queued.load() == 0; }));
  CHECK(f.h.registry->find(a.pk()));
  CHECK(f.h.registry->find(b.pk()));
  ping_pong(a, xs[0], b, ys[0], 9);
}
