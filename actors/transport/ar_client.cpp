#include "actors/transport/ar_client.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "messages/wire/transport/entry.hpp"

namespace skywire::transport {

namespace wt = wire::transport;
namespace asio = boost::asio;

namespace {

constexpr size_t small_answer = 16 * 1024;
constexpr size_t transports_answer = 32u << 20; ///< about 470,000 keys
constexpr size_t transports_max_keys = 500'000;

caf::error bad(std::string text) {
  return make_error(client_errc::bad_response, ar_service_name, std::move(text));
}

/// "ip:port", IPv6 in brackets.
std::string join_host_port(const std::string& host, uint16_t p) {
  if (host.find(':') != std::string::npos && (host.empty() || host.front() != '['))
    return "[" + host + "]:" + std::to_string(p);
  return host + ":" + std::to_string(p);
}

} // namespace

expected<ar_client> ar_client::make(io::io_runtime& io, std::string_view base_url,
                                    const public_key& pk, const secret_key& sk,
                                    httpauth_client::options opts) {
  auto c = httpauth_client::make(io, base_url, pk, sk, std::string{ar_service_name},
                                 std::move(opts));
  if (!c)
    return std::move(c.error());
  return ar_client{std::move(*c)};
}

void ar_client::bind_stcpr(port tcp_port, std::vector<std::string> addresses,
                           done_callback cb) const {
  if (addresses.size() > wt::max_local_addresses)
    return cb(make_error(client_errc::invalid_argument, ar_service_name,
                         std::to_string(addresses.size()) + " addresses (at most "
                           + std::to_string(wt::max_local_addresses) + ")"));
  for (const auto& a : addresses) {
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(a, ec);
    (void)ip;
    if (ec || !wt::plausible_ip_text(a))
      return cb(make_error(client_errc::invalid_argument, ar_service_name,
                           "not an IP address: " + a.substr(0, 64)));
  }
  wt::local_addresses la{tcp_port, std::move(addresses)};
  http_.signed_request(http::verb::post, "/bind/stcpr", wt::encode_local_addresses_line(la),
                       small_answer, [cb = std::move(cb)](expected<http::response> r) {
                         if (!r)
                           return cb(std::move(r.error()));
                         if (r->status != 200)
                           return cb(http_error(ar_service_name, *r));
                         cb(caf::error{});
                       });
}

void ar_client::unbind_stcpr(done_callback cb) const {
  // the Go client sends json.Encoder's form of struct{}{}
  http_.signed_request(http::verb::delete_, "/bind/stcpr", "{}\n", small_answer,
                       [cb = std::move(cb)](expected<http::response> r) {
                         if (!r)
                           return cb(std::move(r.error()));
                         if (r->status != 200)
                           return cb(http_error(ar_service_name, *r));
                         cb(caf::error{});
                       });
}

void ar_client::resolve(std::string_view type, const public_key& pk, resolve_callback cb) const {
  if (type != wt::type_stcpr && type != wt::type_sudph)
    return cb(make_error(client_errc::invalid_argument, ar_service_name,
                         "the address resolver resolves stcpr and sudph, not "
                           + std::string{type.substr(0, wt::max_type_name)}));
  http_.signed_request(http::verb::get, "/resolve/" + std::string{type} + "/" + pk.hex(), {},
                       wt::max_visor_data_json,
                       [cb = std::move(cb)](expected<http::response> r) {
                         if (!r)
                           return cb(std::move(r.error()));
                         if (r->status != 200)
                           return cb(http_error(ar_service_name, *r));
                         auto vd = wt::decode_visor_data(r->body);
                         if (!vd)
                           return cb(bad("VisorData: " + describe(vd.error())));
                         cb(std::move(*vd));
                       });
}

void ar_client::transports(transports_callback cb) const {
  // public in the AR (outside its httpauth group): sent unsigned, so it
  // spends no nonce (the Go client signs it and then counts a nonce the AR
  // never consumed)
  http_.plain_request(http::verb::get, "/transports", transports_answer,
                      [cb = std::move(cb)](expected<http::response> r) {
                        if (!r)
                          return cb(std::move(r.error()));
                        if (r->status != 200)
                          return cb(http_error(ar_service_name, *r));
                        auto t = wt::decode_ar_transports(r->body, transports_max_keys);
                        if (!t)
                          return cb(bad("transports: " + describe(t.error())));
                        cb(std::move(*t));
                      });
}

void ar_client::health(health_callback cb) const {
  http_.plain_request(http::verb::get, "/health", wire::max_health_json,
                      [cb = std::move(cb)](expected<http::response> r) {
                        if (!r)
                          return cb(std::move(r.error()));
                        if (r->status != 200)
                          return cb(http_error(ar_service_name, *r));
                        auto h = wire::decode_health(r->body);
                        if (!h)
                          return cb(bad("health: " + describe(h.error())));
                        cb(std::move(*h));
                      });
}

// ---- dialing -----------------------------------------------------------------

std::vector<std::string> stcpr_dial_addresses(const wt::visor_data& vd) {
  std::vector<std::string> out;
  auto p = vd.local.prt.value;
  if (vd.is_local)
    for (const auto& a : vd.local.addresses)
      out.push_back(join_host_port(a, p));
  auto remote = join_host_port(vd.remote_addr, p);
  if (std::find(out.begin(), out.end(), remote) == out.end())
    out.push_back(std::move(remote));
  return out;
}

std::vector<std::string> sudph_dial_addresses(const wt::visor_data& vd) {
  std::vector<std::string> out;
  if (vd.is_local)
    for (const auto& a : vd.local.addresses)
      out.push_back(join_host_port(a, vd.local.prt.value));
  if (std::find(out.begin(), out.end(), vd.remote_addr) == out.end())
    out.push_back(vd.remote_addr);
  return out;
}

// ---- addresses ---------------------------------------------------------------

expected<std::vector<std::string>> local_interface_addresses() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0)
    return make_error(client_errc::invalid_argument, ar_service_name,
                      "cannot list the network interfaces");
  std::vector<std::string> out;
  for (auto* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr)
      continue;
    asio::ip::address ip;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      asio::ip::address_v4::bytes_type b;
      std::memcpy(b.data(), &sin->sin_addr, 4);
      ip = asio::ip::address_v4{b};
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      asio::ip::address_v6::bytes_type b;
      std::memcpy(b.data(), &sin6->sin6_addr, 16);
      ip = asio::ip::address_v6{b};
    } else {
      continue;
    }
    // Go's net.IP.IsGlobalUnicast() || IsLoopback()
    bool keep = ip.is_loopback();
    if (!keep && ip.is_v4()) {
      auto v4 = ip.to_v4();
      auto b = v4.to_bytes();
      bool link_local = b[0] == 169 && b[1] == 254;
      keep = !v4.is_unspecified() && !v4.is_multicast() && !link_local
             && v4 != asio::ip::address_v4::broadcast();
    } else if (!keep) {
      auto v6 = ip.to_v6();
      keep = !v6.is_unspecified() && !v6.is_multicast() && !v6.is_link_local();
    }
    if (!keep)
      continue;
    auto text = ip.to_string();
    if (std::find(out.begin(), out.end(), text) == out.end())
      out.push_back(std::move(text));
    if (out.size() >= wt::max_local_addresses)
      break;
  }
  ::freeifaddrs(list);
  return out;
}

