#include "actors/transport/httpauth_client.hpp"

#include <deque>
#include <mutex>
#include <utility>

#include "actors/transport/client_errors.hpp"
#include "messages/wire/httpauth.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::transport {

namespace {

constexpr size_t nonce_response_limit = 4096;

struct job {
  http::verb method;
  std::string path;
  std::string body;
  size_t limit;
  httpauth_client::response_callback cb;
};
using job_ptr = std::shared_ptr<job>;

bool success(unsigned status) noexcept {
  return status >= 200 && status < 300;
}

/// Whether the answer asks for a fresh nonce (Go: the body is an httpauth
/// error with code 401 or the nonce-mismatch text, whatever the status).
bool wants_new_nonce(const http::response& r) {
  if (success(r.status) || r.body.size() > wire::max_httpauth_json)
    return false;
  auto e = wire::decode_httpauth_error(r.body);
  return e && wire::httpauth_should_refetch_nonce(*e);
}

} // namespace

struct httpauth_client::state {
  io::io_runtime* io = nullptr;
  std::string url;
  std::string scheme = "http";
  std::string host;
  uint16_t port = 80;
  std::string prefix; ///< without trailing '/'
  public_key pk;
  secret_key sk;
  std::string service;
  options opts;

  std::mutex mtx;
  std::optional<uint64_t> nonce; ///< guarded by mtx
  std::deque<job_ptr> queue;     ///< guarded by mtx
  bool running = false;          ///< a signed request is in flight; guarded by mtx

  http::client_request request(http::verb method, std::string path, std::string body,
                               size_t limit) const {
    http::client_request req;
    req.scheme = scheme;
    req.method = method;
    req.host = host;
    req.port = port;
    req.target = prefix + path;
    req.body = std::move(body);
    req.timeout = opts.timeout;
    req.response_limit = limit;
    return req;
  }

  void send(http::client_request req, http::client_callback cb) {
    if (opts.send)
      opts.send(std::move(req), std::move(cb));
    else
      http::async_request(*io, std::move(req), std::move(cb));
  }

  caf::error unreachable(const caf::error& err) const {
    return make_error(client_errc::unreachable, service, describe(err));
  }
};

namespace {

using state_ptr = std::shared_ptr<httpauth_client::state>;

void fetch(const state_ptr& st, httpauth_client::nonce_callback cb) {
  auto req = st->request(http::verb::get, "/security/nonces/" + st->pk.hex(), {},
                         nonce_response_limit);
  st->send(std::move(req), [st, cb = std::move(cb)](expected<http::response> r) {
    if (!r)
      return cb(st->unreachable(r.error()));
    if (r->status != 200)
      return cb(http_error(st->service, *r));
    auto n = wire::decode_nonce_response(r->body);
    if (!n)
      return cb(make_error(client_errc::bad_response, st->service,
                           "nonce answer: " + describe(n.error())));
    if (n->edge != st->pk)
      return cb(make_error(client_errc::bad_response, st->service,
                           "nonce answer is for another key"));
    cb(n->next_nonce);
  });
}

void run(const state_ptr& st, job_ptr j);

/// Delivers a job's result, then starts the next queued job, if any.
void finish(const state_ptr& st, const job_ptr& j, expected<http::response> result) {
  j->cb(std::move(result));
  job_ptr next;
  {
    std::lock_guard<std::mutex> g{st->mtx};
    if (st->queue.empty()) {
      st->running = false;
      return;
    }
    next = std::move(st->queue.front());
    st->queue.pop_front();
  }
  run(st, std::move(next));
}

void attempt(const state_ptr& st, const job_ptr& j, uint64_t n, bool retried) {
  auto req = st->request(j->method, j->path, j->body, j->limit);
  auto sig = crypto::sign(wire::httpauth_payload(req.body, n), st->sk);
  std::optional<std::string> ip; // only over dmsghttp, as the reference
  if (st->opts.public_ip && st->url.starts_with("dmsg://"))
    ip = st->opts.public_ip();
  for (auto& h : wire::httpauth_header_list({st->pk, n, sig, ip}))
    req.headers.push_back(std::move(h));
  st->send(std::move(req), [st, j, n, retried](expected<http::response> r) {
    if (!r) {
      {
        // the service may have consumed the nonce before the answer was lost
        std::lock_guard<std::mutex> g{st->mtx};
        st->nonce.reset();
      }
      return finish(st, j, st->unreachable(r.error()));
    }
    if (!retried && wants_new_nonce(*r)) {
      return fetch(st, [st, j](expected<uint64_t> fresh) {
        if (!fresh)
          return finish(st, j, std::move(fresh.error()));
        {
          std::lock_guard<std::mutex> g{st->mtx};
          st->nonce = *fresh;
        }
        attempt(st, j, *fresh, true);
      });
    }
    {
      std::lock_guard<std::mutex> g{st->mtx};
      if (success(r->status))
        st->nonce = n + 1;
      else if (r->status == 401)
        st->nonce.reset();
    }
    finish(st, j, std::move(*r));
  });
}

void run(const state_ptr& st, job_ptr j) {
  std::optional<uint64_t> n;
  {
    std::lock_guard<std::mutex> g{st->mtx};
    n = st->nonce;
  }
  if (n)
    return attempt(st, j, *n, false);
  fetch(st, [st, j](expected<uint64_t> fresh) {
    if (!fresh)
      return finish(st, j, std::move(fresh.error()));
    {
      std::lock_guard<std::mutex> g{st->mtx};
      st->nonce = *fresh;
    }
    attempt(st, j, *fresh, false);
  });
}

} // namespace

