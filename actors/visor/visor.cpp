#include "actors/visor/visor.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>

#include <boost/json.hpp>

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/apps/errors.hpp"
#include "actors/apps/launcher.hpp"
#include "actors/dmsg/client.hpp"
#include "actors/dmsg/client_ref.hpp"
#include "actors/routing/errors.hpp"
#include "actors/routing/route_manager.hpp"
#include "actors/routing/router.hpp"
#include "actors/routing/setup_client.hpp"
#include "actors/routing/skyfwd.hpp"
#include "actors/dmsg/dmsghttp.hpp"
#include "actors/routing/setup_gateway.hpp"
#include "actors/transport/errors.hpp"
#include "actors/transport/manager.hpp"
#include "actors/visor/cli_gateway.hpp"
#include "actors/visor/config_owner.hpp"
#include "actors/visor/log_server_host.hpp"
#include "actors/visor/uptime_reporter.hpp"
#include "actors/dmsg/dmsghttp.hpp"
#include "runtime/config/endpoint.hpp"
#include "runtime/crypto/skycoin_address.hpp"
#include "runtime/config/file_update.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/build_info.hpp"

namespace skywire::visor {

std::vector<system::child_spec> visor_children(const visor_context& ctx) {
  std::vector<system::child_spec> out;
  auto latest = std::make_shared<config_cell>(ctx.cfg);
  out.push_back({std::string{config_owner_child},
                 [latest](caf::actor_system& sys, const caf::actor&) {
                   return caf::actor_cast<caf::actor>(spawn_config_owner(sys, latest));
                 },
                 {},
                 {}});
  auto ep = config::parse_local_endpoint(ctx.cfg->cli_addr);
  if (ep) {
    cli_gateway_options g;
    g.endpoint = *ep;
    g.io = ctx.io;
    g.fault_injection = ctx.fault_injection;
    out.push_back({"cli_gateway",
                   [g](caf::actor_system& sys, const caf::actor& parent) {
                     // the parent of every visor child is the visor
                     return spawn_cli_gateway(sys, caf::actor_cast<api::visor_actor>(parent), g);
                   },
                   {},
                   {}});
  }
  // The dmsg client, from the config's `dmsg` section (skipped when it names
  // neither a discovery nor servers). Its siblings reach it through `dmsg`,
  // set at each (re)start: the dmsg transports, the log server.
  dmsg::client_ref_ptr dmsg;
  if (auto dc = dmsg::client_config_from(*ctx.cfg); dc && ctx.io) {
    dmsg = std::make_shared<dmsg::client_ref>();
    out.push_back({"dmsg_client",
                   [io = ctx.io, c = std::move(*dc), dmsg](caf::actor_system& sys,
                                                           const caf::actor&) {
                     auto client = dmsg::spawn_dmsg_client(sys, *io, c);
                     dmsg->set(client);
                     return caf::actor_cast<caf::actor>(client);
                   },
                   {},
                   "dmsg_sessions"});
    // the dmsghttp log server on dmsg port 80 (transport logs, /health)
    out.push_back({"log_server",
                   [dmsg, files = log_server_files(*ctx.cfg)](caf::actor_system& sys,
                                                              const caf::actor&) {
                     return spawn_log_server_host(sys, dmsg, files);
                   },
                   {},
                   "log_server"});
  }
  // The router: its state (rule table, route IDs, the data plane on the io
  // shards) outlives restarts of its actors; the transport manager publishes
  // every up transport's link to it (link_directory), the setup gateway on
  // dmsg port 136 installs the setup nodes' rules into it.
  auto router = std::make_shared<routing::router_state>(std::make_shared<transport::link_directory>());
  out.push_back({std::string{router_child},
                 [router](caf::actor_system& sys, const caf::actor&) {
                   return caf::actor_cast<caf::actor>(routing::spawn_router(sys, router));
                 },
                 {},
                 "routing"});
  if (dmsg) {
    routing::setup_gateway_config gc;
    gc.setup_nodes = ctx.cfg->routing.route_setup_nodes;
    out.push_back({"setup_gateway",
                   [dmsg, router, gc](caf::actor_system& sys, const caf::actor&) {
                     return routing::spawn_setup_gateway(sys, dmsg, router, gc);
                   },
                   {},
                   "setup_gateway"});
  }
  // The transport manager, from `skywire-tcp` and `transport` (its listeners
  // open at start; each restart builds them anew).
  if (ctx.io) {
    out.push_back({std::string{transport_manager_child},
                   [io = ctx.io, cfg = ctx.cfg, dmsg, rebind = ctx.stcpr_rebind,
                    links = router->links()](caf::actor_system& sys, const caf::actor&) {
                     std::vector<std::string> notes;
                     transport::manager_env env{&sys, dmsg};
                     env.stcpr_rebind = rebind;
                     auto mc = transport::manager_config_from(*cfg, *io, &notes, env);
                     if (!mc) {
                       // a config the registry accepted but the manager cannot use:
                       // run without transports rather than not at all
                       SKYWIRE_LOG(error, "transport", "transports disabled",
                                   log::kv("error", describe(mc.error())));
                       mc = transport::manager_config{};
                       mc->local = crypto::keypair{cfg->pk, cfg->sk};
                     }
                     mc->links = links;
                     for (const auto& n : notes)
                       SKYWIRE_LOG(debug, "transport", "transport type", log::kv("note", n));
                     return caf::actor_cast<caf::actor>(
                       transport::spawn_transport_manager(sys, std::move(*mc)));
                   },
                   {},
                   "transports"});
  }
  // The uptime heartbeat, when the config names a tracker (dmsg:// URLs go
  // through the dmsg client).
  if (ctx.cfg->uptime_tracker && !ctx.cfg->uptime_tracker->addr.empty() && ctx.io) {
    out.push_back({"uptime_tracker",
                   [io = ctx.io, cfg = ctx.cfg, dmsg, interval = ctx.uptime_interval](
                     caf::actor_system& sys, const caf::actor&) {
                     uptime_reporter_config rc;
                     rc.url = cfg->uptime_tracker->addr;
                     rc.pk = cfg->pk;
                     rc.sk = cfg->sk;
                     rc.version = system::version();
                     if (interval.count() > 0)
                       rc.interval = interval;
                     if (dmsg)
                       rc.http.send = dmsg::make_service_sender(sys, *io, dmsg);
                     return spawn_uptime_reporter(sys, *io, std::move(rc));
                   },
                   {},
                   "uptime_tracker"});
  }
  // The visor's routes: dials (route finder, setup node, route group) and
  // the listeners of routing ports (the echo on the ping port). Its
  // transports requests go to the visor, which hands them to the manager.
  auto routes = std::make_shared<apps::route_manager_slot>();
  if (ctx.io && dmsg) {
    out.push_back({std::string{routes_child},
                   [io = ctx.io, cfg = ctx.cfg, dmsg, router, routes](caf::actor_system& sys,
                                                                      const caf::actor& parent) {
                     routing::route_manager_config rc;
                     rc.env.sys = &sys;
                     rc.env.router = router;
                     rc.env.local = crypto::keypair{cfg->pk, cfg->sk};
                     rc.env.offer = wire::routing::group_options{true, cfg->routing.cell_size};
                     rc.transports = parent;
                     rc.min_hops = cfg->routing.min_hops;
                     if (!cfg->routing.route_finder.empty()) {
                       routing::rf_client::options o;
                       o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                         cfg->routing.route_finder_timeout);
                       o.send = dmsg::make_service_sender(sys, *io, dmsg);
                       if (auto rf = routing::rf_client::make(*io, cfg->routing.route_finder, o))
                         rc.rf = std::move(*rf);
                       else
                         SKYWIRE_LOG(warn, "routes", "route finder unusable",
                                     log::kv("url", cfg->routing.route_finder),
                                     log::kv("error", describe(rf.error())));
                     }
                     if (!cfg->routing.route_setup_nodes.empty() && dmsg->get()) {
                       routing::setup_client_config sc;
                       sc.setup_nodes = cfg->routing.route_setup_nodes;
                       rc.setup = routing::spawn_setup_client(sys, dmsg->get(), sc);
                     }
                     // SkyNet forwarding on routing port 47 (linked to the manager)
                     rc.services.push_back([&sys, io, lp = cfg->local_path](
                                             api::route_manager_actor m) {
                       routing::skyfwd_config fc;
                       fc.io = io.get();
                       fc.local_path = lp;
                       return caf::actor_cast<caf::actor>(
                         routing::spawn_skyfwd(sys, std::move(m), std::move(fc)));
                     });
                     auto m = routing::spawn_route_manager(sys, std::move(rc));
                     routes->set(m);
                     return caf::actor_cast<caf::actor>(m);
                   },
                   {},
                   {}});
  }
  // The app launcher: launcher.apps, built-in apps by name; the apps dial
  // and listen through `routes` (the current one: it may be restarted).
  out.push_back({std::string{launcher_child},
                 [io = ctx.io, latest, routes, fi = ctx.fault_injection](
                   caf::actor_system& sys, const caf::actor&) {
                   apps::launcher_options lo;
                   lo.cfg = latest->load(); // with the changes made since the start
                   lo.io = io;
                   lo.routes = routes;
                   lo.fault_injection = fi;
                   return caf::actor_cast<caf::actor>(apps::spawn_launcher(sys, std::move(lo)));
                 },
                 {},
                 "apps"});
  // Subsystems plug in here.
  return out;
}

