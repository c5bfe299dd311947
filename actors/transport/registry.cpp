#include "actors/transport/registry.hpp"

#include <algorithm>

#include "runtime/crypto/transport_id.hpp"

namespace skywire::transport {

duplicate_choice resolve_duplicate(const public_key& local, const public_key& remote) noexcept {
  // The lower edge in the reference's order (byte order of the compressed
  // keys, wire::transport::sort_edges) keeps what it has.
  return local.bytes < remote.bytes ? duplicate_choice::keep_old : duplicate_choice::adopt_new;
}

// ---- underlay ----------------------------------------------------------------------------

void underlay::add(uint64_t link) {
  if (current_ == link || std::find(pending_.begin(), pending_.end(), link) != pending_.end())
    return;
  pending_.push_back(link);
}

underlay::up_action underlay::up(uint64_t link) {
  up_action out;
  if (current_ == link)
    return out; // already carrying the transport
  pending_.erase(std::remove(pending_.begin(), pending_.end(), link), pending_.end());
  if (!current_) {
    current_ = link;
    out.adopted = true;
    out.first = true;
    ever_up_ = true;
    return out;
  }
  if (resolve_duplicate(local_, remote_) == duplicate_choice::keep_old) {
    out.close = link;
    return out;
  }
  out.close = *current_;
  current_ = link;
  out.adopted = true;
  return out;
}

underlay::down_action underlay::down(uint64_t link) {
  if (current_ == link) {
    current_.reset();
    return down_action::transport_down;
  }
  pending_.erase(std::remove(pending_.begin(), pending_.end(), link), pending_.end());
  return down_action::none;
}

std::vector<uint64_t> underlay::live() const {
  std::vector<uint64_t> out;
  if (current_)
    out.push_back(*current_);
  out.insert(out.end(), pending_.begin(), pending_.end());
  return out;
}

// ---- registry ----------------------------------------------------------------------------

const char* to_string(record_state s) noexcept {
  switch (s) {
    case record_state::dialing: return "dialing";
    case record_state::settling: return "settling";
    case record_state::up: return "up";
    case record_state::closing: return "closing";
  }
  return "unknown";
}

transport_id transport_registry::id_of(const public_key& remote, std::string_view type) const {
  return crypto::make_transport_id(local_, remote, type);
}

transport_record* transport_registry::find(const transport_id& id) {
  auto i = records_.find(id);
  return i == records_.end() ? nullptr : &i->second;
}

transport_record* transport_registry::find(const public_key& remote, std::string_view type) {
  return find(id_of(remote, type));
}

transport_record* transport_registry::find_actor(const caf::actor_addr& actor) {
  for (auto& kv : records_)
    if (kv.second.actor && kv.second.actor.address() == actor)
      return &kv.second;
  return nullptr;
}

transport_record& transport_registry::insert(const public_key& remote, std::string_view type,
                                             std::string label, record_state state) {
  auto id = id_of(remote, type);
  transport_record r;
  r.id = id;
  r.remote = remote;
  r.type = std::string{type};
  r.label = std::move(label);
  r.state = state;
  return records_.insert_or_assign(id, std::move(r)).first->second;
}

std::optional<transport_record> transport_registry::erase(const transport_id& id) {
  auto i = records_.find(id);
  if (i == records_.end())
    return std::nullopt;
  auto out = std::move(i->second);
  records_.erase(i);
  return out;
}

std::vector<const transport_record*>
transport_registry::select(const api::transport_filter& f) const {
  std::vector<const transport_record*> out;
  for (const auto& kv : records_) {
    const auto& r = kv.second;
    if (!f.types.empty() && std::find(f.types.begin(), f.types.end(), r.type) == f.types.end())
      continue;
    if (!f.pks.empty() && std::find(f.pks.begin(), f.pks.end(), r.remote) == f.pks.end())
      continue;
    out.push_back(&r);
  }
  return out;
}

std::vector<transport_record*> transport_registry::all() {
  std::vector<transport_record*> out;
  for (auto& kv : records_)
    out.push_back(&kv.second);
  return out;
}

size_t transport_registry::up_count() const {
  return static_cast<size_t>(std::count_if(records_.begin(), records_.end(), [](const auto& kv) {
    return kv.second.state == record_state::up;
  }));
}

} // namespace skywire::transport
