// The Go types of the dmsgpty RPC services as gob schemas (with the names the
// reference writes into type definitions), value builders and readers.
//   pty.Start(CommandReq, *struct{})   pty.Stop(*struct{}, *struct{})
//   pty.Read(*int, *[]byte)            pty.Write(*[]byte, *int)
//   pty.SetPtySize(*WinSize, *struct{})
//   whitelist.Whitelist(*struct{}, *[]cipher.PubKey)
//   whitelist.WhitelistAdd(*[]cipher.PubKey, *struct{})
//   whitelist.WhitelistRemove(*[]cipher.PubKey, *struct{})
// Readers take the decoder of the connection (fields are found by Go name)
// and bound every length.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/gob/decoder.hpp"
#include "messages/wire/gob/types.hpp"
#include "messages/wire/gob/value.hpp"

namespace skywire::wire::dmsgpty {

/// WinSize{X, Y, Rows, Cols uint16} (X/Y are pixels, usually 0).
struct win_size {
  uint16_t x = 0, y = 0, rows = 0, cols = 0;
  friend bool operator==(const win_size&, const win_size&) = default;
};

/// CommandReq{Name string; Arg []string; Size *WinSize}. A nil Size and an
/// all-zero one read the same (unset).
struct command_req {
  std::string name;
  std::vector<std::string> args;
  std::optional<win_size> size;
  friend bool operator==(const command_req&, const command_req&) = default;
};

inline constexpr size_t max_command_name = 4096;
inline constexpr size_t max_command_args = 256;
inline constexpr size_t max_command_arg = 64 * 1024;
inline constexpr size_t max_whitelist_keys = 4096;

const gob::schema_ptr& win_size_schema();
const gob::schema_ptr& command_req_schema();
/// struct{} (the argument or reply of calls without one).
const gob::schema_ptr& empty_schema();
/// int and []byte as top-level values.
const gob::schema_ptr& int_schema();
const gob::schema_ptr& bytes_schema();
/// []cipher.PubKey as a top-level value (PubKey is a BinaryMarshaler).
const gob::schema_ptr& pubkeys_schema();

gob::value win_size_value(const win_size& w);
gob::value command_req_value(const command_req& c);
gob::value empty_value();
gob::value pubkeys_value(const std::vector<public_key>& pks);

expected<win_size> win_size_from_gob(const gob::decoder& dec, const gob::value& v);
expected<command_req> command_req_from_gob(const gob::decoder& dec, const gob::value& v);
/// Read's argument: a non-negative int (Go int is 64-bit).
expected<int64_t> int_from_gob(const gob::value& v);
/// Write's argument / Read's reply, at most `max` bytes.
expected<std::vector<uint8_t>> bytes_from_gob(const gob::value& v, size_t max);
expected<std::vector<public_key>> pubkeys_from_gob(const gob::value& v);

} // namespace skywire::wire::dmsgpty
