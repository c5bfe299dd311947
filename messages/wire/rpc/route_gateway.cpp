#include "messages/wire/rpc/route_gateway.hpp"

#include "messages/wire/rpc/routing_schemas.hpp"

namespace skywire::wire::rpc::route_setup {

using gob::value;

gob::limits gateway_limits() {
  return stream_limits(64 * 1024, 16 * 1024);
}

gateway_codec::gateway_codec(std::shared_ptr<gob::process_types> proc)
  : codec_(std::move(proc), gateway_limits()) {}

namespace {

caf::error bad_arg(std::string_view method, std::string_view what) {
  return make_error(wire_errc::bad_value, std::string{method} + ": " + std::string{what});
}

/// Bytes of a []byte field (string-typed data is refused).
const std::vector<uint8_t>* bytes_of(const value& v) {
  if (v.t == value::tag::bytes || v.t == value::tag::none)
    return &v.data;
  return nullptr;
}

} // namespace

expected<std::optional<gateway_call>> gateway_codec::next() {
  auto r = codec_.next_request();
  if (!r)
    return r.error();
  if (!*r)
    return std::optional<gateway_call>{};
  auto& req = **r;
  gateway_call call;
  call.header = req.header;
  const auto& m = req.header.service_method;
  const auto& arg = req.arg;
  if (m == reserve_ids_method) {
    call.method = gateway_method::reserve_ids;
    if (arg.t != value::tag::uint_ && arg.t != value::tag::none)
      return bad_arg(m, "the argument is not a uint8");
    if (arg.u > 0xff)
      return bad_arg(m, "the count exceeds uint8");
    call.count = static_cast<uint8_t>(arg.u);
  } else if (m == add_intermediary_rules_method) {
    call.method = gateway_method::add_intermediary_rules;
    if (arg.t != value::tag::slice && arg.t != value::tag::none)
      return bad_arg(m, "the argument is not a []Rule");
    if (arg.items.size() > max_gateway_rules) {
      call.refusal = failure_text(failure_code::add_rules,
                                  "more than " + std::to_string(max_gateway_rules) + " rules");
      return call;
    }
    for (const auto& it : arg.items) {
      const auto* b = bytes_of(it);
      if (!b)
        return bad_arg(m, "a rule is not a []byte");
      auto rule = routing::rule::decode({b->data(), b->size()});
      if (!rule) {
        call.refusal = failure_text(failure_code::add_rules, "bad rule: " + describe(rule.error()));
        call.rules.clear();
        return call;
      }
      call.rules.push_back(std::move(*rule));
    }
  } else if (m == add_edge_rules_method) {
    call.method = gateway_method::add_edge_rules;
    if (arg.t != value::tag::struct_ && arg.t != value::tag::none)
      return bad_arg(m, "the argument is not an EdgeRules");
    const auto& dec = codec_.decoder();
    const auto* desc = dec.field(arg, "Desc");
    const auto* fwd = dec.field(arg, "Forward");
    const auto* rev = dec.field(arg, "Reverse");
    std::vector<uint8_t> desc_bytes;
    if (desc && !desc->is_none() && !desc->byte_array(desc_bytes))
      return bad_arg(m, "Desc is not a [70]byte");
    const auto* fb = fwd ? bytes_of(*fwd) : nullptr;
    const auto* rb = rev ? bytes_of(*rev) : nullptr;
    if ((fwd && !fb) || (rev && !rb))
      return bad_arg(m, "a rule is not a []byte");
    static const std::vector<uint8_t> empty;
    auto d = routing::route_descriptor::decode({desc_bytes.data(), desc_bytes.size()});
    auto f = routing::rule::decode(fb ? byte_span{fb->data(), fb->size()} : byte_span{empty});
    auto v = routing::rule::decode(rb ? byte_span{rb->data(), rb->size()} : byte_span{empty});
    if (!d || !f || !v) {
      auto& e = !d ? d.error() : !f ? f.error() : v.error();
      call.refusal = failure_text(failure_code::add_rules, "bad edge rules: " + describe(e));
      return call;
    }
    call.edge = edge_rules{*d, std::move(*f), std::move(*v)};
  } else if (m == remove_rules_method) {
    call.method = gateway_method::remove_rules;
    auto keys = route_ids_from_gob(arg);
    if (!keys)
      return bad_arg(m, describe(keys.error()));
    if (keys->size() > max_gateway_rules) {
      call.refusal = failure_text(failure_code::unknown,
                                  "more than " + std::to_string(max_gateway_rules) + " keys");
      return call;
    }
    call.keys = std::move(*keys);
  } else {
    call.refusal = "rpc: can't find method " + m;
  }
  return call;
}

caf::error gateway_codec::reply_ids(const request_header& h, const std::vector<route_id>& ids,
                                    std::vector<uint8_t>& out) {
  return codec_.write_response({h.service_method, h.seq, {}}, route_ids_schema(), route_ids_value(ids),
                               out);
}

caf::error gateway_codec::reply_bool(const request_header& h, bool ok, std::vector<uint8_t>& out) {
  return codec_.write_response({h.service_method, h.seq, {}}, gob::schema::boolean(),
                               value::of_bool(ok), out);
}

caf::error gateway_codec::reply_error(const request_header& h, std::string_view text,
                                      std::vector<uint8_t>& out) {
  return codec_.write_error(h, text, out);
}

} // namespace skywire::wire::rpc::route_setup
