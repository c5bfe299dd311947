// The visor's dmsghttp log server (reference §1.6, §3.8, §6.5) as a visor
// child: HTTP/1.1 on dmsg port 80 of the visor's dmsg client, answering
// /health, the transport log files (/<date>.csv, /transport_logs/<date>.csv),
// /node-info and /reward.txt for whitelisted keys (transport::log_server),
// and the files under dmsghttp_server_path for the rest
// (dmsg_tools::spawn_dmsghttp_file_server).
//
// The dmsg client is a sibling child that may be restarted: this actor
// watches the visor's dmsg::client_ref and puts a file server on port 80 of
// every new client (a failed listen, e.g. the port still held by the
// previous server, is retried with back-off, 0.5 s doubling up to 10 s).
// It answers the supervisor's status request: {"listening","port","error"}.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/dmsg/client_ref.hpp"
#include "actors/dmsg_tools/dmsghttp_file_server.hpp"
#include "runtime/config/visor_config.hpp"

namespace skywire::visor {

/// The file server's settings for a visor: port 80, its log_server as the
/// handler, dmsghttp_server_path as the root, everyone admitted (the log
/// server checks its own whitelist for /node-info and /reward.txt).
dmsg_tools::file_server_config log_server_files(const config::visor_config& cfg);

caf::actor spawn_log_server_host(caf::actor_system& sys, dmsg::client_ref_ptr client,
                                 dmsg_tools::file_server_config files);

} // namespace skywire::visor
