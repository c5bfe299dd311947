// A blocking loopback TCP connection with a receive timeout, for tests that
// send raw bytes to a server and read raw HTTP answers.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace skywire::test {

/// A blocking loopback socket with a receive timeout, for raw-bytes tests.
struct raw_conn {
  using tcp = boost::asio::ip::tcp;
  boost::asio::io_context ctx;
  tcp::socket sock{ctx};
  explicit raw_conn(uint16_t port, int timeout_ms = 3000, const char* from = nullptr) {
    if (from) { // another loopback source address (a different client to admission control)
      sock.open(tcp::v4());
      sock.bind({boost::asio::ip::make_address(from), 0});
    }
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void send(std::string_view s) {
    boost::asio::write(sock, boost::asio::buffer(s.data(), s.size()));
  }
  /// Reads one response (headers + Content-Length body); empty on EOF/timeout.
  std::string read_response() {
    std::string out;
    char c;
    boost::system::error_code ec;
    while (out.find("\r\n\r\n") == std::string::npos) {
      if (sock.read_some(boost::asio::buffer(&c, 1), ec) != 1 || ec)
        return out;
      out += c;
    }
    size_t len = 0;
    auto pos = out.find("Content-Length: ");
    if (pos != std::string::npos)
      len = std::stoul(out.substr(pos + 16));
    std::string body(len, '\0');
    if (len)
      boost::asio::read(sock, boost::asio::buffer(body), ec);
    return out + body;
  }
  /// True when the peer closed (read returns EOF) within the socket timeout.
  bool closed_by_peer() {
    char c;
    boost::system::error_code ec;
    sock.read_some(boost::asio::buffer(&c, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }
};

/// The status code of a raw response (0 when there is none).
inline int status_of(const std::string& raw) {
  if (raw.size() < 12)
    return 0;
  return std::stoi(raw.substr(9, 3));
}

} // namespace skywire::test
