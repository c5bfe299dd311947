// The visor's dmsghttp log server (actors/visor/log_server_host) over a real
// dmsg deployment in process: /health and a transport log file fetched over
// dmsghttp (dmsg_tools::spawn_http_fetch, what `dmsg curl` runs), and again
// after the server side's dmsg client was restarted (a new client set in its
// client_ref: the host listens on port 80 of the new one).
#include <doctest/doctest.h>

#include <ctime>
#include <fstream>

#include <boost/json.hpp>

#include "actors/dmsg_tools/http_fetch.hpp"
#include "actors/transport/log_server.hpp"
#include "actors/visor/log_server_host.hpp"
#include "runtime/system/supervision.hpp"
#include "messages/wire/transport/log_csv.hpp"
#include "tests/actors/transport/dmsg_world.hpp"
#include "tests/support/wait.hpp"

using namespace skywire;
using namespace std::chrono_literals;
using dmsg_test::dmsg_node;
using dmsg_test::dmsg_world;
using dmsg_test::start_client;
namespace fs = std::filesystem;

namespace {

struct fetched {
  unsigned status = 0;
  std::string body;
  caf::error err;
};

fetched fetch(dmsg_world& w, const api::dmsg_client_actor& client, const public_key& pk,
              const std::string& target) {
  dmsg_tools::fetch_request req;
  req.url = dmsg_tools::dmsg_url{pk, 80, target};
  req.dial_timeout = 5s;
  req.idle_timeout = 5s;
  auto out = std::make_shared<fetched>();
  auto a = dmsg_tools::spawn_http_fetch(w.sys, client, req, [out](const uint8_t* d, size_t n) {
    out->body.append(reinterpret_cast<const char*>(d), n);
    return true;
  });
  caf::scoped_actor self{w.sys};
  self->request(a, 15s, caf::ok_atom::value)
    .receive([&](dmsg_tools::fetch_result& r) { out->status = r.status; },
             [&](caf::error& err) { out->err = std::move(err); });
  return *out;
}

/// Fetches until an answer comes (the host listens and the server's entry
/// names its session a moment after the client is ready), bounded.
fetched fetch_retry(dmsg_world& w, const api::dmsg_client_actor& client, const public_key& pk,
                    const std::string& target) {
  fetched r;
  skywire::test::eventually(
    [&] {
      r = fetch(w, client, pk, target);
      return r.status != 0;
    },
    4s, 100ms);
  return r;
}

} // namespace

TEST_CASE("log server host: /health and log files over dmsghttp, again after a dmsg client restart") {
  dmsg_world w;
  dmsg_node srv;
  srv.key = tp_test::identity("log-host-server");
  start_client(w, srv);
  dmsg_node cli;
  cli.key = tp_test::identity("log-host-client");
  start_client(w, cli);

  auto logs = w.dir / "transport_logs";
  fs::create_directories(logs);
  auto today = wire::transport::log_file_name(std::time(nullptr));
  const std::string csv = "tp_id,recv,sent,time_stamp\n"
                          "9ff2818c-b326-0541-9f0b-f73272312553,1024,2048,1700000000\n";
  std::ofstream{logs / today} << csv;

  transport::log_server_config lc;
  lc.transport_logs = logs;
  lc.version = "test";
  auto ls = std::make_shared<const transport::log_server>(lc);
  dmsg_tools::file_server_config files;
  files.dmsg_port = 80;
  files.handler = [ls](const http::request& req, const public_key& remote) {
    return ls->handle(req, remote);
  };
  auto host = visor::spawn_log_server_host(w.sys, srv.ref, files);
  w.to_stop.push_back(host);

  auto health = fetch_retry(w, cli.client, srv.key.pk, "/health");
  REQUIRE_MESSAGE(health.status == 200, describe(health.err));
  auto h = boost::json::parse(health.body).as_object();
  CHECK(h.at("build_info").as_object().at("version") == "test");
  auto file = fetch(w, cli.client, srv.key.pk, "/transport_logs/" + today);
  CHECK(file.status == 200);
  CHECK(file.body == csv);
  auto other = fetch(w, cli.client, srv.key.pk, "/transport_logs/../secret.csv");
  CHECK(other.status == 404);

  // the server side's dmsg client restarts: port 80 again on the new one
  caf::anon_send_exit(srv.client, caf::exit_reason::kill);
  start_client(w, srv);
  auto again = fetch_retry(w, cli.client, srv.key.pk, "/" + today);
  REQUIRE_MESSAGE(again.status == 200, describe(again.err));
  CHECK(again.body == csv);

  // its status for `visor info`
  caf::scoped_actor self{w.sys};
  std::string info;
  self->request(caf::actor_cast<skywire::system::info_provider_actor>(host), 5s,
                 skywire::system::info_atom::value)
    .receive([&](std::string& s) { info = std::move(s); }, [](caf::error&) {});
  auto io = boost::json::parse(info).as_object();
  CHECK(io.at("listening") == true);
  CHECK(io.at("port") == 80);
}
