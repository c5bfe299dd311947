// dmsg::failure_cause / session_failure_cause: what ended a dial, stream or
// session, in words; describe() of dmsg errors prints their text, not codes.
#include <doctest/doctest.h>

#include <string>

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

#include "actors/dmsg/errors.hpp"
#include "actors/dmsg/objects.hpp"

using namespace skywire;
using dmsg::client_errc;
using dmsg::dmsg_errc;

namespace {

void check_words(const std::string& text) {
  INFO(text);
  CHECK(!text.empty());
  CHECK(text.find("system") == std::string::npos);
  CHECK(text.find("dmsgcli:") == std::string::npos);
  CHECK(text.find("dmsg:") == std::string::npos);
  CHECK(text.find('_') == std::string::npos);
}

} // namespace

TEST_CASE("every dmsg and dmsg client error has a cause in words") {
  const uint16_t codes[] = {100, 101, 102, 103, 200, 201, 202, 203, 300, 301, 302,
                            303, 304, 305, 306, 307, 350, 351, 352, 370, 400, 401};
  for (auto c : codes) {
    auto err = dmsg::make_error(static_cast<dmsg_errc>(c), "ctx");
    check_words(dmsg::failure_cause(err));
    check_words(describe(err));
    CHECK(describe(err).find("dmsg error " + std::to_string(c)) == 0);
  }
  for (int c = 1; c <= static_cast<int>(client_errc::closed); ++c) {
    auto err = dmsg::make_error(static_cast<client_errc>(c), "ctx");
    check_words(dmsg::failure_cause(err));
    check_words(describe(err));
  }
  // what a dial or a stream can end with from CAF itself
  for (auto s : {caf::sec::request_timeout, caf::sec::request_receiver_down,
                 caf::sec::unexpected_message, caf::sec::unexpected_response,
                 caf::sec::runtime_error})
    check_words(dmsg::failure_cause(caf::make_error(s)));
  check_words(dmsg::failure_cause(caf::make_error(caf::exit_reason::user_shutdown)));
}

TEST_CASE("failure causes name the cases users meet") {
  using dmsg::failure_cause;
  CHECK(failure_cause(dmsg::make_error(dmsg_errc::entry_not_found))
        == "no such peer in discovery");
  CHECK(failure_cause(dmsg::make_error(dmsg_errc::req_no_listener))
        == "dial refused: nothing listens on that port");
  CHECK(failure_cause(dmsg::make_error(dmsg_errc::session_closed, "session lost: x"))
        == "session to the dmsg server lost");
  CHECK(failure_cause(dmsg::make_error(client_errc::stream_reset))
        == "reset by the peer or the server");
  CHECK(failure_cause(dmsg::make_error(client_errc::protocol,
                                       "send queue full (writer ignored acks)"))
        == "send queue full");
  CHECK(failure_cause(dmsg::make_error(client_errc::timeout, "stream handshake"))
        == "handshake timeout");
  CHECK(failure_cause(caf::make_error(caf::sec::request_timeout)) == "timed out");
  CHECK(failure_cause(caf::make_error(caf::sec::request_receiver_down))
        == "the dmsg client stopped");
  CHECK(failure_cause(caf::error{}) == "none");
}

TEST_CASE("session failure causes: admission refusal, handshake timeout, keepalive") {
  using dmsg::session_failure_cause;
  auto reset = dmsg::make_error(dmsg_errc::session_closed,
                                "connection closed: Connection reset by peer");
  CHECK(session_failure_cause(reset, false).find("refused by the server") == 0);
  CHECK(session_failure_cause(reset, true) == "the connection to the server was closed");
  CHECK(session_failure_cause(dmsg::make_error(client_errc::timeout, "session handshake"),
                              false)
        == "handshake timeout");
  CHECK(session_failure_cause(dmsg::make_error(client_errc::timeout, "keepalive: no pong"),
                              true)
            .find("keepalive timeout")
        == 0);
  CHECK(session_failure_cause(dmsg::make_error(dmsg_errc::cannot_connect_to_delegated, "x"),
                              false)
        == "cannot connect to the dmsg server");
}
