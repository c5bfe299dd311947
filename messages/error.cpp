#include "messages/error.hpp"

#include <array>
#include <mutex>
#include <utility>

#include <caf/make_message.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace skywire {

namespace {

struct category_entry {
  caf::atom_value category{};
  error_code_namer namer = nullptr;
  bool self_describing = false;
};

struct category_registry {
  std::mutex mtx;
  std::array<category_entry, 16> entries{};
  size_t size = 0;
};

category_registry& registry() {
  static category_registry r;
  return r;
}

} // namespace

void register_error_category(caf::atom_value category, error_code_namer namer,
                             bool self_describing) noexcept {
  auto& r = registry();
  std::lock_guard<std::mutex> guard{r.mtx};
  for (size_t i = 0; i < r.size; ++i)
    if (r.entries[i].category == category) {
      r.entries[i].namer = namer;
      r.entries[i].self_describing = self_describing;
      return;
    }
  if (r.size < r.entries.size())
    r.entries[r.size++] = {category, namer, self_describing};
}

const char* describe_sec(caf::sec code) noexcept {
  using caf::sec;
  switch (code) {
    case sec::none: return "no error";
    case sec::unexpected_message: return "the actor did not understand a message";
    case sec::unexpected_response: return "an unexpected response arrived";
    case sec::request_receiver_down: return "the actor asked has stopped";
    case sec::request_timeout: return "request timed out";
    case sec::no_such_group_module: return "no such group module";
    case sec::no_actor_published_at_port: return "no actor published at that port";
    case sec::unexpected_actor_messaging_interface: return "the actor has another interface";
    case sec::state_not_serializable: return "the actor state cannot be serialized";
    case sec::unsupported_sys_key: return "unsupported system key";
    case sec::unsupported_sys_message: return "unsupported system message";
    case sec::disconnect_during_handshake: return "disconnected during the handshake";
    case sec::cannot_forward_to_invalid_actor: return "cannot forward to an invalid actor";
    case sec::no_route_to_receiving_node: return "no route to the receiving node";
    case sec::failed_to_assign_scribe_from_handle: return "cannot assign a connection handle";
    case sec::failed_to_assign_doorman_from_handle: return "cannot assign a listener handle";
    case sec::cannot_close_invalid_port: return "cannot close an invalid port";
    case sec::cannot_connect_to_node: return "cannot connect to the node";
    case sec::cannot_open_port: return "cannot open the port";
    case sec::network_syscall_failed: return "a network system call failed";
    case sec::invalid_argument: return "invalid argument";
    case sec::invalid_protocol_family: return "invalid protocol family";
    case sec::cannot_publish_invalid_actor: return "cannot publish an invalid actor";
    case sec::cannot_spawn_actor_from_arguments: return "cannot start the actor with these arguments";
    case sec::end_of_stream: return "end of stream";
    case sec::no_context: return "no context";
    case sec::unknown_type: return "unknown message type";
    case sec::no_proxy_registry: return "no proxy registry";
    case sec::runtime_error: return "runtime error (an exception in an actor)";
    case sec::remote_linking_failed: return "linking to a remote actor failed";
    case sec::cannot_add_upstream: return "cannot add an upstream";
    case sec::upstream_already_exists: return "the upstream already exists";
    case sec::invalid_upstream: return "invalid upstream";
    case sec::cannot_add_downstream: return "cannot add a downstream";
    case sec::downstream_already_exists: return "the downstream already exists";
    case sec::invalid_downstream: return "invalid downstream";
    case sec::no_downstream_stages_defined: return "no downstream stages defined";
    case sec::stream_init_failed: return "stream initialization failed";
    case sec::invalid_stream_state: return "invalid stream state";
    case sec::unhandled_stream_error: return "unhandled stream error";
    case sec::bad_function_call: return "bad function call";
    case sec::feature_disabled: return "feature disabled";
    case sec::cannot_open_file: return "cannot open the file";
    case sec::socket_invalid: return "invalid socket";
    case sec::socket_disconnected: return "socket disconnected";
    case sec::socket_operation_failed: return "socket operation failed";
    case sec::unavailable_or_would_block: return "unavailable or would block";
    case sec::incompatible_versions: return "incompatible versions";
    case sec::incompatible_application_ids: return "incompatible application ids";
    case sec::malformed_basp_message: return "malformed remote actor message";
    case sec::serializing_basp_payload_failed: return "serializing a remote actor message failed";
    case sec::redundant_connection: return "redundant connection";
    case sec::remote_lookup_failed: return "remote lookup failed";
    case sec::connection_timeout: return "connection timed out";
  }
  return nullptr;
}

const char* describe_exit_reason(caf::exit_reason code) noexcept {
  using caf::exit_reason;
  switch (code) {
    case exit_reason::normal: return "stopped normally";
    case exit_reason::unhandled_exception: return "stopped by an unhandled exception";
    case exit_reason::unknown: return "stopped for an unknown reason";
    case exit_reason::out_of_workers: return "ran out of workers";
    case exit_reason::user_shutdown: return "shut down";
    case exit_reason::kill: return "killed";
    case exit_reason::remote_link_unreachable: return "a remote link became unreachable";
    case exit_reason::unreachable: return "became unreachable";
  }
  return nullptr;
}

const char* to_string(wire_errc x) noexcept {
  switch (x) {
    case wire_errc::truncated: return "truncated";
    case wire_errc::oversized: return "oversized";
    case wire_errc::malformed: return "malformed";
    case wire_errc::unsupported: return "unsupported";
    case wire_errc::bad_value: return "bad_value";
  }
  return "unknown";
}

caf::atom_value wire_category() noexcept {
  return caf::atom("wire");
}

caf::error make_error(wire_errc code, std::string context) {
  return caf::error{static_cast<uint8_t>(code), wire_category(),
                    caf::make_message(std::move(context))};
}

std::string describe(const caf::error& err) {
  if (!err)
    return "none";
  const auto& ctx = err.context();
  bool has_text = !ctx.empty() && ctx.match_element<std::string>(0)
                  && !ctx.get_as<std::string>(0).empty();
  std::string out;
  // CAF's own codes (category "system": caf::sec, "exit": caf::exit_reason)
  // in words; their numbers mean nothing to a user
  const char* words = nullptr;
  if (err.category() == caf::atom("system")) {
    words = describe_sec(static_cast<caf::sec>(err.code()));
    out = words ? words : "internal error " + std::to_string(err.code());
  } else if (err.category() == caf::atom("exit")) {
    words = describe_exit_reason(static_cast<caf::exit_reason>(err.code()));
    out = words ? words : "stopped (reason " + std::to_string(err.code()) + ")";
  }
  if (!out.empty()) {
    if (has_text)
      out += ": " + ctx.get_as<std::string>(0);
    return out;
  }
  category_entry entry;
  if (err.category() != wire_category()) {
    auto& r = registry();
    std::lock_guard<std::mutex> guard{r.mtx};
    for (size_t i = 0; i < r.size; ++i)
      if (r.entries[i].category == err.category())
        entry = r.entries[i];
  }
  if (entry.self_describing && has_text)
    return ctx.get_as<std::string>(0);
  out = caf::to_string(err.category());
  out += ':';
  if (err.category() == wire_category())
    out += to_string(static_cast<wire_errc>(err.code()));
  else if (entry.namer)
    out += entry.namer(err.code());
  else
    out += "error " + std::to_string(err.code());
  if (has_text) {
    out += ": ";
    out += ctx.get_as<std::string>(0);
  }
  return out;
}

} // namespace skywire
