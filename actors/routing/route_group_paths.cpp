// route_group_core: its paths (reliable mode: multipath and re-established
// routes). Each path knows its consume route id, so the group knows on which
// path a packet came; a path is silent when nothing came back on it for
// path_silence after a data packet or a ping went out on it; data goes to
// the paths that are not silent, acks and keep-alives to the path heard from
// last, pings round every live path; a dead or silent path is reported once
// (path_fn). The class is declared in route_group_core.hpp.
#include "actors/routing/route_group_core.hpp"

#include <algorithm>

#include "actors/routing/route_group_errors.hpp"

namespace skywire::routing {

using wire::routing::packet_type;

size_t route_group_core::control_path(bool probe) {
  if (paths_.size() <= 1)
    return 0;
  if (probe) { // pings go round every live path: a silent one that works is heard again
    for (size_t k = 0; k < paths_.size(); ++k) {
      size_t i = probe_rr_++ % paths_.size();
      if (!paths_[i].dead)
        return i;
    }
    return 0;
  }
  size_t best = paths_.size();
  for (size_t i = 0; i < paths_.size(); ++i)
    if (usable(paths_[i]) && (best == paths_.size() || paths_[i].last_heard > paths_[best].last_heard))
      best = i;
  if (best == paths_.size())
    for (size_t i = 0; i < paths_.size() && best == paths_.size(); ++i)
      if (!paths_[i].dead)
        best = i;
  return best == paths_.size() ? 0 : best;
}

size_t route_group_core::live_paths() const noexcept {
  size_t n = 0;
  for (const auto& p : paths_)
    n += p.dead ? 0 : 1;
  return n;
}

bool route_group_core::has_path(route_id forward_rid) const noexcept {
  return std::any_of(paths_.begin(), paths_.end(),
                     [&](const path& p) { return p.rid == forward_rid; });
}

size_t route_group_core::usable_paths() const noexcept {
  size_t n = 0;
  for (const auto& p : paths_)
    n += usable(p) ? 1 : 0;
  return n;
}

bool route_group_core::usable(const path& p) const noexcept {
  return !p.dead && !p.silent;
}

void route_group_core::expect_answer(path& p) {
  if (p.waiting_since.count() == 0)
    p.waiting_since = now();
}

void route_group_core::heard(route_id consume) {
  if (paths_.empty())
    return;
  path* p = nullptr;
  for (auto& x : paths_)
    if (x.consume == consume && consume.value != 0) {
      p = &x;
      break;
    }
  if (!p && paths_.front().consume.value == 0)
    p = &paths_.front();
  if (!p)
    return;
  p->last_heard = now();
  p->waiting_since = {};
  p->silent = false;
  if (!p->dead)
    p->reported = false;
}

void route_group_core::path_lost(path& p) {
  if (p.reported || (phase_ != phase::established && phase_ != phase::closing))
    return; // (a handshake that cannot go out fails the dial instead)
  p.reported = true;
  ++stats_.paths_lost;
  if (!agreed_.reliable) {
    // Without the reliable layer (a Go peer, or between ours with it off) a
    // new path cannot carry this group on: the peer's group does not move to
    // it (a Go visor takes new rules for a new route and waits for its
    // handshake) and what was in flight is gone. No new path, then: the path
    // is dead and the group fails with a clean error, on the shard's next
    // turn (not inside the send that found it; an idle group finds it with
    // its next keep-alive).
    p.dead = true;
    if (dead_timer_ == 0)
      dead_timer_ = after(std::chrono::nanoseconds{0}, &route_group_core::on_path_dead);
    return;
  }
  if (on_path_lost_) {
    auto cb = on_path_lost_; // may replace the paths
    cb(p.rid);
  }
}

void route_group_core::on_path_dead() {
  dead_timer_ = 0;
  // (closing: the app asked for the end already; the close timer ends it)
  if (phase_ == phase::established && live_paths() == 0)
    fail(make_error(route_group_errc::path_failed,
                    "the route's transport is gone (a route without the reliable layer ends "
                    "with its path)"));
}

void route_group_core::check_paths() {
  if (!agreed_.reliable)
    return;
  auto t = now();
  for (size_t i = 0; i < paths_.size(); ++i) {
    auto& p = paths_[i];
    if (p.dead || p.silent || p.waiting_since.count() == 0
        || t - p.waiting_since < cfg_.t.path_silence)
      continue;
    p.silent = true;
    path_lost(p);
    if (phase_ == phase::failed || phase_ == phase::closed || i >= paths_.size())
      return;
  }
}

std::pair<route_group_core::send_status, size_t> route_group_core::send_on(size_t i,
                                                                           byte_span payload) {
  auto r = send_status::failed;
  bool skip_silent = usable_paths() > 0;
  for (size_t k = 0; k < paths_.size(); ++k, i = (i + 1) % paths_.size()) {
    auto& p = paths_[i];
    if (p.dead || (skip_silent && p.silent))
      continue;
    r = p.out(packet_type::data, p.rid, payload);
    if (r == send_status::ok)
      expect_answer(p);
    if (r != send_status::failed)
      break;
    if (live_paths() <= 1) {
      path_lost(p);
      break;
    }
    p.dead = true;
    path_lost(p);
    skip_silent = usable_paths() > 0;
  }
  if (r == send_status::ok)
    ++stats_.packets_out;
  return {r, i};
}

bool route_group_core::add_path(write_fn out, route_id forward_rid, route_id consume_rid) {
  if (phase_ != phase::established || !agreed_.reliable)
    return false;
  path p;
  p.out = std::move(out);
  p.rid = forward_rid;
  p.consume = consume_rid;
  paths_.push_back(std::move(p));
  return true;
}

bool route_group_core::remove_path(route_id forward_rid) {
  if (paths_.size() <= 1)
    return false;
  auto i = std::find_if(paths_.begin(), paths_.end(),
                        [&](const path& p) { return p.rid == forward_rid; });
  if (i == paths_.end())
    return false;
  paths_.erase(i);
  for (auto& sp : inflight_)
    if (sp.path >= paths_.size())
      sp.path = 0;
  return true;
}

} // namespace skywire::routing
