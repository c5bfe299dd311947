// skychat (reference §5.6): text messages between visors on routing port 1,
// an actor of the visor's runtime launched by the app launcher.
//
// Routes: one per peer, cached (the first POST /message to a peer dials its
// port 1; a route the peer dialed serves our messages to it too). Each
// message is the raw UTF-8 text in one write; each DataPacket received is
// one message (the reference reads up to 32 KiB per message, no framing).
// Every message, sent or received, goes to the history (chat_history.hpp);
// received ones to every /sse subscriber. The local web API is on --addr
// (default :8001, served on 127.0.0.1; "*:8001" for every interface), see
// chat_web.hpp. Bounds: 64 messages waiting per peer while its route is
// dialed, 64 web connections, 32 KiB per message.
//
// Args (launcher.apps[i].args): --addr <addr>.
#pragma once

#include <caf/actor.hpp>

#include "actors/apps/app.hpp"
#include "messages/error.hpp"

namespace skywire::apps {

/// Spawns skychat for the launcher (app_factory). Errors: bad arguments.
expected<caf::actor> spawn_skychat(const app_context& ctx);

} // namespace skywire::apps
