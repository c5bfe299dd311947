// The project's structured logger (Debian's CAF has its logging compiled out).
//
// One line per event, written with a single write(2) so lines from different
// threads never interleave. Two formats: logfmt (default)
//   time=2026-11-22T06:03:20.123Z level=info component=visor msg="started" pk=02ab…
// and JSON lines ({"time":…,"level":…,"component":…,"msg":…,"pk":…}).
// Quiet by default: at `info` a visor prints only start and stop; per-event
// chatter belongs to `debug`/`trace`.
//
// Cheap when disabled: use the SKYWIRE_LOG macro, which checks the level
// before any argument is evaluated. Secret keys never reach a sink: a field
// whose value is a skywire::secret_key renders as "[redacted]".
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <caf/error.hpp>

#include "messages/ids.hpp"

namespace skywire::log {

enum class level : uint8_t { trace = 0, debug, info, warn, error, fatal, off };

const char* to_string(level x) noexcept;

/// Parses a level name as the config's log_level and `-s` use it: trace,
/// debug, info, warn/warning, error, fatal, panic (= fatal), off. The empty
/// string (the reference's default) means info.
std::optional<level> parse_level(std::string_view text) noexcept;

enum class format : uint8_t { logfmt, json };

/// One key=value pair. Construct with kv(key, value).
struct field {
  std::string_view key;
  std::string value;
  bool quoted_json = true; ///< false: value is a JSON number/bool literal
};

// -- field construction: one overload per kind of value --------------------
inline field kv(std::string_view k, std::string v) { return {k, std::move(v), true}; }
inline field kv(std::string_view k, std::string_view v) { return {k, std::string{v}, true}; }
inline field kv(std::string_view k, const char* v) { return {k, v ? std::string{v} : "", true}; }
inline field kv(std::string_view k, bool v) { return {k, v ? "true" : "false", false}; }
template <std::integral T>
  requires(!std::same_as<T, bool>)
field kv(std::string_view k, T v) {
  return {k, std::to_string(v), false};
}
field kv(std::string_view k, double v);
field kv_ms(std::string_view k, double milliseconds); ///< "12.345ms"
template <class Rep, class Period>
field kv(std::string_view k, std::chrono::duration<Rep, Period> d) {
  return kv_ms(k, std::chrono::duration<double, std::milli>(d).count());
}
field kv(std::string_view k, const public_key& pk);
/// Secret keys are never printed: the value is always "[redacted]".
field kv(std::string_view k, const secret_key& sk);
field kv(std::string_view k, const caf::error& err);

/// Where lines go. The default sink writes each line to fd 2 with one write().
using sink_fn = std::function<void(std::string_view line)>;

/// Process-wide settings (thread-safe to read; set them at start-up).
void set_level(level lvl) noexcept;
level current_level() noexcept;
void set_format(format fmt) noexcept;
format current_format() noexcept;
/// Replaces the sink (nullptr restores stderr). Tests capture lines with it.
void set_sink(sink_fn fn);

namespace detail {
extern std::atomic<uint8_t> g_level;
} // namespace detail

inline bool enabled(level lvl) noexcept {
  return static_cast<uint8_t>(lvl) >= detail::g_level.load(std::memory_order_relaxed)
         && lvl != level::off;
}

/// Formats and emits one event (no level check; use the macro or check
/// enabled() first).
void write(level lvl, std::string_view component, std::string_view msg,
           std::initializer_list<field> fields = {});

/// Formats one event without emitting it (for tests and the JSON/logfmt
/// contract). `time` is the timestamp text.
std::string format_line(format fmt, std::string_view time, level lvl,
                        std::string_view component, std::string_view msg,
                        std::initializer_list<field> fields);

} // namespace skywire::log

/// SKYWIRE_LOG(info, "visor", "started", skywire::log::kv("pk", pk)) — the
/// arguments are evaluated only when the level is enabled.
#define SKYWIRE_LOG(lvl, component, msg, ...)                                                     \
  do {                                                                                            \
    if (::skywire::log::enabled(::skywire::log::level::lvl))                                      \
      ::skywire::log::write(::skywire::log::level::lvl, component, msg, {__VA_ARGS__});           \
  } while (false)
