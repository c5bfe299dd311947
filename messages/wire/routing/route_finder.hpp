// The route finder's HTTP API bodies (reference §1.8; Go: rfclient and the
// route finder's api package), byte for byte:
//
//   POST /routes  {"Edges":["<src>:<dst>",…],"Opts":{"MinHops":n,"MaxHops":n}}
//   200           {"<src>:<dst>":[[{"TpID":"<uuid>","From":"<pk>","To":"<pk>"},…],…],…}\n
//
// Field names are Go's (the structs have no JSON tags); map keys are the
// edges' text form, sorted (Go sorts map keys by their MarshalText). A hop is
// the existing wire::rpc::route_setup::hop (the gob one of the setup RPC).
//
// The decoders are strict and bounded (a hostile route finder must not crash
// or bloat a visor; a hostile client must not bloat the route finder): sizes,
// counts and depth are capped, keys and IDs must parse, and check_path()
// says whether a returned path really joins the edge's two keys, hop to hop,
// within the hop bounds and without visiting a key twice.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/rpc/routing_schemas.hpp"

namespace skywire::wire::routing {

using hop = rpc::route_setup::hop;
/// One route: hops in travel order.
using path = std::vector<hop>;

/// routing.PathEdges: the two ends of a wanted route, text "<src hex>:<dst hex>".
struct path_edge {
  public_key src;
  public_key dst;
  friend auto operator<=>(const path_edge&, const path_edge&) = default;
  friend bool operator==(const path_edge&, const path_edge&) = default;
};

std::string to_string(const path_edge& e);
/// "<66 hex>:<66 hex>", both keys non-null.
expected<path_edge> parse_path_edge(std::string_view text);

/// routing.RouteOptions (uint16 in Go).
struct route_options {
  uint16_t min_hops = 0;
  uint16_t max_hops = 0;
  friend bool operator==(const route_options&, const route_options&) = default;
};

struct find_routes_request {
  std::vector<path_edge> edges;
  route_options opts;
  friend bool operator==(const find_routes_request&, const find_routes_request&) = default;
};

/// The answer: for each edge asked, up to k paths, shortest first. Ordered
/// as Go writes the map (by the edges' text, which is their byte order).
using routes_map = std::map<path_edge, std::vector<path>>;

/// Bounds of the decoders (defaults fit every answer our route finder and
/// the reference's give: 2 edges, 5 paths, paths of at most MaxHops = 50).
struct rf_limits {
  size_t max_bytes = 2 << 20;  ///< of a JSON body
  size_t max_edges = 64;       ///< edges in a request or an answer
  size_t max_paths = 16;       ///< paths per edge in an answer
  size_t max_hops = 1024;      ///< hops per path in an answer
};

/// Go's json.Marshal of the request (no newline: rfclient sends Marshal's bytes).
std::string encode_find_routes_request(const find_routes_request& r);
/// What a route finder accepts: Edges an array of edge texts (null or
/// absent = none), Opts optional (absent = zero hops), numbers uint16.
expected<find_routes_request> decode_find_routes_request(std::string_view text,
                                                         const rf_limits& lim = {});

/// json.Encoder's output of the answer (compact, "\n" at the end).
std::string encode_routes(const routes_map& routes);
/// Structure only: keys are edges, values arrays of arrays of hops (no null,
/// no empty path); check_path() checks what a path means.
expected<routes_map> decode_routes(std::string_view text, const rf_limits& lim = {});

/// Whether `p` is a route for `e`: non-empty, min_hops <= size <= max_hops
/// (min 0 counts as 1), p[0].from = src, p[last].to = dst, each hop starts
/// where the last ended, no hop from a key to itself, and no key visited
/// twice (when src = dst, a loop: only the end may return to src).
caf::error check_path(const path_edge& e, const path& p, route_options opts);

/// What a visor makes of a 200 answer to `asked`: decode_routes(), then every
/// edge asked answered with at least one path, no edge that was not asked,
/// check_path() for every path, no path twice. Any failure fails the whole answer.
expected<routes_map> decode_routes_answer(std::string_view text, const find_routes_request& asked,
                                          const rf_limits& lim = {});

} // namespace skywire::wire::routing
