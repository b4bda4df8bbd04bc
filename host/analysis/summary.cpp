#include "host/analysis/summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "host/analysis/intervals.hpp"

namespace margin_stress {

namespace {

// A probability level p = numerator / denominator, kept as integers so that ceil(p n) and the ES
// weights are exact by construction: 0.99 is not representable in binary, and whether ceil(0.99 * n)
// lands on the right order statistic would otherwise rest on how the product happens to round.
struct Level {
  std::int64_t numerator;
  std::int64_t denominator;
};

constexpr Level level_50{1, 2};
constexpr Level level_90{9, 10};
constexpr Level level_99{99, 100};
constexpr Level level_999{999, 1000};

// k = ceil(p n), clamped to [1, n] (docs/model.md, "Metrics across scenarios").
std::int64_t order_statistic_rank(Level p, std::int64_t n) {
  const std::int64_t k = (p.numerator * n + p.denominator - 1) / p.denominator;
  return std::clamp<std::int64_t>(k, 1, n);
}

// Lower empirical quantile x_(ceil(p n)) of an ascending sample.
double quantile(const std::vector<double>& sorted, Level p) {
  const auto n = static_cast<std::int64_t>(sorted.size());
  return sorted[static_cast<std::size_t>(order_statistic_rank(p, n) - 1)];
}

// Acerbi-Tasche: ES = [sum_{i>k} x_(i) + (k - alpha n) x_(k)] / ((1 - alpha) n), k = ceil(alpha n).
// With alpha = a / d the weights sum to (1 - alpha) n, so ES = x_(k) + d sum_{i>k} (x_(i) - x_(k)) /
// ((d - a) n): every weight is an exact integer, and the added term is never negative, so rounding
// cannot put ES below VaR. It is at most x_(n) - x_(k) in exact arithmetic; the min() keeps the
// last-ulp rounding of the division from putting ES above the largest loss.
double expected_shortfall(const std::vector<double>& sorted, Level alpha) {
  const auto n = static_cast<std::int64_t>(sorted.size());
  const std::int64_t k = order_statistic_rank(alpha, n);
  const double value_at_risk = sorted[static_cast<std::size_t>(k - 1)];
  double excess_sum = 0.0;
  for (auto i = static_cast<std::size_t>(k); i < sorted.size(); ++i) excess_sum += sorted[i] - value_at_risk;
  const auto tail_weight = static_cast<double>((alpha.denominator - alpha.numerator) * n);
  const double excess = static_cast<double>(alpha.denominator) * excess_sum / tail_weight;
  return std::min(value_at_risk + excess, sorted.back());
}

constexpr double infinity = std::numeric_limits<double>::infinity();

// The mean of x_(rank) ... x_(n) (rank 1-based).
double mean_from_rank(const std::vector<double>& sorted, std::int64_t rank) {
  double sum = 0.0;
  for (auto i = static_cast<std::size_t>(rank - 1); i < sorted.size(); ++i) sum += sorted[i];
  return sum / static_cast<double>(static_cast<std::int64_t>(sorted.size()) - rank + 1);
}

struct TailFigures {
  Interval var_interval;
  Interval es_interval;
  std::int64_t beyond = 0;  // scenarios beyond the VaR
};

// The distribution-free intervals of VaR_alpha and ES_alpha (docs/model.md, "Uncertainty of the
// figures"): VaR between the order statistics that bracket the quantile with 95 % probability;
// ES between the mean losses at or beyond those two order statistics, widened to hold ES itself.
TailFigures tail_figures(const std::vector<double>& sorted, Level alpha, double value_at_risk, double shortfall) {
  const auto n = static_cast<std::int64_t>(sorted.size());
  const RankInterval ranks =
      quantile_rank_interval(n, static_cast<double>(alpha.numerator) / static_cast<double>(alpha.denominator));
  TailFigures figures;
  figures.beyond = n - order_statistic_rank(alpha, n);
  figures.var_interval.lower =
      ranks.lower >= 1 ? std::min(value_at_risk, sorted[static_cast<std::size_t>(ranks.lower - 1)]) : -infinity;
  figures.var_interval.upper =
      ranks.upper <= n ? std::max(value_at_risk, sorted[static_cast<std::size_t>(ranks.upper - 1)]) : infinity;
  figures.es_interval.lower = ranks.lower >= 1 ? std::min(shortfall, mean_from_rank(sorted, ranks.lower)) : -infinity;
  figures.es_interval.upper = ranks.upper <= n ? std::max(shortfall, mean_from_rank(sorted, ranks.upper)) : infinity;
  return figures;
}

}  // namespace

LossBearers loss_bearers(const ScenarioLedger& ledger) {
  LossBearers bearers;
  bearers.bad_debt_usd = usd_figure(ledger.bad_debt);
  bearers.insurance_fund_draw_usd = usd_figure(ledger.insurance_payout);
  bearers.adl_haircut_usd = usd_figure(ledger.adl_haircut);
  // Negated in integers: a vault or provider that did nothing shows 0, not -0.
  bearers.backstop_vault_loss_usd = usd_figure(-ledger.vault_pnl);
  // Summed in USD: four amounts near the money range's edge could overflow 64-bit micro-dollars.
  bearers.platform_loss_usd = bearers.bad_debt_usd + bearers.insurance_fund_draw_usd + bearers.adl_haircut_usd +
                              bearers.backstop_vault_loss_usd;
  bearers.liquidity_provider_loss_usd = usd_figure(-ledger.liquidity_provider_pnl);
  return bearers;
}

DistributionSummary summarize_sample(const std::string& metric, std::vector<double> sample) {
  if (sample.empty()) throw std::invalid_argument("summarize_sample: " + metric + ": the sample is empty");
  for (std::size_t i = 0; i < sample.size(); ++i) {
    if (!std::isfinite(sample[i])) {
      throw std::invalid_argument("summarize_sample: " + metric + ": value " + std::to_string(i) + " is not finite");
    }
  }
  std::sort(sample.begin(), sample.end());
  const auto n = static_cast<double>(sample.size());

  DistributionSummary summary;
  summary.metric = metric;
  double sum = 0.0;
  for (const double x : sample) sum += x;
  summary.mean = sum / n;
  // Two passes: the sum of squared deviations does not cancel catastrophically the way
  // sum(x^2) - n mean^2 does for large, tightly clustered losses.
  double squared_deviations = 0.0;
  for (const double x : sample) squared_deviations += (x - summary.mean) * (x - summary.mean);
  summary.stddev = sample.size() > 1 ? std::sqrt(squared_deviations / (n - 1.0)) : 0.0;
  summary.standard_error = summary.stddev / std::sqrt(n);
  summary.min = sample.front();
  summary.max = sample.back();
  summary.p50 = quantile(sample, level_50);
  summary.p90 = quantile(sample, level_90);
  summary.var_99 = quantile(sample, level_99);
  summary.es_99 = expected_shortfall(sample, level_99);
  summary.var_999 = quantile(sample, level_999);
  summary.es_999 = expected_shortfall(sample, level_999);
  const TailFigures tail_99 = tail_figures(sample, level_99, summary.var_99, summary.es_99);
  summary.var_99_interval = tail_99.var_interval;
  summary.es_99_interval = tail_99.es_interval;
  summary.tail_99_scenarios = tail_99.beyond;
  const TailFigures tail_999 = tail_figures(sample, level_999, summary.var_999, summary.es_999);
  summary.var_999_interval = tail_999.var_interval;
  summary.es_999_interval = tail_999.es_interval;
  summary.tail_999_scenarios = tail_999.beyond;
  return summary;
}

RunSummary summarize_run(const std::vector<ScenarioMetrics>& scenarios, micro_usd initial_insurance_fund) {
  const std::size_t n = scenarios.size();
  std::vector<double> platform_loss(n), bad_debt(n), fund_draw(n), adl_haircut(n), vault_loss(n), provider_loss(n);
  std::vector<double> fund_loss(n), liquidated(n), adl(n), deleveraged(n), rounds_max(n), peak_scale(n);
  RunSummary summary;
  summary.scenarios = static_cast<std::int64_t>(n);
  for (std::size_t s = 0; s < n; ++s) {
    const ScenarioMetrics& metrics = scenarios[s];
    const ScenarioLedger& ledger = metrics.ledger;
    const LossBearers bearers = loss_bearers(ledger);
    bad_debt[s] = bearers.bad_debt_usd;
    fund_draw[s] = bearers.insurance_fund_draw_usd;
    adl_haircut[s] = bearers.adl_haircut_usd;
    vault_loss[s] = bearers.backstop_vault_loss_usd;
    platform_loss[s] = bearers.platform_loss_usd;
    provider_loss[s] = bearers.liquidity_provider_loss_usd;
    // Positive is a loss; negative means the fund ended above where it started (fees exceeded payouts).
    fund_loss[s] = usd_figure(initial_insurance_fund - metrics.insurance_fund_end);
    for (const double notional : metrics.liquidated_notional_usd) liquidated[s] += notional;
    adl[s] = metrics.adl_notional_usd;
    for (const double notional : metrics.deleveraged_notional_usd) deleveraged[s] += notional;
    rounds_max[s] = static_cast<double>(metrics.cascade_rounds_max);
    for (const double scale : metrics.max_margin_scale) peak_scale[s] = std::max(peak_scale[s], scale);

    summary.fund_exhausted_scenarios += metrics.fund_exhausted != 0 ? 1 : 0;
    summary.round_cap_hits += metrics.round_cap_hits;
    summary.max_abs_conservation_residual_usd =
        std::max(summary.max_abs_conservation_residual_usd, std::fabs(usd_figure(ledger.conservation_residual)));
  }
  summary.distributions = {
      summarize_sample("platform_loss_usd", std::move(platform_loss)),
      summarize_sample("bad_debt_usd", std::move(bad_debt)),
      summarize_sample("insurance_fund_draw_usd", std::move(fund_draw)),
      summarize_sample("adl_haircut_usd", std::move(adl_haircut)),
      summarize_sample("backstop_vault_loss_usd", std::move(vault_loss)),
      summarize_sample("liquidity_provider_loss_usd", std::move(provider_loss)),
      summarize_sample("insurance_fund_loss_usd", std::move(fund_loss)),
      summarize_sample("liquidated_notional_usd", std::move(liquidated)),
      summarize_sample("adl_notional_usd", std::move(adl)),
      summarize_sample("deleveraged_notional_usd", std::move(deleveraged)),
      summarize_sample("cascade_rounds_max", std::move(rounds_max)),
      summarize_sample("peak_margin_scale", std::move(peak_scale)),
  };
  summary.fund_exhaustion_probability =
      static_cast<double>(summary.fund_exhausted_scenarios) / static_cast<double>(summary.scenarios);
  const ProbabilityInterval exhaustion = wilson_interval(summary.fund_exhausted_scenarios, summary.scenarios);
  summary.fund_exhaustion_interval = {exhaustion.lower, exhaustion.upper};
  return summary;
}

}  // namespace margin_stress
