// skychat's message history (ours; the reference keeps none): one JSON line
// per message in <work_dir>/history.jsonl, appended as messages come and go,
//   {"time":<unix ms>,"peer":"<pk hex>","dir":"in"|"out","message":"…"}
// Bounded: at most max_entries kept (in memory and on disk); when the file
// grows past max_file_bytes it is rewritten atomically (temporary file,
// fsync, rename) with the newest entries only. A file that is larger than
// the bound is read from its tail; lines that do not parse (a torn last
// line after a crash, a hand edit) are skipped and counted, never fatal.
// Plain class: the chat actor owns it; every call is synchronous file I/O of
// a few hundred bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>

#include "messages/error.hpp"
#include "messages/ids.hpp"

namespace skywire::apps {

struct chat_entry {
  int64_t time_ms = 0;
  public_key peer;
  bool incoming = true;
  std::string message;
  friend bool operator==(const chat_entry&, const chat_entry&) = default;
};

/// One history line (without the newline), Go-style JSON.
std::string encode_chat_entry(const chat_entry& e);
/// Errors: not one of our lines.
expected<chat_entry> decode_chat_entry(std::string_view line);

class chat_history {
public:
  struct limits {
    size_t max_entries = 1000;
    size_t max_file_bytes = 4u << 20;
    size_t max_message = 32 * 1024;
  };

  chat_history(std::filesystem::path file, limits l);
  explicit chat_history(std::filesystem::path file) : chat_history(std::move(file), limits{}) {}

  /// Reads the file (missing = empty history). Errors: the file exists but
  /// cannot be read; corrupt lines are no error (skipped()).
  caf::error load();
  /// Appends one entry (the message cut to max_message bytes). Errors: the
  /// file cannot be written (the entry stays in memory).
  caf::error append(chat_entry e);

  const std::deque<chat_entry>& entries() const noexcept { return entries_; }
  /// Lines skipped by load() because they did not parse.
  size_t skipped() const noexcept { return skipped_; }
  const std::filesystem::path& file() const noexcept { return file_; }

private:
  caf::error compact();

  std::filesystem::path file_;
  limits lim_;
  std::deque<chat_entry> entries_;
  size_t file_bytes_ = 0;
  size_t skipped_ = 0;
};

} // namespace skywire::apps
