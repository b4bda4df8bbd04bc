// margin-stress as a user runs it: exit codes, messages that name the file, field and row, and no
// output file left behind by a failed run (README, "Using it").
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "host/io/portfolio_file.hpp"
#include "host/model/portfolio.hpp"
#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

using testing::expect_contains;
using testing::Outcome;
using testing::read_text;
using testing::run_cli;

namespace fs = std::filesystem;

class CliTest : public testing::ScratchDirectoryTest {
 protected:
  // The directory holds exactly these files (no results, no temporaries).
  void expect_only(std::initializer_list<std::string> names) const {
    std::size_t count = 0;
    for (const auto& entry : fs::directory_iterator(directory_)) {
      ++count;
      EXPECT_NE(std::find(names.begin(), names.end(), entry.path().filename().string()), names.end())
          << "unexpected file " << entry.path();
    }
    EXPECT_EQ(count, names.size());
  }

  // A small, fast run: the rest of the command line is the test's.
  std::string small_run(const std::string& out) const {
    return "run --scenarios 4 --steps 12 --threads 2 --out " + out + " " + small_book_option();
  }
  std::string small_book_option() const { return "--config " + small_config_; }

  void make_small_config() { small_config_ = write_file("small.toml", "[portfolio]\naccounts = 2000\n"); }

  std::string small_config_;
};

TEST_F(CliTest, SmallRunWritesResultsAndSummary) {
  make_small_config();
  const Outcome outcome = run_cli(small_run(path("out.h5")));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"2000 accounts", "4 x 12 steps", "backend     cpu", "bad debt", "VaR99.9",
                                   "insurance fund exhausted", "results: " + path("out.h5")});
  // Every loss bearer, and the Monte Carlo error of every headline figure (issue 11): four
  // scenarios put every tail figure on fewer than 10 beyond it, which the table must say.
  expect_contains(outcome.output, {"platform loss", "insurance fund draw", "ADL haircuts on traders",
                                   "backstop vault loss", "outside LPs' loss", "± s.e.", "[95 % interval]",
                                   "* rests on 0 scenario(s) beyond the VaR", "probability 0.", "[95 % interval 0."});
  expect_only({"small.toml", "out.h5"});
}

// The round-cap warning (docs/config.md, [impact]): a cap that binds in most steps points at the
// depth, not the cap. With square-root impact at the linear law's default depths and the cap at one
// round, it binds in 27 of the 48 steps; a linear market crashing 60 % binds in 6 of them; the
// plain small run never.
TEST_F(CliTest, RoundCapBindingInMostStepsIsWarnedAbout) {
  const std::string cap = "[portfolio]\naccounts = 2000\n\n[liquidation]\nmax_cascade_rounds = 1\n";
  Outcome outcome = run_cli("run --scenarios 4 --steps 12 --threads 2 --out " + path("sqrt.h5") + " --config " +
                            write_file("sqrt.toml", cap + "\n[impact]\nlaw = \"square_root\"\n"));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"WARNING: the cascade hit its round cap (1) in 27 of 48 steps, most of them",
                                   "impact.law = \"square_root\"", "docs/config.md", "check depth_usd"});

  outcome = run_cli("run --scenarios 4 --steps 12 --threads 2 --out " + path("crash.h5") + " --config " +
                    write_file("crash.toml", cap + "\n[[scenario.shocks]]\nname = \"crash\"\nkind = \"crash\"\n"
                                                   "start_step = 1\nduration_steps = 11\nsize = -0.6\n"
                                                   "shape = \"linear\"\n"));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"WARNING: the cascade hit its round cap (1) in 6 steps; raise"});
  EXPECT_EQ(outcome.output.find("most of them"), std::string::npos) << outcome.output;

  make_small_config();
  outcome = run_cli(small_run(path("plain.h5")));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(outcome.output.find("round cap"), std::string::npos) << outcome.output;
}

// The environment's size caps (docs/config.md, "Smaller runs"): they lower what the config and the
// command line ask for, say so, and a value that is not a positive integer is a usage error.
TEST_F(CliTest, EnvironmentCapsLowerScenariosAndAccounts) {
  make_small_config();
  const std::string binary = MARGIN_STRESS_BINARY;
  Outcome outcome = testing::run_shell("MARGIN_STRESS_MAX_SCENARIOS=3 MARGIN_STRESS_MAX_ACCOUNTS=500 " + binary + " " +
                                       small_run(path("capped.h5")) + " 2>&1");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"MARGIN_STRESS_MAX_SCENARIOS=3: run.scenarios lowered from 4",
                                   "MARGIN_STRESS_MAX_ACCOUNTS=500: portfolio.accounts lowered from 2000",
                                   "500 accounts", "3 x 12 steps"});
  // A cap above the run's size changes nothing and says nothing.
  outcome =
      testing::run_shell("MARGIN_STRESS_MAX_SCENARIOS=1000 " + binary + " " + small_run(path("uncapped.h5")) + " 2>&1");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"2000 accounts", "4 x 12 steps"});
  EXPECT_EQ(outcome.output.find("lowered"), std::string::npos) << outcome.output;
  for (const char* bad : {"0", "-5", "ten", "3x"}) {
    outcome = testing::run_shell(std::string("MARGIN_STRESS_MAX_SCENARIOS=") + bad + " " + binary + " " +
                                 small_run(path("bad.h5")) + " 2>&1");
    EXPECT_EQ(outcome.exit_code, 2) << bad << ": " << outcome.output;
    expect_contains(outcome.output, {"MARGIN_STRESS_MAX_SCENARIOS", "is not a positive integer"});
  }
  expect_only({"small.toml", "capped.h5", "uncapped.h5"});
}

