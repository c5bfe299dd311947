// Transport bandwidth logs with an injected clock: the CSV as the reference
// writes it, rewrites only of what changed, close, restart continuing the
// day's rows, the day change, rotation, atomic writes (no temporary file
// left, an unwritable target reported and retried), unreadable files set
// aside, bounds, memory mode.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <stdlib.h>

#include "actors/transport/transport_logs.hpp"
#include "messages/wire/transport/log_csv.hpp"
#include "runtime/config/visor_config.hpp"

using namespace skywire;
namespace fs = std::filesystem;
namespace tp = skywire::transport;
namespace wt = skywire::wire::transport;

namespace {

constexpr int64_t sec = 1'000'000'000;
constexpr int64_t day = 86400;
/// 2023-11-14T22:13:20Z
constexpr int64_t t0 = 1'700'000'000;

struct scratch_dir {
  fs::path path;
  scratch_dir() {
    auto tmpl = (fs::temp_directory_path() / "sw-tplogs-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path, ec);
  }
};

std::string read(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream out{p, std::ios::binary};
  out << text;
}

transport_id tid(int n) {
  transport_id id;
  id.bytes[0] = static_cast<uint8_t>(n);
  id.bytes[6] = 0x0a;
  id.bytes[8] = 0x80;
  return id;
}

std::string row(int n, uint64_t recv, uint64_t sent, int64_t ts) {
  return tid(n).to_string() + "," + std::to_string(recv) + "," + std::to_string(sent) + ","
         + std::to_string(ts) + "\n";
}

const std::string header = "tp_id,recv,sent,time_stamp\n";

struct clocked {
  std::atomic<int64_t> now{t0 * sec};
  tp::transport_log_config cfg(const fs::path& dir) {
    tp::transport_log_config c;
    c.dir = dir;
    c.clock = [this] { return now.load(); };
    return c;
  }
  void advance(int64_t seconds) { now += seconds * sec; }
};

size_t temp_files(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().front() == '.')
      ++n;
  return n;
}

} // namespace

TEST_CASE("transport logs: the day's CSV as the reference writes it, rewritten when it changed") {
  scratch_dir d;
  clocked c;
  tp::transport_logs logs{c.cfg(d.path)};
  REQUIRE_FALSE(logs.open());
  CHECK(logs.current_file_name() == "2023-11-14.csv");
  auto file = d.path / "2023-11-14.csv";

  CHECK(logs.add(tid(1)));
  logs.record(tid(1), 100, 200);
  logs.record(tid(2), 5, 0); // counted without an explicit add
  REQUIRE_FALSE(logs.flush());
  CHECK(read(file) == header + row(1, 100, 200, t0) + row(2, 5, 0, t0));
  CHECK(logs.stats().files_written == 1);
  CHECK(temp_files(d.path) == 0);

  // 3 s later only the row that changed gets a new time stamp
  c.advance(3);
  logs.record(tid(1), 1, 2);
  REQUIRE_FALSE(logs.flush());
  CHECK(read(file) == header + row(1, 101, 202, t0 + 3) + row(2, 5, 0, t0));
  // nothing changed: nothing written
  c.advance(3);
  logs.record(tid(2), 0, 0);
  REQUIRE_FALSE(logs.flush());
  CHECK(logs.stats().files_written == 2);

  // close writes the final row; the transport comes back the same day and
  // continues from it
  c.advance(1);
  logs.record(tid(2), 10, 10);
  REQUIRE_FALSE(logs.close(tid(2)));
  CHECK(read(file) == header + row(1, 101, 202, t0 + 3) + row(2, 15, 10, t0 + 7));
  CHECK(logs.get(tid(2)) == tp::transport_logs::counters{15, 10});
  logs.record(tid(2), 1, 0);
  CHECK(logs.get(tid(2)) == tp::transport_logs::counters{16, 10});
  CHECK_FALSE(logs.get(tid(3)));
}

