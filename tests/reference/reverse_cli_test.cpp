// `margin-stress reverse` end to end (docs/reverse.md): the least breaking crash depth of a
// single-account book against the depth computed by hand; the bisection against a dense grid of
// runs made here, independently of the command, on a small book on Monte Carlo paths; the output
// files and the exit codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "host/engine/engine.hpp"
#include "host/io/config_file.hpp"
#include "host/io/portfolio_file.hpp"
#include "host/model/portfolio.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"
#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;
using testing::expect_contains;
using testing::Outcome;
using testing::read_csv;
using testing::read_text;
using testing::run_cli;

// A crash of one step from step 2 on a flat base: the price is P before and P (1 - d) from step 2.
std::string crash_layer(double depth) {
  char text[256];
  std::snprintf(text, sizeof text,
                "[[scenario.shocks]]\nname = \"crash\"\nkind = \"crash\"\nstart_step = 2\nduration_steps = 1\n"
                "size = %.17g\n",
                -depth);
  return text;
}

class ReverseTest : public testing::ScratchDirectoryTest {
 protected:
  // One account, long 1,000 lots of BTC (1 BTC, 60,000 USD) bought at 60,000 with 6,000 USD of
  // collateral; the fund holds 3,000 USD; the book is so deep that impact is negligible.
  void write_single_account_book() {
    Portfolio book;
    book.market_names = {"BTC"};
    book.collateral_usd = {6000.0};
    book.position_offset = {0, 1};
    book.market_index = {0};
    book.quantity_lots = {1000};
    book.entry_price_usd = {60000.0};
    write_portfolio_file(path("one.h5"), book, false);
    write_file("flat.toml",
               "[run]\nscenarios = 2\nsteps = 4\nthreads = 1\n[scenario]\nbase = \"flat\"\n"
               "[markets.BTC]\ndepth_usd = 1.0e15\n[insurance_fund]\ninitial_balance_usd = 3000.0\n");
    write_file("crash.toml", crash_layer(0.1));
  }
  std::string single_account(const std::string& arguments) {
    return "reverse --backend cpu --quiet --config " + path("flat.toml") + " --config " + path("crash.toml") +
           " --portfolio " + path("one.h5") + " " + arguments;
  }
};

// The row of the evaluation with `role` in the command's CSV, as (severity, breaks).
std::vector<std::string> row_with_role(const std::vector<std::vector<std::string>>& rows, const std::string& role) {
  for (const std::vector<std::string>& row : rows) {
    if (row.size() > 4 && row[4] == role) return row;
  }
  return {};
}

// By hand. A crash of depth d takes the mark from 60,000 to 60,000 (1 - d) at step 2. The
// account's equity there is 6,000 - 60,000 d, below maintenance (0.5 % of the notional) for any d
// that makes it negative, so it is liquidated whole at 60,000 (1 - d) (impact on 1e15 USD of depth
// moves a 60,000 USD sale by 6e-11 in log price: a few micro-dollars). Its deficit is 60,000 d -
// 6,000; the liquidation fee is 0 (it is capped at a positive equity), and nobody holds the other
// side, so ADL takes nothing. The fund of 3,000 is exhausted when the deficit exceeds it:
// 60,000 d - 6,000 > 3,000, d > 0.15. Bad debt is the deficit less the fund: above 500 USD when
// 60,000 d - 9,000 > 500, d > 9,500 / 60,000 = 0.158333... Both scenarios of a flat base are alike,
// so the probability of exhaustion is 0 or 1.
TEST_F(ReverseTest, ASingleAccountBreaksAtTheDepthComputedByHand) {
  write_single_account_book();
  struct Case {
    std::string condition;
    double by_hand;
  };
  for (const Case& test :
       {Case{"--break fund-exhausted --probability 1", 0.15}, Case{"--break bad-debt --above 500", 9500.0 / 60000.0}}) {
    SCOPED_TRACE(test.condition);
    const Outcome outcome =
        run_cli(single_account(test.condition + " --low 0.05 --high 0.5 --grid 10 --tolerance 0.001 --force --out " +
                               path("evaluations.csv")));
    ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
    expect_contains(outcome.output, {"least breaking severity: crash_depth = ", "just below holds", "monotone: "});
    // At the answer the one account's deficit (at least 3,000 USD) against the fund of 3,000: it
    // exceeds it, or, for the bad-debt condition, does so by 500 USD; either way one default
    // exhausts the fund, in both scenarios.
    expect_contains(outcome.output,
                    {"against the fund's initial 3000 USD: Cover-1 held in 0 of 2 scenarios, Cover-2 "
                     "in 0; the largest defaults exceeded the fund in 2, the fewest being 1 default(s)"});
    const auto rows = read_csv(path("evaluations.csv"));
    const std::vector<std::string> answer = row_with_role(rows, "least_breaking");
    const std::vector<std::string> below = row_with_role(rows, "just_below");
    ASSERT_FALSE(answer.empty());
    ASSERT_FALSE(below.empty());
    const double least = std::stod(answer[0]);
    const double holding = std::stod(below[0]);
    // The impact's few micro-dollars may move the break below d* by about 1e-10, not more.
    EXPECT_GE(least, test.by_hand - 1e-9);
    EXPECT_LT(holding, test.by_hand);
    EXPECT_LE(least - holding, 0.001);
    EXPECT_EQ(answer[3], "true");
    EXPECT_EQ(below[3], "false");
  }
}

