#include "host/cli/summary_table.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "host/cli/summary_json.hpp"
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

// "[lower, upper]", an end the sample cannot bound as "inf".
std::string interval(const Interval& bounds) {
  const auto end = [](double value) {
    return std::isinf(value) ? std::string(value > 0 ? "inf" : "-inf") : usd(value);
  };
  return "[" + end(bounds.lower) + ", " + end(bounds.upper) + "]";
}

struct TailColumns {
  double DistributionSummary::*var;
  Interval DistributionSummary::*var_interval;
  double DistributionSummary::*es;
  Interval DistributionSummary::*es_interval;
  std::int64_t DistributionSummary::*beyond;
};

constexpr TailColumns tail_99{&DistributionSummary::var_99, &DistributionSummary::var_99_interval,
                              &DistributionSummary::es_99, &DistributionSummary::es_99_interval,
                              &DistributionSummary::tail_99_scenarios};
constexpr TailColumns tail_999{&DistributionSummary::var_999, &DistributionSummary::var_999_interval,
                               &DistributionSummary::es_999, &DistributionSummary::es_999_interval,
                               &DistributionSummary::tail_999_scenarios};

// One money metric: mean with its standard error, VaR and ES with their 95 % intervals at one
// level; a figure resting on fewer than thin_tail_scenarios beyond its VaR is starred.
void print_money_row(std::FILE* out, const RunSummary& summary, const char* label, const char* metric,
                     const TailColumns& tail, bool& thin) {
  const DistributionSummary* d = find(summary, metric);
  if (d == nullptr) return;
  const bool is_thin = d->*tail.beyond < thin_tail_scenarios;
  thin = thin || is_thin;
  std::fprintf(out, "  %-28s %9s %9s %9s%s %-21s %9s%s %-21s\n", label, usd(d->mean).c_str(),
               usd(d->standard_error).c_str(), usd(d->*tail.var).c_str(), is_thin ? "*" : " ",
               interval(d->*tail.var_interval).c_str(), usd(d->*tail.es).c_str(), is_thin ? "*" : " ",
               interval(d->*tail.es_interval).c_str());
}

// The loss bearers and volumes at one tail level (99 % or 99.9 %).
void print_money_table(std::FILE* out, const ModelConfig& config, const RunSummary& summary, const char* level,
                       const TailColumns& tail) {
  std::fprintf(out, "  %-28s %9s %9s %10s %-21s %10s %-21s\n", "per scenario, USD", "mean", "± s.e.",
               (std::string("VaR") + level).c_str(), "[95 % interval]", (std::string("ES") + level).c_str(),
               "[95 % interval]");
  bool thin = false;
  print_money_row(out, summary, "platform loss", "platform_loss_usd", tail, thin);
  print_money_row(out, summary, "  bad debt written off", "bad_debt_usd", tail, thin);
  print_money_row(out, summary, "  insurance fund draw", "insurance_fund_draw_usd", tail, thin);
  print_money_row(out, summary, "  ADL haircuts on traders", "adl_haircut_usd", tail, thin);
  print_money_row(out, summary, "  backstop vault loss", "backstop_vault_loss_usd", tail, thin);
  print_money_row(out, summary, "outside LPs' loss (-: gain)", "liquidity_provider_loss_usd", tail, thin);
  print_money_row(out, summary, "insurance fund net loss", "insurance_fund_loss_usd", tail, thin);
  print_money_row(out, summary, "liquidated notional", "liquidated_notional_usd", tail, thin);
  print_money_row(out, summary, "ADL notional", "adl_notional_usd", tail, thin);
  if (config.trader_response.enabled) {
    print_money_row(out, summary, "sold on margin calls", "deleveraged_notional_usd", tail, thin);
  }
  if (thin) {
    const DistributionSummary& any = summary.distributions.front();
    std::fprintf(out,
                 "  * rests on %lld scenario(s) beyond the VaR, fewer than %lld: run more scenarios before acting on "
                 "it%s\n",
                 static_cast<long long>(any.*tail.beyond), static_cast<long long>(thin_tail_scenarios),
                 any.*tail.beyond == 0 ? " (it is the sample maximum)" : "");
  }
}

