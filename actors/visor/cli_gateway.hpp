// cli_gateway: the visor's local control socket (`cli_addr`), serving
// line-delimited JSON requests
//   {"id":N,"method":"visor.info","params":{…}}
// with one line per answer
//   {"id":N,"result":…}  or  {"id":N,"error":{"code":C,"message":"…"}}
// Codes follow JSON-RPC 2.0: -32700 parse error, -32600 invalid request (also
// a line longer than max_line, after which the connection is closed), -32601
// unknown method, -32602 bad params, -32000 the visor failed, -32001 timeout.
//
// Methods: visor.pk, visor.info, visor.actors, visor.halt and, only when the
// visor runs with --enable-fault-injection, debug.crash {"actor":name}; the
// transport methods with the reference's RPC names (app-visor.TransportTypes,
// Transports, Transport, AddTransport, RemoveTransport, RemoveAllTransports,
// DiscoverTransportsByPK, DiscoverTransportByID) and transport.ping (ours),
// the app methods (app-visor.Apps, StartApp {"name"}, StopApp {"name"},
// SetAutoStart {"AppName","AutoStart"}, LogsSince {"AppName","TimeStamp"}),
// whose typed answers (messages/api/transport.hpp) are written as JSON
// (docs/user-guide.md, "The CLI socket protocol").
//
// The socket lives on the process's Asio loop (one stream_connection per
// client); bytes reach this actor as messages, answers go back with the
// connection's thread-safe write. A unix socket file gets mode 0600 and is
// removed when the gateway stops.
//
// The protocol as plain code (framing, parsing, answers, param readers) is
// cli_rpc.hpp; the method tables are behind cli_methods.hpp.
#pragma once

#include <chrono>
#include <cstddef>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "messages/api/visor.hpp"
#include "runtime/config/endpoint.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::visor {

struct cli_gateway_options {
  config::local_endpoint endpoint;
  io::io_runtime_ptr io;
  bool fault_injection = false;
  size_t max_line = 64 * 1024;
  size_t max_connections = 32;
  std::chrono::milliseconds request_timeout{10000};
};

/// `visor` is the actor that answers the visor.* requests.
caf::actor spawn_cli_gateway(caf::actor_system& sys, const api::visor_actor& visor,
                             cli_gateway_options opts);

} // namespace skywire::visor
