#include "runtime/io/admission.hpp"

#include <algorithm>
#include <vector>

namespace skywire::io {

const char* to_string(refusal r) noexcept {
  switch (r) {
    case refusal::per_ip: return "per_ip";
    case refusal::per_prefix: return "per_prefix";
    case refusal::budget: return "budget";
    case refusal::evicted: return "evicted";
    case refusal::deadline: return "deadline";
    case refusal::sessions_full: return "sessions_full";
    case refusal::replayed: return "replayed";
    case refusal::count_: break;
  }
  return "unknown";
}

// -- ticket ---------------------------------------------------------------------------------

admission_ticket::~admission_ticket() {
  release();
}

void admission_ticket::release() {
  if (released_.exchange(true))
    return;
  if (owner_)
    owner_->release(id_);
}

void admission_ticket::busy() {
  if (!released_.load() && owner_)
    owner_->set_busy(id_, true);
}

std::chrono::milliseconds admission_ticket::idle() {
  if (!released_.load() && owner_) {
    owner_->set_busy(id_, false);
    deadline_ = owner_->current_deadline();
  }
  return deadline_;
}

// -- admission ------------------------------------------------------------------------------

std::shared_ptr<admission> admission::make(admission_config cfg) {
  cfg.max_pending = std::max<size_t>(cfg.max_pending, 1);
  cfg.max_pending_per_ip = std::max<size_t>(cfg.max_pending_per_ip, 1);
  cfg.max_pending_per_prefix = std::max(cfg.max_pending_per_prefix, cfg.max_pending_per_ip);
  cfg.v4_prefix = std::min(cfg.v4_prefix, 32u);
  cfg.v6_prefix = std::min(cfg.v6_prefix, 128u);
  if (cfg.min_deadline > cfg.deadline)
    cfg.min_deadline = cfg.deadline;
  return std::make_shared<admission>(cfg);
}

namespace {

std::string masked(const boost::asio::ip::address& a, unsigned bits, bool mask) {
  std::string k;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    auto b = a.to_v6().to_bytes();
    k.push_back('4');
    k.append(reinterpret_cast<const char*>(b.data()) + 12, 4);
  } else if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    k.push_back('4');
    k.append(reinterpret_cast<const char*>(b.data()), 4);
  } else {
    auto b = a.to_v6().to_bytes();
    k.push_back('6');
    k.append(reinterpret_cast<const char*>(b.data()), 16);
  }
  if (!mask)
    return k;
  size_t nbytes = k.size() - 1;
  for (size_t i = 0; i < nbytes; ++i) {
    size_t lo = i * 8;
    auto byte = static_cast<uint8_t>(k[1 + i]);
    if (lo >= bits)
      byte = 0;
    else if (bits - lo < 8)
      byte = static_cast<uint8_t>(byte & (0xFFu << (8 - (bits - lo))));
    k[1 + i] = static_cast<char>(byte);
  }
  return k;
}

} // namespace

admission::key admission::address_key(const boost::asio::ip::address& a) const {
  return masked(a, 0, false);
}

admission::key admission::prefix_key(const boost::asio::ip::address& a) const {
  bool v4 = a.is_v4() || (a.is_v6() && a.to_v6().is_v4_mapped());
  return masked(a, v4 ? cfg_.v4_prefix : cfg_.v6_prefix, true);
}

std::chrono::milliseconds admission::deadline_locked() const {
  // Full deadline up to half the budget, then linearly down to min_deadline.
  auto used = static_cast<double>(entries_.size());
  auto cap = static_cast<double>(cfg_.max_pending);
  double p = std::clamp((used / cap - 0.5) * 2.0, 0.0, 1.0);
  auto span = static_cast<double>((cfg_.deadline - cfg_.min_deadline).count());
  return cfg_.deadline - std::chrono::milliseconds{static_cast<int64_t>(span * p)};
}

std::chrono::milliseconds admission::current_deadline() const {
  std::lock_guard<std::mutex> g{mtx_};
  return deadline_locked();
}

size_t admission::pending() const {
  std::lock_guard<std::mutex> g{mtx_};
  return entries_.size();
}

uint64_t admission::pick_in_ip(const ip_state& s) const {
  return s.idle.empty() ? 0 : s.idle.begin()->first;
}

uint64_t admission::pick_in_net(const net_state& n) const {
  // The heaviest address of the prefix that has an idle connection; ties: the
  // one whose oldest idle connection is oldest.
  const ip_state* best = nullptr;
  for (const auto& [k, s] : n.ips) {
    if (s.idle.empty())
      continue;
    if (!best || s.total > best->total
        || (s.total == best->total && s.idle.begin()->first < best->idle.begin()->first))
      best = &s;
  }
  return best ? pick_in_ip(*best) : 0;
}

uint64_t admission::pick_global() const {
  const net_state* best = nullptr;
  uint64_t best_id = 0;
  for (const auto& [k, n] : nets_) {
    if (best && n.total < best->total)
      continue;
    auto id = pick_in_net(n);
    if (id == 0)
      continue;
    if (!best || n.total > best->total || id < best_id) {
      best = &n;
      best_id = id;
    }
  }
  return best_id;
}

void admission::remove_locked(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return;
  auto& e = it->second;
  auto nit = nets_.find(e.net);
  if (nit != nets_.end()) {
    auto& n = nit->second;
    auto iit = n.ips.find(e.ip);
    if (iit != n.ips.end()) {
      iit->second.idle.erase(id);
      if (--iit->second.total == 0)
        n.ips.erase(iit);
    }
    if (--n.total == 0)
      nets_.erase(nit);
  }
  entries_.erase(it);
}

