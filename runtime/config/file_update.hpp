// Writing config files back (the reference's RPC setters: SetAutoStart and
// friends) without ever leaving a truncated or empty file behind, even when
// the process is killed mid-write: a temporary file in the same folder,
// written and fsynced, renamed over the target (atomic on POSIX), then the
// folder fsynced so the rename itself survives a power cut.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "messages/error.hpp"
#include "runtime/config/visor_config.hpp"

namespace skywire::config {

/// Replaces `path` with `text` atomically. The new file gets the old file's
/// mode (with keep_mode), else `mode`. A temporary file
/// "<path>.tmp-XXXXXX" is removed on failure (a kill leaves it; it is never
/// read).
caf::error write_file_atomically(const std::string& path, std::string_view text,
                                 mode_t mode = 0600, bool keep_mode = true);

/// Reads the config file at `path` (at most max_config_bytes), applies `edit`
/// to its JSON object, checks that the result still loads (load_json), and
/// writes it back atomically in Go's layout (to_pretty_json). Keys and values
/// the edit does not touch stay as they were, unknown keys included.
caf::error update_config_file(const std::string& path,
                              const std::function<caf::error(boost::json::object&)>& edit);

/// The edit of SetAutoStart: launcher.apps[<name>].auto_start = on.
caf::error set_app_auto_start(boost::json::object& root, std::string_view name, bool on);

/// The same change on a loaded config; false when it has no such app.
bool set_app_auto_start(visor_config& cfg, std::string_view name, bool on);

/// The edit of the reference's app setters (StartSkysocksClient's --srv,
/// AddApp): launcher.apps[app.name] gets app's binary, args, auto_start and
/// port (other keys of the entry stay), or `app` is appended when no entry
/// has its name.
caf::error set_app_entry(boost::json::object& root, const app_config& app);

/// The same change on a loaded config.
void set_app_entry(visor_config& cfg, const app_config& app);

} // namespace skywire::config
