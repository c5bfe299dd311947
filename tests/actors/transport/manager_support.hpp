// Helpers of the transport manager tests (managers in one process): a fake
// registrar that records what a manager asks of the transport discovery, an
// address book for faked resolvers, the actor system and io runtime of a
// test, and the requests and events of a node (any struct with `mgr` and
// `events`: a manager and a scoped actor subscribed to it). Every wait is
// bounded.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/transport/errors.hpp"
#include "actors/transport/manager.hpp"
#include "actors/transport/registrar.hpp"
#include "actors/transport/tcp_network.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/io/io_runtime.hpp"

namespace mgr_test {

using namespace skywire;
using namespace skywire::transport;
using namespace std::chrono_literals;

/// Records what the manager asks of the transport discovery; holds entries
/// like a discovery would.
class fake_registrar final : public registrar {
public:
  void register_entry(const wire::transport::signed_entry& e, done_fn cb) override {
    {
      std::lock_guard<std::mutex> g{mtx};
      registered.push_back(e);
      held[e.entry.id] = e.entry;
    }
    cv.notify_all();
    cb({});
  }
  void deregister(const transport_id& id, done_fn cb) override {
    {
      std::lock_guard<std::mutex> g{mtx};
      deregistered.push_back(id);
      held.erase(id);
    }
    cv.notify_all();
    cb({});
  }
  void get_by_id(const transport_id& id, entries_fn cb) override {
    std::lock_guard<std::mutex> g{mtx};
    auto i = held.find(id);
    if (i == held.end())
      return cb(make_error(transport_errc::unknown_transport, "not found"));
    cb(std::vector<wire::transport::entry>{i->second});
  }
  void get_by_edge(const public_key& pk, entries_fn cb) override {
    std::vector<wire::transport::entry> out;
    std::lock_guard<std::mutex> g{mtx};
    for (auto& kv : held)
      if (kv.second.edge_index(pk))
        out.push_back(kv.second);
    cb(std::move(out));
  }
  std::string describe() const override { return "fake"; }

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds limit = 5s) {
    std::unique_lock<std::mutex> g{mtx};
    return cv.wait_for(g, limit, [&] { return pred(*this); });
  }
  size_t registrations() {
    std::lock_guard<std::mutex> g{mtx};
    return registered.size();
  }
  size_t deregistrations() {
    std::lock_guard<std::mutex> g{mtx};
    return deregistered.size();
  }

  std::mutex mtx;
  std::condition_variable cv;
  std::vector<wire::transport::signed_entry> registered;
  std::vector<transport_id> deregistered;
  std::map<transport_id, wire::transport::entry> held;
};

/// Where each key listens (the stcp pk_table, or what a faked address
/// resolver answers for stcpr), shared by the nodes of a test.
struct address_book {
  std::mutex mtx;
  std::map<public_key, std::string> table;
  void set(const public_key& pk, uint16_t port) {
    std::lock_guard<std::mutex> g{mtx};
    table[pk] = "127.0.0.1:" + std::to_string(port);
  }
  address_resolver resolver() {
    return [this](const public_key& pk, auto cb) {
      std::string a;
      {
        std::lock_guard<std::mutex> g{mtx};
        auto i = table.find(pk);
        if (i != table.end())
          a = i->second;
      }
      if (a.empty())
        return cb(make_error(transport_errc::unreachable, "not in the table"));
      cb(std::vector<std::string>{a});
    };
  }
};

struct world {
  caf::actor_system_config cfg;
  io::io_runtime io{2};
  caf::actor_system sys{cfg};
  address_book book;
  std::vector<caf::actor> to_stop;

