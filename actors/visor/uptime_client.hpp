// The visor's client of the uptime tracker (reference §1.12): the heartbeat,
//   GET /v4/update?version=<visor version>   httpauth-signed
// which the visor sends every 5 minutes (uptime_reporter.hpp). The answer is
// read to at most max_answer bytes and only its status counts: 200 is a
// credited heartbeat, anything else an error with the service's message
// (client_errors.hpp). Async like the other service clients: the callback
// runs once, on an I/O thread (or on the caller's for a refusal before
// anything is sent).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "actors/transport/httpauth_client.hpp"
#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::visor {

inline constexpr std::string_view ut_service_name = "uptime tracker";

class uptime_client {
public:
  /// The largest answer read (the tracker answers 200 with no body).
  static constexpr size_t max_answer = 4096;
  /// The longest version text sent (the tracker refuses longer).
  static constexpr size_t max_version = 64;

  using callback = std::function<void(caf::error)>;

  /// `base_url`: the config's uptime_tracker.addr (http://, or dmsg:// with
  /// a dmsghttp sender in opts).
  static expected<uptime_client> make(io::io_runtime& io, std::string_view base_url,
                                      const public_key& pk, const secret_key& sk,
                                      transport::httpauth_client::options opts = {});

  /// One heartbeat; cb gets no error when the tracker answered 200.
  void heartbeat(std::string_view version, callback cb) const;

  /// What the tracker's answer to a heartbeat says: no error for 200, else
  /// the error with its status and the tracker's message (client_errors.hpp).
  static caf::error read_answer(const http::response& r);

  const transport::httpauth_client& auth() const noexcept { return http_; }

private:
  explicit uptime_client(transport::httpauth_client c) : http_(std::move(c)) {}
  transport::httpauth_client http_;
};

} // namespace skywire::visor
