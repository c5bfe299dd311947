// The stream open protocol of one dmsg server session, run on io threads: a
// plain class, no actor, no mailbox hop per open (tested directly,
// tests/actors/services/dmsg_server/opens_test.cpp).
//
// Client A opens stream X and writes its StreamRequest; client B gets it on
// server stream Y and answers with a StreamResponse:
//
//   A's io thread: A.on_control(X)  the link's bytes → request complete →
//                  decrypt (A's Noise), verify, find B in the registry
//                  → B.open(X, A, X's relay_tx, request)   (a direct call)
//                     B seals the request (B's Noise), writes SYN + object
//                     on Y, records Y, arms the response deadline
//   B's io thread: B.on_control(Y)  response complete → decrypt, verify,
//                  splice Y into X's relay_tx
//                  → A.opened(X, Y, B, Y's relay_tx, response)   (a direct call)
//                     A seals the response (A's Noise), writes it on X
//                     ahead of any relayed data, splices X into Y's relay_tx
//
// Failures go the same way, as direct calls: failed (B could not open), reset
// (reset the stream toward our client), cancel (A gave up before the
// response). The response deadline runs on a shard's timer wheel: B's when
// open() runs on B's shard, else A's (the caller's: waking B's thread for it
// would cost a context switch per open on the critical path). A timer is
// cancelled only from its own shard; one the response beat on another shard
// stays until it fires and finds nothing (so a wheel holds at most the opens
// its shard started within one response_timeout). open() called from
// neither shard (A's bytes parsed on its actor's thread as yamux started)
// posts the arming to B's. A session that closes resets its opens and tells
// every peer.
//
// Threads and locks. Every member runs under the object's own mutex
// (open-mutex); objects sealed or opened with the session's Noise keys are
// sealed and written under it, so they go out in nonce order. Lock order:
//     open-mutex → the session's link mutex → relay_tx / relay_rx →
//     the connection's internal mutex.
// Never two open-mutexes at once: a call into another session (open, opened,
// failed, reset, cancel) is made after our own open-mutex is released. The
// link never calls into this object with its mutex held (its control hooks
// fire after it unlocked). Signatures are verified without any lock.
//
// A call to B.open that is still running when A's stream is reset (by A's
// client, A's close, B's failure…) leaves the stream's state in place,
// marked `doomed`; the caller removes it when open returns and cancels Y
// then, so no stream is left open on B.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "actors/dmsg/objects.hpp"
#include "actors/services/dmsg_server_link.hpp"
#include "actors/services/dmsg_server_session.hpp"
#include "runtime/crypto/noise/session.hpp"
#include "runtime/io/timer_service.hpp"

namespace skywire::services::session_detail {

/// The io thread of a session, as its opens see it (the connection's shard;
/// a fake in tests).
class open_thread {
public:
  virtual ~open_thread() = default;
  /// True when the caller runs on that thread (timers may be used).
  virtual bool here() const = 0;
  /// The thread's timers: use only when here().
  virtual io::timer_service& timers() = 0;
  /// Runs fn on that thread.
  virtual void post(std::function<void()> fn) = 0;
};

class session_opens : public std::enable_shared_from_this<session_opens> {
public:
  using byte_buffer = io::byte_buffer;
  using relay_tx_ptr = dmsg_relay::relay_tx_ptr;

  session_opens(std::shared_ptr<const dmsg_session_context> ctx,
                std::shared_ptr<dmsg_relay::dmsg_server_link> link, crypto::noise::session sess,
                public_key client, std::shared_ptr<open_thread> thread);

  // -- the link's control hooks (no link mutex held) ----------------------------------

  /// The link has bytes (or a FIN) of a stream in the open protocol.
  void on_control(uint32_t id);
  /// Our client reset a stream in the open protocol (the link forgot it).
  void on_client_reset(uint32_t id);

  // -- other sessions and the session actor (any thread, no open-mutex held) ---------

