// A visor's RPCGateway as the setup node sees it, for tests: a dmsg listener
// on port 136 that answers ReserveIDs / AddIntermediaryRules / AddEdgeRules
// / RemoveRules with Go net/rpc gob, records what it was asked, and can
// refuse, stay silent or answer late.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/wire/rpc/net_rpc.hpp"
#include "messages/wire/rpc/route_setup_calls.hpp"
#include "messages/wire/rpc/routing_schemas.hpp"

namespace skywire::test::setup_node {

namespace rs = wire::rpc::route_setup;
namespace wr = wire::routing;

enum class gateway_mode : uint8_t {
  ok,
  refuse_reserve, ///< ReserveIDs answers routing.Failure code 4
  refuse_rules,   ///< AddIntermediaryRules / AddEdgeRules answer false
  silent,         ///< reads everything, answers nothing
  short_ids,      ///< ReserveIDs answers one id fewer than asked
  silent_rules,   ///< answers ReserveIDs and RemoveRules, never AddIntermediaryRules
  hang_up,        ///< closes every stream at once (a node not in route_setup_nodes)
};

struct gateway_log {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> methods;       ///< every call, in order
  std::vector<route_id> reserved;         ///< ids handed out
  std::vector<wr::rule> intermediary;     ///< rules stored
  std::optional<rs::edge_rules> edge;     ///< the edge rules stored
  std::vector<route_id> removed;          ///< RemoveRules keys
  std::vector<uint8_t> first_stream;      ///< bytes read on the first stream
  size_t streams = 0;

  size_t count(const std::string& method) {
    std::lock_guard g{m};
    size_t n = 0;
    for (auto& x : methods)
      n += x == method ? 1 : 0;
    return n;
  }
  template <class Pred>
  bool wait(Pred p, std::chrono::milliseconds t = std::chrono::seconds(10)) {
    std::unique_lock g{m};
    return cv.wait_for(g, t, [&] { return p(*this); });
  }
};

struct gateway_options {
  uint32_t first_id = 1;
  gateway_mode mode = gateway_mode::ok;
  std::chrono::milliseconds edge_delay{0}; ///< answer AddEdgeRules this late
};

using late_reply_atom = caf::atom_constant<caf::atom("gw_late")>;

class fake_gateway : public caf::event_based_actor {
public:
  fake_gateway(caf::actor_config& cfg, std::shared_ptr<gateway_log> log, gateway_options opt)
    : caf::event_based_actor(cfg), log_(std::move(log)), opt_(opt), next_(opt.first_id),
      proc_(std::make_shared<wire::gob::process_types>()) {
  }

  caf::behavior make_behavior() override {
    return {
      [this](api::accept_atom, api::stream_opened& s) {
        if (opt_.mode == gateway_mode::hang_up) {
          send(s.stream, api::close_atom::value);
          return;
        }
        auto a = caf::actor_cast<caf::actor_addr>(s.stream);
        conns_[a] = {s.stream, std::make_unique<wire::rpc::server_codec>(proc_)};
        if (first_ == caf::actor_addr{})
          first_ = a;
        {
          std::lock_guard g{log_->m};
          ++log_->streams;
        }
        log_->cv.notify_all();
        send(s.stream, api::set_owner_atom::value, caf::actor{this});
      },
      [this](api::data_atom, std::vector<uint8_t>& b) {
        auto a = caf::actor_cast<caf::actor_addr>(current_sender());
        auto it = conns_.find(a);
        if (it == conns_.end())
          return;
        auto& c = it->second;
        send(c.stream, api::consumed_atom::value, static_cast<uint32_t>(b.size()));
        if (a == first_) {
          std::lock_guard g{log_->m};
          log_->first_stream.insert(log_->first_stream.end(), b.begin(), b.end());
        }
        c.codec->feed(b);
        for (;;) {
          auto r = c.codec->next_request();
          if (!r || !*r)
            break;
          serve(c, std::move(**r));
        }
        log_->cv.notify_all();
      },
      [this](late_reply_atom, const api::dmsg_stream_actor& s, std::vector<uint8_t>& b) {
        send(s, api::write_atom::value, std::move(b));
      },
      [](api::ack_atom, uint64_t) {},
      [this](api::closed_atom, const caf::error&) {
        conns_.erase(caf::actor_cast<caf::actor_addr>(current_sender()));
      },
    };
  }

private:
  struct conn {
    api::dmsg_stream_actor stream;
    std::unique_ptr<wire::rpc::server_codec> codec;
  };

