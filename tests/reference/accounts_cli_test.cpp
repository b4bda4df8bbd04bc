// `run --accounts-out` and `--accounts-worst` as a user meets them: the worst scenarios are those a
// sort of the whole run's platform loss gives, the accounts file of a scenario rerun alone holds
// the same rows as the same scenario's in a range, and bad requests are refused with exit code 2
// before anything is written.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "tests/reference/cli_runner.hpp"
#include "tests/reference/results_contents.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;
using testing::expect_contains;
using testing::Outcome;
using testing::read_csv;
using testing::run_cli;

// The default model started in its crisis regime over a small book and a thin fund: scenarios that
// lose money, and differ in how much.
constexpr const char* crisis_toml =
    "[run]\nsteps = 48\nthreads = 2\n"
    "[insurance_fund]\ninitial_balance_usd = 2000.0\n"
    "[regimes]\ninitial_distribution = [0.0, 0.0, 0.0, 1.0]\n"
    "[portfolio]\naccounts = 300\n";

template <typename T>
std::vector<T> values(const testing::FileContents& contents, const std::string& path) {
  const testing::DatasetBytes& bytes = contents.at(path);
  std::vector<T> out(bytes.bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.bytes.data(), bytes.bytes.size());
  return out;
}

class AccountsCli : public testing::ScratchDirectoryTest {
 protected:
  void SetUp() override {
    ScratchDirectoryTest::SetUp();
    config_ = write_file("crisis.toml", crisis_toml);
  }
  Outcome run(const std::string& arguments) {
    return run_cli("run --quiet --config " + config_ + " --scenarios 12 " + arguments);
  }
  std::string config_;
};

TEST_F(AccountsCli, TheWorstAreThoseASortOfTheWholeRunsPlatformLossGives) {
  const Outcome outcome = run("--accounts-worst 4 --accounts-out " + path("worst.csv") + " --out " + path("run.h5"));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  const testing::FileContents results = testing::read_results(path("run.h5"));

  // The platform loss of every scenario from the file's own loss bearers, sorted independently.
  const auto bad_debt = values<double>(results, "/scenario/bad_debt_usd");
  const auto payout = values<double>(results, "/scenario/insurance_payout_usd");
  const auto adl = values<double>(results, "/scenario/adl_haircut_usd");
  const auto vault = values<double>(results, "/scenario/vault_pnl_usd");
  std::vector<double> loss(bad_debt.size());
  for (std::size_t s = 0; s < loss.size(); ++s) loss[s] = bad_debt[s] + payout[s] + adl[s] - vault[s];
  ASSERT_EQ(loss.size(), 12u);
  ASSERT_GT(*std::max_element(loss.begin(), loss.end()), 0.0) << "the scenarios must lose money";
  std::vector<std::int64_t> order(loss.size());
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t x, std::int64_t y) { return loss[x] > loss[y]; });
  order.resize(4);
  EXPECT_EQ(values<std::int64_t>(results, "/drilldown/captured_scenario"), order);
  const auto captured_loss = values<double>(results, "/drilldown/platform_loss_usd");
  for (std::size_t i = 0; i < order.size(); ++i) EXPECT_NEAR(captured_loss[i], loss[order[i]], 1e-6) << i;

  // The accounts file holds those four scenarios, every account of each, in ascending order.
  const auto rows = read_csv(path("worst.csv"));
  ASSERT_EQ(rows.size(), 1 + 4 * 300u);
  EXPECT_EQ(rows[0][0], "scenario");
  std::vector<std::int64_t> ascending = order;
  std::sort(ascending.begin(), ascending.end());
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(rows[1 + i * 300][0], std::to_string(ascending[i]));
    EXPECT_EQ(rows[1 + i * 300][1], "0");
    EXPECT_EQ(rows[300 + i * 300][1], "299");
  }
  // Each scenario's bad debt column adds up to the scenario's, to the cent.
  for (const std::int64_t scenario : ascending) {
    double sum = 0.0;
    for (std::size_t r = 1; r < rows.size(); ++r) {
      if (rows[r][0] == std::to_string(scenario)) sum += std::stod(rows[r][10]);
    }
    EXPECT_NEAR(sum, bad_debt[static_cast<std::size_t>(scenario)], 0.01) << "scenario " << scenario;
  }
}

