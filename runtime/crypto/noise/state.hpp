// One Noise state machine (Noise spec rev. 34, sections 5.1-5.3): cipher
// state, symmetric state and handshake state, generic over the DH, cipher
// and hash policies of primitives.hpp. No PSK modes. Handshake messages are
// bounded by the Noise limit of 65535 bytes. Every input is treated as
// hostile: a failed read poisons the handshake.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sodium.h>

#include "messages/ids.hpp"
#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"
#include "runtime/crypto/noise/patterns.hpp"
#include "runtime/crypto/noise/primitives.hpp"

namespace skywire::crypto::noise {

/// The Noise limit on any message.
inline constexpr size_t max_message_size = 65535;

template <class Cipher>
class cipher_state {
public:
  static constexpr size_t tag_len = Cipher::tag_len;

  cipher_state() = default;
  cipher_state(const cipher_state&) = default;
  cipher_state& operator=(const cipher_state&) = default;
  ~cipher_state() { sodium_memzero(k_.data(), k_.size()); }

  void initialize_key(const uint8_t* k) noexcept {
    std::memcpy(k_.data(), k, k_.size());
    has_key_ = true;
    n_ = 0;
  }
  bool has_key() const noexcept { return has_key_; }
  uint64_t nonce() const noexcept { return n_; }
  void set_nonce(uint64_t n) noexcept { n_ = n; }
  const std::array<uint8_t, Cipher::key_len>& key() const noexcept { return k_; }

  /// Writes len (+ tag_len with a key) bytes to out. False when the nonce
  /// space is exhausted (n = 2^64-1 is reserved).
  [[nodiscard]] bool encrypt_with_ad(byte_span ad, const uint8_t* in, size_t len, uint8_t* out,
                                     size_t& out_len) noexcept {
    if (!has_key_) {
      if (len)
        std::memmove(out, in, len);
      out_len = len;
      return true;
    }
    if (n_ == UINT64_MAX)
      return false;
    Cipher::encrypt(k_.data(), n_, ad, in, len, out);
    ++n_;
    out_len = len + tag_len;
    return true;
  }

  /// Reverse of encrypt_with_ad; the nonce advances only on success.
  [[nodiscard]] bool decrypt_with_ad(byte_span ad, const uint8_t* in, size_t len, uint8_t* out,
                                     size_t& out_len) noexcept {
    if (!has_key_) {
      if (len)
        std::memmove(out, in, len);
      out_len = len;
      return true;
    }
    if (n_ == UINT64_MAX || len < tag_len)
      return false;
    if (!Cipher::decrypt(k_.data(), n_, ad, in, len, out))
      return false;
    ++n_;
    out_len = len - tag_len;
    return true;
  }

private:
  std::array<uint8_t, Cipher::key_len> k_{};
  uint64_t n_ = 0;
  bool has_key_ = false;
};

template <class Cipher, class Hash>
class symmetric_state {
public:
  static constexpr size_t hash_len = Hash::hash_len;
  using digest = std::array<uint8_t, hash_len>;

  symmetric_state() = default;
  symmetric_state(const symmetric_state&) = default;
  symmetric_state& operator=(const symmetric_state&) = default;
  ~symmetric_state() {
    sodium_memzero(ck_.data(), ck_.size());
    sodium_memzero(h_.data(), h_.size());
  }

  void initialize(std::string_view protocol_name) noexcept {
    h_.fill(0);
    if (protocol_name.size() <= hash_len) {
      std::memcpy(h_.data(), protocol_name.data(), protocol_name.size());
    } else {
      typename Hash::state st;
      st.update(reinterpret_cast<const uint8_t*>(protocol_name.data()), protocol_name.size());
      st.final(h_.data());
    }
    ck_ = h_;
    cs_ = cipher_state<Cipher>{};
  }

  void mix_key(const uint8_t* ikm, size_t len) noexcept {
    digest out1, out2;
    hkdf2(ikm, len, out1, out2);
    ck_ = out1;
    cs_.initialize_key(out2.data()); // truncated to key_len when hash_len is 64
    sodium_memzero(out1.data(), out1.size());
    sodium_memzero(out2.data(), out2.size());
  }

  void mix_hash(const uint8_t* data, size_t len) noexcept {
    typename Hash::state st;
    st.update(h_.data(), h_.size());
    st.update(data, len);
    st.final(h_.data());
  }

  /// out needs len + tag_len bytes; out must not alias in.
  [[nodiscard]] bool encrypt_and_hash(const uint8_t* in, size_t len, uint8_t* out,
                                      size_t& out_len) noexcept {
    if (!cs_.encrypt_with_ad({h_.data(), h_.size()}, in, len, out, out_len))
      return false;
    mix_hash(out, out_len);
    return true;
  }

