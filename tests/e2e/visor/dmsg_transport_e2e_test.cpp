// End to end: two visor processes, `skywire dmsg local` (dmsg discovery and
// server) and our transport discovery (`skywire svc tpd`), all on loopback,
// with generated configs. A dmsg transport A -> B (a dmsg stream to B:45):
// up on both sides with the same ID, pings both ways, its entry in the
// discovery, the bandwidth log CSV of the day with its non-zero counters,
// B's dmsghttp log server on dmsg port 80 answering `dmsg curl` (/health,
// /transport_logs/<today>.csv), `tp rm` closing both sides and
// deregistering. Every process is killed by PID if a check fails.
#include <doctest/doctest.h>

#include <ctime>
#include <filesystem>
#include <fstream>

#include <boost/json.hpp>

#include "messages/wire/transport/log_csv.hpp"
#include "runtime/http/client.hpp"
#include "tests/support/e2e_helpers.hpp"
#include "tests/support/build_paths.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;
using skywire::test::eventually;
using skywire::test::process;
using skywire::test::read_text;

namespace {

const std::string skywire_bin = SKYWIRE_BINARY;

skywire::test::run_result sw(std::vector<std::string> args, std::chrono::seconds limit = 30s) {
  args.insert(args.begin(), skywire_bin);
  auto r = skywire::test::run(std::move(args), limit);
  REQUIRE_FALSE(r.timed_out);
  return r;
}

struct dmsg_visor {
  fs::path dir;
  fs::path config;
  fs::path log;
  fs::path tp_logs; ///< transport.log_store.location
  std::string rpc;
  std::string pk;
  process p;
};

struct dmsg_cluster {
  skywire::test::temp_dir tmp;
  process control; ///< dmsg discovery + server
  process tpd;
  std::string disc;
  uint16_t tpd_port = 0;
  dmsg_visor a, b;

  dmsg_cluster() {
    REQUIRE(!tmp.path.empty());
    auto info_file = tmp.path / "dmsg-local.json";
    REQUIRE(skywire::test::spawn(control,
                                 {skywire_bin, "dmsg", "local", "--info-file", info_file.string()},
                                 tmp.path / "dmsg-local.log"));
    auto info = skywire::test::wait_for_file(info_file, 30s);
    REQUIRE_MESSAGE(info, read_text(tmp.path / "dmsg-local.log"));
    disc = json::parse(*info).as_object().at("discovery").as_string().c_str();
    auto tpd_log = tmp.path / "tpd.log";
    REQUIRE(skywire::test::spawn(tpd, {skywire_bin, "svc", "tpd", "-a", "127.0.0.1:0"}, tpd_log));
    REQUIRE_MESSAGE(skywire::test::wait_for_text(tpd_log, "transport discovery listening", 5s),
                    read_text(tpd_log));
    auto port = skywire::test::match(read_text(tpd_log), "addr=127\\.0\\.0\\.1:(\\d+)");
    REQUIRE_FALSE(port.empty());
    tpd_port = static_cast<uint16_t>(std::stoi(port));
    make(b, "b");
    make(a, "a");
    start(b);
    start(a);
  }

  void make(dmsg_visor& v, const std::string& name) {
    v.dir = tmp.path / name;
    fs::create_directories(v.dir);
    v.config = v.dir / "skywire-config.json";
    v.log = v.dir / "visor.log";
    v.tp_logs = v.dir / "transport_logs";
    auto r = sw({"cli", "config", "gen", "--local", "-o", v.config.string(), "--local-path",
                 (v.dir / "local").string()});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    auto c = json::parse(read_text(v.config)).as_object();
    v.pk = std::string{c["pk"].as_string()};
    // loopback only: dmsg through the local control plane, our TPD, stcp on
    // an ephemeral loopback port (no pk_table), no stcpr
    auto& dmsg = c["dmsg"].as_object();
    dmsg["discovery"] = disc;
    dmsg["sessions_count"] = 1;
    dmsg["servers"] = json::array{};
    auto& stcp = c["skywire-tcp"].as_object();
    stcp["listening_address"] = "127.0.0.1:0";
    stcp["pk_table"] = nullptr;
    auto& t = c["transport"].as_object();
    t["discovery"] = "http://127.0.0.1:" + std::to_string(tpd_port);
    t["address_resolver"] = "";
    if (!t.contains("log_store") || !t["log_store"].is_object())
      t["log_store"] = json::object{};
    t["log_store"].as_object()["type"] = "file";
    t["log_store"].as_object()["location"] = v.tp_logs.string();
    auto tmpfile = v.config;
    tmpfile += ".tmp";
    std::ofstream{tmpfile} << json::serialize(c);
    fs::rename(tmpfile, v.config);
    v.rpc = "unix://" + (v.dir / "local" / "cli.sock").string();
  }

  void start(dmsg_visor& v) {
    REQUIRE(skywire::test::spawn(v.p, {skywire_bin, "visor", "-c", v.config.string()}, v.log));
    REQUIRE_MESSAGE(skywire::test::wait_for_text(v.log, "dmsg transport listener up", 20s),
                    read_text(v.log));
    REQUIRE_MESSAGE(skywire::test::wait_for_text(v.log, "dmsghttp log server listening", 20s),
                    read_text(v.log));
  }