  /// B's side: session `a` asks us to open a stream to our client for its
  /// stream a_id. False: refused (A resets its stream).
  bool open(uint32_t a_id, const std::shared_ptr<session_opens>& a, relay_tx_ptr to_a,
            const byte_buffer& req);
  /// A's side: B's session opened b_id, spliced it into a_id's relay_tx and
  /// hands over the verified response and b_id's relay_tx.
  void opened(uint32_t a_id, uint32_t b_id, const std::shared_ptr<session_opens>& b,
              relay_tx_ptr to_b, const byte_buffer& resp);
  /// A's side: B could not open (or answer) the stream for a_id.
  void failed(uint32_t a_id) { reset(a_id); }
  /// Resets stream id toward our client and forgets it (spliced streams too).
  void reset(uint32_t id);
  /// B's side: A gave up on its stream a_id before the response.
  void cancel(uint32_t a_id, const session_opens* a);
  /// The session ends: every open is reset and its peer told; later opens
  /// are refused.
  void close();

  /// Streams in the open protocol (tests).
  size_t pending() const;

private:
  enum class phase : uint8_t {
    awaiting_request,  ///< client-opened stream: the StreamRequest is being read
    verifying,         ///< the object is complete and being verified (no lock held)
    awaiting_peer,     ///< request forwarded, waiting for the other session
    awaiting_response, ///< server-opened stream: the StreamResponse is being read
  };
  /// A stream in the open protocol (spliced streams live in the link only).
  struct open_state {
    phase ph = phase::awaiting_request;
    bool request = true;   ///< client-opened (A's side)
    bool calling = false;  ///< A's side: B.open() is running
    bool doomed = false;   ///< reset while calling: the caller removes it
    bool cancel_peer = false; ///< doomed: cancel on the peer when open returns
    uint64_t gen = 0;      ///< tells a reused stream id apart
    std::weak_ptr<session_opens> peer; ///< the other session
    uint32_t peer_id = 0;  ///< the stream id on the other session (B's side)
    relay_tx_ptr to_peer;  ///< B's side: data toward the other client
    dmsg::object_reader reader;
    size_t object_bytes = 0; ///< the object's bytes (credited once consumed)
    byte_buffer early;     ///< stream data that followed the object
    sha256_digest req_hash;
    io::timer_service::timer_id timer = 0;
    std::shared_ptr<open_thread> timer_thread; ///< whose wheel holds `timer`
  };
  /// A call into another session, made once the open-mutex is released.
  struct peer_call {
    enum class kind : uint8_t { reset, cancel } what;
    std::shared_ptr<session_opens> peer;
    uint32_t id;
  };
  using calls = std::vector<peer_call>;
  using lock = std::unique_lock<std::mutex>;

  // dmsg_server_opens.cpp: what our client sends
  void on_request(uint32_t id, uint64_t gen, const byte_buffer& plain);
  void on_response(uint32_t id, uint64_t gen, const byte_buffer& plain,
                   const sha256_digest& req_hash);
  /// The state of id if it is still the one of generation gen.
  open_state* find(uint32_t id, uint64_t gen);
  // dmsg_server_opens_peer.cpp: deadlines, resets, calls into peers
  void arm_deadline(uint32_t id, uint64_t gen);
  void arm_locked(open_state& st, const std::shared_ptr<open_thread>& on, uint32_t id,
                  uint64_t gen);
  void deadline(uint32_t id, uint64_t gen);
  void disarm(open_state& st);
  /// B's side: tells A its open failed.
  void fail_open(open_state& st, calls& out);
  /// Resets a stream: tells the other session if it is in the open protocol
  /// (`to_peer`), sends RST to our client (`to_client`) and forgets it.
  void reset_open(uint32_t id, bool to_peer, bool to_client, calls& out);
  void run(calls& out);

  const std::shared_ptr<const dmsg_session_context> ctx_;
  const std::shared_ptr<dmsg_relay::dmsg_server_link> link_;
  const public_key client_pk_;
  const std::shared_ptr<open_thread> thread_;
  mutable std::mutex mtx_;
  crypto::noise::session sess_;
  std::unordered_map<uint32_t, open_state> opens_;
  uint32_t next_id_ = 2;
  uint64_t next_gen_ = 1;
  bool closed_ = false;
};

using session_opens_ptr = std::shared_ptr<session_opens>;

} // namespace skywire::services::session_detail