bool is_public_ip(std::string_view text) noexcept {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(std::string{text}, ec);
  if (ec)
    return false;
  if (ip.is_v6()) {
    auto v6 = ip.to_v6();
    if (!v6.is_v4_mapped())
      return false;
    ip = asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
  }
  auto b = ip.to_v4().to_bytes();
  if (b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224)
    return false; // this network, private, loopback, multicast, 240/4 and broadcast
  if (b[0] == 169 && b[1] == 254)
    return false; // link-local
  if (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
    return false;
  if (b[0] == 192 && b[1] == 168)
    return false;
  if (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
    return false; // shared address space (carrier-grade NAT)
  return true;
}

// ---- stcpr heartbeat ---------------------------------------------------------

struct stcpr_heartbeat::loop : std::enable_shared_from_this<stcpr_heartbeat::loop> {
  loop(ar_client c, port p, address_source a, result_callback r, options o)
    : client(std::move(c)), prt(p), addresses(std::move(a)), on_result(std::move(r)), opts(o),
      timer(client.auth().io().context()), retry(o.retry_delay) {}

  ar_client client;
  port prt;
  address_source addresses;
  result_callback on_result;
  options opts;
  asio::steady_timer timer; ///< touched on its (one-thread) context only
  std::chrono::milliseconds retry;
  bool stopped = false; ///< touched on the timer's context only

  void bind_now() {
    if (stopped)
      return;
    auto list = addresses ? addresses() : std::vector<std::string>{};
    auto self = shared_from_this();
    client.bind_stcpr(prt, std::move(list), [self](caf::error err) {
      asio::post(self->timer.get_executor(), [self, err = std::move(err)]() mutable {
        if (self->stopped)
          return;
        std::chrono::milliseconds next = self->opts.interval;
        if (err) {
          next = std::min(self->retry, self->opts.interval);
          self->retry = std::min(self->retry * 2, self->opts.interval);
        } else {
          self->retry = self->opts.retry_delay;
        }
        if (self->on_result)
          self->on_result(std::move(err));
        self->schedule(next);
      });
    });
  }

  void schedule(std::chrono::milliseconds d) {
    timer.expires_after(d);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->stopped)
        return;
      self->bind_now();
    });
  }
};

stcpr_heartbeat::stcpr_heartbeat(ar_client client, port tcp_port, address_source addresses,
                                 result_callback on_result, options opts) {
  if (opts.interval.count() <= 0)
    opts.interval = reference_interval;
  if (opts.retry_delay.count() <= 0)
    opts.retry_delay = std::chrono::seconds{5};
  loop_ = std::make_shared<loop>(std::move(client), tcp_port, std::move(addresses),
                                 std::move(on_result), opts);
}

stcpr_heartbeat::~stcpr_heartbeat() {
  stop();
}

void stcpr_heartbeat::start() {
  asio::post(loop_->timer.get_executor(), [l = loop_] {
    if (!l->stopped)
      l->bind_now();
  });
}

void stcpr_heartbeat::stop(bool unbind, ar_client::done_callback done) {
  asio::post(loop_->timer.get_executor(), [l = loop_, unbind, done = std::move(done)]() mutable {
    l->stopped = true;
    l->timer.cancel();
    if (unbind)
      return l->client.unbind_stcpr(std::move(done));
    if (done)
      done(caf::error{});
  });
}

} // namespace skywire::transport
