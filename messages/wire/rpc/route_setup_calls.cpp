#include "messages/wire/rpc/route_setup_calls.hpp"

#include <charconv>
#include <set>

namespace skywire::wire::rpc::route_setup {

using gob::value;

bool operator==(const hop& a, const hop& b) noexcept {
  return a.tp_id == b.tp_id && a.from == b.from && a.to == b.to;
}

gob::limits stream_limits(size_t max_message, size_t max_nodes) {
  gob::limits g;
  g.max_message = max_message;
  g.max_types = 64;
  g.max_fields = 64;
  g.max_name = 256;
  g.max_depth = 16;
  g.max_nodes = max_nodes;
  g.max_array_len = 1 << 16;
  return g;
}

value to_gob(const bidirectional_route& r) {
  auto d = r.desc.bytes();
  return bidirectional_route_value(d, r.keep_alive_ns, r.forward, r.reverse);
}

value to_gob(const edge_rules& e) {
  auto d = e.desc.bytes();
  return edge_rules_value(d, e.forward.encode(), e.reverse.encode());
}

namespace {

struct uuid_tag {};

caf::error bad(std::string what) {
  return make_error(wire_errc::bad_value, std::move(what));
}

template <class Fixed>
expected<Fixed> marshaled_field(const gob::decoder& dec, const value& v, std::string_view name) {
  auto* f = dec.field(v, name);
  if (!f)
    return bad("missing field " + std::string{name});
  // gob leaves out a field whose value is zero, marshaled ones too (Go's
  // encoder omits an all-zero PubKey or UUID, and so does ours): the zero value
  if (f->t == value::tag::none)
    return Fixed{};
  if (f->t != value::tag::marshaled && f->t != value::tag::bytes)
    return bad(std::string{name} + ": not a byte string");
  auto out = Fixed::from_bytes(f->data);
  if (!out)
    return bad(std::string{name} + ": " + describe(out.error()));
  return *out;
}

expected<routing::route_descriptor> desc_field(const gob::decoder& dec, const value& v) {
  auto* f = dec.field(v, "Desc");
  if (!f)
    return bad("missing field Desc");
  std::vector<uint8_t> bytes;
  if (!f->byte_array(bytes) || bytes.size() != routing::route_descriptor_size)
    return bad("Desc: not a [70]byte");
  return routing::route_descriptor::decode(bytes);
}

expected<std::vector<hop>> hops_field(const gob::decoder& dec, const value& v,
                                      std::string_view name) {
  auto* f = dec.field(v, name);
  if (!f)
    return bad("missing field " + std::string{name});
  if (f->t == value::tag::none)
    return std::vector<hop>{};
  if (f->t != value::tag::slice)
    return bad(std::string{name} + ": not a slice");
  if (f->items.size() > max_decoded_hops)
    return make_error(wire_errc::oversized, std::string{name} + ": too many hops");
  std::vector<hop> out;
  out.reserve(f->items.size());
  for (auto& item : f->items) {
    if (item.t != value::tag::struct_)
      return bad(std::string{name} + ": a hop is not a struct");
    hop h;
    auto tp = marshaled_field<fixed_bytes<16, uuid_tag>>(dec, item, "TpID");
    if (!tp)
      return tp.error();
    std::copy(tp->bytes.begin(), tp->bytes.end(), h.tp_id.bytes.begin());
    auto from = marshaled_field<public_key>(dec, item, "From");
    if (!from)
      return from.error();
    auto to = marshaled_field<public_key>(dec, item, "To");
    if (!to)
      return to.error();
    h.from = *from;
    h.to = *to;
    out.push_back(h);
  }
  return out;
}

expected<routing::rule> rule_field(const gob::decoder& dec, const value& v, std::string_view name,
                                   routing::rule_type want) {
  auto* f = dec.field(v, name);
  if (!f || (f->t != value::tag::bytes && f->t != value::tag::none))
    return bad(std::string{name} + ": not a routing.Rule");
  auto r = routing::rule::decode(f->data);
  if (!r)
    return bad(std::string{name} + ": " + describe(r.error()));
  if (r->type != want)
    return bad(std::string{name} + ": a " + routing::to_string(r->type) + " rule where a "
               + routing::to_string(want) + " rule belongs");
  return *r;
}

} // namespace

expected<bidirectional_route> bidirectional_route_from_gob(const gob::decoder& dec,
                                                           const value& v) {
  if (v.t != value::tag::struct_)
    return bad("BidirectionalRoute: not a struct");
  bidirectional_route r;
  auto d = desc_field(dec, v);
  if (!d)
    return d.error();
  r.desc = *d;
  auto* ka = dec.field(v, "KeepAlive");
  if (!ka || (ka->t != value::tag::int_ && ka->t != value::tag::none))
    return bad("KeepAlive: not a time.Duration");
  r.keep_alive_ns = ka->as_int();
  auto fwd = hops_field(dec, v, "Forward");
  if (!fwd)
    return fwd.error();
  auto rev = hops_field(dec, v, "Reverse");
  if (!rev)
    return rev.error();
  r.forward = std::move(*fwd);
  r.reverse = std::move(*rev);
  return r;
}

expected<edge_rules> edge_rules_from_gob(const gob::decoder& dec, const value& v) {
  if (v.t != value::tag::struct_)
    return bad("EdgeRules: not a struct");
  edge_rules e;
  auto d = desc_field(dec, v);
  if (!d)
    return d.error();
  e.desc = *d;
  auto fwd = rule_field(dec, v, "Forward", routing::rule_type::forward);
  if (!fwd)
    return fwd.error();
  auto rev = rule_field(dec, v, "Reverse", routing::rule_type::consume);
  if (!rev)
    return rev.error();
  e.forward = *fwd;
  e.reverse = *rev;
  return e;
}

expected<std::vector<route_id>> route_ids_from_gob(const value& v) {
  if (v.t == value::tag::none)
    return std::vector<route_id>{};
  if (v.t != value::tag::slice)
    return bad("[]RouteID: not a slice");
  if (v.items.size() > max_reserved_ids)
    return make_error(wire_errc::oversized, "[]RouteID: too many ids");
  std::vector<route_id> out;
  out.reserve(v.items.size());
  for (auto& item : v.items) {
    if (item.t != value::tag::uint_ && item.t != value::tag::none)
      return bad("[]RouteID: not a uint");
    if (item.u > UINT32_MAX)
      return bad("[]RouteID: an id beyond uint32");
    out.push_back(route_id{static_cast<uint32_t>(item.u)});
  }
  return out;
}

expected<std::vector<routing::rule>> rules_from_gob(const value& v) {
  if (v.t == value::tag::none)
    return std::vector<routing::rule>{};
  if (v.t != value::tag::slice)
    return bad("[]Rule: not a slice");
  if (v.items.size() > max_rules_per_call)
    return make_error(wire_errc::oversized, "[]Rule: too many rules");
  std::vector<routing::rule> out;
  out.reserve(v.items.size());
  for (auto& item : v.items) {
    if (item.t != value::tag::bytes && item.t != value::tag::none)
      return bad("[]Rule: not a byte string");
    auto r = routing::rule::decode(item.data);
    if (!r)
      return r.error();
    out.push_back(*r);
  }
  return out;
}

expected<bool> bool_from_gob(const value& v) {
  if (v.t != value::tag::boolean && v.t != value::tag::none)
    return bad("not a bool");
  return v.as_bool();
}

expected<uint8_t> uint8_from_gob(const value& v) {
  if (v.t != value::tag::uint_ && v.t != value::tag::none)
    return bad("not a uint8");
  if (v.u > UINT8_MAX)
    return bad("uint8 out of range");
  return static_cast<uint8_t>(v.u);
}

namespace {

caf::error check_path(const std::vector<hop>& path, const char* name, const public_key& from,
                      const public_key& to, size_t max_hops) {
  std::string n{name};
  if (path.empty())
    return bad(n + " path is empty");
  if (path.size() > max_hops)
    return bad(n + " path has " + std::to_string(path.size()) + " hops, more than "
               + std::to_string(max_hops));
  if (path.front().from != from)
    return bad(n + " path does not start at its endpoint");
  if (path.back().to != to)
    return bad(n + " path does not end at its endpoint");
  std::set<public_key> seen;
  seen.insert(path.front().from);
  for (size_t i = 0; i < path.size(); ++i) {
    auto& h = path[i];
    if (h.from.is_null() || h.to.is_null())
      return bad(n + " hop " + std::to_string(i) + " has a null key");
    if (h.tp_id.is_null())
      return bad(n + " hop " + std::to_string(i) + " has a null transport id");
    if (i > 0 && path[i - 1].to != h.from)
      return bad(n + " hop " + std::to_string(i) + " does not start where hop "
                 + std::to_string(i - 1) + " ends");
    bool loop_end = i + 1 == path.size() && from == to && h.to == from;
    if (!seen.insert(h.to).second && !loop_end)
      return bad(n + " path visits " + h.to.hex() + " twice");
  }
  return {};
}

} // namespace

caf::error validate(const bidirectional_route& r, size_t max_hops, int64_t max_keep_alive_ns) {
  if (r.desc.src_pk.is_null() || r.desc.dst_pk.is_null())
    return bad("the route descriptor has a null key");
  if (r.keep_alive_ns <= 0 || r.keep_alive_ns > max_keep_alive_ns)
    return bad("keep-alive " + std::to_string(r.keep_alive_ns) + " ns out of range");
  if (auto err = check_path(r.forward, "forward", r.desc.src_pk, r.desc.dst_pk, max_hops))
    return err;
  return check_path(r.reverse, "reverse", r.desc.dst_pk, r.desc.src_pk, max_hops);
}

const char* to_string(failure_code c) noexcept {
  switch (c) {
    case failure_code::unknown: return "unknown";
    case failure_code::add_rules: return "add rules";
    case failure_code::create_routes: return "create routes";
    case failure_code::routes_created: return "routes created";
    case failure_code::reserve_route_ids: return "reserve route IDs";
  }
  return "?";
}

std::string failure_text(failure_code c, std::string_view msg) {
  return "failure code " + std::to_string(static_cast<int>(c)) + " (" + std::string{msg} + ")";
}

expected<failure> parse_failure_text(std::string_view text) {
  constexpr std::string_view prefix = "failure code ";
  if (!text.starts_with(prefix) || !text.ends_with(")"))
    return bad("not a routing.Failure text");
  auto rest = text.substr(prefix.size());
  unsigned code = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), code);
  if (ec != std::errc{} || code > 4)
    return bad("not a routing.Failure code");
  auto tail = std::string_view{p, static_cast<size_t>(rest.data() + rest.size() - p)};
  if (!tail.starts_with(" ("))
    return bad("not a routing.Failure text");
  failure f;
  f.code = static_cast<failure_code>(code);
  f.msg = std::string{tail.substr(2, tail.size() - 3)};
  return f;
}

} // namespace skywire::wire::rpc::route_setup
