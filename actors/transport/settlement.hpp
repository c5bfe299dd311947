// The settlement handshake of every transport type (reference §3.4) as a
// state machine without I/O, on plaintext: for stcp/stcpr/sudph the core
// feeds it what the Noise frames decrypt to and encrypts what it emits; for
// dmsg it runs straight on the (already encrypted) dmsg stream.
//
//   I -> R  json.Encode(SignedEntry) with I's signature in I's edge slot and
//           label "user"; the entry is MakeEntry(I, R, type): sorted edges,
//           the derived transport ID (§3.7)
//   R       decodes it, compares t_id, edges and type with the entry it
//           computes itself, verifies I's signature over the entry's binary
//           form, adds its own signature, registers the doubly-signed entry at
//           transport discovery (the owner does that: step::decide), then
//   R -> I  one status byte: 1 OK, 0 rejected, 2 signature error, 3 invalid
//           entry (the reference answers 3 to any fault of the received
//           entry, a bad signature included)
//
// As the reference: the entry message is one line ending in "\n" (we bound it
// to 4096 bytes); the initiator sends nothing more until the status byte
// arrived, so bytes after the entry are out of turn; bytes after the status
// byte are transport data (the responder may send right after it).
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>

#include "actors/transport/handshake_io.hpp"
#include "messages/wire/transport/entry.hpp"
#include "runtime/crypto/keys.hpp"

namespace skywire::transport {

class settlement {
public:
  struct config {
    crypto::keypair local;
    public_key remote;
    std::string type; ///< "stcpr", "stcp", "sudph", "dmsg"
    bool initiator = true;
  };

  static expected<settlement> make(config cfg);

  /// Initiator: appends the signed entry line. Responder: nothing.
  void start(byte_buffer& out);

  /// Feeds plaintext from the peer. `consumed` gets how many bytes of `in`
  /// belong to the settlement; the initiator's rest (after the status byte)
  /// is transport data. Responder: step::decide once the entry verified.
  step feed(byte_span in, byte_buffer& out, size_t& consumed);

  /// Responder, after step::decide: accept (status 1) or refuse (status 0).
  step decide(bool accept, byte_buffer& out);

  /// The entry: the initiator's with its own signature; the responder's with
  /// both once verified (what it registers at transport discovery).
  const wire::transport::signed_entry& entry() const noexcept { return entry_; }
  const char* waiting_for() const noexcept;
  const caf::error& error() const noexcept { return err_; }

private:
  enum class state : uint8_t { wait_entry, wait_decision, wait_status, done, failed };

  settlement() = default;
  step fail(caf::error err, byte_buffer* out = nullptr,
            wire::transport::settlement_status status = wire::transport::settlement_status::invalid_entry);
  step on_entry_line(const std::string& line, byte_buffer& out);

  state st_ = state::failed;
  crypto::keypair key_;
  public_key remote_;
  wire::transport::signed_entry entry_;
  std::string line_;
  caf::error err_;
};

} // namespace skywire::transport