namespace {

using stop_atom = caf::atom_constant<caf::atom("vis_stop")>;

/// The visor's full interface: the CLI's requests (api::visor_actor), the
/// config its children ask for, its own stop message and the supervision's
/// restart timer.
using visor_interface = api::visor_actor::extend<
  caf::replies_to<get_config_atom>::with<config_ptr>, caf::reacts_to<stop_atom>,
  caf::reacts_to<system::restart_atom, std::string, uint64_t>>;

constexpr const char* component = "visor";

struct visor_state {
  system::supervision sup;
  visor_options opts;
  std::chrono::steady_clock::time_point started_steady;
  std::chrono::system_clock::time_point started_wall;
  bool stopping = false;
  static inline const char* name = "visor";
};

std::string rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// Hands a transport request to the transport manager child (delegated: the
/// manager answers the CLI gateway directly).
template <class R, class Self, class... Ts>
caf::result<R> to_transports(Self* self, Ts&&... xs) {
  auto child = self->state.sup.child(std::string{transport_manager_child});
  if (!child)
    return transport::make_error(transport::transport_errc::type_unavailable,
                                 "the visor runs no transport manager");
  return self->delegate(caf::actor_cast<api::transport_control_actor>(child),
                        std::forward<Ts>(xs)...);
}

/// Hands a rule request to the router child.
template <class Self, class... Ts>
caf::result<std::string> to_router(Self* self, Ts&&... xs) {
  auto child = self->state.sup.child(std::string{router_child});
  if (!child)
    return routing::make_error(routing::routing_errc::unavailable, "the visor runs no router");
  return self->delegate(caf::actor_cast<api::routing_control_actor>(child),
                        std::forward<Ts>(xs)...);
}

/// Hands a route request (ping, speed, route ls) to the routes child.
template <class Self, class... Ts>
caf::result<std::string> to_routes(Self* self, Ts&&... xs) {
  auto child = self->state.sup.child(std::string{routes_child});
  if (!child)
    return routing::make_error(routing::routing_errc::unavailable,
                               "the visor runs no routes (no dmsg client)");
  return self->delegate(caf::actor_cast<api::route_manager_actor>(child), std::forward<Ts>(xs)...);
}

/// Hands an app request to the launcher child.
template <class R, class Self, class... Ts>
caf::result<R> to_launcher(Self* self, Ts&&... xs) {
  auto child = self->state.sup.child(std::string{launcher_child});
  if (!child)
    return apps::make_error(apps::apps_errc::unavailable, "the visor runs no app launcher");
  return self->delegate(caf::actor_cast<api::launcher_control_actor>(child),
                        std::forward<Ts>(xs)...);
}

std::string json_quoted(std::string_view s) {
  return boost::json::serialize(boost::json::value(s));
}

std::filesystem::path reward_file(const config::visor_config& cfg) {
  return std::filesystem::path{cfg.local_path} / "reward.txt";
}

/// Hands a forwarding request to the skyfwd actor (the listener of routing
/// port 47, found through the route manager).
template <class Self, class... Ts>
caf::result<std::string> to_skyfwd(Self* self, Ts... xs) {
  auto child = self->state.sup.child(std::string{routes_child});
  if (!child)
    return routing::make_error(routing::routing_errc::unavailable,
                               "the visor runs no routes (no dmsg client)");
  auto rp = self->template make_response_promise<std::string>();
  self->request(caf::actor_cast<api::route_manager_actor>(child), std::chrono::seconds(5),
                api::rt_service_atom::value, api::skyfwd_port)
    .then(
      [self, rp, xs...](caf::actor& fwd) mutable {
        self->request(caf::actor_cast<api::skyfwd_actor>(fwd), std::chrono::seconds(30), xs...)
          .then([rp](std::string& s) mutable { rp.deliver(std::move(s)); },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

visor_interface::behavior_type visor_actor(visor_interface::stateful_pointer<visor_state> self,
                                          visor_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.started_steady = std::chrono::steady_clock::now();
  st.started_wall = std::chrono::system_clock::now();
  st.sup.attach(self, component);
  st.sup.on_give_up = [self](const std::string& child, const caf::error& reason) {
    // escalate: the whole visor stops with the child's error
    auto err = caf::make_error(caf::sec::runtime_error, "child " + child
                                                          + " restarted too often: "
                                                          + system::describe_exit(reason));
    self->state.stopping = true;
    self->state.sup.on_stopped = [self, err] { self->quit(err); };
    self->state.sup.shutdown(caf::exit_reason::user_shutdown);
  };
  self->set_exit_handler([self](caf::exit_msg& em) {
    if (self->state.stopping)
      return;
    self->state.stopping = true;
    SKYWIRE_LOG(debug, component, "stopping children", log::kv("reason", em.reason));
    self->state.sup.on_stopped = [self] { self->quit(caf::exit_reason::user_shutdown); };
    self->state.sup.shutdown(caf::exit_reason::user_shutdown);
  });
  visor_context ctx{st.opts.cfg, st.opts.io, st.opts.fault_injection, st.opts.stcpr_rebind,
                    st.opts.uptime_interval};
  for (auto& spec : visor_children(ctx))
    st.sup.add(std::move(spec));
  for (auto& spec : st.opts.extra_children)
    st.sup.add(std::move(spec));

  return {
    [self](pk_atom) { return json_quoted(self->state.opts.cfg->pk.hex()); },
    [self](info_atom) -> caf::result<std::string> {
      auto& st = self->state;
      boost::json::object info;
      const auto& cfg = *st.opts.cfg;
      info["pk"] = cfg.pk.hex();
      info["version"] = system::version();
      info["build"] = system::build_description();
      info["started_at"] = rfc3339(st.started_wall);
      info["uptime_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                                             - st.started_steady)
                                 .count();
      info["config_path"] = cfg.source_path;
      info["cli_addr"] = cfg.cli_addr;
      info["local_path"] = cfg.local_path;
      info["log_level"] = log::to_string(log::current_level());
      info["fault_injection"] = st.opts.fault_injection;
      info["dmsg_sessions"] = nullptr; // filled by the dmsg client once it exists
      info["transports"] = nullptr;    // filled by the transport manager
      info["routing"] = nullptr;       // filled by the router
      auto providers = st.sup.info_providers();
      if (providers.empty())
        return boost::json::serialize(info);
      // ask every info-providing child, bounded by a timeout
      struct pending {
        boost::json::object info;
        size_t left;
        caf::response_promise rp;
      };
      auto p = std::make_shared<pending>(pending{std::move(info), providers.size(),
                                                 self->make_response_promise()});
      for (auto& [key, child] : providers) {
        auto done = [p, key = key](boost::json::value v) {
          p->info[key] = std::move(v);
          if (--p->left == 0)
            p->rp.deliver(boost::json::serialize(p->info));
        };
        self->request(child, std::chrono::seconds(2), system::info_atom::value)
          .then(
            [done](const std::string& text) {
              boost::system::error_code ec;
              auto v = boost::json::parse(text, ec);
              done(ec ? boost::json::value(text) : std::move(v));
            },
            [done](caf::error& err) { done(boost::json::value("unavailable: " + describe(err))); });
      }
      return p->rp;
    },
    [self](actors_atom) {
      boost::json::array children;
      for (auto& c : self->state.sup.status()) {
        boost::json::object o;
        o["name"] = c.name;
        o["state"] = c.state;
        o["restarts"] = c.restarts;
        o["last_exit"] = c.last_exit;
        children.emplace_back(std::move(o));
      }
      boost::json::object root;
      root["name"] = "visor";
      root["state"] = self->state.stopping ? "stopping" : "running";
      root["restarts"] = 0;
      root["children"] = std::move(children);
      return boost::json::serialize(root);
    },
    [self](halt_atom) {
      SKYWIRE_LOG(info, component, "halt requested over the CLI socket");
      // answer first, then stop
      self->send(self, stop_atom::value);
      return std::string{"\"ok\""};
    },
    [self](stop_atom) {
      if (self->state.stopping)
        return;
      self->state.stopping = true;
      self->state.sup.on_stopped = [self] { self->quit(caf::exit_reason::normal); };
      self->state.sup.shutdown(caf::exit_reason::user_shutdown);
    },
    [self](crash_atom a, const std::string& child) -> caf::result<std::string> {
      if (!self->state.opts.fault_injection)
        return caf::make_error(caf::sec::invalid_argument, "fault injection is disabled");
      if (child.rfind(app_crash_prefix, 0) == 0) {
        // "app/<name>": an app of the launcher
        auto l = self->state.sup.child(std::string{launcher_child});
        if (!l)
          return caf::make_error(caf::sec::invalid_argument, "the visor runs no app launcher");
        return self->delegate(caf::actor_cast<apps::launcher_actor>(l), a,
                              child.substr(app_crash_prefix.size()));
      }
      if (!self->state.sup.inject_fault(child))
        return caf::make_error(caf::sec::invalid_argument,
                               "no running child named \"" + child + "\"");
      SKYWIRE_LOG(info, component, "fault injected", log::kv("child", child));
      return json_quoted("injected");
    },
    // -- transports: handed to the transport manager ----------------------------------------
    [self](api::tp_types_atom a) -> caf::result<std::vector<std::string>> {
      return to_transports<std::vector<std::string>>(self, a);
    },
    [self](api::tp_list_atom a,
           api::transport_filter& f) -> caf::result<std::vector<api::transport_summary>> {
      return to_transports<std::vector<api::transport_summary>>(self, a, f);
    },
    [self](api::tp_get_atom a, transport_id id) -> caf::result<api::transport_summary> {
      return to_transports<api::transport_summary>(self, a, id);
    },
    [self](api::tp_add_atom a, api::transport_request& r) -> caf::result<api::transport_summary> {
      return to_transports<api::transport_summary>(self, a, r);
    },
    [self](api::tp_remove_atom a, transport_id id) -> caf::result<api::tp_ok_atom> {
      return to_transports<api::tp_ok_atom>(self, a, id);
    },
    [self](api::tp_remove_all_atom a) -> caf::result<uint64_t> {
      return to_transports<uint64_t>(self, a);
    },
    [self](api::tp_disc_id_atom a,
           transport_id id) -> caf::result<std::vector<api::transport_entry>> {
      return to_transports<std::vector<api::transport_entry>>(self, a, id);
    },
    [self](api::tp_disc_pk_atom a,
           public_key pk) -> caf::result<std::vector<api::transport_entry>> {
      return to_transports<std::vector<api::transport_entry>>(self, a, pk);
    },
    [self](api::tp_ping_atom a, transport_id id) -> caf::result<uint64_t> {
      return to_transports<uint64_t>(self, a, id);
    },
    // -- routing rules: handed to the router ------------------------------------------------
    [self](api::rt_rules_atom a) { return to_router(self, a); },
    [self](api::rt_rule_atom a, uint32_t id) { return to_router(self, a, id); },
    [self](api::rt_save_atom a, std::vector<uint8_t>& rule) {
      return to_router(self, a, std::move(rule));
    },
    [self](api::rt_remove_atom a, uint32_t id) { return to_router(self, a, id); },
    [self](api::rt_ping_atom a, api::route_ping& req) -> caf::result<std::string> {
      return to_routes(self, a, std::move(req));
    },
    [self](api::rt_speed_atom a, api::route_speed& req) -> caf::result<std::string> {
      return to_routes(self, a, std::move(req));
    },
    [self](api::rt_routes_atom a) -> caf::result<std::string> { return to_routes(self, a); },
    // -- SkyNet forwarding: handed to the skyfwd actor beside the routes ------------------
    [self](api::fwd_register_atom a, uint16_t p) { return to_skyfwd(self, a, p); },
    [self](api::fwd_deregister_atom a, uint16_t p) { return to_skyfwd(self, a, p); },
    [self](api::fwd_list_atom a) { return to_skyfwd(self, a); },
    [self](api::rev_connect_atom a, const public_key& pk, uint16_t r, uint16_t l) {
      return to_skyfwd(self, a, pk, r, l);
    },
    [self](api::rev_disconnect_atom a, const std::string& id) { return to_skyfwd(self, a, id); },
    [self](api::rev_list_atom a) { return to_skyfwd(self, a); },
    // -- the reward address (<local_path>/reward.txt) ----------------------------------------
    [self](api::reward_get_atom) -> caf::result<std::string> {
      auto file = reward_file(*self->state.opts.cfg);
      std::ifstream in(file, std::ios::binary);
      if (!in)
        return json_quoted("");
      std::string text(4096, '\0');
      in.read(text.data(), static_cast<std::streamsize>(text.size()));
      text.resize(static_cast<size_t>(in.gcount()));
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.pop_back();
      return json_quoted(text);
    },
    [self](api::reward_set_atom, std::string& addr) -> caf::result<std::string> {
      while (!addr.empty() && (addr.back() == '\n' || addr.back() == ' '))
        addr.pop_back();
      if (auto err = crypto::check_skycoin_address(addr))
        return err;
      auto file = reward_file(*self->state.opts.cfg);
      std::error_code ec;
      std::filesystem::create_directories(file.parent_path(), ec);
      // as the reference: the address alone, no newline; never a torn file
      if (auto err = config::write_file_atomically(file.string(), addr, 0644, false))
        return err;
      SKYWIRE_LOG(info, component, "reward address set", log::kv("address", addr));
      return json_quoted(addr);
    },
    [self](api::reward_delete_atom) -> caf::result<std::string> {
      auto file = reward_file(*self->state.opts.cfg);
      std::error_code ec;
      if (!std::filesystem::remove(file, ec))
        return caf::make_error(caf::sec::runtime_error,
                               "reward file does not exist - reward address not set");
      return json_quoted("OK");
    },
    // -- apps: handed to the launcher ---------------------------------------------------------
    [self](api::app_ls_atom a) -> caf::result<std::vector<api::app_summary>> {
      return to_launcher<std::vector<api::app_summary>>(self, a);
    },
    [self](api::app_start_atom a, std::string& name) -> caf::result<api::app_summary> {
      return to_launcher<api::app_summary>(self, a, std::move(name));
    },
    [self](api::app_stop_atom a, std::string& name) -> caf::result<api::app_summary> {
      return to_launcher<api::app_summary>(self, a, std::move(name));
    },
    [self](api::app_autostart_atom a, std::string& name, bool on) -> caf::result<api::app_summary> {
      // the file first (config_owner), then the launcher's memory
      auto owner = self->state.sup.child(std::string{config_owner_child});
      auto launcher = self->state.sup.child(std::string{launcher_child});
      if (!owner || !launcher)
        return apps::make_error(apps::apps_errc::unavailable,
                                "the visor's config owner or launcher is not running");
      auto rp = self->make_response_promise<api::app_summary>();
      self
        ->request(caf::actor_cast<config_owner_actor>(owner), std::chrono::seconds(10),
                  cfg_app_autostart_atom::value, name, on)
        .then(
          [rp, launcher, a, name, on](const config_ptr&) mutable {
            rp.delegate(caf::actor_cast<api::launcher_control_actor>(launcher), a, name, on);
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](api::app_run_with_atom, std::string& name, std::string& app,
           std::vector<std::string>& flags) -> caf::result<api::app_summary> {
      // stop (when up), the file and memory (config_owner), the launcher's
      // entry, start
      auto owner = self->state.sup.child(std::string{config_owner_child});
      auto launcher = self->state.sup.child(std::string{launcher_child});
      if (!owner || !launcher)
        return apps::make_error(apps::apps_errc::unavailable,
                                "the visor's config owner or launcher is not running");
      auto l = caf::actor_cast<apps::launcher_actor>(launcher);
      auto rp = self->make_response_promise<api::app_summary>();
      auto configure = [self, rp, l, owner, name, app, flags]() mutable {
        self
          ->request(caf::actor_cast<config_owner_actor>(owner), std::chrono::seconds(10),
                    cfg_app_flags_atom::value, name, app, flags)
          .then(
            [self, rp, l, name](const config_ptr& cfg) mutable {
              self->request(l, std::chrono::seconds(10), apps::launcher_configure_atom::value, name, cfg)
                .then(
                  [rp, l, name](const api::app_summary&) mutable {
                    rp.delegate(caf::actor_cast<api::launcher_control_actor>(l),
                                api::app_start_atom::value, name);
                  },
                  [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
            },
            [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      };
      // a stop waits for the app to end (killed after its grace)
      self->request(l, std::chrono::seconds(15), api::app_stop_atom::value, name)
        .then([configure](const api::app_summary&) mutable { configure(); },
              [rp, configure](caf::error& err) mutable {
                if (apps::is(err, apps::apps_errc::unknown_app))
                  configure(); // a new instance
                else
                  rp.deliver(std::move(err));
              });
      return rp;
    },
    [self](api::app_logs_atom a, std::string& name,
           int64_t since) -> caf::result<std::vector<std::string>> {
      return to_launcher<std::vector<std::string>>(self, a, std::move(name), since);
    },
    [self](get_config_atom) { return self->state.opts.cfg; },
    [self](system::restart_atom, const std::string& child, uint64_t generation) {
      self->state.sup.on_restart(child, generation);
    },
  };
}

} // namespace

api::visor_actor spawn_visor(caf::actor_system& sys, visor_options opts) {
  return sys.spawn(visor_actor, std::move(opts));
}

} // namespace skywire::visor
