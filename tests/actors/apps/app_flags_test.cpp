// An app's arguments as Go's flag package reads them (actors/apps/app_flags):
// the value of a flag in its four forms, and setting one (StartSkysocksClient's
// --srv): every old occurrence removed, the new one appended, the rest kept.
#include <doctest/doctest.h>

#include "actors/apps/app_flags.hpp"

using skywire::apps::flag_value;
using skywire::apps::set_flag;
using args_t = std::vector<std::string>;

TEST_CASE("flag_value: -f v, --f v, -f=v, --f=v; the last one wins; a missing value is an error") {
  CHECK(*flag_value({"--srv", "a"}, "srv") == "a");
  CHECK(*flag_value({"-srv", "a"}, "srv") == "a");
  CHECK(*flag_value({"-srv=a"}, "srv") == "a");
  CHECK(*flag_value({"--srv=a", "--srv", "b"}, "srv") == "b");
  CHECK_FALSE(flag_value({"--srvx", "a"}, "srv")->has_value());
  CHECK_FALSE(flag_value({"app", "skysocks-client"}, "srv")->has_value());
  CHECK_FALSE(flag_value({"--srv"}, "srv"));
}

TEST_CASE("set_flag: replaces every form of the flag, appends it, keeps the rest in order") {
  args_t a{"app", "skysocks-client", "-srv", "old", "--addr=:1080", "--srv=older", "--x", "1"};
  set_flag(a, "srv", "new");
  CHECK(a == args_t{"app", "skysocks-client", "--addr=:1080", "--x", "1", "--srv", "new"});
  set_flag(a, "addr", "127.0.0.1:0");
  CHECK(a == args_t{"app", "skysocks-client", "--x", "1", "--srv", "new", "--addr", "127.0.0.1:0"});
  CHECK(*flag_value(a, "srv") == "new");
  // an empty value removes it
  set_flag(a, "x", "");
  CHECK(a == args_t{"app", "skysocks-client", "--srv", "new", "--addr", "127.0.0.1:0"});
  // a trailing flag without its value goes too
  args_t b{"app", "skysocks-client", "--srv"};
  set_flag(b, "srv", "k");
  CHECK(b == args_t{"app", "skysocks-client", "--srv", "k"});
  // a flag whose name only starts like it stays
  args_t c{"--srvx", "1"};
  set_flag(c, "srv", "k");
  CHECK(c == args_t{"--srvx", "1", "--srv", "k"});
}
