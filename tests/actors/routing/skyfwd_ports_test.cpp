// The registered sky-forwarding ports (actors/routing/skyfwd_ports.hpp):
// kept in a file, atomically rewritten, a bad file reported.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "actors/routing/skyfwd_ports.hpp"

using namespace skywire;
using namespace skywire::routing;

TEST_CASE("skyfwd ports: registered, listed, kept across a reload, removed") {
  auto dir = std::filesystem::temp_directory_path() / ("skyfwd-ports-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "skyfwd-ports.json";
  {
    skyfwd_ports p(file);
    REQUIRE_FALSE(p.load()); // none yet
    CHECK(p.list().empty());
    CHECK(*p.add(8080));
    CHECK_FALSE(*p.add(8080)); // already registered
    CHECK(*p.add(22));
    CHECK(p.contains(22));
    CHECK_FALSE(p.contains(23));
    CHECK(p.list() == std::vector<uint16_t>{22, 8080});
  }
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "[22,8080]\n");
  // no temporary file left beside it
  CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator{})
        == 1);
  skyfwd_ports again(file);
  REQUIRE_FALSE(again.load());
  CHECK(again.list() == std::vector<uint16_t>{22, 8080});
  CHECK(*again.remove(22));
  CHECK_FALSE(*again.remove(22));
  CHECK(again.list() == std::vector<uint16_t>{8080});
  {
    std::ofstream out(file, std::ios::trunc);
    out << "{\"not\":\"ports\"}";
  }
  skyfwd_ports bad(file);
  CHECK(bad.load()); // reported
  CHECK(bad.list().empty());
  CHECK_FALSE(skyfwd_ports::decode("[0]"));
  CHECK_FALSE(skyfwd_ports::decode("[70000]"));
  CHECK(skyfwd_ports::decode("[]")->empty());
  std::filesystem::remove_all(dir);
}
