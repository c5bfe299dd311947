#include "actors/dmsg_tools/http_fetch.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <caf/event_based_actor.hpp>

#include <caf/make_message.hpp>
#include <caf/sec.hpp>

#include "actors/dmsg/errors.hpp"
#include "messages/api/dmsg.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::dmsg_tools {

namespace http = boost::beast::http;

namespace {

using idle_atom = caf::atom_constant<caf::atom("hf_idle")>;

const char* fetch_code_name(uint8_t code) noexcept {
  return to_string(static_cast<fetch_errc>(code));
}

class http_fetch : public caf::event_based_actor {
public:
  http_fetch(caf::actor_config& cfg, api::dmsg_client_actor client, fetch_request req, body_sink sink,
             progress_fn progress)
    : caf::event_based_actor(cfg),
      client_(std::move(client)),
      req_(std::move(req)),
      sink_(std::move(sink)),
      progress_(std::move(progress)) {
    parser_.body_limit(req_.max_body);
    parser_.header_limit(64 * 1024);
  }

  const char* name() const override { return "dmsghttp_fetch"; }

  caf::behavior make_behavior() override {
    return {
      [this](caf::ok_atom) -> caf::result<fetch_result> {
        rp_ = make_response_promise<fetch_result>();
        start();
        return rp_;
      },
      [this](api::data_atom, api::byte_buffer& b) { on_data(b); },
      [](api::ack_atom, uint64_t) {},
      [this](api::closed_atom, const caf::error& err) { on_closed(err); },
      [this](idle_atom, uint64_t gen) {
        if (gen == activity_ && !done_)
          fail(make_error(fetch_errc::timeout,
                          "no data for " + std::to_string(req_.idle_timeout.count()) + " ms"
                            + (header_seen_ ? " after " + std::to_string(received_) + " body bytes"
                                            : " (no response yet)")));
        else if (!done_)
          arm_idle();
      },
    };
  }

private:
  void start() {
    skywire::address remote{req_.url.pk, port{req_.url.port}};
    request(client_, req_.dial_timeout, api::dial_atom::value, remote)
      .then(
        [this](api::stream_opened& s) {
          stream_ = s.stream;
          send(stream_, api::set_owner_atom::value, caf::actor{this});
          monitor(stream_);
          set_down_handler([this](caf::down_msg& dm) {
            if (!done_)
              on_closed(dm.reason == caf::exit_reason::normal ? caf::error{} : dm.reason);
          });
          std::string head = req_.method + " " + req_.url.target + " HTTP/1.1\r\nHost: "
                             + req_.url.pk.hex() + ":" + std::to_string(req_.url.port)
                             + "\r\nUser-Agent: skywire-cpp\r\nAccept: */*\r\n";
          if (!req_.body.empty() || req_.method == "POST")
            head += "Content-Type: " + req_.content_type + "\r\nContent-Length: "
                    + std::to_string(req_.body.size()) + "\r\n";
          head += "Connection: close\r\n\r\n";
          head += req_.body;
          send(stream_, api::write_atom::value, api::byte_buffer(head.begin(), head.end()));
          arm_idle();
        },
        [this](caf::error& err) {
          auto code = classify_dial_error(err);
          std::string what = code == fetch_errc::resolve   ? "could not resolve "
                             : code == fetch_errc::timeout ? "timed out dialling "
                                                           : "could not connect to ";
          fail(make_error(code, what + req_.url.pk.hex() + ":" + std::to_string(req_.url.port)
                                  + ": " + dmsg::failure_cause(err) + " (" + describe(err)
                                  + ")"));
        });
  }

  void arm_idle() {
    delayed_send(this, req_.idle_timeout, idle_atom::value, ++activity_);
  }

  void on_data(api::byte_buffer& b) {
    if (done_)
      return;
    ++activity_;
    pending_.insert(pending_.end(), b.begin(), b.end());
    uint32_t consumed = static_cast<uint32_t>(b.size());
    while (!pending_.empty() && !parser_.is_done()) {
      parser_.get().body().data = out_;
      parser_.get().body().size = sizeof(out_);
      boost::beast::error_code ec;
      auto used = parser_.put(boost::asio::buffer(pending_), ec);
      size_t produced = sizeof(out_) - parser_.get().body().size;
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
      if (produced > 0) {
        received_ += produced;
        if (!sink_(out_, produced))
          return fail(make_error(fetch_errc::write, "cannot write the output"));
        report(false);
      }
      if (ec == http::error::need_buffer)
        continue;
      if (ec == http::error::need_more)
        break;
      if (ec)
        return fail(make_error(parser_.is_header_done() ? fetch_errc::receive
                                                        : fetch_errc::bad_response,
                               "bad response: " + ec.message()));
      if (used == 0 && produced == 0)
        break;
    }
    send(stream_, api::consumed_atom::value, consumed);
    if (parser_.is_header_done() && !header_seen_) {
      header_seen_ = true;
      if (auto len = parser_.content_length())
        total_ = *len;
    }
    if (parser_.is_done())
      succeed();
  }

  void on_closed(const caf::error& err) {
    if (done_)
      return;
    // an HTTP/1.0-style body ends with the connection
    if (parser_.is_header_done() && !parser_.content_length() && !parser_.chunked()) {
      boost::beast::error_code ec;
      parser_.put_eof(ec);
      if (!ec)
        return succeed();
    }
    std::string when = parser_.is_header_done()
                         ? "after " + std::to_string(received_) + " body bytes"
                         : "before a response";
    if (err)
      return fail(make_error(fetch_errc::receive, "stream failed " + when + ": "
                                                    + dmsg::failure_cause(err) + " ("
                                                    + describe(err) + ")"));
    fail(make_error(fetch_errc::receive, "stream closed " + when));
  }

