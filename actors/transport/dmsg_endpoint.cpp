#include "actors/transport/dmsg_endpoint.hpp"

#include <algorithm>
#include <map>

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/dmsg/port_table.hpp"
#include "actors/dmsg/stream_core.hpp"
#include "actors/transport/dmsg_stream_link.hpp"
#include "actors/transport/errors.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/log/rate_limit.hpp"

namespace skywire::transport {

namespace {

constexpr const char* component = "transport";
constexpr std::chrono::seconds score_timeout{10};
constexpr std::chrono::seconds listen_timeout{10};

using de_client_atom = caf::atom_constant<caf::atom("de_client")>;
using de_relisten_atom = caf::atom_constant<caf::atom("de_relist")>;

/// The endpoint's whole interface: the network's requests, the client_ref's
/// news, its retry timer and what its streams send their owner.
using endpoint_interface = dmsg_endpoint_actor::extend<
  caf::reacts_to<de_client_atom, api::dmsg_client_actor, uint64_t>,
  caf::reacts_to<de_relisten_atom, uint64_t>,
  caf::reacts_to<api::accept_atom, api::stream_opened>,
  caf::reacts_to<api::data_atom, api::byte_buffer>, caf::reacts_to<api::ack_atom, uint64_t>,
  caf::reacts_to<api::closed_atom, caf::error>>;

class endpoint_actor : public endpoint_interface::base {
public:
  endpoint_actor(caf::actor_config& acfg, dmsg_network_config cfg, io::admission_ptr adm,
                 std::shared_ptr<dmsg_network_status> st)
    : endpoint_interface::base(acfg), cfg_(std::move(cfg)), adm_(std::move(adm)),
      st_(std::move(st)),
      relisten_(static_cast<double>(cfg_.relisten.count()), 2, 10'000) {}

  const char* name() const override { return "dmsg_transport_endpoint"; }

  void on_exit() override {
    if (cfg_.client && watch_token_)
      cfg_.client->unwatch(watch_token_);
    // the streams end with their owner: their links learn it now
    auto why = make_error(transport_errc::closed, "the dmsg transport type was stopped");
    for (auto& kv : streams_)
      if (kv.second.link)
        kv.second.link->on_stream_closed(why);
    streams_.clear();
    set_status(false, "stopped");
    st_->streams.store(0, std::memory_order_relaxed);
  }

  behavior_type make_behavior() override {
    set_down_handler([this](caf::down_msg& dm) { on_down(dm); });
    if (cfg_.client) {
      auto self = caf::actor_cast<caf::actor>(this);
      watch_token_ = cfg_.client->watch([self](const api::dmsg_client_actor& c, uint64_t gen) {
        caf::anon_send(self, de_client_atom::value, c, gen);
      });
    }
    return {
      [this](de_listen_atom, dmsg_listen_request& r) {
        on_accept_ = std::move(r.on_accept);
        try_listen();
      },
      [this](de_dial_atom, dmsg_dial_request& r) { dial(std::move(r)); },
      [this](de_client_atom, const api::dmsg_client_actor& c, uint64_t gen) {
        if (gen <= client_gen_ || !c)
          return;
        client_gen_ = gen;
        if (client_)
          demonitor(client_.address());
        client_ = c;
        monitor(client_);
        listening_ = false;
        relisten_.reset();
        set_status(false, "");
        try_listen();
      },
      [this](de_relisten_atom, uint64_t gen) {
        if (gen == client_gen_)
          try_listen();
      },
      [this](api::accept_atom, api::stream_opened& s) { on_stream_accepted(std::move(s)); },
      [this](api::data_atom, const api::byte_buffer&) {
        // bytes before the link took the stream: out of turn for a transport
        auto i = streams_.find(caf::actor_cast<caf::actor_addr>(current_sender()));
        if (i == streams_.end() || i->second.link)
          return;
        i->second.early = true;
        send(i->second.stream, api::close_atom::value);
      },
      [](api::ack_atom, uint64_t) {},
      [this](api::closed_atom, const caf::error& err) { 
        stream_ended(caf::actor_cast<caf::actor_addr>(current_sender()), err);
      },
    };
  }

private:
  struct stream_entry {
    api::dmsg_stream_actor stream;
    std::shared_ptr<dmsg_stream_link> link; ///< once its core came
    bool early = false;                     ///< delivered bytes here: refused
  };

  // -- the client -------------------------------------------------------------------------

  void set_status(bool listening, std::string error) {
    std::lock_guard<std::mutex> g{st_->mtx};
    st_->listening = listening;
    st_->have_client = static_cast<bool>(client_);
    st_->listen_error = std::move(error);
  }

  void on_down(caf::down_msg& dm) {
    if (client_ && dm.source == client_.address()) {
      SKYWIRE_LOG(info, component, "dmsg client gone; dmsg transports wait for the next one",
                  log::kv("reason", dm.reason));
      demonitor(client_.address());
      client_ = nullptr;
      listening_ = false;
      set_status(false, "no dmsg client");
      return;
    }
    stream_ended(dm.source, dm.reason == caf::exit_reason::normal ? caf::error{} : dm.reason);
  }

  void try_listen() {
    if (!on_accept_ || !client_ || listening_ || listen_pending_)
      return;
    listen_pending_ = true;
    auto gen = client_gen_;
    request(client_, listen_timeout, api::listen_atom::value,
            port{wire::transport::transport_port}, caf::actor_cast<caf::actor>(this))
      .then(
        [this, gen](api::ok_atom) {
          listen_pending_ = false;
          if (gen != client_gen_)
            return try_listen();
          listening_ = true;
          relisten_.reset();
          set_status(true, "");
          SKYWIRE_LOG(info, component, "dmsg transport listener up", log::kv("type", "dmsg"),
                      log::kv("port", wire::transport::transport_port));
        },
        [this, gen](caf::error& err) {
          listen_pending_ = false;
          if (gen != client_gen_)
            return try_listen();
          auto delay = std::chrono::milliseconds{relisten_.next_ms()};
          set_status(false, describe(err));
          SKYWIRE_LOG(warn, component, "dmsg transport listener: listen on port 45 failed; retrying",
                      log::kv("error", describe(err)), log::kv("retry_ms", delay.count()));
          delayed_send(this, delay, de_relisten_atom::value, gen);
        });
  }

  // -- streams ----------------------------------------------------------------------------

  std::shared_ptr<dmsg_stream_link> wrap(dmsg::stream_core_ptr core, const api::stream_opened& s) {
    auto link = dmsg_stream_link::make(std::move(core), "dmsg://" + s.remote.to_string(),
                                       [stream = s.stream] {
                                         caf::anon_send(stream, api::close_atom::value);
                                       });
    link->set_addresses(s.local, s.remote);
    return link;
  }

  void hold(const api::stream_opened& s) {
    monitor(s.stream);
    streams_[s.stream.address()] = stream_entry{s.stream, nullptr, false};
    st_->streams.store(streams_.size(), std::memory_order_relaxed);
  }

  void stream_ended(const caf::actor_addr& from, const caf::error& err) {
    auto i = streams_.find(from);
    if (i == streams_.end())
      return;
    auto link = std::move(i->second.link);
    demonitor(i->second.stream.address());
    streams_.erase(i);
    st_->streams.store(streams_.size(), std::memory_order_relaxed);
    if (link)
      link->on_stream_closed(err);
  }

  void refuse(const api::stream_opened& s, const char* why) {
    st_->refused.fetch_add(1, std::memory_order_relaxed);
    static log::rate_limit limit{20};
    uint64_t suppressed = 0;
    if (limit.allow(suppressed))
      SKYWIRE_LOG(info, component, "connection refused", log::kv("type", "dmsg"),
                  log::kv("cause", why), log::kv("remote", s.remote.to_string()),
                  log::kv("similar_lines_suppressed", suppressed));
    send(s.stream, api::close_atom::value);
  }

  void on_stream_accepted(api::stream_opened s) {
    if (!on_accept_)
      return refuse(s, "not accepting");
    if (streams_.size() >= cfg_.max_streams)
      return refuse(s, "stream table full");
    auto d = adm_->admit(admission_address(s.remote.pk), [stream = s.stream] {
      caf::anon_send(stream, api::close_atom::value);
    });
    if (!d.ticket)
      return refuse(s, (std::string{"admission: "} + io::to_string(d.why)).c_str());
    hold(s);
    auto addr = s.stream.address();
    request(s.stream, score_timeout, api::score_atom::value)
      .then(
        [this, s, addr, ticket = d.ticket](dmsg::stream_core_ptr& core) mutable {
          auto i = streams_.find(addr);
          if (i == streams_.end() || i->second.early || !core)
            return;
          auto link = wrap(std::move(core), s);
          i->second.link = link;
          st_->accepted.fetch_add(1, std::memory_order_relaxed);
          on_accept_(std::move(link), std::move(ticket));
        },
        [this, s, addr](caf::error&) {
          send(s.stream, api::close_atom::value);
          stream_ended(addr, caf::error{});
        });
  }

  void dial(dmsg_dial_request r) {
    st_->dials.fetch_add(1, std::memory_order_relaxed);
    auto fail = [this, &r](std::string why) {
      st_->dial_errors.fetch_add(1, std::memory_order_relaxed);
      r.cb(make_error(transport_errc::unreachable, std::move(why)));
    };
    if (!client_)
      return fail("no dmsg client (not configured yet, or restarting)");
    if (dials_ >= cfg_.max_dials)
      return fail("too many dmsg dials in flight (" + std::to_string(dials_) + ")");
    if (streams_.size() >= cfg_.max_streams)
      return fail("dmsg stream table full");
    ++dials_;
    auto target = skywire::address{r.remote, port{wire::transport::transport_port}};
    auto cb = std::make_shared<transport_network::dial_fn>(std::move(r.cb));
    request(client_, cfg_.dial_timeout, api::dial_atom::value, target)
      .then(
        [this, cb](api::stream_opened& s) {
          --dials_;
          hold(s);
          auto addr = s.stream.address();
          request(s.stream, score_timeout, api::score_atom::value)
            .then(
              [this, s, addr, cb](dmsg::stream_core_ptr& core) {
                auto i = streams_.find(addr);
                if (i == streams_.end() || i->second.early || !core) {
                  st_->dial_errors.fetch_add(1, std::memory_order_relaxed);
                  return (*cb)(make_error(i != streams_.end() && i->second.early
                                            ? transport_errc::protocol
                                            : transport_errc::cut,
                                          i != streams_.end() && i->second.early
                                            ? "the peer sent bytes out of turn"
                                            : "the dmsg stream ended"));
                }
                auto link = wrap(std::move(core), s);
                i->second.link = link;
                (*cb)(io::byte_link_ptr{std::move(link)});
              },
              [this, s, addr, cb](caf::error& err) {
                send(s.stream, api::close_atom::value);
                stream_ended(addr, caf::error{});
                st_->dial_errors.fetch_add(1, std::memory_order_relaxed);
                (*cb)(make_error(transport_errc::cut, "dmsg stream: " + describe(err)));
              });
        },
        [this, cb, target](caf::error& err) {
          --dials_;
          st_->dial_errors.fetch_add(1, std::memory_order_relaxed);
          (*cb)(make_error(transport_errc::unreachable,
                           "dmsg dial " + target.to_string() + ": " + describe(err)));
        });
  }

  dmsg_network_config cfg_;
  io::admission_ptr adm_;
  std::shared_ptr<dmsg_network_status> st_;
  uint64_t watch_token_ = 0;
  api::dmsg_client_actor client_;
  uint64_t client_gen_ = 0;
  transport_network::accept_fn on_accept_;
  bool listening_ = false;
  bool listen_pending_ = false;
  dmsg::backoff relisten_;
  size_t dials_ = 0;
  std::map<caf::actor_addr, stream_entry> streams_;
};

} // namespace

dmsg_endpoint_actor spawn_dmsg_endpoint(caf::actor_system& sys, dmsg_network_config cfg,
                                        io::admission_ptr adm,
                                        std::shared_ptr<dmsg_network_status> st) {
  return sys.spawn<endpoint_actor>(std::move(cfg), std::move(adm), std::move(st));
}

} // namespace skywire::transport