expected<httpauth_client> httpauth_client::make(io::io_runtime& io, std::string_view base_url,
                                                const public_key& pk, const secret_key& sk,
                                                std::string service, options opts) {
  auto u = http::parse_url(base_url);
  if (!u)
    return make_error(client_errc::invalid_argument, service,
                      "URL " + std::string{base_url} + ": " + describe(u.error()));
  if (u->scheme != "http" && !opts.send)
    return make_error(client_errc::invalid_argument, service,
                      "URL " + std::string{base_url}
                        + ": a dmsg:// service needs dmsghttp (the visor's dmsg client)");
  auto st = std::make_shared<state>();
  st->io = &io;
  st->url = std::string{base_url};
  st->scheme = std::move(u->scheme);
  st->host = std::move(u->host);
  st->port = u->port;
  st->prefix = u->target;
  if (auto q = st->prefix.find('?'); q != std::string::npos)
    st->prefix.resize(q);
  while (!st->prefix.empty() && st->prefix.back() == '/')
    st->prefix.pop_back();
  st->pk = pk;
  st->sk = sk;
  st->service = std::move(service);
  st->opts = std::move(opts);
  if (st->opts.max_queued == 0)
    st->opts.max_queued = 1;
  return httpauth_client{std::move(st)};
}

void httpauth_client::signed_request(http::verb method, std::string path, std::string body,
                                     size_t response_limit, response_callback cb) const {
  auto j = std::make_shared<job>(
    job{method, std::move(path), std::move(body), response_limit, std::move(cb)});
  bool start = false;
  bool refuse = false;
  {
    std::lock_guard<std::mutex> g{st_->mtx};
    if (!st_->running)
      start = st_->running = true;
    else if (st_->queue.size() >= st_->opts.max_queued)
      refuse = true;
    else
      st_->queue.push_back(j);
  }
  if (refuse)
    return j->cb(make_error(client_errc::busy, st_->service,
                            std::to_string(st_->opts.max_queued)
                              + " signed requests are waiting"));
  if (start)
    run(st_, std::move(j));
}

void httpauth_client::plain_request(http::verb method, std::string path, size_t response_limit,
                                    response_callback cb) const {
  auto st = st_;
  st->send(st->request(method, std::move(path), {}, response_limit),
           [st, cb = std::move(cb)](expected<http::response> r) {
             if (!r)
               return cb(st->unreachable(r.error()));
             cb(std::move(*r));
           });
}

void httpauth_client::fetch_nonce(nonce_callback cb) const {
  fetch(st_, std::move(cb));
}

std::optional<uint64_t> httpauth_client::nonce() const {
  std::lock_guard<std::mutex> g{st_->mtx};
  return st_->nonce;
}

const public_key& httpauth_client::pk() const noexcept {
  return st_->pk;
}

const std::string& httpauth_client::service() const noexcept {
  return st_->service;
}

const std::string& httpauth_client::base_url() const noexcept {
  return st_->url;
}

io::io_runtime& httpauth_client::io() const noexcept {
  return *st_->io;
}

} // namespace skywire::transport
