// Every preset in scenarios/presets runs end to end, as a user would run it, on a small book.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace margin_stress {
namespace {

namespace fs = std::filesystem;

int run(const std::string& arguments, std::string& output) {
  const std::string command = std::string(MARGIN_STRESS_BINARY) + " " + arguments + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buffer{};
  output.clear();
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) output += buffer.data();
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Presets, EveryPresetRunsEndToEnd) {
  const fs::path directory = fs::temp_directory_path() / ("margin-stress-presets-" + std::to_string(getpid()));
  fs::create_directories(directory);
  const std::string book = (directory / "book.h5").string();
  std::string output;
  ASSERT_EQ(run("portfolio generate --accounts 3000 --out " + book, output), 0) << output;

  std::size_t presets = 0;
  for (const char* family : {"replays", "shocks", "policies"}) {
    for (const auto& entry : fs::directory_iterator(fs::path(MARGIN_STRESS_SOURCE_DIR) / "scenarios/presets" / family)) {
      if (entry.path().extension() != ".toml") continue;
      SCOPED_TRACE(entry.path().string());
      ++presets;
      const std::string out = (directory / (entry.path().stem().string() + ".h5")).string();
      EXPECT_EQ(run("run --config " + entry.path().string() + " --portfolio " + book + " --scenarios 3 --out " + out,
                    output),
                0)
          << output;
      EXPECT_NE(output.find("money conserved: largest ledger residual 0.000000 USD"), std::string::npos) << output;
      EXPECT_TRUE(fs::exists(out));
    }
  }
  EXPECT_GE(presets, 3u + 6u + 7u);
  fs::remove_all(directory);
}

}  // namespace
}  // namespace margin_stress