// Five accounts long or short BTC and ETH, 4 to 24 times levered, one of them on two markets.
Portfolio small_book() {
  Portfolio book;
  book.market_names = {"BTC", "ETH"};
  book.collateral_usd = {6000.0, 2500.0, 15000.0, 1200.0, 9000.0};
  book.position_offset = {0, 1, 2, 4, 5, 6};
  book.market_index = {0, 0, 0, 1, 1, 0};
  book.quantity_lots = {1000, 400, 2000, 1500, 200, -600};
  book.entry_price_usd = {60000.0, 60000.0, 60000.0, 3000.0, 3000.0, 60000.0};
  return book;
}

// The mean over the base's scenarios of a loss per scenario, with the crash layer at `depth`,
// run with the engine from the config text (not through the command's own way of setting the
// severity).
class DirectRuns {
 public:
  DirectRuns(std::string base, std::string layer) : base_(std::move(base)), layer_(std::move(layer)) {
    EngineOptions options;
    options.backend = Backend::cpu;
    options.threads = 1;
    engine_ = make_engine(options);
  }
  double mean_loss(double depth, micro_usd ScenarioLedger::*loss) {
    std::ofstream(layer_) << crash_layer(depth);
    ModelConfig config = load_config_files({base_, layer_});
    validate_config(config);
    const BatchResults results =
        engine_->run(config, small_book(), build_scenarios(config, 0, config.run.scenarios), nullptr);
    double sum = 0.0;
    for (const ScenarioMetrics& scenario : results.scenarios) sum += static_cast<double>(scenario.ledger.*loss) / 1e6;
    return sum / static_cast<double>(results.scenarios.size());
  }

 private:
  std::string base_;
  std::string layer_;
  std::unique_ptr<Engine> engine_;
};

