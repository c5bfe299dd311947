#include "actors/services/dmsg_front.hpp"

#include <caf/after.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/dmsg/client.hpp"
#include "actors/dmsg/dmsghttp.hpp"

namespace skywire::services {

void dmsg_front::stop() {
  if (!sys)
    return;
  caf::scoped_actor self{*sys};
  if (listener)
    self->send_exit(listener, caf::exit_reason::user_shutdown);
  if (client) {
    self->monitor(client);
    self->send(client, caf::close_atom::value);
    self->receive([](caf::down_msg&) {},
                  caf::after(std::chrono::seconds(3)) >> [&] {
                    self->send_exit(client, caf::exit_reason::user_shutdown);
                  });
  }
  listener = nullptr;
  client = nullptr;
  sys = nullptr;
}

expected<dmsg_front> serve_over_dmsg(caf::actor_system& sys, io::io_runtime& io,
                                     std::shared_ptr<http::server> server,
                                     dmsg_front_config cfg) {
  dmsg::client_config cc;
  cc.pk = cfg.pk;
  cc.sk = cfg.sk;
  cc.discovery_url = cfg.discovery_url;
  cc.sessions_count = cfg.sessions;
  cc.refresh = cfg.refresh;
  dmsg_front f;
  f.sys = &sys;
  f.pk = cfg.pk;
  f.port = cfg.port;
  f.client = dmsg::spawn_dmsg_client(sys, io, cc);
  dmsg::dmsghttp_server_options so;
  so.port = cfg.port;
  f.listener = dmsg::spawn_dmsghttp_server(sys, f.client, std::move(server), so);
  caf::error err;
  {
    caf::scoped_actor self{sys};
    self->request(f.listener, so.listen_timeout + std::chrono::seconds(1), caf::ok_atom::value)
      .receive([](caf::ok_atom) {}, [&](caf::error& e) { err = std::move(e); });
  }
  if (err) {
    f.stop();
    return err;
  }
  return f;
}

} // namespace skywire::services