  ~world() {
    for (auto& a : to_stop)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
};

/// Spawns a node's manager (stopped with the world) and subscribes the
/// node's scoped actor to its events.
template <class Node>
void spawn_manager(world& w, Node& n, manager_config mc) {
  n.mgr = spawn_transport_manager(w.sys, std::move(mc));
  w.to_stop.push_back(caf::actor_cast<caf::actor>(n.mgr));
  n.events = std::make_unique<caf::scoped_actor>(w.sys);
  caf::anon_send(n.mgr, api::tp_subscribe_atom::value, caf::actor_cast<caf::actor>(*n.events));
}

struct event {
  std::string kind; ///< up | down | error | none
  api::transport_summary s;
  caf::error err;
};

/// The next event of a node (kind "none" after `limit`).
template <class Node>
event next_event(Node& n, std::chrono::milliseconds limit = 5s) {
  event e{"none", {}, {}};
  (*n.events)->receive(
    [&](api::tp_up_atom, api::transport_summary& s) {
      e = {"up", std::move(s), {}};
    },
    [&](api::tp_down_atom, api::transport_summary& s, caf::error& err) {
      e = {"down", std::move(s), std::move(err)};
    },
    [&](api::tp_error_atom, public_key&, std::string&, caf::error& err) {
      e = {"error", {}, std::move(err)};
    },
    caf::after(limit) >> [] {});
  return e;
}

template <class Node>
expected<api::transport_summary> add(world& w, Node& n, const public_key& to,
                                     std::string type = "stcp") {
  caf::scoped_actor self{w.sys};
  expected<api::transport_summary> out = make_error(transport_errc::closed, "no answer");
  self->request(n.mgr, 10s, api::tp_add_atom::value, api::transport_request{to, type, "user", 0})
    .receive([&](api::transport_summary& s) { out = std::move(s); },
             [&](caf::error& err) { out = std::move(err); });
  return out;
}

template <class Node>
std::vector<api::transport_summary> list(world& w, Node& n) {
  caf::scoped_actor self{w.sys};
  std::vector<api::transport_summary> out;
  self->request(n.mgr, 5s, api::tp_list_atom::value, api::transport_filter{})
    .receive([&](std::vector<api::transport_summary>& v) { out = std::move(v); },
             [&](caf::error& err) { FAIL(describe(err)); });
  return out;
}

template <class Node>
expected<uint64_t> ping(world& w, Node& n, const transport_id& id) {
  caf::scoped_actor self{w.sys};
  expected<uint64_t> out = make_error(transport_errc::closed, "no answer");
  self->request(n.mgr, 5s, api::tp_ping_atom::value, id)
    .receive([&](uint64_t us) { out = us; }, [&](caf::error& err) { out = std::move(err); });
  return out;
}

template <class Node>
caf::error remove(world& w, Node& n, const transport_id& id) {
  caf::scoped_actor self{w.sys};
  caf::error out;
  self->request(n.mgr, 10s, api::tp_remove_atom::value, id)
    .receive([&](api::tp_ok_atom) {}, [&](caf::error& err) { out = std::move(err); });
  return out;
}

/// A node of the manager tests: an stcp (or stcpr) manager on loopback with a
/// fake registrar, its listener's port in the world's address book.
struct node {
  crypto::keypair key;
  std::shared_ptr<tcp_network> net;
  std::shared_ptr<fake_registrar> reg = std::make_shared<fake_registrar>();
  api::transport_manager_actor mgr;
  std::unique_ptr<caf::scoped_actor> events; ///< subscribed to the manager's events
  uint16_t port = 0;
  link_directory_ptr links; ///< node_options::links
};

struct node_options {
  std::string type = "stcp";
  uint16_t listen_port = 0;
  unsigned port_attempts = 1;
  transport_core::timeouts limits;
  std::vector<persistent_target> persistent;
  persistent_keeper::backoff_params backoff{100, 2, 400};
  std::chrono::milliseconds dial_timeout{5000};
  /// Where the manager publishes its up transports' links (null: nowhere).
  link_directory_ptr links;
};

inline node start_node(world& w, std::string_view seed, node_options o = {}) {
  node n;
  n.key = crypto::deterministic_keypair(
    {reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
  tcp_network_config c;
  c.type = o.type;
  c.listen_host = "127.0.0.1";
  c.listen_port = o.listen_port;
  c.port_attempts = o.port_attempts;
  c.connect_timeout = 2s;
  c.resolve = w.book.resolver();
  // the listener opens as the manager starts: wait for that, not for a time
  auto listening = std::make_shared<std::promise<uint16_t>>();
  auto heard = std::make_shared<std::atomic<bool>>(false);
  auto listening_port = listening->get_future();
  c.on_listening = [listening, heard](uint16_t p) -> std::function<void()> {
    if (!heard->exchange(true))
      listening->set_value(p);
    return {};
  };
  n.net = tcp_network::make(w.io, c);
  manager_config mc;
  mc.local = n.key;
  mc.networks.push_back(n.net);
  mc.registrar = n.reg;
  mc.persistent = o.persistent;
  mc.persistent_backoff = o.backoff;
  mc.tick = 20ms;
  mc.limits = o.limits;
  mc.dial_timeout = o.dial_timeout;
  mc.persistent_dial_timeout = 2s;
  mc.shutdown_grace = 2s;
  mc.links = o.links;
  n.links = o.links;
  spawn_manager(w, n, mc);
  REQUIRE(listening_port.wait_for(5s) == std::future_status::ready);
  n.port = listening_port.get();
  CHECK(n.port == n.net->port());
  REQUIRE(n.port != 0);
  w.book.set(n.key.pk, n.port);
  return n;
}

} // namespace mgr_test