TEST_F(AccountsCli, AScenarioAloneHasTheRowsItHasInARange) {
  const Outcome alone = run("--scenario 5 --accounts-out " + path("alone.csv") + " --out " + path("alone.h5"));
  ASSERT_EQ(alone.exit_code, 0) << alone.output;
  const Outcome range = run("--scenario 3-7 --accounts-out " + path("range.csv") + " --out " + path("range.h5"));
  ASSERT_EQ(range.exit_code, 0) << range.output;
  const auto alone_rows = read_csv(path("alone.csv"));
  const auto range_rows = read_csv(path("range.csv"));
  ASSERT_EQ(range_rows.size(), 1 + 5 * 300u);
  std::vector<std::vector<std::string>> fifth = {range_rows[0]};
  std::set<std::string> scenarios;
  for (std::size_t r = 1; r < range_rows.size(); ++r) {
    scenarios.insert(range_rows[r][0]);
    if (range_rows[r][0] == "5") fifth.push_back(range_rows[r]);
  }
  EXPECT_EQ(scenarios, (std::set<std::string>{"3", "4", "5", "6", "7"}));
  ASSERT_EQ(fifth.size(), 301u);
  EXPECT_EQ(alone_rows, fifth);
}

TEST_F(AccountsCli, TheSummaryNamesTheTopContributors) {
  const Outcome outcome = run_cli("run --config " + config_ + " --scenarios 12 --accounts-worst 2 --accounts-out " +
                                  path("worst.csv") + " --out " + path("run.h5"));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_contains(outcome.output,
                  {"drill-down: every account of 2 scenario(s)", "platform loss", "accounts: " + path("worst.csv")});
}

TEST_F(AccountsCli, BadRequestsAreUsageErrorsAndWriteNothing) {
  const std::string files = " --accounts-out " + path("a.csv") + " --out " + path("r.h5");
  const auto refused = [&](const std::string& arguments, std::initializer_list<std::string> message) {
    const Outcome outcome = run(arguments);
    EXPECT_EQ(outcome.exit_code, 2) << arguments << "\n" << outcome.output;
    expect_contains(outcome.output, message);
    EXPECT_FALSE(fs::exists(path("r.h5"))) << arguments;
    EXPECT_FALSE(fs::exists(path("a.csv"))) << arguments;
  };
  refused("--accounts-worst 0" + files, {"--accounts-worst"});
  refused("--accounts-worst -3" + files, {});
  refused("--accounts-worst 13" + files, {"--accounts-worst 13", "only 12 scenario(s)"});
  refused("--scenario 2-4 --accounts-worst 4" + files, {"only 3 scenario(s)"});
  refused("--accounts-worst 2 --out " + path("r.h5"), {"--accounts-out"});
  // 12 scenarios of the default 100,000-account book: 1.2 million rows, above the limit.
  const Outcome big =
      run_cli("run --quiet --scenarios 12 --steps 2 --accounts-out " + path("a.csv") + " --out " + path("r.h5"));
  EXPECT_EQ(big.exit_code, 2) << big.output;
  expect_contains(big.output, {"1200000 rows", "limit of 1000000 rows", "--accounts-worst"});
  EXPECT_FALSE(fs::exists(path("r.h5")));
  EXPECT_FALSE(fs::exists(path("a.csv")));
  // An accounts file that exists is kept, and nothing else written.
  write_file("a.csv", "an earlier analysis\n");
  const Outcome exists = run("--accounts-worst 2" + files);
  EXPECT_EQ(exists.exit_code, 2) << exists.output;
  expect_contains(exists.output, {"a.csv: the file exists", "--force"});
  EXPECT_EQ(testing::read_text(path("a.csv")), "an earlier analysis\n");
  EXPECT_FALSE(fs::exists(path("r.h5")));
  // --force replaces it.
  const Outcome forced = run("--accounts-worst 2 --force" + files);
  EXPECT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_EQ(read_csv(path("a.csv")).size(), 1 + 2 * 300u);
}

}  // namespace
}  // namespace margin_stress
