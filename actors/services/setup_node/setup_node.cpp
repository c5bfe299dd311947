#include "actors/services/setup_node/setup_node.hpp"

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "actors/services/setup_node/request_cache.hpp"
#include "actors/services/setup_node/route_plan.hpp"
#include "messages/wire/rpc/net_rpc.hpp"
#include "messages/wire/rpc/route_setup_calls.hpp"
#include "messages/wire/rpc/routing_schemas.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::services::setup_node {

namespace {

using req_timeout_atom = caf::atom_constant<caf::atom("sn_reqto")>;
using hop_timeout_atom = caf::atom_constant<caf::atom("sn_hopto")>;
using sweep_atom = caf::atom_constant<caf::atom("sn_sweep")>;

namespace rpc = wire::rpc;
using rs::failure_code;
using clock_type = std::chrono::steady_clock;
using byte_buffer = std::vector<uint8_t>;

constexpr const char* component = "setup_node";

enum class phase : uint8_t { reserve = 0, intermediary = 1, edge = 2 };
enum class call_kind : uint8_t { reserve, intermediary, edge, remove };

// One port-36 stream (a caller).
struct inbound_conn {
  api::dmsg_stream_actor stream;
  public_key remote;
  std::unique_ptr<rpc::server_codec> codec;
  size_t in_flight = 0;
  clock_type::time_point last_activity;
  /// Requests whose route this stream was answered (the edge rules). The
  /// caller closing it cleanly afterwards has its answer: a repeat of the
  /// same route after that is a new dial (an app started again on the same
  /// ports), not a retry, and must not get the old rules.
  std::vector<uint64_t> answered;
};

// Who waits for a request's answer.
struct waiter {
  caf::actor_addr conn;
  rpc::request_header header;
  uint64_t request = 0; ///< the request (and request_cache) id
};

// One visor of a request, reached on port 136.
struct visor_conn {
  public_key pk;
  uint8_t count = 0;
  api::dmsg_stream_actor stream;
  std::unique_ptr<rpc::client_codec> codec;
  uint64_t next_seq = 0;
  std::map<uint64_t, call_kind> pending;
  std::vector<route_id> ids;
  std::vector<route_id> rule_keys; ///< keys of the rules it was sent
  bool dialing = false;
  bool reserved = false;
  bool installed = false;
};

struct route_request {
  uint64_t id = 0;
  rs::bidirectional_route route;
  phase ph = phase::reserve;
  std::vector<waiter> waiters;
  std::vector<visor_conn> visors;
  size_t outstanding = 0;
  route_rules rules;
};

// A stream kept after a failed request until RemoveRules is answered.
struct cleanup_conn {
  api::dmsg_stream_actor stream;
  std::unique_ptr<rpc::client_codec> codec;
  uint64_t remove_seq = 0;
};

class setup_node_actor : public caf::event_based_actor {
public:
  setup_node_actor(caf::actor_config& acfg, api::dmsg_client_actor client, setup_node_config cfg)
    : caf::event_based_actor(acfg), client_(std::move(client)), cfg_(cfg),
      cache_(cfg.cache_capacity, cfg.request_timeout),
      proc_(std::make_shared<wire::gob::process_types>()) {
  }

  const char* name() const override { return "setup_node"; }

  caf::behavior make_behavior() override {
    request(client_, std::chrono::seconds(10), api::listen_atom::value, port{cfg_.port},
            caf::actor{this})
      .then(
        [this](api::ok_atom) {
          listening_ = true;
          SKYWIRE_LOG(info, component, "setup node listening", log::kv("port", cfg_.port));
          for (auto& rp : ready_)
            rp.deliver(api::ok_atom::value);
          ready_.clear();
        },
        [this](caf::error& err) {
          SKYWIRE_LOG(error, component, "cannot listen", log::kv("error", describe(err)));
          for (auto& rp : ready_)
            rp.deliver(err);
          ready_.clear();
          quit(err);
        });
    set_down_handler([this](caf::down_msg& dm) { stream_gone(dm.source, dm.reason); });
    delayed_send(this, std::chrono::seconds(1), sweep_atom::value);
    return {
      [this](api::ready_atom) {
        auto rp = make_response_promise();
        if (listening_)
          rp.deliver(api::ok_atom::value);
        else
          ready_.push_back(rp);
        return rp;
      },
      [this](api::info_atom) { return stats_; },
      [this](api::accept_atom, api::stream_opened& s) { on_accept(std::move(s)); },
      [this](api::data_atom, byte_buffer& b) { on_data(std::move(b)); },
      [](api::ack_atom, uint64_t) {},
      [this](api::closed_atom, const caf::error& err) {
        stream_gone(caf::actor_cast<caf::actor_addr>(current_sender()), err);
      },
      [this](req_timeout_atom, uint64_t id) {
        if (auto it = requests_.find(id); it != requests_.end())
          fail(it->second, failure_of(it->second.ph),
               "the route was not set up within "
                 + std::to_string(cfg_.request_timeout.count()) + " ms");
      },
      [this](hop_timeout_atom, uint64_t id, uint8_t ph, uint64_t idx) { on_hop_timeout(id, ph, idx); },
      [this](sweep_atom) { sweep(); },
    };
  }

