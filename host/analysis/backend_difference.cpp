#include "host/analysis/backend_difference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace margin_stress {
namespace {

// Relative allowance for doubles and money: both engines evaluate the same IEEE-754 operations in
// the same order and add money in integers, so they agree exactly; 1e-9 is the slack
// docs/model.md allows, far above a last-bit difference and far below any modelling effect.
constexpr double relative_allowance = 1e-9;

class Collector {
 public:
  Collector(std::string metric, double allowed_absolute, double allowed_relative) {
    difference_.metric = std::move(metric);
    difference_.allowed_absolute = allowed_absolute;
    difference_.allowed_relative = allowed_relative;
  }
  void add(double a, double b) { add(a, b, std::fabs(a - b)); }
  // Money is compared in integers, so the difference itself is exact.
  void add_money(micro_usd a, micro_usd b) { add(usd_figure(a), usd_figure(b), usd_figure(a > b ? a - b : b - a)); }
  MetricDifference result() const { return difference_; }

 private:
  void add(double a, double b, double absolute) {
    ++difference_.values;
    if (a == b && absolute == 0.0) return;
    const double relative = absolute / std::max(std::fabs(a), std::fabs(b));
    const bool nan = std::isnan(a) || std::isnan(b);
    difference_.max_absolute = std::max(difference_.max_absolute, nan ? INFINITY : absolute);
    difference_.max_relative = std::max(difference_.max_relative, nan ? INFINITY : relative);
    if (nan || (absolute > difference_.allowed_absolute && relative > difference_.allowed_relative))
      ++difference_.beyond;
  }
  MetricDifference difference_;
};

template <typename T>
void compare_series(std::vector<MetricDifference>& out, const char* name, const std::vector<T>& a,
                    const std::vector<T>& b, double allowed_absolute, double allowed_relative) {
  Collector collector(name, allowed_absolute, allowed_relative);
  for (std::size_t i = 0; i < a.size(); ++i) collector.add(static_cast<double>(a[i]), static_cast<double>(b[i]));
  out.push_back(collector.result());
}

}  // namespace

bool BackendDifference::within_tolerance() const {
  if (liquidation_decisions_differing != 0) return false;
  return std::all_of(metrics.begin(), metrics.end(), [](const MetricDifference& metric) { return metric.beyond == 0; });
}

