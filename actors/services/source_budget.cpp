#include "actors/services/source_budget.hpp"

#include <algorithm>

#include <boost/asio/ip/address.hpp>

#include "runtime/io/admission.hpp"

namespace skywire::services {

double source_budget::refilled(const bucket& b, int64_t now_ns) const {
  auto elapsed = static_cast<double>(std::max<int64_t>(now_ns - b.at_ns, 0));
  return std::min(static_cast<double>(cfg_.burst), b.tokens + elapsed / 6e10 * cfg_.per_minute);
}

bool source_budget::take(const std::string& source, size_t n, int64_t now_ns) {
  if (cfg_.burst == 0 || n == 0)
    return true;
  auto it = buckets_.find(source);
  if (it == buckets_.end()) {
    if (buckets_.size() >= cfg_.max_sources)
      return false;
    it = buckets_.emplace(source, bucket{static_cast<double>(cfg_.burst), now_ns}).first;
  }
  auto& b = it->second;
  b.tokens = refilled(b, now_ns);
  b.at_ns = std::max(b.at_ns, now_ns);
  if (b.tokens < static_cast<double>(n))
    return false;
  b.tokens -= static_cast<double>(n);
  return true;
}

double source_budget::available(const std::string& source, int64_t now_ns) const {
  if (cfg_.burst == 0)
    return static_cast<double>(SIZE_MAX);
  auto it = buckets_.find(source);
  if (it == buckets_.end())
    return buckets_.size() >= cfg_.max_sources ? 0.0 : static_cast<double>(cfg_.burst);
  return refilled(it->second, now_ns);
}

void source_budget::sweep(int64_t now_ns) {
  std::erase_if(buckets_, [&](const auto& kv) {
    return refilled(kv.second, now_ns) >= static_cast<double>(cfg_.burst);
  });
}

std::string source_of(std::string_view remote) {
  auto addr = io::parse_remote_address(remote);
  if (addr.is_unspecified()) {
    // a dmsghttp caller: "<pk>:<port>", the port a fresh one per stream
    auto colon = remote.rfind(':');
    if (colon == 66)
      return "dmsg:" + std::string{remote.substr(0, colon)};
    return std::string{remote};
  }
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
  if (addr.is_v4())
    return addr.to_string();
  auto bytes = addr.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), uint8_t{0});
  return boost::asio::ip::address_v6{bytes}.to_string() + "/64";
}

std::string source_budget::refusal_text(const std::string& source, std::string_view items) const {
  return "too many new registrations from " + source + ": at most " + std::to_string(cfg_.burst)
         + " " + std::string{items} + ", then "
         + std::to_string(static_cast<uint64_t>(cfg_.per_minute))
         + " a minute, per source address; try again later";
}

} // namespace skywire::services
