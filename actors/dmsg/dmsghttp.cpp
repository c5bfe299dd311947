#include "actors/dmsg/dmsghttp.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "runtime/http/error.hpp"
#include "runtime/http/stream_exchange.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::dmsg {

namespace {

constexpr const char* component = "dmsghttp";

using exchange_timeout_atom = caf::atom_constant<caf::atom("dh_tmo")>;

api::byte_buffer to_bytes(const std::string& s) {
  return api::byte_buffer(s.begin(), s.end());
}

/// One request over one dmsg stream (the client side).
class exchange_actor : public caf::event_based_actor {
public:
  exchange_actor(caf::actor_config& cfg, api::dmsg_client_actor client, skywire::address remote,
                 http::client_request req, http::client_callback cb)
    : caf::event_based_actor(cfg), client_(std::move(client)), remote_(remote),
      req_(std::move(req)), cb_(std::move(cb)), reader_(req_.header_limit, req_.response_limit) {}

  const char* name() const override { return "dmsghttp_exchange"; }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg&) {
      on_closed(make_error(http::http_errc::closed, "the dmsg stream's actor ended"));
    });
    delayed_send(this, req_.timeout, exchange_timeout_atom::value);
    request(client_, req_.timeout, api::dial_atom::value, remote_)
      .then(
        [this](api::stream_opened& s) {
          if (done_) {
            send(s.stream, api::close_atom::value);
            return;
          }
          stream_ = s.stream;
          send(stream_, api::set_owner_atom::value, caf::actor{this});
          monitor(stream_);
          send(stream_, api::write_atom::value, to_bytes(http::serialize_request(req_)));
        },
        [this](caf::error& err) {
          if (err == caf::sec::request_timeout)
            return finish(timeout_error());
          finish(make_error(http::http_errc::connect_failed,
                            "dmsg dial " + remote_.to_string() + ": " + describe(err)));
        });
    return {
      [this](api::data_atom, api::byte_buffer& b) {
        if (stream_)
          send(stream_, api::consumed_atom::value, static_cast<uint32_t>(b.size()));
        if (done_)
          return;
        auto st = reader_.feed(b);
        if (st == http::response_reader::state::done)
          finish(reader_.take());
        else if (st == http::response_reader::state::failed)
          finish(reader_.error());
      },
      [](api::ack_atom, uint64_t) {},
      [this](api::closed_atom, const caf::error& err) { on_closed(err); },
      [this](exchange_timeout_atom) { finish(timeout_error()); },
    };
  }

private:
  caf::error timeout_error() const {
    return make_error(http::http_errc::timeout, "no response within "
                                                  + std::to_string(req_.timeout.count())
                                                  + " ms from dmsg://" + remote_.to_string());
  }

  void on_closed(const caf::error& err) {
    if (done_)
      return;
    stream_ = nullptr; // ended: nothing more to send it
    if (reader_.finish() == http::response_reader::state::done)
      return finish(reader_.take());
    if (err)
      return finish(make_error(http::http_errc::closed, "dmsg stream to " + remote_.to_string()
                                                          + " failed: " + describe(err)));
    finish(reader_.error());
  }

  void finish(expected<http::response> result) {
    if (done_)
      return;
    done_ = true;
    if (stream_)
      send(stream_, api::close_atom::value);
    auto cb = std::move(cb_);
    cb_ = nullptr;
    if (cb)
      cb(std::move(result));
    quit();
  }

  api::dmsg_client_actor client_;
  skywire::address remote_;
  http::client_request req_;
  http::client_callback cb_;
  http::response_reader reader_;
  api::dmsg_stream_actor stream_;
  bool done_ = false;
};

/// One accepted stream served by the HTTP server (the server side).
class conn_actor : public caf::event_based_actor {
public:
  conn_actor(caf::actor_config& cfg, api::stream_opened s, std::shared_ptr<http::server> srv)
    : caf::event_based_actor(cfg), s_(std::move(s)), srv_(std::move(srv)) {}

  const char* name() const override { return "dmsghttp_conn"; }

  caf::behavior make_behavior() override {
    send(s_.stream, api::set_owner_atom::value, caf::actor{this});
    monitor(s_.stream);
    set_down_handler([this](caf::down_msg&) { end(); });
    auto stream = s_.stream;
    http::external_peer p;
    p.source = s_.remote.pk.hex();
    p.remote = s_.remote.to_string();
    p.write = [stream](std::string bytes) {
      caf::anon_send(stream, api::write_atom::value, to_bytes(bytes));
    };
    p.close = [stream] { caf::anon_send(stream, api::close_atom::value); };
    conn_ = srv_->attach(std::move(p));
    return {
      [this](api::data_atom, api::byte_buffer& b) {
        if (conn_)
          conn_->feed(b);
        send(s_.stream, api::consumed_atom::value, static_cast<uint32_t>(b.size()));
      },
      [](api::ack_atom, uint64_t) {},
      [this](api::closed_atom, const caf::error&) { end(); },
    };
  }

private:
  void end() {
    if (conn_)
      conn_->peer_closed();
    conn_ = nullptr;
    quit();
  }

