// The local ports a visor exposes over sky-forwarding (`cli fwd -p`), shared
// by the skyfwd actor and its serving sessions (thread-safe). Kept in
// <local_path>/skyfwd-ports.json (a JSON array of ports, rewritten
// atomically on every change) so they survive a restart; the reference keeps
// them in memory only. A file that does not parse is reported and ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "messages/error.hpp"

namespace skywire::routing {

class skyfwd_ports {
public:
  /// `file` empty: memory only.
  explicit skyfwd_ports(std::filesystem::path file);

  /// Reads the file (missing: none registered). Errors: unreadable or not
  /// an array of ports (then nothing is registered).
  caf::error load();
  /// false: already registered. Errors: the file could not be written (the
  /// change is undone).
  expected<bool> add(uint16_t port);
  /// false: was not registered.
  expected<bool> remove(uint16_t port);
  bool contains(uint16_t port) const;
  std::vector<uint16_t> list() const;

  /// The file's text for a set of ports.
  static std::string encode(const std::set<uint16_t>& ports);
  static expected<std::set<uint16_t>> decode(std::string_view text);

private:
  caf::error save_locked();

  std::filesystem::path file_;
  mutable std::mutex mtx_;
  std::set<uint16_t> ports_;
};

using skyfwd_ports_ptr = std::shared_ptr<skyfwd_ports>;

} // namespace skywire::routing
