// The address scopes (runtime/io/address_scope) and parse_host.
#include <doctest/doctest.h>

#include "runtime/io/address_scope.hpp"

namespace io = skywire::io;
using io::address_scope;

namespace {
boost::asio::ip::address ip(const char* s) {
  return boost::asio::ip::make_address(s);
}
} // namespace

TEST_CASE("address scopes") {
  struct row {
    const char* addr;
    address_scope scope;
  };
  for (auto r : std::initializer_list<row>{
         {"8.8.8.8", address_scope::public_},
         {"203.0.113.9", address_scope::public_}, // documentation ranges model the internet
         {"100.63.255.255", address_scope::public_},
         {"172.32.0.1", address_scope::public_},
         {"10.1.2.3", address_scope::private_},
         {"172.16.0.1", address_scope::private_},
         {"172.31.255.254", address_scope::private_},
         {"192.168.1.10", address_scope::private_},
         {"100.64.0.1", address_scope::private_}, // CGNAT
         {"100.127.255.254", address_scope::private_},
         {"169.254.1.1", address_scope::private_},
         {"192.0.0.8", address_scope::private_},
         {"198.18.0.1", address_scope::private_},
         {"172.17.0.1", address_scope::container_bridge},
         {"172.17.255.3", address_scope::container_bridge},
         {"127.0.0.1", address_scope::loopback},
         {"127.8.9.10", address_scope::loopback},
         {"0.0.0.0", address_scope::unusable},
         {"224.0.0.1", address_scope::unusable},
         {"255.255.255.255", address_scope::unusable},
         {"2001:db8::1", address_scope::public_},
         {"2a00:1450::1", address_scope::public_},
         {"::1", address_scope::loopback},
         {"fe80::1", address_scope::private_},
         {"fd00::1", address_scope::private_},
         {"::", address_scope::unusable},
         {"ff02::1", address_scope::unusable},
         {"::ffff:192.168.1.1", address_scope::private_}, // IPv4-mapped: as IPv4
         {"::ffff:8.8.4.4", address_scope::public_},
       }) {
    CAPTURE(r.addr);
    CHECK(io::classify(ip(r.addr)) == r.scope);
  }
}

TEST_CASE("parse_host: ip, ip:port, [v6]:port") {
  CHECK(*io::parse_host("1.2.3.4") == ip("1.2.3.4"));
  CHECK(*io::parse_host("1.2.3.4:5") == ip("1.2.3.4"));
  CHECK(*io::parse_host("[::1]:80") == ip("::1"));
  CHECK(*io::parse_host("[::ffff:1.2.3.4]:80") == ip("1.2.3.4"));
  CHECK(*io::parse_host("2001:db8::1") == ip("2001:db8::1"));
  CHECK_FALSE(io::parse_host("example.com:80"));
  CHECK_FALSE(io::parse_host("[::1"));
  CHECK_FALSE(io::parse_host(""));
}

