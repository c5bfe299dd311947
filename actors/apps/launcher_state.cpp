#include "actors/apps/launcher_state.hpp"

#include "actors/apps/app_flags.hpp"
#include "actors/apps/errors.hpp"

#include <algorithm>
#include <charconv>

#include "actors/services/service_clock.hpp"

namespace skywire::apps {

namespace {

int64_t unix_ns(wall_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string seconds_text(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0)
    return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

} // namespace

resolved_entry resolve_entry(const config::app_config& c) {
  if (c.args.size() >= 2 && c.args[0] == "app")
    return {c.args[1], std::vector<std::string>(c.args.begin() + 2, c.args.end())};
  return {c.name, c.args};
}

bool is_safe_app_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "." || name == "..")
    return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

launcher_state::launcher_state(const std::vector<config::app_config>& apps,
                               const std::function<bool(std::string_view)>& known,
                               std::vector<std::string> known_names, launcher_limits limits)
  : known_names_(std::move(known_names)), limits_(limits) {
  auto now = wall_clock::now();
  for (const auto& c : apps) {
    apps_.emplace_back();
    init_entry(apps_.back(), c, known, now);
  }
}

void launcher_state::init_entry(entry& x, const config::app_config& c,
                                const std::function<bool(std::string_view)>& known,
                                wall_clock::time_point now) {
  x.cfg = c;
  x.run = resolve_entry(c);
  x.known = false;
  x.tracker = system::restart_tracker{limits_.policy};
  if (!is_safe_app_name(c.name))
    set_state(x, api::app_state::errored,
              "not a usable app name (it names the app's folder under local_path)", now);
  else if (!known(x.run.app))
    set_state(x, api::app_state::errored,
              "unknown app \"" + x.run.app + "\": this build has no such app (built-in: "
                + join(known_names_) + ")",
              now);
  else {
    x.known = true;
    set_state(x, api::app_state::stopped, "Stopped", now);
  }
}

bool launcher_state::configure(const config::app_config& c,
                               const std::function<bool(std::string_view)>& known,
                               wall_clock::time_point wall) {
  auto* e = find(c.name);
  if (!e) {
    apps_.emplace_back();
    init_entry(apps_.back(), c, known, wall);
    log(apps_.back(), "added to launcher.apps", wall);
    return true;
  }
  if (e->state == api::app_state::starting || e->state == api::app_state::running
      || e->stop_requested)
    return false;
  auto log_lines = std::move(e->log);
  init_entry(*e, c, known, wall);
  e->log = std::move(log_lines);
  log(*e, "arguments set", wall);
  return true;
}

expected<config::app_config> app_with_flags(const std::vector<config::app_config>& apps,
                                            const std::string& name, const std::string& app,
                                            const std::vector<std::string>& flags,
                                            uint16_t preferred_port) {
  if (!is_safe_app_name(name))
    return make_error(apps_errc::unknown_app, "\"" + name + "\" is not a usable app name");
  if (flags.size() % 2 != 0)
    return make_error(apps_errc::start_failed, "flags must come in name, value pairs");
  config::app_config out;
  auto it = std::find_if(apps.begin(), apps.end(), [&](const auto& a) { return a.name == name; });
  if (it != apps.end()) {
    out = *it;
    if (auto runs = resolve_entry(out).app; runs != app)
      return make_error(apps_errc::unknown_app,
                        "launcher.apps: \"" + name + "\" runs " + runs + ", not " + app);
  } else {
    out.name = name;
    out.binary = "skywire";
    out.args = {"app", app};
    out.auto_start = false;
    auto used = [&](uint16_t p) {
      return std::any_of(apps.begin(), apps.end(), [p](const auto& a) { return a.port.value == p; });
    };
    uint16_t port = 0;
    if (preferred_port != 0 && !used(preferred_port))
      port = preferred_port;
    for (uint16_t p = 10; port == 0 && p < 100; ++p)
      if (!used(p))
        port = p;
    if (port == 0)
      return make_error(apps_errc::start_failed, "no free routing port in 10..99 for " + name);
    out.port = skywire::port{port};
  }
  for (size_t i = 0; i + 1 < flags.size(); i += 2)
    set_flag(out.args, flags[i], flags[i + 1]);
  return out;
}


launcher_state::entry* launcher_state::find(std::string_view name) {
  for (auto& e : apps_)
    if (e.cfg.name == name)
      return &e;
  return nullptr;
}

const launcher_state::entry* launcher_state::find(std::string_view name) const {
  return const_cast<launcher_state*>(this)->find(name);
}

std::vector<std::string> launcher_state::auto_start_names() const {
  std::vector<std::string> out;
  for (const auto& e : apps_)
    if (e.cfg.auto_start && e.known)
      out.push_back(e.cfg.name);
  return out;
}

std::string launcher_state::cannot_start(std::string_view name) const {
  const auto* e = find(name);
  if (!e)
    return "no app named \"" + std::string{name} + "\" in launcher.apps";
  if (!e->known)
    return e->cfg.name + ": " + e->detailed_status;
  return {};
}

uint64_t launcher_state::spawning(std::string_view name, bool by_user,
                                  steady_clock::time_point now, wall_clock::time_point wall) {
  auto* e = find(name);
  if (!e)
    return 0;
  if (by_user)
    e->tracker = system::restart_tracker{limits_.policy};
  e->tracker.started(now);
  e->restart_pending = false;
  e->stop_requested = false;
  e->reported = false;
  ++e->generation;
  set_state(*e, api::app_state::starting, "Starting", wall);
  return e->generation;
}

void launcher_state::spawn_failed(std::string_view name, const std::string& why,
                                  wall_clock::time_point wall) {
  auto* e = find(name);
  if (!e)
    return;
  e->error = why.substr(0, limits_.line_bytes);
  log(*e, "error: " + e->error, wall);
  set_state(*e, api::app_state::errored, "Failed to start: " + e->error, wall);
}

void launcher_state::status(std::string_view name, std::string text,
                            wall_clock::time_point wall) {
  auto* e = find(name);
  if (!e || (e->state != api::app_state::starting && e->state != api::app_state::running))
    return;
  if (text.size() > limits_.line_bytes)
    text.resize(limits_.line_bytes);
  e->reported = true;
  // "Starting" is the app's own word for not running yet
  auto next = e->state == api::app_state::starting && text == "Starting" ? api::app_state::starting
                                                                          : api::app_state::running;
  set_state(*e, next, std::move(text), wall);
}

void launcher_state::error(std::string_view name, std::string text,
                           wall_clock::time_point wall) {
  auto* e = find(name);
  if (!e)
    return;
  if (text.size() > limits_.line_bytes)
    text.resize(limits_.line_bytes);
  e->error = text;
  log(*e, "error: " + text, wall);
}

bool launcher_state::promote(std::string_view name, uint64_t generation,
                             wall_clock::time_point wall) {
  auto* e = find(name);
  if (!e || e->generation != generation || e->state != api::app_state::starting || e->reported)
    return false;
  set_state(*e, api::app_state::running, "Running", wall);
  return true;
}

bool launcher_state::stop_requested(std::string_view name, wall_clock::time_point wall) {
  auto* e = find(name);
  if (!e)
    return false;
  if (e->state == api::app_state::starting || e->state == api::app_state::running) {
    e->stop_requested = true;
    log(*e, "stop requested", wall);
    return true;
  }
  // down already (stopped, or errored and perhaps waiting for a restart)
  e->restart_pending = false;
  if (e->known && e->state != api::app_state::stopped)
    set_state(*e, api::app_state::stopped, "Stopped", wall);
  return false;
}

launcher_state::after_exit launcher_state::exited(std::string_view name, bool abnormal,
                                                  const std::string& why,
                                                  steady_clock::time_point now,
                                                  wall_clock::time_point wall) {
  after_exit out;
  auto* e = find(name);
  if (!e)
    return out;
  out.generation = e->generation;
  if (e->stop_requested || !abnormal) {
    bool asked = e->stop_requested;
    e->stop_requested = false;
    e->restart_pending = false;
    set_state(*e, api::app_state::stopped, asked ? "Stopped" : "Stopped (the app ended)", wall);
    return out;
  }
  e->error = why.substr(0, limits_.line_bytes);
  log(*e, "crashed: " + e->error, wall);
  auto d = e->tracker.exited(true, now);
  switch (d.what) {
    case system::restart_tracker::action::restart:
      e->restart_pending = true;
      out.restart = true;
      out.delay = d.delay;
      set_state(*e, api::app_state::errored,
                "Crashed (" + e->error + "); restarting in " + seconds_text(d.delay), wall);
      break;
    case system::restart_tracker::action::give_up:
      e->restart_pending = false;
      set_state(*e, api::app_state::errored,
                "Crashed (" + e->error + ") " + std::to_string(limits_.policy.max_restarts + 1)
                  + " times within " + seconds_text(limits_.policy.window)
                  + "; not restarted (`skywire cli visor app start " + e->cfg.name
                  + "` starts it again)",
                wall);
      break;
    case system::restart_tracker::action::stop:
      e->restart_pending = false;
      set_state(*e, api::app_state::errored, "Crashed (" + e->error + ")", wall);
      break;
  }
  return out;
}

bool launcher_state::restart_due(std::string_view name, uint64_t generation) const {
  const auto* e = find(name);
  return e && e->restart_pending && e->generation == generation
         && e->state == api::app_state::errored;
}

void launcher_state::set_auto_start(std::string_view name, bool on,
                                    wall_clock::time_point wall) {
  auto* e = find(name);
  if (!e || e->cfg.auto_start == on)
    return;
  e->cfg.auto_start = on;
  log(*e, std::string{"auto_start: "} + (on ? "true" : "false"), wall);
}

api::app_summary launcher_state::summary(const entry& e) const {
  api::app_summary s;
  s.name = e.cfg.name;
  s.app = e.known ? e.run.app : std::string{};
  s.binary = e.cfg.binary;
  s.args = e.cfg.args;
  s.auto_start = e.cfg.auto_start;
  s.port = e.cfg.port.value;
  s.state = e.state;
  s.detailed_status = e.detailed_status;
  s.error = e.error;
  s.restarts = e.tracker.restarts();
  return s;
}

std::vector<api::app_summary> launcher_state::summaries() const {
  std::vector<api::app_summary> out;
  out.reserve(apps_.size());
  for (const auto& e : apps_)
    out.push_back(summary(e));
  return out;
}

std::vector<std::string> launcher_state::logs_since(std::string_view name,
                                                    int64_t since_unix_ns) const {
  std::vector<std::string> out;
  const auto* e = find(name);
  if (!e)
    return out;
  for (const auto& l : e->log)
    if (l.unix_ns >= since_unix_ns)
      out.push_back(l.text);
  return out;
}

void launcher_state::set_state(entry& e, api::app_state s, std::string status,
                               wall_clock::time_point wall) {
  bool changed = e.state != s;
  bool new_status = e.detailed_status != status;
  e.state = s;
  e.detailed_status = std::move(status);
  if (changed || new_status)
    log(e, std::string{"state: "} + api::to_string(s) + ", status: " + e.detailed_status, wall);
}

void launcher_state::log(entry& e, std::string what, wall_clock::time_point wall) {
  if (limits_.log_lines == 0)
    return;
  auto ns = unix_ns(wall);
  while (e.log.size() >= limits_.log_lines)
    e.log.pop_front();
  e.log.push_back({ns, services::rfc3339(ns) + " " + std::move(what)});
}

// ---- RFC 3339 --------------------------------------------------------------------------------

std::optional<int64_t> parse_rfc3339_ns(std::string_view t) {
  if (t == "beginning")
    return int64_t{0};
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  auto num = [&](size_t at, size_t n) -> std::optional<int> {
    if (at + n > t.size())
      return std::nullopt;
    int v = 0;
    auto r = std::from_chars(t.data() + at, t.data() + at + n, v);
    if (r.ec != std::errc{} || r.ptr != t.data() + at + n)
      return std::nullopt;
    return v;
  };
  if (t.size() < 20 || t.size() > 40 || t[4] != '-' || t[7] != '-'
      || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' || t[16] != ':')
    return std::nullopt;
  auto Y = num(0, 4), M = num(5, 2), D = num(8, 2), h = num(11, 2), m = num(14, 2),
       s = num(17, 2);
  if (!Y || !M || !D || !h || !m || !s || *M < 1 || *M > 12 || *D < 1 || *D > 31 || *h > 23
      || *m > 59 || *s > 60)
    return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{year{*Y}, month{static_cast<unsigned>(*M)}, day{static_cast<unsigned>(*D)}};
  if (!ymd.ok())
    return std::nullopt;
  size_t i = 19;
  int64_t frac = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    size_t digits = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (digits < 9)
        frac = frac * 10 + (t[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0)
      return std::nullopt;
    for (; digits < 9; ++digits)
      frac *= 10;
  }
  int64_t offset_s = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    auto oh = num(i + 1, 2), om = num(i + 4, 2);
    if (!oh || !om || i + 3 >= t.size() || t[i + 3] != ':' || *oh > 23 || *om > 59)
      return std::nullopt;
    offset_s = (*oh * 3600 + *om * 60) * (t[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size())
    return std::nullopt;
  auto secs = sys_days{ymd}.time_since_epoch() + hours{*h} + minutes{*m} + seconds{*s}
              - seconds{offset_s};
  return duration_cast<nanoseconds>(secs).count() + frac;
}

} // namespace skywire::apps
