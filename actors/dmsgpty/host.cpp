#include "actors/dmsgpty/host.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>

#include "messages/api/dmsg.hpp"
#include "messages/api/dmsgpty.hpp"
#include "messages/wire/dmsgpty/request.hpp"
#include "runtime/config/registry.hpp"
#include "runtime/io/unix_listener.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::dmsgpty {
namespace {
struct conn_box {
  io::stream_connection_ptr conn;
};
} // namespace
} // namespace skywire::dmsgpty

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::dmsgpty::conn_box)

namespace skywire::dmsgpty {

namespace {

using cli_conn_atom = caf::atom_constant<caf::atom("pty_cli")>;
constexpr const char* component = "dmsgpty";
constexpr size_t max_config_bytes = 1 << 20;

class host : public caf::event_based_actor {
public:
  host(caf::actor_config& cfg, io::io_runtime& io, api::dmsg_client_actor client, host_config hc)
    : caf::event_based_actor(cfg), io_(io), client_(std::move(client)), cfg_(std::move(hc)),
      wl_(cfg_.whitelist.begin(), cfg_.whitelist.end()) {
  }

  const char* name() const override { return "dmsgpty_host"; }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg&) {
      if (sessions_ > 0)
        --sessions_;
    });
    if (!cfg_.cli_address.empty()) {
      caf::actor self{this};
      auto l = io::unix_listener::start(io_, cfg_.cli_address, [self](io::stream_connection_ptr c) {
        caf::anon_send(self, cli_conn_atom::value, conn_box{std::move(c)});
      });
      if (!l)
        failed_ = l.error();
      else
        cli_ = *l;
    }
    if (!failed_) {
      request(client_, std::chrono::seconds(20), api::listen_atom::value, port{cfg_.dmsg_port},
              caf::actor{this})
        .then(
          [this](api::ok_atom) {
            listening_ = true;
            SKYWIRE_LOG(info, component, "listening", log::kv("dmsg_port", cfg_.dmsg_port),
                        log::kv("cli", cfg_.cli_address));
            answer_ready();
          },
          [this](caf::error& err) {
            failed_ = err;
            answer_ready();
          });
    }
    return {
      [this](caf::ok_atom) -> caf::result<caf::ok_atom> {
        if (failed_)
          return failed_;
        if (listening_)
          return caf::ok_atom::value;
        auto rp = make_response_promise<caf::ok_atom>();
        ready_.push_back(rp);
        return rp;
      },
      [this](api::accept_atom, api::stream_opened& s) { on_stream(std::move(s)); },
      [this](cli_conn_atom, conn_box& box) { on_cli(std::move(box.conn)); },
      [this](api::wl_list_atom) {
        return std::vector<public_key>(wl_.begin(), wl_.end());
      },
      [this](api::wl_add_atom, std::vector<public_key>& pks) -> caf::result<caf::ok_atom> {
        auto before = wl_;
        wl_.insert(pks.begin(), pks.end());
        return persist(std::move(before));
      },
      [this](api::wl_remove_atom, std::vector<public_key>& pks) -> caf::result<caf::ok_atom> {
        auto before = wl_;
        for (const auto& pk : pks)
          wl_.erase(pk);
        return persist(std::move(before));
      },
      // a stream we rejected may still report to us
      [](api::data_atom, const api::byte_buffer&) {},
      [](api::ack_atom, uint64_t) {},
      [](api::closed_atom, const caf::error&) {},
    };
  }

  void on_exit() override {
    if (cli_)
      cli_->stop();
    if (client_)
      anon_send(client_, api::unlisten_atom::value, port{cfg_.dmsg_port});
    for (auto& rp : ready_)
      rp.deliver(caf::make_error(caf::sec::request_receiver_down));
  }