  void serve(conn& c, wire::rpc::inbound_request in) {
    auto& h = in.header;
    std::vector<uint8_t> out;
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard g{log_->m};
      log_->methods.push_back(h.service_method);
    }
    if (opt_.mode == gateway_mode::silent)
      return;
    wire::rpc::response_header rh{h.service_method, h.seq, {}};
    if (h.service_method == rs::reserve_ids_method) {
      if (opt_.mode == gateway_mode::refuse_reserve) {
        (void)c.codec->write_error(h, rs::failure_text(rs::failure_code::reserve_route_ids,
                                                        "no more route IDs"), out);
      } else {
        auto n = rs::uint8_from_gob(in.arg);
        std::vector<route_id> ids;
        auto want = n ? *n : 0;
        if (opt_.mode == gateway_mode::short_ids && want > 0)
          --want;
        for (uint8_t i = 0; i < want; ++i)
          ids.push_back(route_id{next_++});
        {
          std::lock_guard g{log_->m};
          log_->reserved.insert(log_->reserved.end(), ids.begin(), ids.end());
        }
        (void)c.codec->write_response(rh, rs::route_ids_schema(), rs::route_ids_value(ids), out);
      }
    } else if (h.service_method == rs::add_intermediary_rules_method) {
      auto rules = rs::rules_from_gob(in.arg);
      if (opt_.mode == gateway_mode::silent_rules) {
        if (rules) {
          std::lock_guard g{log_->m};
          log_->intermediary.insert(log_->intermediary.end(), rules->begin(), rules->end());
        }
        return;
      }
      bool ok = opt_.mode != gateway_mode::refuse_rules && static_cast<bool>(rules);
      if (rules) {
        std::lock_guard g{log_->m};
        log_->intermediary.insert(log_->intermediary.end(), rules->begin(), rules->end());
      }
      (void)c.codec->write_response(rh, wire::gob::schema::boolean(), wire::gob::value::of_bool(ok), out);
    } else if (h.service_method == rs::add_edge_rules_method) {
      auto e = rs::edge_rules_from_gob(c.codec->decoder(), in.arg);
      bool ok = opt_.mode != gateway_mode::refuse_rules && static_cast<bool>(e);
      if (e) {
        std::lock_guard g{log_->m};
        log_->edge = *e;
      }
      delay = opt_.edge_delay;
      (void)c.codec->write_response(rh, wire::gob::schema::boolean(), wire::gob::value::of_bool(ok), out);
    } else if (h.service_method == rs::remove_rules_method) {
      auto ids = rs::route_ids_from_gob(in.arg);
      if (ids) {
        std::lock_guard g{log_->m};
        log_->removed.insert(log_->removed.end(), ids->begin(), ids->end());
      }
      (void)c.codec->write_response(rh, wire::gob::schema::boolean(), wire::gob::value::of_bool(true), out);
    } else {
      (void)c.codec->write_error(h, "rpc: can't find method " + h.service_method, out);
    }
    if (delay.count() > 0)
      delayed_send(this, delay, late_reply_atom::value, c.stream, std::move(out));
    else
      send(c.stream, api::write_atom::value, std::move(out));
  }

  std::shared_ptr<gateway_log> log_;
  gateway_options opt_;
  uint32_t next_;
  std::shared_ptr<wire::gob::process_types> proc_;
  std::map<caf::actor_addr, conn> conns_;
  caf::actor_addr first_;
};

} // namespace skywire::test::setup_node
