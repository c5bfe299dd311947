// The session actor of one dmsg server connection, internal: its lifetime,
// registration and close (dmsg_server_session.cpp). The stream open protocol
// runs on the io threads (dmsg_server_opens.hpp); the actor only starts and
// ends it. See dmsg_server_session.hpp.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/dmsg/objects.hpp"
#include "actors/services/dmsg_server_link.hpp"
#include "actors/services/dmsg_server_handshake.hpp"
#include "actors/services/dmsg_server_opens.hpp"
#include "actors/services/dmsg_server_session.hpp"
#include "runtime/crypto/noise/handshake.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(skywire::services::dmsg_relay::relay_tx_ptr)

namespace skywire::services::session_detail {

namespace ym = wire::yamux;
namespace nz = crypto::noise;
namespace rl = dmsg_relay;
using byte_buffer = io::byte_buffer;
using rl::relay_tx_ptr;

using linkfail_atom = caf::atom_constant<caf::atom("dslinkfail")>;
using finsent_atom = caf::atom_constant<caf::atom("dsfinsent")>;
using sclosed_atom = caf::atom_constant<caf::atom("dssclosed")>;
using idle_atom = caf::atom_constant<caf::atom("dsidle")>;

inline constexpr uint32_t window = ym::initial_stream_window;

/// What the link, the relays and the connection tell the session, from io
/// threads. Until the session actor exists (the XK handshake runs on the io
/// thread, dmsg_server_handshake.hpp) handshake frames and failures go to the
/// handshake object; from then on the open protocol's control events are
/// direct calls into the session's opens (the link makes them after it
/// unlocked, dmsg_server_opens.hpp), every other event a message to the
/// actor (raised with link or relay locks held). A close or failure that
/// happens between the two is kept and delivered when the actor attaches.
class session_events final : public rl::link_hooks, public rl::stream_events {
public:
  void attach_handshake(std::weak_ptr<server_handshake> hs) {
    std::lock_guard<std::mutex> g{mtx_};
    hs_ = std::move(hs);
  }
  void attach_actor(caf::actor_addr a, std::weak_ptr<session_opens> opens) {
    std::optional<std::string> closed, failed;
    {
      std::lock_guard<std::mutex> g{mtx_};
      addr_ = std::move(a);
      opens_ = std::move(opens);
      hs_.reset();
      closed.swap(pending_close_);
      failed.swap(pending_fail_);
    }
    if (failed)
      send(linkfail_atom::value, std::move(*failed));
    if (closed)
      send(sclosed_atom::value, std::move(*closed));
  }
  void handshake_frame(byte_buffer body, bool extra_after) override {
    if (auto h = handshake())
      h->on_frame(std::move(body), extra_after);
  }
  void control_data(uint32_t id) override {
    if (auto o = opens())
      o->on_control(id);
  }
  void control_reset(uint32_t id) override {
    if (auto o = opens())
      o->on_client_reset(id);
  }
  void failed(const char* reason) override {
    if (route(pending_fail_, std::string{reason}, "protocol error: "))
      send(linkfail_atom::value, std::string{reason});
  }
  void reset_stream(uint32_t id) override { send(dsrst_atom::value, id); }
  void fin_sent(uint32_t id) override { send(finsent_atom::value, id); }
  /// Nothing came from the client for idle_timeout (the keepalive's check).
  void idle() { send(idle_atom::value); }
  /// The connection ended (its cause in words).
  void closed(std::string cause) {
    if (route(pending_close_, cause, "connection ended in the handshake: "))
      send(sclosed_atom::value, std::move(cause));
  }

private:
  std::shared_ptr<session_opens> opens() {
    std::lock_guard<std::mutex> g{mtx_};
    return opens_.lock();
  }
  std::shared_ptr<server_handshake> handshake() {
    std::lock_guard<std::mutex> g{mtx_};
    return hs_.lock();
  }
  /// True when the actor should get the event; otherwise the handshake took
  /// it, or it is kept for the actor to come.
  bool route(std::optional<std::string>& keep, const std::string& what, const char* prefix) {
    std::shared_ptr<server_handshake> h;
    {
      std::lock_guard<std::mutex> g{mtx_};
      if (addr_)
        return true;
      h = hs_.lock();
    }
    if (h && h->on_failed(prefix + what))
      return false;
    std::lock_guard<std::mutex> g{mtx_};
    if (addr_)
      return true; // attached meanwhile
    if (!keep)
      keep = what;
    return false;
  }
  template <class... Ts>
  void send(Ts&&... xs) {
    caf::actor_addr a;
    {
      std::lock_guard<std::mutex> g{mtx_};
      a = addr_;
    }
    if (auto act = caf::actor_cast<caf::actor>(a))
      caf::anon_send(act, std::forward<Ts>(xs)...);
  }
  std::mutex mtx_;
  caf::actor_addr addr_;
  std::weak_ptr<server_handshake> hs_;
  std::weak_ptr<session_opens> opens_;
  std::optional<std::string> pending_close_;
  std::optional<std::string> pending_fail_;
};

/// The session's io thread for its opens: the connection's shard.
class connection_thread final : public open_thread {
public:
  explicit connection_thread(io::stream_connection_ptr c) : conn_(std::move(c)) {}
  bool here() const override { return conn_->on_io_thread(); }
  io::timer_service& timers() override { return conn_->timers(); }
  void post(std::function<void()> fn) override { conn_->post(std::move(fn)); }

private:
  io::stream_connection_ptr conn_;
};

class session_actor : public caf::event_based_actor {
public:
  session_actor(caf::actor_config& cfg, std::shared_ptr<const dmsg_session_context> ctx,
                io::stream_connection_ptr conn, std::shared_ptr<established> est)
    : caf::event_based_actor(cfg), ctx_(std::move(ctx)), conn_(std::move(conn)),
      slot_held_(true), link_(std::move(est->link)), events_(std::move(est->events)),
      client_pk_(est->client),
      opens_(std::make_shared<session_opens>(ctx_, link_, std::move(est->sess), client_pk_,
                                             std::make_shared<connection_thread>(conn_))) {}

  ~session_actor() override { release(true); }

  const char* name() const override { return "dmsg_server_session"; }

  void on_exit() override { release(); }
  caf::behavior make_behavior() override;

private:
  // lifetime, handshake, keepalive (dmsg_server_session.cpp)
  void start();
  /// Ends the session: resets every stream on its peer, leaves the registry,
  /// closes the socket and quits.
  /// `abnormal`: logged once at info with `why` (rate-limited under floods);
  /// a session the client ended cleanly or the server's shutdown: debug.
  void close(const std::string& why, bool abnormal = true);
  /// The connection ended (`sclosed`): its cause in words.
  void on_closed(const std::string& cause);
  void release(bool in_destructor = false);

  std::shared_ptr<const dmsg_session_context> ctx_;
  io::stream_connection_ptr conn_;
  bool slot_held_ = false;          ///< a session slot of the registry
  std::shared_ptr<rl::dmsg_server_link> link_;
  std::shared_ptr<session_events> events_;
  public_key client_pk_;
  /// The stream open protocol (io threads; the registry shares it).
  std::shared_ptr<session_opens> opens_;
  bool registered_ = false;
  bool closing_ = false;
  bool released_ = false;
  caf::actor_addr addr_;
};

} // namespace skywire::services::session_detail
