// The transport manager's plain state, without actors or I/O (tested
// directly in tests/actors/transport/manager_state_test.cpp):
//
//  - resolve_duplicate: which connection of a transport survives when a
//    second one settles while the first is live (reference §3.7);
//  - underlay: the connections of one transport and which one carries it;
//  - transport_registry: the transports of a visor, one per (peer, type),
//    keyed by the transport ID both ends derive (§3.7), with what the
//    manager parks on each (waiting requests, connections that arrived while
//    the previous transport of the same ID was still closing).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/response_promise.hpp>

#include "messages/api/transport.hpp"
#include "messages/ids.hpp"

namespace skywire::transport {

class transport_link;

/// What happens when a connection of a transport settles while another one
/// is live, as the reference's ManagedTransport.setTransport does it: the
/// side whose key is the lower edge keeps the old connection and closes the
/// new one; the other side closes the old one and adopts the new one. Two
/// simultaneous dials converge on one connection when both sides see the
/// two connections settle in the same order relative to each other (the
/// lower edge's old one being the higher edge's new one); otherwise both are
/// closed, and the next dial (a persistent transport's back-off) starts over,
/// as with the reference.
enum class duplicate_choice : uint8_t { keep_old, adopt_new };

duplicate_choice resolve_duplicate(const public_key& local, const public_key& remote) noexcept;

/// The connections (links) of one transport, by an id the owner gives them.
/// A transport is up while it has a current link; a new link that comes up
/// while another is current is settled by resolve_duplicate.
class underlay {
public:
  underlay(public_key local, public_key remote) : local_(local), remote_(remote) {}

  /// A connection was dialed or accepted for this transport (not yet up).
  void add(uint64_t link);

  struct up_action {
    bool adopted = false;          ///< the link now carries the transport
    bool first = false;            ///< the transport came up (it had no current link)
    std::optional<uint64_t> close; ///< the link to close (the old or the new one)
  };

  /// The link settled. Unknown links are added first.
  up_action up(uint64_t link);

  enum class down_action : uint8_t {
    none,           ///< a link that was not carrying the transport ended
    transport_down, ///< the current link ended: the transport is down
  };

  /// The link ended (whatever its state). Unknown links: none.
  down_action down(uint64_t link);

  std::optional<uint64_t> current() const noexcept { return current_; }
  /// Links added and not yet up or down.
  size_t pending() const noexcept { return pending_.size(); }
  bool ever_up() const noexcept { return ever_up_; }
  /// Every live link (the current one first).
  std::vector<uint64_t> live() const;

private:
  public_key local_;
  public_key remote_;
  std::optional<uint64_t> current_;
  std::vector<uint64_t> pending_;
  bool ever_up_ = false;
};

/// The state of a transport as the manager sees it.
enum class record_state : uint8_t {
  dialing,  ///< our dial is running (connect, handshakes)
  settling, ///< an accepted connection is registering / completing the settlement
  up,       ///< settled, carrying data
  closing,  ///< down or closed; its actor is deregistering it and will quit
};

const char* to_string(record_state s) noexcept;

/// A request or an accepted connection that waits for the closing transport
/// of the same ID to be gone.
struct parked {
  std::optional<api::transport_request> add; ///< a dial request ...
  caf::response_promise rp;                  ///< ... and its answer
  std::shared_ptr<transport_link> accepted;  ///< or an accepted connection
};

struct transport_record {
  transport_id id;
  public_key remote;
  std::string type;
  std::string label = "user";
  record_state state = record_state::dialing;
  caf::actor actor;                              ///< the transport's actor
  std::shared_ptr<transport_link> link;          ///< the current link, once up (stats)
  std::vector<caf::response_promise> up_waiters; ///< add requests waiting for up
  std::vector<std::function<void()>> on_closed;  ///< remove requests waiting for down
  std::vector<parked> after_close;               ///< what waits for this record to go
};

/// The transports of one visor: at most one per (peer, type), which is one
/// per transport ID (the ID is derived from the two keys and the type).
class transport_registry {
public:
  explicit transport_registry(public_key local) : local_(local) {}

  const public_key& local() const noexcept { return local_; }
  /// The ID of the transport to `remote` of `type` (§3.7).
  transport_id id_of(const public_key& remote, std::string_view type) const;

  transport_record* find(const transport_id& id);
  transport_record* find(const public_key& remote, std::string_view type);
  transport_record* find_actor(const caf::actor_addr& actor);

  /// Inserts a new record (the ID must not be present).
  transport_record& insert(const public_key& remote, std::string_view type, std::string label,
                           record_state state);
  /// Removes a record; returns it (for what it parked).
  std::optional<transport_record> erase(const transport_id& id);

  /// The records a filter selects (empty lists select everything), in ID order.
  std::vector<const transport_record*> select(const api::transport_filter& f) const;
  std::vector<transport_record*> all();

  size_t size() const noexcept { return records_.size(); }
  /// Records in state up.
  size_t up_count() const;

private:
  public_key local_;
  std::map<transport_id, transport_record> records_;
};

} // namespace skywire::transport