  void on_exit() override {
    for (auto& [a, c] : inbound_)
      send(c.stream, api::close_atom::value);
    for (auto& [id, r] : requests_)
      for (auto& v : r.visors)
        if (v.stream)
          send(v.stream, api::close_atom::value);
    for (auto& [a, c] : cleanups_)
      send(c.stream, api::close_atom::value);
    inbound_.clear();
    requests_.clear();
    cleanups_.clear();
    outbound_.clear();
  }

private:
  static failure_code failure_of(phase ph) {
    return ph == phase::reserve ? failure_code::reserve_route_ids : failure_code::add_rules;
  }

  // ---- port 36 ----

  void on_accept(api::stream_opened s) {
    if (inbound_.size() >= cfg_.max_connections) {
      ++stats_.streams_refused;
      send(s.stream, api::close_atom::value);
      return;
    }
    auto addr = caf::actor_cast<caf::actor_addr>(s.stream);
    inbound_conn c;
    c.stream = s.stream;
    c.remote = s.remote.pk;
    c.codec = std::make_unique<rpc::server_codec>(proc_, rs::stream_limits(cfg_.max_message));
    c.last_activity = clock_type::now();
    inbound_.emplace(addr, std::move(c));
    send(s.stream, api::set_owner_atom::value, caf::actor{this});
    monitor(s.stream);
  }

  void on_data(byte_buffer b) {
    auto from = caf::actor_cast<caf::actor_addr>(current_sender());
    auto n = static_cast<uint32_t>(b.size());
    if (auto it = inbound_.find(from); it != inbound_.end()) {
      auto stream = it->second.stream;
      on_inbound_data(it->second, b);
      send(stream, api::consumed_atom::value, n);
    } else if (auto ot = outbound_.find(from); ot != outbound_.end()) {
      auto [id, idx] = ot->second;
      auto rq = requests_.find(id);
      if (rq == requests_.end())
        return;
      auto stream = rq->second.visors[idx].stream;
      on_visor_data(rq->second, idx, b);
      send(stream, api::consumed_atom::value, n);
    } else if (auto ct = cleanups_.find(from); ct != cleanups_.end()) {
      auto& c = ct->second;
      c.codec->feed(b);
      for (;;) {
        auto r = c.codec->next_response();
        if (r && !*r)
          break;
        // RemoveRules answered (whatever it says), or garbage: done with it.
        if (!r || (*r)->header.seq == c.remove_seq) {
          send(c.stream, api::close_atom::value);
          cleanups_.erase(ct);
          break;
        }
      }
    }
  }

  void on_inbound_data(inbound_conn& c, const byte_buffer& b) {
    c.last_activity = clock_type::now();
    c.codec->feed(b);
    for (;;) {
      auto r = c.codec->next_request();
      if (!r) {
        SKYWIRE_LOG(debug, component, "bad request stream; closing",
                    log::kv("peer", c.remote), log::kv("error", describe(r.error())));
        close_inbound(caf::actor_cast<caf::actor_addr>(c.stream));
        return;
      }
      if (!*r)
        return;
      on_call(c, std::move(**r));
    }
  }

  void reply_error(inbound_conn& c, const rpc::request_header& h, const std::string& text) {
    byte_buffer out;
    if (auto err = c.codec->write_error(h, text, out))
      return;
    send(c.stream, api::write_atom::value, std::move(out));
  }

