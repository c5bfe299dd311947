// The visor's dmsghttp log server: the handler directly (health, log files
// by date under both paths, node-info and reward.txt for whitelisted keys
// only, strict names: no traversal, no escapes, no symlinks, what is not its
// own left to the file server), then plugged into the dmsghttp file server
// and driven over a fake dmsg stream.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <stdlib.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dmsg_tools/dmsghttp_file_server.hpp"
#include "actors/transport/log_server.hpp"
#include "messages/api/dmsg.hpp"
#include "messages/wire/health.hpp"
#include "runtime/config/visor_config.hpp"
#include "runtime/crypto/keys.hpp"

using namespace skywire;
namespace fs = std::filesystem;
namespace tp = skywire::transport;

namespace {

crypto::keypair kp(std::string_view seed) {
  return crypto::deterministic_keypair(
    byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

struct scratch_dir {
  fs::path path;
  scratch_dir() {
    auto tmpl = (fs::temp_directory_path() / "sw-logsrv-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write(const fs::path& p, const std::string& text) {
  std::ofstream out{p, std::ios::binary};
  out << text;
}

http::request get(std::string target, http::verb m = http::verb::get) {
  http::request r;
  r.method = m;
  r.target = target;
  auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos)
    r.query = target.substr(q + 1);
  return r;
}

const std::string csv = "tp_id,recv,sent,time_stamp\n"
                        "9ff2818c-b326-0541-9f0b-f73272312553,1024,2048,1700000000\n";

/// A local folder as a visor has it: local/, local/transport_logs/, a
/// secret next to them that must never be served.
struct site {
  scratch_dir d;
  fs::path logs = d.path / "local" / "transport_logs";
  fs::path local = d.path / "local";
  site() {
    fs::create_directories(logs);
    write(logs / "2023-11-14.csv", csv);
    write(logs / "notes.csv", "not a log");
    write(d.path / "secret.csv", "secret");
    write(local / "secret.csv", "secret");
    write(local / "reward.txt", "2jBbGxZRGoQG1mqhPBnXnLTxK6oxsTf8os6\n");
    fs::create_symlink(d.path / "secret.csv", logs / "2023-11-16.csv");
  }
};

} // namespace

TEST_CASE("log server: health, log files by date under both paths, strict names") {
  site s;
  tp::log_server_config cfg;
  cfg.transport_logs = s.logs;
  cfg.local_path = s.local;
  cfg.version = "v1.3.20-cpp";
  cfg.started_at_ns = 1'700'000'000'000'000'000;
  tp::log_server srv{cfg};
  auto anyone = kp("logsrv-anyone").pk;

  auto h = srv.handle(get("/health"), anyone);
  REQUIRE(h);
  CHECK(h->status == 200);
  auto health = wire::decode_health(h->body);
  REQUIRE(health);
  CHECK(health->build_info->version == "v1.3.20-cpp");
  CHECK(health->started_at == "2023-11-14T22:13:20Z");

  for (const char* path : {"/2023-11-14.csv", "/transport_logs/2023-11-14.csv",
                           "/2023-11-14.csv?download=1"}) {
    auto r = srv.handle(get(path), anyone);
    REQUIRE_MESSAGE(r, path);
    CHECK(r->status == 200);
    CHECK(r->body == csv);
    CHECK(r->content_type.find("text/csv") == 0);
  }
  auto head = srv.handle(get("/transport_logs/2023-11-14.csv", http::verb::head), anyone);
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(srv.handle(get("/health", http::verb::post), anyone)->status == 405);
  CHECK(srv.handle(get("/transport_logs/2023-11-14.csv", http::verb::delete_), anyone)->status
        == 405);

  // under /transport_logs/ only real day names of regular files: 404 for the rest
  for (const char* path :
       {"/transport_logs/2023-11-15.csv", "/transport_logs/../secret.csv",
        "/transport_logs/../../secret.csv", "/transport_logs/..%2fsecret.csv",
        "/transport_logs/%2e%2e/secret.csv", "/transport_logs/%32023-11-14.csv",
        "/transport_logs/2023-11-14.csv/", "/transport_logs/2023-11-14.csv/..",
        "/transport_logs/./2023-11-14.csv", "/transport_logs//2023-11-14.csv",
        "/transport_logs/notes.csv", "/transport_logs/2023-02-30.csv",
        "/transport_logs/2023-11-16.csv" /* a symlink to the secret */, "/transport_logs/"}) {
    auto r = srv.handle(get(path), anyone);
    REQUIRE_MESSAGE(r, path);
    CHECK_MESSAGE(r->status == 404, path);
    CHECK(r->body.find("secret") == std::string::npos);
  }
  auto with_nul = srv.handle(get(std::string("/transport_logs/2023-11-14.csv\0x", 32)), anyone);
  REQUIRE(with_nul);
  CHECK(with_nul->status == 404);
  // at the top level a name that is no log file of ours is the file server's
  for (const char* path : {"/2023-11-15.csv", "/notes.csv", "/../secret.csv", "/secret.csv",
                           "/2023-11-16.csv", "/index.html", "/", "/transport_logs"})
    CHECK_MESSAGE(!srv.handle(get(path), anyone), path);
  CHECK(srv.handle_or_404(get("/secret.csv"), anyone).status == 404);

  CHECK(tp::log_server::is_log_file_name("2023-11-14.csv"));
  CHECK_FALSE(tp::log_server::is_log_file_name("../2023-11-14.csv"));

  // no log folder (memory mode): nothing is served from the disk
  tp::log_server_config none;
  tp::log_server bare{none};
  CHECK(bare.handle(get("/transport_logs/2023-11-14.csv"), anyone)->status == 404);
  CHECK_FALSE(bare.handle(get("/2023-11-14.csv"), anyone));
}

TEST_CASE("log server: node-info and reward.txt only for whitelisted keys") {
  site s;
  auto hv = kp("logsrv-hypervisor"), stranger = kp("logsrv-stranger");
  tp::log_server_config cfg;
  cfg.transport_logs = s.logs;
  cfg.local_path = s.local;
  cfg.whitelist = {hv.pk};
  std::optional<std::string> survey;
  cfg.node_info = [&survey] { return survey; };
  tp::log_server srv{cfg};

  CHECK(srv.handle(get("/node-info"), stranger.pk)->status == 403);
  CHECK(srv.handle(get("/reward.txt"), stranger.pk)->status == 403);
  CHECK(srv.handle(get("/node-info"), hv.pk)->status == 404); // no survey yet
  survey = R"({"public_key":"02..","skycoin_address":"2jBb"})";
  auto r = srv.handle(get("/node-info"), hv.pk);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == *survey);
  CHECK(r->content_type == "application/json");
  r = srv.handle(get("/reward.txt"), hv.pk);
  CHECK(r->status == 200);
  CHECK(r->body == "2jBbGxZRGoQG1mqhPBnXnLTxK6oxsTf8os6\n");
  fs::remove(s.local / "reward.txt");
  CHECK(srv.handle(get("/reward.txt"), hv.pk)->status == 404);
  // the logs stay public
  CHECK(srv.handle(get("/2023-11-14.csv"), stranger.pk)->status == 200);

  // an empty whitelist admits nobody (the reference: everybody)
  tp::log_server_config open_cfg = cfg;
  open_cfg.whitelist.clear();
  tp::log_server closed{open_cfg};
  CHECK(closed.handle(get("/node-info"), hv.pk)->status == 403);

  // the whitelist from a visor config: survey whitelist, hypervisors, dmsgpty
  config::visor_config vc;
  auto k1 = kp("w1").pk, k2 = kp("w2").pk, k3 = kp("w3").pk;
  vc.survey_whitelist = {k1, k2};
  vc.hypervisors = {k2, k3};
  vc.dmsgpty.whitelist = {k1};
  CHECK(tp::log_server_whitelist(vc) == std::vector<public_key>{k1, k2, k3});
  vc.local_path = "./local";
  auto made = tp::make_log_server_config(vc);
  CHECK(made.transport_logs == fs::path{"./local/transport_logs"});
  CHECK(made.local_path == fs::path{"./local"});
  vc.transport.log_store.type = "memory";
  CHECK(tp::make_log_server_config(vc).transport_logs.empty());
}

namespace {

/// Drives one request through the dmsghttp file server's session over a
/// fake stream (a scoped actor standing in for the dmsg stream actor) and
/// returns the bytes written back.
std::string over_dmsg(caf::actor_system& sys, const caf::actor& server, const public_key& remote,
                      const std::string& request) {
  caf::scoped_actor stream{sys};
  api::stream_opened opened{caf::actor_cast<api::dmsg_stream_actor>(stream),
                            address{kp("logsrv-visor").pk, port{80}},
                            address{remote, port{49153}}};
  stream->send(server, api::accept_atom::value, opened);
  caf::actor owner;
  stream->receive([&owner](api::set_owner_atom, caf::actor& a) { owner = a; },
                  caf::after(std::chrono::seconds(4)) >> [] { FAIL("no set_owner"); });
  stream->send(owner, api::data_atom::value, api::byte_buffer(request.begin(), request.end()));
  std::string out;
  bool closed = false;
  while (!closed) {
    stream->receive(
      [&](api::write_atom, api::byte_buffer& b) {
        out.append(b.begin(), b.end());
        stream->send(owner, api::ack_atom::value, static_cast<uint64_t>(b.size()));
      },
      [](api::consumed_atom, uint32_t) {},
      [&](api::close_atom) { closed = true; },
      caf::after(std::chrono::seconds(4)) >> [&] {
        FAIL("no answer");
        closed = true;
      });
  }
  return out;
}

} // namespace

TEST_CASE("log server: plugged into the dmsghttp file server, files as fallback") {
  site s;
  auto hv = kp("logsrv-dmsg-hv"), stranger = kp("logsrv-dmsg-stranger");
  fs::create_directories(s.local / "custom");
  write(s.local / "custom" / "hello.txt", "hello\n");
  tp::log_server_config lc;
  lc.transport_logs = s.logs;
  lc.local_path = s.local;
  lc.whitelist = {hv.pk};
  lc.node_info = [] { return std::optional<std::string>{"{}"}; };
  auto ls = std::make_shared<tp::log_server>(lc);

  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  dmsg_tools::file_server_config fc;
  fc.root = s.local / "custom"; // dmsghttp_server_path
  fc.handler = [ls](const http::request& req, const public_key& remote) {
    return ls->handle(req, remote);
  };
  auto server = dmsg_tools::spawn_dmsghttp_file_server(sys, {}, fc);

  auto reply = over_dmsg(sys, server, stranger.pk,
                         "GET /transport_logs/2023-11-14.csv HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(reply.find("HTTP/1.1 200 OK\r\n") == 0);
  CHECK(reply.find("Content-Type: text/csv") != std::string::npos);
  CHECK(reply.find("Content-Length: " + std::to_string(csv.size())) != std::string::npos);
  CHECK(reply.substr(reply.size() - csv.size()) == csv);

  reply = over_dmsg(sys, server, stranger.pk, "GET /node-info HTTP/1.1\r\n\r\n");
  CHECK(reply.find("HTTP/1.1 403 Forbidden\r\n") == 0);
  reply = over_dmsg(sys, server, hv.pk, "GET /node-info HTTP/1.1\r\n\r\n");
  CHECK(reply.find("HTTP/1.1 200 OK\r\n") == 0);
  CHECK(reply.substr(reply.size() - 2) == "{}");

  // what the handler leaves goes to the files under the root
  reply = over_dmsg(sys, server, stranger.pk, "GET /hello.txt HTTP/1.1\r\n\r\n");
  CHECK(reply.find("HTTP/1.1 200 OK\r\n") == 0);
  CHECK(reply.substr(reply.size() - 6) == "hello\n");
  for (const char* bad : {"GET /../secret.csv HTTP/1.1\r\n\r\n",
                          "GET /%2e%2e/secret.csv HTTP/1.1\r\n\r\n",
                          "GET /transport_logs/../secret.csv HTTP/1.1\r\n\r\n",
                          "GET /2023-11-16.csv HTTP/1.1\r\n\r\n"}) {
    reply = over_dmsg(sys, server, stranger.pk, bad);
    CHECK_MESSAGE(reply.find("secret") == std::string::npos, bad);
    CHECK_MESSAGE(reply.find(" 200 ") == std::string::npos, bad);
  }
  // HEAD: the head of the handler's answer, no body
  reply = over_dmsg(sys, server, stranger.pk, "HEAD /2023-11-14.csv HTTP/1.1\r\n\r\n");
  CHECK(reply.find("HTTP/1.1 200 OK\r\n") == 0);
  CHECK(reply.find("Content-Length: " + std::to_string(csv.size())) != std::string::npos);
  CHECK(reply.substr(reply.size() - 4) == "\r\n\r\n");

  // without a root only the handler answers
  dmsg_tools::file_server_config bare;
  bare.handler = fc.handler;
  auto only_logs = dmsg_tools::spawn_dmsghttp_file_server(sys, {}, bare);
  reply = over_dmsg(sys, only_logs, stranger.pk, "GET /hello.txt HTTP/1.1\r\n\r\n");
  CHECK(reply.find("HTTP/1.1 404 Not Found\r\n") == 0);
  reply = over_dmsg(sys, only_logs, stranger.pk, "GET /health HTTP/1.1\r\n\r\n");
  CHECK(reply.find("HTTP/1.1 200 OK\r\n") == 0);
  caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(only_logs, caf::exit_reason::user_shutdown);
}