private:
  void answer_ready() {
    for (auto& rp : ready_) {
      if (failed_)
        rp.deliver(failed_);
      else
        rp.deliver(caf::ok_atom::value);
    }
    ready_.clear();
  }

  caf::result<caf::ok_atom> persist(std::set<public_key> before) {
    if (cfg_.config_path.empty() || before == wl_)
      return caf::ok_atom::value;
    if (auto err = write_whitelist(cfg_.config_path, {wl_.begin(), wl_.end()})) {
      wl_ = std::move(before);
      return err;
    }
    return caf::ok_atom::value;
  }

  void reject_stream(const api::stream_opened& s, const char* why) {
    SKYWIRE_LOG(info, component, "dmsg stream rejected", log::kv("remote", s.remote.to_string()),
                log::kv("reason", why));
    send(s.stream, api::set_owner_atom::value, caf::actor{this});
    send(s.stream, api::write_atom::value, api::byte_buffer{wire::dmsgpty::reject_byte});
    send(s.stream, api::close_atom::value);
  }

  void on_stream(api::stream_opened s) {
    if (wl_.count(s.remote.pk) == 0)
      return reject_stream(s, "not whitelisted");
    if (sessions_ >= cfg_.max_sessions)
      return reject_stream(s, "too many sessions");
    auto p = params();
    p.stream = std::move(s);
    start(std::move(p));
  }

  void on_cli(io::stream_connection_ptr c) {
    if (sessions_ >= cfg_.max_sessions) {
      SKYWIRE_LOG(info, component, "CLI connection refused: too many sessions");
      // best effort: close() may drop the queued byte; the CLI reads either
      // the reject or the close as a refusal
      c->write({wire::dmsgpty::reject_byte});
      c->close();
      return;
    }
    auto p = params();
    p.conn = std::move(c);
    start(std::move(p));
  }

  /// What every session gets, whichever way it arrived.
  session_params params() {
    session_params p;
    p.host = caf::actor{this};
    p.dmsg = client_;
    p.io = &io_;
    p.limits = cfg_.limits;
    return p;
  }

  void start(session_params p) {
    auto s = spawn_session(system(), std::move(p));
    monitor(s);
    ++sessions_;
  }

  io::io_runtime& io_;
  api::dmsg_client_actor client_;
  host_config cfg_;
  std::set<public_key> wl_;
  io::unix_listener_ptr cli_;
  caf::error failed_;
  bool listening_ = false;
  std::vector<caf::typed_response_promise<caf::ok_atom>> ready_;
  size_t sessions_ = 0;
};

} // namespace

caf::error write_whitelist(const std::string& path, const std::vector<public_key>& wl) {
  boost::json::object obj;
  {
    std::ifstream in{path, std::ios::binary};
    if (in) {
      std::string text;
      text.resize(max_config_bytes + 1);
      in.read(text.data(), static_cast<std::streamsize>(text.size()));
      text.resize(static_cast<size_t>(in.gcount()));
      if (text.size() > max_config_bytes)
        return make_error(wire_errc::oversized, path + " is larger than 1 MiB");
      boost::system::error_code ec;
      auto v = boost::json::parse(text, ec);
      if (ec || !v.is_object())
        return make_error(wire_errc::malformed, path + " is not a JSON object");
      obj = std::move(v.as_object());
    }
  }
  boost::json::array arr;
  for (const auto& pk : wl)
    arr.emplace_back(pk.hex());
  obj["wl"] = std::move(arr);
  auto tmp = path + ".tmp";
  {
    std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
    out << config::to_pretty_json(obj) << '\n';
    if (!out)
      return make_error(wire_errc::bad_value, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return make_error(wire_errc::bad_value, "cannot replace " + path);
  return {};
}

caf::actor spawn_host(caf::actor_system& sys, io::io_runtime& io, api::dmsg_client_actor dmsg_client,
                      host_config cfg) {
  return sys.spawn<host>(io, std::move(dmsg_client), std::move(cfg));
}

} // namespace skywire::dmsgpty
