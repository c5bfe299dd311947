#include "actors/routing/skyfwd_ports.hpp"

#include <fstream>
#include <sstream>

#include <boost/json/value.hpp>

#include <caf/sec.hpp>

#include "messages/wire/transport/json_reader.hpp"
#include "runtime/config/file_update.hpp"

namespace skywire::routing {

namespace {
constexpr size_t max_file = 1 << 20;
} // namespace

skyfwd_ports::skyfwd_ports(std::filesystem::path file) : file_(std::move(file)) {}

std::string skyfwd_ports::encode(const std::set<uint16_t>& ports) {
  std::string out = "[";
  for (auto p : ports) {
    if (out.size() > 1)
      out += ',';
    out += std::to_string(p);
  }
  return out + "]\n";
}

expected<std::set<uint16_t>> skyfwd_ports::decode(std::string_view text) {
  auto v = wire::transport::parse_json(text, max_file, 2);
  if (!v)
    return v.error();
  if (!v->is_array())
    return make_error(wire_errc::malformed, "skyfwd ports: not an array");
  std::set<uint16_t> out;
  for (const auto& x : v->get_array()) {
    uint64_t p = 0;
    if (auto err = wire::transport::json_uint(x, 65535, p))
      return err;
    if (p == 0)
      return make_error(wire_errc::bad_value, "skyfwd ports: port 0");
    out.insert(static_cast<uint16_t>(p));
  }
  return out;
}

caf::error skyfwd_ports::load() {
  std::lock_guard<std::mutex> g{mtx_};
  ports_.clear();
  if (file_.empty())
    return {};
  std::ifstream in(file_, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(file_, ec))
      return {};
    return caf::make_error(caf::sec::runtime_error, file_.string() + ": cannot be read");
  }
  std::string text(max_file + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  auto set = decode(text);
  if (!set)
    return set.error();
  ports_ = std::move(*set);
  return {};
}

caf::error skyfwd_ports::save_locked() {
  if (file_.empty())
    return {};
  return config::write_file_atomically(file_.string(), encode(ports_), 0644, false);
}

expected<bool> skyfwd_ports::add(uint16_t port) {
  std::lock_guard<std::mutex> g{mtx_};
  if (!ports_.insert(port).second)
    return false;
  if (auto err = save_locked()) {
    ports_.erase(port);
    return err;
  }
  return true;
}

expected<bool> skyfwd_ports::remove(uint16_t port) {
  std::lock_guard<std::mutex> g{mtx_};
  if (ports_.erase(port) == 0)
    return false;
  if (auto err = save_locked()) {
    ports_.insert(port);
    return err;
  }
  return true;
}

bool skyfwd_ports::contains(uint16_t port) const {
  std::lock_guard<std::mutex> g{mtx_};
  return ports_.count(port) > 0;
}

std::vector<uint16_t> skyfwd_ports::list() const {
  std::lock_guard<std::mutex> g{mtx_};
  return {ports_.begin(), ports_.end()};
}

} // namespace skywire::routing
