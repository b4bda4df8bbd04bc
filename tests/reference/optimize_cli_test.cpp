// `margin-stress optimize` end to end (docs/compare.md, "The least-margin frontier"): on a small
// book in a flash crash, the least margin multiplier whose bad-debt ES99.9 is within a budget;
// the answer and the point just below are then re-run here, independently of the command, to
// check that the answer meets the target and the point below misses it. Also the exit codes.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "host/analysis/frontier.hpp"
#include "host/analysis/summary.hpp"
#include "host/cli/compare_command.hpp"
#include "host/engine/engine.hpp"
#include "host/io/config_file.hpp"
#include "host/io/policy_file.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"
#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

using testing::expect_contains;
using testing::read_csv;
using testing::read_text;
using testing::run_cli;

const std::string presets = std::string(MARGIN_STRESS_SOURCE_DIR) + "/scenarios/presets/";

class OptimizeTest : public testing::ScratchDirectoryTest {
 protected:
  void SetUp() override {
    ScratchDirectoryTest::SetUp();
    // The flash crash on 1,500 accounts, 30 scenarios of 12 hours, with a fund of 20,000 USD.
    base_path_ = write_file("base.toml", read_text(presets + "shocks/flash-crash-30.toml") +
                                             "\n[run]\nscenarios = 30\nsteps = 48\n\n[portfolio]\naccounts = 1500\n\n"
                                             "[insurance_fund]\ninitial_balance_usd = 20000.0\n");
  }
  std::string base_path_;
};

// Bad debt ES99.9 over the 30 scenarios with every market's fractions times `multiplier`, run
// here with the CPU reference.
double es_999_bad_debt(const std::string& base_path, double multiplier) {
  ModelConfig base = load_config_file(base_path);
  validate_config(base);
  ModelConfig policy =
      with_knob(load_policy_config(base, presets + "policies/static.toml"), MarginKnob::margin_multiplier, multiplier);
  validate_config(policy);
  const Portfolio book = generate_portfolio(base.portfolio, base.markets, 2);
  EngineOptions options;
  options.backend = Backend::cpu;
  const BatchResults results =
      make_engine(options)->run(policy, book, build_scenarios(base, 0, base.run.scenarios), nullptr);
  std::vector<double> bad_debt;
  for (const ScenarioMetrics& metrics : results.scenarios)
    bad_debt.push_back(static_cast<double>(metrics.ledger.bad_debt) / 1e6);  // as reported
  return summarize_sample("bad_debt_usd", bad_debt).es_999;
}

TEST_F(OptimizeTest, TheAnswerMeetsTheTargetAndJustBelowMissesIt) {
  const double budget = 150.0;
  const testing::Outcome outcome =
      run_cli("optimize --policy " + presets + "policies/static.toml --config " + base_path_ +
              " --max-exhaustion-probability 1 --max-es999-bad-debt 150 --low 0.5 --high 4 --grid 5 --tolerance 0.1"
              " --backend cpu --quiet --out " +
              path("frontier.csv"));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"least margin: margin_multiplier = ", "just below misses the target",
                                   "re-run at the answer and just below: identical figures",
                                   "the fund was exhausted in ", " of 30 scenarios at the answer"});
  const std::vector<std::vector<std::string>> rows = read_csv(path("frontier.csv"));
  ASSERT_GE(rows.size(), 6u);  // the header, 5 grid points and the bisection's
  double answer = NAN;
  double below = NAN;
  double previous = -1.0;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const double knob = std::stod(rows[r][0]);
    EXPECT_GT(knob, previous) << "the frontier is sorted by the knob";
    previous = knob;
    if (rows[r][9] == "answer") answer = knob;
    if (rows[r][9] == "just_below") below = knob;
    EXPECT_EQ(rows[r][8], std::stod(rows[r][7]) <= budget ? "true" : "false") << "row " << r;
    // Each figure with its Monte Carlo error: Wilson's interval around the probability, the bad
    // debt's standard error, the ES interval around ES, and the platform loss at least the bad debt.
    ASSERT_EQ(rows[r].size(), 25u);
    EXPECT_LE(std::stod(rows[r][10]), std::stod(rows[r][4]));
    EXPECT_GE(std::stod(rows[r][11]), std::stod(rows[r][4]));
    EXPECT_GE(std::stod(rows[r][12]), 0.0);
    EXPECT_LE(std::stod(rows[r][15]), std::stod(rows[r][7]));
    EXPECT_GE(std::stod(rows[r][16]), std::stod(rows[r][7]));
    EXPECT_GE(std::stod(rows[r][17]), std::stod(rows[r][5]));
  }
  ASSERT_FALSE(std::isnan(answer));
  ASSERT_FALSE(std::isnan(below));
  EXPECT_LE(answer - below, 0.1);
  EXPECT_GT(answer, 0.5) << "the range must bracket the answer for the check below to mean anything";
  // Independently of the command: the answer meets the budget, the point just below does not.
  EXPECT_LE(es_999_bad_debt(base_path_, answer), budget);
  EXPECT_GT(es_999_bad_debt(base_path_, below), budget);
}

TEST_F(OptimizeTest, ATargetOutOfReachExitsWithFive) {
  const testing::Outcome outcome =
      run_cli("optimize --policy " + presets + "policies/static.toml --config " + base_path_ +
              " --max-exhaustion-probability 0 --low 0.5 --high 0.6 --grid 2 --backend cpu --quiet");
  EXPECT_EQ(outcome.exit_code, 5) << outcome.output;
  expect_contains(outcome.output,
                  {"no value in [0.5, 0.6] meets the target", "every point exhausted the fund in some scenarios: "});
  // The target of 0 is missed by exhaustions, so the fewest is at least one.
  EXPECT_EQ(outcome.output.find("scenarios: 0 of 30"), std::string::npos) << outcome.output;
}

TEST_F(OptimizeTest, BadRangesAndKnobsAreRefused) {
  testing::Outcome outcome = run_cli("optimize --policy " + presets + "policies/static.toml --config " + base_path_ +
                                     " --low 2 --high 1 --backend cpu");
  EXPECT_EQ(outcome.exit_code, 3);
  expect_contains(outcome.output, {"--low 2 and --high 1: low must be below high"});
  outcome = run_cli("optimize --policy " + presets + "policies/binance-like-tiers.toml --config " + base_path_ +
                    " --backend cpu");
  EXPECT_EQ(outcome.exit_code, 3);
  expect_contains(outcome.output, {"has notional brackets, which margin_multiplier does not scale"});
  outcome = run_cli("optimize --policy " + presets + "policies/static.toml --knob leverage");
  EXPECT_EQ(outcome.exit_code, 2);
}

}  // namespace
}  // namespace margin_stress