  void on_call(inbound_conn& c, rpc::inbound_request in) {
    auto& h = in.header;
    if (h.service_method != rs::dial_route_group_method) {
      auto dot = h.service_method.find('.');
      bool known_service = dot != std::string::npos
                           && h.service_method.substr(0, dot) == "SetupRPCGateway";
      reply_error(c, h, (known_service ? "rpc: can't find method " : "rpc: can't find service ")
                          + h.service_method);
      return;
    }
    ++stats_.requests;
    auto refuse = [&](failure_code code, const std::string& why) {
      ++stats_.refused;
      SKYWIRE_LOG(debug, component, "route refused", log::kv("caller", c.remote),
                  log::kv("reason", why));
      reply_error(c, h, rs::failure_text(code, why));
    };
    if (c.in_flight >= cfg_.max_calls_per_connection)
      return refuse(failure_code::unknown, "too many calls in progress on this connection");
    auto route = rs::bidirectional_route_from_gob(c.codec->decoder(), in.arg);
    if (!route)
      return refuse(failure_code::create_routes, "invalid route: " + describe(route.error()));
    if (auto err = rs::validate(*route, cfg_.max_hops, cfg_.max_keep_alive.count()))
      return refuse(failure_code::create_routes, "invalid route: " + describe(err));
    if (cfg_.require_caller_is_source && route->desc.src_pk != c.remote)
      return refuse(failure_code::create_routes, "the caller is not the route's source");
    auto key = make_key(c.remote, *route);
    auto claim = cache_.begin(key, next_id_, clock_type::now());
    waiter w{caf::actor_cast<caf::actor_addr>(c.stream), h, claim.id};
    switch (claim.st) {
      case request_cache::state::full:
        return refuse(failure_code::unknown, "setup node busy");
      case request_cache::state::finished:
        ++stats_.repeated;
        ++c.in_flight;
        answer(w, *claim.answer);
        return;
      case request_cache::state::in_progress:
        ++stats_.repeated;
        ++c.in_flight;
        requests_.at(claim.id).waiters.push_back(std::move(w));
        return;
      case request_cache::state::started:
        if (requests_.size() < cfg_.max_requests)
          break;
        cache_.abandon(claim.id);
        return refuse(failure_code::unknown, "setup node busy");
    }
    ++c.in_flight;
    auto id = next_id_++;
    auto& rq = requests_[id];
    rq.id = id;
    rq.route = std::move(*route);
    rq.waiters.push_back(std::move(w));
    start(rq);
  }

  void answer(const waiter& w, const outcome& out) {
    auto it = inbound_.find(w.conn);
    if (it == inbound_.end())
      return;
    auto& c = it->second;
    if (c.in_flight > 0)
      --c.in_flight;
    c.last_activity = clock_type::now();
    byte_buffer bytes;
    if (out.rules) {
      rpc::response_header rh{w.header.service_method, w.header.seq, {}};
      if (c.codec->write_response(rh, rs::edge_rules_schema(), rs::to_gob(*out.rules), bytes))
        return;
      if (c.answered.size() >= cfg_.max_calls_per_connection) // bounded per stream
        c.answered.erase(c.answered.begin());
      c.answered.push_back(w.request);
    } else if (c.codec->write_error(w.header, out.error, bytes)) {
      return;
    }
    send(c.stream, api::write_atom::value, std::move(bytes));
  }

  void close_inbound(const caf::actor_addr& a) {
    auto it = inbound_.find(a);
    if (it == inbound_.end())
      return;
    send(it->second.stream, api::close_atom::value);
    inbound_.erase(it);
  }

  // ---- one route ----

  void start(route_request& rq) {
    ++stats_.started;
    SKYWIRE_LOG(debug, component, "setting up a route", log::kv("route", rq.route.desc.to_string()),
                log::kv("forward_hops", rq.route.forward.size()),
                log::kv("reverse_hops", rq.route.reverse.size()));
    delayed_send(this, cfg_.request_timeout, req_timeout_atom::value, rq.id);
    for (auto& ir : id_requests(rq.route)) {
      visor_conn v;
      v.pk = ir.pk;
      v.count = ir.count;
      v.dialing = true;
      rq.visors.push_back(std::move(v));
    }
    rq.ph = phase::reserve;
    rq.outstanding = rq.visors.size();
    for (size_t idx = 0; idx < rq.visors.size(); ++idx) {
      delayed_send(this, cfg_.hop_timeout, hop_timeout_atom::value, rq.id,
                   static_cast<uint8_t>(phase::reserve), static_cast<uint64_t>(idx));
      dial_queue_.emplace_back(rq.id, idx);
    }
    pump_dials();
  }

