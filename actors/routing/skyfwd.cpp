#include "actors/routing/skyfwd.hpp"

#include <map>
#include <memory>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/routing/errors.hpp"
#include "actors/routing/skyfwd_ports.hpp"
#include "actors/routing/skyfwd_session.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/io/tcp_listener.hpp"
#include "runtime/log/logger.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::io::stream_connection_ptr)

namespace skywire::routing {

namespace {

constexpr const char* component = "skyfwd";

using rev_accept_atom = caf::atom_constant<caf::atom("rev_acc")>;
using local_probe_atom = caf::atom_constant<caf::atom("fwd_lprb")>;

using skyfwd_interface = api::skyfwd_actor::extend<
  caf::reacts_to<api::rt_accept_atom, api::route_group_actor, public_key, uint16_t>,
  caf::reacts_to<api::data_atom, api::byte_buffer>, caf::reacts_to<api::closed_atom, caf::error>,
  caf::reacts_to<rev_accept_atom, std::string, io::stream_connection_ptr>,
  caf::reacts_to<skyfwd_probe_atom, uint64_t, std::string>,
  caf::reacts_to<local_probe_atom, uint64_t, bool>>;

struct tunnel {
  public_key remote;
  uint16_t remote_port = 0;
  uint16_t local_port = 0;
  io::tcp_listener_ptr listener;
};

struct pending_connect {
  caf::typed_response_promise<std::string> rp;
  std::string id;
  tunnel t;
};

struct skyfwd_state {
  skyfwd_config cfg;
  api::route_manager_actor routes;
  skyfwd_ports_ptr ports;
  std::map<std::string, tunnel> tunnels;
  std::unordered_map<uint64_t, pending_connect> connects;
  std::unordered_map<uint64_t, std::pair<uint16_t, caf::typed_response_promise<std::string>>>
    registers;
  std::unordered_map<caf::actor_addr, caf::actor> serving; ///< group -> its session
  uint64_t next = 1;
  static inline const char* name = "skyfwd";
};

using self_ptr = skyfwd_interface::stateful_pointer<skyfwd_state>;

caf::error fwd_error(std::string text) {
  return make_error(routing_errc::unavailable, std::move(text));
}

std::string json_text(std::string_view s) {
  return boost::json::serialize(boost::json::value(s));
}

std::string new_id() {
  transport_id id;
  crypto::random_bytes(id.bytes);
  id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0F) | 0x40); // version 4
  id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
  return id.to_string();
}

/// Whether something accepts on 127.0.0.1:port (the reference dials it too).
void probe_local(io::io_runtime& io, uint16_t port, caf::actor me, uint64_t id) {
  namespace asio = boost::asio;
  auto sock = std::make_shared<asio::ip::tcp::socket>(io.context());
  sock->async_connect(asio::ip::tcp::endpoint{asio::ip::address_v4::loopback(), port},
                      [me, sock, id](const boost::system::error_code& err) {
                        boost::system::error_code ignored;
                        sock->close(ignored);
                        caf::anon_send(me, local_probe_atom::value, id, !err);
                      });
}

