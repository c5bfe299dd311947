#include "actors/routing/route_group.hpp"

#include <caf/send.hpp>

#include "actors/routing/route_group_errors.hpp"

namespace skywire::routing {

namespace {

const char* phase_name(route_group_core::phase p) {
  switch (p) {
    case route_group_core::phase::handshake: return "handshake";
    case route_group_core::phase::noise: return "noise";
    case route_group_core::phase::established: return "established";
    case route_group_core::phase::closing: return "closing";
    case route_group_core::phase::closed: return "closed";
    case route_group_core::phase::failed: return "failed";
  }
  return "unknown";
}

} // namespace

route_group_actor::route_group_actor(caf::actor_config& cfg, route_group_params params)
  : route_group_interface::base(cfg),
    core_(std::move(params.core)),
    post_(std::move(params.post)),
    owner_(std::move(params.owner)) {
  side_->owner = owner_;
  side_->self = caf::actor_cast<caf::actor>(this);
  auto side = side_;
  auto core = core_;
  bool start = params.start;
  post_([core, side, start, attach = std::move(params.attach)] {
    core->set_sink([side](byte_buffer&& b) {
      if (side->owner)
        caf::send_as(side->self, side->owner, api::data_atom::value, std::move(b));
    });
    core->set_event_fn([side](route_group_core::event ev, const caf::error& err) {
      if (ev == route_group_core::event::established)
        caf::anon_send(caf::actor_cast<route_group_interface>(side->self), rgready_atom::value);
      else
        caf::anon_send(caf::actor_cast<route_group_interface>(side->self), rgdone_atom::value,
                       err);
    });
    if (attach)
      attach(*core);
    if (start)
      core->start();
  });
}

route_group_actor::behavior_type route_group_actor::make_behavior() {
  // a group whose owner is gone closes (an app that ended, a dial's owner
  // that left before the route was up): nobody else would, and the actor
  // system waits for every actor at the process's end
  set_down_handler([this](caf::down_msg& dm) {
    if (owner_ && dm.source == owner_.address()) {
      owner_ = nullptr;
      post_([core = core_, side = side_] {
        side->owner = nullptr;
        core->close();
      });
    }
  });
  if (owner_)
    monitor(owner_);
  return {
    [this](api::ready_atom) -> caf::result<api::ok_atom> {
      if (ready_)
        return api::ok_atom::value;
      if (done_)
        return result_ ? result_ : make_error(route_group_errc::closed, "before it was ready");
      auto rp = make_response_promise<api::ok_atom>();
      waiting_ready_.push_back(rp);
      return rp;
    },
    [this](api::write_atom, byte_buffer& bytes) -> caf::result<api::ok_atom> {
      if (done_)
        return result_ ? result_ : make_error(route_group_errc::closed);
      auto rp = make_response_promise<api::ok_atom>();
      post_([core = core_, rp, bytes = std::move(bytes)]() mutable {
        switch (core->write({bytes.data(), bytes.size()})) {
          case route_group_core::write_result::ok:
            rp.deliver(api::ok_atom::value);
            return;
          case route_group_core::write_result::queue_full:
            rp.deliver(make_error(route_group_errc::overflow, "send queue full: retry later"));
            return;
          case route_group_core::write_result::not_open:
            rp.deliver(make_error(route_group_errc::closed, "the route is not open"));
            return;
          case route_group_core::write_result::failed:
            rp.deliver(core->failure() ? core->failure()
                                       : make_error(route_group_errc::path_failed));
            return;
        }
      });
      return rp;
    },
    [this](api::consumed_atom, uint32_t n) {
      post_([core = core_, n] { core->consumed(n); });
    },
    [this](api::close_atom) {
      post_([core = core_] { core->close(); });
    },
    [this](api::set_owner_atom, caf::actor owner) {
      if (owner_)
        demonitor(owner_.address());
      owner_ = owner;
      if (owner_)
        monitor(owner_);
      post_([side = side_, owner] { side->owner = owner; });
    },
    [this](api::score_atom) -> api::route_group_core_ptr { return core_; },
    [this](api::info_atom) -> caf::result<api::route_group_info> {
      auto rp = make_response_promise<api::route_group_info>();
      post_([core = core_, rp]() mutable {
        api::route_group_info i;
        i.phase = phase_name(core->current_phase());
        i.reliable = core->options().reliable;
        i.cell_size = core->options().cell_size;
        i.rtt_ns = core->rtt().count();
        i.bytes_in = core->counters().bytes_delivered;
        i.bytes_out = core->counters().bytes_written;
        i.retransmits = core->counters().retransmits;
        rp.deliver(std::move(i));
      });
      return rp;
    },
    [this](rgready_atom) {
      ready_ = true;
      for (auto& rp : waiting_ready_)
        rp.deliver(api::ok_atom::value);
      waiting_ready_.clear();
    },
    [this](rgdone_atom, caf::error& err) { on_done(std::move(err)); },
  };
}

void route_group_actor::on_done(caf::error err) {
  if (done_)
    return;
  done_ = true;
  result_ = err;
  for (auto& rp : waiting_ready_)
    rp.deliver(err ? err : make_error(route_group_errc::closed, "before it was ready"));
  waiting_ready_.clear();
  if (owner_)
    caf::send_as(caf::actor_cast<caf::actor>(this), owner_, api::closed_atom::value, err);
  quit();
}

void route_group_actor::on_exit() {
  // the core lives and dies on its shard
  if (core_) {
    post_([core = std::move(core_), side = side_] {
      core->set_sink({});
      core->set_event_fn({});
      core->close();
      side->owner = nullptr;
      side->self = nullptr;
    });
  }
  for (auto& rp : waiting_ready_)
    rp.deliver(make_error(route_group_errc::closed, "the route group actor ended"));
  waiting_ready_.clear();
}

} // namespace skywire::routing
