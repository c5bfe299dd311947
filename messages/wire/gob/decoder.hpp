// A gob stream decoder for one connection direction. It keeps the type table
// for the connection's life (ids >= 64 defined in-stream by the sender, in
// any order, each once) and turns value messages into generic value trees.
// Every length and count is bounded (see gob::limits); errors are values and
// sticky: after one, the stream is unusable and the connection should drop.
#pragma once

#include <optional>

#include "messages/wire/gob/types.hpp"
#include "messages/wire/gob/value.hpp"
#include "messages/wire/gob/varint.hpp"

namespace skywire::wire::gob {

class decoder {
public:
  explicit decoder(limits lim = {}) : limits_(lim), table_(lim) {}

  struct step {
    /// Bytes of `in` that were used (type definitions and at most one value).
    size_t consumed = 0;
    /// The value, when a complete value message was read.
    std::optional<value> val;
  };

  /// Reads complete messages from the front of `in`: type definitions are
  /// recorded and consumed; stops after one value message, or before an
  /// incomplete message (then val is empty and the caller waits for more).
  expected<step> next(byte_span in);

  /// Decodes `in`, which must hold exactly type definitions followed by one
  /// value (e.g. the gob part of a dmsg signed object).
  expected<value> decode_one(byte_span in);

  /// One message payload (type id + body, without the length prefix).
  /// Returns the value, or nullopt for a type definition.
  expected<std::optional<value>> decode_message(byte_span payload);

  const type_table& types() const noexcept { return table_; }
  const limits& lims() const noexcept { return limits_; }

  /// The wire type of a decoded value, or nullptr for predefined types.
  const wire_type* type_of(const value& v) const noexcept { return table_.find(v.type); }

  /// Field of a decoded struct by Go name (nullptr when missing).
  const value* field(const value& v, std::string_view name) const {
    return find_field(table_, v, name);
  }

  bool failed() const noexcept { return static_cast<bool>(failed_); }

private:
  caf::error fail(caf::error err);
  caf::error read_definition(reader& r, type_id id);
  expected<value> read_value(reader& r, type_id id, size_t depth);
  expected<value> read_struct(reader& r, const wire_type& t, size_t depth);
  caf::error count_node();

  limits limits_;
  type_table table_;
  size_t nodes_ = 0;
  caf::error failed_;
};

/// A decoder with its own input buffer: feed socket bytes, take values.
class stream_decoder {
public:
  explicit stream_decoder(limits lim = {}) : dec_(lim) {}

  /// Appends received bytes. The buffer holds at most one partial message
  /// (bounded by limits::max_message) plus what was fed since.
  void feed(byte_span bytes);

  /// The next complete value, nullopt when more bytes are needed, or the
  /// (sticky) error.
  expected<std::optional<value>> next();

  const decoder& dec() const noexcept { return dec_; }
  size_t buffered() const noexcept { return buf_.size() - pos_; }

private:
  decoder dec_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
};

} // namespace skywire::wire::gob
