// `skywire dmsg http`: serves a directory over dmsghttp — HTTP/1.1 written
// straight onto a dmsg stream, one request per stream (dmsg-protocol.md §5a).
//
// A listener actor takes every stream accepted on the dmsg port and hands it
// to a file-session actor: it reads the request head (bounded), answers
// GET/HEAD for regular files under the root (index.html or a listing for
// directories; nothing outside the root, symlinks resolved and checked),
// streams the body in chunks paced by the stream's write acknowledgements,
// then closes the stream. A non-empty whitelist admits only those PKs (403).
// An optional request handler answers first (the visor's log server,
// actors/transport/log_server.hpp); what it leaves goes to the files.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/ids.hpp"
#include "runtime/http/message.hpp"

namespace skywire::dmsg_tools {

/// Answers a request from `remote` (nullopt: not its path). The request has
/// method, target, path, query and headers; no body (GET and HEAD only reach
/// it; for HEAD the server sends the answer's head without its body). Runs
/// in the session actor: it must not block for long.
using request_handler = std::function<std::optional<http::response>(const http::request&,
                                                                    const public_key& remote)>;

struct file_server_config {
  std::filesystem::path root; ///< empty: no files (only the handler answers, else 404)
  request_handler handler;    ///< consulted before the files when set
  uint16_t dmsg_port = 80;
  std::vector<public_key> whitelist; ///< empty = everyone
  size_t max_head = 16 * 1024;       ///< request line + headers
  std::chrono::milliseconds head_timeout{10'000};
};

/// Spawns the listener; it asks `dmsg_client` to listen on cfg.dmsg_port.
/// The returned actor answers (caf::ok_atom) once listening, an error otherwise:
/// request it with a timeout.
caf::actor spawn_dmsghttp_file_server(caf::actor_system& sys, api::dmsg_client_actor dmsg_client,
                                      file_server_config cfg);

/// Maps a request target onto a file under root; errors for paths that leave
/// the root, contain NUL or are not decodable. Exposed for tests.
expected<std::filesystem::path> resolve_target(const std::filesystem::path& root,
                                               std::string_view target);

} // namespace skywire::dmsg_tools