admission::evict_fn admission::take_victim(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return {};
  auto fn = std::move(it->second.on_evict);
  if (auto t = it->second.ticket.lock()) {
    t->evicted_.store(true, std::memory_order_release);
    t->released_.store(true); // its slot is gone with it
  }
  remove_locked(id);
  count(refusal::evicted);
  return fn;
}

admission::decision admission::admit(const boost::asio::ip::address& from, evict_fn on_evict) {
  return admit_keyed(address_key(from), prefix_key(from), std::move(on_evict));
}

admission::decision admission::admit_keys(std::string_view source, std::string_view network,
                                          evict_fn on_evict) {
  // 'k' is no address family byte: these keys never equal an IP's
  return admit_keyed("k" + std::string{source}, "k" + std::string{network}, std::move(on_evict));
}

admission::decision admission::admit_keyed(key ip, key net, evict_fn on_evict) {
  std::vector<evict_fn> victims;
  decision d;
  {
    std::lock_guard<std::mutex> g{mtx_};
    auto nit = nets_.find(net);
    net_state* n = nit == nets_.end() ? nullptr : &nit->second;
    ip_state* s = nullptr;
    if (n) {
      auto iit = n->ips.find(ip);
      s = iit == n->ips.end() ? nullptr : &iit->second;
    }
    // 1. its address at its bound: push out the address's oldest idle one
    if (s && s->total >= cfg_.max_pending_per_ip) {
      auto v = pick_in_ip(*s);
      if (v == 0) {
        count(refusal::per_ip);
        d.why = refusal::per_ip;
        return d;
      }
      victims.push_back(take_victim(v));
    }
    // (the maps may have changed: look again)
    nit = nets_.find(net);
    n = nit == nets_.end() ? nullptr : &nit->second;
    // 2. its prefix at its bound: the prefix's heaviest address gives way
    if (n && n->total >= cfg_.max_pending_per_prefix) {
      auto v = pick_in_net(*n);
      if (v == 0) {
        count(refusal::per_prefix);
        d.why = refusal::per_prefix;
        return d;
      }
      victims.push_back(take_victim(v));
    }
    // 3. the budget full: the heaviest prefix's heaviest address gives way
    if (entries_.size() >= cfg_.max_pending) {
      auto v = pick_global();
      if (v == 0) {
        count(refusal::budget);
        d.why = refusal::budget;
        return d;
      }
      victims.push_back(take_victim(v));
    }
    auto id = next_id_++;
    auto t = std::shared_ptr<admission_ticket>(
      new admission_ticket(shared_from_this(), id, deadline_locked()));
    entry e;
    e.ip = ip;
    e.net = net;
    e.on_evict = std::move(on_evict);
    e.ticket = t;
    entries_.emplace(id, std::move(e));
    auto& ns = nets_[net];
    ++ns.total;
    auto& is = ns.ips[ip];
    ++is.total;
    is.idle.emplace(id, true);
    admitted_.fetch_add(1, std::memory_order_relaxed);
    d.ticket = std::move(t);
  }
  for (auto& fn : victims)
    if (fn)
      fn();
  return d;
}

void admission::release(uint64_t id) {
  std::lock_guard<std::mutex> g{mtx_};
  remove_locked(id);
}

void admission::set_busy(uint64_t id, bool busy) {
  std::lock_guard<std::mutex> g{mtx_};
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.busy == busy)
    return;
  it->second.busy = busy;
  auto nit = nets_.find(it->second.net);
  if (nit == nets_.end())
    return;
  auto iit = nit->second.ips.find(it->second.ip);
  if (iit == nit->second.ips.end())
    return;
  if (busy)
    iit->second.idle.erase(id);
  else
    iit->second.idle.emplace(id, true);
}

std::string admission::metrics_text(std::string_view prefix) const {
  std::string out;
  std::string name = std::string{prefix} + "admission_refused_total";
  out += "# HELP " + name
         + " Connections refused or ended by admission control, by reason (the pending"
           " budget of connections not yet authenticated).\n";
  out += "# TYPE " + name + " counter\n";
  for (size_t i = 0; i < static_cast<size_t>(refusal::count_); ++i)
    out += name + "{reason=\"" + to_string(static_cast<refusal>(i)) + "\"} "
           + std::to_string(counters_[i].load(std::memory_order_relaxed)) + "\n";
  auto pn = std::string{prefix} + "admission_pending";
  out += "# HELP " + pn + " Connections admitted and not yet established (or idle).\n";
  out += "# TYPE " + pn + " gauge\n" + pn + " " + std::to_string(pending()) + "\n";
  auto an = std::string{prefix} + "admission_admitted_total";
  out += "# TYPE " + an + " counter\n" + an + " " + std::to_string(admitted()) + "\n";
  return out;
}

boost::asio::ip::address parse_remote_address(std::string_view text) {
  std::string host{text};
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    host = close == std::string::npos ? std::string{} : host.substr(1, close - 1);
  } else if (auto colon = host.rfind(':');
             colon != std::string::npos && host.find(':') == colon) {
    host = host.substr(0, colon); // a.b.c.d:port
  }
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(host, ec);
  return ec ? boost::asio::ip::address{} : a;
}

} // namespace skywire::io
