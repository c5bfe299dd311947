#include "cli/local_deployment.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/dmsg/client.hpp"
#include "actors/services/route_finder/graph_source.hpp"
#include "actors/services/setup_node/setup_node.hpp"
#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/service_process.hpp"
#include "cli/stop_signal.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/system/actor_system.hpp"
#include "runtime/system/build_info.hpp"

namespace skywire::cli {

namespace {

constexpr const char* loopback = "127.0.0.1";

std::string url_of(uint16_t port) {
  return std::string{"http://"} + loopback + ":" + std::to_string(port);
}

/// A loopback port number free for both TCP and UDP now (0: none found).
/// Visors send the address resolver's UDP side to its URL's port, so an
/// ephemeral resolver needs one number for both.
uint16_t free_tcp_and_udp_port() {
  namespace asio = boost::asio;
  asio::io_context ctx;
  auto addr = asio::ip::make_address_v4(loopback);
  for (int i = 0; i < 64; ++i) {
    boost::system::error_code ec;
    asio::ip::tcp::acceptor a{ctx};
    a.open(asio::ip::tcp::v4(), ec);
    if (!ec)
      a.bind({addr, 0}, ec);
    if (ec)
      continue;
    auto port = a.local_endpoint(ec).port();
    asio::ip::udp::socket u{ctx};
    u.open(asio::ip::udp::v4(), ec);
    if (!ec)
      u.bind({addr, port}, ec);
    if (!ec && port != 0)
      return port;
  }
  return 0;
}

} // namespace

void drain_dmsg_server(const services::dmsg_server_handle& h) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (h.registry && h.registry->connections() > 0
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

bool write_file_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc};
    if (!out)
      return false;
    out << text;
    out.flush();
    if (!out)
      return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

expected<local_deployment> local_deployment::start(caf::actor_system& sys, io::io_runtime& io,
                                                   const local_deployment_options& o) {
  local_deployment d;
  auto fail = [&d](const char* what, const caf::error& e) -> caf::error {
    d.stop();
    return make_error(wire_errc::bad_value, std::string{what} + ": " + describe(e));
  };
  // the dmsg discovery, in test mode (it accepts loopback server addresses)
  services::dmsg_discovery_config dcfg;
  dcfg.host = loopback;
  dcfg.port = o.ports.dmsg_discovery;
  dcfg.test_mode = true;
  dcfg.version = system::version();
  auto disc = services::spawn_dmsg_discovery(sys, io, dcfg);
  if (!disc)
    return fail("dmsg discovery", disc.error());
  d.disc_ = std::move(*disc);
  auto disc_url = url_of(d.disc_->port);
  d.info_["dmsg_discovery"] = disc_url;

  boost::json::array servers;
  for (int i = 0; i < o.servers; ++i) {
    auto kp = crypto::generate_keypair();
    services::dmsg_server_config scfg;
    scfg.pk = kp.pk;
    scfg.sk = kp.sk;
    scfg.discovery = disc_url;
    int port = o.server_port == 0 ? 0 : o.server_port + 2 * i;
    scfg.local_address = std::string{loopback} + ":" + std::to_string(port);
    // empty: the server advertises the port it actually bound
    scfg.public_address = port == 0 ? std::string{} : scfg.local_address;
    scfg.health_endpoint_address = std::string{loopback} + ":0";
    scfg.update_interval = std::chrono::seconds(30);
    auto srv = services::spawn_dmsg_server(sys, io, scfg);
    if (!srv)
      return fail("dmsg server", srv.error());
    servers.push_back(boost::json::object{
      {"pk", kp.pk.hex()},
      {"address", std::string{loopback} + ":" + std::to_string(srv->port)},
      {"health", url_of(srv->health_port) + "/health"}});
    d.servers_.push_back(std::move(*srv));
  }
  d.info_["dmsg_servers"] = std::move(servers);
  if (!o.transport_services)
    return d;

  namespace tpd = services::transport_discovery;
  tpd::tpd_config tcfg;
  tcfg.host = loopback;
  tcfg.port = o.ports.transport_discovery;
  tcfg.version = system::version();
  auto t = tpd::spawn_transport_discovery(sys, io, tcfg);
  if (!t)
    return fail("transport discovery", t.error());
  d.tpd_ = std::move(*t);
  d.info_["transport_discovery"] = url_of(d.tpd_->port);

  // the address resolver in test mode (loopback addresses count as public),
  // its UDP side on the HTTP port as visors expect; ephemeral: a number free
  // for both (taken by someone else in between: another one)
  namespace ar = services::address_resolver;
  ar::ar_config acfg;
  acfg.host = loopback;
  acfg.test_mode = true;
  acfg.version = system::version();
  auto a = [&]() -> expected<ar::ar_handle> {
    for (int attempt = 0;; ++attempt) {
      auto port = o.ports.address_resolver;
      if (port == 0)
        port = free_tcp_and_udp_port();
      acfg.port = port;
      acfg.udp.assign(1, std::pair<std::string, uint16_t>{loopback, port});
      auto h = ar::spawn_address_resolver(sys, io, acfg);
      if (h || o.ports.address_resolver != 0 || attempt == 4)
        return h;
    }
  }();
  if (!a)
    return fail("address resolver", a.error());
  d.ar_ = std::move(*a);
  d.info_["address_resolver"] = url_of(d.ar_->port);
  d.info_["address_resolver_udp"] = d.ar_->udp_ports.empty() ? 0 : d.ar_->udp_ports.front();

  // the service discovery and the uptime tracker, in test mode too
  // (loopback visors may register as public, their IPs are recorded)
  namespace sd = services::service_discovery;
  sd::sd_config sdcfg;
  sdcfg.host = loopback;
  sdcfg.port = o.ports.service_discovery;
  sdcfg.test_mode = true;
  sdcfg.version = system::version();
  auto sdh = sd::spawn_service_discovery(sys, io, sdcfg);
  if (!sdh)
    return fail("service discovery", sdh.error());
  d.sd_ = std::move(*sdh);
  d.info_["service_discovery"] = url_of(d.sd_->port);
  namespace ut = services::uptime_tracker;
  ut::ut_config ucfg;
  ucfg.host = loopback;
  ucfg.port = o.ports.uptime_tracker;
  ucfg.test_mode = true;
  ucfg.version = system::version();
  auto uth = ut::spawn_uptime_tracker(sys, io, ucfg);
  if (!uth)
    return fail("uptime tracker", uth.error());
  d.ut_ = std::move(*uth);
  d.info_["uptime_tracker"] = url_of(d.ut_->port);
  if (!o.routing_services)
    return d;

  // the route finder, reading the transport discovery in this process
  // through its actor (no socket); a graph refresh every second
  namespace rf = services::route_finder;
  rf::tpd_source_config scfg;
  scfg.tpd_url = url_of(d.tpd_->port);
  auto src = rf::tpd_graph_source::make(rf::in_process_tpd_sender(d.tpd_->actor), scfg);
  if (!src)
    return fail("route finder", src.error());
  rf::rf_config rcfg;
  rcfg.host = loopback;
  rcfg.port = o.ports.route_finder;
  rcfg.refresh_interval = std::chrono::seconds{1};
  rcfg.version = system::version();
  auto r = rf::spawn_route_finder(sys, io, rcfg, *src);
  if (!r)
    return fail("route finder", r.error());
  d.rf_ = std::move(*r);
  d.info_["route_finder"] = url_of(d.rf_->port);

  // the setup node, a dmsg client of its own (a new key each start)
  auto sn_key = crypto::generate_keypair();
  dmsg::client_config ccfg;
  ccfg.pk = sn_key.pk;
  ccfg.sk = sn_key.sk;
  ccfg.discovery_url = disc_url;
  ccfg.sessions_count = 0; // every server: visors reach it through any
  d.sn_client_ = caf::actor_cast<caf::actor>(dmsg::spawn_dmsg_client(sys, io, ccfg));
  d.sn_ = services::setup_node::spawn_setup_node(
    sys, caf::actor_cast<api::dmsg_client_actor>(d.sn_client_), {});
  {
    // listening on dmsg port 36 before the deployment says it is up
    caf::error err;
    caf::scoped_actor self{sys};
    self->request(d.sn_, std::chrono::seconds(15), api::ready_atom::value)
      .receive([](api::ok_atom) {}, [&](caf::error& e) { err = std::move(e); });
    if (err)
      return fail("setup node", err);
  }
  d.info_["setup_node"] = sn_key.pk.hex();
  return d;
}

local_deployment::~local_deployment() {
  stop();
}

void local_deployment::stop() {
  for (auto* h : {&ut_, &sd_}) {
    if (*h)
      (*h)->stop();
    h->reset();
  }
  if (sn_)
    caf::anon_send_exit(sn_, caf::exit_reason::user_shutdown);
  sn_ = nullptr;
  if (sn_client_) {
    // closed before the io runtime stops (its sessions live there)
    caf::scoped_actor self{sn_client_.home_system()};
    self->request(sn_client_, std::chrono::seconds(3), api::close_atom::value)
      .receive([](api::ok_atom) {}, [](caf::error&) {});
    self->send_exit(sn_client_, caf::exit_reason::user_shutdown);
  }
  sn_client_ = nullptr;
  if (rf_)
    rf_->stop();
  rf_.reset();
  if (ar_)
    ar_->stop();
  ar_.reset();
  if (tpd_)
    tpd_->stop();
  tpd_.reset();
  for (auto& s : servers_)
    s.stop();
  for (auto& s : servers_)
    drain_dmsg_server(s);
  servers_.clear();
  if (disc_)
    disc_->stop();
  disc_.reset();
}

int serve_local_deployment(const std::string& argv0, const local_deployment_options& o,
                           unsigned io_threads, const std::string& loglvl,
                           const std::string& info_file, bool json,
                           const local_presentation& show) {
  if (!apply_log_level(loglvl))
    return exit_usage;
  raise_nofile();
  block_stop_signals();
  io::io_runtime io{io_threads == 0 ? io::default_shards() : io_threads};
  caf::actor_system_config caf_cfg;
  system::configure(caf_cfg);
  caf::actor_system sys{caf_cfg};
  auto d = local_deployment::start(sys, io, o);
  if (!d) {
    std::cerr << argv0 << ": " << describe(d.error()) << '\n';
    io.stop();
    return exit_failure;
  }
  auto text = boost::json::serialize(show.describe(d->info()));
  if (!info_file.empty() && !write_file_atomically(info_file, text + "\n")) {
    std::cerr << argv0 << ": cannot write " << info_file << '\n';
    d->stop();
    io.stop();
    return exit_failure;
  }
  if (json)
    std::cout << text << std::endl;
  else
    show.print(d->info());
  wait_for_stop();
  d->stop();
  io.stop();
  return exit_ok;
}

} // namespace skywire::cli
