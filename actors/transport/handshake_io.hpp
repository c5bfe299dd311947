// The two handshakes that precede a direct transport's settlement, as state
// machines without I/O: bytes in, bytes to send out, a verdict. The transport
// core (transport_core.hpp) drives them on its link's thread; tests drive
// them with recorded bytes of the Go reference.
//
// frame_exchange: the transport handshake of stcp/stcpr/sudph (reference
// §3.3), with the codecs of messages/wire/transport/handshake.hpp:
//   I -> R  "get_nonce"                        Frame0, 9 raw bytes
//   R -> I  {"Nonce":[16 numbers]}\n           Frame1
//   I -> R  {"SrcAddr":..,"DstAddr":..,"Nonce":..,"Sig":..}\n   Frame2
//   R -> I  {"OK":true|false,"ErrMsg":".."}\n  Frame3
// kk_exchange: then Noise KK (dialer = initiator) over `u16 BE len | msg`
// frames of exactly 49 bytes each way.
//
// Both are lock-step: a peer never has a reason to send before it has read
// our last frame, so bytes beyond the frame a machine waits for are an error
// ("out of turn"), and no machine ever buffers more than one bounded frame.
// Where the reference is lenient we are stricter (docs/protocol/transports.md):
// lines are bounded (Frame1/Frame2 1024 bytes, Frame3 8192), Frame0 is
// checked byte by byte as it arrives, and in a transport (not the address
// resolver channel) the responder refuses a Frame2 whose DstAddr is not its
// own key or whose SrcAddr is its own key.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>

#include "messages/ids.hpp"
#include "messages/wire/transport/handshake.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/handshake.hpp"
#include "runtime/crypto/noise/session.hpp"

namespace skywire::transport {

using byte_buffer = std::vector<uint8_t>;

/// Result of feeding bytes to a handshake machine.
enum class step : uint8_t {
  need_more, ///< waiting for more bytes from the peer
  done,      ///< finished; `out` holds what must still be sent
  failed,    ///< error() says why; `out` may hold a last frame to flush before
             ///< closing (Frame3 with OK=false, a settlement status byte)
  decide,    ///< settlement responder only: the entry verified, call decide()
};

class frame_exchange {
public:
  /// The responder's check of a Frame2 whose nonce and signature verified:
  /// empty to accept, otherwise the text sent back in Frame3.ErrMsg. The
  /// reference checks only that something listens on DstAddr.port
  /// (port_checker below, with its exact text).
  using frame2_check = std::function<std::string(const wire::transport::frame2&)>;

  /// Accepts DstAddr.port == port, else "not listening on given port" (the
  /// reference's text).
  static frame2_check port_checker(uint16_t port = wire::transport::transport_port);

  struct initiator_config {
    crypto::keypair local;
    /// Our SrcAddr port: an ephemeral virtual port (>= 49152) for a
    /// transport, 0 for the address resolver channel.
    port local_port;
    /// DstAddr: the peer and port 45 for a transport; {null key, 0} for the
    /// address resolver channel.
    address remote;
    /// Bytes after Frame3 are the peer's first data (the address resolver
    /// channel, where no Noise handshake follows and the resolver may push at
    /// once): kept for take_rest() instead of failing as out of turn.
    bool data_may_follow = false;
  };

  struct responder_config {
    crypto::keypair local;
    frame2_check check; ///< empty: port_checker()
    /// Transports: DstAddr.pk must be ours and SrcAddr.pk not ours (the
    /// address resolver, which accepts any Frame2, turns this off).
    bool require_own_key = true;
    /// Frame1's nonce; random unless set (vector tests only).
    std::optional<wire::transport::handshake_nonce> nonce;
  };

  static frame_exchange initiator(initiator_config cfg);
  static frame_exchange responder(responder_config cfg);

  /// What to send before anything arrives: Frame0 (initiator), nothing
  /// (responder).
  void start(byte_buffer& out);

  /// Feeds bytes from the peer; appends what to send to `out`.
  step feed(byte_span in, byte_buffer& out);

  /// The frame the machine waits for, for timeout texts ("Frame1").
  const char* waiting_for() const noexcept;

  const caf::error& error() const noexcept { return err_; }
  /// Once done (data_may_follow): the bytes that came after Frame3.
  byte_buffer take_rest() { return std::exchange(rest_, {}); }
  /// Once done: our address and the peer's as the handshake settled them
  /// (responder: Frame2's DstAddr and SrcAddr).
  const address& local() const noexcept { return local_; }
  const address& remote() const noexcept { return remote_; }
  /// Once done: Frame2 as sent or received (tests, logs).
  const wire::transport::frame2& frame2() const noexcept { return f2_; }

private:
  enum class state : uint8_t { wait_frame0, wait_frame1, wait_frame2, wait_frame3, done, failed };

  frame_exchange() = default;
  step fail(caf::error err);
  /// Collects one newline-terminated line of at most `limit` bytes; nullopt
  /// until complete (or after failing).
  std::optional<std::string> take_line(byte_span in, size_t limit, const char* what,
                                       bool keep_rest = false);
  step on_frame0(byte_span in, byte_buffer& out);
  step on_frame1(const std::string& line, byte_buffer& out);
  step on_frame2(const std::string& line, byte_buffer& out);
  step on_frame3(const std::string& line);

  bool initiator_ = true;
  state st_ = state::failed;
  crypto::keypair key_;
  address local_;
  address remote_;
  frame2_check check_;
  bool require_own_key_ = true;
  bool data_may_follow_ = false;
  wire::transport::handshake_nonce nonce_{};
  wire::transport::frame2 f2_;
  std::string line_; ///< the partial frame
  byte_buffer rest_; ///< data after Frame3 (data_may_follow)
  caf::error err_;
};

/// Noise KK over 2-byte-length frames (reference §2.5, §3.3): initiator
/// writes message 1, responder answers message 2; both are exactly 49 bytes.
class kk_exchange {
public:
  struct config {
    crypto::keypair local;
    public_key remote;
    bool initiator = true;
    /// Fixed ephemeral key (vector tests only).
    std::optional<crypto::keypair> ephemeral;
  };

  static expected<kk_exchange> make(config cfg);

  /// Initiator: appends message 1's frame. Responder: nothing.
  void start(byte_buffer& out);
  step feed(byte_span in, byte_buffer& out);
  /// Once done: the transport session (Skywire's cipher-state assignment).
  expected<crypto::noise::session> take_session();

  const char* waiting_for() const noexcept;
  const caf::error& error() const noexcept { return err_; }

private:
  explicit kk_exchange(crypto::noise::handshake hs, bool initiator)
    : hs_(std::move(hs)), initiator_(initiator) {}
  step fail(caf::error err);

  crypto::noise::handshake hs_;
  bool initiator_;
  bool done_ = false;
  bool started_ = false;
  std::vector<uint8_t> buf_; ///< at most one frame (51 bytes)
  caf::error err_;
};

} // namespace skywire::transport
