#include "runtime/log/logger.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "messages/error.hpp"

namespace skywire::log {

namespace detail {
std::atomic<uint8_t> g_level{static_cast<uint8_t>(level::info)};
} // namespace detail

using detail::g_level;

namespace {

std::atomic<uint8_t> g_format{static_cast<uint8_t>(format::logfmt)};
std::mutex g_sink_mtx;
sink_fn g_sink; // guarded by g_sink_mtx; empty = stderr

void write_stderr(std::string_view line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    auto n = ::write(2, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::string now_text() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = time_point_cast<seconds>(now);
  auto ms = duration_cast<milliseconds>(now - secs).count();
  std::time_t t = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms));
  return buf;
}

/// `v` in double quotes: \" \\ \n \r \t by name, other control bytes as
/// \xNN (logfmt) or \u00NN (JSON).
void append_quoted(std::string& out, std::string_view v, bool json) {
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), json ? "\\u%04x" : "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// logfmt: bare when safe, otherwise quoted with \" \\ \n \t and \xNN escapes
// for other control bytes (no log injection through field values).
void append_logfmt_value(std::string& out, std::string_view v) {
  bool bare = !v.empty();
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) {
      bare = false;
      break;
    }
  if (bare) {
    out += v;
    return;
  }
  append_quoted(out, v, false);
}

void append_json_string(std::string& out, std::string_view v) {
  append_quoted(out, v, true);
}

// Keys are program constants, but keep them to [A-Za-z0-9_.-] anyway.
void append_key(std::string& out, std::string_view k) {
  for (char c : k)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')
             ? c
             : '_';
}

} // namespace

const char* to_string(level x) noexcept {
  switch (x) {
    case level::trace: return "trace";
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
    case level::fatal: return "fatal";
    case level::off: return "off";
  }
  return "unknown";
}

std::optional<level> parse_level(std::string_view t) noexcept {
  if (t.empty() || t == "info")
    return level::info;
  if (t == "trace")
    return level::trace;
  if (t == "debug")
    return level::debug;
  if (t == "warn" || t == "warning")
    return level::warn;
  if (t == "error")
    return level::error;
  if (t == "fatal" || t == "panic")
    return level::fatal;
  if (t == "off" || t == "quiet")
    return level::off;
  return std::nullopt;
}

field kv(std::string_view k, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return {k, buf, false};
}

field kv_ms(std::string_view k, double ms) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.3fms", ms);
  return {k, buf, true};
}

field kv(std::string_view k, const public_key& pk) {
  return {k, pk.hex(), true};
}

field kv(std::string_view k, const secret_key&) {
  return {k, "[redacted]", true};
}

field kv(std::string_view k, const caf::error& err) {
  return {k, describe(err), true};
}

void set_level(level lvl) noexcept {
  g_level.store(static_cast<uint8_t>(lvl), std::memory_order_relaxed);
}

level current_level() noexcept {
  return static_cast<level>(g_level.load(std::memory_order_relaxed));
}

void set_format(format fmt) noexcept {
  g_format.store(static_cast<uint8_t>(fmt), std::memory_order_relaxed);
}

format current_format() noexcept {
  return static_cast<format>(g_format.load(std::memory_order_relaxed));
}

void set_sink(sink_fn fn) {
  std::lock_guard<std::mutex> guard{g_sink_mtx};
  g_sink = std::move(fn);
}

std::string format_line(format fmt, std::string_view time, level lvl,
                        std::string_view component, std::string_view msg,
                        std::initializer_list<field> fields) {
  std::string out;
  out.reserve(96 + msg.size() + fields.size() * 24);
  if (fmt == format::json) {
    out += "{\"time\":";
    append_json_string(out, time);
    out += ",\"level\":\"";
    out += to_string(lvl);
    out += "\",\"component\":";
    append_json_string(out, component);
    out += ",\"msg\":";
    append_json_string(out, msg);
    for (const auto& f : fields) {
      out += ',';
      std::string key;
      append_key(key, f.key);
      append_json_string(out, key);
      out += ':';
      if (f.quoted_json)
        append_json_string(out, f.value);
      else
        out += f.value;
    }
    out += "}\n";
  } else {
    out += "time=";
    out += time;
    out += " level=";
    out += to_string(lvl);
    out += " component=";
    append_logfmt_value(out, component);
    out += " msg=";
    append_logfmt_value(out, msg);
    for (const auto& f : fields) {
      out += ' ';
      append_key(out, f.key);
      out += '=';
      append_logfmt_value(out, f.value);
    }
    out += '\n';
  }
  return out;
}

void write(level lvl, std::string_view component, std::string_view msg,
           std::initializer_list<field> fields) {
  auto line = format_line(current_format(), now_text(), lvl, component, msg, fields);
  std::lock_guard<std::mutex> guard{g_sink_mtx};
  if (g_sink)
    g_sink(line);
  else
    write_stderr(line);
}

} // namespace skywire::log
