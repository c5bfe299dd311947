#include "actors/transport/inbound.hpp"

#include <algorithm>

#include "runtime/log/logger.hpp"

namespace skywire::transport {

std::shared_ptr<inbound> inbound::make(params p) {
  return std::shared_ptr<inbound>(new inbound(std::move(p)));
}

void inbound::accept(io::byte_link_ptr conn, io::admission_ticket_ptr ticket) {
  if (!conn)
    return;
  transport_core::params cp;
  cp.mode = p_.mode;
  cp.role = transport_role::responder;
  cp.type = p_.type;
  cp.max_send_queue = send_queue_for(p_.type);
  cp.local = p_.local;
  cp.limits = p_.limits;
  if (p_.prepare)
    p_.prepare(*conn, cp);
  if (ticket) {
    auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(ticket->deadline());
    if (d.count() > 0)
      cp.limits.frames = std::min(cp.limits.frames, d);
  }
  auto made = transport_link::make(std::move(cp), p_.target);
  if (!made) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    SKYWIRE_LOG(warn, "transport", "cannot take a connection", log::kv("type", p_.type),
                log::kv("error", describe(made.error())));
    conn->close();
    return;
  }
  auto link = std::move(*made);
  link->set_quiet_until_registered();
  auto id = link->id();
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (closed_ || pending_.size() >= p_.max_pending) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      conn->close();
      return;
    }
    pending_.emplace(id, slot{link, std::move(ticket), p_.on_authenticated ? conn : nullptr});
  }
  link->set_on_detach([w = weak_from_this(), id] {
    if (auto self = w.lock())
      self->detach(id);
  });
  accepted_.fetch_add(1, std::memory_order_relaxed);
  link->start(std::move(conn));
}

void inbound::detach(uint64_t id) {
  slot s;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = pending_.find(id);
    if (i == pending_.end())
      return;
    s = std::move(i->second);
    pending_.erase(i);
  }
  // authenticated: its pending slot goes back (pending is not established)
  if (s.ticket)
    s.ticket->release();
  if (s.link && s.link->entry()) {
    authenticated_.fetch_add(1, std::memory_order_relaxed);
    if (p_.on_authenticated && s.conn)
      p_.on_authenticated(s.conn);
  } else
    dropped_.fetch_add(1, std::memory_order_relaxed);
}

void inbound::close_all() {
  std::unordered_map<uint64_t, slot> all;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
    all.swap(pending_);
  }
  for (auto& kv : all)
    kv.second.link->abort();
}

size_t inbound::pending() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return pending_.size();
}

boost::json::object inbound::info() const {
  boost::json::object o;
  o["pending"] = pending();
  o["accepted"] = accepted_.load(std::memory_order_relaxed);
  o["authenticated"] = authenticated_.load(std::memory_order_relaxed);
  o["dropped"] = dropped_.load(std::memory_order_relaxed);
  return o;
}

} // namespace skywire::transport