  // Dials at most max_parallel_dials visors at once (each dial may be a
  // discovery lookup); the rest wait in order, within their hop deadline.
  void pump_dials() {
    while (dials_in_flight_ < cfg_.max_parallel_dials && !dial_queue_.empty()) {
      auto [id, idx] = dial_queue_.front();
      dial_queue_.pop_front();
      auto it = requests_.find(id);
      if (it == requests_.end())
        continue;
      ++dials_in_flight_;
      request(client_, cfg_.hop_timeout, api::dial_atom::value,
              skywire::address{it->second.visors[idx].pk, port{cfg_.gateway_port}})
        .then(
          [this, id, idx](api::stream_opened& s) {
            --dials_in_flight_;
            on_dialed(id, idx, std::move(s));
            pump_dials();
          },
          [this, id, idx](caf::error& err) {
            --dials_in_flight_;
            if (auto rq = requests_.find(id); rq != requests_.end())
              fail(rq->second, failure_code::reserve_route_ids,
                   "dial " + rq->second.visors[idx].pk.hex() + ":"
                     + std::to_string(cfg_.gateway_port) + ": " + describe(err));
            pump_dials();
          });
    }
  }

  void on_dialed(uint64_t id, size_t idx, api::stream_opened s) {
    auto it = requests_.find(id);
    if (it == requests_.end()) {
      send(s.stream, api::close_atom::value);
      return;
    }
    auto& v = it->second.visors[idx];
    v.dialing = false;
    v.stream = s.stream;
    v.codec = std::make_unique<rpc::client_codec>(proc_, rs::stream_limits(cfg_.max_message));
    outbound_[caf::actor_cast<caf::actor_addr>(s.stream)] = {id, idx};
    send(s.stream, api::set_owner_atom::value, caf::actor{this});
    monitor(s.stream);
    call(v, call_kind::reserve, rs::reserve_ids_method, wire::gob::schema::uint_(),
         wire::gob::value::of_uint(v.count));
  }

  void call(visor_conn& v, call_kind k, std::string_view method,
            const wire::gob::schema_ptr& schema, const wire::gob::value& arg) {
    auto seq = v.next_seq++;
    byte_buffer out;
    if (auto err = v.codec->write_request({std::string{method}, seq}, schema, arg, out)) {
      SKYWIRE_LOG(error, component, "cannot encode a call", log::kv("error", describe(err)));
      return;
    }
    v.pending[seq] = k;
    send(v.stream, api::write_atom::value, std::move(out));
  }

  void on_visor_data(route_request& rq, size_t idx, const byte_buffer& b) {
    auto& v = rq.visors[idx];
    v.codec->feed(b);
    for (;;) {
      auto r = v.codec->next_response();
      if (!r)
        return fail(rq, failure_of(rq.ph), "bad answer from " + v.pk.hex() + ": "
                                             + describe(r.error()));
      if (!*r)
        return;
      auto& resp = **r;
      auto p = v.pending.find(resp.header.seq);
      if (p == v.pending.end())
        return fail(rq, failure_of(rq.ph), "unexpected answer from " + v.pk.hex());
      auto kind = p->second;
      v.pending.erase(p);
      if (!on_visor_reply(rq, idx, kind, resp))
        return; // the request ended
    }
  }

  // False when the request ended (and `rq` is gone).
  bool on_visor_reply(route_request& rq, size_t idx, call_kind kind, const rpc::inbound_response& resp) {
    auto& v = rq.visors[idx];
    auto where = " at " + v.pk.hex();
    if (kind == call_kind::reserve) {
      if (!resp.header.error.empty()) {
        fail(rq, failure_code::reserve_route_ids, "reserve route IDs" + where + ": " + resp.header.error);
        return false;
      }
      auto ids = rs::route_ids_from_gob(resp.reply);
      std::string bad;
      if (!ids)
        bad = describe(ids.error());
      else if (ids->size() != v.count)
        bad = "asked for " + std::to_string(v.count) + " ids, got " + std::to_string(ids->size());
      else {
        std::set<uint32_t> seen;
        for (auto id : *ids)
          if (id.value == 0 || !seen.insert(id.value).second)
            bad = "a zero or repeated route id";
      }
      if (!bad.empty()) {
        fail(rq, failure_code::reserve_route_ids, "reserve route IDs" + where + ": " + bad);
        return false;
      }
      v.ids = std::move(*ids);
      v.reserved = true;
      if (--rq.outstanding == 0)
        return install(rq);
      return true;
    }
    auto ok = rs::bool_from_gob(resp.reply);
    if (!resp.header.error.empty() || !ok || !*ok) {
      auto why = !resp.header.error.empty() ? resp.header.error
                 : !ok                      ? describe(ok.error())
                                            : std::string{"refused"};
      fail(rq, failure_code::add_rules,
           (kind == call_kind::edge ? "add edge rules" : "add intermediary rules") + where + ": " + why);
      return false;
    }
    v.installed = true;
    if (--rq.outstanding > 0)
      return true;
    if (kind == call_kind::intermediary)
      return send_edge_rules(rq);
    succeed(rq);
    return false;
  }