TEST_F(CliTest, QuietPrintsOnlyThePath) {
  make_small_config();
  const Outcome outcome = run_cli(small_run(path("out.h5")) + " --quiet");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_EQ(outcome.output, path("out.h5") + "\n");
}

TEST_F(CliTest, RefusesToOverwriteWithoutForce) {
  make_small_config();
  write_file("out.h5", "precious");
  const Outcome refused = run_cli(small_run(path("out.h5")));
  EXPECT_EQ(refused.exit_code, 2);  // an existing output is a usage error (README)
  expect_contains(refused.output, {path("out.h5"), "--force"});
  std::ifstream kept(path("out.h5"));
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "precious");
  EXPECT_EQ(run_cli(small_run(path("out.h5")) + " --force").exit_code, 0);
}

TEST_F(CliTest, HelpExplainsEveryRunOption) {
  const Outcome outcome = run_cli("run --help");
  EXPECT_EQ(outcome.exit_code, 0);
  expect_contains(outcome.output, {"--config", "--portfolio", "--out", "--scenarios", "--steps", "--seed", "--threads",
                                   "--backend", "--quiet", "--force", "--accounts-out", "--accounts-worst"});
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run_cli("").exit_code, 2);
  EXPECT_EQ(run_cli("run --scenarios 0").exit_code, 2);
  EXPECT_EQ(run_cli("run --backend quantum").exit_code, 2);
  const Outcome missing = run_cli("run --config " + path("nowhere.toml"));
  EXPECT_EQ(missing.exit_code, 2);
  expect_contains(missing.output, {"nowhere.toml"});
  // HDF5 cannot go to stdout: "-" is refused, not written as a file named "-".
  for (const std::string command : {"run --scenarios 2 --steps 4 --out -", "portfolio generate --accounts 5 --out -"}) {
    const Outcome dash = run_cli(command);
    EXPECT_EQ(dash.exit_code, 2) << command;
    expect_contains(dash.output, {"--out", "standard output"});
  }
  EXPECT_FALSE(std::filesystem::exists("-"));
}

struct BadConfig {
  const char* name;
  const char* toml;
  std::initializer_list<std::string> message;
};

TEST_F(CliTest, BadConfigsNameTheFieldAndLeaveNoOutput) {
  const BadConfig cases[] = {
      {"malformed", "[run\nscenarios = 3\n", {"malformed.toml", "line 1"}},
      {"transition",
       "[regimes]\ntransition = [[0.5, 0.4, 0.0, 0.0], [0.002083, 0.996528, 0.001389, 0.0],"
       " [0.0, 0.009722, 0.986111, 0.004167], [0.0, 0.0, 0.041667, 0.958333]]\n",
       {"transition.toml", "regimes.transition row 0", "0.9"}},
      {"correlation",
       "[[markets]]\nname = \"A\"\ninitial_price_usd = 1.0\nlot_size = 1.0\ndepth_usd = 1e6\n"
       "initial_margin_fraction = 0.1\nmaintenance_margin_fraction = 0.05\nreference_volatility = 0.5\n"
       "[[markets]]\nname = \"B\"\ninitial_price_usd = 1.0\nlot_size = 1.0\ndepth_usd = 1e6\n"
       "initial_margin_fraction = 0.1\nmaintenance_margin_fraction = 0.05\nreference_volatility = 0.5\n"
       "[regimes]\ntransition = [[1.0]]\n[[regimes.states]]\nname = \"only\"\nvolatility = [0.5, 0.5]\n"
       "drift = [0.0, 0.0]\njump_intensity_per_day = 0.0\njump_mean = [0.0, 0.0]\njump_stddev = [0.0, 0.0]\n"
       "depth_multiplier = 1.0\ncorrelation = [[1.0, 1.5], [1.5, 1.0]]\n"
       "[portfolio]\nopen_interest_share = [0.5, 0.5]\nlong_fraction = [0.5, 0.5]\n",
       {"correlation.toml", "regimes.states[0].correlation"}},
      {"nan_depth",
       "[[markets]]\nname = \"A\"\ninitial_price_usd = 1.0\nlot_size = 1.0\ndepth_usd = nan\n"
       "initial_margin_fraction = 0.1\nmaintenance_margin_fraction = 0.05\nreference_volatility = 0.5\n",
       {"nan_depth.toml", "markets[0].depth_usd", "nan"}},
      {"negative_price",
       "[[markets]]\nname = \"A\"\ninitial_price_usd = -5.0\nlot_size = 1.0\ndepth_usd = 1e6\n"
       "initial_margin_fraction = 0.1\nmaintenance_margin_fraction = 0.05\nreference_volatility = 0.5\n",
       {"negative_price.toml", "markets[0].initial_price_usd", "-5"}},
      {"negative_fund",
       "[insurance_fund]\ninitial_balance_usd = -1.0\n",
       {"negative_fund.toml", "insurance_fund.initial_balance_usd", "-1"}},
      {"typo", "[margin_policy]\newma_lamda = 0.9\n", {"typo.toml", "margin_policy.ewma_lamda"}},
      {"wrong_type", "[run]\nsteps = \"many\"\n", {"wrong_type.toml", "run.steps"}},
  };
  for (const BadConfig& bad : cases) {
    SCOPED_TRACE(bad.name);
    const std::string config = write_file(std::string(bad.name) + ".toml", bad.toml);
    const Outcome outcome = run_cli("run --scenarios 2 --steps 4 --config " + config + " --out " + path("out.h5"));
    EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
    expect_contains(outcome.output, bad.message);
    EXPECT_EQ(std::count(outcome.output.begin(), outcome.output.end(), '\n'), 1) << "one line:\n" << outcome.output;
    EXPECT_FALSE(fs::exists(path("out.h5")));
    fs::remove(config);
  }
  expect_only({});
}

