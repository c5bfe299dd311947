// `skywire svc local`: the control plane in one process on loopback. Every
// service it lists answers /health, the dmsg server is registered in the
// discovery, the address resolver's UDP side is bound, and SIGTERM stops
// it cleanly. The process is stopped (and on failure killed) by PID.
#include <doctest/doctest.h>

#include <csignal>

#include <boost/json.hpp>

#include "runtime/http/client.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/build_paths.hpp"

using namespace std::chrono_literals;
using skywire::test::process;

namespace {
const std::string binary = SKYWIRE_BINARY;

skywire::http::response get(const std::string& url, const std::string& path) {
  auto req = skywire::http::make_client_request(skywire::http::verb::get, url + path);
  REQUIRE(req);
  req->timeout = 2s;
  auto res = skywire::http::request_sync(*req);
  REQUIRE_MESSAGE(res, url << path);
  return *res;
}
} // namespace

TEST_CASE("skywire svc local: help, usage errors") {
  auto r = skywire::test::run({binary, "svc", "local", "--help"}, 10s);
  CHECK(r.code == 0);
  CHECK(r.out.find("--ephemeral") != std::string::npos);
  CHECK(skywire::test::run({binary, "svc", "local", "--ports", "tpd=x"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "local", "--servers", "0"}, 10s).code == 2);
  CHECK(skywire::test::run({binary, "svc", "local", "--bogus"}, 10s).code == 2);
}

TEST_CASE("skywire svc local: every service up on loopback, stopped by SIGTERM") {
  skywire::test::temp_dir tmp;
  REQUIRE(!tmp.path.empty());
  auto log = tmp.path / "local.log";
  auto info_file = tmp.path / "info.json";
  process p;
  REQUIRE(skywire::test::spawn(p,
                               {binary, "svc", "local", "--ephemeral", "--servers", "2",
                                "--info-file", info_file.string()},
                               log));
  REQUIRE_MESSAGE(skywire::test::eventually([&] { return std::filesystem::exists(info_file); }, 10s),
                  skywire::test::read_text(log));
  auto info = boost::json::parse(skywire::test::read_text(info_file)).as_object();
  for (const char* k :
       {"dmsg_discovery", "transport_discovery", "address_resolver", "route_finder"}) {
    REQUIRE_MESSAGE(info.contains(k), k);
    std::string url{info.at(k).as_string()};
    CHECK(url.rfind("http://127.0.0.1:", 0) == 0);
    auto h = get(url, "/health");
    CHECK_MESSAGE(h.status == 200, k);
    CHECK(boost::json::parse(h.body).as_object().contains("started_at"));
  }
  // visors send the resolver's UDP side to its URL's port: ephemeral, the
  // two sides still share one number
  {
    std::string ar_url{info.at("address_resolver").as_string()};
    auto ar_port = std::stoll(ar_url.substr(ar_url.rfind(':') + 1));
    CHECK(info.at("address_resolver_udp").as_int64() == ar_port);
  }
  // both dmsg servers registered themselves in the discovery
  auto servers = info.at("dmsg_servers").as_array();
  REQUIRE(servers.size() == 2);
  std::string disc{info.at("dmsg_discovery").as_string()};
  CHECK(skywire::test::eventually(
    [&] {
      auto all = get(disc, "/dmsg-discovery/all_servers");
      for (const auto& s : servers)
        if (all.body.find(s.at("pk").as_string().c_str()) == std::string::npos)
          return false;
      return true;
    },
    10s));
  REQUIRE(p.stop(SIGTERM, 10s));
  CHECK(p.exit_code() == 0);
}
