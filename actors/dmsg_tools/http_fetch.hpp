// `skywire dmsg curl`: one HTTP/1.1 request over a dmsg stream (dmsghttp).
//
// The fetch actor dials pk:port through the dmsg client, writes the request,
// parses the response incrementally (status, headers, Content-Length or
// chunked body), hands body bytes to a sink as they arrive and credits them
// back to the stream only after the sink took them (back-pressure), and
// reports progress. Asked with (caf::ok_atom) it answers a fetch_result once
// the body is complete, or an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/ids.hpp"

namespace skywire::dmsg_tools {

/// dmsg://<pk>[:port]/path  (port defaults to 80).
struct dmsg_url {
  public_key pk;
  uint16_t port = 80;
  std::string target = "/"; ///< path + query
};

expected<dmsg_url> parse_dmsg_url(std::string_view text);

struct fetch_request {
  dmsg_url url;
  std::string method = "GET";
  std::string body;         ///< sent with Content-Length when non-empty or POST
  std::string content_type = "text/plain";
  uint64_t max_body = uint64_t{1} << 40;
  std::chrono::milliseconds dial_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000}; ///< no byte for this long: fail
};

struct fetch_result {
  unsigned status = 0;
  uint64_t body_bytes = 0;
  std::string content_type;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_result& x) {
  return f(caf::meta::type_name("skywire::dmsg_tools::fetch_result"), x.status, x.body_bytes,
           x.content_type);
}

/// Why a fetch failed (category "dmsghttp"). Each value is the exit code curl
/// uses for the same failure, and `dmsg curl` exits with it.
enum class fetch_errc : uint8_t {
  resolve = 6,       ///< no such peer in discovery, bad address, discovery unreachable
  connect = 7,       ///< no session to the peer's servers, dial refused or reset
  bad_response = 8,  ///< the peer's answer is not an HTTP/1.x response
  write = 23,        ///< the body could not be written (the sink refused it)
  timeout = 28,      ///< the dial or the transfer timed out
  receive = 56,      ///< the stream failed or ended early after the dial
};

const char* to_string(fetch_errc x) noexcept;
caf::atom_value fetch_category() noexcept;
/// The text is "<what failed>: <context>"; describe() names the code.
caf::error make_error(fetch_errc code, std::string context = {});
/// The code of a fetch error, else nullopt.
std::optional<fetch_errc> fetch_code(const caf::error& err) noexcept;
/// How a failed dial counts: resolve, timeout or connect (see fetch_errc).
fetch_errc classify_dial_error(const caf::error& err) noexcept;
/// curl's exit code for a failed fetch (56 for an error of another category).
int curl_exit_code(const caf::error& err) noexcept;
/// The cause in words: a fetch error's text, otherwise describe(err).
std::string fetch_failure_text(const caf::error& err);

/// Receives body bytes; returns false to abort (e.g. a write error).
using body_sink = std::function<bool(const uint8_t* data, size_t n)>;
/// Called with (received, total or nullopt) at most a few times per second
/// and once at the end.
using progress_fn = std::function<void(uint64_t, std::optional<uint64_t>)>;

caf::actor spawn_http_fetch(caf::actor_system& sys, api::dmsg_client_actor dmsg_client, fetch_request req,
                            body_sink sink, progress_fn progress = {});

} // namespace skywire::dmsg_tools
