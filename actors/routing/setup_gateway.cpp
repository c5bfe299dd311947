#include "actors/routing/setup_gateway.hpp"

#include <map>
#include <memory>
#include <set>

#include <boost/json.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/dmsg/port_table.hpp"
#include "actors/routing/gateway_session.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/supervision.hpp"

namespace skywire::routing {

namespace {

constexpr const char* component = "setup_gateway";
constexpr size_t max_logged_strangers = 256;

using sg_client_atom = caf::atom_constant<caf::atom("sg_client")>;
using sg_retry_atom = caf::atom_constant<caf::atom("sg_retry")>;
using sg_tick_atom = caf::atom_constant<caf::atom("sg_tick")>;

using gateway_interface = system::info_provider_actor::extend<
  caf::reacts_to<sg_client_atom, api::dmsg_client_actor, uint64_t>,
  caf::reacts_to<sg_retry_atom, uint64_t>, caf::reacts_to<sg_tick_atom>,
  caf::reacts_to<api::accept_atom, api::stream_opened>,
  caf::reacts_to<api::data_atom, api::byte_buffer>, caf::reacts_to<api::ack_atom, uint64_t>,
  caf::reacts_to<api::closed_atom, caf::error>, caf::reacts_to<system::crash_atom>>;

class setup_gateway : public gateway_interface::base {
public:
  setup_gateway(caf::actor_config& acfg, dmsg::client_ref_ptr client, router_state_ptr router,
                setup_gateway_config cfg)
    : gateway_interface::base(acfg), ref_(std::move(client)), router_(std::move(router)),
      cfg_(std::move(cfg)), allowed_(cfg_.setup_nodes),
      retry_(500, 2, 10'000) {}

  const char* name() const override { return "setup_gateway"; }

  void on_exit() override {
    if (ref_ && token_)
      ref_->unwatch(token_);
    if (followed_.client && listening_)
      anon_send(followed_.client, api::unlisten_atom::value, port{cfg_.dmsg_port});
    for (auto& [addr, s] : sessions_)
      anon_send(s.stream, api::close_atom::value);
    sessions_.clear();
  }

  behavior_type make_behavior() override {
    system::install_exception_handler(this, component);
    set_down_handler([this](caf::down_msg& dm) {
      if (followed_.client && dm.source == followed_.client.address()) {
        followed_.client = nullptr;
        listening_ = false;
        error_ = "no dmsg client";
      }
    });
    if (ref_)
      token_ = dmsg::followed_client::watch(*ref_, this, sg_client_atom::value);
    delayed_send(this, tick_every(), sg_tick_atom::value);
    return {
      [this](sg_client_atom, const api::dmsg_client_actor& c, uint64_t gen) {
        if (!followed_.adopt(this, c, gen))
          return;
        retry_.reset();
        listen();
      },
      [this](sg_retry_atom, uint64_t gen) {
        if (gen == followed_.generation && followed_.client && !listening_)
          listen();
      },
      [this](sg_tick_atom) {
        expire_idle();
        delayed_send(this, tick_every(), sg_tick_atom::value);
      },
      [this](api::accept_atom, api::stream_opened& s) { on_accept(std::move(s)); },
      [this](api::data_atom, api::byte_buffer& b) { on_data(std::move(b)); },
      [](api::ack_atom, uint64_t) {},
      [this](api::closed_atom, const caf::error&) {
        sessions_.erase(caf::actor_cast<caf::actor_addr>(current_sender()));
      },
      [this](system::info_atom) {
        boost::json::object o;
        o["listening"] = listening_;
        o["port"] = cfg_.dmsg_port;
        o["setup_nodes"] = allowed_.size();
        o["sessions"] = sessions_.size();
        o["calls"] = calls_;
        o["calls_refused"] = calls_refused_;
        o["refused_streams"] = refused_streams_;
        if (!error_.empty())
          o["error"] = error_;
        return boost::json::serialize(o);
      },
      [](system::crash_atom) { system::throw_injected_fault(); },
    };
  }

private:
  struct session {
    api::dmsg_stream_actor stream;
    public_key remote;
    std::unique_ptr<gateway_session> core;
    std::chrono::steady_clock::time_point last;
  };

  std::chrono::milliseconds tick_every() const {
    return std::max(std::chrono::milliseconds{100}, cfg_.idle_timeout / 4);
  }

  void listen() {
    auto gen = followed_.generation;
    request(followed_.client, std::chrono::seconds{10}, api::listen_atom::value, port{cfg_.dmsg_port},
            caf::actor_cast<caf::actor>(this))
      .then(
        [this, gen](api::ok_atom) {
          if (gen != followed_.generation)
            return;
          listening_ = true;
          error_.clear();
          SKYWIRE_LOG(info, component, "route setup gateway listening",
                      log::kv("dmsg_port", cfg_.dmsg_port), log::kv("setup_nodes", allowed_.size()));
        },
        [this, gen](caf::error& err) {
          if (gen != followed_.generation)
            return;
          error_ = describe(err);
          auto delay = std::chrono::milliseconds{retry_.next_ms()};
          SKYWIRE_LOG(warn, component, "listen failed; retrying", log::kv("error", error_),
                      log::kv("retry_ms", delay.count()));
          delayed_send(this, delay, sg_retry_atom::value, gen);
        });
  }

  void refuse(const api::stream_opened& s, const char* why) {
    ++refused_streams_;
    if (logged_.size() < max_logged_strangers && logged_.insert(s.remote.pk).second)
      SKYWIRE_LOG(info, component, "stream refused (further ones from this key are only counted)",
                  log::kv("remote", s.remote.pk.hex()), log::kv("reason", why));
    send(s.stream, api::set_owner_atom::value, caf::actor_cast<caf::actor>(this));
    send(s.stream, api::close_atom::value);
  }

  void on_accept(api::stream_opened s) {
    if (!allowed_.admits(s.remote.pk))
      return refuse(s, "not in routing.route_setup_nodes");
    if (sessions_.size() >= cfg_.max_sessions)
      return refuse(s, "too many streams");
    auto addr = s.stream.address();
    session ss{s.stream, s.remote.pk, std::make_unique<gateway_session>(s.remote.pk, *router_),
               std::chrono::steady_clock::now()};
    sessions_.emplace(addr, std::move(ss));
    send(s.stream, api::set_owner_atom::value, caf::actor_cast<caf::actor>(this));
  }

  void on_data(api::byte_buffer b) {
    auto i = sessions_.find(caf::actor_cast<caf::actor_addr>(current_sender()));
    if (i == sessions_.end())
      return; // a refused stream's last bytes
    auto& s = i->second;
    s.last = std::chrono::steady_clock::now();
    api::byte_buffer out;
    auto before_calls = s.core->calls();
    auto before_refused = s.core->refused();
    auto err = s.core->on_bytes({b.data(), b.size()}, out);
    calls_ += s.core->calls() - before_calls;
    calls_refused_ += s.core->refused() - before_refused;
    if (!out.empty())
      send(s.stream, api::write_atom::value, std::move(out));
    send(s.stream, api::consumed_atom::value, static_cast<uint32_t>(b.size()));
    if (err) {
      SKYWIRE_LOG(info, component, "stream closed: bad input", log::kv("remote", s.remote.hex()),
                  log::kv("error", describe(err)));
      send(s.stream, api::close_atom::value);
      sessions_.erase(i);
    }
  }

  void expire_idle() {
    auto now = std::chrono::steady_clock::now();
    for (auto i = sessions_.begin(); i != sessions_.end();) {
      if (now - i->second.last > cfg_.idle_timeout) {
        send(i->second.stream, api::close_atom::value);
        i = sessions_.erase(i);
      } else {
        ++i;
      }
    }
  }

  dmsg::client_ref_ptr ref_;
  router_state_ptr router_;
  setup_gateway_config cfg_;
  setup_node_whitelist allowed_;
  dmsg::backoff retry_;
  uint64_t token_ = 0;
  dmsg::followed_client followed_;
  bool listening_ = false;
  std::string error_;
  std::map<caf::actor_addr, session> sessions_;
  std::set<public_key> logged_;
  uint64_t refused_streams_ = 0;
  uint64_t calls_ = 0;
  uint64_t calls_refused_ = 0;
};

} // namespace

caf::actor spawn_setup_gateway(caf::actor_system& sys, dmsg::client_ref_ptr client,
                               router_state_ptr router, setup_gateway_config cfg) {
  return caf::actor_cast<caf::actor>(
    sys.spawn<setup_gateway>(std::move(client), std::move(router), std::move(cfg)));
}

} // namespace skywire::routing
