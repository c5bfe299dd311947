// `skywire cli proxy` and skysocks' service registration between visor
// processes (issue 11): `skywire svc local` (with its service discovery and
// uptime tracker) and visors A and B with an stcp transport A-B
// (local_net.hpp). B runs skysocks (registered: type skysocks, <B>:3) and a
// second skysocks with a passcode (not registered); both visors send their
// uptime heartbeat. A server registered by a key whose visor never sent a
// heartbeat stands for a dead one: `proxy list` leaves it out, `-o` shows
// it. A starts its proxy client to B with `proxy start -k`, curl fetches a
// file from a local HTTP server through it, `proxy status` shows it
// connected, `proxy stop` stops it; a second instance (-n) gets its own
// entry, `proxy stop --all` stops it; skysocks stopped on B deletes its
// entry. Every process is stopped by PID.
#include <doctest/doctest.h>

#include <future>

#include "actors/transport/sd_client.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/server.hpp"
#include "runtime/io/io_runtime.hpp"
#include "runtime/system/build_info.hpp"
#include "tests/e2e/visor/local_net.hpp"
#include "tests/support/e2e_helpers.hpp"

using namespace e2e_visor;

namespace {

json::object app_entry(const std::string& name, json::array args, int port, bool auto_start) {
  return json::object{{"name", name},
                      {"binary", "skywire"},
                      {"args", std::move(args)},
                      {"auto_start", auto_start},
                      {"port", port}};
}

/// A loopback HTTP server with one file, GET /file.
struct file_server {
  std::string body = [] {
    auto b = skywire::test::pseudo_random(256 * 1024, 7);
    return std::string{b.begin(), b.end()};
  }();
  skywire::io::io_runtime io{1};
  std::unique_ptr<skywire::http::server> srv;
  uint16_t port = 0;

