#include "actors/routing/gateway_session.hpp"

#include "actors/routing/errors.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::routing {

namespace rs = wire::rpc::route_setup;

namespace {

constexpr const char* component = "setup_gateway";

} // namespace

gateway_session::gateway_session(public_key remote, gateway_backend& backend,
                                 std::shared_ptr<wire::gob::process_types> proc)
  : remote_(remote), backend_(backend), codec_(std::move(proc)) {}

caf::error gateway_session::on_bytes(byte_span in, std::vector<uint8_t>& out) {
  codec_.feed(in);
  for (;;) {
    auto c = codec_.next();
    if (!c)
      return c.error();
    if (!*c)
      return {};
    if (++calls_ > max_calls)
      return make_error(routing_errc::not_allowed, "more than " + std::to_string(max_calls)
                                                     + " calls on one stream");
    if (auto err = serve(**c, out))
      return err;
  }
}

caf::error gateway_session::serve(const rs::gateway_call& c, std::vector<uint8_t>& out) {
  auto refuse = [&](const std::string& text) {
    ++refused_;
    SKYWIRE_LOG(info, component, "call refused", log::kv("from", remote_.hex()),
                log::kv("method", c.header.service_method), log::kv("error", text));
    return codec_.reply_error(c.header, text, out);
  };
  if (!c.refusal.empty())
    return refuse(c.refusal);
  switch (c.method) {
    case rs::gateway_method::reserve_ids: {
      auto ids = backend_.reserve_ids(c.count);
      if (!ids)
        return refuse(rs::failure_text(rs::failure_code::reserve_route_ids, describe(ids.error())));
      return codec_.reply_ids(c.header, *ids, out);
    }
    case rs::gateway_method::add_intermediary_rules: {
      if (auto err = backend_.add_intermediary_rules(remote_, c.rules))
        return refuse(rs::failure_text(rs::failure_code::add_rules, describe(err)));
      SKYWIRE_LOG(debug, component, "intermediary rules installed", log::kv("from", remote_.hex()),
                  log::kv("count", c.rules.size()));
      return codec_.reply_bool(c.header, true, out);
    }
    case rs::gateway_method::add_edge_rules: {
      if (auto err = backend_.add_edge_rules(remote_, *c.edge))
        return refuse(rs::failure_text(rs::failure_code::add_rules, describe(err)));
      return codec_.reply_bool(c.header, true, out);
    }
    case rs::gateway_method::remove_rules: {
      if (auto err = backend_.remove_rules(remote_, c.keys))
        return refuse(rs::failure_text(rs::failure_code::unknown, describe(err)));
      SKYWIRE_LOG(debug, component, "rules removed", log::kv("from", remote_.hex()),
                  log::kv("count", c.keys.size()));
      return codec_.reply_bool(c.header, true, out);
    }
    case rs::gateway_method::unknown:
      break;
  }
  return refuse("rpc: can't find method " + c.header.service_method);
}

} // namespace skywire::routing