// A two-account book in the default markets, with one value spoiled per case.
Portfolio tiny_book() {
  Portfolio book;
  book.market_names = {"BTC", "ETH"};
  book.collateral_usd = {1000.0, 500.0};
  book.position_offset = {0, 1, 3};
  book.market_index = {0, 0, 1};
  book.quantity_lots = {10, -5, 30};
  book.entry_price_usd = {60000.0, 61000.0, 3000.0};
  return book;
}

TEST_F(CliTest, BadPortfoliosNameTheDatasetAndRow) {
  struct Case {
    const char* name;
    void (*spoil)(Portfolio&);
    std::initializer_list<std::string> message;
  };
  const Case cases[] = {
      {"nan_collateral",
       [](Portfolio& b) { b.collateral_usd[1] = std::numeric_limits<double>::quiet_NaN(); },
       {"/accounts/collateral_usd", "row 1"}},
      {"negative_collateral",
       [](Portfolio& b) { b.collateral_usd[0] = -3.0; },
       {"/accounts/collateral_usd", "row 0", "-3"}},
      {"zero_price", [](Portfolio& b) { b.entry_price_usd[2] = 0.0; }, {"/positions/entry_price_usd", "row 2"}},
      {"infinite_price",
       [](Portfolio& b) { b.entry_price_usd[0] = std::numeric_limits<double>::infinity(); },
       {"/positions/entry_price_usd", "row 0"}},
      {"zero_quantity", [](Portfolio& b) { b.quantity_lots[1] = 0; }, {"/positions/quantity_lots", "row 1"}},
      {"unknown_market", [](Portfolio& b) { b.market_names[1] = "LUNA"; }, {"/markets/name", "LUNA"}},
  };
  for (const Case& bad : cases) {
    SCOPED_TRACE(bad.name);
    Portfolio book = tiny_book();
    bad.spoil(book);
    const std::string file = path(std::string(bad.name) + ".h5");
    write_portfolio_file(file, book, false);
    const Outcome outcome = run_cli("run --scenarios 2 --steps 4 --portfolio " + file + " --out " + path("out.h5"));
    EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
    expect_contains(outcome.output, bad.message);
    expect_contains(outcome.output, {file});
    EXPECT_FALSE(fs::exists(path("out.h5")));
  }
  // The unspoiled book runs.
  write_portfolio_file(path("good.h5"), tiny_book(), false);
  EXPECT_EQ(
      run_cli("run --scenarios 2 --steps 4 --portfolio " + path("good.h5") + " --out " + path("out.h5")).exit_code, 0);
}

TEST_F(CliTest, NotAnHdf5PortfolioIsAClearError) {
  const std::string file = write_file("book.h5", "this is not HDF5");
  const Outcome outcome = run_cli("run --scenarios 2 --steps 4 --portfolio " + file + " --out " + path("out.h5"));
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
  expect_contains(outcome.output, {file});
  EXPECT_FALSE(fs::exists(path("out.h5")));
}

TEST_F(CliTest, PortfolioGenerateThenRun) {
  const Outcome generated = run_cli("portfolio generate --accounts 1500 --seed 9 --out " + path("book.h5"));
  ASSERT_EQ(generated.exit_code, 0) << generated.output;
  expect_contains(generated.output, {"1500 accounts"});
  const Outcome outcome =
      run_cli("run --scenarios 3 --steps 8 --portfolio " + path("book.h5") + " --out " + path("out.h5"));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"1500 accounts", path("book.h5")});
}

}  // namespace
}  // namespace margin_stress
