#include "runtime/config/file_update.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include <boost/json/parse.hpp>

#include "runtime/config/errors.hpp"
#include "runtime/config/registry.hpp"

namespace skywire::config {

namespace json = boost::json;

namespace {

caf::error io_error(const std::string& what, int err) {
  return make_error(config_errc::io_error, what + ": " + std::strerror(err));
}

/// The folder of `path` ("." for a bare file name).
std::string folder_of(const std::string& path) {
  auto parent = std::filesystem::path{path}.parent_path();
  return parent.empty() ? std::string{"."} : parent.string();
}

} // namespace

caf::error write_file_atomically(const std::string& path, std::string_view text, mode_t mode,
                                 bool keep_mode) {
  struct stat st{};
  if (keep_mode && ::stat(path.c_str(), &st) == 0)
    mode = st.st_mode & 07777;
  std::vector<char> tmpl(path.begin(), path.end());
  const char suffix[] = ".tmp-XXXXXX";
  tmpl.insert(tmpl.end(), suffix, suffix + sizeof(suffix)); // with the NUL
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0)
    return io_error(path + ".tmp-*", errno);
  std::string tmp{tmpl.data()};
  auto fail = [&](const std::string& what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return io_error(what, err);
  };
  if (::fchmod(fd, mode) != 0)
    return fail(tmp, errno);
  size_t off = 0;
  while (off < text.size()) {
    auto n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail(tmp, errno);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    return fail(tmp, errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error(tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error(path, err);
  }
  // the rename is durable once the folder is
  auto dir = folder_of(path);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return io_error(dir, errno);
  int rc = ::fsync(dfd);
  int err = errno;
  ::close(dfd);
  if (rc != 0)
    return io_error(dir, err);
  return {};
}

caf::error update_config_file(const std::string& path,
                              const std::function<caf::error(json::object&)>& edit) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return io_error(path, errno);
  std::string text;
  text.resize(max_config_bytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > max_config_bytes)
    return make_error(config_errc::too_large,
                      path + ": larger than " + std::to_string(max_config_bytes) + " bytes");
  boost::system::error_code ec;
  auto root = json::parse(text, ec);
  if (ec || !root.is_object())
    return make_error(config_errc::syntax, path + ": not a JSON object; not rewritten");
  if (auto err = edit(root.as_object()))
    return err;
  auto out = to_pretty_json(root) + "\n";
  // never write a config the visor would refuse
  if (auto ok = load_json(out, path); !ok)
    return ok.error();
  return write_file_atomically(path, out);
}

caf::error set_app_auto_start(json::object& root, std::string_view name, bool on) {
  auto* launcher = root.if_contains("launcher");
  auto* apps = launcher && launcher->is_object() ? launcher->as_object().if_contains("apps")
                                                 : nullptr;
  if (apps && apps->is_array())
    for (auto& a : apps->as_array()) {
      if (!a.is_object())
        continue;
      auto* n = a.as_object().if_contains("name");
      if (n && n->is_string() && n->get_string() == name) {
        a.as_object()["auto_start"] = on;
        return {};
      }
    }
  return make_error(config_errc::missing_key,
                    "launcher.apps: no app named \"" + std::string{name} + "\" in the file");
}

bool set_app_auto_start(visor_config& cfg, std::string_view name, bool on) {
  for (auto& a : cfg.launcher.apps)
    if (a.name == name) {
      a.auto_start = on;
      return true;
    }
  return false;
}

caf::error set_app_entry(json::object& root, const app_config& app) {
  auto& launcher = root["launcher"];
  if (launcher.is_null())
    launcher = json::object{};
  if (!launcher.is_object())
    return make_error(config_errc::invalid_value, "launcher must be an object");
  auto& apps = launcher.as_object()["apps"];
  if (apps.is_null())
    apps = json::array{};
  if (!apps.is_array())
    return make_error(config_errc::invalid_value, "launcher.apps must be an array");
  json::array args;
  for (const auto& a : app.args)
    args.emplace_back(json::string_view{a});
  for (auto& a : apps.as_array()) {
    if (!a.is_object())
      continue;
    auto* n = a.as_object().if_contains("name");
    if (n && n->is_string() && n->get_string() == app.name) {
      auto& o = a.as_object();
      o["binary"] = app.binary;
      o["args"] = std::move(args);
      o["auto_start"] = app.auto_start;
      o["port"] = app.port.value;
      return {};
    }
  }
  apps.as_array().emplace_back(json::object{{"name", app.name},
                                            {"binary", app.binary},
                                            {"args", std::move(args)},
                                            {"auto_start", app.auto_start},
                                            {"port", app.port.value}});
  return {};
}

void set_app_entry(visor_config& cfg, const app_config& app) {
  for (auto& a : cfg.launcher.apps)
    if (a.name == app.name) {
      a = app;
      return;
    }
  cfg.launcher.apps.push_back(app);
}

} // namespace skywire::config
