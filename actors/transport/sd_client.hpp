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
// makes the answer a bad_response.
//
//   register   POST   /api/services                 signed (httpauth)
//   remove     DELETE /api/services/{pk:port}?type=T signed
//
// Registration answers the stored entry (decoded, bounded); our service
// discovery expires entries unless registered again within its entry
// timeout (15 minutes by default), so a registrant calls register_service
// again every few minutes (docs/protocol/service-discovery.md).
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

  using entry_callback = std::function<void(expected<wire::service_entry>)>;
  using done_callback = std::function<void(caf::error)>;

  /// Registers (or refreshes) `s`, whose address must carry this client's
  /// key; the callback gets the entry as stored.
  void register_service(const wire::service_entry& s, entry_callback cb) const;

  /// Deletes this client's entry of `type` on `prt`.
  void remove_service(std::string_view type, skywire::port prt, done_callback cb) const;

  const httpauth_client& auth() const noexcept { return http_; }

private:
  explicit sd_client(httpauth_client c) : http_(std::move(c)) {}
  httpauth_client http_;
};

} // namespace skywire::transport
