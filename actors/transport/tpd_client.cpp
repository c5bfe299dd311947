#include "actors/transport/tpd_client.hpp"

#include <utility>

#include "runtime/crypto/transport_id.hpp"

namespace skywire::transport {

namespace wt = wire::transport;

namespace {

constexpr size_t small_answer = 16 * 1024;
constexpr size_t entry_answer = 4 * 1024;
constexpr size_t max_listed = wt::max_entries_per_list;
constexpr size_t list_answer = max_listed * 300;

caf::error bad(std::string text) {
  return make_error(client_errc::bad_response, tpd_service_name, std::move(text));
}

/// The entry is one the discovery may hand out: t_id derived from its edges
/// and type (the answer carries no signatures to check).
caf::error check_entry(const wt::entry& e) {
  if (auto err = crypto::check_transport_id(e))
    return bad("entry " + e.id.to_string() + ": " + describe(err));
  return {};
}

} // namespace

expected<tpd_client> tpd_client::make(io::io_runtime& io, std::string_view base_url,
                                      const public_key& pk, const secret_key& sk,
                                      httpauth_client::options opts) {
  auto c = httpauth_client::make(io, base_url, pk, sk, std::string{tpd_service_name},
                                 std::move(opts));
  if (!c)
    return std::move(c.error());
  return tpd_client{std::move(*c)};
}

void tpd_client::register_transports(std::vector<wt::signed_entry> entries,
                                     done_callback cb) const {
  if (entries.empty())
    return cb(caf::error{});
  if (entries.size() > tpd_max_entries_per_post)
    return cb(make_error(client_errc::invalid_argument, tpd_service_name,
                         std::to_string(entries.size()) + " entries in one registration (at most "
                           + std::to_string(tpd_max_entries_per_post) + ")"));
  http_.signed_request(http::verb::post, "/transports/", wt::encode_tpd_post_body(entries),
                       list_answer, [cb = std::move(cb)](expected<http::response> r) {
                         if (!r)
                           return cb(std::move(r.error()));
                         if (r->status != 201 && r->status != 200)
                           return cb(http_error(tpd_service_name, *r));
                         cb(caf::error{});
                       });
}

void tpd_client::get_by_id(const transport_id& id, entry_callback cb) const {
  http_.signed_request(http::verb::get, "/transports/id:" + id.to_string(), {}, entry_answer,
                       [id, cb = std::move(cb)](expected<http::response> r) {
                         if (!r)
                           return cb(std::move(r.error()));
                         if (r->status != 200)
                           return cb(http_error(tpd_service_name, *r));
                         auto e = wt::decode_entry_json(r->body);
                         if (!e)
                           return cb(bad("entry: " + describe(e.error())));
                         if (e->id != id)
                           return cb(bad("asked for transport " + id.to_string() + ", got "
                                         + e->id.to_string()));
                         if (auto err = check_entry(*e))
                           return cb(std::move(err));
                         cb(std::move(*e));
                       });
}

void tpd_client::get_by_edge(const public_key& pk, list_callback cb) const {
  http_.signed_request(
    http::verb::get, "/transports/edge:" + pk.hex(), {}, list_answer,
    [pk, cb = std::move(cb)](expected<http::response> r) {
      if (!r)
        return cb(std::move(r.error()));
      if (r->status == 404)
        return cb(std::vector<wt::entry>{});
      if (r->status != 200)
        return cb(http_error(tpd_service_name, *r));
      auto list = wt::decode_entry_list(r->body, max_listed, list_answer);
      if (!list)
        return cb(bad("entry list: " + describe(list.error())));
      for (const auto& e : *list) {
        if (!e.edge_index(pk))
          return cb(bad("listed transport " + e.id.to_string() + " has no edge " + pk.hex()));
        if (auto err = check_entry(e))
          return cb(std::move(err));
      }
      cb(std::move(*list));
    });
}

void tpd_client::deregister(const transport_id& id, done_callback cb) const {
  http_.signed_request(http::verb::delete_, "/transports/id:" + id.to_string(), {},
                       small_answer, [cb = std::move(cb)](expected<http::response> r) {
                         if (!r)
                           return cb(std::move(r.error()));
                         if (r->status != 200)
                           return cb(http_error(tpd_service_name, *r));
                         cb(caf::error{});
                       });
}

void tpd_client::health(health_callback cb) const {
  http_.plain_request(http::verb::get, "/health", wire::max_health_json,
                      [cb = std::move(cb)](expected<http::response> r) {
                        if (!r)
                          return cb(std::move(r.error()));
                        if (r->status != 200)
                          return cb(http_error(tpd_service_name, *r));
                        auto h = wire::decode_health(r->body);
                        if (!h)
                          return cb(bad("health: " + describe(h.error())));
                        cb(std::move(*h));
                      });
}

} // namespace skywire::transport
