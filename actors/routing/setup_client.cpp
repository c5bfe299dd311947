#include "actors/routing/setup_client.hpp"

#include <map>
#include <memory>

#include <caf/event_based_actor.hpp>
#include <caf/make_message.hpp>

#include "messages/wire/rpc/net_rpc.hpp"
#include "messages/wire/rpc/routing_schemas.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::routing {

const char* to_string(setup_errc x) noexcept {
  switch (x) {
    case setup_errc::no_setup_node: return "no setup node configured";
    case setup_errc::dial: return "dial setup node";
    case setup_errc::no_answer: return "no answer from setup node";
    case setup_errc::failed: return "setup node failed the route";
    case setup_errc::bad_answer: return "bad answer from setup node";
    case setup_errc::busy: return "busy";
  }
  return "unknown";
}

caf::atom_value setup_category() noexcept {
  return caf::atom("rtsetup");
}

namespace {

const char* code_name(uint8_t code) noexcept {
  return to_string(static_cast<setup_errc>(code));
}

} // namespace

caf::error make_error(setup_errc code, std::string text) {
  static const bool registered = (register_error_category(setup_category(), code_name, true), true);
  (void)registered;
  return caf::error{static_cast<uint8_t>(code), setup_category(),
                    caf::make_message("route setup: " + std::string{to_string(code)} + ": "
                                      + std::move(text))};
}

bool is(const caf::error& err, setup_errc code) noexcept {
  return err.category() == setup_category() && err.code() == static_cast<uint8_t>(code);
}

std::optional<rs::failure_code> failure_code_of(const caf::error& err) {
  if (!is(err, setup_errc::failed) || err.context().empty() || !err.context().match_element<std::string>(0))
    return std::nullopt;
  auto& text = err.context().get_as<std::string>(0);
  auto pos = text.find("failure code ");
  if (pos == std::string::npos)
    return std::nullopt;
  auto f = rs::parse_failure_text(std::string_view{text}.substr(pos));
  if (!f)
    return std::nullopt;
  return f->code;
}

caf::error check_source_rules(const rs::bidirectional_route& route, const rs::edge_rules& e) {
  auto rev = route.desc.inverted();
  auto bad = [](std::string why) { return make_error(setup_errc::bad_answer, std::move(why)); };
  if (e.desc != rev)
    return bad("edge rules for another descriptor");
  if (e.forward.desc != route.desc || e.reverse.desc != rev)
    return bad("rules with another descriptor");
  if (route.forward.empty() || e.forward.next_transport != route.forward.front().tp_id)
    return bad("the forward rule is not on the route's first transport");
  if (e.forward.keep_alive.count() != route.keep_alive_ns
      || e.reverse.keep_alive.count() != route.keep_alive_ns)
    return bad("rules with another keep-alive");
  if (e.forward.key.value == 0 || e.forward.next_route.value == 0 || e.reverse.key.value == 0)
    return bad("a zero route id");
  return {};
}

namespace {

using call_timeout_atom = caf::atom_constant<caf::atom("sc_callto")>;
using retry_atom = caf::atom_constant<caf::atom("sc_retry")>;
namespace rpc = wire::rpc;
using byte_buffer = std::vector<uint8_t>;

constexpr const char* component = "setup_client";

struct setup_call {
  rs::bidirectional_route route;
  caf::response_promise promise;
  size_t attempt = 0;   ///< attempts started
  size_t node = 0;      ///< index into setup_nodes
  api::dmsg_stream_actor stream;
  std::unique_ptr<rpc::client_codec> codec;
  std::string last_error;
  setup_errc last_code = setup_errc::dial;
};

class setup_client_actor : public caf::event_based_actor {
public:
  setup_client_actor(caf::actor_config& acfg, api::dmsg_client_actor dmsg, setup_client_config cfg)
    : caf::event_based_actor(acfg), dmsg_(std::move(dmsg)), cfg_(std::move(cfg)) {
  }

  const char* name() const override { return "setup_client"; }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& dm) { stream_ended(dm.source, dm.reason); });
    return {
      [this](setup_route_atom, rs::bidirectional_route& route) {
        auto rp = make_response_promise();
        if (cfg_.setup_nodes.empty()) {
          rp.deliver(make_error(setup_errc::no_setup_node, "routing.route_setup_nodes is empty"));
          return rp;
        }
        if (calls_.size() >= cfg_.max_calls) {
          rp.deliver(make_error(setup_errc::busy, "too many route setups in progress"));
          return rp;
        }
        auto id = next_id_++;
        auto& c = calls_[id];
        c.route = std::move(route);
        c.promise = rp;
        attempt(id);
        return rp;
      },
      [this](api::data_atom, byte_buffer& b) { on_data(std::move(b)); },
      [](api::ack_atom, uint64_t) {},
      [this](api::closed_atom, const caf::error& err) {
        stream_ended(caf::actor_cast<caf::actor_addr>(current_sender()), err);
      },
      [this](call_timeout_atom, uint64_t id, uint64_t attempt_no) {
        auto it = calls_.find(id);
        if (it == calls_.end() || it->second.attempt != attempt_no || !it->second.stream)
          return;
        retry(id, setup_errc::no_answer,
              "no answer within " + std::to_string(cfg_.call_timeout.count()) + " ms", false);
      },
      [this](retry_atom, uint64_t id) { attempt(id); },
    };
  }

  void on_exit() override {
    for (auto& [id, c] : calls_) {
      if (c.stream)
        send(c.stream, api::close_atom::value);
      c.promise.deliver(make_error(setup_errc::no_answer, "the setup client stopped"));
    }
    calls_.clear();
    streams_.clear();
  }

