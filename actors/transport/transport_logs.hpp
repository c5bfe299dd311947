// Transport bandwidth logs (reference §3.8): per-transport received and sent
// byte counters, written as one CSV per UTC day (<dir>/YYYY-MM-DD.csv,
// "tp_id,recv,sent,time_stamp", messages/wire/transport/log_csv.hpp).
//
// A plain class, not thread-safe, with an injected clock: its owner (the
// transport manager) feeds it byte counts, calls flush() every
// log_write_interval (3 s, as the reference) and close(id) when a transport
// closes, clean() every log_clean_interval (5 h). Behaviour, as the reference
// unless noted:
//  * A transport's row holds its totals of the day; a transport that comes
//    up again the same day (or after a restart) continues from its row.
//  * At the first write of a new UTC day the last totals go into the
//    previous day's file (time_stamp: the write's time, so of the next day),
//    and the counters restart from zero in the new day's file. (The
//    reference does this for the first transport that writes after
//    midnight only; the others' totals go into the new day's file.)
//  * A file is rewritten whole into a temporary file in the same folder,
//    fsync'ed and renamed over the old one: a reader, a crash or a full disk
//    never leaves a half-written file. (The reference rewrites in place.)
//  * A row is rewritten when its counters changed since the last write (the
//    reference rewrites every row every 3 s, changed or not), at close, and
//    at a day change; its time_stamp is the time of that write.
//  * clean() deletes the files named YYYY-MM-DD.csv whose day started more
//    than rotation_interval (default 168 h) ago, never the current day's,
//    and nothing else (the reference deletes every file in the folder
//    whose name is not a date).
//  * A file that cannot be read back (not our CSV, over max_file_bytes) is
//    renamed to <name>.unreadable and the day starts afresh.
//  * Bounds: at most max_rows rows per day (further transports are not
//    logged; counted in stats().rows_refused).
//  * A failed write is returned (log_errc::io_failed) and its rows are
//    written again at the next flush, except at a day change: the old day's
//    final rows are then lost.
// With an empty `dir` (log_store type "memory") nothing touches the disk;
// the counters and the day logic are the same.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/transport/log_csv.hpp"

namespace skywire::config {
struct log_store_config;
}

namespace skywire::transport {

inline constexpr std::chrono::seconds log_write_interval{3};
inline constexpr std::chrono::hours log_clean_interval{5};

/// File errors of the transport logs (category "tplog").
enum class log_errc : uint8_t {
  io_failed = 1, ///< a file or folder could not be created, written, renamed or listed
};
const char* to_string(log_errc x) noexcept;
caf::atom_value log_category() noexcept;
caf::error make_error(log_errc code, std::string text);

struct transport_log_config {
  std::filesystem::path dir; ///< empty: in memory only
  std::chrono::seconds rotation_interval = std::chrono::hours{168};
  size_t max_rows = 65'536;
  size_t max_file_bytes = 16u << 20;
  /// Unix time in ns; default: the system clock. Tests inject their own.
  std::function<int64_t()> clock;

  /// From the visor config's transport.log_store (type "memory" -> no dir).
  static transport_log_config from(const config::log_store_config& c);
};

class transport_logs {
public:
  struct counters {
    uint64_t recv = 0;
    uint64_t sent = 0;
    friend bool operator==(const counters&, const counters&) = default;
  };

  struct statistics {
    uint64_t files_written = 0;
    uint64_t write_errors = 0;
    uint64_t files_removed = 0;   ///< by clean()
    uint64_t unreadable_files = 0;
    uint64_t rows_refused = 0;    ///< transports not logged: the day's file is full
  };

  explicit transport_logs(transport_log_config cfg);
  ~transport_logs(); ///< writes what changed (close_all), errors ignored

  transport_logs(const transport_logs&) = delete;
  transport_logs& operator=(const transport_logs&) = delete;

  /// Creates the folder, removes temporary files left by a crash, loads the
  /// current day's file and runs clean(). Call once before the rest.
  caf::error open();

  /// Starts counting `id` (continuing its row of the day, if any). Returns
  /// false when the day's file is full and the transport is not logged.
  bool add(const transport_id& id);

  /// Adds bytes to `id`'s counters (add()s it first when needed).
  void record(const transport_id& id, uint64_t recv, uint64_t sent);

  /// The counters of `id` in the current day, whether or not it is active.
  std::optional<counters> get(const transport_id& id) const;

  /// Writes the rows that changed (and rolls the day over when it changed).
  caf::error flush();

  /// Writes `id`'s final row of the day and stops counting it.
  caf::error close(const transport_id& id);

  /// close() for every active transport, with one write.
  caf::error close_all();

  /// Deletes the day files older than rotation_interval; returns how many.
  expected<size_t> clean();

  /// The current day's file name ("YYYY-MM-DD.csv") and its rows, in file order.
  const std::string& current_file_name() const noexcept { return day_name_; }
  std::vector<wire::transport::log_row> rows() const;

  bool in_memory() const noexcept { return cfg_.dir.empty(); }
  const std::filesystem::path& dir() const noexcept { return cfg_.dir; }
  const statistics& stats() const noexcept { return stats_; }

private:
  struct row_state {
    wire::transport::log_row row;
    bool active = false; ///< counting now (else a row kept from earlier in the day)
    bool dirty = false;  ///< changed since it was last written
  };

  int64_t now_seconds() const;
  /// Moves to the day of `now` when it is another one; writes the old day's
  /// final rows first.
  caf::error roll_day(int64_t now);
  void load_day(int64_t day_start);
  caf::error write_day(int64_t now, bool force);
  caf::error write_file(const std::string& name, const std::string& text);

  transport_log_config cfg_;
  bool opened_ = false;
  int64_t day_start_ = 0;
  std::string day_name_;
  std::vector<row_state> rows_;           ///< file order
  std::map<transport_id, size_t> index_; ///< into rows_
  statistics stats_;
};

} // namespace skywire::transport
