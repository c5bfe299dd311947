// runtime/log: formats, levels, redaction, escaping, thread safety.
#include <doctest/doctest.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "runtime/crypto/keys.hpp"
#include "runtime/log/logger.hpp"

using namespace skywire;

namespace {

struct capture {
  std::mutex mtx;
  std::vector<std::string> lines;
  capture() {
    log::set_sink([this](std::string_view l) {
      std::lock_guard<std::mutex> g{mtx};
      lines.emplace_back(l);
    });
  }
  ~capture() {
    log::set_sink(nullptr);
    log::set_level(log::level::info);
    log::set_format(log::format::logfmt);
  }
};

} // namespace

TEST_CASE("secret keys are never printed, in either format") {
  capture cap;
  auto kp = crypto::generate_keypair();
  log::set_level(log::level::trace);
  SKYWIRE_LOG(info, "test", "keys", log::kv("pk", kp.pk), log::kv("sk", kp.sk));
  log::set_format(log::format::json);
  SKYWIRE_LOG(info, "test", "keys", log::kv("pk", kp.pk), log::kv("sk", kp.sk));
  REQUIRE(cap.lines.size() == 2);
  for (auto& l : cap.lines) {
    CHECK(l.find(kp.sk.hex()) == std::string::npos);
    CHECK(l.find("[redacted]") != std::string::npos);
    CHECK(l.find(kp.pk.hex()) != std::string::npos);
  }
  auto j = boost::json::parse(cap.lines[1]).as_object();
  CHECK(j["sk"] == "[redacted]");
  CHECK(j["level"] == "info");
  CHECK(j["component"] == "test");
}

TEST_CASE("levels filter, and disabled levels do not evaluate arguments") {
  capture cap;
  log::set_level(log::level::warn);
  int evaluated = 0;
  auto costly = [&] {
    ++evaluated;
    return std::string{"x"};
  };
  SKYWIRE_LOG(debug, "test", "hidden", log::kv("v", costly()));
  SKYWIRE_LOG(info, "test", "hidden");
  SKYWIRE_LOG(warn, "test", "shown", log::kv("v", costly()));
  CHECK(evaluated == 1);
  REQUIRE(cap.lines.size() == 1);
  CHECK(cap.lines[0].find("level=warn") != std::string::npos);
  CHECK(log::parse_level("") == log::level::info);
  CHECK(log::parse_level("warning") == log::level::warn);
  CHECK(log::parse_level("panic") == log::level::fatal);
  CHECK_FALSE(log::parse_level("loud"));
}

TEST_CASE("logfmt quotes and escapes values, no line injection") {
  auto line = log::format_line(log::format::logfmt, "T", log::level::info, "visor",
                               "hello world",
                               {log::kv("plain", "abc"), log::kv("spaced", "a b"),
                                log::kv("evil", "x\nlevel=fatal msg=\"pwned\""),
                                log::kv("n", 42), log::kv("ok", true)});
  CHECK(line == "time=T level=info component=visor msg=\"hello world\" plain=abc spaced=\"a b\" "
                "evil=\"x\\nlevel=fatal msg=\\\"pwned\\\"\" n=42 ok=true\n");
  auto js = log::format_line(log::format::json, "T", log::level::error, "c", "m",
                             {log::kv("n", 7), log::kv("s", "q\"\x01")});
  auto v = boost::json::parse(js).as_object();
  CHECK(v["n"] == 7);
  CHECK(v["s"] == "q\"\x01");
}

TEST_CASE("concurrent writers produce whole lines") {
  capture cap;
  log::set_level(log::level::info);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([t] {
      for (int i = 0; i < 200; ++i)
        SKYWIRE_LOG(info, "thread", "tick", log::kv("t", t), log::kv("i", i));
    });
  for (auto& t : ts)
    t.join();
  REQUIRE(cap.lines.size() == 800);
  for (auto& l : cap.lines) {
    CHECK(l.back() == '\n');
    CHECK(std::count(l.begin(), l.end(), '\n') == 1);
  }
}