TEST_CASE("transport logs: a restart continues the day's rows; stale temporary files go") {
  scratch_dir d;
  clocked c;
  {
    tp::transport_logs logs{c.cfg(d.path)};
    REQUIRE_FALSE(logs.open());
    logs.record(tid(1), 1000, 2000);
    logs.record(tid(2), 1, 1);
    // destroyed without flush: the destructor writes what changed
  }
  write(d.path / ".2023-11-14.csv.tmp", "half a fi");
  write(d.path / ".notes.tmp", "not ours");
  c.advance(60);
  tp::transport_logs logs{c.cfg(d.path)};
  REQUIRE_FALSE(logs.open());
  CHECK_FALSE(fs::exists(d.path / ".2023-11-14.csv.tmp"));
  CHECK(fs::exists(d.path / ".notes.tmp"));
  CHECK(logs.get(tid(1)) == tp::transport_logs::counters{1000, 2000});
  logs.record(tid(1), 1, 1);
  REQUIRE_FALSE(logs.flush());
  CHECK(read(d.path / "2023-11-14.csv")
        == header + row(1, 1001, 2001, t0 + 60) + row(2, 1, 1, t0));
}

TEST_CASE("transport logs: at a day change the last totals go to the old day, counters restart") {
  scratch_dir d;
  clocked c;
  c.now = (t0 - t0 % day + day - 2) * sec; // 2023-11-14T23:59:58Z
  tp::transport_logs logs{c.cfg(d.path)};
  REQUIRE_FALSE(logs.open());
  logs.record(tid(1), 10, 20);
  logs.record(tid(2), 1, 2);
  REQUIRE_FALSE(logs.close(tid(2)));
  REQUIRE_FALSE(logs.flush());
  auto midnight = t0 - t0 % day + day;
  c.now = (midnight + 1) * sec;
  logs.record(tid(1), 5, 5); // before the first write of the new day
  REQUIRE_FALSE(logs.flush());
  CHECK(logs.current_file_name() == "2023-11-15.csv");
  // the old day's file: the final totals, stamped with the write's time
  // (of the next day, as in the reference); the closed transport untouched
  CHECK(read(d.path / "2023-11-14.csv")
        == header + row(1, 15, 25, midnight + 1) + row(2, 1, 2, midnight - 2));
  // the new day starts from zero, and only the active transport is in it
  CHECK(read(d.path / "2023-11-15.csv") == header + row(1, 0, 0, midnight + 1));
  CHECK(logs.get(tid(1)) == tp::transport_logs::counters{0, 0});
  CHECK_FALSE(logs.get(tid(2)));
  c.advance(3);
  logs.record(tid(1), 7, 0);
  REQUIRE_FALSE(logs.flush());
  CHECK(read(d.path / "2023-11-15.csv") == header + row(1, 7, 0, midnight + 4));
}

TEST_CASE("transport logs: rotation deletes day files older than the interval and nothing else") {
  scratch_dir d;
  clocked c;
  auto today = t0 - t0 % day;
  for (int ago : {10, 8, 7, 6, 1})
    write(d.path / wt::log_file_name(today - ago * day), header);
  write(d.path / "notes.txt", "keep");
  write(d.path / "2023-02-30.csv", "not a date");
  write(d.path / "2023-11-01.csv.unreadable", "kept");
  fs::create_directory(d.path / "2023-10-01.csv"); // a folder named like a day
  auto cfg = c.cfg(d.path);
  cfg.rotation_interval = std::chrono::hours{168};
  tp::transport_logs logs{cfg};
  REQUIRE_FALSE(logs.open()); // open cleans once
  for (int ago : {10, 8, 7})
    CHECK_FALSE(fs::exists(d.path / wt::log_file_name(today - ago * day)));
  for (int ago : {6, 1})
    CHECK(fs::exists(d.path / wt::log_file_name(today - ago * day)));
  CHECK(fs::exists(d.path / "notes.txt"));
  CHECK(fs::exists(d.path / "2023-02-30.csv"));
  CHECK(fs::exists(d.path / "2023-11-01.csv.unreadable"));
  CHECK(fs::exists(d.path / "2023-10-01.csv"));
  CHECK(logs.stats().files_removed == 3);

  // five days on, the 6-day-old file is 11 days old and goes; the others stay
  logs.record(tid(1), 1, 1);
  REQUIRE_FALSE(logs.flush());
  c.advance(5 * day);
  REQUIRE_FALSE(logs.flush());
  auto removed = logs.clean();
  REQUIRE(removed);
  CHECK(*removed == 1);
  CHECK_FALSE(fs::exists(d.path / wt::log_file_name(today - 6 * day)));
  CHECK(fs::exists(d.path / wt::log_file_name(today - day)));
  CHECK(fs::exists(d.path / wt::log_file_name(today)));
  CHECK(fs::exists(d.path / wt::log_file_name(today + 5 * day)));

  // an interval shorter than a day never removes the current day's file
  auto short_cfg = c.cfg(d.path);
  short_cfg.rotation_interval = std::chrono::hours{1};
  tp::transport_logs brief{short_cfg};
  REQUIRE_FALSE(brief.open());
  CHECK(fs::exists(d.path / wt::log_file_name(today + 5 * day)));
  CHECK_FALSE(fs::exists(d.path / wt::log_file_name(today)));
}