  file_server() {
    skywire::http::router r;
    r.get("/file", [this](skywire::http::request, skywire::http::responder res) {
      res.send(skywire::http::make_response(200, body, "application/octet-stream"));
    });
    skywire::http::server_config cfg;
    cfg.host = "127.0.0.1";
    srv = std::make_unique<skywire::http::server>(io, cfg, std::move(r));
    auto p = srv->start();
    REQUIRE(p);
    port = *p;
  }
  ~file_server() {
    srv->stop();
    io.stop();
  }
};

/// `skywire cli proxy <args…> --json` against A's visor or the services.
json::value proxy_json(std::vector<std::string> args) {
  args.insert(args.begin(), {"cli", "proxy"});
  args.push_back("--json");
  auto r = cli(args);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  return json::parse(r.out);
}

std::vector<std::string> addresses(const json::value& list) {
  std::vector<std::string> out;
  for (const auto& e : list.as_array())
    out.emplace_back(e.at("address").as_string());
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

} // namespace

TEST_CASE("cli proxy e2e: skysocks registered and listed online, a dead server left out, proxy "
          "start/status/stop through curl, the entry deleted when skysocks stops, none with a "
          "passcode") {
  if (!skywire::test::have_curl()) {
    const char* ci = std::getenv("CI");
    if (ci && std::string{ci} == "true")
      FAIL("curl is needed");
    MESSAGE("skipped: curl missing");
    return;
  }
  local_net net;
  const auto sd_url = net.url("service_discovery");
  const auto ut_url = net.url("uptime_tracker");
  const auto sd_port = net.url_port("service_discovery");
  const auto ut_port = net.url_port("uptime_tracker");
  visor_proc a, b;
  net.make(b, "b", nullptr, 0, [&](json::object& cfg) {
    cfg["launcher"].as_object()["apps"] = json::array{
      app_entry("skysocks", json::array{"app", "skysocks"}, 3, true),
      app_entry("skysocks-locked", json::array{"app", "skysocks", "--passcode", "s3cret"}, 5,
                true)};
  });
  start_visor(b, "visor started");
  net.make(a, "a", &b, local_net::stcp_port(b), [&](json::object& cfg) {
    cfg["launcher"].as_object()["apps"] =
      json::array{app_entry("skysocks-client", json::array{"app", "skysocks-client"}, 13, false)};
  });
  start_visor(a, "visor started");
  net.await_dmsg({&a, &b});
  net.add_transport(a, b);
  net.await_route(a, b);

  // B's skysocks registered (the locked one not), and B is online at the tracker
  const std::string b_addr = b.pk + ":3";
  REQUIRE_MESSAGE(eventually(
                    [&] {
                      return http_get(sd_port, "/api/services?type=skysocks").find(b_addr)
                             != std::string::npos;
                    },
                    15s),
                  net.logs({&a, &b}));
  REQUIRE(skywire::test::wait_for_text(b.log, "a passcode is set", 10s));
  auto listed = json::parse(http_get(sd_port, "/api/services?type=skysocks")).as_array();
  CHECK(listed.size() == 1);
  CHECK(listed[0].at("version").as_string() == skywire::system::version());
  REQUIRE(eventually(
    [&] { return http_get(ut_port, "/uptime/" + b.pk).find("\"online\":true") != std::string::npos; },
    15s));

  // a server whose visor sends no heartbeat (registered by its key directly)
  auto dead = skywire::crypto::generate_keypair();
  {
    skywire::io::io_runtime io{1};
    auto c = skywire::transport::sd_client::make(io, sd_url, dead.pk, dead.sk);
    REQUIRE(c);
    skywire::wire::service_entry e;
    e.pk = dead.pk;
    e.prt = skywire::port{3};
    e.type = "skysocks";
    e.version = skywire::system::version();
    std::promise<bool> done;
    c->register_service(e, [&](skywire::expected<skywire::wire::service_entry> r) {
      done.set_value(static_cast<bool>(r));
    });
    auto f = done.get_future();
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    REQUIRE(f.get());
  }
  const std::string dead_addr = dead.pk.hex() + ":3";

  // list: the online one only; -o: both (the tracker not asked)
  auto online = proxy_json({"list", "--sd", sd_url, "--ut", ut_url});
  CHECK(addresses(online) == std::vector<std::string>{b_addr});
  CHECK(online.as_array()[0].at("online") == true);
  CHECK(online.as_array()[0].at("type") == "skysocks");
  auto everything = proxy_json({"list", "-o", "--sd", sd_url, "--ut", "http://127.0.0.1:1"});
  CHECK(everything.as_array().size() == 2);
  CHECK(has(addresses(everything), b_addr));
  CHECK(has(addresses(everything), dead_addr));
  auto by_key = proxy_json({"list", "-o", "-k", dead.pk.hex(), "--sd", sd_url});
  CHECK(addresses(by_key) == std::vector<std::string>{dead_addr});

  // start the client on A to B; curl through it
  file_server www;
  auto started = proxy_json({"start", "-k", b.pk, "-a", "127.0.0.1:0", "-t", "20", "--rpc", a.rpc});
  CHECK(started.at("name") == "skysocks-client");
  CHECK(started.at("connected") == true);
  CHECK(started.at("server").as_string() == b.pk);
  auto port = port_from_log(a.log, "server=" + b.pk + " listen=127.0.0.1",
                            "server=" + b.pk + " listen=127\\.0\\.0\\.1:(\\d+)");
  auto r = skywire::test::run({"curl", "-sS", "--fail", "-x",
                               "socks5h://127.0.0.1:" + std::to_string(port),
                               "http://127.0.0.1:" + std::to_string(www.port) + "/file"},
                              30s);
  REQUIRE_MESSAGE(r.code == 0, r.err, net.logs({&a, &b}));
  CHECK(r.out == www.body);

  // the server's key and address are in A's config file (written back)
  auto cfg = json::parse(skywire::test::read_text(a.config)).as_object();
  bool written = false;
  for (const auto& e : cfg["launcher"].as_object()["apps"].as_array())
    if (e.at("name") == "skysocks-client") {
      std::vector<std::string> args;
      for (const auto& x : e.at("args").as_array())
        args.emplace_back(x.as_string());
      written = has(args, b.pk) && has(args, "127.0.0.1:0") && e.at("port") == 13;
    }
  CHECK(written);

  auto st = proxy_json({"status", "--rpc", a.rpc}).as_array();
  REQUIRE(st.size() == 1);
  CHECK(st[0].at("state") == "running");
  CHECK(st[0].at("connected") == true);
  CHECK(st[0].at("server").as_string() == b.pk);
  CHECK(st[0].at("addr") == "127.0.0.1:0");

  auto stopped = proxy_json({"stop", "--rpc", a.rpc}).as_array();
  REQUIRE(stopped.size() == 1);
  CHECK(stopped[0].at("state") == "stopped");
  st = proxy_json({"status", "--rpc", a.rpc}).as_array();
  REQUIRE(st.size() == 1);
  CHECK(st[0].at("connected") == false);
  CHECK(st[0].at("state") == "stopped");

  // a second instance (-n): a new launcher.apps entry on the lowest free port; stop --all
  auto second = proxy_json(
    {"start", "-k", b.pk, "-n", "proxy-2", "-a", "127.0.0.1:0", "-t", "20", "--rpc", a.rpc});
  CHECK(second.at("name") == "proxy-2");
  CHECK(second.at("connected") == true);
  CHECK(second.at("port") == 10);
  CHECK(proxy_json({"status", "--rpc", a.rpc}).as_array().size() == 2);
  auto all = proxy_json({"stop", "--all", "--rpc", a.rpc}).as_array();
  REQUIRE(all.size() == 1);
  CHECK(all[0].at("name") == "proxy-2");
  CHECK(all[0].at("state") == "stopped");
  CHECK(skywire::test::read_text(a.config).find("proxy-2") != std::string::npos);

  // skysocks stopped on B: its entry is deleted (the dead one stays, offline)
  call_json(b, {"app", "stop", "skysocks"});
  REQUIRE_MESSAGE(eventually(
                    [&] {
                      return http_get(sd_port, "/api/services?type=skysocks").find(b_addr)
                             == std::string::npos;
                    },
                    10s),
                  skywire::test::read_text(b.log));
  CHECK(skywire::test::wait_for_text(b.log, "service discovery entry deleted", 5s));
  CHECK(proxy_json({"list", "--sd", sd_url, "--ut", ut_url}).as_array().empty());

  // without a visor: a clear error
  auto none = cli({"cli", "proxy", "status", "--rpc", "unix://" + (net.tmp.path / "none.sock").string()});
  CHECK(none.code != 0);
  CHECK(none.err.find("is it running") != std::string::npos);
}
