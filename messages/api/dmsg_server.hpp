// The control interface of a dmsg server (actors/services/dmsg_server):
// local messages only. The server's data plane (sessions, relays) is driven
// from io threads and by its session actors; this is what other actors of
// the process (tests, a supervisor, a status page) may ask.
//
//   request(server, T, dmsg_server_stats_atom) -> dmsg_server_stats
//   anon_send_exit(server, reason)              stops accepting, closes every
//                                               session, quits
#pragma once

#include <cstdint>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace skywire::api {

using dmsg_server_stats_atom = caf::atom_constant<caf::atom("dsstats")>;

struct dmsg_server_stats {
  uint64_t sessions = 0;           ///< sessions with a completed handshake
  uint64_t connections = 0;        ///< accepted connections (handshaking included)
  uint64_t discovery_posts_ok = 0; ///< entry updates the discovery accepted
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dmsg_server_stats& x) {
  return f(caf::meta::type_name("skywire::api::dmsg_server_stats"), x.sessions, x.connections,
           x.discovery_posts_ok);
}

using dmsg_server_actor =
  caf::typed_actor<caf::replies_to<dmsg_server_stats_atom>::with<dmsg_server_stats>>;

} // namespace skywire::api
