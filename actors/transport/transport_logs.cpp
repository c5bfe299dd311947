#include "actors/transport/transport_logs.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include <caf/make_message.hpp>

#include "runtime/config/visor_config.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::transport {

namespace fs = std::filesystem;
namespace wt = wire::transport;

namespace {

constexpr const char* component = "transport_logs";

const char* code_name(uint8_t code) noexcept {
  return to_string(static_cast<log_errc>(code));
}

std::string errno_text(int e) {
  return std::system_category().message(e);
}

/// "." + name + ".tmp": the temporary file a write goes through.
std::string temp_name(const std::string& name) {
  return "." + name + ".tmp";
}

bool is_temp_name(const std::string& name) {
  constexpr std::string_view suffix = ".tmp";
  if (name.size() < 2 + suffix.size() || name.front() != '.'
      || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  auto inner = std::string_view{name}.substr(1, name.size() - 1 - suffix.size());
  return wt::parse_log_file_name(inner).has_value();
}

} // namespace

const char* to_string(log_errc x) noexcept {
  switch (x) {
  case log_errc::io_failed: return "io_failed";
  }
  return "unknown";
}

caf::atom_value log_category() noexcept {
  return caf::atom("tplog");
}

caf::error make_error(log_errc code, std::string text) {
  static const bool registered = (register_error_category(log_category(), code_name), true);
  (void)registered;
  return caf::error{static_cast<uint8_t>(code), log_category(),
                    caf::make_message(std::move(text))};
}

transport_log_config transport_log_config::from(const config::log_store_config& c) {
  transport_log_config out;
  if (c.type != "memory")
    out.dir = c.location;
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(c.rotation_interval);
  if (secs.count() > 0)
    out.rotation_interval = secs;
  return out;
}

transport_logs::transport_logs(transport_log_config cfg) : cfg_(std::move(cfg)) {
  if (cfg_.max_rows == 0)
    cfg_.max_rows = 1;
  auto now = now_seconds();
  day_start_ = wt::utc_day_start(now);
  day_name_ = wt::log_file_name(now);
}

transport_logs::~transport_logs() {
  if (opened_)
    (void)close_all();
}

int64_t transport_logs::now_seconds() const {
  if (cfg_.clock) {
    auto ns = cfg_.clock();
    auto s = ns / 1'000'000'000;
    return (ns % 1'000'000'000 < 0) ? s - 1 : s;
  }
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

caf::error transport_logs::open() {
  if (opened_)
    return {};
  opened_ = true;
  auto now = now_seconds();
  day_start_ = wt::utc_day_start(now);
  day_name_ = wt::log_file_name(now);
  if (in_memory())
    return {};
  std::error_code ec;
  fs::create_directories(cfg_.dir, ec);
  if (ec)
    return make_error(log_errc::io_failed,
                      "cannot create " + cfg_.dir.string() + ": " + ec.message());
  // temporary files of a write a crash interrupted
  for (auto it = fs::directory_iterator(cfg_.dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (is_temp_name(name)) {
      std::error_code rm;
      fs::remove(it->path(), rm);
    }
  }
  if (ec)
    return make_error(log_errc::io_failed,
                      "cannot list " + cfg_.dir.string() + ": " + ec.message());
  load_day(day_start_);
  auto cleaned = clean();
  if (!cleaned)
    return std::move(cleaned.error());
  return {};
}

void transport_logs::load_day(int64_t day_start) {
  rows_.clear();
  index_.clear();
  if (in_memory())
    return;
  auto name = wt::log_file_name(day_start);
  auto path = cfg_.dir / name;
  std::error_code ec;
  auto st = fs::symlink_status(path, ec);
  if (ec || st.type() == fs::file_type::not_found)
    return;
  std::string why;
  expected<std::vector<wt::log_row>> rows{std::vector<wt::log_row>{}};
  if (st.type() != fs::file_type::regular) {
    why = "not a regular file";
  } else if (auto size = fs::file_size(path, ec); ec || size > cfg_.max_file_bytes) {
    why = ec ? ec.message() : "larger than " + std::to_string(cfg_.max_file_bytes) + " bytes";
  } else {
    std::ifstream in{path, std::ios::binary};
    std::string text(static_cast<size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (static_cast<size_t>(in.gcount()) != text.size())
      why = "read failed";
    else if (rows = wt::decode_log_csv(text, cfg_.max_rows, cfg_.max_file_bytes); !rows)
      why = describe(rows.error());
  }
  if (!why.empty()) {
    ++stats_.unreadable_files;
    auto aside = path;
    aside += ".unreadable";
    std::error_code rn;
    fs::rename(path, aside, rn);
    SKYWIRE_LOG(warn, component, "transport log file unreadable; set aside, the day restarts",
                log::kv("file", path.string()), log::kv("why", why));
    return;
  }
  for (const auto& r : *rows) {
    if (auto it = index_.find(r.id); it != index_.end()) {
      rows_[it->second].row = r; // a duplicate: the later row wins
      continue;
    }
    index_.emplace(r.id, rows_.size());
    rows_.push_back(row_state{r, false, false});
  }
}

caf::error transport_logs::roll_day(int64_t now) {
  auto day = wt::utc_day_start(now);
  if (day == day_start_)
    return {};
  // the last totals of the active transports go into the old day's file
  std::vector<transport_id> active;
  for (auto& r : rows_) {
    if (r.active) {
      r.dirty = true;
      active.push_back(r.row.id);
    }
  }
  auto err = write_day(now, false);
  day_start_ = day;
  day_name_ = wt::log_file_name(now);
  load_day(day);
  for (const auto& id : active) {
    if (auto it = index_.find(id); it != index_.end()) {
      rows_[it->second].active = true;
      rows_[it->second].dirty = true;
    } else if (rows_.size() < cfg_.max_rows) {
      index_.emplace(id, rows_.size());
      rows_.push_back(row_state{wt::log_row{id, 0, 0, now}, true, true});
    } else {
      ++stats_.rows_refused;
    }
  }
  return err;
}

caf::error transport_logs::write_day(int64_t now, bool force) {
  bool any = force;
  for (auto& r : rows_) {
    if (r.dirty) {
      r.row.time_stamp = now;
      any = true;
    }
  }
  if (!any)
    return {};
  if (!in_memory()) {
    std::vector<wt::log_row> out;
    out.reserve(rows_.size());
    for (const auto& r : rows_)
      out.push_back(r.row);
    if (auto err = write_file(day_name_, wt::encode_log_csv(out))) {
      ++stats_.write_errors;
      return err; // rows stay dirty: the next flush tries again
    }
    ++stats_.files_written;
  }
  for (auto& r : rows_)
    r.dirty = false;
  return {};
}

caf::error transport_logs::write_file(const std::string& name, const std::string& text) {
  auto tmp = cfg_.dir / temp_name(name);
  auto target = cfg_.dir / name;
  auto fail = [&](std::string what, int e) {
    ::unlink(tmp.c_str());
    return make_error(log_errc::io_failed, what + " " + tmp.string() + ": " + errno_text(e));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(log_errc::io_failed,
                      "cannot create " + tmp.string() + ": " + errno_text(errno));
  size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int e = errno;
      ::close(fd);
      return fail("cannot write", e);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    return fail("cannot sync", e);
  }
  if (::close(fd) != 0)
    return fail("cannot close", errno);
  if (::rename(tmp.c_str(), target.c_str()) != 0)
    return fail("cannot rename", errno);
  return {};
}

bool transport_logs::add(const transport_id& id) {
  auto now = now_seconds();
  (void)roll_day(now); // a failed write is counted and retried by flush()
  if (auto it = index_.find(id); it != index_.end()) {
    rows_[it->second].active = true;
    return true;
  }
  if (rows_.size() >= cfg_.max_rows) {
    ++stats_.rows_refused;
    return false;
  }
  index_.emplace(id, rows_.size());
  rows_.push_back(row_state{wt::log_row{id, 0, 0, now}, true, true});
  return true;
}

void transport_logs::record(const transport_id& id, uint64_t recv, uint64_t sent) {
  auto it = index_.find(id);
  if (it == index_.end() || !rows_[it->second].active) {
    if (!add(id))
      return;
    it = index_.find(id);
  }
  auto& r = rows_[it->second];
  r.row.recv += recv;
  r.row.sent += sent;
  if (recv != 0 || sent != 0)
    r.dirty = true;
}

std::optional<transport_logs::counters> transport_logs::get(const transport_id& id) const {
  auto it = index_.find(id);
  if (it == index_.end())
    return std::nullopt;
  const auto& r = rows_[it->second].row;
  return counters{r.recv, r.sent};
}

caf::error transport_logs::flush() {
  auto now = now_seconds();
  auto rolled = roll_day(now);
  auto written = write_day(now, false);
  return rolled ? rolled : written;
}

caf::error transport_logs::close(const transport_id& id) {
  auto now = now_seconds();
  auto rolled = roll_day(now);
  auto it = index_.find(id);
  if (it == index_.end() || !rows_[it->second].active)
    return rolled;
  rows_[it->second].active = false;
  rows_[it->second].dirty = true;
  auto written = write_day(now, false);
  return rolled ? rolled : written;
}

caf::error transport_logs::close_all() {
  auto now = now_seconds();
  auto rolled = roll_day(now);
  for (auto& r : rows_) {
    if (r.active) {
      r.active = false;
      r.dirty = true;
    }
  }
  auto written = write_day(now, false);
  return rolled ? rolled : written;
}

expected<size_t> transport_logs::clean() {
  if (in_memory())
    return size_t{0};
  auto cutoff = now_seconds() - cfg_.rotation_interval.count();
  size_t removed = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(cfg_.dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    auto day = wt::parse_log_file_name(it->path().filename().string());
    if (!day || *day == day_start_ || *day >= cutoff)
      continue;
    std::error_code st;
    if (!fs::is_regular_file(it->symlink_status(st)))
      continue;
    std::error_code rm;
    if (fs::remove(it->path(), rm)) {
      ++removed;
      ++stats_.files_removed;
    }
  }
  if (ec)
    return make_error(log_errc::io_failed,
                      "cannot list " + cfg_.dir.string() + ": " + ec.message());
  return removed;
}

std::vector<wt::log_row> transport_logs::rows() const {
  std::vector<wt::log_row> out;
  out.reserve(rows_.size());
  for (const auto& r : rows_)
    out.push_back(r.row);
  return out;
}

} // namespace skywire::transport
