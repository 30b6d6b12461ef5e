#pragma once
// Small files in the state directory (baselines): written whole and atomically, so a crash
// leaves the old file or the new one, never half of each.
#include <optional>
#include <string>

namespace qw::daemon {

// Creates the directory when missing. Returns an error message, or "" when it is usable.
std::string prepare_state_dir(const std::string& dir);

// temp file, fsync, rename, fsync the directory. Returns an error message, or "".
std::string write_file_atomically(const std::string& path, const std::string& text);

// nullopt when the file does not exist or cannot be read.
std::optional<std::string> read_whole_file(const std::string& path);

}  // namespace qw::daemon
