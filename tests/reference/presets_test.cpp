// Every preset in scenarios/presets runs end to end, as a user would run it, on a small book.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

using testing::expect_contains;
using testing::Outcome;
using testing::read_text;
using testing::run_cli;

namespace fs = std::filesystem;

TEST(Presets, EveryPresetRunsEndToEnd) {
  const fs::path directory = fs::temp_directory_path() / ("margin-stress-presets-" + std::to_string(getpid()));
  fs::create_directories(directory);
  const std::string book = (directory / "book.h5").string();
  const Outcome generated = run_cli("portfolio generate --accounts 3000 --out " + book);
  ASSERT_EQ(generated.exit_code, 0) << generated.output;

  std::size_t presets = 0;
  for (const char* family : {"replays", "shocks", "policies"}) {
    for (const auto& entry :
         fs::directory_iterator(fs::path(MARGIN_STRESS_SOURCE_DIR) / "scenarios/presets" / family)) {
      if (entry.path().extension() != ".toml") continue;
      SCOPED_TRACE(entry.path().string());
      ++presets;
      const std::string out = (directory / (entry.path().stem().string() + ".h5")).string();
      const Outcome outcome =
          run_cli("run --config " + entry.path().string() + " --portfolio " + book + " --scenarios 3 --out " + out);
      EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
      expect_contains(outcome.output, {"money conserved: largest ledger residual 0.000000 USD"});
      EXPECT_TRUE(fs::exists(out));
    }
  }
  EXPECT_EQ(presets, 6u + 6u + 11u);  // every preset file: a deleted one must be noticed
  fs::remove_all(directory);
}

}  // namespace
}  // namespace margin_stress
