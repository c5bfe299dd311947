#include "actors/transport/sd_client.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

namespace skywire::transport {

namespace {
/// A service type: lower-case letters and '-', 1 to 32 of them.
bool valid_type(std::string_view type) {
  return !type.empty() && type.size() <= 32 && std::all_of(type.begin(), type.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || c == '-';
         });
}
} // namespace

expected<sd_client> sd_client::make(io::io_runtime& io, std::string_view base_url,
                                    const public_key& pk, const secret_key& sk,
                                    httpauth_client::options opts) {
  if (base_url.substr(0, 7) == "dmsg://")
    return make_error(client_errc::invalid_argument, sd_service_name,
                      "a dmsg:// URL needs dmsghttp, which this client does not speak: "
                        + std::string{base_url});
  auto c = httpauth_client::make(io, base_url, pk, sk, std::string{sd_service_name},
                                 std::move(opts));
  if (!c)
    return std::move(c.error());
  return sd_client{std::move(*c)};
}

void sd_client::services(std::string_view type, size_t quantity, list_callback cb) const {
  if (!valid_type(type))
    return cb(make_error(client_errc::invalid_argument, sd_service_name,
                         "not a service type: \"" + std::string{type.substr(0, 32)} + "\""));
  std::string path = "/api/services?type=" + std::string{type};
  if (quantity > 0)
    path += "&quantity=" + std::to_string(quantity);
  http_.plain_request(
    http::verb::get, std::move(path), wire::max_service_list_json,
    [want = std::string{type}, cb = std::move(cb)](expected<http::response> r) {
      if (!r)
        return cb(std::move(r.error()));
      if (r->status != 200)
        return cb(http_error(sd_service_name, *r));
      auto list = wire::decode_service_list(r->body);
      if (!list)
        return cb(make_error(client_errc::bad_response, sd_service_name,
                             "service list: " + describe(list.error())));
      std::set<public_key> seen;
      for (const auto& s : *list) {
        if (s.type != want)
          return cb(make_error(client_errc::bad_response, sd_service_name,
                               "asked for services of type " + want + ", got one of type "
                                 + s.type));
        if (want == "visor" && !seen.insert(s.pk).second)
          return cb(make_error(client_errc::bad_response, sd_service_name,
                               "visor " + s.pk.hex() + " listed twice"));
      }
      cb(std::move(*list));
    });
}

namespace {
/// The most a registration or deletion answer may carry (one Service).
constexpr size_t max_entry_answer = 16 * 1024;
} // namespace

void sd_client::register_service(const wire::service_entry& s, entry_callback cb) const {
  if (s.pk != http_.pk())
    return cb(make_error(client_errc::invalid_argument, sd_service_name,
                         "a service's address must carry the client's own key"));
  http_.signed_request(http::verb::post, "/api/services", wire::encode_service(s),
                       max_entry_answer, [cb = std::move(cb)](expected<http::response> r) {
                         if (!r)
                           return cb(std::move(r.error()));
                         if (r->status != 200)
                           return cb(http_error(sd_service_name, *r));
                         auto e = wire::decode_service(r->body);
                         if (!e)
                           return cb(make_error(client_errc::bad_response, sd_service_name,
                                                "registration answer: " + describe(e.error())));
                         cb(std::move(*e));
                       });
}

void sd_client::remove_service(std::string_view type, skywire::port prt,
                               done_callback cb) const {
  if (!valid_type(type))
    return cb(make_error(client_errc::invalid_argument, sd_service_name,
                         "not a service type: \"" + std::string{type.substr(0, 32)} + "\""));
  http_.signed_request(http::verb::delete_,
                       "/api/services/" + http_.pk().hex() + ":" + std::to_string(prt.value)
                         + "?type=" + std::string{type},
                       {}, max_entry_answer, [cb = std::move(cb)](expected<http::response> r) {
                         if (!r)
                           return cb(std::move(r.error()));
                         if (r->status != 200)
                           return cb(http_error(sd_service_name, *r));
                         cb({});
                       });
}

} // namespace skywire::transport
