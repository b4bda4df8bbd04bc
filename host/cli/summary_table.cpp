#include "host/cli/summary_table.hpp"

#include <cmath>

#include "host/io/config_writer.hpp"

namespace margin_stress {
namespace {

// Money for people: 1,234,567 -> "1.23M".
std::string usd(double amount) {
  const double magnitude = std::fabs(amount);
  char text[32];
  if (magnitude >= 1e9)
    std::snprintf(text, sizeof text, "%.2fB", amount / 1e9);
  else if (magnitude >= 1e6)
    std::snprintf(text, sizeof text, "%.2fM", amount / 1e6);
  else if (magnitude >= 1e3)
    std::snprintf(text, sizeof text, "%.1fk", amount / 1e3);
  else
    std::snprintf(text, sizeof text, "%.2f", amount);
  return text;
}

const DistributionSummary* find(const RunSummary& summary, const std::string& metric) {
  for (const DistributionSummary& distribution : summary.distributions) {
    if (distribution.metric == metric) return &distribution;
  }
  return nullptr;
}

void print_money_row(std::FILE* out, const RunSummary& summary, const char* label, const char* metric) {
  const DistributionSummary* d = find(summary, metric);
  if (d == nullptr) return;
  std::fprintf(out, "  %-26s %10s %10s %10s %10s %10s %10s\n", label, usd(d->mean).c_str(), usd(d->p99).c_str(),
               usd(d->var_99).c_str(), usd(d->es_99).c_str(), usd(d->var_999).c_str(), usd(d->es_999).c_str());
}

}  // namespace

void print_summary_table(std::FILE* out, const ModelConfig& config, const Portfolio& portfolio,
                         const RunProvenance& provenance, const RunSummary& summary, const RunTimings& timings,
                         const std::string& results_path) {
  double open_interest_usd = 0.0;
  for (std::size_t p = 0; p < portfolio.position_count(); ++p) {
    const MarketSpec& market = config.markets[static_cast<std::size_t>(portfolio.market_index[p])];
    open_interest_usd +=
        std::fabs(static_cast<double>(portfolio.quantity_lots[p])) * market.lot_size * market.initial_price_usd;
  }
  const std::string policy(toml_name(config.margin_policy.kind));
  std::fprintf(out, "margin-stress %s (commit %s)\n", provenance.program_version.c_str(),
               provenance.git_commit.c_str());
  std::fprintf(out, "  book        %zu accounts, %zu positions, %zu markets, open interest %s USD (%s)\n",
               portfolio.account_count(), portfolio.position_count(), config.market_count(),
               usd(open_interest_usd).c_str(), provenance.portfolio_source.c_str());
  std::fprintf(out, "  scenarios   %lld x %lld steps of %.0f s, %zu regimes, seed %llu (config: %s)\n",
               static_cast<long long>(config.run.scenarios), static_cast<long long>(config.run.steps),
               config.run.step_seconds, config.regime_count(), static_cast<unsigned long long>(config.run.seed),
               config.source_name.c_str());
  std::fprintf(out, "  sources     %s\n", provenance.scenario_source.c_str());
  std::fprintf(out, "  policy      %s margin, %s liquidation, insurance fund %s USD, ADL %s\n", policy.c_str(),
               config.liquidation.mode == LiquidationMode::full      ? "full"
               : config.liquidation.mode == LiquidationMode::partial ? "partial"
                                                                     : "fixed-fraction",
               usd(config.insurance_fund.initial_balance_usd).c_str(),
               config.insurance_fund.auto_deleveraging ? "on" : "off");
  std::fprintf(out, "  backend     %s\n", provenance.backend.c_str());
  std::fprintf(out, "  wall time   %.1f s (book %.1f s, scenarios %.1f s, engine %.1f s, write %.1f s)\n\n",
               timings.total_seconds, timings.book_seconds, timings.scenario_seconds, timings.engine_seconds,
               timings.write_seconds);

  std::fprintf(out, "  %-26s %10s %10s %10s %10s %10s %10s\n", "per scenario (USD)", "mean", "p99", "VaR99", "ES99",
               "VaR99.9", "ES99.9");
  print_money_row(out, summary, "bad debt", "bad_debt_usd");
  print_money_row(out, summary, "insurance fund loss", "insurance_fund_loss_usd");
  print_money_row(out, summary, "liquidated notional", "liquidated_notional_usd");
  print_money_row(out, summary, "ADL notional", "adl_notional_usd");
  if (config.trader_response.enabled) print_money_row(out, summary, "sold on margin calls", "deleveraged_notional_usd");
  if (const DistributionSummary* rounds = find(summary, "cascade_rounds_max")) {
    std::fprintf(out, "  %-26s %10.2f %10.0f %10s %10s %10s %10.0f (max)\n", "cascade rounds in a step", rounds->mean,
                 rounds->p99, "", "", "", rounds->max);
  }
  if (const DistributionSummary* scale = find(summary, "peak_margin_scale")) {
    std::fprintf(out, "  %-26s %10.2f %10.2f %10s %10s %10s %10.2f (max)\n", "peak margin scale", scale->mean,
                 scale->p99, "", "", "", scale->max);
  }
  std::fprintf(out, "\n  insurance fund exhausted in %lld of %lld scenarios (probability %.4f)\n",
               static_cast<long long>(summary.fund_exhausted_scenarios), static_cast<long long>(summary.scenarios),
               summary.fund_exhaustion_probability);
  if (summary.round_cap_hits > 0) {
    std::fprintf(out,
                 "  WARNING: the cascade hit its round cap (%d) in %lld steps; raise liquidation.max_cascade_rounds\n",
                 config.liquidation.max_cascade_rounds, static_cast<long long>(summary.round_cap_hits));
  }
  std::fprintf(out, "  money conserved: largest ledger residual %.6f USD\n", summary.max_abs_conservation_residual_usd);
  std::fprintf(out, "\nresults: %s\n", results_path.c_str());
}

}  // namespace margin_stress
