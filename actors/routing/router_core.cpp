#include "actors/routing/router_core.hpp"

#include <boost/json.hpp>

#include "runtime/log/logger.hpp"

namespace skywire::routing {

namespace wr = wire::routing;

namespace {

constexpr const char* component = "router";

} // namespace

std::string router_stats::to_json() const {
  boost::json::object drops;
  drops["unknown_route"] = unknown_route;
  drops["expired_rule"] = expired_rule;
  drops["no_transport"] = no_transport;
  drops["next_busy"] = next_busy;
  drops["no_endpoint"] = no_endpoint;
  boost::json::object o;
  o["forwarded"] = forwarded;
  o["delivered"] = delivered;
  o["closes_forwarded"] = closes_forwarded;
  o["dropped"] = std::move(drops);
  return boost::json::serialize(o);
}

router_core::router_core(std::shared_ptr<rule_table> table, transport::link_directory_ptr links)
  : table_(std::move(table)), links_(std::move(links)) {
  endpoints_.store(std::make_shared<const endpoint_map>());
}

void router_core::attach() {
  std::weak_ptr<router_core> weak = shared_from_this();
  links_->set_sink([weak](const transport_id& from, const wr::packet_view& p) {
    if (auto self = weak.lock())
      self->on_packet(from, p);
  });
}

void router_core::count(std::atomic<uint64_t>& c, unsigned kind_no, const char* kind, route_id rid) {
  c.fetch_add(1, std::memory_order_relaxed);
  // the first drop of each kind is logged, the rest only counted
  auto bit = 1u << kind_no;
  if ((logged_.fetch_or(bit, std::memory_order_relaxed) & bit) == 0)
    SKYWIRE_LOG(info, component, "packet dropped (first of its kind; the rest are counted)",
                log::kv("cause", kind), log::kv("route_id", rid.value));
}

void router_core::on_packet(const transport_id& from, const wr::packet_view& p) {
  auto snap = table_->snapshot();
  auto r = lookup(*snap, p.rid, table_->now());
  if (!r) {
    if (r.miss == lookup_miss::expired)
      count(drops_.expired_rule, 1, "expired rule", p.rid);
    else
      count(drops_.unknown_route, 0, "unknown route", p.rid);
    return;
  }
  if (r.hit->rule.type == wr::rule_type::consume)
    return deliver(p);
  forward(from, p, *r.hit);
}

void router_core::forward(const transport_id& from, const wr::packet_view& p,
                          const installed_rule& r) {
  const auto& rule = r.rule;
  // A next transport that is the one the packet came on is forwarded too:
  // the reference's ping loop S -> B -> S turns around at B on one transport
  // (a new route ID; the setup node checked the route visits no key twice).
  static_cast<void>(from);
  // a transit hop forwards the Close and forgets the route (§4.4); forgotten
  // first, so that nothing behind the Close finds the rule (the rule stays
  // valid here: the caller holds the snapshot)
  if (p.type == wr::packet_type::close) {
    closes_.fetch_add(1, std::memory_order_relaxed);
    table_->remove(rule.key);
  }
  auto res = links_->send(rule.next_transport, p.type, rule.next_route, p.payload);
  switch (res) {
    case write_result::ok:
      forwarded_.fetch_add(1, std::memory_order_relaxed);
      break;
    case write_result::queue_full:
    case write_result::too_large:
      count(drops_.next_busy, 3, "next transport busy", p.rid);
      break;
    case write_result::not_up:
    case write_result::closed:
      count(drops_.no_transport, 2, "next transport not up", p.rid);
      break;
  }
}

void router_core::deliver(const wr::packet_view& p) {
  auto eps = endpoints_.load(std::memory_order_acquire);
  auto i = eps->find(p.rid.value);
  if (i == eps->end()) {
    count(drops_.no_endpoint, 5, "no endpoint for the consume rule", p.rid);
    return;
  }
  delivered_.fetch_add(1, std::memory_order_relaxed);
  i->second->fn(p);
}

void router_core::set_endpoint(route_id rid, endpoint fn, std::function<void()> gone) {
  std::lock_guard<std::mutex> g{ep_mtx_};
  auto next = std::make_shared<endpoint_map>(*endpoints_.load());
  (*next)[rid.value] = std::make_shared<const endpoint_entry>(endpoint_entry{std::move(fn), std::move(gone)});
  endpoints_.store(std::move(next));
}

void router_core::clear_endpoint(route_id rid, bool rule_removed) {
  std::shared_ptr<const endpoint_entry> old;
  {
    std::lock_guard<std::mutex> g{ep_mtx_};
    auto cur = endpoints_.load();
    auto i = cur->find(rid.value);
    if (i == cur->end())
      return;
    old = i->second;
    auto next = std::make_shared<endpoint_map>(*cur);
    next->erase(rid.value);
    endpoints_.store(std::move(next));
  }
  if (rule_removed && old->gone)
    old->gone();
}

router_core::write_result router_core::send(route_id fwd, wr::packet_type type, byte_span payload) {
  auto snap = table_->snapshot();
  auto r = lookup(*snap, fwd, table_->now());
  if (!r || r.hit->rule.type == wr::rule_type::consume)
    return write_result::closed;
  const auto& rule = r.hit->rule;
  return links_->send(rule.next_transport, type, rule.next_route, payload);
}

router_stats router_core::stats() const {
  router_stats s;
  auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  s.forwarded = ld(forwarded_);
  s.delivered = ld(delivered_);
  s.closes_forwarded = ld(closes_);
  s.unknown_route = ld(drops_.unknown_route);
  s.expired_rule = ld(drops_.expired_rule);
  s.no_transport = ld(drops_.no_transport);
  s.next_busy = ld(drops_.next_busy);
  s.no_endpoint = ld(drops_.no_endpoint);
  return s;
}

} // namespace skywire::routing
