// Transport discovery entries (reference §3.7): Entry, SignedEntry, their Go
// JSON, the signed binary form and the TPD registration body.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "messages/ids.hpp"

namespace skywire::wire::transport {

/// Transport type names of this protocol version.
inline constexpr std::string_view type_stcp = "stcp";
inline constexpr std::string_view type_stcpr = "stcpr";
inline constexpr std::string_view type_sudph = "sudph";
inline constexpr std::string_view type_dmsg = "dmsg";

/// A type name is 1..16 characters of [a-z0-9]; names other than the four
/// above are accepted (newer networks add types) but carry no behaviour here.
inline constexpr size_t max_type_name = 16;
bool valid_type_name(std::string_view name) noexcept;

enum class transport_label : uint8_t {
  user,      ///< created by a user/CLI or accepted from a remote
  automatic, ///< public autoconnect or the route-setup hook
  skycoin,   ///< transport-setup service
};
const char* to_string(transport_label l) noexcept;
expected<transport_label> label_from_string(std::string_view text);

/// The two edges in canonical order (lexicographic byte order of the
/// compressed keys, which equals the reference's big-integer order).
std::array<public_key, 2> sort_edges(const public_key& a, const public_key& b);

struct entry {
  transport_id id;
  std::array<public_key, 2> edges; ///< sorted
  std::string type;
  transport_label label = transport_label::user;

  /// The signed bytes: uuid[16] || edges[0][33] || edges[1][33] || type (no label).
  std::vector<uint8_t> to_binary() const;

  /// Index of pk among the edges, or nullopt.
  std::optional<size_t> edge_index(const public_key& pk) const;

  /// The edge that is not pk (pk must be an edge).
  const public_key& remote_edge(const public_key& pk) const;

  friend bool operator==(const entry&, const entry&) = default;
};

/// Builds an entry with sorted edges; the id must be crypto::make_transport_id
/// of the same edges and type (the derivation needs SHA-256, in runtime).
entry make_entry(const transport_id& id, const public_key& a, const public_key& b,
                 std::string_view type, transport_label label);

struct signed_entry {
  transport::entry entry;
  std::array<signature, 2> signatures; ///< slot i belongs to entry.edges[i]; zero = absent
  int64_t registered = 0;              ///< unix seconds; 0 = omitted

  /// Stores sig in the slot of pk; errors if pk is not an edge.
  caf::error set_signature(const public_key& pk, const signature& sig);
  /// The signature of pk's slot (zero when absent or pk is no edge).
  signature signature_of(const public_key& pk) const;

  friend bool operator==(const signed_entry&, const signed_entry&) = default;
};

// ---- JSON (byte-exact Go encoding/json output) ------------------------------

/// {"t_id":..,"edges":[..,..],"type":..,"label":..}
std::string encode_entry_json(const entry& e);
void append_entry_json(std::string& out, const entry& e);

/// {"entry":{..},"signatures":[..,..]} plus ,"registered":N when non-zero.
std::string encode_signed_entry_json(const signed_entry& se);
void append_signed_entry_json(std::string& out, const signed_entry& se);

/// json.Encoder form: the object plus "\n" (the settlement message).
std::string encode_signed_entry_line(const signed_entry& se);

/// TPD POST /transports/ body: JSON array plus "\n".
std::string encode_tpd_post_body(const std::vector<signed_entry>& entries);

inline constexpr size_t max_entry_json = 2048;
inline constexpr size_t max_signed_entry_json = 4096;
inline constexpr size_t max_entries_per_list = 4096;

/// Strict decoders. Edges must be distinct, non-null and in canonical order;
/// the type a valid name; the label one of the three; t_id a 36-char UUID.
/// Whether t_id matches the edges and type needs SHA-256: see
/// crypto::check_transport_id. Trailing whitespace (the "\n") is allowed.
expected<entry> decode_entry_json(std::string_view text);
expected<signed_entry> decode_signed_entry_json(std::string_view text);

/// A JSON array of SignedEntry (TPD POST body or a TPD listing), at most
/// max_entries entries and max_bytes bytes.
expected<std::vector<signed_entry>>
decode_signed_entry_list(std::string_view text, size_t max_entries = max_entries_per_list,
                         size_t max_bytes = max_entries_per_list * 700);

/// A JSON array of Entry (TPD GET /transports/edge:{pk}); `null` (what the
/// reference's PostgreSQL store answers for none) is an empty list. At most
/// max_entries entries and max_bytes bytes.
expected<std::vector<entry>> decode_entry_list(std::string_view text,
                                               size_t max_entries = max_entries_per_list,
                                               size_t max_bytes = max_entries_per_list * 300);

} // namespace skywire::wire::transport
