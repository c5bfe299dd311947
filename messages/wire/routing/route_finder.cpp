#include "messages/wire/routing/route_finder.hpp"

#include <set>

#include <boost/json/value.hpp>

#include "messages/wire/json/go_json.hpp"
#include "messages/wire/transport/json_reader.hpp"

namespace skywire::wire::routing {

namespace bj = boost::json;
namespace wt = wire::transport;

namespace {

constexpr size_t pk_hex = 2 * public_key::size;
constexpr size_t edge_text = 2 * pk_hex + 1;

caf::error fail(std::string what) {
  return make_error(wire_errc::malformed, std::move(what));
}

expected<public_key> non_null_key(std::string_view text, std::string_view what) {
  auto pk = public_key::from_hex(text);
  if (!pk)
    return make_error(wire_errc::bad_value, std::string{what} + ": " + describe(pk.error()));
  if (pk->is_null())
    return make_error(wire_errc::bad_value, std::string{what} + ": the null public key");
  return *pk;
}

void append_hop(json::writer& w, const hop& h) {
  w.begin_object();
  w.key("TpID").string(h.tp_id.to_string());
  w.key("From").string(h.from.hex());
  w.key("To").string(h.to.hex());
  w.end_object();
}

expected<hop> decode_hop(const bj::value& v) {
  auto o = wt::object_reader::from(v, "Hop");
  if (!o)
    return std::move(o.error());
  hop h;
  if (auto err = o->get_transport_id("TpID", h.tp_id))
    return err;
  if (auto err = o->get_public_key("From", h.from))
    return err;
  if (auto err = o->get_public_key("To", h.to))
    return err;
  return h;
}

} // namespace

std::string to_string(const path_edge& e) {
  return e.src.hex() + ':' + e.dst.hex();
}

expected<path_edge> parse_path_edge(std::string_view text) {
  if (text.size() != edge_text || text[pk_hex] != ':')
    return make_error(wire_errc::malformed,
                      "a path edge is \"<66 hex digits>:<66 hex digits>\", got "
                        + std::to_string(text.size()) + " characters");
  auto src = non_null_key(text.substr(0, pk_hex), "path edge source");
  if (!src)
    return std::move(src.error());
  auto dst = non_null_key(text.substr(pk_hex + 1), "path edge destination");
  if (!dst)
    return std::move(dst.error());
  return path_edge{*src, *dst};
}

std::string encode_find_routes_request(const find_routes_request& r) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  w.key("Edges").begin_array();
  for (const auto& e : r.edges)
    w.string(to_string(e));
  w.end_array();
  w.key("Opts").begin_object();
  w.key("MinHops").uinteger(r.opts.min_hops);
  w.key("MaxHops").uinteger(r.opts.max_hops);
  w.end_object();
  w.end_object();
  return out;
}

expected<find_routes_request> decode_find_routes_request(std::string_view text,
                                                         const rf_limits& lim) {
  auto v = wt::parse_json(text, lim.max_bytes, 3);
  if (!v)
    return std::move(v.error());
  auto o = wt::object_reader::from(*v, "FindRoutesRequest");
  if (!o)
    return std::move(o.error());
  find_routes_request r;
  const auto& obj = v->get_object();
  if (auto* edges = obj.if_contains("Edges"); edges != nullptr && !edges->is_null()) {
    if (!edges->is_array())
      return fail("FindRoutesRequest.Edges: expected an array");
    const auto& arr = edges->get_array();
    if (arr.size() > lim.max_edges)
      return make_error(wire_errc::oversized, "FindRoutesRequest.Edges: "
                                                + std::to_string(arr.size())
                                                + " edges, at most "
                                                + std::to_string(lim.max_edges));
    for (const auto& item : arr) {
      std::string_view s;
      if (auto err = wt::json_string(item, edge_text, s))
        return make_error(wire_errc::malformed, "FindRoutesRequest.Edges: " + describe(err));
      auto e = parse_path_edge(s);
      if (!e)
        return std::move(e.error());
      r.edges.push_back(*e);
    }
  }
  if (auto* opts = obj.if_contains("Opts"); opts != nullptr && !opts->is_null()) {
    auto ro = wt::object_reader::from(*opts, "FindRoutesRequest.Opts");
    if (!ro)
      return std::move(ro.error());
    uint64_t n = 0;
    if (ro->has("MinHops")) {
      if (auto err = ro->get_uint("MinHops", 0xffff, n))
        return err;
      r.opts.min_hops = static_cast<uint16_t>(n);
    }
    if (ro->has("MaxHops")) {
      if (auto err = ro->get_uint("MaxHops", 0xffff, n))
        return err;
      r.opts.max_hops = static_cast<uint16_t>(n);
    }
  }
  return r;
}

std::string encode_routes(const routes_map& routes) {
  std::string out;
  json::writer w{out};
  w.begin_object();
  for (const auto& [edge, paths] : routes) {
    w.key(to_string(edge)).begin_array();
    for (const auto& p : paths) {
      w.begin_array();
      for (const auto& h : p)
        append_hop(w, h);
      w.end_array();
    }
    w.end_array();
  }
  w.end_object();
  out += '\n';
  return out;
}

