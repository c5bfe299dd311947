#include "actors/dmsg/discovery_client.hpp"

#include <chrono>
#include <utility>

#include "runtime/crypto/keys.hpp"
#include "runtime/http/client.hpp"

namespace skywire::dmsg {

int64_t unix_now_ns() noexcept {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

void sign_entry(entry& e, const secret_key& sk) {
  e.sig.reset();
  auto text = wire::dmsg::encode_for_signing(e);
  e.sig = crypto::sign(byte_span{reinterpret_cast<const uint8_t*>(text.data()), text.size()}, sk);
}

entry make_client_entry(const public_key& pk, std::vector<public_key> servers,
                        std::string client_type) {
  entry e;
  e.version = std::string{wire::dmsg::entry_version};
  e.sequence = 0;
  e.timestamp = unix_now_ns();
  e.static_pk = pk;
  e.client = wire::dmsg::client_part{std::move(servers)};
  e.client_type = std::move(client_type);
  return e;
}

std::string discovery_message(std::string_view body) {
  constexpr std::string_view key = "\"message\":\"";
  auto pos = body.find(key);
  if (pos != std::string_view::npos) {
    auto start = pos + key.size();
    auto end = body.find('"', start);
    if (end != std::string_view::npos && end - start <= 512)
      return std::string{body.substr(start, end - start)};
  }
  return std::string{body.substr(0, 200)};
}

namespace {

caf::error http_failure(const http::response& r) {
  if (r.status == 404)
    return make_error(dmsg_errc::entry_not_found, discovery_message(r.body));
  return make_error(client_errc::discovery_failed,
                    "HTTP " + std::to_string(r.status) + ": " + discovery_message(r.body));
}

bool is_wrong_sequence(const caf::error& err) {
  if (!is(err, client_errc::discovery_failed))
    return false;
  auto text = describe(err);
  return text.find("HTTP 422") != std::string::npos
         && text.find("sequence") != std::string::npos;
}

} // namespace

expected<discovery_client> discovery_client::make(io::io_runtime& io, std::string_view base_url,
                                                  std::chrono::milliseconds timeout,
                                                  http::client_sender send) {
  auto u = http::parse_url(base_url);
  if (!u)
    return make_error(client_errc::invalid_argument,
                      "discovery URL " + std::string{base_url} + ": " + describe(u.error()));
  std::string prefix = u->target;
  if (auto q = prefix.find('?'); q != std::string::npos)
    prefix.resize(q);
  while (!prefix.empty() && prefix.back() == '/')
    prefix.pop_back();
  if (u->scheme != "http" && !send)
    return make_error(client_errc::invalid_argument,
                      "discovery URL " + std::string{base_url}
                        + ": a dmsg:// discovery needs dmsghttp (pre-seeded dmsg servers)");
  return discovery_client{io,       std::string{base_url}, std::move(u->scheme),
                          std::move(u->host), u->port, std::move(prefix), timeout,
                          std::move(send)};
}

http::client_request discovery_client::make_request(http::verb method, std::string target,
                                                     size_t limit) const {
  http::client_request req;
  req.scheme = scheme_;
  req.method = method;
  req.host = host_;
  req.port = port_;
  req.target = prefix_ + target;
  req.timeout = timeout_;
  req.response_limit = limit;
  return req;
}

void discovery_client::send(http::client_request req, http::client_callback cb) const {
  if (send_)
    send_(std::move(req), std::move(cb));
  else
    http::async_request(*io_, std::move(req), std::move(cb));
}

void discovery_client::get_entry(const public_key& pk, entry_callback cb) const {
  auto req = make_request(http::verb::get, "/dmsg-discovery/entry/" + pk.hex(), 64 * 1024);
  send(std::move(req), [pk, cb = std::move(cb)](expected<http::response> r) {
    if (!r)
      return cb(make_error(client_errc::discovery_failed, describe(r.error())));
    if (r->status != 200)
      return cb(http_failure(*r));
    auto e = wire::dmsg::decode(r->body);
    if (!e)
      return cb(make_error(client_errc::discovery_failed, "bad entry: " + describe(e.error())));
    if (e->static_pk != pk)
      return cb(make_error(client_errc::discovery_failed, "entry is for another key"));
    if (!e->sig)
      return cb(make_error(client_errc::discovery_failed, "entry is not signed"));
    auto text = wire::dmsg::encode_for_signing(*e);
    if (auto err = crypto::verify(
          byte_span{reinterpret_cast<const uint8_t*>(text.data()), text.size()}, pk, *e->sig))
      return cb(make_error(client_errc::discovery_failed, "entry signature: " + describe(err)));
    cb(std::move(*e));
  });
}

void discovery_client::post_entry(const entry& signed_entry, done_callback cb) const {
  auto req = make_request(http::verb::post, "/dmsg-discovery/entry/", 16 * 1024);
  req.body = wire::dmsg::encode(signed_entry);
  send(std::move(req), [cb = std::move(cb)](expected<http::response> r) {
    if (!r)
      return cb(make_error(client_errc::discovery_failed, describe(r.error())));
    if (r->status != 200)
      return cb(http_failure(*r));
    cb(caf::error{});
  });
}

void discovery_client::put_entry(entry e, const secret_key& sk, entry_callback cb) const {
  e.timestamp = unix_now_ns();
  sign_entry(e, sk);
  auto self = *this;
  post_entry(e, [self, e, sk, cb = std::move(cb)](caf::error err) mutable {
    if (!err)
      return cb(std::move(e));
    if (!is_wrong_sequence(err))
      return cb(std::move(err));
    // The discovery holds a newer sequence (e.g. from before a restart).
    self.get_entry(e.static_pk, [self, e, sk, cb = std::move(cb)](expected<entry> stored) mutable {
      if (!stored)
        return cb(std::move(stored.error()));
      e.sequence = stored->sequence + 1;
      e.timestamp = std::max(unix_now_ns(), stored->timestamp);
      sign_entry(e, sk);
      self.post_entry(e, [e, cb = std::move(cb)](caf::error err2) mutable {
        if (err2)
          return cb(std::move(err2));
        cb(std::move(e));
      });
    });
  });
}

void discovery_client::delete_entry(const entry& signed_entry, done_callback cb) const {
  auto req = make_request(http::verb::delete_, "/dmsg-discovery/entry", 16 * 1024);
  req.body = wire::dmsg::encode(signed_entry);
  send(std::move(req), [cb = std::move(cb)](expected<http::response> r) {
    if (!r)
      return cb(make_error(client_errc::discovery_failed, describe(r.error())));
    if (r->status != 200)
      return cb(http_failure(*r));
    cb(caf::error{});
  });
}

void discovery_client::list(std::string_view path, list_callback cb) const {
  auto req = make_request(http::verb::get, std::string{path}, 4 << 20);
  send(std::move(req), [cb = std::move(cb)](expected<http::response> r) {
    if (!r)
      return cb(make_error(client_errc::discovery_failed, describe(r.error())));
    if (r->status == 404)
      return cb(std::vector<entry>{});
    if (r->status != 200)
      return cb(http_failure(*r));
    auto list = wire::dmsg::decode_list(r->body);
    if (!list)
      return cb(make_error(client_errc::discovery_failed, "bad server list: " + describe(list.error())));
    std::vector<entry> servers;
    servers.reserve(list->size());
    for (auto& e : *list)
      if (e.is_server())
        servers.push_back(std::move(e));
    cb(std::move(servers));
  });
}

void discovery_client::available_servers(list_callback cb) const {
  list("/dmsg-discovery/available_servers", std::move(cb));
}

void discovery_client::all_servers(list_callback cb) const {
  list("/dmsg-discovery/all_servers", std::move(cb));
}

} // namespace skywire::dmsg