  json::value call(const dmsg_visor& v, std::vector<std::string> args) {
    args.insert(args.begin(), {"cli", "visor"});
    args.insert(args.end(), {"--json", "--rpc", v.rpc});
    auto r = sw(args);
    REQUIRE_MESSAGE(r.code == 0, r.err, "\n", read_text(v.log));
    return json::parse(r.out);
  }

  json::array tp_ls(const dmsg_visor& v) { return call(v, {"tp", "ls"}).as_array(); }

  std::string all_transports() {
    skywire::http::client_request r;
    r.port = tpd_port;
    r.target = "/all-transports";
    r.timeout = 2s;
    auto res = skywire::http::request_sync(r);
    REQUIRE(res);
    return res->body;
  }

  /// `skywire dmsg curl dmsg://<pk>:80<path>`
  skywire::test::run_result curl(const dmsg_visor& v, const std::string& path) {
    return sw({"dmsg", "curl", "-q", "-D", disc, "dmsg://" + v.pk + ":80" + path}, 60s);
  }
};

} // namespace

TEST_CASE("dmsg transport between two visors: up, data both ways, TPD, logs, log server, tp rm") {
  dmsg_cluster c;
  CHECK(json::serialize(c.call(c.a, {"tp", "type"})) == "[\"dmsg\",\"stcp\"]");

  // A dials B's dmsg port 45; B's entry in the dmsg discovery names its
  // server a moment after its session is up: retried for a bounded time
  std::string id;
  skywire::test::run_result last;
  REQUIRE_MESSAGE(eventually(
                    [&] {
                      last = sw({"cli", "visor", "tp", "add", c.b.pk, "-t", "dmsg", "--json",
                                 "--rpc", c.a.rpc});
                      if (last.code != 0)
                        return false;
                      auto s = json::parse(last.out).as_object();
                      CHECK(s["state"] == "up");
                      CHECK(s["type"] == "dmsg");
                      id = s["id"].as_string().c_str();
                      return true;
                    },
                    20s),
                  last.err, "\n", read_text(c.a.log));

  // tp ls on both sides: the same ID
  auto la = c.tp_ls(c.a);
  REQUIRE(la.size() == 1);
  CHECK(la[0].as_object()["id"] == id.c_str());
  CHECK(la[0].as_object()["role"] == "initiator");
  REQUIRE(eventually([&] { return c.tp_ls(c.b).size() == 1; }, 5s));
  auto lb = c.tp_ls(c.b);
  CHECK(lb[0].as_object()["id"] == id.c_str());
  CHECK(lb[0].as_object()["type"] == "dmsg");
  CHECK(lb[0].as_object()["remote_pk"] == c.a.pk.c_str());
  CHECK(lb[0].as_object()["role"] == "responder");

  // data both ways
  for (auto* v : {&c.a, &c.b}) {
    auto p = c.call(*v, {"tp", "ping", "-i", id});
    CHECK(p.as_object()["rtt_us"].to_number<uint64_t>() > 0);
  }

  // in the transport discovery (registered by B, the responder)
  CHECK(eventually([&] { return c.all_transports().find(id) != std::string::npos; }, 5s));
  auto by_id = c.call(c.a, {"tp", "disc", "-i", id});
  CHECK(by_id.as_object()["type"] == "dmsg");

  // the bandwidth log of the day on both sides (written every 3 s)
  auto today = skywire::wire::transport::log_file_name(std::time(nullptr));
  for (auto* v : {&c.a, &c.b}) {
    auto file = v->tp_logs / today;
    std::optional<skywire::wire::transport::log_row> row;
    CHECK_MESSAGE(eventually(
                    [&] {
                      auto rows = skywire::wire::transport::decode_log_csv(read_text(file));
                      if (!rows)
                        return false;
                      for (auto& r : *rows)
                        if (r.id.to_string() == id)
                          row = r;
                      return row && row->recv >= 32 && row->sent >= 32;
                    },
                    10s),
                  file.string(), ": ", read_text(file));
    REQUIRE(row);
    CHECK(row->recv == 32);
    CHECK(row->sent == 32);
  }

  // B's log server on dmsg port 80
  auto health = c.curl(c.b, "/health");
  REQUIRE_MESSAGE(health.code == 0, health.err);
  auto h = json::parse(health.out).as_object();
  CHECK(h.contains("build_info"));
  CHECK(h.contains("started_at"));
  auto csv = c.curl(c.b, "/transport_logs/" + today);
  REQUIRE_MESSAGE(csv.code == 0, csv.err);
  CHECK(csv.out.rfind("tp_id,recv,sent,time_stamp\n", 0) == 0);
  CHECK(csv.out.find(id + ",32,32,") != std::string::npos);
  auto top = c.curl(c.b, "/" + today);
  CHECK(top.code == 0);
  CHECK(top.out == csv.out);

  // tp rm on A: closed on both sides, deregistered
  auto rm = sw({"cli", "visor", "tp", "rm", "-i", id, "--rpc", c.a.rpc});
  CHECK_MESSAGE(rm.code == 0, rm.err);
  CHECK(eventually([&] { return c.tp_ls(c.a).empty() && c.tp_ls(c.b).empty(); }, 5s));
  CHECK(eventually([&] { return c.all_transports().find(id) == std::string::npos; }, 5s));
  CHECK(skywire::test::wait_for_text(c.b.log, "cause=\"the peer closed the connection\"", 2s));
}
