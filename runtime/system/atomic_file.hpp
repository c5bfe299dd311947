// Replacing a file so that a crash or a kill at any moment leaves either the
// old content or the new one, never a truncated or empty file: the text goes
// to <path>.tmp (created with `mode`), is fsync'ed, then renamed over path.
#pragma once

#include <filesystem>
#include <string_view>

#include <sys/types.h>

#include "messages/error.hpp"

namespace skywire::system {

/// Errors (caf::sec::runtime_error with the path and strerror) when the
/// temporary file cannot be written or renamed; the old file is untouched.
caf::error write_file_atomically(const std::filesystem::path& path, std::string_view text,
                                 mode_t mode = 0644);

} // namespace skywire::system