private:
  const public_key& node_of(const setup_call& c) const {
    return cfg_.setup_nodes[c.node % cfg_.setup_nodes.size()];
  }

  void attempt(uint64_t id) {
    auto it = calls_.find(id);
    if (it == calls_.end())
      return;
    auto& c = it->second;
    if (c.attempt >= cfg_.attempts)
      return finish(id, make_error(c.last_code, c.last_error + " (after "
                                                  + std::to_string(c.attempt) + " attempts)"));
    auto attempt_no = ++c.attempt;
    auto node = node_of(c);
    request(dmsg_, cfg_.dial_timeout, api::dial_atom::value, skywire::address{node, port{cfg_.port}})
      .then(
        [this, id, attempt_no](api::stream_opened& s) { on_dialed(id, attempt_no, std::move(s)); },
        [this, id, node](caf::error& err) {
          if (calls_.count(id) == 0)
            return;
          retry(id, setup_errc::dial, "setup node " + node.hex() + ": " + describe(err), true);
        });
  }

  void on_dialed(uint64_t id, uint64_t attempt_no, api::stream_opened s) {
    auto it = calls_.find(id);
    if (it == calls_.end() || it->second.attempt != attempt_no) {
      send(s.stream, api::close_atom::value);
      return;
    }
    auto& c = it->second;
    c.stream = s.stream;
    c.codec = std::make_unique<rpc::client_codec>(nullptr, rs::stream_limits(cfg_.max_message, 1u << 14));
    streams_[caf::actor_cast<caf::actor_addr>(s.stream)] = id;
    send(s.stream, api::set_owner_atom::value, caf::actor{this});
    monitor(s.stream);
    byte_buffer out;
    if (auto err = c.codec->write_request({std::string{rs::dial_route_group_method}, 0},
                                          rs::bidirectional_route_schema(), rs::to_gob(c.route),
                                          out))
      return finish(id, make_error(setup_errc::bad_answer, "cannot encode the route: " + describe(err)));
    send(c.stream, api::write_atom::value, std::move(out));
    delayed_send(this, cfg_.call_timeout, call_timeout_atom::value, id, attempt_no);
  }

  void drop_stream(setup_call& c) {
    if (!c.stream)
      return;
    streams_.erase(caf::actor_cast<caf::actor_addr>(c.stream));
    send(c.stream, api::close_atom::value);
    c.stream = nullptr;
    c.codec.reset();
  }

  // next_node: the node could not be reached (try the next); else the same
  // node again (it answers a repeat with the same rules).
  void retry(uint64_t id, setup_errc code, std::string why, bool next_node) {
    auto& c = calls_.at(id);
    drop_stream(c);
    c.last_code = code;
    c.last_error = std::move(why);
    SKYWIRE_LOG(debug, component, "route setup attempt failed", log::kv("error", c.last_error),
                log::kv("attempt", c.attempt));
    if (next_node)
      ++c.node;
    if (c.attempt >= cfg_.attempts)
      return attempt(id);
    delayed_send(this, cfg_.retry_backoff, retry_atom::value, id);
  }

  void finish(uint64_t id, caf::error err, std::optional<rs::edge_rules> rules = std::nullopt) {
    auto it = calls_.find(id);
    if (it == calls_.end())
      return;
    drop_stream(it->second);
    if (rules)
      it->second.promise.deliver(std::move(*rules));
    else
      it->second.promise.deliver(std::move(err));
    calls_.erase(it);
  }

  void on_data(byte_buffer b) {
    auto from = caf::actor_cast<caf::actor_addr>(current_sender());
    auto st = streams_.find(from);
    if (st == streams_.end())
      return;
    auto id = st->second;
    auto& c = calls_.at(id);
    send(c.stream, api::consumed_atom::value, static_cast<uint32_t>(b.size()));
    c.codec->feed(b);
    auto r = c.codec->next_response();
    auto node = node_of(c).hex();
    if (!r)
      return finish(id, make_error(setup_errc::bad_answer, "setup node " + node + ": " + describe(r.error())));
    if (!*r)
      return;
    auto& resp = **r;
    if (!resp.header.error.empty())
      return finish(id, make_error(setup_errc::failed, "setup node " + node + ": " + resp.header.error));
    auto e = rs::edge_rules_from_gob(c.codec->decoder(), resp.reply);
    if (!e)
      return finish(id, make_error(setup_errc::bad_answer, "setup node " + node + ": " + describe(e.error())));
    if (auto err = check_source_rules(c.route, *e))
      return finish(id, std::move(err));
    finish(id, {}, std::move(*e));
  }

  void stream_ended(const caf::actor_addr& a, const caf::error& why) {
    auto st = streams_.find(a);
    if (st == streams_.end())
      return;
    auto id = st->second;
    streams_.erase(st);
    auto& c = calls_.at(id);
    c.stream = nullptr;
    retry(id, setup_errc::no_answer,
          "setup node " + node_of(c).hex() + ": the stream closed before the answer"
            + (why ? ": " + describe(why) : std::string{}),
          false);
  }

  api::dmsg_client_actor dmsg_;
  setup_client_config cfg_;
  std::map<uint64_t, setup_call> calls_;
  std::map<caf::actor_addr, uint64_t> streams_;
  uint64_t next_id_ = 1;
};

} // namespace

caf::actor spawn_setup_client(caf::actor_system& sys, api::dmsg_client_actor dmsg,
                              setup_client_config cfg) {
  return sys.spawn<setup_client_actor>(std::move(dmsg), std::move(cfg));
}

} // namespace skywire::routing
