// SkyNet forwarding (reference §5.7; actors/routing/skyfwd): the visor's
// control requests, handed from the CLI gateway through the visor to the
// skyfwd actor beside its route manager. Local messages only. Every answer
// is a JSON text, as the visor's other CLI requests.
//
//   (fwd_register_atom, uint16_t port)     -> "\"OK\""   expose local port to remote
//                                            visors (something must listen on it)
//   (fwd_deregister_atom, uint16_t port)   -> "\"OK\""
//   (fwd_list_atom)                        -> [port, …]
//   (rev_connect_atom, pk, uint16_t remote_port, uint16_t local_port)
//                                          -> "\"<uuid>\"" once the remote accepted
//                                            the port; 127.0.0.1:local_port then
//                                            tunnels to <pk>'s remote_port
//   (rev_disconnect_atom, std::string id)  -> "\"OK\""
//   (rev_list_atom)                        -> {"<uuid>":{"ID","LocalPort","RemotePort",
//                                            "RemotePK"}, …} (the reference's List)
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/ids.hpp"

namespace skywire::api {

using fwd_register_atom = caf::atom_constant<caf::atom("fwd_reg")>;
using fwd_deregister_atom = caf::atom_constant<caf::atom("fwd_dereg")>;
using fwd_list_atom = caf::atom_constant<caf::atom("fwd_list")>;
using rev_connect_atom = caf::atom_constant<caf::atom("rev_conn")>;
using rev_disconnect_atom = caf::atom_constant<caf::atom("rev_disc")>;
using rev_list_atom = caf::atom_constant<caf::atom("rev_list")>;

/// The routing port of sky-forwarding.
inline constexpr uint16_t skyfwd_port = 47;

using skyfwd_actor = caf::typed_actor<
  caf::replies_to<fwd_register_atom, uint16_t>::with<std::string>,
  caf::replies_to<fwd_deregister_atom, uint16_t>::with<std::string>,
  caf::replies_to<fwd_list_atom>::with<std::string>,
  caf::replies_to<rev_connect_atom, public_key, uint16_t, uint16_t>::with<std::string>,
  caf::replies_to<rev_disconnect_atom, std::string>::with<std::string>,
  caf::replies_to<rev_list_atom>::with<std::string>>;

} // namespace skywire::api