// The ranks of a run over MPI: how the work spread, and how much of their time they computed.
void print_ranks(std::FILE* out, const std::vector<RankRecord>& ranks) {
  std::set<std::string> hosts;
  double busy_seconds = 0.0;
  double longest_wall_seconds = 0.0;
  auto fewest = ranks.front().scenarios;
  auto most = fewest;
  for (const RankRecord& rank : ranks) {
    hosts.insert(rank.host);
    busy_seconds += rank.busy_seconds;
    longest_wall_seconds = std::max(longest_wall_seconds, rank.wall_seconds);
    fewest = std::min(fewest, rank.scenarios);
    most = std::max(most, rank.scenarios);
  }
  std::fprintf(out, "  ranks       %zu on %zu host%s, %lld to %lld scenarios each\n", ranks.size(), hosts.size(),
               hosts.size() == 1 ? "" : "s", static_cast<long long>(fewest), static_cast<long long>(most));
  std::fprintf(out, "  parallel    efficiency %.0f %% (busy %.1f s of %zu ranks x %.1f s)\n",
               100.0 * parallel_efficiency(ranks), busy_seconds, ranks.size(), longest_wall_seconds);
}

}  // namespace

nlohmann::ordered_json run_summary_json(const ModelConfig& config, const std::vector<std::string>& config_paths,
                                        const RunProvenance& provenance, const RunSummary& summary,
                                        const RunTimings& timings, const std::string& results_path) {
  nlohmann::ordered_json json = summary_json_header("run");
  json["results_file"] = results_path;
  json["config_source"] = config.source_name;
  json["config_layers"] = config_paths;
  json["backend"] = provenance.backend;
  json["seed"] = config.run.seed;
  json["scenarios"] = summary.scenarios;
  json["first_scenario"] = provenance.first_scenario;
  json["run_scenarios"] = config.run.scenarios;
  json["steps"] = config.run.steps;
  json["step_seconds"] = config.run.step_seconds;
  std::vector<std::string> markets;
  for (const MarketSpec& market : config.markets) markets.push_back(market.name);
  json["markets"] = markets;
  json["regimes"] = config.regime_count();
  json["scenario_source"] = provenance.scenario_source;
  json["book"] = {{"accounts", provenance.book_accounts},
                  {"positions", provenance.book_positions},
                  {"open_interest_usd", provenance.book_open_interest_usd},
                  {"source", provenance.portfolio_source}};
  json["policy"] = {{"margin_policy", std::string(toml_name(config.margin_policy.kind))},
                    {"liquidation_mode", std::string(toml_name(config.liquidation.mode))},
                    {"insurance_fund_usd", config.insurance_fund.initial_balance_usd},
                    {"auto_deleveraging", config.insurance_fund.auto_deleveraging}};
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const DistributionSummary& distribution : summary.distributions) {
    metrics[distribution.metric] = distribution_json(distribution);
  }
  json["metrics"] = metrics;
  json["fund_exhausted_scenarios"] = summary.fund_exhausted_scenarios;
  json["fund_exhaustion_probability"] = summary.fund_exhaustion_probability;
  json["fund_exhaustion_probability_lower"] = summary.fund_exhaustion_interval.lower;
  json["fund_exhaustion_probability_upper"] = summary.fund_exhaustion_interval.upper;
  json["round_cap_hits"] = summary.round_cap_hits;
  json["max_abs_conservation_residual_usd"] = summary.max_abs_conservation_residual_usd;
  json["wall_seconds"] = {{"total", timings.total_seconds},
                          {"book", timings.book_seconds},
                          {"scenarios", timings.scenario_seconds},
                          {"engine", timings.engine_seconds},
                          {"write", timings.write_seconds}};
  return json;
}