  size_t index_of(const route_request& rq, const public_key& pk) const {
    for (size_t i = 0; i < rq.visors.size(); ++i)
      if (rq.visors[i].pk == pk)
        return i;
    return rq.visors.size();
  }

  void arm_hop_timer(const route_request& rq, size_t idx) {
    delayed_send(this, cfg_.hop_timeout, hop_timeout_atom::value, rq.id,
                 static_cast<uint8_t>(rq.ph), static_cast<uint64_t>(idx));
  }

  bool install(route_request& rq) {
    std::map<public_key, std::vector<route_id>> reserved;
    for (auto& v : rq.visors)
      reserved[v.pk] = v.ids;
    auto rules = generate_rules(rq.route, reserved);
    if (!rules) {
      fail(rq, failure_code::reserve_route_ids, describe(rules.error()));
      return false;
    }
    rq.rules = std::move(*rules);
    if (rq.rules.intermediary.empty())
      return send_edge_rules(rq);
    rq.ph = phase::intermediary;
    rq.outstanding = rq.rules.intermediary.size();
    for (auto& [pk, list] : rq.rules.intermediary) {
      auto idx = index_of(rq, pk);
      auto& v = rq.visors[idx];
      if (!v.stream) {
        fail(rq, failure_code::add_rules, "the connection to " + pk.hex() + " closed");
        return false;
      }
      std::vector<byte_buffer> encoded;
      for (auto& r : list) {
        encoded.push_back(r.encode());
        v.rule_keys.push_back(r.key);
      }
      call(v, call_kind::intermediary, rs::add_intermediary_rules_method, rs::rules_schema(),
           rs::rules_value(encoded));
      arm_hop_timer(rq, idx);
    }
    return true;
  }

  bool send_edge_rules(route_request& rq) {
    rq.ph = phase::edge;
    rq.outstanding = 1;
    auto idx = index_of(rq, rq.route.desc.dst_pk);
    auto& v = rq.visors[idx];
    if (!v.stream) {
      fail(rq, failure_code::add_rules, "the connection to " + v.pk.hex() + " closed");
      return false;
    }
    v.installed = false;
    v.rule_keys.push_back(rq.rules.destination.forward.key);
    v.rule_keys.push_back(rq.rules.destination.reverse.key);
    call(v, call_kind::edge, rs::add_edge_rules_method, rs::edge_rules_schema(),
         rs::to_gob(rq.rules.destination));
    arm_hop_timer(rq, idx);
    return true;
  }

  void on_hop_timeout(uint64_t id, uint8_t ph, uint64_t idx) {
    auto it = requests_.find(id);
    if (it == requests_.end() || static_cast<uint8_t>(it->second.ph) != ph
        || idx >= it->second.visors.size())
      return;
    auto& rq = it->second;
    auto& v = rq.visors[idx];
    bool done = rq.ph == phase::reserve ? v.reserved : v.installed;
    if (done)
      return;
    const char* step = rq.ph == phase::reserve        ? "reserve route IDs"
                       : rq.ph == phase::intermediary ? "add intermediary rules"
                                                      : "add edge rules";
    fail(rq, failure_of(rq.ph), std::string{step} + " at " + v.pk.hex() + ": no answer within "
                                  + std::to_string(cfg_.hop_timeout.count()) + " ms");
  }

  void finish(route_request& rq, outcome out) {
    for (auto& w : rq.waiters)
      answer(w, out);
    for (auto& v : rq.visors)
      if (v.stream)
        outbound_.erase(caf::actor_cast<caf::actor_addr>(v.stream));
    requests_.erase(rq.id);
  }

  void succeed(route_request& rq) {
    ++stats_.succeeded;
    SKYWIRE_LOG(info, component, "route set up", log::kv("route", rq.route.desc.to_string()),
                log::kv("hops", rq.route.forward.size()));
    outcome out;
    out.rules = rq.rules.source;
    cache_.finish(rq.id, out, clock_type::now());
    for (auto& v : rq.visors)
      if (v.stream)
        send(v.stream, api::close_atom::value);
    finish(rq, std::move(out));
  }

