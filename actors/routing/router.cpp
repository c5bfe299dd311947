#include "actors/routing/router.hpp"

#include <boost/json.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/routing/errors.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::routing {

namespace wr = wire::routing;

namespace {

constexpr const char* component = "router";

using rt_sweep_atom = caf::atom_constant<caf::atom("rt_sweep")>;

using router_interface =
  router_actor::extend<caf::reacts_to<rt_sweep_atom>, caf::reacts_to<system::crash_atom>>;

class router_impl : public router_interface::base {
public:
  router_impl(caf::actor_config& acfg, router_state_ptr st, router_config cfg)
    : router_interface::base(acfg), st_(std::move(st)), cfg_(cfg) {}

  const char* name() const override { return "router"; }

  behavior_type make_behavior() override {
    system::install_exception_handler(this, component);
    delayed_send(this, cfg_.sweep_every, rt_sweep_atom::value);
    return {
      [this](rt_sweep_atom) {
        auto removed = st_->sweep();
        swept_ += removed.size();
        for (const auto& r : removed)
          SKYWIRE_LOG(debug, component, "rule expired", log::kv("rule", r.to_string()));
        delayed_send(this, cfg_.sweep_every, rt_sweep_atom::value);
      },
      [this](api::rt_rules_atom) {
        std::string out = "[";
        for (const auto& r : st_->table()->rules()) {
          if (out.size() > 1)
            out += ',';
          out += wr::encode_summary_json(r);
        }
        return out + "]";
      },
      [this](api::rt_rule_atom, uint32_t id) -> caf::result<std::string> {
        auto r = st_->table()->get(route_id{id});
        if (!r)
          return r.error();
        return wr::encode_summary_json(*r);
      },
      [this](api::rt_save_atom, const std::vector<uint8_t>& bytes) -> caf::result<std::string> {
        auto r = wr::rule::decode({bytes.data(), bytes.size()});
        if (!r)
          return make_error(routing_errc::bad_rule, describe(r.error()));
        if (auto err = st_->save_rule(*r))
          return err;
        SKYWIRE_LOG(info, component, "rule saved from the CLI", log::kv("rule", r->to_string()));
        return wr::encode_summary_json(*r);
      },
      [this](api::rt_remove_atom, uint32_t id) -> caf::result<std::string> {
        if (!st_->remove_rule(route_id{id}))
          return make_error(routing_errc::unknown_rule, std::to_string(id));
        return std::string{"\"ok\""};
      },
      [this](system::info_atom) {
        boost::json::object o;
        o["rules"] = st_->table()->size();
        o["swept"] = swept_;
        o["last_route_id"] = st_->pool().last();
        o["transports"] = st_->links()->size();
        o["packets"] = boost::json::parse(st_->core()->stats().to_json());
        return boost::json::serialize(o);
      },
      [](system::crash_atom) { system::throw_injected_fault(); },
    };
  }

private:
  router_state_ptr st_;
  router_config cfg_;
  uint64_t swept_ = 0;
};

} // namespace

router_actor spawn_router(caf::actor_system& sys, router_state_ptr state, router_config cfg) {
  return caf::actor_cast<router_actor>(sys.spawn<router_impl>(std::move(state), cfg));
}

} // namespace skywire::routing
