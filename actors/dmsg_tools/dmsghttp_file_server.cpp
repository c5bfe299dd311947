#include "actors/dmsg_tools/dmsghttp_file_server.hpp"

#include <algorithm>
#include <fstream>
#include <memory>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduled_actor.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/wire/percent.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::dmsg_tools {

namespace fs = std::filesystem;
namespace http = boost::beast::http;

namespace {

constexpr const char* component = "dmsghttp";
constexpr size_t chunk_size = 64 * 1024;
constexpr size_t max_chunks_in_flight = 8;

using head_timeout_atom = caf::atom_constant<caf::atom("fs_hdto")>;

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

const char* mime_type(const fs::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  if (ext == ".html" || ext == ".htm")
    return "text/html; charset=utf-8";
  if (ext == ".txt" || ext == ".md" || ext == ".csv")
    return "text/plain; charset=utf-8";
  if (ext == ".json")
    return "application/json";
  if (ext == ".css")
    return "text/css";
  if (ext == ".js")
    return "application/javascript";
  if (ext == ".png")
    return "image/png";
  if (ext == ".jpg" || ext == ".jpeg")
    return "image/jpeg";
  if (ext == ".svg")
    return "image/svg+xml";
  return "application/octet-stream";
}

std::string status_line(int code) {
  if (code < 100 || code > 999)
    code = 500;
  auto reason = http::obsolete_reason(static_cast<http::status>(code));
  return "HTTP/1.1 " + std::to_string(code) + " "
         + std::string{reason.empty() ? "Unknown" : std::string_view{reason.data(), reason.size()}}
         + "\r\n";
}

/// Header values end at the line: no CR or LF from a handler reaches the wire.
std::string header_safe(std::string_view v) {
  std::string out{v};
  for (auto& c : out)
    if (c == '\r' || c == '\n')
      c = ' ';
  return out;
}

/// Our request value for a handler (no body: GET and HEAD only).
skywire::http::request to_handler_request(const http::request<http::empty_body>& in,
                                          const api::stream_opened& s) {
  skywire::http::request r;
  r.method = in.method();
  r.target = std::string{in.target().data(), in.target().size()};
  auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos)
    r.query = r.target.substr(q + 1);
  for (const auto& f : in)
    r.headers.emplace_back(std::string{f.name_string().data(), f.name_string().size()},
                           std::string{f.value().data(), f.value().size()});
  r.remote = s.remote.to_string();
  r.keep_alive = false;
  return r;
}

class file_session : public caf::event_based_actor {
public:
  file_session(caf::actor_config& cfg, std::shared_ptr<const file_server_config> conf,
               api::stream_opened s)
    : caf::event_based_actor(cfg), conf_(std::move(conf)), s_(std::move(s)) {
    parser_.header_limit(static_cast<uint32_t>(conf_->max_head));
    parser_.eager(false);
  }

  const char* name() const override { return "dmsghttp_file_session"; }

  caf::behavior make_behavior() override {
    send(s_.stream, api::set_owner_atom::value, caf::actor{this});
    monitor(s_.stream);
    set_down_handler([this](caf::down_msg&) { quit(); });
    delayed_send(this, conf_->head_timeout, head_timeout_atom::value);
    return {
      [this](api::data_atom, api::byte_buffer& b) { on_data(b); },
      [this](api::ack_atom, uint64_t n) {
        in_flight_ = n > in_flight_ ? 0 : in_flight_ - n;
        pump();
      },
      [this](api::closed_atom, const caf::error&) { quit(); },
      [this](head_timeout_atom) {
        if (!responded_)
          finish_with(400, "request head timeout\n");
      },
    };
  }

private:
  void on_data(api::byte_buffer& b) {
    send(s_.stream, api::consumed_atom::value, static_cast<uint32_t>(b.size()));
    if (responded_)
      return; // one request per stream; later bytes are ignored
    head_.insert(head_.end(), b.begin(), b.end());
    if (head_.size() > conf_->max_head + chunk_size)
      return finish_with(431, "request head too large\n");
    boost::beast::error_code ec;
    auto used = parser_.put(boost::asio::buffer(head_), ec);
    head_.erase(head_.begin(), head_.begin() + static_cast<std::ptrdiff_t>(used));
    if (ec == http::error::need_more)
      return;
    if (ec == http::error::header_limit)
      return finish_with(431, "request head too large\n");
    if (ec && !parser_.is_header_done())
      return finish_with(400, "malformed request: " + ec.message() + "\n");
    if (!parser_.is_header_done())
      return;
    respond(parser_.get());
  }

