#include "actors/services/setup_node/route_plan.hpp"

#include <chrono>

namespace skywire::services::setup_node {

namespace wr = wire::routing;

std::vector<id_request> id_requests(const rs::bidirectional_route& r) {
  std::vector<id_request> out;
  auto add = [&out](const public_key& pk) {
    for (auto& x : out)
      if (x.pk == pk) {
        ++x.count;
        return;
      }
    out.push_back({pk, 1});
  };
  for (auto* path : {&r.forward, &r.reverse}) {
    if (path->empty())
      continue;
    add(path->front().from);
    for (auto& h : *path)
      add(h.to);
  }
  return out;
}

namespace {

struct path_rules {
  wr::rule forward;
  wr::rule consume;
};

} // namespace

expected<route_rules> generate_rules(const rs::bidirectional_route& r,
                                     const std::map<public_key, std::vector<route_id>>& reserved) {
  std::map<public_key, size_t> used;
  caf::error err;
  auto pop = [&](const public_key& pk) -> route_id {
    auto it = reserved.find(pk);
    auto& n = used[pk];
    if (it == reserved.end() || n >= it->second.size()) {
      if (!err)
        err = make_error(wire_errc::bad_value, "no reserved route id left for " + pk.hex());
      return route_id{};
    }
    return it->second[n++];
  };
  route_rules out;
  std::chrono::nanoseconds ka{r.keep_alive_ns};
  auto one_path = [&](const std::vector<rs::hop>& hops, const wr::route_descriptor& desc) {
    path_rules pr;
    auto rid = pop(hops.front().from);
    for (size_t i = 0; i < hops.size(); ++i) {
      auto& h = hops[i];
      auto nxt = pop(h.to);
      if (i == 0)
        pr.forward = wr::make_forward_rule(ka, rid, nxt, h.tp_id, desc);
      else
        out.intermediary[h.from].push_back(wr::make_intermediary_rule(ka, rid, nxt, h.tp_id));
      rid = nxt;
    }
    pr.consume = wr::make_consume_rule(ka, rid, desc);
    return pr;
  };
  auto fwd_desc = r.desc;
  auto rev_desc = r.desc.inverted();
  auto fwd = one_path(r.forward, fwd_desc);
  auto rev = one_path(r.reverse, rev_desc);
  if (err)
    return err;
  for (auto& [pk, ids] : reserved)
    if (used[pk] != ids.size())
      return make_error(wire_errc::bad_value, "unused reserved route ids at " + pk.hex());
  out.destination = {fwd_desc, rev.forward, fwd.consume};
  out.source = {rev_desc, fwd.forward, rev.consume};
  return out;
}

} // namespace skywire::services::setup_node
