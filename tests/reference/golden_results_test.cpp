// Golden results: every case of tests/data/golden/cases.tsv run as a user runs it, and every dataset
// of its results file equal bit for bit to the stored one. A change of the engine's numbers, on
// purpose or not, fails here until scripts/regenerate-golden records why (tests/data/golden/
// HISTORY.md). The provenance attributes (time, commit, command line) are not compared.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/reference/cli_runner.hpp"
#include "tests/reference/results_contents.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;
using testing::FileContents;
using testing::first_difference;
using testing::Outcome;
using testing::read_results;
using testing::run_cli;

const fs::path golden_directory = fs::path(MARGIN_STRESS_SOURCE_DIR) / "tests/data/golden";

struct GoldenCase {
  std::string name;
  std::string arguments;
};

std::vector<GoldenCase> golden_cases() {
  std::vector<GoldenCase> cases;
  std::ifstream in(golden_directory / "cases.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    cases.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return cases;
}

// The cases name their configs relative to the repository; the test runs elsewhere.
std::string with_repository_paths(std::string arguments) {
  const std::string option = "--config ";
  for (std::size_t at = arguments.find(option); at != std::string::npos; at = arguments.find(option, at + 1)) {
    arguments.insert(at + option.size(), std::string(MARGIN_STRESS_SOURCE_DIR) + "/");
  }
  return arguments;
}

class GoldenResults : public testing::ScratchDirectoryTest {};

TEST_F(GoldenResults, EveryCaseGivesTheStoredResultsBitForBit) {
  const std::vector<GoldenCase> cases = golden_cases();
  ASSERT_GE(cases.size(), 20u) << "tests/data/golden/cases.tsv lost its cases";
  const std::string book = path("book.h5");
  const Outcome generated = run_cli("portfolio generate --quiet --accounts 1000 --seed 20261203 --out " + book);
  ASSERT_EQ(generated.exit_code, 0) << generated.output;

  for (const GoldenCase& golden : cases) {
    SCOPED_TRACE(golden.name + ": margin-stress run " + golden.arguments);
    const fs::path stored = golden_directory / (golden.name + ".h5");
    ASSERT_TRUE(fs::exists(stored)) << stored << " is missing: scripts/regenerate-golden writes it";
    const std::string out = path(golden.name + ".h5");
    const Outcome outcome = run_cli("run --quiet --backend cpu --portfolio " + book + " --out " + out + " " +
                                    with_repository_paths(golden.arguments));
    ASSERT_EQ(outcome.exit_code, 0) << outcome.output;

    const FileContents expected = read_results(stored);
    const FileContents actual = read_results(out);
    ASSERT_GT(expected.size(), 30u) << "the stored file has lost its datasets";
    for (const auto& [dataset, stored_bytes] : expected) {
      const auto now = actual.find(dataset);
      if (now == actual.end()) {
        ADD_FAILURE() << dataset << " is no longer written";
        continue;
      }
      EXPECT_EQ(first_difference(stored_bytes, now->second), "") << dataset << " differs";
    }
    for (const auto& [dataset, bytes] : actual) {
      EXPECT_TRUE(expected.count(dataset)) << dataset << " is new: record it with scripts/regenerate-golden";
    }
  }
}

}  // namespace
}  // namespace margin_stress
