#include "messages/wire/routing/rule.hpp"

#include <algorithm>
#include <limits>

#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::wire::routing {

namespace {

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 24));
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

uint32_t get_u32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

std::chrono::nanoseconds clamp(std::chrono::nanoseconds ka) {
  return ka.count() < 0 ? std::chrono::nanoseconds{0} : ka;
}

constexpr size_t tp_slot = 33; // the reference reserves 33 bytes for a 16-byte UUID

/// Reads next rid + transport id at offset and checks the padding after it.
caf::error read_next_hop(byte_span in, size_t off, rule& r) {
  r.next_route = route_id{get_u32(in.data() + off)};
  std::copy(in.begin() + off + 4, in.begin() + off + 20, r.next_transport.bytes.begin());
  for (size_t i = off + 20; i < in.size(); ++i)
    if (in[i] != 0)
      return make_error(wire_errc::malformed, "rule: non-zero padding at offset "
                                                + std::to_string(i));
  return {};
}

} // namespace

const char* to_string(rule_type t) noexcept {
  switch (t) {
    case rule_type::consume: return "Consume";
    case rule_type::forward: return "Forward";
    case rule_type::intermediary_forward: return "IntermediaryForward";
  }
  return "Unknown";
}

rule make_consume_rule(std::chrono::nanoseconds keep_alive, route_id key,
                       const route_descriptor& desc) {
  rule r;
  r.keep_alive = clamp(keep_alive);
  r.type = rule_type::consume;
  r.key = key;
  r.desc = desc;
  return r;
}

rule make_forward_rule(std::chrono::nanoseconds keep_alive, route_id key, route_id next,
                       const transport_id& next_tp, const route_descriptor& desc) {
  rule r;
  r.keep_alive = clamp(keep_alive);
  r.type = rule_type::forward;
  r.key = key;
  r.desc = desc;
  r.next_route = next;
  r.next_transport = next_tp;
  return r;
}

rule make_intermediary_rule(std::chrono::nanoseconds keep_alive, route_id key, route_id next,
                            const transport_id& next_tp) {
  rule r;
  r.keep_alive = clamp(keep_alive);
  r.type = rule_type::intermediary_forward;
  r.key = key;
  r.next_route = next;
  r.next_transport = next_tp;
  return r;
}

void rule::encode(std::vector<uint8_t>& out) const {
  auto ka = static_cast<uint64_t>(clamp(keep_alive).count());
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(ka >> shift));
  out.push_back(static_cast<uint8_t>(type));
  put_u32(out, key.value);
  if (has_descriptor())
    desc.encode(out);
  if (has_next_hop()) {
    put_u32(out, next_route.value);
    out.insert(out.end(), next_transport.bytes.begin(), next_transport.bytes.end());
    out.insert(out.end(), tp_slot - next_transport.bytes.size(), uint8_t{0});
  }
}

std::vector<uint8_t> rule::encode() const {
  std::vector<uint8_t> out;
  out.reserve(forward_rule_size);
  encode(out);
  return out;
}

