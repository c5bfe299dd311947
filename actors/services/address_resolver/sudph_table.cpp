#include "actors/services/address_resolver/sudph_table.hpp"

#include <algorithm>
#include <cstring>

#include "actors/services/source_budget.hpp"
#include "messages/wire/kcp/segment.hpp"
#include "runtime/io/address_scope.hpp"

namespace skywire::services::address_resolver {

namespace kcpw = wire::kcp;

namespace {

void inc(std::atomic<uint64_t>& c) noexcept {
  c.fetch_add(1, std::memory_order_relaxed);
}
void dec(std::atomic<uint64_t>& c) noexcept {
  c.fetch_sub(1, std::memory_order_relaxed);
}

/// A well-formed datagram that opens a conversation: every segment valid,
/// and among them the PUSH with sn 0 a dialer's first datagram carries.
bool opens_conversation(kcpw::byte_span bytes) {
  if (!kcpw::validate_datagram(bytes))
    return false;
  kcpw::datagram_reader r{bytes};
  for (;;) {
    auto seg = r.next();
    if (!seg || !*seg)
      return false;
    const auto& h = (*seg)->hdr;
    if (h.cmd == kcpw::command::push && h.sn == 0)
      return true;
  }
}

void decrement(std::unordered_map<std::string, size_t>& m, const std::string& k) {
  auto it = m.find(k);
  if (it != m.end() && --it->second == 0)
    m.erase(it);
}

} // namespace

size_t sudph_table::key_hash::operator()(const key& k) const noexcept {
  size_t h = std::hash<uint32_t>{}(k.conv) ^ (size_t{k.socket} << 48) ^ (size_t{k.ep.port()} << 32);
  auto a = k.ep.address();
  if (a.is_v4()) {
    h ^= std::hash<uint32_t>{}(a.to_v4().to_uint()) * 0x9e3779b97f4a7c15ULL;
  } else {
    auto b = a.to_v6().to_bytes();
    uint64_t x = 0, y = 0;
    std::memcpy(&x, b.data(), 8);
    std::memcpy(&y, b.data() + 8, 8);
    h ^= (x * 0x9e3779b97f4a7c15ULL) ^ (y * 0xc2b2ae3d27d4eb4fULL);
  }
  return h;
}

sudph_table::sudph_table(sudph_table_config cfg, io::timer_service& timers, clock_fn now_ms,
                         send_fn send, listener& events)
  : cfg_(std::move(cfg)), timers_(timers), now_(std::move(now_ms)), send_(std::move(send)),
    events_(events) {
}

sudph_table::~sudph_table() {
  clear();
}

std::string sudph_table::remote_text(const endpoint& ep) {
  auto a = io::unmapped(ep.address());
  if (a.is_v6())
    return "[" + a.to_string() + "]:" + std::to_string(ep.port());
  return a.to_string() + ":" + std::to_string(ep.port());
}

std::optional<uint64_t> sudph_table::channel_of(const public_key& pk) const {
  auto it = by_pk_.find(pk);
  if (it == by_pk_.end())
    return std::nullopt;
  return it->second;
}

void sudph_table::on_datagram(uint8_t socket, const endpoint& from, kcpw::byte_span bytes,
                              bool truncated) {
  inc(n_.datagrams);
  if (truncated || bytes.size() > cfg_.max_datagram) {
    inc(n_.oversized);
    return;
  }
  if (bytes.size() < kcpw::header_size || !kcpw::looks_like_kcp(bytes)) {
    inc(n_.garbage);
    return;
  }
  auto now = now_();
  key k{socket, from, *kcpw::peek_conv(bytes)};
  entry* e = nullptr;
  if (auto it = by_key_.find(k); it != by_key_.end()) {
    e = by_id_.at(it->second).get();
  } else {
    if (!opens_conversation(bytes)) {
      inc(n_.stray);
      return;
    }
    e = open(k, now);
    if (!e)
      return;
  }
  auto id = e->id;
  events_scratch_.clear();
  if (e->ch->input(bytes, now, events_scratch_))
    inc(n_.refused_datagrams);
  auto events = std::move(events_scratch_);
  handle_events(*e, events, now);
  events_scratch_ = std::move(events);
  if (auto it = by_id_.find(id); it != by_id_.end())
    service(*it->second, now);
}

bool sudph_table::admit(const std::string& source) {
  auto count = [](const std::unordered_map<std::string, size_t>& m, const std::string& s) {
    auto it = m.find(s);
    return it == m.end() ? size_t{0} : it->second;
  };
  if (count(handshakes_per_source_, source) >= cfg_.max_handshakes_per_source
      || count(channels_per_source_, source) >= cfg_.max_channels_per_source)
    return false;
  // Full (of handshakes, or of channels): the oldest handshake in progress
  // makes room; established channels are never evicted.
  if (handshaking_.size() >= cfg_.max_handshakes || by_id_.size() >= cfg_.max_channels) {
    if (handshaking_.empty())
      return false;
    inc(n_.evicted_handshakes);
    end(*handshaking_.begin(), end_reason::failed, "evicted for a newer handshake");
  }
  return by_id_.size() < cfg_.max_channels && handshaking_.size() < cfg_.max_handshakes;
}

sudph_table::entry* sudph_table::open(const key& k, int64_t now) {
  auto source = source_of(io::unmapped(k.ep.address()).to_string());
  if (!admit(source)) {
    inc(n_.refused_channels);
    return nullptr;
  }
  auto e = std::make_unique<entry>();
  e->id = next_id_++;
  e->k = k;
  e->source = source;
  auto socket = k.socket;
  auto ep = k.ep;
  e->ch = std::make_unique<sudph_channel>(
    k.conv, cfg_.channel, [this, socket, ep](kcpw::byte_span d) { send_(socket, ep, d); }, now);
  auto* raw = e.get();
  by_key_.emplace(k, raw->id);
  handshaking_.insert(raw->id);
  ++channels_per_source_[source];
  ++handshakes_per_source_[source];
  by_id_.emplace(raw->id, std::move(e));
  inc(n_.channels);
  inc(n_.handshaking);
  arm_deadline(*raw, now);
  return raw;
}

void sudph_table::left_handshake(entry& e) {
  if (!e.counted_handshake)
    return;
  e.counted_handshake = false;
  handshaking_.erase(e.id);
  decrement(handshakes_per_source_, e.source);
  dec(n_.handshaking);
}

void sudph_table::handle_events(entry& e, std::vector<channel_event>& events, int64_t now) {
  auto id = e.id;
  for (auto& ev : events) {
    auto it = by_id_.find(id);
    if (it == by_id_.end())
      return;
    auto& cur = *it->second;
    switch (ev.k) {
    case channel_event::kind::handshake:
      inc(n_.handshakes);
      arm_deadline(cur, now); // the bind deadline
      break;
    case channel_event::kind::bound: {
      inc(n_.binds);
      const auto& pk = cur.ch->pk();
      if (cur.counted_handshake) {
        left_handshake(cur);
        inc(n_.bound);
        if (auto old = by_pk_.find(pk); old != by_pk_.end() && old->second != id) {
          inc(n_.replaced);
          end(old->second, end_reason::replaced, "replaced by a newer channel of its key");
        }
        by_pk_[pk] = id;
        arm_deadline(cur, now); // the idle deadline
      }
      wire::transport::visor_data data;
      data.remote_addr = remote_text(cur.k.ep);
      data.local = cur.ch->bind();
      events_.on_bound(pk, data, io::unmapped(cur.k.ep.address()), id);
      break;
    }
    case channel_event::kind::heartbeat: inc(n_.heartbeats); break;
    case channel_event::kind::ignored: inc(n_.ignored_messages); break;
    case channel_event::kind::unbind:
      inc(n_.unbinds);
      end(id, end_reason::unbind, "delBind");
      return;
    case channel_event::kind::failed:
      inc(n_.failed);
      end(id, end_reason::failed, ev.why);
      return;
    }
  }
}

void sudph_table::service(entry& e, int64_t now) {
  if (e.ch->dead()) {
    inc(n_.dead);
    end(e.id, end_reason::dead, "KCP link dead (no acknowledgement after 20 transmissions)");
    return;
  }
  auto next = e.ch->next_update(now);
  if (!next)
    return;
  if (e.kcp_timer != 0 && e.kcp_due <= *next)
    return;
  if (e.kcp_timer != 0)
    timers_.cancel(e.kcp_timer);
  e.kcp_due = *next;
  auto id = e.id;
  e.kcp_timer = timers_.schedule(std::chrono::milliseconds{std::max<int64_t>(*next - now, 0)},
                                 [this, id] { on_kcp_timer(id); });
}

void sudph_table::on_kcp_timer(uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return;
  auto& e = *it->second;
  e.kcp_timer = 0;
  auto now = now_();
  e.ch->update(now);
  service(e, now);
}

void sudph_table::arm_deadline(entry& e, int64_t now) {
  if (e.deadline_timer != 0)
    timers_.cancel(e.deadline_timer);
  auto id = e.id;
  auto delay = std::max<int64_t>(e.ch->deadline() - now, 0);
  e.deadline_timer = timers_.schedule(std::chrono::milliseconds{delay},
                                      [this, id] { on_deadline(id); });
}

void sudph_table::on_deadline(uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return;
  auto& e = *it->second;
  e.deadline_timer = 0;
  auto now = now_();
  if (now < e.ch->deadline()) { // activity since: wait for the rest
    arm_deadline(e, now);
    return;
  }
  inc(n_.timed_out);
  end(id, end_reason::timed_out,
      std::string{"no "} + (e.ch->state() == channel_state::bound ? "message" : "progress")
        + " before the deadline (" + to_string(e.ch->state()) + ")");
}

void sudph_table::end(uint64_t id, end_reason why, std::string_view detail) {
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return;
  auto e = std::move(it->second);
  by_id_.erase(it);
  by_key_.erase(e->k);
  if (e->kcp_timer != 0)
    timers_.cancel(e->kcp_timer);
  if (e->deadline_timer != 0)
    timers_.cancel(e->deadline_timer);
  left_handshake(*e);
  decrement(channels_per_source_, e->source);
  dec(n_.channels);
  bool was_bound = false;
  if (auto p = by_pk_.find(e->ch->pk()); p != by_pk_.end() && p->second == id) {
    by_pk_.erase(p);
    was_bound = true;
    dec(n_.bound);
  }
  if (was_bound && why != end_reason::dropped)
    events_.on_unbound(e->ch->pk(), id, detail);
}

sudph_table::push_result sudph_table::push(const public_key& pk, uint64_t channel,
                                           std::string_view message) {
  auto it = by_id_.find(channel);
  if (it == by_id_.end() || it->second->ch->state() != channel_state::bound
      || it->second->ch->pk() != pk) {
    inc(n_.pushes_failed);
    return push_result::no_channel;
  }
  auto& e = *it->second;
  auto now = now_();
  auto st = e.ch->send(message, now);
  if (st != io::kcp::send_status::ok) {
    inc(n_.pushes_failed);
    auto dead = st == io::kcp::send_status::dead_link;
    service(e, now);
    return dead ? push_result::dead : push_result::queue_full;
  }
  inc(n_.pushes);
  service(e, now);
  return push_result::queued;
}

bool sudph_table::drop(const public_key& pk, uint64_t channel) {
  auto it = by_id_.find(channel);
  if (it == by_id_.end() || it->second->ch->pk() != pk)
    return false;
  inc(n_.dropped);
  end(channel, end_reason::dropped, "dropped by the service");
  return true;
}

void sudph_table::clear() {
  while (!by_id_.empty())
    end(by_id_.begin()->first, end_reason::dropped, "stopped");
}

} // namespace skywire::services::address_resolver
