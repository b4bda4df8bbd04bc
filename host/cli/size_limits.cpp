#include "host/cli/size_limits.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

namespace margin_stress {
namespace {

std::optional<std::int64_t> limit_from_environment(const char* variable) {
  const char* text = std::getenv(variable);
  if (text == nullptr || *text == '\0') return std::nullopt;
  std::int64_t value = 0;
  const char* end = text + std::strlen(text);
  const auto result = std::from_chars(text, end, value);
  if (result.ec != std::errc() || result.ptr != end || value < 1) {
    throw CLI::ValidationError(variable, std::string("'") + text + "' is not a positive integer");
  }
  return value;
}

template <typename Count>
void cap(Count& count, const char* variable, const char* key) {
  const std::optional<std::int64_t> limit = limit_from_environment(variable);
  if (!limit || static_cast<std::int64_t>(count) <= *limit) return;
  std::fprintf(stderr, "margin-stress: %s=%lld: %s lowered from %lld\n", variable, static_cast<long long>(*limit), key,
               static_cast<long long>(count));
  count = static_cast<Count>(*limit);
}

}  // namespace

void apply_size_limits(ModelConfig& config) {
  cap(config.run.scenarios, "MARGIN_STRESS_MAX_SCENARIOS", "run.scenarios");
  cap(config.portfolio.accounts, "MARGIN_STRESS_MAX_ACCOUNTS", "portfolio.accounts");
}

}  // namespace margin_stress
