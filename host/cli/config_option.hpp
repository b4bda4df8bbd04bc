// The -c/--config option every command that reads a configuration takes: config files layered left
// to right over the built-in default (docs/config.md, "Layering").
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace margin_stress {

// -c/--config FILE on `command`, repeatable; `what` says what the layered configuration is for
// this command (the option's help ends with it).
void add_config_option(CLI::App* command, std::vector<std::string>& paths, const std::string& what);

}  // namespace margin_stress
