// Where the transport manager registers the transports it settles (the
// transport discovery, reference §1.7, §3.4) and deletes them when they end,
// behind a small interface so tests can fake it and the manager does not
// depend on the HTTP client.
//
// Contract of an implementation:
//  - calls are asynchronous; each callback runs exactly once, on any thread
//    (an actor forwards the result to itself), possibly before the call
//    returns;
//  - register_entry: success also when the discovery already holds the
//    entry (HTTP 409: the other side or an earlier connection registered it);
//    any other failure is reported and the manager only logs it (as the
//    reference: the settlement goes on);
//  - deregister: success also when the discovery does not know the ID (404:
//    the other edge deleted it first);
//  - get_by_id / get_by_edge: what the discovery holds (tp disc).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "messages/error.hpp"
#include "messages/ids.hpp"
#include "messages/wire/transport/entry.hpp"

namespace skywire::transport {

class registrar {
public:
  using done_fn = std::function<void(caf::error)>;
  using entries_fn = std::function<void(expected<std::vector<wire::transport::entry>>)>;

  virtual ~registrar() = default;

  /// Registers a doubly signed entry.
  virtual void register_entry(const wire::transport::signed_entry& e, done_fn cb) = 0;
  /// Deletes the entry of a transport we are an edge of.
  virtual void deregister(const transport_id& id, done_fn cb) = 0;
  /// The entry of one transport (a one-element list; not found is an error).
  virtual void get_by_id(const transport_id& id, entries_fn cb) = 0;
  /// Every entry with pk as an edge.
  virtual void get_by_edge(const public_key& pk, entries_fn cb) = 0;
  /// For logs and `visor info`: "http://127.0.0.1:9091", or why there is none.
  virtual std::string describe() const = 0;
};

using registrar_ptr = std::shared_ptr<registrar>;

class tpd_client;

/// The transport discovery through its HTTP client (tpd_client.hpp): a 409
/// on registration and a 404 on deletion count as success. `where` names it
/// in `visor info` (its URL).
registrar_ptr make_tpd_registrar(tpd_client client, std::string where);

/// A visor without a transport discovery (transport.discovery empty):
/// registrations and deletions succeed without effect (logged once by the
/// manager), queries fail with `why`.
registrar_ptr make_null_registrar(std::string why);

} // namespace skywire::transport
