// Go net/rpc over gob (the framing of every Skywire RPC channel: setup node,
// visor gateways, transport setup, app RPC). One gob stream per direction:
// the client writes Request{ServiceMethod string; Seq uint64} then the
// argument; the server writes Response{ServiceMethod; Seq; Error string}
// then the reply, or net/rpc's empty struct{}{} when Error is set.
// Codecs are pure: they take and produce bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"
#include "messages/wire/gob/decoder.hpp"
#include "messages/wire/gob/encoder.hpp"

namespace skywire::wire::rpc {

using byte_span = std::span<const uint8_t>;

struct request_header {
  std::string service_method;
  uint64_t seq = 0;
  friend bool operator==(const request_header&, const request_header&) = default;
};

struct response_header {
  std::string service_method;
  uint64_t seq = 0;
  std::string error; ///< non-empty: the call failed; the body is struct{}{}
  friend bool operator==(const response_header&, const response_header&) = default;
};

/// net/rpc's Request, Response and invalidRequest (struct{}, unnamed) types.
const gob::schema_ptr& request_schema();
const gob::schema_ptr& response_schema();
const gob::schema_ptr& invalid_request_schema();

/// Longest ServiceMethod we accept ("Service.Method").
inline constexpr size_t max_service_method = 256;

/// Header conversions (field lookup by Go name, as net/rpc does).
expected<request_header> request_header_from_gob(const gob::decoder& dec, const gob::value& v);
expected<response_header> response_header_from_gob(const gob::decoder& dec, const gob::value& v);

struct inbound_request {
  request_header header;
  gob::value arg;
};

struct inbound_response {
  response_header header;
  gob::value reply;
};

/// The calling side of one connection.
class client_codec {
public:
  /// `proc`: the type ids of the (modelled) process; fresh when null.
  explicit client_codec(std::shared_ptr<gob::process_types> proc = nullptr, gob::limits lim = {});

  /// Appends header and argument messages (with any type definitions not yet
  /// sent on this connection).
  caf::error write_request(const request_header& h, const gob::schema_ptr& arg_schema,
                           const gob::value& arg, std::vector<uint8_t>& out);

  void feed(byte_span bytes) { in_.feed(bytes); }

  /// The next complete response (header and reply), nullopt when more bytes
  /// are needed, or the error that ends the connection.
  expected<std::optional<inbound_response>> next_response();

  const gob::decoder& decoder() const noexcept { return in_.dec(); }
  gob::encoder& encoder() noexcept { return out_; }

private:
  gob::encoder out_;
  gob::stream_decoder in_;
  std::optional<response_header> pending_;
};

/// The serving side of one connection.
class server_codec {
public:
  explicit server_codec(std::shared_ptr<gob::process_types> proc = nullptr, gob::limits lim = {});

  void feed(byte_span bytes) { in_.feed(bytes); }

  expected<std::optional<inbound_request>> next_request();

  /// A successful reply.
  caf::error write_response(const response_header& h, const gob::schema_ptr& reply_schema,
                            const gob::value& reply, std::vector<uint8_t>& out);

  /// A failed call: Error = `error`, body = struct{}{} (what net/rpc sends).
  caf::error write_error(const request_header& req, std::string_view error,
                         std::vector<uint8_t>& out);

  const gob::decoder& decoder() const noexcept { return in_.dec(); }
  gob::encoder& encoder() noexcept { return out_; }

private:
  gob::encoder out_;
  gob::stream_decoder in_;
  std::optional<request_header> pending_;
};

} // namespace skywire::wire::rpc
