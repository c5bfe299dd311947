// Loads the Go reference's vector files for the wire codec tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <stdexcept>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "messages/ids.hpp"
#include "tests/support/build_paths.hpp"

namespace wire_test {

inline const boost::json::value& vectors(const std::string& name) {
  static std::map<std::string, boost::json::value> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    std::ifstream in{std::string{SKYWIRE_VECTORS_DIR} + "/skywire/" + name};
    std::stringstream ss;
    ss << in.rdbuf();
    it = cache.emplace(name, boost::json::parse(ss.str())).first;
  }
  return it->second;
}

inline std::string str(const boost::json::value& v) {
  return std::string{v.as_string().data(), v.as_string().size()};
}

inline std::vector<uint8_t> unhex(std::string_view h) {
  std::vector<uint8_t> out(h.size() / 2);
  if (skywire::from_hex(h, out))
    throw std::runtime_error("bad hex in vector file");
  return out;
}

inline std::vector<uint8_t> unhex(const char* h) {
  return unhex(std::string_view{h});
}

inline std::vector<uint8_t> unhex(const boost::json::value& v) {
  return unhex(str(v));
}

inline std::string hex(const std::vector<uint8_t>& b) {
  return skywire::to_hex({b.data(), b.size()});
}

inline std::string hex(std::string_view s) {
  return skywire::to_hex({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

inline skywire::byte_span span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline skywire::byte_span span(const std::vector<uint8_t>& b) {
  return {b.data(), b.size()};
}

inline skywire::public_key pk(std::string_view h) {
  return *skywire::public_key::from_hex(h);
}

inline const skywire::public_key alice = pk("03423b3a4e823ff981b6855640b4f78846d819880fd9ee1ab829bc069ea46f67f5");
inline const skywire::public_key bob = pk("02dc7806760f94f273229dc0565769f7faff39b8e22e7cd44cf05a6ebcfce454be");
inline const skywire::public_key carol = pk("02700ab7c1c9ea2e5495eea6329160e1f743eee129c49b582d25ec2cb417d62a5f");

} // namespace wire_test
