#include "actors/transport/dmsg_network.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "actors/transport/dmsg_endpoint.hpp"
#include "actors/transport/dmsg_stream_link.hpp"
#include "actors/transport/errors.hpp"

namespace skywire::transport {

io::admission_config dmsg_network_config::default_admission() {
  io::admission_config a;
  a.max_pending = 256;
  a.max_pending_per_ip = 8; // per remote key (admission_address)
  a.max_pending_per_prefix = 8;
  a.v6_prefix = 128;
  a.deadline = std::chrono::seconds{20};
  a.min_deadline = std::chrono::seconds{2};
  return a;
}

boost::asio::ip::address admission_address(const public_key& pk) {
  boost::asio::ip::address_v6::bytes_type b{};
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = pk.data()[i + 1]; // byte 0 is the compressed key's 02/03 prefix
  return boost::asio::ip::address_v6{b};
}

dmsg_network::dmsg_network(caf::actor_system& sys, dmsg_network_config cfg)
  : cfg_(std::move(cfg)), adm_(io::admission::make(cfg_.admission)),
    status_(std::make_shared<dmsg_network_status>()) {
  endpoint_ = caf::actor_cast<caf::actor>(spawn_dmsg_endpoint(sys, cfg_, adm_, status_));
}

std::shared_ptr<dmsg_network> dmsg_network::make(caf::actor_system& sys,
                                                 dmsg_network_config cfg) {
  return std::shared_ptr<dmsg_network>(new dmsg_network(sys, std::move(cfg)));
}

dmsg_network::~dmsg_network() {
  stop();
}

void dmsg_network::responder_params(const io::byte_link& conn, transport_core::params& p) const {
  // only dmsg_stream_links reach this network's accept callback
  if (auto* s = dynamic_cast<const dmsg_stream_link*>(&conn)) {
    p.remote = s->remote_address().pk;
    p.remote_port = s->remote_address().prt;
    p.local_port = s->local_address().prt;
  }
}

caf::error dmsg_network::listen(accept_fn on_accept) {
  if (stopped_.load(std::memory_order_acquire))
    return {};
  caf::anon_send(caf::actor_cast<dmsg_endpoint_actor>(endpoint_), de_listen_atom::value,
                 dmsg_listen_request{std::move(on_accept)});
  return {};
}

void dmsg_network::dial(const public_key& remote, unsigned, dial_fn cb) {
  if (stopped_.load(std::memory_order_acquire))
    return cb(make_error(transport_errc::closed, "the transport type was stopped"));
  caf::anon_send(caf::actor_cast<dmsg_endpoint_actor>(endpoint_), de_dial_atom::value,
                 dmsg_dial_request{remote, std::move(cb)});
}

void dmsg_network::stop() {
  if (stopped_.exchange(true, std::memory_order_acq_rel))
    return;
  if (endpoint_)
    caf::anon_send_exit(endpoint_, caf::exit_reason::user_shutdown);
}

boost::json::object dmsg_network::info() const {
  boost::json::object o;
  o["type"] = type_;
  {
    std::lock_guard<std::mutex> g{status_->mtx};
    o["listening"] = status_->listening ? boost::json::value("dmsg port 45")
                                        : boost::json::value(nullptr);
    if (!status_->listen_error.empty())
      o["listen_error"] = status_->listen_error;
    o["dmsg_client"] = status_->have_client;
  }
  o["streams"] = status_->streams.load(std::memory_order_relaxed);
  o["dials"] = status_->dials.load(std::memory_order_relaxed);
  o["dial_errors"] = status_->dial_errors.load(std::memory_order_relaxed);
  add_admission_info(o, *adm_);
  o["streams_refused"] = status_->refused.load(std::memory_order_relaxed);
  return o;
}

} // namespace skywire::transport
