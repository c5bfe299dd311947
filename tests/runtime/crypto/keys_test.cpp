#include <doctest/doctest.h>

#include "runtime/crypto/hash.hpp"
#include "runtime/crypto/keys.hpp"
#include "tests/runtime/crypto/vectors.hpp"

using namespace skywire;
using namespace skywire::crypto;
using namespace skywire::crypto::test;

namespace {

const boost::json::value& keys_json() {
  static auto v = load_vectors("skywire/keys.json");
  return v;
}

keypair named(std::string_view seed) {
  return deterministic_keypair(byte_span{reinterpret_cast<const uint8_t*>(seed.data()), seed.size()});
}

} // namespace

TEST_CASE("deterministic keypairs reproduce Skycoin's GenerateDeterministicKeyPair") {
  auto& items = keys_json().at("keypairs").at("items").as_array();
  REQUIRE(items.size() == 3);
  for (auto& it : items) {
    auto seed = unhex(it.at("seed_hex"));
    auto kp = deterministic_keypair(seed);
    CHECK(kp.sk.hex() == str(it.at("sk")));
    CHECK(kp.pk.hex() == str(it.at("pk")));
    auto pk = derive_public_key(kp.sk);
    REQUIRE(pk);
    CHECK(*pk == kp.pk);
    CHECK(is_valid(kp.pk));
    CHECK(is_valid(kp.sk));
  }
}

TEST_CASE("random keypairs are valid and distinct") {
  auto a = generate_keypair();
  auto b = generate_keypair();
  CHECK(is_valid(a.pk));
  CHECK(a.pk != b.pk);
  CHECK(!(a.sk == b.sk));
  CHECK(*derive_public_key(a.sk) == a.pk);
}

TEST_CASE("invalid secret keys are errors") {
  CHECK(!derive_public_key(secret_key{}));
  std::array<uint8_t, 32> n{};
  n.fill(0xff);
  CHECK(!derive_public_key(secret_key{n}));
  CHECK(derive_public_key(secret_key{}).error().category() == crypto_category());
}

TEST_CASE("ECDH = SHA-256 of the compressed shared point, symmetric") {
  for (auto& it : keys_json().at("ecdh").at("items").as_array()) {
    auto a = named(str(it.at("a")));
    auto b = named(str(it.at("b")));
    auto ab = ecdh(b.pk, a.sk);
    auto ba = ecdh(a.pk, b.sk);
    REQUIRE(ab);
    REQUIRE(ba);
    CHECK(to_hex(*ab) == str(it.at("ecdh")));
    CHECK(*ab == *ba);
    CHECK(sha256(unhex(it.at("shared_point_compressed"))).hex() == str(it.at("ecdh")));
    std::array<uint8_t, 32> direct{};
    CHECK(ecdh_into(b.pk, a.sk, direct));
    CHECK(direct == *ab);
  }
  CHECK(!ecdh(public_key{}, named("alice").sk));
  CHECK(!ecdh(named("bob").pk, secret_key{}));
}

TEST_CASE("SHA-256 vectors") {
  for (auto& it : keys_json().at("sha256").at("items").as_array())
    CHECK(sha256(unhex(it.at("input_hex"))).hex() == str(it.at("sha256")));
}

TEST_CASE("reference signatures verify and recover the signer") {
  for (auto& it : keys_json().at("signatures").at("items").as_array()) {
    auto pk = fixed<public_key>(it.at("pk"));
    auto sig = fixed<signature>(it.at("sig"));
    auto payload = unhex(it.at("payload_hex"));
    auto err = verify(payload, pk, sig);
    CHECK_MESSAGE(!err, describe(err));
    auto rec = recover(sha256(payload), sig);
    REQUIRE(rec);
    CHECK(rec->hex() == str(it.at("recovered_pk")));
  }
}

TEST_CASE("fixed-nonce signatures are byte-exact") {
  for (auto& it : keys_json().at("fixed_nonce_signatures").at("items").as_array()) {
    auto kp = named(str(it.at("signer")));
    CHECK(kp.pk.hex() == str(it.at("pk")));
    auto digest = fixed<sha256_digest>(it.at("sha256_of_payload"));
    auto kv = unhex(it.at("nonce_k"));
    std::array<uint8_t, 32> k{};
    std::copy(kv.begin(), kv.end(), k.begin());
    auto sig = sign_digest_with_nonce(digest, kp.sk, k);
    REQUIRE(sig);
    CHECK(sig->hex() == str(it.at("sig")));
    CHECK(!verify_digest(digest, kp.pk, *sig));
  }
}

TEST_CASE("the five invalid signatures are rejected") {
  auto& items = keys_json().at("invalid_signatures").at("items").as_array();
  REQUIRE(items.size() == 5);
  for (auto& it : items) {
    auto pk = fixed<public_key>(it.at("pk"));
    auto sig = fixed<signature>(it.at("sig"));
    auto err = verify(unhex(it.at("payload_hex")), pk, sig);
    INFO(str(it.at("case")));
    CHECK(err);
    CHECK(err.category() == crypto_category());
  }
}

TEST_CASE("sign then verify, tampering fails") {
  auto kp = generate_keypair();
  std::string msg = "a message";
  byte_span data{reinterpret_cast<const uint8_t*>(msg.data()), msg.size()};
  auto sig = sign(data, kp.sk);
  CHECK(sig.bytes[32] < 0x80);
  CHECK(sig.bytes[64] < 4);
  CHECK(!verify(data, kp.pk, sig));
  auto bad = sig;
  bad.bytes[5] ^= 1;
  CHECK(verify(data, kp.pk, bad));
  CHECK(verify(data, generate_keypair().pk, sig) == make_error(crypto_errc::wrong_signer));
  // A zero digest is refused.
  CHECK(!sign_digest_with_nonce(sha256_digest{}, kp.sk, std::array<uint8_t, 32>{{1}}));
  CHECK(sign_digest(sha256_digest{}, kp.sk).is_null());
}

TEST_CASE("text forms") {
  auto& tf = keys_json().at("text_forms");
  auto null_pk = parse_public_key(str(tf.at("null_pk_hex")));
  REQUIRE(null_pk);
  CHECK(null_pk->is_null());
  CHECK(parse_public_key("000000")->is_null());
  CHECK(parse_public_key("")->is_null());
  auto bad = parse_public_key(str(tf.at("invalid_point_example_hex")));
  CHECK(!bad);
  CHECK(!is_valid(fixed<public_key>(tf.at("invalid_point_example_hex"))));
  auto alice = parse_public_key("03423b3a4e823ff981b6855640b4f78846d819880fd9ee1ab829bc069ea46f67f5");
  REQUIRE(alice);
  CHECK(*alice == named("alice").pk);
  auto sig = signature::from_hex(str(tf.at("null_sig_hex")));
  REQUIRE(sig);
  CHECK(sig->is_null());
}

TEST_CASE("crypto errors carry the \"crypto\" category and describe() prints code names") {
  auto err = make_error(crypto_errc::wrong_signer, "context");
  CHECK(err.category() == caf::atom("crypto"));
  CHECK(describe(err) == "crypto:wrong_signer: context");
  CHECK(std::string{to_string(crypto_errc::nonce_reuse)} == "nonce_reuse");
}
