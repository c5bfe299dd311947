#include "actors/dmsg/errors.hpp"

#include <string_view>

#include <caf/exit_reason.hpp>
#include <caf/make_message.hpp>
#include <caf/sec.hpp>

namespace skywire::dmsg {

const char* to_string(client_errc x) noexcept {
  switch (x) {
    case client_errc::discovery_failed: return "discovery request failed";
    case client_errc::timeout: return "timeout";
    case client_errc::stream_reset: return "stream reset";
    case client_errc::protocol: return "protocol violation";
    case client_errc::no_ports: return "no free ephemeral port";
    case client_errc::invalid_argument: return "invalid argument";
    case client_errc::no_session: return "no session to a usable dmsg server";
    case client_errc::closed: return "closed";
  }
  return "unknown";
}

namespace {

const char* client_code_name(uint8_t code) noexcept {
  return to_string(static_cast<client_errc>(code));
}

bool context_has(const caf::error& err, std::string_view word) {
  const auto& ctx = err.context();
  return !ctx.empty() && ctx.match_element<std::string>(0)
         && ctx.get_as<std::string>(0).find(word) != std::string::npos;
}

} // namespace

caf::atom_value client_category() noexcept {
  return caf::atom("dmsgcli");
}

caf::error make_error(client_errc code, std::string context) {
  // the text says it all ("dmsg client: stream reset: ...")
  static const bool registered = (register_error_category(client_category(), client_code_name,
                                                          true),
                                  true);
  (void)registered;
  std::string text = std::string{"dmsg client: "} + to_string(code);
  if (!context.empty()) {
    text += ": ";
    text += context;
  }
  return caf::error{static_cast<uint8_t>(code), client_category(),
                    caf::make_message(std::move(text))};
}

bool is(const caf::error& err, client_errc code) noexcept {
  return err && err.category() == client_category() && err.code() == static_cast<uint8_t>(code);
}

bool is(const caf::error& err, dmsg_errc code) noexcept {
  auto c = dmsg_code(err);
  return c && *c == code;
}

std::string failure_cause(const caf::error& err) {
  if (!err)
    return "none";
  if (auto c = dmsg_code(err)) {
    switch (*c) {
      case dmsg_errc::entry_not_found: return "no such peer in discovery";
      case dmsg_errc::entry_not_server: return "the key is not a dmsg server's";
      case dmsg_errc::entry_not_client: return "the key is not a dmsg client's";
      case dmsg_errc::no_delegated_servers: return "the peer has no dmsg server";
      case dmsg_errc::entity_closed: return "the dmsg client stopped";
      case dmsg_errc::session_closed: return "session to the dmsg server lost";
      case dmsg_errc::cannot_connect_to_delegated:
        return "no session to any of the peer's dmsg servers";
      case dmsg_errc::req_no_listener: return "dial refused: nothing listens on that port";
      case dmsg_errc::req_no_next_session: return "the dmsg server has no session to the peer";
      case dmsg_errc::resp_not_accepted: return "dial refused by the peer";
      case dmsg_errc::listener_port_occupied: return "port already in use";
      case dmsg_errc::listener_accept_queue_full: return "the peer's accept queue is full";
      case dmsg_errc::extra_handshake_bytes:
      case dmsg_errc::req_invalid_sig:
      case dmsg_errc::req_invalid_timestamp:
      case dmsg_errc::req_invalid_src_pk:
      case dmsg_errc::req_invalid_dst_pk:
      case dmsg_errc::req_invalid_src_port:
      case dmsg_errc::req_invalid_dst_port:
      case dmsg_errc::resp_invalid_sig:
      case dmsg_errc::resp_invalid_hash:
      case dmsg_errc::signed_object_invalid: return "protocol violation";
    }
  }
  if (err.category() == client_category()) {
    switch (static_cast<client_errc>(err.code())) {
      case client_errc::discovery_failed: return "discovery unreachable or failed";
      case client_errc::timeout:
        return context_has(err, "handshake") ? "handshake timeout" : "timed out";
      case client_errc::stream_reset: return "reset by the peer or the server";
      case client_errc::protocol:
        return context_has(err, "queue full") ? "send queue full" : "protocol violation";
      case client_errc::no_ports: return "no free local port";
      case client_errc::invalid_argument: return "invalid argument";
      case client_errc::no_session: return "no session to a dmsg server";
      case client_errc::closed: return "closed locally";
    }
  }
  // a request to the dmsg client (or a stream actor) that never came back
  if (err == caf::sec::request_timeout)
    return "timed out";
  if (err == caf::sec::request_receiver_down)
    return "the dmsg client stopped";
  if (err.category() == caf::atom("exit"))
    return "the dmsg client stopped";
  return describe(err);
}

std::string session_failure_cause(const caf::error& err, bool up) {
  if (!up && is(err, dmsg_errc::session_closed) && context_has(err, "connection closed"))
    return "refused by the server during the handshake (admission or capacity)";
  if (!up && is(err, dmsg_errc::cannot_connect_to_delegated))
    return "cannot connect to the dmsg server";
  if (!up && is(err, client_errc::timeout))
    return "handshake timeout";
  if (is(err, client_errc::timeout))
    return "keepalive timeout: the server stopped answering";
  if (is(err, dmsg_errc::session_closed) && context_has(err, "go-away"))
    return "the server ended the session (go-away)";
  if (is(err, dmsg_errc::session_closed) && context_has(err, "connection closed"))
    return "the connection to the server was closed";
  return failure_cause(err);
}

} // namespace skywire::dmsg
