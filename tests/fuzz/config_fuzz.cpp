// libFuzzer target: a TOML config file (docs/config.md) as `run --config` reads it, and the same
// text as a policy file (docs/compare.md) layered over the built-in default. Documented failures
// are InputError (parse_config, parse_config_over, require_common_scenarios, validate_config);
// anything else escaping, a crash, a hang, a leak or undefined behaviour is a finding, and so is a
// valid config whose effective text (source_text) does not read back as the same configuration.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "host/io/config_file.hpp"
#include "host/io/config_writer.hpp"
#include "host/io/policy_file.hpp"
#include "host/model/input_error.hpp"
#include "scenarios/validate_config.hpp"

namespace {

// source_text "alone reproduces the run" (host/io/config_file.hpp): it must parse to the same
// configuration, compared as config_to_toml, which writes every field exactly.
void check_round_trip(const margin_stress::ModelConfig& config) {
  using namespace margin_stress;
  const ModelConfig again = parse_config(config.source_text, config.source_name);
  if (config_to_toml(again) != config_to_toml(config)) {
    std::fprintf(stderr, "config_fuzz: source_text does not read back as the same configuration:\n%s\n",
                 config.source_text.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace margin_stress;
  static const ModelConfig base = default_config();
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const ModelConfig config = parse_config(text, "fuzz.toml");
    try {
      validate_config(config);
      check_round_trip(config);
    } catch (const InputError&) {
    }
    // Read as load_policy_config reads a policy file (the text alone first, as above), then checked
    // as compare checks it.
    const ModelConfig policy = parse_config_over(base, text, "fuzz-policy.toml");
    require_common_scenarios(base, policy);
    validate_config(policy);
  } catch (const InputError&) {
  }
  return 0;
}
