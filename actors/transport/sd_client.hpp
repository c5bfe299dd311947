// The visor's client of the service discovery (reference §1.10; Go:
// pkg/servicedisc), the part the transports need: the list of public visors
// for public autoconnect.
//
//   services   GET /api/services?type=T&quantity=N   public (unsigned)
//
// Async like tpd_client: the callback runs once, on an I/O thread (a call
// refused before anything is sent: at once, on the caller's). The answer is
// bounded (wire::max_service_list_json bytes, wire::max_services entries)
// and strict (messages/wire/service_discovery.hpp); a listed entry of
// another type than the one asked for, or an entry whose key appears twice,
// makes the answer a bad_response. Registration (POST /api/services, signed)
// comes with the apps and `is_public`, not here.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include "actors/transport/client_errors.hpp"
#include "actors/transport/httpauth_client.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/service_discovery.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::transport {

inline constexpr std::string_view sd_service_name = "service discovery";

class sd_client {
public:
  using list_callback = std::function<void(expected<std::vector<wire::service_entry>>)>;

  /// `base_url` as in the config's launcher.service_discovery (http:// only:
  /// a dmsg:// URL needs dmsghttp, refused here with invalid_argument).
  static expected<sd_client> make(io::io_runtime& io, std::string_view base_url,
                                  const public_key& pk, const secret_key& sk,
                                  httpauth_client::options opts = {});

  /// The services of `type` (lower-case letters and '-', at most 32), a
  /// random sample of `quantity` of them when quantity > 0 (the service
  /// draws it), all of them otherwise.
  void services(std::string_view type, size_t quantity, list_callback cb) const;

  /// services("visor", quantity): the public visors (port = stcpr port).
  void public_visors(size_t quantity, list_callback cb) const {
    services("visor", quantity, std::move(cb));
  }

  const httpauth_client& auth() const noexcept { return http_; }

private:
  explicit sd_client(httpauth_client c) : http_(std::move(c)) {}
  httpauth_client http_;
};

} // namespace skywire::transport
