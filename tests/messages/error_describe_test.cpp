// describe(): CAF's own error codes (caf::sec, caf::exit_reason) reach users
// in words, never as "system:4".
#include <doctest/doctest.h>

#include <string>

#include <caf/exit_reason.hpp>
#include <caf/make_message.hpp>
#include <caf/sec.hpp>

#include "messages/error.hpp"

using namespace skywire;

namespace {

// words: no category prefix, no enum spelling, no bare number
void check_words(const std::string& text, const std::string& enum_name) {
  INFO(text);
  CHECK(text.find("system:") == std::string::npos);
  CHECK(text.find("exit:") == std::string::npos);
  CHECK(text.find('_') == std::string::npos);
  CHECK(text != enum_name);
  CHECK(text.find_first_not_of("0123456789: ") != std::string::npos);
}

} // namespace

TEST_CASE("every caf::sec renders as words") {
  for (int c = 1; c <= static_cast<int>(caf::sec::connection_timeout); ++c) {
    auto code = static_cast<caf::sec>(c);
    REQUIRE(describe_sec(code) != nullptr);
    check_words(describe(caf::make_error(code)), caf::to_string(code));
  }
  CHECK(describe(caf::make_error(caf::sec::request_timeout)) == "request timed out");
  CHECK(describe(caf::make_error(caf::sec::request_receiver_down))
        == "the actor asked has stopped");
  // a text context is kept
  CHECK(describe(caf::make_error(caf::sec::runtime_error, std::string{"child x failed"}))
        == "runtime error (an exception in an actor): child x failed");
  // a code CAF may add later: still no "system:"
  auto unknown = caf::error{uint8_t{200}, caf::atom("system")};
  CHECK(describe(unknown).find("system:") == std::string::npos);
}

TEST_CASE("every caf::exit_reason renders as words") {
  for (int c = 1; c <= static_cast<int>(caf::exit_reason::unreachable); ++c) {
    auto code = static_cast<caf::exit_reason>(c);
    REQUIRE(describe_exit_reason(code) != nullptr);
    check_words(describe(caf::make_error(code)), caf::to_string(code));
  }
  CHECK(describe(caf::make_error(caf::exit_reason::user_shutdown)) == "shut down");
}

TEST_CASE("project categories: code names, self-describing ones print their text") {
  CHECK(describe(make_error(wire_errc::malformed, "x")) == "wire:malformed: x");
  CHECK(describe(caf::error{}) == "none");
  const auto cat = caf::atom("tstself");
  register_error_category(
    cat, [](uint8_t) noexcept { return "name"; }, true);
  CHECK(describe(caf::error{uint8_t{1}, cat, caf::make_message(std::string{"it broke"})})
        == "it broke");
  CHECK(describe(caf::error{uint8_t{1}, cat}) == "tstself:name");
  // a category nobody registered: the number is labelled, not bare
  CHECK(describe(caf::error{uint8_t{4}, caf::atom("nobody")}) == "nobody:error 4");
}
