#include "actors/routing/router_state.hpp"

#include <chrono>

#include "actors/routing/errors.hpp"

namespace skywire::routing {

namespace wr = wire::routing;

router_state::router_state(transport::link_directory_ptr links, rule_table::clock now)
  : links_(links ? std::move(links) : std::make_shared<transport::link_directory>()) {
  if (!now)
    now = [] { return nanos{std::chrono::steady_clock::now().time_since_epoch()}; };
  table_ = std::make_shared<rule_table>(std::move(now));
  core_ = std::make_shared<router_core>(table_, links_);
  core_->attach();
}

void router_state::set_edge_acceptor(edge_acceptor fn) {
  std::lock_guard<std::mutex> g{acc_mtx_};
  acceptor_ = std::move(fn);
}

expected<std::vector<route_id>> router_state::reserve_ids(uint8_t n) {
  return pool_.reserve(n);
}

caf::error router_state::check_reserved(const wr::rule& r) const {
  if (r.key.value == 0 || r.key.value > pool_.last())
    return make_error(routing_errc::bad_rule, "route ID " + std::to_string(r.key.value)
                                                + " was not reserved here");
  return {};
}

caf::error router_state::add_intermediary_rules(const public_key&, const std::vector<wr::rule>& rules) {
  for (const auto& r : rules) {
    if (r.type != wr::rule_type::intermediary_forward)
      return make_error(routing_errc::bad_rule, "not an intermediary rule: " + r.to_string());
    if (auto err = check_reserved(r))
      return err;
  }
  return table_->install_all(rules);
}

caf::error router_state::add_edge_rules(const public_key& from, const edge_rules& e) {
  if (e.forward.type != wr::rule_type::forward)
    return make_error(routing_errc::bad_rule, "the edge's forward rule is " + e.forward.to_string());
  if (e.reverse.type != wr::rule_type::consume)
    return make_error(routing_errc::bad_rule, "the edge's reverse rule is " + e.reverse.to_string());
  edge_acceptor acc;
  {
    std::lock_guard<std::mutex> g{acc_mtx_};
    acc = acceptor_;
  }
  if (!acc)
    return make_error(routing_errc::no_acceptor, "this visor takes no routes yet");
  for (const auto* r : {&e.forward, &e.reverse})
    if (auto err = check_reserved(*r))
      return err;
  if (auto err = table_->install_all({e.forward, e.reverse}))
    return err;
  if (auto err = acc(from, e)) {
    table_->remove(e.forward.key);
    table_->remove(e.reverse.key);
    return err;
  }
  return {};
}

caf::error router_state::save_rule(const wr::rule& r) {
  if (auto err = table_->install(r))
    return err;
  pool_.skip_through(r.key.value); // never hand this key out later
  return {};
}

void router_state::forget(const std::vector<wr::rule>& removed) {
  for (const auto& r : removed)
    if (r.type == wr::rule_type::consume)
      core_->clear_endpoint(r.key, true);
}

caf::error gateway_backend::remove_rules(const public_key&, const std::vector<route_id>&) {
  return make_error(routing_errc::not_allowed, "this gateway does not remove rules");
}

caf::error router_state::remove_rules(const public_key&, const std::vector<route_id>& keys) {
  for (auto k : keys)
    remove_rule(k);
  return {};
}

std::optional<wr::rule> router_state::remove_rule(route_id rid) {
  auto r = table_->remove(rid);
  if (r)
    forget({*r});
  return r;
}

std::vector<wr::rule> router_state::sweep() {
  auto removed = table_->sweep();
  forget(removed);
  return removed;
}

} // namespace skywire::routing
