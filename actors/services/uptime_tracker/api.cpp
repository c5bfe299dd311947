#include "actors/services/uptime_tracker/api.hpp"

#include <chrono>
#include <cmath>
#include <vector>

#include "actors/services/http_service.hpp"
#include "actors/services/service_clock.hpp"
#include "messages/wire/json/go_json.hpp"
#include "messages/wire/percent.hpp"
#include "runtime/io/address_scope.hpp"

namespace skywire::services::uptime_tracker {

namespace {

constexpr size_t max_version = 64;
constexpr int64_t ns_per_s = 1'000'000'000;

http::response json_reply(std::string body) {
  body += '\n';
  return http::make_response(200, std::move(body));
}

/// Unix ns of the first instant of the UTC month of `unix_s`, shifted by
/// `months` months.
int64_t month_start_ns(int64_t unix_s, int months) {
  using namespace std::chrono;
  auto day = sys_days{floor<days>(sys_seconds{seconds{unix_s}})};
  year_month_day ymd{day};
  auto ym = year_month{ymd.year(), ymd.month()} + std::chrono::months{months};
  auto first = sys_days{ym / std::chrono::day{1}};
  return duration_cast<nanoseconds>(first.time_since_epoch()).count();
}

/// Optional decimal int64 (a leading '-' allowed).
std::optional<int64_t> parse_i64(std::string_view v) {
  bool neg = !v.empty() && v.front() == '-';
  if (neg)
    v.remove_prefix(1);
  if (v.empty() || v.size() > 18)
    return std::nullopt;
  int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9')
      return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return neg ? -n : n;
}

} // namespace

ut_api::ut_api(ut_config cfg)
  : cfg_(std::move(cfg)), store_(store_limits{cfg_.max_visors, cfg_.retention_days}),
    guard_(cfg_.max_nonce_keys),
    new_keys_(source_budget_config{cfg_.new_burst, cfg_.new_per_minute, cfg_.max_sources_tracked}),
    lists_(source_budget_config{cfg_.list_burst, cfg_.list_per_minute, cfg_.max_sources_tracked}) {
  started_at_ = now();
}

int64_t ut_api::now() const {
  return cfg_.clock ? cfg_.clock() : system_unix_ns();
}

http::response ut_api::handle(ut_op op, const http::request& req) {
  switch (op) {
  case ut_op::update:
    return authenticate(
      guard_, new_keys_, req, now(), [this] { ++n_.auth_refused; },
      [this](const std::string& source) {
        ++n_.rate_limited;
        auto r = error_object_reply(429, "too many new keys from " + source + "; try again later");
        r.headers.emplace_back("Retry-After", "60");
        return r;
      },
      [&](const public_key& caller, int64_t t) { return update(req, caller, t); });
  case ut_op::gone: return http::make_response(410, {}, {});
  case ut_op::uptimes: return uptimes(req);
  case ut_op::uptime: return uptime(req);
  case ut_op::timeline: return timeline(req);
  case ut_op::visors: return visors(req);
  case ut_op::nonce: return nonce_reply(guard_, req);
  case ut_op::health: return health_answer(cfg_.version, started_at_, cfg_.dmsg_address);
  case ut_op::metrics: return metrics();
  }
  return error_object_reply(500, "something unexpected happened");
}

size_t ut_api::sweep() {
  auto t = now();
  auto before = store_.size();
  store_.sweep(t);
  new_keys_.sweep(t);
  lists_.sweep(t);
  return before - store_.size();
}

http::response ut_api::update(const http::request& req, const public_key& caller, int64_t t) {
  // decoded as Go's URL.Query() does
  auto version = wire::percent_decode(req.query_param("version").value_or(""), true);
  if (!version) {
    ++n_.refused;
    return error_object_reply(400, "version: bad percent-encoding");
  }
  if (version->size() > max_version) {
    ++n_.refused;
    return error_object_reply(400, "version longer than " + std::to_string(max_version)
                                     + " bytes");
  }
  // the caller's IP is kept when public (the reference drops private ones)
  auto ip = requester_of(req);
  auto scope = io::classify(ip);
  bool keep = scope == io::address_scope::public_
              || (cfg_.test_mode && scope != io::address_scope::unusable);
  auto r = store_.heartbeat(caller, std::move(*version),
                            keep ? io::unmapped(ip).to_string() : std::string{}, t);
  if (r == heartbeat_result::full) {
    ++n_.refused;
    return error_object_reply(503, "uptime tracker is full ("
                                     + std::to_string(store_.limits().max_visors)
                                     + " visors): no new visor is tracked until others are "
                                       "forgotten");
  }
  ++n_.heartbeats;
  if (r == heartbeat_result::credited)
    ++n_.credited;
  return http::make_response(200, {}, {});
}

std::optional<http::response> ut_api::list_limited(const http::request& req) {
  if (lists_.take(source_of(req.remote), 1, now()))
    return std::nullopt;
  ++n_.rate_limited;
  auto r = http::make_response(429, "Too Many Requests\n", "text/plain; charset=utf-8");
  r.headers.emplace_back("Retry-After", "60");
  return r;
}

http::response ut_api::uptimes(const http::request& req) {
  if (auto limited = list_limited(req))
    return std::move(*limited);
  auto t = now();
  // the window: the current month, or the months of startDate..endDate
  int64_t from = month_start_ns(t / ns_per_s, 0), to = month_start_ns(t / ns_per_s, 1);
  auto start = req.query_param("startDate").value_or("");
  auto end = req.query_param("endDate").value_or("");
  if (!start.empty() && start != "0" && !end.empty() && end != "0") {
    // unix seconds, from 1970 to 2200 (beyond, a month's start in ns would
    // not fit in 64 bits; found by the fuzz target uptime_tracker_request)
    constexpr int64_t max_date_s = 7'258'118'400; // 2200-01-01
    auto s = parse_i64(start);
    if (!s || *s < 0 || *s >= max_date_s)
      return error_object_reply(400, "invalid start date " + std::string{start});
    auto e = parse_i64(end);
    if (!e || *e < 0 || *e >= max_date_s)
      return error_object_reply(400, "invalid end date " + std::string{end});
    from = month_start_ns(*s, 0);
    to = month_start_ns(*e, 1);
  }
  std::vector<public_key> wanted;
  if (auto v = req.query_param("visors"); v && !v->empty()) {
    std::string_view rest = *v;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (wanted.size() >= cfg_.max_visor_filter)
        return error_object_reply(400, "at most " + std::to_string(cfg_.max_visor_filter)
                                         + " keys in visors=");
      if (auto pk = public_key::from_hex(item))
        wanted.push_back(*pk); // others match nothing, as in the reference
    }
  }
  auto status = req.query_param("status").value_or("");
  bool v2 = req.query_param("v").value_or("") == "v2";
  std::vector<std::pair<public_key, const uptime_store::visor*>> rows;
  size_t in_window = 0;
  auto consider = [&](const public_key& pk, const uptime_store::visor& v) {
    if (v.last_seen_ns < from || v.first_seen_ns >= to)
      return;
    ++in_window;
    bool on = store_.online(v, t);
    if ((status == "on" && !on) || (status == "off" && on))
      return;
    rows.emplace_back(pk, &v);
  };
  if (wanted.empty()) {
    for (const auto& [pk, v] : store_.visors())
      consider(pk, v);
  } else {
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    for (const auto& pk : wanted)
      if (const auto* v = store_.find(pk))
        consider(pk, *v);
  }
  // the reference's empty answers: null for v2 and after a status filter
  bool filtered = status == "on" || status == "off";
  if (rows.empty())
    return json_reply((v2 || (filtered && in_window > 0)) ? "null" : "[]");
  std::string body;
  wire::json::writer w{body};
  w.begin_array();
  for (const auto& [pk, v] : rows) {
    w.begin_object();
    if (v2) {
      w.key("pk").string(pk.hex()).key("on").boolean(store_.online(*v, t));
      if (!v->version.empty())
        w.key("version").string(v->version);
      auto daily = store_.daily(*v);
      if (!daily.empty()) {
        w.key("daily").begin_object();
        for (const auto& [date, pct] : daily)
          w.key(date).string(pct);
        w.end_object();
      }
    } else {
      w.key("key").string(pk.hex()).key("online").boolean(store_.online(*v, t));
    }
    w.end_object();
  }
  w.end_array();
  return json_reply(std::move(body));
}

