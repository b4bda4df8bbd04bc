// The CLI's drill-down over a backend that cannot capture accounts (as the CUDA engine, which keeps
// them on the device): the chosen scenarios are rerun on the CPU reference, with the same accounts
// as a capturing backend gives, and a rerun whose ledger differs from the run's is an error.
#include "host/cli/account_capture.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

#include "host/engine/cpu/cpu_engine.hpp"
#include "host/io/accounts_file.hpp"
#include "host/io/config_file.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

// Runs like the CPU reference, captures like the CUDA engine: not at all.
class NonCapturingBook final : public LoadedBook {
 public:
  explicit NonCapturingBook(std::unique_ptr<LoadedBook> book) : book_(std::move(book)) {}
  BatchResults run(const ScenarioPaths& paths, const ProgressCallback& progress) override {
    return book_->run(paths, progress);
  }
  bool captures_accounts() const override { return false; }
  BatchResults run_capturing_accounts(const ScenarioPaths&, const ProgressCallback&,
                                      std::vector<ScenarioAccounts>&) override {
    throw std::logic_error("NonCapturingBook cannot capture");
  }
  std::int64_t scenarios_in_parallel() const override { return book_->scenarios_in_parallel(); }

 private:
  std::unique_ptr<LoadedBook> book_;
};

ModelConfig crisis_config() {
  ModelConfig config = default_config();
  config.run.scenarios = 10;
  config.run.steps = 48;
  config.run.threads = 2;
  config.portfolio.accounts = 500;
  config.insurance_fund.initial_balance_usd = 2000.0;
  config.regimes.initial_distribution.assign(config.regime_count(), 0.0);
  config.regimes.initial_distribution.back() = 1.0;
  validate_config(config);
  return config;
}

TEST(AccountCapture, ABackendThatCannotCaptureIsRerunOnTheCpuReference) {
  const ModelConfig config = crisis_config();
  const Portfolio book = generate_portfolio(config.portfolio, config.markets);
  const std::unique_ptr<LoadedBook> cpu = make_cpu_engine(2)->load(config, book);
  NonCapturingBook device_like(make_cpu_engine(2)->load(config, book));
  const BatchResults results = device_like.run(build_scenarios(config, 0, config.run.scenarios), nullptr);
  const std::vector<std::int64_t> worst = scenarios_to_capture(results, 3);
  ASSERT_EQ(worst.size(), 3u);

  const AccountCapture direct = capture_accounts(*cpu, config, book, results, worst);
  const AccountCapture rerun = capture_accounts(device_like, config, book, results, worst);
  EXPECT_FALSE(direct.on_cpu_reference_instead);
  EXPECT_TRUE(rerun.on_cpu_reference_instead);
  EXPECT_EQ(rerun.engine, "cpu (2 threads)");
  ASSERT_EQ(rerun.accounts.size(), 3u);
  for (std::size_t i = 0; i < worst.size(); ++i) {
    EXPECT_EQ(rerun.accounts[i].scenario, worst[i]);
    EXPECT_EQ(rerun.captured[i].scenario, worst[i]);
  }
  EXPECT_GT(rerun.captured[0].platform_loss_usd, 0.0) << "the worst scenario must lose money";
  EXPECT_EQ(accounts_csv(rerun.accounts), accounts_csv(direct.accounts));

  // Without a choice, every scenario of the run in order.
  EXPECT_EQ(scenarios_to_capture(results, 0), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(AccountCapture, ARerunThatDiffersFromTheRunIsAnError) {
  const ModelConfig config = crisis_config();
  const Portfolio book = generate_portfolio(config.portfolio, config.markets);
  const std::unique_ptr<LoadedBook> cpu = make_cpu_engine(2)->load(config, book);
  BatchResults results = cpu->run(build_scenarios(config, 0, config.run.scenarios), nullptr);
  results.scenarios[4].ledger.liquidation_fees += 1;
  EXPECT_THROW(capture_accounts(*cpu, config, book, results, {4}), std::logic_error);
  EXPECT_NO_THROW(capture_accounts(*cpu, config, book, results, {3, 5}));
}

}  // namespace
}  // namespace margin_stress
