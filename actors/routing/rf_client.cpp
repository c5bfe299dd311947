#include "actors/routing/rf_client.hpp"

#include "actors/transport/client_errors.hpp"

namespace skywire::routing {

namespace wr = wire::routing;
using transport::client_errc;

expected<rf_client> rf_client::make(io::io_runtime& io, std::string_view base_url,
                                    options opts) {
  if (!opts.send)
    opts.send = [&io](http::client_request req, http::client_callback cb) {
      http::async_request(io, std::move(req), std::move(cb));
    };
  return make(base_url, std::move(opts));
}

expected<rf_client> rf_client::make(std::string_view base_url, options opts) {
  auto u = http::parse_url(base_url);
  if (!u)
    return transport::make_error(client_errc::invalid_argument, rf_service_name,
                                 "not a URL: " + std::string{base_url.substr(0, 256)});
  if (!opts.send)
    return transport::make_error(client_errc::invalid_argument, rf_service_name,
                                 "no HTTP sender");
  while (!u->target.empty() && u->target.back() == '/')
    u->target.pop_back();
  return rf_client{std::move(*u), std::move(opts)};
}

http::client_request rf_client::make_request(const wr::find_routes_request& r) const {
  http::client_request req;
  req.scheme = base_.scheme;
  req.method = http::verb::post;
  req.host = base_.host;
  req.port = base_.port;
  req.target = base_.target + "/routes";
  req.body = wr::encode_find_routes_request(r);
  req.timeout = opts_.timeout;
  req.response_limit = opts_.limits.max_bytes;
  return req;
}

expected<routes_map> rf_client::read_answer(expected<http::response> res,
                                            const wr::find_routes_request& asked,
                                            const wr::rf_limits& limits) {
  if (!res)
    return transport::make_error(client_errc::unreachable, rf_service_name,
                                 describe(res.error()));
  if (res->status != 200)
    return transport::http_error(rf_service_name, *res);
  auto routes = wr::decode_routes_answer(res->body, asked, limits);
  if (!routes)
    return transport::make_error(client_errc::bad_response, rf_service_name,
                                 describe(routes.error()));
  return routes;
}

void rf_client::find_routes(std::vector<path_edge> edges, uint16_t min_hops, uint16_t max_hops,
                            routes_callback cb) const {
  wr::find_routes_request r{std::move(edges), {min_hops, max_hops}};
  if (r.edges.empty() || r.edges.size() > opts_.limits.max_edges)
    return cb(transport::make_error(client_errc::invalid_argument, rf_service_name,
                                    "between 1 and " + std::to_string(opts_.limits.max_edges)
                                      + " edges per request"));
  for (const auto& e : r.edges)
    if (e.src.is_null() || e.dst.is_null())
      return cb(transport::make_error(client_errc::invalid_argument, rf_service_name,
                                      "an edge with the null key"));
  auto req = make_request(r);
  opts_.send(std::move(req), [asked = std::move(r), limits = opts_.limits,
                              cb = std::move(cb)](expected<http::response> res) {
    cb(read_answer(std::move(res), asked, limits));
  });
}

} // namespace skywire::routing
