// rmqctl refuses any command-line argument that holds a control character (a byte below 0x20, or 0x7F).
//
// Why: every rmqctl argument ends up in a broker config, a path, a journal or a one-line message. A line break
// pasted into --store-root, an escape sequence in --group, a tab in --peers are never what the operator meant:
// written to a config they are escaped (Java properties) and the broker then runs against a directory nobody
// can type; printed, they break the one-line error rule or repaint the terminal. So they stop at the door,
// before any subcommand runs: exit 2 (usage), naming the argument with the bad bytes shown as \xNN.
#pragma once
#include <optional>
#include <string>

namespace rmq::tools {

// The one-line error for the first argument of argv[1..argc) that holds a control character, or nullopt.
std::optional<std::string> find_control_character_argument(int argc, const char* const* argv);

}  // namespace rmq::tools
