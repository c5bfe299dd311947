// Noise handshake patterns as data: pre-messages and message token lists.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace skywire::crypto::noise {

enum class token : uint8_t { e, s, ee, es, se, ss };

/// Tokens of one message (at most 6 in the supported patterns).
struct message_pattern {
  std::array<token, 6> tokens{};
  uint8_t size = 0;

  constexpr message_pattern() = default;
  constexpr message_pattern(std::initializer_list<token> ts) {
    for (auto t : ts)
      tokens[size++] = t;
  }
  constexpr const token* begin() const { return tokens.data(); }
  constexpr const token* end() const { return tokens.data() + size; }
};

struct handshake_pattern {
  std::string_view name;
  message_pattern pre_initiator; ///< "-> ..." before "...": keys the responder knows
  message_pattern pre_responder; ///< "<- ..." before "...": keys the initiator knows
  std::array<message_pattern, 4> messages{};
  uint8_t message_count = 0;

  /// Message i is written by the initiator when i is even.
  static constexpr bool written_by_initiator(size_t i) { return i % 2 == 0; }
};

namespace patterns {

using enum token;

inline constexpr handshake_pattern NN{"NN", {}, {}, {{{e}, {e, ee}}}, 2};
inline constexpr handshake_pattern KK{"KK", {s}, {s}, {{{e, es, ss}, {e, ee, se}}}, 2};
inline constexpr handshake_pattern XK{"XK", {}, {s}, {{{e, es}, {e, ee}, {s, se}}}, 3};
inline constexpr handshake_pattern IK{"IK", {}, {s}, {{{e, es, s, ss}, {e, ee, se}}}, 2};
inline constexpr handshake_pattern XX{"XX", {}, {}, {{{e}, {e, ee, s, es}, {s, se}}}, 3};

/// Looks a pattern up by name ("NN", "KK", "XK", "IK", "XX"); nullptr if unknown.
constexpr const handshake_pattern* by_name(std::string_view n) {
  for (auto* p : {&NN, &KK, &XK, &IK, &XX})
    if (p->name == n)
      return p;
  return nullptr;
}

} // namespace patterns

} // namespace skywire::crypto::noise
