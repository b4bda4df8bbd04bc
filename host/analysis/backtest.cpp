#include "host/analysis/backtest.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

#include "host/engine/margin_policy.hpp"
#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

// The regime model restricted to one market: its volatility, drift and jumps in every regime and a
// 1 x 1 correlation, so the platform's filter reads this market's returns alone, with the bar as
// its step.
ModelConfig one_market_config(const ModelConfig& config, std::size_t market_index, double bar_seconds) {
  ModelConfig one = config;
  one.run.step_seconds = bar_seconds;
  one.markets = {config.markets[market_index]};
  for (RegimeState& state : one.regimes.states) {
    state.volatility = {state.volatility[market_index]};
    state.drift = {state.drift[market_index]};
    state.jump_mean = {state.jump_mean[market_index]};
    state.jump_stddev = {state.jump_stddev[market_index]};
    state.correlation = {1.0};
  }
  return one;
}

bool on_grid(std::int64_t time, std::int64_t origin, std::int64_t spacing) { return (time - origin) % spacing == 0; }

// The row whose time is exactly `time`, searching from `first`.
std::optional<std::size_t> row_at(const std::vector<std::int64_t>& times, std::size_t first, std::int64_t time) {
  const auto found = std::lower_bound(times.begin() + static_cast<std::ptrdiff_t>(first), times.end(), time);
  if (found == times.end() || *found != time) return std::nullopt;
  return static_cast<std::size_t>(found - times.begin());
}

// The smallest k with at most floor(p n) of the sorted `excess` ratios strictly above it.
double in_sample_multiplier(const std::vector<double>& sorted_excess, double expected_rate) {
  const auto n = static_cast<double>(sorted_excess.size());
  // The relative nudge keeps p n = 0.01 * 200 from rounding down to 1.9999999999999998.
  const auto allowed = static_cast<std::size_t>(std::floor(expected_rate * n * (1.0 + 1e-12)));
  if (allowed >= sorted_excess.size()) return 0.0;
  return sorted_excess[sorted_excess.size() - allowed - 1];
}

}  // namespace

std::vector<double> margin_scale_history(const ModelConfig& config, std::size_t market_index,
                                         const std::vector<double>& price_usd, double bar_seconds) {
  // The engine's policy (docs/model.md, section 4) over this market alone, with the file's rows as
  // steps: the scale of step t + 1 (our window starting at row t) is set before that step's return
  // is observed.
  MarginPolicy policy(one_market_config(config, market_index, bar_seconds));
  std::vector<double> scales(price_usd.size());
  for (std::size_t t = 0; t < price_usd.size(); ++t) {
    if (t > 0) policy.observe({std::log(price_usd[t] / price_usd[t - 1])});
    scales[t] = policy.next_scale(0);
  }
  return scales;
}

CoverageBacktest run_coverage_backtest(const calibration::PriceSeries& prices, const ModelConfig& config,
                                       std::size_t market_index, std::int64_t horizon_bars,
                                       const std::vector<double>& confidence_levels) {
  if (horizon_bars < 1) throw std::invalid_argument("run_coverage_backtest: horizon_bars must be >= 1");
  if (market_index >= config.market_count()) throw std::invalid_argument("run_coverage_backtest: no such market");
  for (const double level : confidence_levels) {
    if (!(level > 0.0 && level < 1.0)) {
      throw std::invalid_argument("run_coverage_backtest: confidence level " + std::to_string(level) +
                                  " is not in (0, 1)");
    }
  }
  const std::vector<std::int64_t>& times = prices.time_seconds;
  const std::vector<double>& price = prices.price_usd;

  CoverageBacktest result;
  result.bars = static_cast<std::int64_t>(price.size());
  result.bar_seconds = calibration::most_common_spacing(times);
  result.horizon_bars = horizon_bars;
  result.maintenance_margin_fraction = config.markets[market_index].maintenance_margin_fraction;
  for (std::size_t t = 1; t < times.size(); ++t) {
    result.missing_bars += std::max<std::int64_t>(0, (times[t] - times[t - 1]) / result.bar_seconds - 1);
  }

  const std::vector<double> scales =
      margin_scale_history(config, market_index, price, static_cast<double>(result.bar_seconds));
  double scale_sum = 0.0;
  for (const double scale : scales) {
    scale_sum += scale;
    result.max_scale = std::max(result.max_scale, scale);
  }
  result.mean_scale = scale_sum / static_cast<double>(scales.size());

  const std::int64_t horizon_seconds = horizon_bars * result.bar_seconds;
  std::vector<bool> sequence;  // non-overlapping either-side exceedances, in time order
  std::vector<double> excess;  // |ratio - 1| / m of each non-overlapping window
  for (std::size_t start = 0; start < times.size(); ++start) {
    const std::optional<std::size_t> end = row_at(times, start + 1, times[start] + horizon_seconds);
    if (!end) continue;
    const double ratio = price[*end] / price[start];
    const double margin = result.maintenance_margin_fraction * scales[start];
    const bool long_loss = ratio < 1.0 - margin;
    const bool short_loss = ratio > 1.0 + margin;
    const auto tally = [&](CoverageCounts& counts) {
      ++counts.windows;
      counts.long_exceedances += long_loss ? 1 : 0;
      counts.short_exceedances += short_loss ? 1 : 0;
      counts.either_exceedances += long_loss || short_loss ? 1 : 0;
    };
    tally(result.overlapping);
    if (!on_grid(times[start], times.front(), horizon_seconds)) continue;
    tally(result.non_overlapping);
    sequence.push_back(long_loss || short_loss);
    excess.push_back(std::fabs(ratio - 1.0) / margin);
    if (long_loss || short_loss) result.exceedances.push_back({times[start], ratio, margin});
  }
  if (result.non_overlapping.windows == 0) {
    throw InputError(prices.source + ": " + std::to_string(result.bars) + " rows of " +
                     std::to_string(result.bar_seconds) + " s bars hold no complete window of the " +
                     std::to_string(horizon_seconds) + " s horizon");
  }

  result.transitions = count_transitions(sequence);
  const LikelihoodRatioTest independence = christoffersen_independence(result.transitions);
  std::sort(excess.begin(), excess.end());
  for (const double level : confidence_levels) {
    CoverageLevelTest test;
    test.confidence_level = level;
    test.expected_rate = 1.0 - level;
    test.pof =
        kupiec_pof(result.non_overlapping.windows, result.non_overlapping.either_exceedances, test.expected_rate);
    test.exact_pof_p_value = exact_binomial_p_value(result.non_overlapping.windows,
                                                    result.non_overlapping.either_exceedances, test.expected_rate);
    test.pof_test = chosen_proportion_test(result.non_overlapping.windows, test.expected_rate);
    test.independence = independence;
    test.conditional = conditional_coverage(test.pof, independence);
    test.in_sample_multiplier = in_sample_multiplier(excess, test.expected_rate);
    result.levels.push_back(test);
  }
  return result;
}

}  // namespace margin_stress
