// SHA-256, HMAC-SHA-256 and random bytes (libsodium underneath).
#pragma once

#include <array>
#include <span>

#include "messages/ids.hpp"

namespace skywire::crypto {

/// Initialises libsodium once; every function here calls it.
void ensure_sodium();

sha256_digest sha256(byte_span data);

/// SHA-256 over several pieces without concatenating them.
sha256_digest sha256(std::initializer_list<byte_span> pieces);

std::array<uint8_t, 32> hmac_sha256(byte_span key, byte_span data);

void random_bytes(std::span<uint8_t> out);

} // namespace skywire::crypto
