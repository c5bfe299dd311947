// manager_config_from: the transport manager's settings from the visor's
// config (the networks it offers, the discovery it registers at, public
// autoconnect, persistent transports); the manager itself is manager.cpp.
#include "actors/transport/manager.hpp"

#include <algorithm>
#include <future>
#include <map>
#include <memory>
#include <optional>

#include "actors/dmsg/dmsghttp.hpp"
#include "actors/transport/ar_client.hpp"
#include "actors/transport/client_errors.hpp"
#include "actors/transport/dmsg_network.hpp"
#include "actors/transport/errors.hpp"
#include "actors/transport/registry.hpp"
#include "actors/transport/sd_client.hpp"
#include "actors/transport/sudph_network.hpp"
#include "actors/transport/tcp_network.hpp"
#include "actors/transport/tpd_client.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::transport {

namespace {

constexpr const char* component = "transport";

/// Admission of a transport listener: the pending connection's deadline is
/// the reference's 10 s for the handshake frames while the budget is at
/// most half full, down to 1 s when it is full.
io::admission_config transport_admission() {
  io::admission_config a;
  a.deadline = std::chrono::seconds{10};
  a.min_deadline = std::chrono::seconds{1};
  return a;
}

} // namespace

expected<manager_config> manager_config_from(const config::visor_config& cfg, io::io_runtime& io,
                                             std::vector<std::string>* notes,
                                             const manager_env& env) {
  // HTTP to the transport discovery and the address resolver: plain TCP,
  // and dmsg:// URLs (dmsghttp mode) over the visor's dmsg client
  httpauth_client::options service_opts;
  // what STUN saw, once the sudph network (made below) has checked
  auto stun_ip = std::make_shared<std::function<std::optional<std::string>()>>();
  if (env.sys && env.dmsg_client) {
    service_opts.send = dmsg::make_service_sender(*env.sys, io, env.dmsg_client);
    // SW-PublicIP (reference §1.4): over dmsghttp a service sees a dmsg
    // address, so the visor names its public IP itself, as the reference
    // does (it asks an IP echo service, then STUN; we ask no third party):
    // a public address of a local interface, else the one STUN saw
    // (httpauth_client sends it with dmsg:// URLs only).
    service_opts.public_ip = [stun_ip]() -> std::optional<std::string> {
      if (auto a = local_interface_addresses())
        for (const auto& ip : *a)
          if (is_public_ip(ip))
            return ip;
      if (*stun_ip)
        return (*stun_ip)();
      return std::nullopt;
    };
  }
  manager_config out;
  out.local = crypto::keypair{cfg.pk, cfg.sk};
  auto note = [notes](std::string s) {
    if (notes)
      notes->push_back(std::move(s));
  };
  if (cfg.stcp) {
    tcp_network_config c;
    c.type = "stcp";
    const auto& la = cfg.stcp->listening_address;
    c.listen = !la.empty();
    if (c.listen) {
      auto hp = split_host_port(la);
      if (!hp)
        return make_error(transport_errc::invalid_argument,
                          "skywire-tcp.listening_address: " + describe(hp.error()));
      c.listen_host = hp->first;
      c.listen_port = hp->second;
    }
    c.admission = transport_admission();
    std::map<public_key, std::string> table;
    if (cfg.stcp->pk_table)
      table = *cfg.stcp->pk_table;
    c.resolve = [table = std::move(table)](const public_key& pk, auto cb) {
      auto i = table.find(pk);
      if (i == table.end())
        return cb(
          make_error(transport_errc::unreachable, pk.hex() + " is not in skywire-tcp.pk_table"));
      cb(std::vector<std::string>{i->second});
    };
    out.networks.push_back(tcp_network::make(io, std::move(c)));
  } else {
    note("stcp: off (no skywire-tcp section)");
  }
  if (!cfg.transport.address_resolver.empty()) {
    auto ar = ar_client::make(io, cfg.transport.address_resolver, cfg.pk, cfg.sk, service_opts);
    if (!ar) {
      note("stcpr, sudph: off (address resolver " + cfg.transport.address_resolver
           + ": " + describe(ar.error()) + ")");
    } else {
      tcp_network_config c;
      c.type = "stcpr";
      c.listen_port = cfg.transport.stcpr_port;
      c.port_attempts = 64; // the reference increments the port until one binds
      c.admission = transport_admission();
      c.resolve = [ar = *ar](const public_key& pk, auto cb) {
        ar.resolve("stcpr", pk, [cb, pk](expected<wire::transport::visor_data> vd) {
          if (!vd)
            return cb(make_error(transport_errc::unreachable,
                                 is(vd.error(), client_errc::not_found)
                                   ? pk.hex() + " is not bound for stcpr at the address resolver"
                                   : "address resolver: " + describe(vd.error())));
          cb(stcpr_dial_addresses(*vd));
        });
      };
      c.on_listening = [ar = *ar, rebind = env.stcpr_rebind](
                         uint16_t p) -> std::function<void()> {
        // as the reference: bind only when a local interface holds a public
        // IP (otherwise nobody could dial what we would announce)
        auto addrs = local_interface_addresses();
        bool public_ip = false;
        if (addrs)
          for (const auto& a : *addrs)
            public_ip |= is_public_ip(a);
        if (!public_ip) {
          SKYWIRE_LOG(info, component,
                      "stcpr: no public IP on a local interface; not binding at the address "
                      "resolver (peers cannot dial this visor over stcpr)");
          return {};
        }
        stcpr_heartbeat::options hopts;
        if (rebind.count() > 0)
          hopts.interval = rebind;
        auto hb = std::make_shared<stcpr_heartbeat>(
          ar, port{p},
          [] {
            auto a = local_interface_addresses();
            return a ? *a : std::vector<std::string>{};
          },
          [](caf::error err) {
            if (err)
              SKYWIRE_LOG(warn, component, "stcpr bind at the address resolver failed",
                          log::kv("error", describe(err)));
            else
              SKYWIRE_LOG(debug, component, "stcpr bound at the address resolver");
          },
          hopts);
        hb->start();
        return [hb] {
          // withdraw the binding (DELETE /bind/stcpr, as the reference on
          // shutdown) before the process may end: the io runtime stops with
          // the visor, so wait for the answer, at most 1 s
          auto done = std::make_shared<std::promise<void>>();
          auto answered = done->get_future();
          hb->stop(true, [done](const caf::error&) { done->set_value(); });
          answered.wait_for(std::chrono::seconds{1});
        };
      };
      out.networks.push_back(tcp_network::make(io, std::move(c)));
      // sudph: the AR's UDP side at the URL's host (its port, or 30178)
      if (auto ar_udp = sudph_ar_address(cfg.transport.address_resolver); !ar_udp) {
        note("sudph: off (" + describe(ar_udp.error()) + ")");
      } else {
        sudph_network_config s;
        s.listen_port = cfg.transport.sudph_port;
        s.port_attempts = 64; // as stcpr: the next port until one binds
        s.ar_address = *ar_udp;
        s.resolve = [ar = *ar](const public_key& pk, auto cb) { ar.resolve("sudph", pk, cb); };
        s.local_addresses = [] {
          auto a = local_interface_addresses();
          return a ? *a : std::vector<std::string>{};
        };
        s.stun_servers = cfg.stun_servers;
        s.admission = transport_admission();
        // the socket's own bound on unauthenticated sessions is the tighter one
        s.admission.max_pending = s.socket.max_pending;
        auto sudph = sudph_network::make(io, out.local, std::move(s));
        *stun_ip = [w = std::weak_ptr<sudph_network>(sudph)] {
          auto n = w.lock();
          return n ? n->public_ip() : std::nullopt;
        };
        out.networks.push_back(std::move(sudph));
      }
    }
  } else {
    note("stcpr, sudph: off (no transport.address_resolver)");
  }
  if (env.sys && env.dmsg_client) {
    dmsg_network_config d;
    d.client = env.dmsg_client;
    out.networks.push_back(dmsg_network::make(*env.sys, std::move(d)));
  } else {
    note("dmsg: off (no dmsg client)");
  }
  out.logs = transport_log_config::from(cfg.transport.log_store);
  if (cfg.transport.public_autoconnect) {
    bool stcpr = std::any_of(out.networks.begin(), out.networks.end(),
                             [](const auto& n) { return n && n->type() == "stcpr"; });
    const auto& url = cfg.launcher.service_discovery;
    if (!stcpr) {
      note("public autoconnect: off (stcpr is off)");
    } else if (url.empty()) {
      note("public autoconnect: off (no launcher.service_discovery)");
    } else if (auto sd = sd_client::make(io, url, cfg.pk, cfg.sk)) {
      out.autoconnect = std::make_shared<autoconnect_setup>(
        autoconnect_setup{std::move(*sd), autoconnect_params{}, std::chrono::seconds{1},
                          std::chrono::seconds{10}});
    } else {
      note("public autoconnect: off (service discovery " + url + ": " + describe(sd.error())
           + ")");
    }
  }
  if (cfg.persistent_transports)
    for (const auto& p : *cfg.persistent_transports)
      out.persistent.push_back(persistent_target{p.pk, p.type});
  if (cfg.transport.discovery.empty()) {
    out.registrar = make_null_registrar("no transport discovery configured");
  } else if (auto tpd = tpd_client::make(io, cfg.transport.discovery, cfg.pk, cfg.sk,
                                         service_opts)) {
    out.registrar = make_tpd_registrar(std::move(*tpd), cfg.transport.discovery);
  } else {
    note("transport discovery " + cfg.transport.discovery + ": " + describe(tpd.error()));
    out.registrar =
      make_null_registrar("transport discovery unusable: " + describe(tpd.error()));
  }
  return out;
}

} // namespace skywire::transport