  void respond(const http::request<http::empty_body>& req) {
    if (!conf_->whitelist.empty()
        && std::find(conf_->whitelist.begin(), conf_->whitelist.end(), s_.remote.pk)
             == conf_->whitelist.end())
      return finish_with(403, "forbidden\n");
    bool head_only = req.method() == http::verb::head;
    if (req.method() != http::verb::get && !head_only)
      return finish_with(405, "only GET and HEAD\n");
    if (conf_->handler) {
      if (auto answer = conf_->handler(to_handler_request(req, s_), s_.remote.pk))
        return finish_response(*answer, head_only);
    }
    if (conf_->root.empty())
      return finish_with(404, "not found\n");
    auto path = resolve_target(conf_->root, std::string_view{req.target().data(),
                                                             req.target().size()});
    if (!path)
      return finish_with(400, "bad path\n");
    std::error_code ec;
    auto st = fs::status(*path, ec);
    if (ec || !fs::exists(st))
      return finish_with(404, "not found\n");
    if (fs::is_directory(st)) {
      auto index = *path / "index.html";
      if (fs::is_regular_file(index, ec)) {
        path = index;
      } else {
        std::string_view target{req.target().data(), req.target().size()};
        return finish_with(200, listing(*path, target), "text/html; charset=utf-8", head_only);
      }
    }
    file_.open(*path, std::ios::binary);
    if (!file_)
      return finish_with(403, "cannot open\n");
    remaining_ = fs::file_size(*path, ec);
    if (ec)
      return finish_with(500, "cannot stat\n");
    std::string hdr = status_line(200);
    hdr += "Content-Type: ";
    hdr += mime_type(*path);
    hdr += "\r\nContent-Length: " + std::to_string(remaining_)
           + "\r\nConnection: close\r\nServer: skywire-cpp\r\n\r\n";
    responded_ = true;
    write(api::byte_buffer(hdr.begin(), hdr.end()));
    if (head_only)
      remaining_ = 0;
    SKYWIRE_LOG(debug, component, "serving", log::kv("path", path->string()),
                log::kv("bytes", remaining_), log::kv("remote", s_.remote.pk));
    pump();
  }

  std::string listing(const fs::path& dir, std::string_view target) {
    // the path as the client meant it (resolve_target accepted its escapes)
    target = target.substr(0, std::min(target.find_first_of("?#"), target.size()));
    std::string path = wire::percent_decode(target).value_or(std::string{target});
    std::string base = path.empty() || path.back() != '/' ? path + "/" : path;
    std::string out = "<!doctype html><html><body><h1>" + html_escape(path) + "</h1><ul>";
    std::vector<std::string> names;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      names.push_back(it->path().filename().string() + (it->is_directory(ec) ? "/" : ""));
      if (names.size() >= 10000)
        break;
    }
    std::sort(names.begin(), names.end());
    for (auto& n : names)
      // the href is a URL: percent-encode it (?, #, %, space...), then
      // HTML-escape the text that names it
      out += "<li><a href=\"" + html_escape(wire::percent_encode(base + n, "/")) + "\">"
             + html_escape(n) + "</a></li>";
    out += "</ul></body></html>\n";
    return out;
  }

  void pump() {
    while (remaining_ > 0 && in_flight_ < max_chunks_in_flight * chunk_size) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, chunk_size));
      api::byte_buffer buf(n);
      file_.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(n));
      if (static_cast<size_t>(file_.gcount()) != n) {
        SKYWIRE_LOG(warn, component, "file shrank while serving");
        remaining_ = 0;
        break;
      }
      remaining_ -= n;
      write(std::move(buf));
    }
    if (responded_ && remaining_ == 0 && !closing_ && in_flight_ == 0) {
      closing_ = true;
      send(s_.stream, api::close_atom::value);
    }
  }

  void write(api::byte_buffer&& b) {
    in_flight_ += b.size();
    send(s_.stream, api::write_atom::value, std::move(b));
  }

  void finish_with(int code, std::string body, const char* type = "text/plain; charset=utf-8",
                   bool head_only = false) {
    if (responded_)
      return;
    responded_ = true;
    std::string out = status_line(code) + "Content-Type: " + type
                      + "\r\nContent-Length: " + std::to_string(body.size())
                      + "\r\nConnection: close\r\nServer: skywire-cpp\r\n\r\n";
    if (!head_only)
      out += body;
    write(api::byte_buffer(out.begin(), out.end()));
    pump();
  }

  void finish_response(const skywire::http::response& r, bool head_only) {
    if (responded_)
      return;
    responded_ = true;
    std::string out = status_line(static_cast<int>(r.status)) + "Content-Type: "
                      + header_safe(r.content_type)
                      + "\r\nContent-Length: " + std::to_string(r.body.size());
    for (const auto& [k, v] : r.headers)
      out += "\r\n" + header_safe(k) + ": " + header_safe(v);
    out += "\r\nConnection: close\r\nServer: skywire-cpp\r\n\r\n";
    if (!head_only)
      out += r.body;
    write(api::byte_buffer(out.begin(), out.end()));
    pump();
  }

  std::shared_ptr<const file_server_config> conf_;
  api::stream_opened s_;
  api::byte_buffer head_;
  http::request_parser<http::empty_body> parser_;
  std::ifstream file_;
  uint64_t remaining_ = 0;
  uint64_t in_flight_ = 0;
  bool responded_ = false;
  bool closing_ = false;
};

