// The pid files rmqctl writes beside what it launches (node_config.h: <storePathRootDir>/rmq-broker.pid).
//
// A pid file alone proves nothing: the process may have exited and the pid been reused. Every reader therefore
// checks /proc before trusting it (node_process.h). The file is written to a temporary name, fsynced and
// renamed, so a crash leaves either the old pid or the new one, never half a number.
#pragma once

#include <filesystem>
#include <optional>

namespace rmq::ctl {

// Writes "PID\n". Throws std::system_error on an I/O failure.
void write_pid_file(const std::filesystem::path& path, int pid);

// The pid in the file; nullopt when the file is absent, empty or not a positive number.
std::optional<int> read_pid_file(const std::filesystem::path& path);

// Removes the file if it still names `pid` (a newer launch's file is left alone). Errors are ignored.
void remove_pid_file_if(const std::filesystem::path& path, int pid);

}  // namespace rmq::ctl