TEST_CASE("transport logs: unreadable files are set aside, a failed write reported and retried") {
  scratch_dir d;
  clocked c;
  write(d.path / "2023-11-14.csv", "tp_id,recv\nnot,csv\n");
  tp::transport_logs logs{c.cfg(d.path)};
  REQUIRE_FALSE(logs.open());
  CHECK(logs.stats().unreadable_files == 1);
  CHECK(read(d.path / "2023-11-14.csv.unreadable") == "tp_id,recv\nnot,csv\n");
  CHECK_FALSE(fs::exists(d.path / "2023-11-14.csv"));

  // the target path is taken by a folder: the rename fails, nothing is lost
  fs::create_directory(d.path / "2023-11-14.csv");
  logs.record(tid(1), 3, 4);
  auto err = logs.flush();
  REQUIRE(err);
  CHECK(err.category() == tp::log_category());
  CHECK(logs.stats().write_errors == 1);
  CHECK(temp_files(d.path) == 0);
  fs::remove(d.path / "2023-11-14.csv");
  c.advance(3);
  REQUIRE_FALSE(logs.flush()); // the row stayed dirty
  CHECK(read(d.path / "2023-11-14.csv") == header + row(1, 3, 4, t0 + 3));
}

TEST_CASE("transport logs: bounds, memory mode, config") {
  clocked c;
  scratch_dir d;
  auto cfg = c.cfg(d.path);
  cfg.max_rows = 2;
  tp::transport_logs logs{cfg};
  REQUIRE_FALSE(logs.open());
  CHECK(logs.add(tid(1)));
  CHECK(logs.add(tid(2)));
  CHECK_FALSE(logs.add(tid(3)));
  logs.record(tid(3), 1, 1);
  CHECK_FALSE(logs.get(tid(3)));
  CHECK(logs.stats().rows_refused == 2);

  tp::transport_log_config mem;
  mem.clock = [&c] { return c.now.load(); };
  tp::transport_logs m{mem};
  REQUIRE_FALSE(m.open());
  CHECK(m.in_memory());
  m.record(tid(1), 9, 9);
  REQUIRE_FALSE(m.flush());
  REQUIRE_FALSE(m.close(tid(1)));
  CHECK(m.get(tid(1)) == tp::transport_logs::counters{9, 9});
  CHECK(m.stats().files_written == 0);

  config::log_store_config ls;
  ls.location = "./local/transport_logs";
  ls.rotation_interval = std::chrono::hours{24};
  auto from = tp::transport_log_config::from(ls);
  CHECK(from.dir == fs::path{"./local/transport_logs"});
  CHECK(from.rotation_interval == std::chrono::hours{24});
  ls.type = "memory";
  CHECK(tp::transport_log_config::from(ls).dir.empty());
}