class file_server : public caf::event_based_actor {
public:
  file_server(caf::actor_config& cfg, api::dmsg_client_actor client, file_server_config conf)
    : caf::event_based_actor(cfg),
      client_(std::move(client)),
      conf_(std::make_shared<const file_server_config>(std::move(conf))) {
  }

  const char* name() const override { return "dmsghttp_file_server"; }

  caf::behavior make_behavior() override {
    return {
      [this](caf::ok_atom) -> caf::result<caf::ok_atom> {
        auto rp = make_response_promise<caf::ok_atom>();
        request(client_, std::chrono::seconds(10), api::listen_atom::value,
                port{conf_->dmsg_port}, caf::actor{this})
          .then([rp](api::ok_atom) mutable { rp.deliver(caf::ok_atom::value); },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [this](api::accept_atom, api::stream_opened& s) {
        spawn<file_session>(conf_, std::move(s));
      },
    };
  }

private:
  api::dmsg_client_actor client_;
  std::shared_ptr<const file_server_config> conf_;
};

} // namespace

expected<fs::path> resolve_target(const fs::path& root, std::string_view target) {
  auto q = target.find_first_of("?#");
  if (q != std::string_view::npos)
    target = target.substr(0, q);
  if (target.empty() || target.front() != '/')
    return make_error(wire_errc::bad_value, "request target must start with /");
  auto unescaped = wire::percent_decode(target);
  if (!unescaped)
    return make_error(wire_errc::malformed, "bad percent escape");
  auto& decoded = *unescaped;
  if (decoded.find('\0') != std::string::npos)
    return make_error(wire_errc::bad_value, "NUL in path");
  fs::path rel;
  for (auto& part : fs::path(decoded).relative_path()) {
    if (part == "..")
      return make_error(wire_errc::bad_value, "path leaves the root");
    if (part == "." || part.empty())
      continue;
    rel /= part;
  }
  std::error_code ec;
  auto canon_root = fs::weakly_canonical(root, ec);
  if (ec)
    return make_error(wire_errc::bad_value, "root not accessible");
  auto full = fs::weakly_canonical(canon_root / rel, ec);
  if (ec)
    return make_error(wire_errc::bad_value, "path not accessible");
  auto r = canon_root.string();
  auto f = full.string();
  if (f != r && (f.size() <= r.size() || f.compare(0, r.size(), r) != 0 || f[r.size()] != '/'))
    return make_error(wire_errc::bad_value, "path leaves the root");
  return full;
}

caf::actor spawn_dmsghttp_file_server(caf::actor_system& sys, api::dmsg_client_actor dmsg_client,
                                      file_server_config cfg) {
  return sys.spawn<file_server>(std::move(dmsg_client), std::move(cfg));
}

} // namespace skywire::dmsg_tools
