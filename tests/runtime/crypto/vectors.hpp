// Helpers for the crypto vector tests: load a JSON vector file, hex <-> bytes.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "messages/ids.hpp"
#include "tests/support/build_paths.hpp"

namespace skywire::crypto::test {

inline boost::json::value load_vectors(const std::string& rel) {
  std::ifstream in(std::string{SKYWIRE_VECTORS_DIR} + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return boost::json::parse(ss.str());
}

inline std::vector<uint8_t> unhex(std::string_view h) {
  std::vector<uint8_t> out(h.size() / 2);
  if (auto err = from_hex(h, out))
    throw std::runtime_error("bad hex in vector file");
  return out;
}

inline std::vector<uint8_t> unhex(const boost::json::value& v) {
  return unhex(std::string_view{v.as_string()});
}

inline std::string str(const boost::json::value& v) {
  return std::string{v.as_string()};
}

template <class T>
T fixed(const boost::json::value& v) {
  auto r = T::from_hex(std::string_view{v.as_string()});
  if (!r)
    throw std::runtime_error("bad fixed-size hex in vector file");
  return *r;
}

inline std::string hex(const std::vector<uint8_t>& v) {
  return to_hex(v);
}

} // namespace skywire::crypto::test
