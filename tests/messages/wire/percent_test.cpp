#include <doctest/doctest.h>

#include "messages/wire/percent.hpp"

using skywire::wire::hex_digit;
using skywire::wire::percent_decode;
using skywire::wire::percent_encode;

TEST_CASE("hex digits of either case, -1 otherwise") {
  CHECK(hex_digit('0') == 0);
  CHECK(hex_digit('9') == 9);
  CHECK(hex_digit('a') == 10);
  CHECK(hex_digit('F') == 15);
  CHECK(hex_digit('g') == -1);
  CHECK(hex_digit('%') == -1);
  CHECK(hex_digit('\0') == -1);
}

TEST_CASE("percent decoding: escapes, plus in queries, truncated and non-hex escapes refused") {
  CHECK(percent_decode("/a%20b%2Fc") == std::optional<std::string>{"/a b/c"});
  CHECK(percent_decode("a+b") == std::optional<std::string>{"a+b"});
  CHECK(percent_decode("a+b", true) == std::optional<std::string>{"a b"});
  CHECK(percent_decode("%41") == std::optional<std::string>{"A"});
  CHECK(percent_decode("%00") == std::optional<std::string>{std::string(1, '\0')});
  CHECK(percent_decode("") == std::optional<std::string>{""});
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("a%4"));
  CHECK_FALSE(percent_decode("%4g"));
  CHECK_FALSE(percent_decode("%zz"));
}

TEST_CASE("percent encoding: unreserved kept, everything else %XX, `keep` kept, decode inverts") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("a b?c#d%e") == "a%20b%3Fc%23d%25e");
  CHECK(percent_encode("a/b") == "a%2Fb");
  CHECK(percent_encode("/dir/a b/", "/") == "/dir/a%20b/");
  CHECK(percent_encode("<\"&'>") == "%3C%22%26%27%3E");
  CHECK(percent_encode("+") == "%2B");
  CHECK(percent_encode(std::string{"\0\x7f\xc3\xa9", 4}) == "%00%7F%C3%A9");
  CHECK(percent_encode("") == "");
  std::string all;
  for (int c = 0; c < 256; ++c)
    all.push_back(static_cast<char>(c));
  CHECK(percent_decode(percent_encode(all)) == std::optional<std::string>{all});
  CHECK(percent_decode(percent_encode(all, "/?#")) == std::optional<std::string>{all});
}