expected<rule> rule::decode(byte_span in) {
  if (in.size() < rule_header_size)
    return make_error(wire_errc::truncated, "rule: " + std::to_string(in.size())
                                              + " bytes, the header alone is 13");
  uint64_t ka = 0;
  for (size_t i = 0; i < 8; ++i)
    ka = ka << 8 | in[i];
  if (ka > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return make_error(wire_errc::bad_value, "rule: keep-alive does not fit int64");
  rule r;
  r.keep_alive = std::chrono::nanoseconds{static_cast<int64_t>(ka)};
  r.key = route_id{get_u32(in.data() + 9)};
  auto size_error = [&](const char* name, size_t padded, size_t unpadded) {
    auto code = in.size() < unpadded ? wire_errc::truncated : wire_errc::malformed;
    return make_error(code, std::string{"rule: "} + name + " rule must be "
                              + std::to_string(padded) + " (or unpadded "
                              + std::to_string(unpadded) + ") bytes, got "
                              + std::to_string(in.size()));
  };
  switch (in[8]) {
    case 0: {
      r.type = rule_type::consume;
      if (in.size() != consume_rule_size)
        return size_error("consume", consume_rule_size, consume_rule_size);
      auto d = route_descriptor::decode(in.subspan(13, route_descriptor_size));
      if (!d)
        return std::move(d.error());
      r.desc = *d;
      return r;
    }
    case 1: {
      r.type = rule_type::forward;
      if (in.size() != forward_rule_size && in.size() != forward_rule_unpadded_size)
        return size_error("forward", forward_rule_size, forward_rule_unpadded_size);
      auto d = route_descriptor::decode(in.subspan(13, route_descriptor_size));
      if (!d)
        return std::move(d.error());
      r.desc = *d;
      if (auto err = read_next_hop(in, 13 + route_descriptor_size, r))
        return err;
      return r;
    }
    case 2: {
      r.type = rule_type::intermediary_forward;
      if (in.size() != intermediary_rule_size && in.size() != intermediary_rule_unpadded_size)
        return size_error("intermediary forward", intermediary_rule_size,
                          intermediary_rule_unpadded_size);
      if (auto err = read_next_hop(in, 13, r))
        return err;
      return r;
    }
    default:
      return make_error(wire_errc::unsupported, "rule: unknown rule type "
                                                  + std::to_string(in[8]));
  }
}

std::string rule::to_string() const {
  std::string out;
  switch (type) {
    case rule_type::consume:
      out = "REV(keyRtID:" + std::to_string(key.value) + ", " + desc.to_string() + ")";
      break;
    case rule_type::forward:
      out = "FWD(keyRtID:" + std::to_string(key.value) + ", nxtRtID:"
            + std::to_string(next_route.value) + ", nxtTpID:" + next_transport.to_string()
            + ", " + desc.to_string() + ")";
      break;
    case rule_type::intermediary_forward:
      out = "INTER(keyRtID:" + std::to_string(key.value) + ", nxtRtID:"
            + std::to_string(next_route.value) + ", nxtTpID:" + next_transport.to_string()
            + ")";
      break;
  }
  return out;
}

// ---- RuleSummary JSON ---------------------------------------------------------

namespace {

void write_descriptor(json::writer& w, const route_descriptor& d) {
  w.begin_object();
  w.key("dst_pk").string(d.dst_pk.hex());
  w.key("src_pk").string(d.src_pk.hex());
  w.key("dst_port").uinteger(d.dst_port.value);
  w.key("src_port").uinteger(d.src_port.value);
  w.end_object();
}

caf::error read_descriptor(const transport::object_reader& parent, route_descriptor& d) {
  const boost::json::object* obj = nullptr;
  if (auto err = parent.get_object("route_descriptor", obj))
    return err;
  transport::object_reader rd{*obj, parent.what() + ".route_descriptor"};
  uint64_t dp = 0;
  uint64_t sp = 0;
  if (auto err = rd.get_public_key("dst_pk", d.dst_pk))
    return err;
  if (auto err = rd.get_public_key("src_pk", d.src_pk))
    return err;
  if (auto err = rd.get_uint("dst_port", 0xffff, dp))
    return err;
  if (auto err = rd.get_uint("src_port", 0xffff, sp))
    return err;
  d.dst_port = port{static_cast<uint16_t>(dp)};
  d.src_port = port{static_cast<uint16_t>(sp)};
  return {};
}

caf::error read_next_hop_json(const transport::object_reader& o, rule& r) {
  uint64_t rid = 0;
  if (auto err = o.get_uint("next_rid", 0xffffffff, rid))
    return err;
  r.next_route = route_id{static_cast<uint32_t>(rid)};
  return o.get_transport_id("next_tid", r.next_transport);
}

} // namespace

std::string encode_summary_json(const rule& r) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("keep_alive").integer(clamp(r.keep_alive).count());
  w.key("rule_type").uinteger(static_cast<uint8_t>(r.type));
  w.key("key_route_id").uinteger(r.key.value);
  switch (r.type) {
    case rule_type::consume:
      w.key("app_fields").begin_object();
      w.key("route_descriptor");
      write_descriptor(w, r.desc);
      w.end_object();
      break;
    case rule_type::forward:
      w.key("forward_fields").begin_object();
      w.key("route_descriptor");
      write_descriptor(w, r.desc);
      w.key("next_rid").uinteger(r.next_route.value);
      w.key("next_tid").string(r.next_transport.to_string());
      w.end_object();
      break;
    case rule_type::intermediary_forward:
      w.key("intermediary_forward_fields").begin_object();
      w.key("next_rid").uinteger(r.next_route.value);
      w.key("next_tid").string(r.next_transport.to_string());
      w.end_object();
      break;
  }
  w.end_object();
  return out;
}

expected<rule> decode_summary_json(std::string_view text) {
  auto v = transport::parse_json(text, max_rule_summary_json);
  if (!v)
    return std::move(v.error());
  auto o = transport::object_reader::from(*v, "RuleSummary");
  if (!o)
    return std::move(o.error());
  int64_t ka = 0;
  uint64_t type = 0;
  uint64_t key = 0;
  if (auto err = o->get_int("keep_alive", ka))
    return err;
  if (auto err = o->get_uint("rule_type", 0xff, type))
    return err;
  if (auto err = o->get_uint("key_route_id", 0xffffffff, key))
    return err;
  static constexpr const char* field_names[] = {"app_fields", "forward_fields",
                                                "intermediary_forward_fields"};
  if (type > 2)
    return make_error(wire_errc::unsupported, "RuleSummary: unknown rule_type "
                                                + std::to_string(type));
  for (size_t i = 0; i < 3; ++i) {
    bool present = o->has(field_names[i]);
    if (present != (i == type))
      return o->fail(wire_errc::malformed, field_names[i],
                     present ? "not allowed for this rule_type" : "missing field");
  }
  rule r;
  r.keep_alive = clamp(std::chrono::nanoseconds{ka});
  r.type = static_cast<rule_type>(type);
  r.key = route_id{static_cast<uint32_t>(key)};
  const boost::json::object* fields = nullptr;
  if (auto err = o->get_object(field_names[type], fields))
    return err;
  transport::object_reader f{*fields, std::string{"RuleSummary."} + field_names[type]};
  if (r.has_descriptor())
    if (auto err = read_descriptor(f, r.desc))
      return err;
  if (r.has_next_hop())
    if (auto err = read_next_hop_json(f, r))
      return err;
  return r;
}

} // namespace skywire::wire::routing
