// dmsghttp: HTTP/1.1 over dmsg streams, one request per stream
// (dmsg-protocol.md §5a, skywire-protocol.md §3.2), both directions:
//
//  * client: dmsghttp_request() dials <pk>:<port> of a dmsg:// request
//    through a dmsg client, writes the request, reads the response (bounded
//    by the request's header and response limits, within its timeout), and
//    closes the stream. make_service_sender() is the one "HTTP to a service"
//    transport of a visor or service: http:// requests go over TCP
//    (runtime/http), dmsg:// ones over dmsg through the current client.
//  * server: spawn_dmsghttp_server() listens on a dmsg port and serves every
//    accepted stream through an http::server's external connections: the
//    same routes, handlers, limits, deadlines and admission control as its
//    TCP listener (each dmsg peer counted under its public key). A request's
//    remote is "<pk>:<port>" of the stream, as the reference's RemoteAddr.
//
// Errors are runtime/http's http_errc values with words: connect_failed
// (the dial failed: its dmsg error in the text), timeout, closed (the
// stream ended early), too_large, protocol, bad_url (not a key).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/dmsg/client_ref.hpp"
#include "messages/api/dmsg.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "runtime/http/client.hpp"
#include "runtime/http/server.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::dmsg {

/// The dmsg address a dmsg:// request names (host = the key's hex).
expected<skywire::address> dmsghttp_address(const http::client_request& req);

/// Sends one request over a new dmsg stream through `client`; `cb` runs
/// once, in an actor of `sys` (forward the result, as for async_request).
void dmsghttp_request(caf::actor_system& sys, api::dmsg_client_actor client,
                      http::client_request req, http::client_callback cb);

/// http:// over TCP on `io`; dmsg:// over the current client of `client`
/// (client_ref.hpp; an error in words while there is none). `sys` and `io`
/// must outlive the sender's use.
http::client_sender make_service_sender(caf::actor_system& sys, io::io_runtime& io,
                                        client_ref_ptr client);

/// Whether a service URL is a dmsg:// one.
bool is_dmsg_url(std::string_view url) noexcept;

/// The public key of a dmsg://<pk>[:port] URL.
expected<public_key> dmsg_url_key(std::string_view url);

struct dmsghttp_server_options {
  uint16_t port = 80;
  std::chrono::milliseconds listen_timeout{10'000};
};

/// Serves `server`'s routes on a dmsg port of `client`. The returned actor
/// answers (caf::ok_atom) once listening (an error otherwise): request it
/// with a timeout. Stopping it (exit) ends the listening; streams being
/// served finish on their own.
caf::actor spawn_dmsghttp_server(caf::actor_system& sys, api::dmsg_client_actor client,
                                 std::shared_ptr<http::server> server,
                                 dmsghttp_server_options opts = {});

} // namespace skywire::dmsg
