#include "actors/services/route_finder/graph_source.hpp"

#include <algorithm>
#include <charconv>

#include <caf/send.hpp>

#include "actors/services/metrics_text.hpp"
#include "actors/services/transport_discovery/service.hpp"
#include "messages/wire/transport/entry.hpp"
#include "runtime/http/responder.hpp"

namespace skywire::services::route_finder {

namespace wt = wire::transport;

namespace {

/// An /all-transports entry is about 200 bytes of JSON; allow twice that.
constexpr size_t bytes_per_entry = 400;

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

caf::error feed_error(std::string text) {
  return make_error(wire_errc::bad_value, "transport discovery: " + std::move(text));
}

} // namespace

struct tpd_graph_source::run {
  std::vector<wt::entry> entries;
  size_t offset = 0;
};

expected<std::shared_ptr<tpd_graph_source>> tpd_graph_source::make(http::client_sender send,
                                                                   tpd_source_config cfg) {
  auto u = http::parse_url(cfg.tpd_url);
  if (!u)
    return std::move(u.error());
  if (!send || cfg.page_limit == 0 || cfg.max_entries == 0)
    return make_error(wire_errc::bad_value, "route finder: no sender, or a zero bound");
  return std::make_shared<tpd_graph_source>(std::move(send), std::move(cfg), std::move(*u));
}

tpd_graph_source::tpd_graph_source(http::client_sender send, tpd_source_config cfg,
                                   http::url base)
  : send_(std::move(send)), cfg_(std::move(cfg)), base_(std::move(base)) {
  while (!base_.target.empty() && base_.target.back() == '/')
    base_.target.pop_back();
}

std::shared_ptr<const graph> tpd_graph_source::current() const {
  std::lock_guard<std::mutex> g{mtx_};
  return g_;
}

tpd_graph_source::stats tpd_graph_source::status() const {
  std::lock_guard<std::mutex> g{mtx_};
  return st_;
}

void tpd_graph_source::refresh() {
  refresh_then({});
}

void tpd_graph_source::refresh_then(std::function<void(const caf::error&)> done) {
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (done)
      waiting_.push_back(std::move(done));
    if (running_)
      return;
    running_ = true;
  }
  page(std::make_shared<run>());
}

void tpd_graph_source::page(std::shared_ptr<run> r) {
  http::client_request req;
  req.scheme = base_.scheme;
  req.method = http::verb::get;
  req.host = base_.host;
  req.port = base_.port;
  req.target = base_.target + "/all-transports?offset=" + std::to_string(r->offset)
               + "&limit=" + std::to_string(cfg_.page_limit);
  req.timeout = cfg_.timeout;
  const size_t room = cfg_.max_entries - r->entries.size();
  req.response_limit = (room + 1) * bytes_per_entry;
  send_(std::move(req), [self = shared_from_this(), r, room](expected<http::response> res) {
    if (!res)
      return self->finish(r, feed_error(describe(res.error())));
    if (res->status != 200)
      return self->finish(r, feed_error("/all-transports answered HTTP "
                                        + std::to_string(res->status)));
    auto list = wt::decode_entry_list(res->body, room, room * bytes_per_entry);
    if (!list)
      return self->finish(r, feed_error("/all-transports: " + describe(list.error())
                                        + " (at most "
                                        + std::to_string(self->cfg_.max_entries)
                                        + " transports in all)"));
    r->entries.insert(r->entries.end(), std::make_move_iterator(list->begin()),
                      std::make_move_iterator(list->end()));
    auto next = res->header("X-Next-Offset");
    if (!next || list->empty())
      return self->finish(r, {});
    size_t n = 0;
    auto [p, ec] = std::from_chars(next->data(), next->data() + next->size(), n);
    if (ec != std::errc{} || p != next->data() + next->size() || n <= r->offset)
      return self->finish(r, feed_error("/all-transports: a bad X-Next-Offset: "
                                        + std::string{next->substr(0, 32)}));
    r->offset = n;
    self->page(r);
  });
}

void tpd_graph_source::finish(std::shared_ptr<run> r, caf::error err) {
  std::shared_ptr<const graph> built;
  if (!err)
    built = std::make_shared<const graph>(graph::build(r->entries));
  std::vector<std::function<void(const caf::error&)>> waiting;
  {
    std::lock_guard<std::mutex> g{mtx_};
    if (built) {
      g_ = std::move(built);
      ++st_.refreshes;
      st_.built_ns = steady_ns();
    } else {
      ++st_.failures;
      st_.last_error = describe(err);
    }
    running_ = false;
    waiting.swap(waiting_);
  }
  for (auto& f : waiting)
    f(err);
}

std::string tpd_graph_source::metrics_text() const {
  auto st = status();
  auto g = current();
  std::string out;
  auto line = [&](std::string_view name, std::string_view type, uint64_t v) {
    append_metric(out, "rf_" + std::string{name}, type, v);
  };
  line("graph_refreshes_total", "counter", st.refreshes);
  line("graph_refresh_failures_total", "counter", st.failures);
  line("graph_visors", "gauge", g ? g->vertices() : 0);
  line("graph_transports", "gauge", g ? g->edges() : 0);
  return out;
}

http::client_sender tcp_sender(io::io_runtime& io) {
  return [&io](http::client_request req, http::client_callback cb) {
    http::async_request(io, std::move(req), std::move(cb));
  };
}

http::client_sender in_process_tpd_sender(caf::actor tpd) {
  namespace tpd_ns = transport_discovery;
  return [tpd](http::client_request req, http::client_callback cb) {
    auto q = req.target.find('?');
    std::string path = req.target.substr(0, q);
    if (req.method != http::verb::get || !path.ends_with("/all-transports"))
      return cb(make_error(wire_errc::bad_value,
                           "in-process transport discovery: only GET /all-transports"));
    http::request r;
    r.method = http::verb::get;
    r.target = "/all-transports" + (q == std::string::npos ? "" : req.target.substr(q));
    r.path = "/all-transports";
    r.query = q == std::string::npos ? "" : req.target.substr(q + 1);
    r.remote = "in-process";
    http::responder res{[cb](http::response resp) { cb(std::move(resp)); }};
    caf::anon_send(tpd, tpd_ns::tpd_call{tpd_ns::tpd_op::all_transports, std::move(r),
                                         std::move(res)});
  };
}

} // namespace skywire::services::route_finder
