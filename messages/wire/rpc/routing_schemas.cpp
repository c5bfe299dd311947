#include "messages/wire/rpc/routing_schemas.hpp"

namespace skywire::wire::rpc::route_setup {

using gob::schema;
using gob::value;

const gob::schema_ptr& uuid_schema() {
  static const auto s = schema::binary_marshaler("UUID");
  return s;
}

const gob::schema_ptr& pubkey_schema() {
  static const auto s = schema::binary_marshaler("PubKey");
  return s;
}

const gob::schema_ptr& route_descriptor_schema() {
  static const auto s = schema::array("RouteDescriptor", schema::uint_(), route_descriptor_size);
  return s;
}

const gob::schema_ptr& hop_schema() {
  static const auto s = schema::struct_("Hop", {{"TpID", uuid_schema()},
                                                {"From", pubkey_schema()},
                                                {"To", pubkey_schema()}});
  return s;
}

const gob::schema_ptr& bidirectional_route_schema() {
  static const auto hops = schema::slice("[]routing.Hop", hop_schema());
  static const auto s = schema::struct_("BidirectionalRoute",
                                        {{"Desc", route_descriptor_schema()},
                                         {"KeepAlive", schema::int_()},
                                         {"Forward", hops},
                                         {"Reverse", hops}});
  return s;
}

const gob::schema_ptr& edge_rules_schema() {
  static const auto s = schema::struct_("EdgeRules", {{"Desc", route_descriptor_schema()},
                                                      {"Forward", schema::bytes()},
                                                      {"Reverse", schema::bytes()}});
  return s;
}

const gob::schema_ptr& route_ids_schema() {
  static const auto s = schema::slice("", schema::uint_());
  return s;
}

const gob::schema_ptr& rules_schema() {
  static const auto s = schema::slice("", schema::bytes());
  return s;
}

value hop_value(const hop& h) {
  return value::of_struct({value::of_marshaled({h.tp_id.bytes.begin(), h.tp_id.bytes.end()}),
                           value::of_marshaled({h.from.bytes.begin(), h.from.bytes.end()}),
                           value::of_marshaled({h.to.bytes.begin(), h.to.bytes.end()})});
}

namespace {

value hops_value(const std::vector<hop>& hs) {
  std::vector<value> items;
  items.reserve(hs.size());
  for (auto& h : hs)
    items.push_back(hop_value(h));
  return value::of_slice(std::move(items));
}

} // namespace

value bidirectional_route_value(std::span<const uint8_t, route_descriptor_size> desc,
                                int64_t keep_alive_ns, const std::vector<hop>& forward,
                                const std::vector<hop>& reverse) {
  return value::of_struct({value::of_byte_array(desc.data(), desc.size()),
                           value::of_int(keep_alive_ns), hops_value(forward),
                           hops_value(reverse)});
}

value edge_rules_value(std::span<const uint8_t, route_descriptor_size> desc,
                       std::span<const uint8_t> forward_rule,
                       std::span<const uint8_t> reverse_rule) {
  return value::of_struct({value::of_byte_array(desc.data(), desc.size()),
                           value::of_bytes(forward_rule.data(), forward_rule.size()),
                           value::of_bytes(reverse_rule.data(), reverse_rule.size())});
}

value route_ids_value(const std::vector<route_id>& ids) {
  std::vector<value> items;
  items.reserve(ids.size());
  for (auto id : ids)
    items.push_back(value::of_uint(id.value));
  return value::of_slice(std::move(items));
}

value rules_value(const std::vector<std::vector<uint8_t>>& rules) {
  std::vector<value> items;
  items.reserve(rules.size());
  for (auto& r : rules)
    items.push_back(value::of_bytes(r));
  return value::of_slice(std::move(items));
}

} // namespace skywire::wire::rpc::route_setup