skyfwd_interface::behavior_type skyfwd(self_ptr self, api::route_manager_actor routes,
                                       skyfwd_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.routes = routes;
  st.ports = std::make_shared<skyfwd_ports>(
    st.cfg.local_path.empty() ? std::filesystem::path{}
                              : st.cfg.local_path / "skyfwd-ports.json");
  if (auto err = st.ports->load())
    SKYWIRE_LOG(warn, component, "registered ports not read", log::kv("error", describe(err)));
  self->request(routes, std::chrono::seconds(10), api::rt_listen_atom::value, api::skyfwd_port,
                caf::actor_cast<caf::actor>(self))
    .then([](api::ok_atom) {},
          [self](caf::error& err) {
            SKYWIRE_LOG(warn, component, "cannot listen on routing port 47",
                        log::kv("error", describe(err)));
            self->quit(err);
          });
  self->attach_functor([self] {
    for (auto& [id, t] : self->state.tunnels)
      if (t.listener)
        t.listener->stop();
    for (auto& [id, c] : self->state.connects)
      if (c.t.listener)
        c.t.listener->stop();
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& m = self->state.serving;
    for (auto i = m.begin(); i != m.end();)
      if (i->second.address() == dm.source)
        i = m.erase(i);
      else
        ++i;
  });
  return {
    [self](api::rt_accept_atom, api::route_group_actor& g, const public_key& remote, uint16_t) {
      if (!self->state.cfg.io) {
        caf::anon_send(g, api::close_atom::value);
        return;
      }
      auto s = spawn_skyfwd_serve(self->system(), *self->state.cfg.io, g, remote,
                                  self->state.ports);
      self->monitor(s);
      self->state.serving[g.address()] = s;
      self->send(g, api::set_owner_atom::value, s);
    },
    // what a group sent before its session took it over
    [self](api::data_atom, api::byte_buffer& b) {
      auto i = self->state.serving.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
      if (i != self->state.serving.end())
        caf::anon_send(i->second, api::data_atom::value, std::move(b));
    },
    [self](api::closed_atom, const caf::error& err) {
      auto i = self->state.serving.find(caf::actor_cast<caf::actor_addr>(self->current_sender()));
      if (i != self->state.serving.end())
        caf::anon_send(i->second, api::closed_atom::value, err);
    },
    [self](api::fwd_register_atom, uint16_t port) -> caf::result<std::string> {
      if (port == 0)
        return fwd_error("port cannot be 0");
      if (self->state.ports->contains(port))
        return fwd_error("Port :" + std::to_string(port) + " already registered");
      if (!self->state.cfg.io)
        return fwd_error("no io runtime");
      auto rp = self->make_response_promise<std::string>();
      auto id = self->state.next++;
      self->state.registers.emplace(id, std::make_pair(port, rp));
      probe_local(*self->state.cfg.io, port, caf::actor_cast<caf::actor>(self), id);
      return rp;
    },
    [self](local_probe_atom, uint64_t id, bool up) {
      auto i = self->state.registers.find(id);
      if (i == self->state.registers.end())
        return;
      auto [port, rp] = i->second;
      self->state.registers.erase(i);
      if (!up) {
        rp.deliver(fwd_error("No connection on local port :" + std::to_string(port)));
        return;
      }
      auto added = self->state.ports->add(port);
      if (!added) {
        rp.deliver(added.error());
        return;
      }
      if (!*added) {
        rp.deliver(fwd_error("Port :" + std::to_string(port) + " already registered"));
        return;
      }
      SKYWIRE_LOG(info, component, "port registered", log::kv("port", port));
      rp.deliver(json_text("OK"));
    },
    [self](api::fwd_deregister_atom, uint16_t port) -> caf::result<std::string> {
      auto r = self->state.ports->remove(port);
      if (!r)
        return r.error();
      if (!*r)
        return fwd_error("Port :" + std::to_string(port) + " not registered");
      return json_text("OK");
    },
    [self](api::fwd_list_atom) {
      boost::json::array a;
      for (auto p : self->state.ports->list())
        a.push_back(p);
      return boost::json::serialize(a);
    },
    [self](api::rev_connect_atom, const public_key& remote, uint16_t rport,
           uint16_t lport) -> caf::result<std::string> {
      auto& st = self->state;
      if (rport == 0 || lport == 0)
        return fwd_error("port cannot be 0");
      if (!st.cfg.io)
        return fwd_error("no io runtime");
      auto id = new_id();
      auto me = caf::actor_cast<caf::actor>(self);
      auto l = io::tcp_listener::start(*st.cfg.io, st.cfg.listen_host, lport,
                                       [me, id](io::stream_connection_ptr c) {
                                         caf::anon_send(me, rev_accept_atom::value, id,
                                                        std::move(c));
                                       });
      if (!l)
        return fwd_error(":" + std::to_string(lport) + " local port already in use ("
                         + describe(l.error()) + ")");
      auto pid = st.next++;
      pending_connect pc{self->make_response_promise<std::string>(), id,
                         tunnel{remote, rport, lport, *l}};
      auto rp = pc.rp;
      st.connects.emplace(pid, std::move(pc));
      skyfwd_dial d;
      d.routes = st.routes;
      d.remote = remote;
      d.remote_port = rport;
      d.report = me;
      d.probe_id = pid;
      spawn_skyfwd_dial(self->system(), std::move(d));
      return rp;
    },
    [self](skyfwd_probe_atom, uint64_t pid, const std::string& error) {
      auto& st = self->state;
      auto i = st.connects.find(pid);
      if (i == st.connects.end())
        return;
      auto pc = std::move(i->second);
      st.connects.erase(i);
      if (!error.empty()) {
        pc.t.listener->stop();
        pc.rp.deliver(fwd_error(error));
        return;
      }
      SKYWIRE_LOG(info, component, "rev tunnel up", log::kv("id", pc.id),
                  log::kv("remote", pc.t.remote.hex()), log::kv("remote_port", pc.t.remote_port),
                  log::kv("local_port", pc.t.local_port));
      st.tunnels[pc.id] = pc.t;
      pc.rp.deliver(json_text(pc.id));
    },
    [self](rev_accept_atom, const std::string& id, io::stream_connection_ptr& c) {
      auto& st = self->state;
      auto i = st.tunnels.find(id);
      if (i == st.tunnels.end()) {
        c->close(); // the probe has not answered yet, or the tunnel went
        return;
      }
      skyfwd_dial d;
      d.routes = st.routes;
      d.remote = i->second.remote;
      d.remote_port = i->second.remote_port;
      d.conn = std::move(c);
      spawn_skyfwd_dial(self->system(), std::move(d));
    },
    [self](api::rev_disconnect_atom, const std::string& id) -> caf::result<std::string> {
      auto i = self->state.tunnels.find(id);
      if (i == self->state.tunnels.end())
        return fwd_error("no connection with id " + id);
      i->second.listener->stop();
      self->state.tunnels.erase(i);
      return json_text("OK");
    },
    [self](api::rev_list_atom) {
      boost::json::object o;
      for (auto& [id, t] : self->state.tunnels) {
        boost::json::object e;
        e["ID"] = id;
        e["LocalPort"] = t.local_port;
        e["RemotePort"] = t.remote_port;
        e["RemotePK"] = t.remote.hex();
        o[id] = std::move(e);
      }
      return boost::json::serialize(o);
    },
  };
}

} // namespace

api::skyfwd_actor spawn_skyfwd(caf::actor_system& sys, api::route_manager_actor routes,
                               skyfwd_config cfg) {
  return sys.spawn(skyfwd, std::move(routes), std::move(cfg));
}

} // namespace skywire::routing