  /// out needs len bytes; out must not alias in.
  [[nodiscard]] bool decrypt_and_hash(const uint8_t* in, size_t len, uint8_t* out,
                                      size_t& out_len) noexcept {
    if (!cs_.decrypt_with_ad({h_.data(), h_.size()}, in, len, out, out_len))
      return false;
    mix_hash(in, len);
    return true;
  }

  /// Split(): (c1, c2) keyed by HKDF(ck, "").
  std::pair<cipher_state<Cipher>, cipher_state<Cipher>> split() const noexcept {
    digest out1, out2;
    hkdf2(nullptr, 0, out1, out2);
    std::pair<cipher_state<Cipher>, cipher_state<Cipher>> res;
    res.first.initialize_key(out1.data());
    res.second.initialize_key(out2.data());
    sodium_memzero(out1.data(), out1.size());
    sodium_memzero(out2.data(), out2.size());
    return res;
  }

  const digest& h() const noexcept { return h_; }
  const digest& ck() const noexcept { return ck_; }
  bool has_key() const noexcept { return cs_.has_key(); }

  /// HMAC over the hash policy (RFC 2104).
  static void hmac(const uint8_t* key, size_t key_len, std::initializer_list<byte_span> data,
                   uint8_t* out) noexcept {
    std::array<uint8_t, Hash::block_len> k{};
    if (key_len > Hash::block_len) {
      typename Hash::state st;
      st.update(key, key_len);
      st.final(k.data());
    } else if (key_len) {
      std::memcpy(k.data(), key, key_len);
    }
    std::array<uint8_t, Hash::block_len> pad;
    digest inner;
    {
      for (size_t i = 0; i < pad.size(); ++i)
        pad[i] = k[i] ^ 0x36;
      typename Hash::state st;
      st.update(pad.data(), pad.size());
      for (auto d : data)
        st.update(d.data(), d.size());
      st.final(inner.data());
    }
    {
      for (size_t i = 0; i < pad.size(); ++i)
        pad[i] = k[i] ^ 0x5c;
      typename Hash::state st;
      st.update(pad.data(), pad.size());
      st.update(inner.data(), inner.size());
      st.final(out);
    }
    sodium_memzero(k.data(), k.size());
    sodium_memzero(pad.data(), pad.size());
    sodium_memzero(inner.data(), inner.size());
  }

private:
  /// HKDF(ck, ikm) with two outputs (Noise spec 4.3).
  void hkdf2(const uint8_t* ikm, size_t len, digest& out1, digest& out2) const noexcept {
    digest temp_key;
    hmac(ck_.data(), ck_.size(), {byte_span{ikm, len}}, temp_key.data());
    static constexpr uint8_t one = 0x01;
    static constexpr uint8_t two = 0x02;
    hmac(temp_key.data(), temp_key.size(), {byte_span{&one, 1}}, out1.data());
    hmac(temp_key.data(), temp_key.size(), {byte_span{out1.data(), out1.size()}, byte_span{&two, 1}},
         out2.data());
    sodium_memzero(temp_key.data(), temp_key.size());
  }

  digest ck_{};
  digest h_{};
  cipher_state<Cipher> cs_;
};

/// Why a handshake operation failed (mapped to crypto_errc by callers).
enum class handshake_status : uint8_t {
  ok,
  not_my_turn,     ///< write when we should read, read when we should write, or finished
  missing_key,     ///< a token needs a key the configuration did not provide
  bad_message,     ///< truncated or too long
  bad_key,         ///< DH failed (invalid remote public key)
  decrypt_failed,  ///< AEAD tag mismatch
  failed,          ///< the handshake already failed earlier
};

template <class DH, class Cipher, class Hash>
class handshake_state {
public:
  using keypair = typename DH::keypair;
  using public_key = typename DH::public_key;
  using cipher = cipher_state<Cipher>;

  struct config {
    const handshake_pattern* pattern = nullptr;
    bool initiator = true;
    byte_span prologue{};
    std::optional<keypair> s;        ///< local static
    std::optional<keypair> e;        ///< local ephemeral (tests inject it; else generated)
    std::optional<public_key> rs;    ///< remote static, when known in advance
    std::optional<public_key> re;    ///< remote ephemeral, when known in advance
  };

