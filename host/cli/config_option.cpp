#include "host/cli/config_option.hpp"

namespace margin_stress {

void add_config_option(CLI::App* command, std::vector<std::string>& paths, const std::string& what) {
  command
      ->add_option("-c,--config", paths,
                   "TOML file layered over the built-in default; repeat to layer several, left to right, a later "
                   "file's keys over an earlier one's (docs/config.md, 'Layering'); " +
                       what)
      ->check(CLI::ExistingFile);
}

}  // namespace margin_stress
