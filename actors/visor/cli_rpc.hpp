// cli_rpc: the CLI socket's protocol as plain code (no actor, no socket) —
// the line framing, the JSON-RPC error codes, a request line parsed into its
// id, method and params, the answer lines, and the typed readers of params
// with their problems as values (bad_params). The protocol itself is
// described in actors/visor/cli_gateway.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json.hpp>

#include <caf/error.hpp>

#include "messages/api/transport.hpp"
#include "messages/ids.hpp"

namespace skywire::visor::cli {

namespace json = boost::json;

// JSON-RPC error codes
constexpr int parse_error = -32700;
constexpr int invalid_request = -32600;
constexpr int method_not_found = -32601;
constexpr int invalid_params = -32602;
constexpr int server_error = -32000;
constexpr int timeout_error = -32001;

// ---- framing ------------------------------------------------------------------------------

/// A connection's bytes cut into lines ('\n', a trailing '\r' removed), none
/// longer than max_line.
class line_framer {
public:
  explicit line_framer(size_t max_line) : max_line_(max_line) {}

  void append(const char* data, size_t size) { pending_.append(data, size); }

  /// The next complete line (valid until the next append or clear); none when
  /// no complete line of at most max_line bytes is left, after which the
  /// lines taken are forgotten.
  std::optional<std::string_view> next();

  /// More than max_line bytes wait without a newline (or in a line too
  /// long): the connection must be answered an error and dropped.
  bool overflowed() const { return pending_.size() - start_ > max_line_; }

  void clear() { pending_.clear(); }

private:
  size_t max_line_;
  std::string pending_; // bytes after the last complete line taken
  size_t start_ = 0;    // where the next line starts in pending_
};

// ---- requests and answers -------------------------------------------------------------------

/// One request line: {"id":…,"method":"…","params":{…}}.
struct request {
  std::string rid = "null"; // the id as JSON text, for the answer
  std::string method;
  json::value params; // an object, or null when absent

  /// params when present (an object), else nullptr.
  const json::value* params_ptr() const { return params.is_null() ? nullptr : &params; }
};

/// A request refused before its method is looked at.
struct request_error {
  std::string rid;
  int code;
  std::string message;
};

/// Parses one non-empty line.
std::variant<request, request_error> parse_request(std::string_view line);

std::string error_line(const std::string& id_json, int code, std::string_view message);
std::string result_line(const std::string& id_json, const std::string& result_json);

/// The message of an error answer for a failed request to the visor.
std::string error_text(const caf::error& err);

/// The code of an error answer for a failed request to the visor.
int error_code(const caf::error& err);

/// A typed answer and how it becomes JSON.
template <class T> struct convert {
  using answer = T;
  std::function<json::value(T&)> fn;
  json::value operator()(T& x) const { return fn(x); }
};

// ---- params ---------------------------------------------------------------------------------

/// A parameter problem: the text of an invalid_params answer.
struct bad_params {
  std::string text;
};

/// params.<key>, or nullptr (also when there are no params).
const json::value* param(const json::value* params, std::string_view key);

/// params.id, a transport ID (UUID text).
std::variant<transport_id, bad_params> id_param(const json::value* params);

/// params.<key>, a public key (66 hex digits, not null).
std::variant<public_key, bad_params> pk_param(const json::value* params, std::string_view key);

/// A route ID: params.id, a number in [1, 2^32-1].
std::variant<uint32_t, bad_params> route_id_param(const json::value* params);

/// A rule to save: params.rule, a RuleSummary object (§4.2), as its bytes.
std::variant<std::vector<uint8_t>, bad_params> rule_param(const json::value* params);

/// An app name: params.<key>, a non-empty string of at most 64 bytes.
std::variant<std::string, bad_params> app_name_param(const json::value* params, const char* key);

/// Transports' filter: {"FilterTypes":[..],"FilterPubKeys":[..],"ShowLogs":bool}.
std::variant<api::transport_filter, bad_params> filter_param(const json::value* params);

/// AddTransport: {"RemotePK":pk,"TpType":type,"Timeout":ns or "10s"}.
std::variant<api::transport_request, bad_params> add_param(const json::value* params);

/// An optional integer field of params in [lo, hi] into `out`; false when
/// present and not such a number (absent: `out` unchanged).
template <class T>
bool uint_field(const json::object& o, const char* key, int64_t lo, uint64_t hi, T& out) {
  auto* v = o.if_contains(key);
  if (!v)
    return true;
  if (!v->is_int64() || v->get_int64() < lo || static_cast<uint64_t>(v->get_int64()) > hi)
    return false;
  out = static_cast<T>(v->get_int64());
  return true;
}

/// One optional bounded integer of a request (uint_field).
template <class T> struct int_field {
  const char* key;
  int64_t lo;
  uint64_t hi;
  T& out;
};
template <class T> int_field(const char*, int64_t, uint64_t, T&) -> int_field<T>;

/// A route request's params (visor.ping, visor.speed): the remote's "pk"
/// into `remote`, then the optional bounded integers; what is wrong, if
/// anything (`bounds` names the ranges).
template <class... T>
std::optional<bad_params> route_request(const json::value* params, public_key& remote,
                                        const std::string& bounds, int_field<T>... fields) {
  auto pk = pk_param(params, "pk");
  if (auto* b = std::get_if<bad_params>(&pk))
    return *b;
  remote = std::get<public_key>(pk);
  if (params && params->is_object()) {
    const auto& o = params->get_object();
    if (!(uint_field(o, fields.key, fields.lo, fields.hi, fields.out) && ...))
      return bad_params{bounds};
  }
  return std::nullopt;
}

} // namespace skywire::visor::cli