  static std::string protocol_name(const handshake_pattern& p) {
    std::string n = "Noise_";
    n += p.name;
    n += '_';
    n += DH::name;
    n += '_';
    n += Cipher::name;
    n += '_';
    n += Hash::name;
    return n;
  }

  handshake_state() = default;

  /// Initialize(); missing_key if a pre-message key is absent.
  handshake_status initialize(config cfg) {
    ensure_sodium();
    if (!cfg.pattern)
      return handshake_status::missing_key;
    pattern_ = cfg.pattern;
    initiator_ = cfg.initiator;
    s_ = std::move(cfg.s);
    e_ = std::move(cfg.e);
    rs_ = std::move(cfg.rs);
    re_ = std::move(cfg.re);
    index_ = 0;
    failed_ = false;
    ss_.initialize(protocol_name(*pattern_));
    ss_.mix_hash(cfg.prologue.data(), cfg.prologue.size());
    // Pre-messages: the initiator's keys first, then the responder's.
    for (int side = 0; side < 2; ++side) {
      bool of_initiator = side == 0;
      const auto& pre = of_initiator ? pattern_->pre_initiator : pattern_->pre_responder;
      bool mine = of_initiator == initiator_;
      for (auto t : pre) {
        const public_key* k = nullptr;
        if (t == token::s)
          k = mine ? (s_ ? &s_->pk : nullptr) : (rs_ ? &*rs_ : nullptr);
        else if (t == token::e)
          k = mine ? (e_ ? &e_->pk : nullptr) : (re_ ? &*re_ : nullptr);
        if (!k) {
          failed_ = true;
          return handshake_status::missing_key;
        }
        ss_.mix_hash(k->data(), DH::pub_len);
      }
    }
    return handshake_status::ok;
  }

  bool finished() const noexcept { return pattern_ && index_ >= pattern_->message_count; }
  bool failed() const noexcept { return failed_; }
  bool is_initiator() const noexcept { return initiator_; }
  size_t message_index() const noexcept { return index_; }

  /// Whether the next message is ours to write.
  bool my_turn() const noexcept {
    return pattern_ && !finished() && !failed_
           && handshake_pattern::written_by_initiator(index_) == initiator_;
  }

  /// Appends the next handshake message (tokens, then the encrypted payload)
  /// to out.
  handshake_status write_message(byte_span payload, std::vector<uint8_t>& out) {
    if (failed_)
      return handshake_status::failed;
    if (!my_turn())
      return handshake_status::not_my_turn;
    size_t start = out.size();
    auto fail = [&](handshake_status st) {
      out.resize(start);
      failed_ = true;
      return st;
    };
    const auto& msg = pattern_->messages[index_];
    for (auto t : msg) {
      switch (t) {
        case token::e: {
          if (!e_)
            e_ = new_ephemeral(); // a fixed one (config::e) is used as given
          append(out, e_->pk.data(), DH::pub_len);
          ss_.mix_hash(e_->pk.data(), DH::pub_len);
          break;
        }
        case token::s: {
          if (!s_)
            return fail(handshake_status::missing_key);
          size_t off = out.size();
          out.resize(off + DH::pub_len + Cipher::tag_len);
          size_t n = 0;
          if (!ss_.encrypt_and_hash(s_->pk.data(), DH::pub_len, out.data() + off, n))
            return fail(handshake_status::failed);
          out.resize(off + n);
          break;
        }
        default:
          if (auto st = mix_dh(t); st != handshake_status::ok)
            return fail(st);
      }
    }
    size_t off = out.size();
    out.resize(off + payload.size() + Cipher::tag_len);
    size_t n = 0;
    if (!ss_.encrypt_and_hash(payload.data(), payload.size(), out.data() + off, n))
      return fail(handshake_status::failed);
    out.resize(off + n);
    if (out.size() - start > max_message_size)
      return fail(handshake_status::bad_message);
    ++index_;
    return handshake_status::ok;
  }