  void report(bool final) {
    if (!progress_)
      return;
    auto now = std::chrono::steady_clock::now();
    if (!final && now - last_report_ < std::chrono::milliseconds(200))
      return;
    last_report_ = now;
    progress_(received_, total_);
  }

  void succeed() {
    done_ = true;
    report(true);
    fetch_result res;
    res.status = parser_.get().result_int();
    res.body_bytes = received_;
    auto ct = parser_.get()[http::field::content_type];
    res.content_type.assign(ct.data(), ct.size());
    rp_.deliver(res);
    if (stream_)
      send(stream_, api::close_atom::value);
    quit();
  }

  void fail(caf::error err) {
    if (done_)
      return;
    done_ = true;
    rp_.deliver(std::move(err));
    if (stream_)
      send(stream_, api::close_atom::value);
    quit();
  }

  api::dmsg_client_actor client_;
  fetch_request req_;
  body_sink sink_;
  progress_fn progress_;
  caf::response_promise rp_;
  api::dmsg_stream_actor stream_;
  http::response_parser<http::buffer_body> parser_;
  api::byte_buffer pending_;
  uint8_t out_[64 * 1024];
  uint64_t received_ = 0;
  std::optional<uint64_t> total_;
  bool header_seen_ = false;
  bool done_ = false;
  uint64_t activity_ = 0;
  std::chrono::steady_clock::time_point last_report_{};
};

} // namespace

const char* to_string(fetch_errc x) noexcept {
  switch (x) {
    case fetch_errc::resolve: return "could_not_resolve";
    case fetch_errc::connect: return "could_not_connect";
    case fetch_errc::bad_response: return "bad_response";
    case fetch_errc::write: return "write_error";
    case fetch_errc::timeout: return "timeout";
    case fetch_errc::receive: return "receive_error";
  }
  return "unknown";
}

caf::atom_value fetch_category() noexcept {
  return caf::atom("dmsghttp");
}

caf::error make_error(fetch_errc code, std::string context) {
  register_error_category(fetch_category(), fetch_code_name);
  return caf::error{static_cast<uint8_t>(code), fetch_category(),
                    caf::make_message(std::move(context))};
}

std::optional<fetch_errc> fetch_code(const caf::error& err) noexcept {
  if (!err || err.category() != fetch_category())
    return std::nullopt;
  switch (static_cast<fetch_errc>(err.code())) {
    case fetch_errc::resolve:
    case fetch_errc::connect:
    case fetch_errc::bad_response:
    case fetch_errc::write:
    case fetch_errc::timeout:
    case fetch_errc::receive: return static_cast<fetch_errc>(err.code());
  }
  return std::nullopt;
}

fetch_errc classify_dial_error(const caf::error& err) noexcept {
  using dmsg::client_errc;
  using dmsg::dmsg_errc;
  if (err == caf::sec::request_timeout || dmsg::is(err, client_errc::timeout))
    return fetch_errc::timeout;
  if (dmsg::is(err, dmsg_errc::entry_not_found) || dmsg::is(err, dmsg_errc::entry_not_client)
      || dmsg::is(err, dmsg_errc::no_delegated_servers)
      || dmsg::is(err, client_errc::discovery_failed)
      || dmsg::is(err, client_errc::invalid_argument))
    return fetch_errc::resolve;
  return fetch_errc::connect;
}

int curl_exit_code(const caf::error& err) noexcept {
  auto code = fetch_code(err);
  return code ? static_cast<int>(*code) : static_cast<int>(fetch_errc::receive);
}

std::string fetch_failure_text(const caf::error& err) {
  if (fetch_code(err)) {
    const auto& ctx = err.context();
    if (!ctx.empty() && ctx.match_element<std::string>(0))
      return ctx.get_as<std::string>(0);
  }
  return describe(err);
}

expected<dmsg_url> parse_dmsg_url(std::string_view text) {
  constexpr std::string_view scheme = "dmsg://";
  if (text.substr(0, scheme.size()) != scheme)
    return make_error(wire_errc::malformed, "URL must start with dmsg://");
  text.remove_prefix(scheme.size());
  auto slash = text.find('/');
  auto authority = text.substr(0, slash);
  dmsg_url out;
  out.target = slash == std::string_view::npos ? "/" : std::string{text.substr(slash)};
  auto colon = authority.find(':');
  auto pk_text = authority.substr(0, colon);
  auto pk = public_key::from_hex(pk_text);
  if (!pk || pk->is_null() || pk_text.size() != 66)
    return make_error(wire_errc::malformed, "URL host must be a 66-hex-digit public key");
  out.pk = *pk;
  if (colon != std::string_view::npos) {
    auto ptxt = authority.substr(colon + 1);
    unsigned v = 0;
    if (ptxt.empty() || ptxt.size() > 5)
      return make_error(wire_errc::malformed, "bad port in URL");
    for (char c : ptxt) {
      if (c < '0' || c > '9')
        return make_error(wire_errc::malformed, "bad port in URL");
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v == 0 || v > 65535)
      return make_error(wire_errc::malformed, "port out of range in URL");
    out.port = static_cast<uint16_t>(v);
  }
  for (char c : out.target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return make_error(wire_errc::malformed, "URL path has spaces or control characters");
  return out;
}

caf::actor spawn_http_fetch(caf::actor_system& sys, api::dmsg_client_actor dmsg_client, fetch_request req,
                            body_sink sink, progress_fn progress) {
  return sys.spawn<http_fetch>(std::move(dmsg_client), std::move(req), std::move(sink),
                               std::move(progress));
}

} // namespace skywire::dmsg_tools
