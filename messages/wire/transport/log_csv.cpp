#include "messages/wire/transport/log_csv.hpp"

#include <chrono>
#include <cstdio>

#include "messages/wire/transport/json_reader.hpp"

namespace skywire::wire::transport {

namespace {

namespace chr = std::chrono;

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0'))
    return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    auto d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

bool parse_i64(std::string_view s, int64_t& out) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg)
    s.remove_prefix(1);
  uint64_t u = 0;
  if (!parse_u64(s, u))
    return false;
  if (neg) {
    if (u == 0 || u > uint64_t{1} << 63)
      return false;
    out = u == uint64_t{1} << 63 ? INT64_MIN : -static_cast<int64_t>(u);
  } else {
    if (u > static_cast<uint64_t>(INT64_MAX))
      return false;
    out = static_cast<int64_t>(u);
  }
  return true;
}

caf::error row_error(size_t line, std::string_view why) {
  return make_error(wire_errc::malformed,
                    "transport log CSV line " + std::to_string(line) + ": " + std::string{why});
}

unsigned two(std::string_view s, size_t at) {
  return static_cast<unsigned>((s[at] - '0') * 10 + (s[at + 1] - '0'));
}

} // namespace

std::string encode_log_csv(const std::vector<log_row>& rows) {
  std::string out;
  out.reserve(log_csv_header.size() + 1 + rows.size() * 80);
  out += log_csv_header;
  out += '\n';
  for (const auto& r : rows) {
    out += r.id.to_string();
    out += ',';
    out += std::to_string(r.recv);
    out += ',';
    out += std::to_string(r.sent);
    out += ',';
    out += std::to_string(r.time_stamp);
    out += '\n';
  }
  return out;
}

expected<std::vector<log_row>> decode_log_csv(std::string_view text, size_t max_rows,
                                              size_t max_bytes) {
  if (text.size() > max_bytes)
    return make_error(wire_errc::oversized, "transport log CSV: larger than "
                                              + std::to_string(max_bytes) + " bytes");
  std::vector<log_row> rows;
  if (text.empty())
    return rows;
  size_t line_no = 0;
  bool header_seen = false;
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (!header_seen) {
      if (line != log_csv_header)
        return row_error(line_no, "expected the header tp_id,recv,sent,time_stamp");
      header_seen = true;
      continue;
    }
    if (line.empty()) {
      if (text.empty())
        break; // the last line's "\n" (or "\r\n")
      return row_error(line_no, "empty line");
    }
    if (rows.size() >= max_rows)
      return make_error(wire_errc::oversized,
                        "transport log CSV: more than " + std::to_string(max_rows) + " rows");
    std::string_view f[4];
    size_t n = 0;
    while (n < 4) {
      auto comma = line.find(',');
      f[n++] = line.substr(0, comma);
      if (comma == std::string_view::npos) {
        line = {};
        break;
      }
      line.remove_prefix(comma + 1);
      if (n == 4)
        return row_error(line_no, "more than 4 fields");
    }
    if (n != 4)
      return row_error(line_no, "expected 4 fields");
    log_row r;
    auto id = parse_uuid36(f[0]);
    if (!id)
      return row_error(line_no, "tp_id is not a UUID");
    r.id = *id;
    if (!parse_u64(f[1], r.recv))
      return row_error(line_no, "recv is not a decimal uint64");
    if (!parse_u64(f[2], r.sent))
      return row_error(line_no, "sent is not a decimal uint64");
    if (!parse_i64(f[3], r.time_stamp))
      return row_error(line_no, "time_stamp is not a decimal int64");
    rows.push_back(r);
  }
  return rows;
}

int64_t utc_day_start(int64_t unix_seconds) {
  auto d = chr::floor<chr::days>(chr::sys_seconds{chr::seconds{unix_seconds}});
  return chr::duration_cast<chr::seconds>(d.time_since_epoch()).count();
}

std::string log_file_name(int64_t unix_seconds) {
  auto d = chr::floor<chr::days>(chr::sys_seconds{chr::seconds{unix_seconds}});
  chr::year_month_day ymd{d};
  int y = static_cast<int>(ymd.year());
  unsigned m = static_cast<unsigned>(ymd.month());
  unsigned day = static_cast<unsigned>(ymd.day());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u.csv", y, m, day);
  return buf;
}

std::optional<int64_t> parse_log_file_name(std::string_view name) {
  // YYYY-MM-DD.csv
  if (name.size() != 14 || name.substr(10) != ".csv" || name[4] != '-' || name[7] != '-')
    return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (name[i] < '0' || name[i] > '9')
      return std::nullopt;
  int y = static_cast<int>(two(name, 0) * 100 + two(name, 2));
  chr::year_month_day ymd{chr::year{y}, chr::month{two(name, 5)}, chr::day{two(name, 8)}};
  if (y < 1970 || !ymd.ok())
    return std::nullopt;
  auto d = chr::sys_days{ymd};
  return chr::duration_cast<chr::seconds>(d.time_since_epoch()).count();
}

} // namespace skywire::wire::transport