  api::stream_opened s_;
  std::shared_ptr<http::server> srv_;
  http::external_connection_ptr conn_;
};

class listener_actor : public caf::event_based_actor {
public:
  listener_actor(caf::actor_config& cfg, api::dmsg_client_actor client,
                 std::shared_ptr<http::server> srv, dmsghttp_server_options opts)
    : caf::event_based_actor(cfg), client_(std::move(client)), srv_(std::move(srv)),
      opts_(opts) {}

  const char* name() const override { return "dmsghttp_server"; }

  caf::behavior make_behavior() override {
    return {
      [this](caf::ok_atom) -> caf::result<caf::ok_atom> {
        auto rp = make_response_promise<caf::ok_atom>();
        request(client_, opts_.listen_timeout, api::listen_atom::value, port{opts_.port},
                caf::actor{this})
          .then([rp](api::ok_atom) mutable { rp.deliver(caf::ok_atom::value); },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [this](api::accept_atom, api::stream_opened& s) {
        SKYWIRE_LOG(debug, component, "request stream", log::kv("remote", s.remote.to_string()));
        spawn<conn_actor>(std::move(s), srv_);
      },
    };
  }

private:
  api::dmsg_client_actor client_;
  std::shared_ptr<http::server> srv_;
  dmsghttp_server_options opts_;
};

} // namespace

expected<skywire::address> dmsghttp_address(const http::client_request& req) {
  if (req.scheme != "dmsg")
    return http::make_error(http::http_errc::bad_url, req.scheme + "://" + req.host
                                                        + " is not a dmsg:// URL");
  auto pk = public_key::from_hex(req.host);
  if (!pk || pk->is_null())
    return http::make_error(http::http_errc::bad_url,
                            "dmsg://" + req.host + ": not a public key (66 hex digits)");
  if (req.port == 0)
    return http::make_error(http::http_errc::bad_url, "dmsg://" + req.host + ": port 0");
  return skywire::address{*pk, port{req.port}};
}

void dmsghttp_request(caf::actor_system& sys, api::dmsg_client_actor client,
                      http::client_request req, http::client_callback cb) {
  auto remote = dmsghttp_address(req);
  if (!remote)
    return cb(std::move(remote.error()));
  if (!client)
    return cb(http::make_error(http::http_errc::connect_failed,
                               "dmsg://" + remote->to_string() + ": no dmsg client"));
  sys.spawn<exchange_actor>(std::move(client), *remote, std::move(req), std::move(cb));
}

http::client_sender make_service_sender(caf::actor_system& sys, io::io_runtime& io,
                                        client_ref_ptr client) {
  return [sys = &sys, io = &io, ref = std::move(client)](http::client_request req,
                                                          http::client_callback cb) {
    if (req.scheme != "dmsg")
      return http::async_request(*io, std::move(req), std::move(cb));
    auto c = ref ? ref->get() : api::dmsg_client_actor{};
    if (!c)
      return cb(http::make_error(http::http_errc::connect_failed,
                                 "dmsg://" + req.host + ": no dmsg client is running "
                                 "(dmsghttp needs the dmsg section of the config)"));
    dmsghttp_request(*sys, std::move(c), std::move(req), std::move(cb));
  };
}

bool is_dmsg_url(std::string_view url) noexcept {
  return url.substr(0, 7) == "dmsg://";
}

expected<public_key> dmsg_url_key(std::string_view url) {
  auto u = http::parse_url(url);
  if (!u)
    return u.error();
  if (u->scheme != "dmsg")
    return http::make_error(http::http_errc::bad_url, std::string{url} + " is not a dmsg:// URL");
  auto pk = public_key::from_hex(u->host);
  if (!pk || pk->is_null())
    return http::make_error(http::http_errc::bad_url,
                            std::string{url} + ": not a public key (66 hex digits)");
  return *pk;
}

caf::actor spawn_dmsghttp_server(caf::actor_system& sys, api::dmsg_client_actor client,
                                 std::shared_ptr<http::server> server,
                                 dmsghttp_server_options opts) {
  return sys.spawn<listener_actor>(std::move(client), std::move(server), opts);
}

} // namespace skywire::dmsg
