// A gob stream encoder for one connection direction that reproduces Go's
// encoding/gob output byte for byte: type ids come from a process_types
// shared by every encoder of one (modelled) Go process; each type definition
// is sent once per encoder, before the first value that needs it, in Go's
// order (the type itself, then its fields / element / key and element).
#pragma once

#include <memory>
#include <set>

#include "messages/wire/gob/types.hpp"
#include "messages/wire/gob/value.hpp"
#include "messages/wire/gob/varint.hpp"

namespace skywire::wire::gob {

class encoder {
public:
  /// A fresh process (ids from 65) when `proc` is null.
  explicit encoder(std::shared_ptr<process_types> proc = nullptr);

  /// Appends to `out` the type definitions this connection has not seen yet
  /// and one value message for `v` of Go type `s`. Errors when v does not
  /// fit s (nothing is appended then).
  caf::error encode(const schema_ptr& s, const value& v, std::vector<uint8_t>& out);

  process_types& process() noexcept { return *proc_; }

  /// Bound on one value message (zero values of big arrays are written out
  /// in full; this stops a hostile schema rebuilt from the wire from
  /// exploding). Default 64 MiB.
  void set_max_output(size_t n) noexcept { max_output_ = n; }
  const std::shared_ptr<process_types>& process_ptr() const noexcept { return proc_; }

private:
  void send_type(const schema_ptr& s, std::vector<uint8_t>& out);
  std::shared_ptr<process_types> proc_;
  std::set<type_id> sent_;
  size_t max_output_ = size_t{1} << 26;
};

/// The wireType encoding of a definition message payload (id negated first).
void encode_definition(const wire_type& t, std::vector<uint8_t>& payload);

/// Appends one length-prefixed message.
void append_message(std::vector<uint8_t>& out, const std::vector<uint8_t>& payload);

/// Builds a schema equivalent to a received wire type (for re-encoding
/// decoded values). Errors on recursive or unknown types.
expected<schema_ptr> schema_from_wire(const type_table& table, type_id id);

} // namespace skywire::wire::gob