BackendDifference compare_backends(const BatchResults& reference, const BatchResults& candidate,
                                   std::int64_t positions) {
  const StepSeries& a = reference.series;
  const StepSeries& b = candidate.series;
  if (reference.scenarios.size() != candidate.scenarios.size() || a.scenarios != b.scenarios || a.steps != b.steps ||
      a.markets != b.markets || reference.first_scenario != candidate.first_scenario) {
    throw std::invalid_argument("the two engines' results are not for the same batch");
  }
  BackendDifference difference;
  std::vector<MetricDifference>& out = difference.metrics;
  const auto money = [&](const char* name, auto field) {
    Collector collector(name, 0.0, relative_allowance);
    for (std::size_t s = 0; s < reference.scenarios.size(); ++s) {
      collector.add_money(field(reference.scenarios[s]), field(candidate.scenarios[s]));
    }
    out.push_back(collector.result());
  };
  money("ledger.bad_debt_usd", [](const ScenarioMetrics& m) { return m.ledger.bad_debt; });
  money("ledger.insurance_payout_usd", [](const ScenarioMetrics& m) { return m.ledger.insurance_payout; });
  money("ledger.adl_haircut_usd", [](const ScenarioMetrics& m) { return m.ledger.adl_haircut; });
  money("ledger.liquidation_fees_usd", [](const ScenarioMetrics& m) { return m.ledger.liquidation_fees; });
  money("ledger.deposits_usd", [](const ScenarioMetrics& m) { return m.ledger.deposits; });
  money("ledger.vault_pnl_usd", [](const ScenarioMetrics& m) { return m.ledger.vault_pnl; });
  money("ledger.trader_equity_change_usd", [](const ScenarioMetrics& m) { return m.ledger.trader_equity_change; });
  money("ledger.liquidity_provider_pnl_usd", [](const ScenarioMetrics& m) { return m.ledger.liquidity_provider_pnl; });
  money("ledger.conservation_residual_usd", [](const ScenarioMetrics& m) { return m.ledger.conservation_residual; });
  money("insurance_fund_min_usd", [](const ScenarioMetrics& m) { return m.insurance_fund_min; });
  money("insurance_fund_end_usd", [](const ScenarioMetrics& m) { return m.insurance_fund_end; });

  const auto per_scenario = [&](const char* name, double allowed_relative, auto field) {
    Collector collector(name, 0.0, allowed_relative);
    for (std::size_t s = 0; s < reference.scenarios.size(); ++s) {
      const auto x = field(reference.scenarios[s]);
      const auto y = field(candidate.scenarios[s]);
      if constexpr (std::is_arithmetic_v<decltype(x)>) {
        collector.add(static_cast<double>(x), static_cast<double>(y));
      } else {
        for (std::size_t i = 0; i < x.size() && i < y.size(); ++i)
          collector.add(static_cast<double>(x[i]), static_cast<double>(y[i]));
      }
    }
    out.push_back(collector.result());
  };
  per_scenario("adl_notional_usd", relative_allowance, [](const ScenarioMetrics& m) { return m.adl_notional_usd; });
  per_scenario("liquidated_notional_usd", relative_allowance,
               [](const ScenarioMetrics& m) { return m.liquidated_notional_usd; });
  per_scenario("deleveraged_notional_usd", relative_allowance,
               [](const ScenarioMetrics& m) { return m.deleveraged_notional_usd; });
  per_scenario("peak_impact", relative_allowance, [](const ScenarioMetrics& m) { return m.peak_impact; });
  per_scenario("max_margin_scale", relative_allowance, [](const ScenarioMetrics& m) { return m.max_margin_scale; });
  // Counts are exact.
  per_scenario("cascade_rounds_total", 0.0, [](const ScenarioMetrics& m) { return m.cascade_rounds_total; });
  per_scenario("round_cap_hits", 0.0, [](const ScenarioMetrics& m) { return m.round_cap_hits; });
  per_scenario("fund_exhausted", 0.0, [](const ScenarioMetrics& m) { return m.fund_exhausted; });
  per_scenario("margin_calls", 0.0, [](const ScenarioMetrics& m) { return m.margin_calls; });
  per_scenario("backstopped_accounts", 0.0, [](const ScenarioMetrics& m) { return m.backstopped_accounts; });
  per_scenario("backstop_notional_usd", relative_allowance,
               [](const ScenarioMetrics& m) { return m.backstop_notional_usd; });

  compare_series(out, "series.fundamental_price_usd", a.fundamental_price_usd, b.fundamental_price_usd, 0.0,
                 relative_allowance);
  compare_series(out, "series.mark_price_usd", a.mark_price_usd, b.mark_price_usd, 0.0, relative_allowance);
  compare_series(out, "series.margin_scale", a.margin_scale, b.margin_scale, 0.0, relative_allowance);
  compare_series(out, "series.liquidated_notional_usd", a.liquidated_notional_usd, b.liquidated_notional_usd, 0.0,
                 relative_allowance);
  compare_series(out, "series.deleveraged_notional_usd", a.deleveraged_notional_usd, b.deleveraged_notional_usd, 0.0,
                 relative_allowance);
  compare_series(out, "series.open_notional_usd", a.open_notional_usd, b.open_notional_usd, 0.0, relative_allowance);
  compare_series(out, "series.initial_margin_usd", a.initial_margin_usd, b.initial_margin_usd,
                 0.5e-6 * static_cast<double>(positions), relative_allowance);
  compare_series(out, "series.insurance_fund_usd", a.insurance_fund_usd, b.insurance_fund_usd, 0.0, relative_allowance);
  compare_series(out, "series.cascade_rounds", a.cascade_rounds, b.cascade_rounds, 0.0, 0.0);

  for (std::size_t s = 0; s < reference.scenarios.size(); ++s) {
    const std::vector<std::int64_t>& x = reference.scenarios[s].liquidation_count;
    const std::vector<std::int64_t>& y = candidate.scenarios[s].liquidation_count;
    for (std::size_t m = 0; m < x.size(); ++m) {
      difference.liquidations += x[m];
      difference.liquidation_decisions_differing += std::llabs(x[m] - (m < y.size() ? y[m] : 0));
    }
  }
  return difference;
}

}  // namespace margin_stress