void print_summary_table(std::FILE* out, const ModelConfig& config, const RunProvenance& provenance,
                         const RunSummary& summary, const RunTimings& timings, const std::string& results_path) {
  const std::string policy(toml_name(config.margin_policy.kind));
  std::fprintf(out, "margin-stress %s (commit %s)\n", provenance.program_version.c_str(),
               provenance.git_commit.c_str());
  std::fprintf(out, "  book        %lld accounts, %lld positions, %zu markets, open interest %s USD (%s)\n",
               static_cast<long long>(provenance.book_accounts), static_cast<long long>(provenance.book_positions),
               config.market_count(), usd(provenance.book_open_interest_usd).c_str(),
               provenance.portfolio_source.c_str());
  std::fprintf(out, "  scenarios   %lld x %lld steps of %.0f s, %zu regimes, seed %llu (config: %s)\n",
               static_cast<long long>(summary.scenarios), static_cast<long long>(config.run.steps),
               config.run.step_seconds, config.regime_count(), static_cast<unsigned long long>(config.run.seed),
               config.source_name.c_str());
  if (summary.scenarios != config.run.scenarios) {
    std::fprintf(out, "  drill-down  scenarios %lld to %lld of the run's %lld, as in the whole run (--scenario)\n",
                 static_cast<long long>(provenance.first_scenario),
                 static_cast<long long>(provenance.first_scenario + summary.scenarios - 1),
                 static_cast<long long>(config.run.scenarios));
  }
  std::fprintf(out, "  sources     %s\n", provenance.scenario_source.c_str());
  std::fprintf(out, "  policy      %s margin, %s liquidation, insurance fund %s USD, ADL %s\n", policy.c_str(),
               config.liquidation.mode == LiquidationMode::full      ? "full"
               : config.liquidation.mode == LiquidationMode::partial ? "partial"
                                                                     : "fixed-fraction",
               usd(config.insurance_fund.initial_balance_usd).c_str(),
               config.insurance_fund.auto_deleveraging ? "on" : "off");
  std::fprintf(out, "  backend     %s\n", provenance.backend.c_str());
  if (provenance.ranks.size() > 1) {
    print_ranks(out, provenance.ranks);
    std::fprintf(out, "  wall time   %.1f s (book %.1f s, computing %.1f s, write %.1f s)\n\n", timings.total_seconds,
                 timings.book_seconds, provenance.ranks[0].wall_seconds, timings.write_seconds);
  } else {
    std::fprintf(out, "  wall time   %.1f s (book %.1f s, scenarios %.1f s, engine %.1f s, write %.1f s)\n\n",
                 timings.total_seconds, timings.book_seconds, timings.scenario_seconds, timings.engine_seconds,
                 timings.write_seconds);
  }

  print_money_table(out, config, summary, "99", tail_99);
  std::fprintf(out, "\n");
  print_money_table(out, config, summary, "99.9", tail_999);
  std::fprintf(out, "  (inf: too few scenarios to bound it; intervals are 95 %%, docs/model.md section 11)\n\n");
  std::fprintf(out, "  %-28s %9s %9s %9s\n", "per step, at its worst", "mean", "p90", "max");
  if (const DistributionSummary* rounds = find(summary, "cascade_rounds_max")) {
    std::fprintf(out, "  %-28s %9.2f %9.0f %9.0f\n", "cascade rounds", rounds->mean, rounds->p90, rounds->max);
  }
  if (const DistributionSummary* scale = find(summary, "peak_margin_scale")) {
    std::fprintf(out, "  %-28s %9.2f %9.2f %9.2f\n", "margin scale", scale->mean, scale->p90, scale->max);
  }
  std::fprintf(out,
               "\n  insurance fund exhausted in %lld of %lld scenarios: probability %.4f [95 %% interval %.4f, %.4f]\n",
               static_cast<long long>(summary.fund_exhausted_scenarios), static_cast<long long>(summary.scenarios),
               summary.fund_exhaustion_probability, summary.fund_exhaustion_interval.lower,
               summary.fund_exhaustion_interval.upper);
  const long long all_steps = static_cast<long long>(summary.scenarios) * static_cast<long long>(config.run.steps);
  if (2 * summary.round_cap_hits > all_steps) {
    // Binding in most steps is not a cap set too low but a market whose liquidation flow overwhelms
    // its depth: a higher cap only pins more marks at the price band.
    std::fprintf(out,
                 "  WARNING: the cascade hit its round cap (%d) in %lld of %lld steps, most of them: liquidation flow "
                 "overwhelms the markets' depth under impact.law = \"%s\" (depth_usd means a different market "
                 "under each law: docs/config.md, [impact]); check depth_usd before raising "
                 "liquidation.max_cascade_rounds\n",
                 config.liquidation.max_cascade_rounds, static_cast<long long>(summary.round_cap_hits), all_steps,
                 std::string(toml_name(config.impact.law)).c_str());
  } else if (summary.round_cap_hits > 0) {
    std::fprintf(out,
                 "  WARNING: the cascade hit its round cap (%d) in %lld steps; raise liquidation.max_cascade_rounds\n",
                 config.liquidation.max_cascade_rounds, static_cast<long long>(summary.round_cap_hits));
  }
  std::fprintf(out, "  money conserved: largest ledger residual %.6f USD\n", summary.max_abs_conservation_residual_usd);
  std::fprintf(out, "\nresults: %s\n", results_path.c_str());
}