// The small book on a flat base against thin books, so liquidations move prices and feed on each
// other: the command's answer checked against a dense grid of crash depths.
TEST_F(ReverseTest, TheBisectionAgreesWithADenseGrid) {
  write_portfolio_file(path("small.h5"), small_book(), false);
  const std::string base = write_file(
      "base.toml",
      "[run]\nscenarios = 2\nsteps = 6\nthreads = 1\n[scenario]\nbase = \"flat\"\n[markets.BTC]\ndepth_usd = 2.0e6\n"
      "[markets.ETH]\ndepth_usd = 1.0e6\n[insurance_fund]\ninitial_balance_usd = 1500.0\n");
  const double threshold_usd = 50000.0;
  const double tolerance = 0.004;
  write_file("crash.toml", crash_layer(0.2));
  const Outcome outcome = run_cli("reverse --backend cpu --quiet --config " + base + " --config " + path("crash.toml") +
                                  " --portfolio " + path("small.h5") +
                                  " --break bad-debt --above 50000 --low 0.02 --high 0.6 --grid 6 --tolerance 0.004"
                                  " --out " +
                                  path("evaluations.csv") + " --summary-json " + path("summary.json"));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  const auto rows = read_csv(path("evaluations.csv"));
  const std::vector<std::string> answer = row_with_role(rows, "least_breaking");
  const std::vector<std::string> below = row_with_role(rows, "just_below");
  ASSERT_FALSE(answer.empty());
  ASSERT_FALSE(below.empty());
  const double least = std::stod(answer[0]);
  const double holding = std::stod(below[0]);
  EXPECT_LE(least - holding, tolerance);

  // Mean bad debt on 0.02, 0.025, ..., 0.6: it rises with the depth (else the comparison below
  // means nothing), every depth at or below the command's "holds" point keeps it at or below the
  // threshold, and every depth at or above its answer puts it above.
  DirectRuns direct(base, path("direct.toml"));
  double previous = -1.0;
  int breaking = 0;
  for (int i = 0; i <= 116; ++i) {
    const double depth = 0.02 + 0.005 * i;
    const double bad_debt = direct.mean_loss(depth, &ScenarioLedger::bad_debt);
    ASSERT_GE(bad_debt, previous) << "depth " << depth;
    previous = bad_debt;
    if (depth <= holding) {
      EXPECT_LE(bad_debt, threshold_usd) << "depth " << depth;
    }
    if (depth >= least) {
      EXPECT_GT(bad_debt, threshold_usd) << "depth " << depth;
    }
    breaking += bad_debt > threshold_usd ? 1 : 0;
  }
  EXPECT_GT(breaking, 10) << "the range must bracket the break well inside it";
  EXPECT_LT(breaking, 100);

  // Cover-N at the answer, independently: `run --accounts-out` at the answer's depth, and the
  // deficits of its accounts file sorted and summed here against the fund of 1,500 USD.
  write_file("answer.toml", crash_layer(least));
  const Outcome run =
      run_cli("run --backend cpu --quiet --config " + base + " --config " + path("answer.toml") + " --portfolio " +
              path("small.h5") + " --accounts-out " + path("accounts.csv") + " --out " + path("answer.h5"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto accounts = read_csv(path("accounts.csv"));
  ASSERT_EQ(accounts[0][7], "deficit_usd");
  std::map<std::string, std::vector<double>> deficits;
  for (std::size_t r = 1; r < accounts.size(); ++r) deficits[accounts[r][0]].push_back(std::stod(accounts[r][7]));
  ASSERT_EQ(deficits.size(), 2u);
  int cover_1 = 0;
  int cover_2 = 0;
  int exhausted = 0;
  int fewest = 0;
  for (auto& [scenario, values] : deficits) {
    std::sort(values.rbegin(), values.rend());
    cover_1 += values[0] <= 1500.0 ? 1 : 0;
    cover_2 += values[0] + values[1] <= 1500.0 ? 1 : 0;
    double sum = 0.0;
    for (std::size_t k = 0; k < values.size(); ++k) {
      sum += values[k];
      if (sum > 1500.0) {
        ++exhausted;
        fewest = fewest == 0 ? static_cast<int>(k) + 1 : std::min(fewest, static_cast<int>(k) + 1);
        break;
      }
    }
  }
  const nlohmann::json summary = nlohmann::json::parse(read_text(path("summary.json")));
  const nlohmann::json& cover = summary.at("cover_at_least_breaking");
  EXPECT_EQ(cover.at("scenarios").get<int>(), 2);
  EXPECT_EQ(cover.at("cover_1_held").get<int>(), cover_1);
  EXPECT_EQ(cover.at("cover_2_held").get<int>(), cover_2);
  EXPECT_EQ(cover.at("exhausted_by_defaults").get<int>(), exhausted);
  EXPECT_EQ(cover.at("fewest_defaults_to_exhaust").get<int>(), fewest);
  EXPECT_GT(exhausted, 0) << "at a bad debt of 50,000 USD the fund of 1,500 is exhausted";
}

// The small book on Monte Carlo paths: a deeper crash can do less harm (it liquidates accounts at
// the crash, where a shallower one leaves them to be liquidated later, further down the random
// path). The command reports where the outcome fell, and the fall is there in runs made here.
TEST_F(ReverseTest, ANonMonotoneOutcomeIsReportedAsSuch) {
  write_portfolio_file(path("small.h5"), small_book(), false);
  const std::string base =
      write_file("base.toml",
                 "[run]\nscenarios = 8\nsteps = 8\nthreads = 1\n[markets.BTC]\ndepth_usd = 2.0e7\n[markets.ETH]\n"
                 "depth_usd = 1.0e7\n[insurance_fund]\ninitial_balance_usd = 1500.0\n");
  write_file("crash.toml", crash_layer(0.2));
  const Outcome outcome = run_cli("reverse --backend cpu --quiet --config " + base + " --config " + path("crash.toml") +
                                  " --portfolio " + path("small.h5") +
                                  " --break bad-debt --above 60 --low 0.02 --high 0.1 --grid 17 --tolerance 0.001"
                                  " --out " +
                                  path("evaluations.csv"));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output, {"NOT MONOTONE: the watched outcome fell as the severity rose at ", "0.055",
                                   "<- less than at the severity below"});
  const auto rows = read_csv(path("evaluations.csv"));
  ASSERT_GE(rows.size(), 18u);
  int flagged = 0;
  for (std::size_t r = 2; r < rows.size(); ++r) {
    const bool fell = std::stod(rows[r][2]) < std::stod(rows[r - 1][2]);
    EXPECT_EQ(rows[r][5], fell ? "true" : "false") << "row " << r;
    flagged += fell ? 1 : 0;
  }
  EXPECT_GE(flagged, 1);
  DirectRuns direct(base, path("direct.toml"));
  EXPECT_LT(direct.mean_loss(0.055, &ScenarioLedger::bad_debt), direct.mean_loss(0.05, &ScenarioLedger::bad_debt));
}

TEST_F(ReverseTest, NothingBreakingInTheRangeExitsWithFive) {
  write_single_account_book();
  const Outcome outcome =
      run_cli(single_account("--break fund-exhausted --probability 0.5 --low 0.01 --high 0.1 --grid 3"));
  EXPECT_EQ(outcome.exit_code, 5) << outcome.output;
  expect_contains(outcome.output, {"no severity in [0.01, 0.1] breaks the platform"});
}

TEST_F(ReverseTest, OutputFilesAreRefusedWhenTheyExistAndWrittenWhole) {
  write_single_account_book();
  write_file("kept.csv", "an earlier search\n");
  const std::string search = "--break fund-exhausted --probability 1 --low 0.1 --high 0.2 --grid 3 --tolerance 0.01";
  Outcome outcome = run_cli(single_account(search + " --out " + path("kept.csv")));
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  expect_contains(outcome.output, {"kept.csv: the file exists", "--force"});
  EXPECT_EQ(read_text(path("kept.csv")), "an earlier search\n");
  outcome = run_cli(
      single_account(search + " --force --out " + path("kept.csv") + " --summary-json " + path("summary.json")));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  const auto rows = read_csv(path("kept.csv"));
  ASSERT_GE(rows.size(), 4u);  // the header and the 3 grid points at least
  EXPECT_EQ(rows[0][0], "crash_depth");
  EXPECT_EQ(rows[1][1], "grid");
  const std::string json = read_text(path("summary.json"));
  expect_contains(json, {"\"command\": \"reverse\"", "\"least_breaking\": {", "\"monotone\": true",
                         "\"outcome\": \"fund-exhausted\""});
}

TEST_F(ReverseTest, BadRequestsAreRefused) {
  write_single_account_book();
  const auto refused = [&](const std::string& arguments, int code, const std::string& message) {
    const Outcome outcome = run_cli(arguments + " --out " + path("never.csv"));
    EXPECT_EQ(outcome.exit_code, code) << arguments << "\n" << outcome.output;
    expect_contains(outcome.output, {message});
    EXPECT_FALSE(fs::exists(path("never.csv"))) << arguments;
  };
  refused(single_account("--break fund-exhausted"), 2, "--break fund-exhausted needs --probability");
  refused(single_account("--break bad-debt --probability 0.5"), 2, "--break bad-debt needs --above");
  refused(single_account("--break fund-exhausted --probability 0"), 2, "--probability 0: every severity breaks");
  refused(single_account("--break adl --above 1 --probability 0.5"), 2, "takes --above, not --probability");
  refused(single_account("--break fund-exhausted --probability 0.5 --statistic var_99"), 2,
          "takes --probability, not --above or --statistic");
  refused(single_account("--break collapse --above 1"), 2, "--break");
  refused(single_account("--break bad-debt --above 1 --low 0.3 --high 0.2"), 3, "low must be below high");
  // A crash to zero or below is not a price: the high end is checked before anything runs.
  refused(single_account("--break bad-debt --above 1 --high 1.2"), 3, "size");
  refused(single_account("--break bad-debt --above 1 --shock other"), 3, "no crash shock named \"other\"");
  // A base without a crash shock has nothing to vary.
  refused("reverse --backend cpu --config " + path("flat.toml") + " --portfolio " + path("one.h5") +
              " --break bad-debt --above 1",
          3, "scenario.shocks has no crash shock");
}

}  // namespace
}  // namespace margin_stress