  void fail(route_request& rq, failure_code code, const std::string& why) {
    ++stats_.failed;
    SKYWIRE_LOG(info, component, "route setup failed", log::kv("route", rq.route.desc.to_string()),
                log::kv("code", static_cast<int>(code)), log::kv("reason", why));
    outcome out;
    out.error = rs::failure_text(code, why);
    cache_.abandon(rq.id); // a retry sets the route up anew
    for (auto& v : rq.visors) {
      if (!v.stream)
        continue;
      if (v.rule_keys.empty()) {
        send(v.stream, api::close_atom::value);
        continue;
      }
      // Rules were sent: ask the visor to drop them (ours do; keep-alive
      // expiry does it otherwise).
      ++stats_.cleanups;
      auto seq = v.next_seq;
      call(v, call_kind::remove, rs::remove_rules_method, rs::route_ids_schema(),
           rs::route_ids_value(v.rule_keys));
      auto a = caf::actor_cast<caf::actor_addr>(v.stream);
      cleanups_[a] = cleanup_conn{v.stream, std::move(v.codec), seq};
      cleanup_deadline_.emplace_back(clock_type::now() + cfg_.hop_timeout, a);
    }
    finish(rq, std::move(out));
  }

  // ---- streams ending ----

  void stream_gone(const caf::actor_addr& a, const caf::error& why) {
    if (auto it = inbound_.find(a); it != inbound_.end()) {
      if (!why) { // closed cleanly after reading: those answers arrived
        for (auto id : it->second.answered)
          cache_.abandon(id);
        stats_.answers_taken += it->second.answered.size();
      }
      inbound_.erase(it);
      return;
    }
    if (auto ct = cleanups_.find(a); ct != cleanups_.end()) {
      cleanups_.erase(ct);
      return;
    }
    auto ot = outbound_.find(a);
    if (ot == outbound_.end())
      return;
    auto [id, idx] = ot->second;
    outbound_.erase(ot);
    auto rq = requests_.find(id);
    if (rq == requests_.end())
      return;
    auto& v = rq->second.visors[idx];
    v.stream = nullptr;
    bool waiting = !v.pending.empty() || (rq->second.ph == phase::reserve && !v.reserved);
    if (waiting)
      fail(rq->second, failure_of(rq->second.ph),
           "the connection to " + v.pk.hex() + " closed"
             + (why ? std::string{": "} + describe(why) : std::string{}));
  }

  void sweep() {
    auto now = clock_type::now();
    cache_.expire(now);
    std::vector<caf::actor_addr> idle;
    for (auto& [a, c] : inbound_)
      if (c.in_flight == 0 && now - c.last_activity > cfg_.idle_timeout)
        idle.push_back(a);
    for (auto& a : idle)
      close_inbound(a);
    while (!cleanup_deadline_.empty() && cleanup_deadline_.front().first <= now) {
      auto a = cleanup_deadline_.front().second;
      cleanup_deadline_.pop_front();
      if (auto ct = cleanups_.find(a); ct != cleanups_.end()) {
        send(ct->second.stream, api::close_atom::value);
        cleanups_.erase(ct);
      }
    }
    delayed_send(this, std::chrono::seconds(1), sweep_atom::value);
  }

  api::dmsg_client_actor client_;
  setup_node_config cfg_;
  request_cache cache_;
  std::shared_ptr<wire::gob::process_types> proc_;
  bool listening_ = false;
  std::vector<caf::response_promise> ready_;
  setup_node_stats stats_;
  uint64_t next_id_ = 1;
  std::map<caf::actor_addr, inbound_conn> inbound_;
  std::map<uint64_t, route_request> requests_;
  std::map<caf::actor_addr, std::pair<uint64_t, size_t>> outbound_;
  std::map<caf::actor_addr, cleanup_conn> cleanups_;
  std::deque<std::pair<clock_type::time_point, caf::actor_addr>> cleanup_deadline_;
  std::deque<std::pair<uint64_t, size_t>> dial_queue_; ///< bounded by max_requests x visors
  size_t dials_in_flight_ = 0;
};

} // namespace

caf::actor spawn_setup_node(caf::actor_system& sys, api::dmsg_client_actor client,
                            setup_node_config cfg) {
  return sys.spawn<setup_node_actor>(std::move(client), cfg);
}

} // namespace skywire::services::setup_node
