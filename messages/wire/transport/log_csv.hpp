// Transport bandwidth logs (reference §3.8): one CSV file per UTC day, named
// "YYYY-MM-DD.csv", written by the Go visor with gocsv:
//   tp_id,recv,sent,time_stamp
//   9ff2818c-b326-0541-9f0b-f73272312553,1024,2048,1700000000
// (transport UUID, cumulative received and sent bytes, Unix seconds UTC of
// the write; "\n" line ends, no quoting). Pure text <-> rows and the file
// names; the files themselves are actors/transport/transport_logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/ids.hpp"

namespace skywire::wire::transport {

inline constexpr std::string_view log_csv_header = "tp_id,recv,sent,time_stamp";

struct log_row {
  transport_id id;
  uint64_t recv = 0;
  uint64_t sent = 0;
  int64_t time_stamp = 0; ///< Unix seconds, UTC
  friend bool operator==(const log_row&, const log_row&) = default;
};

/// The header line and one line per row, in the given order, each ending "\n".
std::string encode_log_csv(const std::vector<log_row>& rows);

/// Strict reader of what encode_log_csv and the Go visor write: the exact
/// header, then rows of four fields (canonical UUID, two decimal uint64, a
/// decimal int64), "\n" or "\r\n" line ends, an empty file or a missing last
/// newline accepted. Rows are returned in file order (duplicates included).
/// At most max_rows rows and max_bytes bytes.
expected<std::vector<log_row>> decode_log_csv(std::string_view text, size_t max_rows = 1u << 20,
                                              size_t max_bytes = 96u << 20);

/// "YYYY-MM-DD.csv" of the UTC day holding `unix_seconds`.
std::string log_file_name(int64_t unix_seconds);

/// The Unix seconds of 00:00 UTC of the day a log file is named after, or
/// nullopt unless `name` is exactly "YYYY-MM-DD.csv" with a real date
/// (years 1970..9999). The only file names the log code reads, serves or
/// deletes.
std::optional<int64_t> parse_log_file_name(std::string_view name);

/// The Unix seconds of 00:00 UTC of the day holding `unix_seconds`.
int64_t utc_day_start(int64_t unix_seconds);

} // namespace skywire::wire::transport
