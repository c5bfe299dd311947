#include "actors/dmsg_tools/port_forward.hpp"

#include <algorithm>

#include <caf/event_based_actor.hpp>

#include "actors/dmsg_tools/failure_log.hpp"
#include "actors/dmsg_tools/tcp_pipe.hpp"
#include "messages/api/dmsg.hpp"
#include "runtime/log/logger.hpp"

namespace skywire::dmsg_tools {

namespace {

class port_forward : public caf::event_based_actor {
public:
  port_forward(caf::actor_config& cfg, io::io_runtime* io, api::dmsg_client_actor client,
               port_forward_config conf)
    : caf::event_based_actor(cfg), io_(io), client_(std::move(client)), conf_(std::move(conf)) {
  }

  const char* name() const override { return "dmsg_port_forward"; }

  caf::behavior make_behavior() override {
    return {
      [this](caf::ok_atom) -> caf::result<caf::ok_atom> {
        auto rp = make_response_promise<caf::ok_atom>();
        request(client_, std::chrono::seconds(10), api::listen_atom::value,
                port{conf_.dmsg_port}, caf::actor{this})
          .then([rp](api::ok_atom) mutable { rp.deliver(caf::ok_atom::value); },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [this](api::accept_atom, api::stream_opened& s) {
        if (!conf_.whitelist.empty()
            && std::find(conf_.whitelist.begin(), conf_.whitelist.end(), s.remote.pk)
                 == conf_.whitelist.end()) {
          pipe_end e;
          e.component = "dmsg_web_srv";
          e.remote = s.remote.to_string();
          e.local = conf_.local_host + ":" + std::to_string(conf_.local_port);
          log_failure(e, "refused a dmsg stream", "the remote key is not in the whitelist");
          send(s.stream, api::close_atom::value);
          return;
        }
        spawn_tcp_pipe_to(system(), *io_, std::move(s), conf_.local_host, conf_.local_port);
      },
    };
  }

private:
  io::io_runtime* io_;
  api::dmsg_client_actor client_;
  port_forward_config conf_;
};

} // namespace

caf::actor spawn_port_forward(caf::actor_system& sys, io::io_runtime& io, api::dmsg_client_actor dmsg_client,
                              port_forward_config cfg) {
  return sys.spawn<port_forward>(&io, std::move(dmsg_client), std::move(cfg));
}

} // namespace skywire::dmsg_tools
