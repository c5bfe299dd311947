// dmsg web / web srv failure lines: one info line per failure with the cause
// in words, rate-limited so a flood cannot spam the log; clean ends at debug.
#include <doctest/doctest.h>

#include <mutex>
#include <string>
#include <vector>

#include <caf/sec.hpp>

#include "actors/dmsg/errors.hpp"
#include "actors/dmsg/objects.hpp"
#include "actors/dmsg_tools/failure_log.hpp"
#include "messages/wire/socks5/socks5.hpp"
#include "runtime/log/logger.hpp"

using namespace skywire;

namespace {

struct captured_log {
  std::mutex mtx;
  std::vector<std::string> lines;
  captured_log() {
    log::set_sink([this](std::string_view l) {
      std::lock_guard<std::mutex> g{mtx};
      lines.emplace_back(l);
    });
  }
  ~captured_log() {
    log::set_sink(nullptr);
    log::set_level(log::level::info);
  }
};

dmsg_tools::pipe_end sample() {
  dmsg_tools::pipe_end e;
  e.component = "dmsg_web";
  e.remote = "02aa:80";
  e.local = "127.0.0.1:5555";
  return e;
}

} // namespace

TEST_CASE("a failed dial is one info line with the cause, the remote and the local client") {
  captured_log cap;
  log::set_level(log::level::info);
  dmsg_tools::log_failure(sample(), "dmsg dial failed",
                          dmsg::make_error(dmsg::dmsg_errc::entry_not_found, "x"));
  REQUIRE(cap.lines.size() == 1);
  const auto& l = cap.lines[0];
  INFO(l);
  CHECK(l.find("level=info") != std::string::npos);
  CHECK(l.find("cause=\"no such peer in discovery\"") != std::string::npos);
  CHECK(l.find("remote=02aa:80") != std::string::npos);
  CHECK(l.find("local=127.0.0.1:5555") != std::string::npos);
  CHECK(l.find("system:") == std::string::npos);
  // clean ends stay at debug
  dmsg_tools::log_clean_end(sample(), "dmsg stream closed");
  CHECK(cap.lines.size() == 1);
  log::set_level(log::level::debug);
  dmsg_tools::log_clean_end(sample(), "dmsg stream closed");
  REQUIRE(cap.lines.size() == 2);
  CHECK(cap.lines[1].find("level=debug") != std::string::npos);
}

TEST_CASE("a flood of failures is rate-limited and the next line counts what was left out") {
  captured_log cap;
  log::set_level(log::level::info);
  for (int i = 0; i < 1000; ++i)
    dmsg_tools::log_failure(sample(), "dmsg stream failed",
                            dmsg::make_error(dmsg::client_errc::stream_reset));
  // at most 20 a second; the loop may straddle one second boundary
  CHECK(cap.lines.size() >= 1);
  CHECK(cap.lines.size() <= 40);
}

TEST_CASE("SOCKS5 replies follow the cause of a failed dial") {
  using rc = wire::socks5::reply_code;
  auto reply = [](const caf::error& e) { return static_cast<rc>(dmsg_tools::socks5_reply_for(e)); };
  CHECK(reply(dmsg::make_error(dmsg::dmsg_errc::entry_not_found)) == rc::host_unreachable);
  CHECK(reply(dmsg::make_error(dmsg::dmsg_errc::req_no_listener)) == rc::connection_refused);
  CHECK(reply(dmsg::make_error(dmsg::client_errc::timeout)) == rc::ttl_expired);
  CHECK(reply(caf::make_error(caf::sec::request_timeout)) == rc::ttl_expired);
  CHECK(reply(dmsg::make_error(dmsg::dmsg_errc::cannot_connect_to_delegated))
        == rc::network_unreachable);
  CHECK(reply(caf::make_error(caf::sec::request_receiver_down)) == rc::general_failure);
}
