// Coverage backtest of a margin policy on a market's price history (docs/backtest.md): does the
// maintenance margin the policy would have required cover the price move over the liquidation
// horizon as often as a confidence level claims?
//
// The policy runs over the file's prices exactly as the engine runs it over simulated marks
// (docs/model.md, section 4), with the file's bar as the step: the scale in effect over a window
// that starts at row t uses the returns of rows 1..t only (the engine's one-step lag), through the
// engine's own policy object (MarginPolicy, host/engine/margin_policy.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "host/analysis/coverage_tests.hpp"
#include "host/model/config.hpp"
#include "scenarios/calibration/price_series.hpp"

namespace margin_stress {

// The margin scale in effect over the window starting at each row of `price_usd`, for market
// `market_index` of `config` with a step of `bar_seconds`: s[0] from the initial estimate
// (sigma_ref^2 dt), s[t] after observing the log returns of rows 1..t. Per-step parameters
// (ewma_lambda, GARCH, the regime chain's transition matrix) apply per bar; parameters in time
// units (per hour, seconds, annualised) are converted with the bar. regime_aware filters on this
// market's returns alone (the marginal of the regime model's Gaussian). Precondition: a validated
// config, market_index < market_count(), positive prices, bar_seconds > 0.
std::vector<double> margin_scale_history(const ModelConfig& config, std::size_t market_index,
                                         const std::vector<double>& price_usd, double bar_seconds);

struct CoverageCounts {
  std::int64_t windows = 0;             // windows whose start and end rows are both in the file
  std::int64_t long_exceedances = 0;    // P(end) / P(start) < 1 - m(start): a long loses more than m
  std::int64_t short_exceedances = 0;   // P(end) / P(start) > 1 + m(start): a short loses more than m
  std::int64_t either_exceedances = 0;  // one or the other (never both)
};

// A non-overlapping window whose move exceeded the margin on one side.
struct CoverageExceedance {
  std::int64_t start_time_seconds = 0;
  double price_ratio = 1.0;           // P(end) / P(start)
  double maintenance_fraction = 0.0;  // m(start) = mmf * s(start)
};

struct CoverageLevelTest {
  double confidence_level = 0.0;   // alpha
  double expected_rate = 0.0;      // p = 1 - alpha
  LikelihoodRatioTest pof;         // Kupiec, on the non-overlapping either-side exceedances
  double exact_pof_p_value = 1.0;  // the exact binomial test of the same count
  ProportionTest pof_test = ProportionTest::kupiec_chi_square;  // chosen_proportion_test(n, p)
  LikelihoodRatioTest independence;                             // Christoffersen, on their sequence
  LikelihoodRatioTest conditional;                              // LR_pof + LR_ind
  // The factor the policy's maintenance fraction would have needed, in this sample, for at most
  // floor(p n) exceedances: the order statistic of |P(end)/P(start) - 1| / m(start).
  double in_sample_multiplier = 0.0;

  // The p-value of the chosen POF test: exact_pof_p_value or pof.p_value.
  double pof_test_p_value() const {
    return pof_test == ProportionTest::exact_binomial ? exact_pof_p_value : pof.p_value;
  }
};

struct CoverageBacktest {
  std::int64_t bars = 0;          // rows of the file
  std::int64_t bar_seconds = 0;   // the most common spacing: the policy's step here
  std::int64_t missing_bars = 0;  // bars absent from the file's time grid (exchange outages)
  std::int64_t horizon_bars = 0;
  double maintenance_margin_fraction = 0.0;  // mmf before the scale
  double mean_scale = 0.0;                   // over every row
  double max_scale = 0.0;
  CoverageCounts non_overlapping;               // windows starting every horizon_bars bars: the tests' sample
  CoverageCounts overlapping;                   // a window starting at every row, for information
  TransitionCounts transitions;                 // of the non-overlapping either-side exceedance sequence
  std::vector<CoverageExceedance> exceedances;  // the non-overlapping ones, in time order
  std::vector<CoverageLevelTest> levels;        // in the order of confidence_levels
};

// The backtest of the policy of `config` on market `market_index` (its maintenance fraction and
// reference volatility), with windows of horizon_bars bars. A window starts at a row and ends at
// the row horizon_bars * bar_seconds later; a window whose end falls in a gap is dropped. The
// non-overlapping windows start on the grid first time + k horizon_bars bar_seconds.
// Throws InputError naming the file when it holds no complete non-overlapping window, and
// std::invalid_argument when horizon_bars < 1, a level is not in (0, 1) or market_index is out of
// range.
CoverageBacktest run_coverage_backtest(const calibration::PriceSeries& prices, const ModelConfig& config,
                                       std::size_t market_index, std::int64_t horizon_bars,
                                       const std::vector<double>& confidence_levels);

}  // namespace margin_stress
