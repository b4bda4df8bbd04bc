// The comparison `margin-stress verify` prints (host/analysis/backend_difference.cpp): identical
// results pass, a last-bit difference passes, a cent on a small amount fails, any differing
// liquidation count fails, and the tiered initial margin has its per-position allowance.
#include "host/analysis/backend_difference.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace margin_stress {
namespace {

BatchResults two_scenarios() {
  BatchResults results;
  results.scenarios.resize(2);
  for (ScenarioMetrics& metrics : results.scenarios) {
    metrics.ledger.bad_debt = 5000000000000;  // 5,000,000 USD
    metrics.ledger.liquidation_fees = 1000000;
    metrics.liquidated_notional_usd = {1.0e8, 2.0e6};
    metrics.liquidation_count = {120, 7};
    metrics.peak_impact = {0.01, 0.02};
    metrics.max_margin_scale = {1.5, 1.0};
  }
  results.series.resize(2, 3, 2);
  for (double& value : results.series.initial_margin_usd) value = 2.0e7;
  for (double& value : results.series.mark_price_usd) value = 100.0;
  return results;
}

const MetricDifference& metric(const BackendDifference& difference, const std::string& name) {
  for (const MetricDifference& m : difference.metrics) {
    if (m.metric == name) return m;
  }
  throw std::runtime_error("no metric " + name);
}

TEST(BackendDifference, IdenticalResultsPass) {
  const BatchResults results = two_scenarios();
  const BackendDifference difference = compare_backends(results, results, 1000);
  EXPECT_TRUE(difference.within_tolerance());
  EXPECT_EQ(difference.liquidations, 254);
  EXPECT_EQ(metric(difference, "ledger.bad_debt_usd").values, 2);
  EXPECT_EQ(metric(difference, "series.mark_price_usd").values, 12);
}

TEST(BackendDifference, LastBitPassesAndACentOnSmallMoneyFails) {
  const BatchResults reference = two_scenarios();
  BatchResults candidate = two_scenarios();
  candidate.series.mark_price_usd[3] = std::nextafter(100.0, 200.0);
  candidate.scenarios[1].ledger.bad_debt += 1;  // one micro-dollar on 5 million: 2e-13 relative
  BackendDifference difference = compare_backends(reference, candidate, 1000);
  EXPECT_TRUE(difference.within_tolerance());
  EXPECT_DOUBLE_EQ(metric(difference, "ledger.bad_debt_usd").max_absolute, 1e-6);

  candidate.scenarios[0].ledger.liquidation_fees += 10000;  // a cent on a dollar
  difference = compare_backends(reference, candidate, 1000);
  EXPECT_FALSE(difference.within_tolerance());
  EXPECT_EQ(metric(difference, "ledger.liquidation_fees_usd").beyond, 1);
  EXPECT_NEAR(metric(difference, "ledger.liquidation_fees_usd").max_relative, 0.01 / 1.01, 1e-12);
}

TEST(BackendDifference, AnyDifferingLiquidationFails) {
  const BatchResults reference = two_scenarios();
  BatchResults candidate = two_scenarios();
  candidate.scenarios[1].liquidation_count[0] = 121;
  candidate.scenarios[0].liquidation_count[1] = 5;
  const BackendDifference difference = compare_backends(reference, candidate, 1000);
  EXPECT_EQ(difference.liquidation_decisions_differing, 3);
  EXPECT_FALSE(difference.within_tolerance());
}

TEST(BackendDifference, TieredInitialMarginMayDifferByHalfAMicroDollarPerPosition) {
  const BatchResults reference = two_scenarios();
  BatchResults candidate = two_scenarios();
  candidate.series.initial_margin_usd[0] += 0.0004;  // within 0.5e-6 x 1,000 positions = 0.0005
  EXPECT_TRUE(compare_backends(reference, candidate, 1000).within_tolerance());
  candidate.series.initial_margin_usd[0] += 0.02;  // 0.0204 on 2e7: 1e-9 relative, beyond 0.0005
  EXPECT_FALSE(compare_backends(reference, candidate, 1000).within_tolerance());
}

TEST(BackendDifference, NanIsNeverWithinTolerance) {
  const BatchResults reference = two_scenarios();
  BatchResults candidate = two_scenarios();
  candidate.scenarios[0].peak_impact[1] = std::nan("");
  const BackendDifference difference = compare_backends(reference, candidate, 1000);
  EXPECT_EQ(metric(difference, "peak_impact").beyond, 1);
  EXPECT_TRUE(std::isinf(metric(difference, "peak_impact").max_relative));
}

TEST(BackendDifference, DifferentBatchesAreRefused) {
  const BatchResults reference = two_scenarios();
  BatchResults candidate = two_scenarios();
  candidate.scenarios.pop_back();
  EXPECT_THROW(compare_backends(reference, candidate, 1000), std::invalid_argument);
}

}  // namespace
}  // namespace margin_stress
