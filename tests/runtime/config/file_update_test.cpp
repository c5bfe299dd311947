// Config write-back (runtime/config/file_update): the atomic writer (the
// old file's mode kept, no temporary left, a missing folder an error) and
// the SetAutoStart edit: only that key changes, unknown keys stay, an
// unknown app or an edit that would make the file invalid leaves the file
// untouched.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "runtime/config/errors.hpp"
#include "runtime/config/file_update.hpp"
#include "runtime/config/registry.hpp"
#include "runtime/crypto/keys.hpp"

using namespace skywire;
using namespace skywire::config;
namespace fs = std::filesystem;

namespace {

struct temp_folder {
  fs::path path;
  temp_folder() {
    path = fs::temp_directory_path() / ("skywire-file-update-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_folder() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t files_in(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator{dir})
    ++n;
  return n;
}

/// A generated config, compact, with an extra key we do not know.
boost::json::object sample() {
  gen_options o = reference_defaults();
  o.sk = crypto::generate_keypair().sk;
  auto g = generate(o);
  REQUIRE(g);
  (*g)["x_unknown"] = boost::json::array{1, "two", nullptr};
  return *g;
}

} // namespace

TEST_CASE("write_file_atomically: replaces the file, keeps its mode, leaves no temporary") {
  temp_folder t;
  auto p = (t.path / "f.json").string();
  REQUIRE_FALSE(write_file_atomically(p, "one"));
  CHECK(slurp(p) == "one");
  struct stat st{};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::chmod(p.c_str(), 0640) == 0);
  REQUIRE_FALSE(write_file_atomically(p, "two"));
  CHECK(slurp(p) == "two");
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  // config gen's use: the mode forced
  REQUIRE_FALSE(write_file_atomically(p, "three", 0600, false));
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(files_in(t.path) == 1);
  auto err = write_file_atomically((t.path / "no" / "such" / "f").string(), "x");
  REQUIRE(err);
  CHECK(message(err).find("no/such/f.tmp-") != std::string::npos);
}

TEST_CASE("update_config_file: SetAutoStart changes that key only; refusals leave the file as it was") {
  temp_folder t;
  auto p = (t.path / "skywire-config.json").string();
  auto cfg = sample();
  {
    std::ofstream out{p};
    out << boost::json::serialize(cfg);
  }
  REQUIRE(::chmod(p.c_str(), 0600) == 0);
  auto apps = cfg["launcher"].as_object()["apps"].as_array();
  REQUIRE(apps.size() >= 3);
  std::string name{apps[2].as_object()["name"].as_string()};
  bool was = apps[2].as_object()["auto_start"].as_bool();

  REQUIRE_FALSE(update_config_file(p, [&](boost::json::object& root) {
    return set_app_auto_start(root, name, !was);
  }));
  auto text = slurp(p);
  auto now = boost::json::parse(text).as_object();
  auto expected = cfg;
  expected["launcher"].as_object()["apps"].as_array()[2].as_object()["auto_start"] = !was;
  CHECK(now == expected);
  // Go's layout, key order kept, the unknown key kept, still a valid config
  CHECK(text == to_pretty_json(expected) + "\n");
  CHECK(load_json(text, p));
  CHECK(files_in(t.path) == 1);

  // an app the file has not
  auto err = update_config_file(p, [&](boost::json::object& root) {
    return set_app_auto_start(root, "no-such-app", true);
  });
  REQUIRE(err);
  CHECK(message(err).find("no app named \"no-such-app\"") != std::string::npos);
  CHECK(slurp(p) == text);
  // an edit that would make the config invalid is refused
  auto bad = update_config_file(p, [](boost::json::object& root) -> caf::error {
    root["dmsg"].as_object()["sessions_count"] = -1;
    return {};
  });
  REQUIRE(bad);
  CHECK(message(bad).find("dmsg.sessions_count") != std::string::npos);
  CHECK(slurp(p) == text);
  // a file that is no JSON is not rewritten
  {
    std::ofstream out{p};
    out << "{ not json";
  }
  CHECK(update_config_file(p, [](boost::json::object&) { return caf::error{}; }));
  CHECK(slurp(p) == "{ not json");
  CHECK(files_in(t.path) == 1);

  // the same edit on a loaded config
  auto loaded = load_json(boost::json::serialize(cfg), p);
  REQUIRE(loaded);
  CHECK(set_app_auto_start(*loaded, name, !was));
  CHECK(loaded->launcher.apps[2].auto_start == !was);
  CHECK_FALSE(set_app_auto_start(*loaded, "no-such-app", true));
}

TEST_CASE("set_app_entry: replaces the named entry's binary, args, auto_start and port, keeps its "
          "other keys; appends a new name; the loaded config alike") {
  auto cfg = sample();
  auto& apps = cfg["launcher"].as_object()["apps"].as_array();
  REQUIRE(apps.size() >= 3);
  std::string name{apps[1].as_object()["name"].as_string()};
  apps[1].as_object()["x_extra"] = 7;
  auto before = apps.size();
  app_config a;
  a.name = name;
  a.binary = "skywire";
  a.args = {"app", "skysocks-client", "--srv", std::string(66, '2')};
  a.auto_start = true;
  a.port = skywire::port{13};
  REQUIRE_FALSE(set_app_entry(cfg, a));
  auto& e = cfg["launcher"].as_object()["apps"].as_array()[1].as_object();
  CHECK(e["args"].as_array().size() == 4);
  CHECK(e["args"].as_array()[3].as_string() == std::string(66, '2'));
  CHECK(e["auto_start"] == true);
  CHECK(e["port"] == 13);
  CHECK(e["x_extra"] == 7);
  CHECK(cfg["launcher"].as_object()["apps"].as_array().size() == before);

  a.name = "proxy-2";
  a.port = skywire::port{10};
  REQUIRE_FALSE(set_app_entry(cfg, a));
  auto& all = cfg["launcher"].as_object()["apps"].as_array();
  REQUIRE(all.size() == before + 1);
  CHECK(all.back().as_object()["name"] == "proxy-2");
  CHECK(all.back().as_object()["port"] == 10);
  CHECK(load_json(boost::json::serialize(cfg)));

  boost::json::object not_obj{{"launcher", 3}};
  CHECK(set_app_entry(not_obj, a));

  auto loaded = load_json(boost::json::serialize(sample()));
  REQUIRE(loaded);
  auto n = loaded->launcher.apps.size();
  set_app_entry(*loaded, a);
  REQUIRE(loaded->launcher.apps.size() == n + 1);
  CHECK(loaded->launcher.apps.back().args == a.args);
  a.auto_start = false;
  set_app_entry(*loaded, a);
  CHECK(loaded->launcher.apps.size() == n + 1);
  CHECK_FALSE(loaded->launcher.apps.back().auto_start);
}