expected<routes_map> decode_routes(std::string_view text, const rf_limits& lim) {
  auto v = wt::parse_json(text, lim.max_bytes, 4);
  if (!v)
    return std::move(v.error());
  if (!v->is_object())
    return fail("route finder answer: expected a JSON object");
  const auto& obj = v->get_object();
  if (obj.size() > lim.max_edges)
    return make_error(wire_errc::oversized, "route finder answer: "
                                              + std::to_string(obj.size())
                                              + " edges, at most "
                                              + std::to_string(lim.max_edges));
  routes_map out;
  for (const auto& kv : obj) {
    auto edge = parse_path_edge({kv.key().data(), kv.key().size()});
    if (!edge)
      return std::move(edge.error());
    auto where = "route finder answer[" + to_string(*edge) + "]";
    if (!kv.value().is_array())
      return fail(where + ": expected an array of paths");
    const auto& paths = kv.value().get_array();
    if (paths.size() > lim.max_paths)
      return make_error(wire_errc::oversized, where + ": " + std::to_string(paths.size())
                                                + " paths, at most "
                                                + std::to_string(lim.max_paths));
    std::vector<path> list;
    list.reserve(paths.size());
    for (const auto& pv : paths) {
      if (!pv.is_array())
        return fail(where + ": a path must be an array of hops");
      const auto& hops = pv.get_array();
      if (hops.empty())
        return fail(where + ": an empty path");
      if (hops.size() > lim.max_hops)
        return make_error(wire_errc::oversized, where + ": a path of "
                                                  + std::to_string(hops.size())
                                                  + " hops, at most "
                                                  + std::to_string(lim.max_hops));
      path p;
      p.reserve(hops.size());
      for (const auto& hv : hops) {
        auto h = decode_hop(hv);
        if (!h)
          return make_error(wire_errc::malformed, where + ": " + describe(h.error()));
        p.push_back(*h);
      }
      list.push_back(std::move(p));
    }
    if (!out.emplace(*edge, std::move(list)).second)
      return fail(where + ": edge listed twice");
  }
  return out;
}

caf::error check_path(const path_edge& e, const path& p, route_options opts) {
  size_t min = opts.min_hops == 0 ? 1 : opts.min_hops;
  if (p.size() < min || p.size() > opts.max_hops)
    return make_error(wire_errc::bad_value,
                      "a path of " + std::to_string(p.size()) + " hops, wanted "
                        + std::to_string(min) + " to " + std::to_string(opts.max_hops));
  if (p.front().from != e.src)
    return make_error(wire_errc::bad_value, "the path does not start at " + e.src.hex());
  if (p.back().to != e.dst)
    return make_error(wire_errc::bad_value, "the path does not end at " + e.dst.hex());
  std::set<public_key> seen{e.src};
  for (size_t i = 0; i < p.size(); ++i) {
    const auto& h = p[i];
    if (i > 0 && h.from != p[i - 1].to)
      return make_error(wire_errc::bad_value,
                        "hop " + std::to_string(i) + " does not start where hop "
                          + std::to_string(i - 1) + " ended");
    if (h.to.is_null())
      return make_error(wire_errc::bad_value, "hop " + std::to_string(i) + " names the null key");
    if (h.from == h.to)
      return make_error(wire_errc::bad_value,
                        "hop " + std::to_string(i) + " goes from a key to itself");
    bool loop_end = i + 1 == p.size() && e.src == e.dst;
    if (!seen.insert(h.to).second && !loop_end)
      return make_error(wire_errc::bad_value,
                        "the path visits " + h.to.hex() + " twice");
  }
  return {};
}

expected<routes_map> decode_routes_answer(std::string_view text, const find_routes_request& asked,
                                          const rf_limits& lim) {
  auto routes = decode_routes(text, lim);
  if (!routes)
    return routes;
  std::set<path_edge> wanted(asked.edges.begin(), asked.edges.end());
  for (const auto& [edge, paths] : *routes) {
    if (!wanted.contains(edge))
      return make_error(wire_errc::bad_value,
                        "route finder answer: an edge that was not asked: " + to_string(edge));
    if (paths.empty())
      return make_error(wire_errc::bad_value,
                        "route finder answer: no path for " + to_string(edge));
    std::set<std::vector<uint8_t>> distinct;
    for (size_t i = 0; i < paths.size(); ++i) {
      if (auto err = check_path(edge, paths[i], asked.opts))
        return make_error(wire_errc::bad_value, "route finder answer[" + to_string(edge)
                                                  + "][" + std::to_string(i)
                                                  + "]: " + describe(err));
      std::vector<uint8_t> bytes;
      for (const auto& h : paths[i]) {
        bytes.insert(bytes.end(), h.tp_id.bytes.begin(), h.tp_id.bytes.end());
        bytes.insert(bytes.end(), h.to.bytes.begin(), h.to.bytes.end());
      }
      if (!distinct.insert(std::move(bytes)).second)
        return make_error(wire_errc::bad_value, "route finder answer[" + to_string(edge)
                                                  + "][" + std::to_string(i)
                                                  + "]: the same path twice");
    }
  }
  for (const auto& e : wanted)
    if (!routes->contains(e))
      return make_error(wire_errc::bad_value,
                        "route finder answer: nothing for " + to_string(e));
  return routes;
}

} // namespace skywire::wire::routing
