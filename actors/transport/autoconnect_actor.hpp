// The driver of public autoconnect (autoconnect.hpp): a thin actor beside the
// transport manager, spawned by it (linked) when the config asks for it
// (transport.public_autoconnect, stcpr enabled, an http:// service
// discovery in launcher.service_discovery). It
//  - subscribes to the manager's transport events (which keys have a
//    transport; which automatic stcpr transports dropped),
//  - ticks every second: asks public_autoconnect what to do, fetches the
//    public visors from the service discovery (sd_client) and dials with
//    tp_add (type stcpr, label automatic, the manager's persistent dial
//    timeout), reporting each outcome back to the plain class.
#pragma once

#include <chrono>
#include <memory>

#include <caf/actor.hpp>
#include <caf/local_actor.hpp>

#include "actors/transport/autoconnect.hpp"
#include "actors/transport/sd_client.hpp"
#include "messages/api/transport.hpp"

namespace skywire::transport {

struct autoconnect_setup {
  sd_client sd;
  autoconnect_params params;
  std::chrono::milliseconds tick{1'000};
  std::chrono::milliseconds dial_timeout{10'000};
};

/// Spawns the driver linked to `parent` (the manager, whose handle it uses).
caf::actor spawn_autoconnect(caf::local_actor* parent, api::transport_manager_actor manager,
                             public_key local, const autoconnect_setup& setup);

} // namespace skywire::transport
