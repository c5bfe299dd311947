#include "actors/dmsg_tools/failure_log.hpp"

#include <caf/sec.hpp>

#include "actors/dmsg/errors.hpp"
#include "actors/dmsg_tools/pipe_core.hpp"
#include "messages/wire/socks5/socks5.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/log/rate_limit.hpp"

namespace skywire::dmsg_tools {

pipe_end pipe_end_of(std::string_view component, std::string remote, std::string local,
                     const pipe_core* core) {
  pipe_end e;
  e.component = component;
  e.remote = std::move(remote);
  e.local = std::move(local);
  if (core) {
    e.bytes_to_local = core->bytes_to_socket();
    e.bytes_to_remote = core->bytes_to_stream();
  }
  return e;
}

namespace {

log::rate_limit& failure_limit() {
  static log::rate_limit limit{20};
  return limit;
}

} // namespace

void log_failure(const pipe_end& e, std::string_view msg, std::string cause,
                 std::string detail) {
  if (!log::enabled(log::level::info))
    return;
  uint64_t suppressed = 0;
  if (!failure_limit().allow(suppressed))
    return;
  if (suppressed > 0)
    log::write(log::level::info, e.component, msg,
               {log::kv("cause", std::move(cause)), log::kv("error", std::move(detail)),
                log::kv("remote", e.remote), log::kv("local", e.local),
                log::kv("bytes_to_local", e.bytes_to_local),
                log::kv("bytes_to_remote", e.bytes_to_remote),
                log::kv("similar_lines_suppressed", suppressed)});
  else
    log::write(log::level::info, e.component, msg,
               {log::kv("cause", std::move(cause)), log::kv("error", std::move(detail)),
                log::kv("remote", e.remote), log::kv("local", e.local),
                log::kv("bytes_to_local", e.bytes_to_local),
                log::kv("bytes_to_remote", e.bytes_to_remote)});
}

void log_failure(const pipe_end& e, std::string_view msg, const caf::error& err) {
  if (!log::enabled(log::level::info))
    return;
  log_failure(e, msg, dmsg::failure_cause(err), describe(err));
}

void log_clean_end(const pipe_end& e, std::string_view msg) {
  SKYWIRE_LOG(debug, e.component, msg, log::kv("remote", e.remote), log::kv("local", e.local),
              log::kv("bytes_to_local", e.bytes_to_local),
              log::kv("bytes_to_remote", e.bytes_to_remote));
}

uint8_t socks5_reply_for(const caf::error& err) noexcept {
  using dmsg::client_errc;
  using dmsg::dmsg_errc;
  using rc = wire::socks5::reply_code;
  rc out = rc::host_unreachable;
  if (err == caf::sec::request_timeout || dmsg::is(err, client_errc::timeout))
    out = rc::ttl_expired;
  else if (dmsg::is(err, dmsg_errc::req_no_listener) || dmsg::is(err, dmsg_errc::resp_not_accepted)
           || dmsg::is(err, dmsg_errc::listener_accept_queue_full)
           || dmsg::is(err, client_errc::stream_reset))
    out = rc::connection_refused;
  else if (dmsg::is(err, dmsg_errc::cannot_connect_to_delegated)
           || dmsg::is(err, dmsg_errc::req_no_next_session)
           || dmsg::is(err, client_errc::no_session))
    out = rc::network_unreachable;
  else if (err == caf::sec::request_receiver_down || dmsg::is(err, client_errc::closed)
           || dmsg::is(err, client_errc::no_ports))
    out = rc::general_failure;
  return static_cast<uint8_t>(out);
}

} // namespace skywire::dmsg_tools
