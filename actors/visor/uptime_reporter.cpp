#include "actors/visor/uptime_reporter.hpp"

#include <optional>

#include <boost/json.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/visor/uptime_client.hpp"
#include "runtime/log/logger.hpp"
#include "runtime/system/supervision.hpp"

namespace skywire::visor {

namespace {

constexpr const char* component = "uptime_tracker";

using ut_tick_atom = caf::atom_constant<caf::atom("ut_tick")>;
using ut_done_atom = caf::atom_constant<caf::atom("ut_done")>;

using reporter_interface = system::info_provider_actor::extend<
  caf::reacts_to<ut_tick_atom>, caf::reacts_to<ut_done_atom, caf::error>,
  caf::reacts_to<system::crash_atom>>;

class uptime_reporter : public reporter_interface::base {
public:
  uptime_reporter(caf::actor_config& acfg, io::io_runtime& io, uptime_reporter_config cfg)
    : reporter_interface::base(acfg), io_(io), cfg_(std::move(cfg)) {}

  const char* name() const override { return "uptime_reporter"; }

  behavior_type make_behavior() override {
    system::install_exception_handler(this, component);
    auto c = uptime_client::make(io_, cfg_.url, cfg_.pk, cfg_.sk, cfg_.http);
    if (!c) {
      last_error_ = describe(c.error());
      SKYWIRE_LOG(error, component, "no uptime heartbeats", log::kv("url", cfg_.url),
                  log::kv("error", last_error_));
    } else {
      client_ = std::move(*c);
      send(this, ut_tick_atom::value);
    }
    return {
      [this](ut_tick_atom) {
        delayed_send(this, cfg_.interval, ut_tick_atom::value);
        if (in_flight_ || !client_)
          return;
        in_flight_ = true;
        ++sent_;
        auto self = caf::actor_cast<caf::actor>(this);
        client_->heartbeat(cfg_.version, [self](caf::error err) {
          caf::anon_send(self, ut_done_atom::value, std::move(err));
        });
      },
      [this](ut_done_atom, caf::error& err) {
        in_flight_ = false;
        if (err) {
          ++failed_;
          last_error_ = describe(err);
          SKYWIRE_LOG(warn, component, "uptime heartbeat failed", log::kv("url", cfg_.url),
                      log::kv("error", last_error_));
          return;
        }
        ++ok_;
        last_error_.clear();
        last_ok_ = std::chrono::system_clock::now();
        SKYWIRE_LOG(debug, component, "uptime heartbeat sent", log::kv("url", cfg_.url));
      },
      [this](system::info_atom) {
        boost::json::object o;
        o["url"] = cfg_.url;
        o["sent"] = sent_;
        o["ok"] = ok_;
        o["failed"] = failed_;
        if (last_ok_)
          o["last_ok_unix"] = std::chrono::duration_cast<std::chrono::seconds>(
                                last_ok_->time_since_epoch())
                                .count();
        if (!last_error_.empty())
          o["last_error"] = last_error_;
        return boost::json::serialize(o);
      },
      [](system::crash_atom) { system::throw_injected_fault(); },
    };
  }

private:
  io::io_runtime& io_;
  uptime_reporter_config cfg_;
  std::optional<uptime_client> client_;
  bool in_flight_ = false;
  uint64_t sent_ = 0, ok_ = 0, failed_ = 0;
  std::optional<std::chrono::system_clock::time_point> last_ok_;
  std::string last_error_;
};

} // namespace

caf::actor spawn_uptime_reporter(caf::actor_system& sys, io::io_runtime& io,
                                 uptime_reporter_config cfg) {
  return caf::actor_cast<caf::actor>(sys.spawn<uptime_reporter>(io, std::move(cfg)));
}

} // namespace skywire::visor
