// Input that once hung, exhausted memory or gave a message naming nothing: each is now refused up
// front, exit 2 (usage) or 3 (bad input), with a message naming the file, key or option and the
// value, and no output file.
#include <gtest/gtest.h>

#include <cstdint>
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

class BadInputCliTest : public testing::ScratchDirectoryTest {
 protected:
  // The default preset with the first market's (BTC) initial price replaced.
  std::string default_with_btc_price(const std::string& name, const std::string& price) const {
    const std::string preset = read_text(std::string(MARGIN_STRESS_SOURCE_DIR) + "/scenarios/presets/default.toml");
    // A plain find and replace: std::regex trips GCC 12's -Wmaybe-uninitialized in the sanitizer build.
    const std::string old_price = "initial_price_usd = 60000.0";
    std::string changed = preset;
    for (std::size_t at = changed.find(old_price); at != std::string::npos; at = changed.find(old_price, at + 1)) {
      changed.replace(at, old_price.size(), "initial_price_usd = " + price);
    }
    EXPECT_NE(changed, preset) << "the default preset's BTC price moved";
    return write_file(name, changed);
  }

  void expect_refused(const Outcome& outcome, int exit_code, std::initializer_list<std::string> message) const {
    EXPECT_EQ(outcome.exit_code, exit_code) << outcome.output;
    expect_contains(outcome.output, message);
    EXPECT_FALSE(fs::exists(path("out.h5")));
  }
};

// The collateral top-up added a cent at a time, which stops changing a double past 2^53 cents.
TEST_F(BadInputCliTest, APriceOf1e19IsRefusedNotLoopedOn) {
  const std::string config = default_with_btc_price("huge.toml", "1e19");
  expect_refused(run_cli("portfolio generate --accounts 100 --config " + config + " --out " + path("out.h5")), 3,
                 {config + ": markets[0].initial_price_usd: 1e+19", "money limit"});
  expect_refused(run_cli("run --scenarios 2 --steps 4 --config " + config + " --out " + path("out.h5")), 3,
                 {config + ": markets[0].initial_price_usd: 1e+19", "money limit"});
}

// A book `run` cannot hold is refused where it is made, naming the config and the key, instead of
// being written and then refused by `run` naming neither.
TEST_F(BadInputCliTest, ABookBeyondTheMoneyLimitIsRefusedWhereItIsMade) {
  const std::string config = default_with_btc_price("expensive.toml", "1e15");
  expect_refused(run_cli("portfolio generate --accounts 1000 --config " + config + " --out " + path("out.h5")), 3,
                 {config + ": ", "initial_price_usd", "money limit of 4.6e+12 USD"});
}

// 2^31 - 1 accounts need far more memory than a test machine has: refused before any allocation
// (it used to end in std::bad_alloc, exit 1, or be killed).
TEST_F(BadInputCliTest, ABookTheMemoryCannotHoldIsRefusedWithTheFigures) {
  expect_refused(run_cli("portfolio generate --accounts 2147483647 --out " + path("out.h5")), 3,
                 {"built-in default: this needs about ", "portfolio.accounts = 2147483647", "GB available",
                  "lower portfolio.accounts"});
  const std::string config = write_file("many.toml", "[portfolio]\naccounts = 2147483647\n");
  expect_refused(run_cli("run --scenarios 2 --steps 4 --config " + config + " --out " + path("out.h5")), 3,
                 {config + ": this needs about ", "portfolio.accounts = 2147483647", "the engine's copy of the book",
                  "GB available"});
}

TEST_F(BadInputCliTest, ASeedOutsideTheTomlRangeIsAUsageError) {
  for (const std::string command : {"run --scenarios 2 --steps 4", "portfolio generate --accounts 10"}) {
    SCOPED_TRACE(command);
    expect_refused(run_cli(command + " --seed -1 --out " + path("out.h5")), 2,
                   {"--seed: -1 is not an integer in [0, 2^63 - 1]"});
    expect_refused(run_cli(command + " --seed 9223372036854775808 --out " + path("out.h5")), 2,
                   {"--seed: 9223372036854775808 is not an integer in [0, 2^63 - 1]"});
  }
}

TEST_F(BadInputCliTest, ANegativeDeviceIsAUsageErrorInEverySubcommand) {
  for (const std::string command : {"run", "compare", "optimize", "verify"}) {
    SCOPED_TRACE(command);
    const Outcome outcome = run_cli(command + " --device -1 --out " + path("out.h5"));
    expect_refused(outcome, 2, {"--device: -1 is not an integer in [0, 2^31 - 1]"});
    EXPECT_EQ(outcome.output.find("179769"), std::string::npos) << "the largest double in:\n" << outcome.output;
  }
}

// Refused before it is read (reading 50 MB took seconds and most of a gigabyte).
TEST_F(BadInputCliTest, AConfigAboveTheSizeLimitIsRefusedBeforeReading) {
  const std::string config = write_file("big.toml", "[run]\nscenarios = 2\n");
  fs::resize_file(config, (std::uintmax_t{16} << 20) + 1);
  expect_refused(run_cli("run --config " + config + " --out " + path("out.h5")), 3,
                 {config + ": the config file is 16777217 bytes", "limit of 16777216 bytes (16 MiB)"});
}

// A portfolio file damaged after it was written (bytes overwritten across its compressed data):
// every run either reads it (the damage missed what it reads, which validate_portfolio then
// checks) or refuses it as bad input, exit code 3, naming the file; never exit 1 or a crash.
TEST_F(BadInputCliTest, ADamagedPortfolioFileIsBadInputNamingIt) {
  const std::string book = path("book.h5");
  ASSERT_EQ(run_cli("portfolio generate --quiet --accounts 2000 --out " + book).exit_code, 0);
  const std::string pristine = read_text(book);
  int refused = 0;
  for (const int percent : {60, 70, 80, 90}) {
    std::string damaged = pristine;
    const std::size_t at = damaged.size() * static_cast<std::size_t>(percent) / 100;
    for (std::size_t i = at; i < at + 8 && i < damaged.size(); ++i) damaged[i] = static_cast<char>(0xff);
    const std::string file = write_file("damaged-" + std::to_string(percent) + ".h5", damaged);
    const Outcome outcome =
        run_cli("run --quiet --scenarios 2 --steps 4 --portfolio " + file + " --out " + path("out.h5") + " --force");
    SCOPED_TRACE("bytes overwritten at " + std::to_string(percent) + " %");
    EXPECT_TRUE(outcome.exit_code == 0 || outcome.exit_code == 3) << outcome.output;
    if (outcome.exit_code == 3) {
      expect_contains(outcome.output, {file, "damaged"});
      ++refused;
    }
  }
  EXPECT_GE(refused, 1) << "no damage reached the data read: the test shows nothing";
}

}  // namespace
}  // namespace margin_stress