http::response ut_api::uptime(const http::request& req) {
  auto pk = public_key::from_hex(req.param("pk"));
  if (!pk)
    return error_object_reply(400, describe(pk.error()));
  if (pk->is_null())
    return error_object_reply(400, "invalid public key");
  const auto* v = store_.find(*pk);
  auto t = now();
  if (v == nullptr || v->last_seen_ns < month_start_ns(t / ns_per_s, 0))
    return error_object_reply(404, "no entries for pk " + pk->hex());
  std::string body;
  wire::json::writer w{body};
  w.begin_object().key("key").string(pk->hex()).key("online").boolean(store_.online(*v, t));
  w.end_object();
  return json_reply(std::move(body));
}

http::response ut_api::timeline(const http::request& req) {
  auto pk = public_key::from_hex(req.param("pk"));
  if (!pk || pk->is_null())
    return error_object_reply(400, "invalid public key");
  auto day = day_of(now());
  if (auto d = req.query_param("date"); d && !d->empty()) {
    auto parsed = parse_date(*d);
    if (!parsed)
      return error_object_reply(400, "date: expected YYYY-MM-DD");
    day = *parsed;
  }
  const auto* v = store_.find(*pk);
  if (v == nullptr)
    return error_object_reply(404, "no entries for pk " + pk->hex());
  auto slots = store_.timeline(*v, day);
  std::string body;
  wire::json::writer w{body};
  w.begin_object();
  w.key("pk").string(pk->hex()).key("date").string(date_text(day));
  w.key("interval_seconds").integer(slot_seconds);
  w.key("slots").begin_array();
  for (size_t i = 0; i < slots_per_day; ++i)
    w.integer(slots.test(i) ? 1 : 0);
  w.end_array();
  w.key("daily").string(percent_text(slots.count()));
  w.end_object();
  return json_reply(std::move(body));
}

