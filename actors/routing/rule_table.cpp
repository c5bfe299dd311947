#include "actors/routing/rule_table.hpp"

#include <algorithm>
#include <set>

#include "actors/routing/errors.hpp"

namespace skywire::routing {

namespace wr = wire::routing;

lookup_result lookup(const rule_snapshot& snap, route_id rid, nanos now) noexcept {
  lookup_result out;
  auto i = snap.rules.find(rid.value);
  if (i == snap.rules.end())
    return out;
  if (i->second->expired(now)) {
    out.miss = lookup_miss::expired;
    return out;
  }
  i->second->touch(now);
  out.hit = i->second.get();
  return out;
}

rule_table::rule_table(clock now) : now_(std::move(now)) {
  snap_.store(std::make_shared<const rule_snapshot>(), std::memory_order_release);
}

std::pair<rule_snapshot_ptr, lookup_result> rule_table::find(route_id rid) const {
  auto s = snapshot();
  auto r = lookup(*s, rid, now_());
  return {std::move(s), r};
}

caf::error rule_table::check(const wr::rule& r, const rule_snapshot& cur) const {
  if (r.key.value == 0)
    return make_error(routing_errc::bad_rule, "key route ID 0 is the transport's own");
  if (r.has_next_hop() && r.next_route.value == 0)
    return make_error(routing_errc::bad_rule, "next route ID 0 in " + r.to_string());
  if (cur.rules.count(r.key.value) > 0)
    return make_error(routing_errc::id_in_use, std::to_string(r.key.value));
  return {};
}

void rule_table::publish(std::shared_ptr<rule_snapshot> next) {
  next->version = snapshot()->version + 1;
  snap_.store(std::move(next), std::memory_order_release);
}

caf::error rule_table::install(const wr::rule& r) {
  return install_all({r});
}

caf::error rule_table::install_all(const std::vector<wr::rule>& rs) {
  std::lock_guard<std::mutex> g{write_mtx_};
  auto cur = snapshot();
  std::set<uint32_t> keys;
  for (const auto& r : rs) {
    if (auto err = check(r, *cur))
      return err;
    if (!keys.insert(r.key.value).second)
      return make_error(routing_errc::id_in_use, std::to_string(r.key.value) + " twice in one request");
  }
  auto next = std::make_shared<rule_snapshot>(*cur);
  auto now = now_();
  for (const auto& r : rs)
    next->rules.emplace(r.key.value, std::make_shared<const installed_rule>(r, now));
  publish(std::move(next));
  return {};
}

std::optional<wr::rule> rule_table::remove(route_id rid) {
  std::lock_guard<std::mutex> g{write_mtx_};
  auto cur = snapshot();
  auto i = cur->rules.find(rid.value);
  if (i == cur->rules.end())
    return std::nullopt;
  auto removed = i->second->rule;
  auto next = std::make_shared<rule_snapshot>(*cur);
  next->rules.erase(rid.value);
  publish(std::move(next));
  return removed;
}

std::vector<wr::rule> rule_table::sweep() {
  std::lock_guard<std::mutex> g{write_mtx_};
  auto cur = snapshot();
  auto now = now_();
  std::vector<wr::rule> out;
  for (const auto& [id, r] : cur->rules)
    if (r->expired(now))
      out.push_back(r->rule);
  if (out.empty())
    return out;
  auto next = std::make_shared<rule_snapshot>(*cur);
  for (const auto& r : out)
    next->rules.erase(r.key.value);
  publish(std::move(next));
  std::sort(out.begin(), out.end(), [](const wr::rule& a, const wr::rule& b) { return a.key < b.key; });
  return out;
}

bool rule_table::touch(route_id rid) const {
  auto [s, r] = find(rid);
  return static_cast<bool>(r);
}

expected<wr::rule> rule_table::get(route_id rid) const {
  auto s = snapshot();
  auto i = s->rules.find(rid.value);
  if (i == s->rules.end())
    return make_error(routing_errc::unknown_rule, std::to_string(rid.value));
  return i->second->rule;
}

std::vector<wr::rule> rule_table::rules() const {
  auto s = snapshot();
  std::vector<wr::rule> out;
  out.reserve(s->rules.size());
  for (const auto& [id, r] : s->rules)
    out.push_back(r->rule);
  std::sort(out.begin(), out.end(), [](const wr::rule& a, const wr::rule& b) { return a.key < b.key; });
  return out;
}

} // namespace skywire::routing