void print_account_capture(std::FILE* out, const std::vector<CapturedScenario>& captured,
                           const std::string& accounts_path, const std::string& cpu_reference) {
  constexpr std::size_t printed = 10;
  std::fprintf(out, "\ndrill-down: every account of %zu scenario(s), rerun alone (the run's bits)\n", captured.size());
  if (!cpu_reference.empty()) {
    std::fprintf(out,
                 "  captured on the CPU reference, %s: the CUDA engine does not copy per-account state back, and "
                 "the two agree bit for bit\n",
                 cpu_reference.c_str());
  }
  const auto contributors = [&](const char* label, const std::vector<AccountContribution>& top) {
    if (top.empty()) return;
    std::fprintf(out, "    %-24s", label);
    for (std::size_t i = 0; i < top.size(); ++i) {
      std::fprintf(out, "%s%lld (%s", i == 0 ? "" : ", ", static_cast<long long>(top[i].account),
                   usd(top[i].amount_usd).c_str());
      if (!std::isnan(top[i].share)) std::fprintf(out, ", %.1f %%", 100.0 * top[i].share);
      std::fprintf(out, ")");
    }
    std::fprintf(out, "\n");
  };
  for (std::size_t i = 0; i < captured.size() && i < printed; ++i) {
    const CapturedScenario& scenario = captured[i];
    std::fprintf(out, "  scenario %lld: platform loss %s USD (bad debt %s, ADL haircuts %s, vault loss %s)\n",
                 static_cast<long long>(scenario.scenario), usd(scenario.platform_loss_usd).c_str(),
                 usd(scenario.bad_debt_usd).c_str(), usd(scenario.adl_haircut_usd).c_str(),
                 usd(scenario.backstop_vault_loss_usd).c_str());
    contributors("bad debt from accounts", scenario.bad_debt_contributors);
    contributors("ADL paid by accounts", scenario.adl_contributors);
    contributors("vault lost on accounts", scenario.vault_contributors);
  }
  if (captured.size() > printed) {
    std::fprintf(out, "  ... and %zu more in the results file's /drilldown\n", captured.size() - printed);
  }
  std::fprintf(out, "accounts: %s\n", accounts_path.c_str());
}

}  // namespace margin_stress
