#include "actors/apps/sd_registration.hpp"

#include <algorithm>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include "runtime/log/logger.hpp"
#include "runtime/system/build_info.hpp"

namespace skywire::apps {

sd_registration::sd_registration(params p) : p_(p) {
  if (p_.min_backoff.count() <= 0)
    p_.min_backoff = std::chrono::milliseconds{1};
  p_.max_backoff = std::max(p_.max_backoff, p_.min_backoff);
  if (p_.refresh.count() <= 0)
    p_.refresh = std::chrono::milliseconds{1};
}

bool sd_registration::start() {
  if (phase_ != phase::idle)
    return false;
  phase_ = phase::registering;
  maybe_stored_ = true;
  return true;
}

bool sd_registration::timer(uint64_t generation) {
  if (generation != generation_ || (phase_ != phase::registered && phase_ != phase::backing_off))
    return false;
  phase_ = phase::registering;
  maybe_stored_ = true;
  return true;
}

std::optional<sd_registration::next_timer> sd_registration::answered(bool ok) {
  if (phase_ != phase::registering)
    return std::nullopt;
  ++generation_;
  if (ok) {
    ++ok_;
    streak_ = 0;
    phase_ = phase::registered;
    return next_timer{p_.refresh, generation_};
  }
  ++failed_;
  ++streak_;
  phase_ = phase::backing_off;
  auto d = p_.min_backoff;
  for (uint32_t i = 1; i < streak_ && d < p_.max_backoff; ++i)
    d *= 2;
  return next_timer{std::min({d, p_.max_backoff, p_.refresh}), generation_};
}

bool sd_registration::stop() {
  if (phase_ == phase::stopped)
    return false;
  phase_ = phase::stopped;
  ++generation_;
  return std::exchange(maybe_stored_, false);
}

const char* to_string(sd_registration::phase p) noexcept {
  switch (p) {
    case sd_registration::phase::idle: return "idle";
    case sd_registration::phase::registering: return "registering";
    case sd_registration::phase::registered: return "registered";
    case sd_registration::phase::backing_off: return "backing_off";
    case sd_registration::phase::stopped: return "stopped";
  }
  return "?";
}

sd_registrar::sd_registrar(caf::event_based_actor* self, transport::sd_client sd,
                           wire::service_entry entry, std::string component,
                           sd_registration::params p)
  : self_(self), sd_(std::move(sd)), entry_(std::move(entry)), component_(std::move(component)),
    reg_(p) {}

void sd_registrar::start() {
  if (reg_.start())
    send_registration();
}

void sd_registrar::on_tick(uint64_t generation) {
  if (reg_.timer(generation))
    send_registration();
}

void sd_registrar::on_done(const caf::error& err) {
  bool first = reg_.registrations() == 0;
  auto next = reg_.answered(!err);
  if (!next)
    return;
  if (err)
    SKYWIRE_LOG(warn, component_.c_str(), "service discovery registration failed",
                log::kv("type", entry_.type), log::kv("error", describe(err)),
                log::kv("retry_in", next->delay));
  else if (first)
    SKYWIRE_LOG(info, component_.c_str(), "registered in the service discovery",
                log::kv("type", entry_.type),
                log::kv("address", entry_.pk.hex() + ":" + std::to_string(entry_.prt.value)),
                log::kv("refresh", next->delay));
  else
    SKYWIRE_LOG(debug, component_.c_str(), "service discovery registration refreshed",
                log::kv("type", entry_.type));
  self_->delayed_send(self_, next->delay, sd_reg_tick_atom::value, next->generation);
}

void sd_registrar::stop() {
  if (!reg_.stop())
    return;
  auto type = entry_.type;
  auto comp = component_;
  sd_.remove_service(entry_.type, entry_.prt, [type, comp](caf::error err) {
    // on an I/O thread, after the app ended: only a log line
    if (err)
      SKYWIRE_LOG(warn, comp.c_str(), "service discovery entry not deleted",
                  log::kv("type", type), log::kv("error", describe(err)));
    else
      SKYWIRE_LOG(info, comp.c_str(), "service discovery entry deleted", log::kv("type", type));
  });
}

void sd_registrar::send_registration() {
  // a weak address: an answer after the app ended goes nowhere
  auto addr = self_->address();
  sd_.register_service(entry_, [addr](expected<wire::service_entry> r) {
    if (auto self = caf::actor_cast<caf::actor>(addr))
      caf::anon_send(self, sd_reg_done_atom::value, r ? caf::error{} : std::move(r.error()));
  });
}

wire::service_entry app_service_entry(const public_key& pk, uint16_t port, std::string type,
                                      bool display_node_ip) {
  wire::service_entry e;
  e.pk = pk;
  e.prt = skywire::port{port};
  e.type = std::move(type);
  e.version = system::version();
  e.display_node_ip = display_node_ip;
  return e;
}

} // namespace skywire::apps