  /// Processes the next handshake message; the decrypted payload is appended
  /// to payload_out.
  handshake_status read_message(byte_span msg, std::vector<uint8_t>& payload_out) {
    if (failed_)
      return handshake_status::failed;
    if (!pattern_ || finished() || my_turn())
      return handshake_status::not_my_turn;
    auto fail = [&](handshake_status st) {
      failed_ = true;
      return st;
    };
    if (msg.size() > max_message_size)
      return fail(handshake_status::bad_message);
    const auto& pat = pattern_->messages[index_];
    for (auto t : pat) {
      switch (t) {
        case token::e: {
          if (msg.size() < DH::pub_len)
            return fail(handshake_status::bad_message);
          public_key re{};
          std::memcpy(re.data(), msg.data(), DH::pub_len);
          re_ = re;
          ss_.mix_hash(re.data(), DH::pub_len);
          msg = msg.subspan(DH::pub_len);
          break;
        }
        case token::s: {
          size_t len = DH::pub_len + (ss_.has_key() ? Cipher::tag_len : 0);
          if (msg.size() < len)
            return fail(handshake_status::bad_message);
          public_key rs{};
          size_t n = 0;
          if (!ss_.decrypt_and_hash(msg.data(), len, rs.data(), n))
            return fail(handshake_status::decrypt_failed);
          rs_ = rs;
          msg = msg.subspan(len);
          break;
        }
        default:
          if (auto st = mix_dh(t); st != handshake_status::ok)
            return fail(st);
      }
    }
    if (ss_.has_key() && msg.size() < Cipher::tag_len)
      return fail(handshake_status::bad_message);
    size_t off = payload_out.size();
    payload_out.resize(off + msg.size());
    size_t n = 0;
    if (!ss_.decrypt_and_hash(msg.data(), msg.size(), payload_out.data() + off, n)) {
      payload_out.resize(off);
      return fail(handshake_status::decrypt_failed);
    }
    payload_out.resize(off + n);
    ++index_;
    return handshake_status::ok;
  }

  /// Split() (valid once finished): (c1, c2) in spec order.
  std::pair<cipher, cipher> split() const noexcept { return ss_.split(); }

  const typename symmetric_state<Cipher, Hash>::digest& h() const noexcept { return ss_.h(); }
  const typename symmetric_state<Cipher, Hash>::digest& ck() const noexcept { return ss_.ck(); }
  const std::optional<public_key>& remote_static() const noexcept { return rs_; }
  const std::optional<public_key>& remote_ephemeral() const noexcept { return re_; }
  const std::optional<keypair>& local_ephemeral() const noexcept { return e_; }

private:
  static void append(std::vector<uint8_t>& out, const uint8_t* p, size_t n) {
    out.insert(out.end(), p, p + n);
  }

  handshake_status mix_dh(token t) noexcept {
    const keypair* local = nullptr;
    const public_key* remote = nullptr;
    auto loc = [&](bool ephemeral) { return ephemeral ? (e_ ? &*e_ : nullptr) : (s_ ? &*s_ : nullptr); };
    auto rem = [&](bool ephemeral) {
      return ephemeral ? (re_ ? &*re_ : nullptr) : (rs_ ? &*rs_ : nullptr);
    };
    switch (t) {
      case token::ee: local = loc(true); remote = rem(true); break;
      case token::ss: local = loc(false); remote = rem(false); break;
      // es: initiator's e with responder's s; se: initiator's s with responder's e.
      case token::es:
        local = initiator_ ? loc(true) : loc(false);
        remote = initiator_ ? rem(false) : rem(true);
        break;
      case token::se:
        local = initiator_ ? loc(false) : loc(true);
        remote = initiator_ ? rem(true) : rem(false);
        break;
      default: return handshake_status::failed;
    }
    if (!local || !remote)
      return handshake_status::missing_key;
    std::array<uint8_t, DH::dh_len> out{};
    bool ok = t == token::ss ? static_dh(*local, *remote, out.data())
                             : DH::dh(*local, *remote, out.data());
    if (!ok) {
      sodium_memzero(out.data(), out.size());
      return handshake_status::bad_key;
    }
    ss_.mix_key(out.data(), out.size());
    sodium_memzero(out.data(), out.size());
    return handshake_status::ok;
  }

  /// The DH policy's optional hooks (primitives.hpp): a pooled ephemeral,
  /// a cached static-static DH. Without them: generate / compute each time.
  static keypair new_ephemeral() {
    if constexpr (requires { DH::take_ephemeral(); })
      return DH::take_ephemeral();
    else
      return DH::generate();
  }

  /// ss: both keys static (s_ and rs_), never an ephemeral.
  static bool static_dh(const keypair& local, const public_key& remote, uint8_t* out) noexcept {
    if constexpr (requires { DH::static_dh(local, remote, out); })
      return DH::static_dh(local, remote, out);
    else
      return DH::dh(local, remote, out);
  }

  const handshake_pattern* pattern_ = nullptr;
  bool initiator_ = true;
  bool failed_ = false;
  size_t index_ = 0;
  symmetric_state<Cipher, Hash> ss_;
  std::optional<keypair> s_;
  std::optional<keypair> e_;
  std::optional<public_key> rs_;
  std::optional<public_key> re_;
};

} // namespace skywire::crypto::noise