http::response ut_api::visors(const http::request& req) {
  if (auto limited = list_limited(req))
    return std::move(*limited);
  auto t = now();
  auto from = month_start_ns(t / ns_per_s, 0);
  std::string body;
  wire::json::writer w{body};
  w.begin_array();
  if (cfg_.locate)
    for (const auto& [pk, v] : store_.visors()) {
      if (v.last_ip.empty() || v.last_seen_ns < from)
        continue;
      auto at = cfg_.locate(v.last_ip);
      if (!at)
        continue;
      w.begin_object();
      w.key("lat").number(std::round(at->first * 100) / 100);
      w.key("lon").number(std::round(at->second * 100) / 100);
      w.end_object();
    }
  w.end_array();
  return json_reply(std::move(body));
}

http::response ut_api::metrics() {
  std::string out;
  constexpr std::string_view p = "ut_";
  auto t = now();
  size_t online = 0;
  for (const auto& [pk, v] : store_.visors())
    online += store_.online(v, t) ? 1 : 0;
  append_metric(out, p, "visors", "gauge", store_.size());
  append_metric(out, p, "visors_online", "gauge", online);
  append_metric(out, p, "heartbeats_total", "counter", n_.heartbeats);
  append_metric(out, p, "intervals_credited_total", "counter", n_.credited);
  append_metric(out, p, "heartbeats_refused_total", "counter", n_.refused);
  append_metric(out, p, "rate_limited_total", "counter", n_.rate_limited);
  append_metric(out, p, "httpauth_refused_total", "counter", n_.auth_refused);
  append_metric(out, p, "nonce_keys", "gauge", guard_.size());
  if (extra_metrics_)
    out += extra_metrics_();
  return http::make_response(200, std::move(out), "text/plain; version=0.0.4");
}

} // namespace skywire::services::uptime_tracker
