#include "actors/visor/uptime_client.hpp"

#include <string>
#include <utility>

#include "actors/transport/client_errors.hpp"
#include "messages/wire/percent.hpp"

namespace skywire::visor {

expected<uptime_client> uptime_client::make(io::io_runtime& io, std::string_view base_url,
                                            const public_key& pk, const secret_key& sk,
                                            transport::httpauth_client::options opts) {
  auto c = transport::httpauth_client::make(io, base_url, pk, sk, std::string{ut_service_name},
                                            std::move(opts));
  if (!c)
    return std::move(c.error());
  return uptime_client{std::move(*c)};
}

void uptime_client::heartbeat(std::string_view version, callback cb) const {
  if (version.size() > max_version)
    return cb(transport::make_error(transport::client_errc::invalid_argument, ut_service_name,
                                    "version longer than " + std::to_string(max_version)
                                      + " bytes"));
  http_.signed_request(http::verb::get, "/v4/update?version=" + wire::percent_encode(version), {},
                       max_answer, [cb = std::move(cb)](expected<http::response> r) {
                         if (!r)
                           return cb(std::move(r.error()));
                         cb(read_answer(*r));
                       });
}

caf::error uptime_client::read_answer(const http::response& r) {
  if (r.status != 200)
    return transport::http_error(ut_service_name, r);
  return {};
}

} // namespace skywire::visor
