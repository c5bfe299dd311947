// The transport manager of a visor (reference §1.6, §3): one actor that
// supervises one transport actor per (peer, type) (transport_actor.hpp),
// accepts connections on every enabled type's listener, dials on request
// and keeps the config's persistent_transports up.
//
//  - The type table: manager_config::networks, one transport_network per
//    enabled type (stcp, stcpr, sudph, dmsg). A type that says it is
//    unavailable (sudph behind a symmetric NAT) is neither listed nor dialed.
//    `tp type` lists them in the reference's preference order.
//  - Accepting: each type's listener hands admitted connections to an
//    inbound set (inbound.hpp) that runs the responder's handshakes on the io
//    shards; a connection whose settlement entry verified comes here
//    (lk_reg) and goes to the transport actor of its (peer, type), spawned
//    if there is none. While a transport of the same ID is still closing
//    (deregistering), a new connection or dial for it waits, so the old
//    transport's deregistration cannot delete the new one's entry.
//  - Dialing (`tp add`, persistent transports): a transport actor per
//    (peer, type); a second request for the same pair waits for the same
//    transport; the answer comes when it is up or failed.
//  - The data plane: every up transport's carrying link is put into
//    manager_config::links (link_directory.hpp) while it is up.
//  - Events to subscribers: tp_up, tp_down (with the cause), tp_error
//    (messages/api/transport.hpp).
//  - persistent_transports: re-dialed with back-off while missing
//    (persistence.hpp).
//  - Public autoconnect: when configured, a linked autoconnect actor
//    (autoconnect_actor.hpp) keeps `automatic` stcpr transports up through
//    tp_add and the events, like any other client.
//  - Stopping (an exit message from the visor): listeners stop, pending
//    handshakes are dropped, every transport is closed and deregistered;
//    the manager quits when its transports are gone, or after
//    shutdown_grace.
//
// Typed: api::transport_manager_actor, plus what its transports report
// (transport_owner_actor), its links' events, the supervisor's status
// request (system::info_provider_actor: the JSON `visor info` shows under
// "transports") and debug.crash.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "actors/dmsg/client_ref.hpp"
#include "actors/transport/autoconnect_actor.hpp"
#include "actors/transport/link_directory.hpp"
#include "actors/transport/network.hpp"
#include "actors/transport/transport_logs.hpp"
#include "actors/transport/persistence.hpp"
#include "actors/transport/registrar.hpp"
#include "messages/api/transport.hpp"
#include "runtime/config/visor_config.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/http/client.hpp"
#include "runtime/io/io_runtime.hpp"

namespace skywire::transport {

struct manager_config {
  crypto::keypair local;
  /// The enabled types.
  std::vector<transport_network_ptr> networks;
  /// Where settled transports are registered (null: nowhere).
  registrar_ptr registrar;
  /// Where up transports' links are published for the data plane (the
  /// router; link_directory.hpp). Null: nowhere.
  link_directory_ptr links;
  std::vector<persistent_target> persistent;
  persistent_keeper::backoff_params persistent_backoff;
  /// A `tp add` without a timeout.
  std::chrono::milliseconds dial_timeout{20'000};
  /// Each dial of a persistent transport.
  std::chrono::milliseconds persistent_dial_timeout{10'000};
  /// How often persistent transports are looked at.
  std::chrono::milliseconds tick{500};
  /// Handshake deadlines, keep-alive, dead peer bound of every link.
  transport_core::timeouts limits;
  /// How often a responder re-registers a live transport (0 = never).
  std::chrono::milliseconds reregister_every{180'000};
  /// Longest wait for the transports to close and deregister on stop.
  std::chrono::milliseconds shutdown_grace{3'000};
  /// Public autoconnect (autoconnect_actor.hpp); null: off.
  std::shared_ptr<const autoconnect_setup> autoconnect;
  /// The bandwidth logs (§3.8; none: not kept): every transport's payload
  /// bytes sampled and flushed every log_write_interval, its row closed when
  /// it goes down, old files cleaned every log_clean_interval.
  std::optional<transport_log_config> logs;
  std::chrono::milliseconds log_every{log_write_interval};
};

/// What a visor gives the manager besides its config: the dmsg client (the
/// dmsg type is enabled when there is one; actors/transport/dmsg_network.hpp).
struct manager_env {
  caf::actor_system* sys = nullptr;
  dmsg::client_ref_ptr dmsg_client;
  /// > 0: replaces the 5-minute stcpr re-bind interval (the visor's hidden
  /// test flag --stcpr-rebind).
  std::chrono::milliseconds stcpr_rebind{0};
};

/// Spawns the manager; its listeners open at once (a listener that cannot
/// bind is logged and its type stays usable for dialing).
api::transport_manager_actor spawn_transport_manager(caf::actor_system& sys, manager_config cfg);

/// The manager of a visor, from its config: stcp when `skywire-tcp` is
/// present (listening_address, pk_table), stcpr and sudph when an http
/// address resolver is configured (stcpr_port; sudph_port, stun_servers,
/// the resolver's UDP side at its URL's host), dmsg when `env` has a dmsg
/// client, the transport discovery of transport.discovery,
/// persistent_transports, the bandwidth logs of transport.log_store, public
/// autoconnect (transport.public_autoconnect with stcpr on and an http://
/// launcher.service_discovery). Types not built here are skipped with a note
/// in `notes`. With a dmsg client in `env`, the transport discovery and the
/// address resolver may be dmsg:// URLs (dmsghttp mode:
/// dmsg::make_service_sender); without, only http://.
expected<manager_config> manager_config_from(const config::visor_config& cfg, io::io_runtime& io,
                                             std::vector<std::string>* notes = nullptr,
                                             const manager_env& env = {});

/// The reference's preference order of types (§3.1: `tp add` without a
/// type tries them in this order, whatever its help text says).
const std::vector<std::string>& type_preference();

} // namespace skywire::transport
