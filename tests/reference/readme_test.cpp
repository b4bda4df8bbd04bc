// Every command of README.md runs as written (issue 12, item 5): the commands are taken from the
// README's code blocks, not copied here, and run through the shell in order, in a scratch
// directory laid out as a fresh clone after `scripts/build` (build/margin-stress is the binary
// under test; scenarios/ and bench/ are the repository's), so that a README change that breaks an
// example fails this test.
//
// Size: the README's runs are full size (100,000 accounts, 500 scenarios, a book of a million),
// hours of CPU on CI's two cores. The test lowers them only through the documented environment
// caps (docs/config.md, "Smaller runs"), exported for every command:
// MARGIN_STRESS_MAX_SCENARIOS=100 (100, not fewer: the README reruns scenario 84 of a run) and
// MARGIN_STRESS_MAX_ACCOUNTS=2000. The commands themselves are not touched.
//
// Blocks whose commands build the project or run this suite (scripts/...) are not run here: .ci/run
// runs them. Any other block must be the layout table, so a new kind of command fails the test
// until it is run or listed.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::run_shell;

const std::string source = MARGIN_STRESS_SOURCE_DIR;

struct CodeBlock {
  std::vector<std::string> lines;  // without the four-space indent; continuation lines joined
};

// The indented code blocks of a Markdown text (four spaces, after a blank line), with lines ending
// in a backslash joined to the next as the shell joins them.
std::vector<CodeBlock> code_blocks(const std::string& markdown) {
  std::vector<CodeBlock> blocks;
  std::istringstream in(markdown);
  std::string line;
  bool previous_blank = true;
  bool inside = false;
  std::string pending;
  while (std::getline(in, line)) {
    const bool code = line.rfind("    ", 0) == 0 && (inside || previous_blank);
    if (code) {
      if (!inside) blocks.emplace_back();
      inside = true;
      std::string text = line.substr(4);
      if (!text.empty() && text.back() == '\\') {
        pending += text.substr(0, text.size() - 1);
        continue;
      }
      blocks.back().lines.push_back(pending + text);
      pending.clear();
    } else {
      inside = false;
    }
    previous_blank = line.find_first_not_of(' ') == std::string::npos;
  }
  return blocks;
}

std::string first_word(const std::string& command) {
  std::size_t start = 0;
  // Skip VAR=value assignments before the program.
  while (true) {
    const std::size_t end = command.find(' ', start);
    const std::string word = command.substr(start, end - start);
    if (word.find('=') == std::string::npos || end == std::string::npos) return word;
    start = end + 1;
  }
}

// The scripts the README shows and why this test does not run them.
const std::vector<std::pair<std::string, std::string>> scripts_not_run = {
    {"scripts/build-and-run", "builds the program (the test's own build) and runs `run` (run below)"},
    {"scripts/build-and-test", "builds and runs this suite: .ci/run runs it"},
    {"scripts/fuzz", "fuzzes for a minute to an hour: .ci/run runs scripts/fuzz 20"},
};

bool is_listed_script(const std::string& program) {
  for (const auto& [script, why] : scripts_not_run) {
    if (program == script) return true;
  }
  return false;
}

// Default results names carry the start time in whole seconds: two runs started in the same
// second would collide, which a user typing the commands never meets.
void wait_for_the_next_second() {
  const auto now = std::chrono::system_clock::now();
  const auto next = std::chrono::ceil<std::chrono::seconds>(now + std::chrono::milliseconds(1));
  std::this_thread::sleep_until(next);
}

class ReadmeCommands : public testing::ScratchDirectoryTest {
 protected:
  void SetUp() override {
    ScratchDirectoryTest::SetUp();
    fs::create_directories(directory_ / "build");
    fs::create_symlink(MARGIN_STRESS_BINARY, directory_ / "build" / "margin-stress");
    fs::create_directory_symlink(source + "/scenarios", directory_ / "scenarios");
    fs::create_directory_symlink(source + "/bench", directory_ / "bench");
  }
};

TEST_F(ReadmeCommands, EveryCommandRunsAsWritten) {
  const std::vector<CodeBlock> blocks = code_blocks(read_text(source + "/README.md"));
  std::vector<std::string> commands;
  std::size_t other_blocks = 0;
  for (const CodeBlock& block : blocks) {
    const std::string program = first_word(block.lines.front());
    if (program.rfind("build/margin-stress", 0) == 0) {
      for (const std::string& line : block.lines) {
        ASSERT_EQ(first_word(line), "build/margin-stress") << "a block of margin-stress commands holds: " << line;
        commands.push_back(line);
      }
    } else if (program.rfind("scripts/", 0) == 0) {
      for (const std::string& line : block.lines) {
        EXPECT_TRUE(is_listed_script(first_word(line))) << "README.md shows a script this test neither runs nor "
                                                           "lists in scripts_not_run: "
                                                        << line;
      }
    } else {
      ++other_blocks;
      EXPECT_EQ(block.lines.front().rfind("scenarios/   ", 0), 0u)
          << "README.md has a code block that is neither commands nor the layout: " << block.lines.front();
    }
  }
  EXPECT_EQ(other_blocks, 1u) << "the layout table";
  ASSERT_GE(commands.size(), 15u) << "the README's commands were not found";

  const std::string environment =
      "cd '" + directory_.string() + "' && export MARGIN_STRESS_MAX_SCENARIOS=100 MARGIN_STRESS_MAX_ACCOUNTS=2000 && ";
  for (const std::string& command : commands) {
    SCOPED_TRACE(command);
    const bool default_output_name = command.rfind("build/margin-stress run", 0) == 0 &&
                                     command.find("--out") == std::string::npos &&
                                     command.find("--help") == std::string::npos;
    if (default_output_name) wait_for_the_next_second();
    // In braces, so that a trailing "# comment" cannot swallow the redirection.
    const testing::Outcome outcome = run_shell(environment + "{ " + command + "\n} 2>&1");
    if (command.find(" verify ") != std::string::npos && outcome.exit_code != 0) {
      // verify compares the CUDA engine with the CPU one: without CUDA it must say so.
      EXPECT_TRUE(outcome.output.find("no CUDA backend") != std::string::npos ||
                  outcome.output.find("no CUDA device") != std::string::npos)
          << outcome.output;
      continue;
    }
    EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
    if (command.find(" optimize ") != std::string::npos) {
      testing::expect_contains(outcome.output,
                               {"least margin: margin_multiplier = ", "the fund was exhausted in ", "at the answer"});
    }
  }
  // What the examples promise to leave behind.
  for (const char* file : {"my-run.h5", "s84.h5", "book.h5", "crash.h5", "crash.html", "btc-eth.toml"}) {
    EXPECT_TRUE(fs::exists(directory_ / file)) << file;
  }
}

}  // namespace
}  // namespace margin_stress
