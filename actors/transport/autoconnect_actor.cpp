#include "actors/transport/autoconnect_actor.hpp"

#include <map>
#include <optional>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "runtime/log/logger.hpp"

namespace skywire::transport::detail {

/// The service discovery's answer, from an io thread.
struct ac_fetch_result {
  caf::error err;
  std::vector<public_key> visors;
};

} // namespace skywire::transport::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::transport::detail::ac_fetch_result)

namespace skywire::transport {

namespace {

constexpr const char* component = "transport";
constexpr const char* automatic_label = "automatic";

using ac_tick_atom = caf::atom_constant<caf::atom("ac_tick")>;
using ac_fetched_atom = caf::atom_constant<caf::atom("ac_fetched")>;

struct ac_state {
  std::optional<public_autoconnect> ac;
  /// Transports up, by ID: their remote key (any type, any label).
  std::map<transport_id, public_key> up;
  bool fetch_failing = false;
  size_t reported_up = 0;
  static inline const char* name = "public_autoconnect";
};

using clock = std::chrono::steady_clock;

caf::behavior autoconnect_actor(caf::stateful_actor<ac_state>* self,
                                api::transport_manager_actor manager, public_key local,
                                autoconnect_setup setup) {
  auto& st = self->state;
  st.ac.emplace(local, setup.params, clock::now());
  self->send(manager, api::tp_subscribe_atom::value, caf::actor_cast<caf::actor>(self));
  self->send(self, ac_tick_atom::value);
  SKYWIRE_LOG(info, component, "public autoconnect on",
              log::kv("service_discovery", setup.sd.auth().base_url()),
              log::kv("target", setup.params.target));
  auto report = [self] {
    auto& s = self->state;
    if (s.ac->up() != s.reported_up) {
      s.reported_up = s.ac->up();
      SKYWIRE_LOG(info, component, "public autoconnect: automatic transports",
                  log::kv("up", s.reported_up), log::kv("target", s.ac->params().target));
    }
  };
  return {
    [self, manager, setup, report](ac_tick_atom) {
      auto& s = self->state;
      auto now = clock::now();
      auto todo = s.ac->poll(now, [&s](const public_key& pk) {
        for (const auto& kv : s.up)
          if (kv.second == pk)
            return true;
        return false;
      });
      if (todo.fetch) {
        auto me = caf::actor_cast<caf::actor>(self);
        setup.sd.public_visors(s.ac->params().fetch_quantity,
                               [me](expected<std::vector<wire::service_entry>> r) {
                                 detail::ac_fetch_result out;
                                 if (!r)
                                   out.err = std::move(r.error());
                                 else
                                   for (const auto& e : *r)
                                     out.visors.push_back(e.pk);
                                 caf::anon_send(me, ac_fetched_atom::value, std::move(out));
                               });
      }
      for (const auto& pk : todo.dial) {
        SKYWIRE_LOG(debug, component, "public autoconnect: dialing", log::kv("remote", pk));
        api::transport_request req{pk, "stcpr", automatic_label,
                                   static_cast<uint64_t>(setup.dial_timeout.count())};
        self->request(manager, setup.dial_timeout + std::chrono::seconds{5}, api::tp_add_atom::value,
                      std::move(req))
          .then(
            [self, pk, report](const api::transport_summary&) {
              self->state.ac->dial_up(pk);
              report();
            },
            [self, pk](const caf::error& err) {
              SKYWIRE_LOG(debug, component, "public autoconnect: dial failed",
                          log::kv("remote", pk), log::kv("error", describe(err)));
              self->state.ac->dial_failed(pk, clock::now());
            });
      }
      self->delayed_send(self, setup.tick, ac_tick_atom::value);
    },
    [self](ac_fetched_atom, detail::ac_fetch_result& r) {
      auto& s = self->state;
      auto now = clock::now();
      if (r.err) {
        if (!s.fetch_failing)
          SKYWIRE_LOG(warn, component, "public autoconnect: service discovery unavailable",
                      log::kv("error", describe(r.err)));
        s.fetch_failing = true;
        s.ac->fetch_failed(now);
        return;
      }
      s.fetch_failing = false;
      SKYWIRE_LOG(debug, component, "public autoconnect: public visors listed",
                  log::kv("count", r.visors.size()));
      s.ac->fetched(r.visors, now);
    },
    [self](api::tp_up_atom, const api::transport_summary& s) {
      self->state.up[s.id] = s.remote_pk;
    },
    [self, report](api::tp_down_atom, const api::transport_summary& s, const caf::error&) {
      auto& st = self->state;
      st.up.erase(s.id);
      if (s.type == "stcpr" && s.label == automatic_label) {
        st.ac->down(s.remote_pk, clock::now());
        report();
      }
    },
    [](api::tp_error_atom, const public_key&, const std::string&, const caf::error&) {
      // a dial of ours that failed is answered to its tp_add request
    },
  };
}

} // namespace

caf::actor spawn_autoconnect(caf::local_actor* parent, api::transport_manager_actor manager,
                             public_key local, const autoconnect_setup& setup) {
  return parent->spawn<caf::linked>(autoconnect_actor, std::move(manager), local, setup);
}

} // namespace skywire::transport
