#include "host/io/results_file.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <map>
#include <stdexcept>
#include <vector>

#include "host/io/atomic_output.hpp"
#include "host/io/dataset_checksum.hpp"
#include "host/io/hdf5_handles.hpp"
#include "host/model/money.hpp"

namespace margin_stress {
namespace {

using hdf5::Dataset;
using hdf5::Group;

// Units in the CF convention xarray understands: "1" for counts, flags, ratios and indices.
constexpr const char* usd = "USD";
constexpr const char* dimensionless = "1";

// Axis names: the dimension scales' names and the labels of the dimensions they are attached to.
constexpr const char* scenario_axis = "scenario";
constexpr const char* step_axis = "step";
constexpr const char* market_axis = "market";

// The columns of /summary/value (docs/results.md, "/summary").
constexpr std::array<const char*, 21> summary_statistics = {
    "mean",    "standard_error", "stddev",        "min",    "p50",          "p90",          "max",
    "var_99",  "var_99_lower",   "var_99_upper",  "es_99",  "es_99_lower",  "es_99_upper",  "tail_99_scenarios",
    "var_999", "var_999_lower",  "var_999_upper", "es_999", "es_999_lower", "es_999_upper", "tail_999_scenarios"};

// A dimension scale and its axis name, which also labels the dimensions it is attached to.
struct Axis {
  const Dataset& scale;
  const char* name;
};

// Attaches `axes`, in order, to dimensions 0, 1, ... of `dataset`.
void name_dimensions(const Dataset& dataset, std::initializer_list<Axis> axes) {
  unsigned dimension = 0;
  for (const Axis& axis : axes) {
    hdf5::attach_dimension_scale(dataset, axis.scale, dimension);
    hdf5::set_dimension_label(dataset, dimension, axis.name);
    ++dimension;
  }
}

// CF's `long_name` of every dataset, by its name (the same words in /scenario and /series, where
// the dimensions say per scenario or per step). docs/results.md says more.
const char* long_name_of(const std::string& name) {
  static const std::map<std::string, const char*> long_names = {
      {"scenario", "scenario number (with the seed, it regenerates the scenario alone)"},
      {"step", "step number (step t ends t steps after the start)"},
      {"market", "market index (see /markets/name)"},
      {"metric", "summarised per-scenario metric"},
      {"statistic", "statistic across scenarios"},
      {"name", "market name"},
      {"bad_debt_usd", "bad debt written off"},
      {"trader_equity_change_usd", "traders' equity change at marks"},
      {"insurance_fund_change_usd", "insurance fund balance change"},
      {"liquidity_provider_pnl_usd", "outside liquidity providers' P&L at marks"},
      {"adl_haircut_usd", "profit taken by auto-deleveraging"},
      {"insurance_payout_usd", "deficits paid by the insurance fund"},
      {"liquidation_fees_usd", "liquidation fees paid into the fund"},
      {"deposits_usd", "collateral deposited in answer to margin calls"},
      {"vault_pnl_usd", "backstop vault value at marks"},
      {"conservation_residual_usd", "ledger residual (0 when money is conserved)"},
      {"insurance_fund_min_usd", "lowest insurance fund balance"},
      {"insurance_fund_end_usd", "insurance fund balance at the end"},
      {"adl_notional_usd", "notional closed by auto-deleveraging"},
      {"cascade_rounds_total", "cascade rounds, summed over steps"},
      {"cascade_rounds_max", "most cascade rounds in one step"},
      {"round_cap_hits", "steps whose cascade stopped at the round cap"},
      {"margin_calls", "accounts called for margin"},
      {"backstopped_accounts", "accounts the backstop vault took over"},
      {"backstop_notional_usd", "notional the backstop vault took over"},
      {"fund_exhausted", "insurance fund exhausted (1) or not (0)"},
      {"liquidated_notional_usd", "liquidated notional"},
      {"deleveraged_notional_usd", "notional sold by traders answering margin calls"},
      {"liquidation_count", "position liquidations"},
      {"peak_impact", "largest relative price impact"},
      {"max_margin_scale", "largest margin scale"},
      {"fundamental_price_usd", "fundamental price"},
      {"mark_price_usd", "mark price at the end of the step"},
      {"margin_scale", "margin scale during the step"},
      {"open_notional_usd", "notional of the open positions at the end of the step"},
      {"initial_margin_usd", "initial margin required on the open positions"},
      {"cascade_rounds", "cascade rounds in the step"},
      {"insurance_fund_usd", "insurance fund balance after the step"},
      {"regime", "hidden volatility regime (index into the config's regimes)"},
      {"value", "statistic of the metric across scenarios"},
      {"captured_scenario", "scenario number of a scenario whose accounts were captured"},
      {"rank", "rank of the contributor, largest first"},
      {"platform_loss_usd", "platform loss: bad debt, fund draw, ADL haircuts and backstop vault loss"},
      {"bad_debt_account", "account that bore part of the bad debt (-1: none)"},
      {"bad_debt_account_usd", "bad debt written off on the account's deficit"},
      {"bad_debt_share", "the account's share of the scenario's bad debt"},
      {"adl_account", "account whose profit ADL took (-1: none)"},
      {"adl_account_usd", "ADL haircut the account paid"},
      {"adl_share", "the account's share of the scenario's ADL haircuts"},
      {"backstop_vault_loss_usd", "backstop vault's loss at the final marks"},
      {"vault_account", "account on which the backstop vault lost (-1: none)"},
      {"vault_account_usd", "the backstop vault's loss on the account"},
      {"vault_share", "the account's share of the backstop vault's loss"},
  };
  const auto found = long_names.find(name);
  if (found == long_names.end()) throw std::logic_error("results file: no long_name for " + name);
  return found->second;
}

// The CF attributes xarray and netCDF tools read: units and long_name.
void describe(const Dataset& dataset, const std::string& name, const char* units) {
  if (units != nullptr) hdf5::write_string_attribute(dataset, "units", units);
  hdf5::write_string_attribute(dataset, "long_name", long_name_of(name));
}

void check_shape(const std::string& path, const ModelConfig& config, const BatchResults& results,
                 const RunSummary& summary) {
  const auto scenarios = static_cast<std::int64_t>(results.scenarios.size());
  const StepSeries& series = results.series;
  if (series.scenarios != scenarios || series.steps != config.run.steps ||
      series.markets != static_cast<std::int64_t>(config.market_count())) {
    throw std::invalid_argument(path + ": the step series are [" + std::to_string(series.scenarios) + "][" +
                                std::to_string(series.steps) + "][" + std::to_string(series.markets) + "]; expected [" +
                                std::to_string(scenarios) + "][" + std::to_string(config.run.steps) + "][" +
                                std::to_string(config.market_count()) + "] (scenarios x run.steps x markets)");
  }
  if (summary.scenarios != scenarios) {
    throw std::invalid_argument(path + ": the summary covers " + std::to_string(summary.scenarios) +
                                " scenarios; the results hold " + std::to_string(scenarios));
  }
}

// A dimension scale named after its dimension (`name`), so that xarray and netCDF readers, which
// name a dimension after its scale's dataset, see `scenario`, `step`, `market`, ... Every group
// holds the scales of its own dimensions: a group opened alone (xarray's `group=`) is complete.
template <typename T>
Dataset write_scale(const Group& group, const char* name, const std::vector<T>& values, const char* units) {
  Dataset scale = hdf5::write_vector(group, name, values);
  hdf5::make_dimension_scale(scale, name);
  describe(scale, name, units);
  return scale;
}

Dataset write_scenario_scale(const Group& group, const BatchResults& results) {
  std::vector<std::int64_t> numbers(results.scenarios.size());
  for (std::size_t s = 0; s < numbers.size(); ++s) numbers[s] = results.first_scenario + static_cast<std::int64_t>(s);
  return write_scale(group, scenario_axis, numbers, dimensionless);
}

Dataset write_market_scale(const Group& group, std::size_t markets) {
  std::vector<std::int32_t> indices(markets);
  for (std::size_t m = 0; m < markets; ++m) indices[m] = static_cast<std::int32_t>(m);
  return write_scale(group, market_axis, indices, dimensionless);
}

Dataset write_step_scale(const Group& group, std::int64_t steps) {
  std::vector<std::int64_t> numbers(static_cast<std::size_t>(steps));
  for (std::size_t t = 0; t < numbers.size(); ++t) numbers[t] = static_cast<std::int64_t>(t) + 1;
  return write_scale(group, step_axis, numbers, dimensionless);
}

// Per rank, attributes rather than datasets: they differ from run to run (times, hosts), and the
// datasets of a run over any number of ranks are the same bits as one process's.
void write_rank_attributes(const hdf5::File& file, const std::vector<RankRecord>& ranks) {
  std::string hosts;
  std::vector<std::int64_t> batches;
  std::vector<std::int64_t> scenarios;
  std::vector<double> busy_seconds;
  std::vector<double> wall_seconds;
  for (const RankRecord& rank : ranks) {
    hosts += (hosts.empty() ? "" : " ") + rank.host;
    batches.push_back(rank.batches);
    scenarios.push_back(rank.scenarios);
    busy_seconds.push_back(rank.busy_seconds);
    wall_seconds.push_back(rank.wall_seconds);
  }
  hdf5::write_scalar_attribute<std::int64_t>(file, "ranks", static_cast<std::int64_t>(ranks.size()));
  hdf5::write_string_attribute(file, "rank_hosts", hosts);
  hdf5::write_vector_attribute(file, "rank_batches", batches);
  hdf5::write_vector_attribute(file, "rank_scenarios", scenarios);
  hdf5::write_vector_attribute(file, "rank_busy_seconds", busy_seconds);
  hdf5::write_vector_attribute(file, "rank_wall_seconds", wall_seconds);
  hdf5::write_scalar_attribute<double>(file, "parallel_efficiency", parallel_efficiency(ranks));
}

void write_root_attributes(const hdf5::File& file, const RunProvenance& provenance, const ModelConfig& config,
                           std::int64_t scenarios) {
  hdf5::write_string_attribute(file, "format", results_file_format);
  hdf5::write_scalar_attribute<std::int32_t>(file, "format_version", results_file_format_version);
  hdf5::write_string_attribute(file, "program_version", provenance.program_version);
  hdf5::write_string_attribute(file, "git_commit", provenance.git_commit);
  hdf5::write_string_attribute(file, "backend", provenance.backend);
  hdf5::write_scalar_attribute<std::uint64_t>(file, "seed", provenance.seed);
  hdf5::write_scalar_attribute<std::int64_t>(file, "scenarios", scenarios);
  hdf5::write_scalar_attribute<std::int64_t>(file, "first_scenario", provenance.first_scenario);
  hdf5::write_scalar_attribute<std::int64_t>(file, "steps", config.run.steps);
  hdf5::write_scalar_attribute<double>(file, "step_seconds", config.run.step_seconds);
  hdf5::write_string_attribute(file, "config_toml", config.source_text);
  hdf5::write_string_attribute(file, "config_source", provenance.config_source);
  hdf5::write_string_attribute(file, "config_layers", provenance.config_layers);
  hdf5::write_string_attribute(file, "portfolio_source", provenance.portfolio_source);
  hdf5::write_string_attribute(file, "scenario_source", provenance.scenario_source);
  hdf5::write_string_attribute(file, "input_files", provenance.input_files);
  hdf5::write_string_attribute(file, "command_line", provenance.command_line);
  hdf5::write_string_attribute(file, "start_time_utc", provenance.start_time_utc);
  hdf5::write_string_attribute(file, "end_time_utc", provenance.end_time_utc);
  hdf5::write_scalar_attribute<double>(file, "wall_seconds", provenance.wall_seconds);
  hdf5::write_scalar_attribute<std::int64_t>(file, "resumed_scenarios", provenance.resumed_scenarios);
  hdf5::write_scalar_attribute<std::int64_t>(file, "book_accounts", provenance.book_accounts);
  hdf5::write_scalar_attribute<std::int64_t>(file, "book_positions", provenance.book_positions);
  hdf5::write_scalar_attribute<double>(file, "book_open_interest_usd", provenance.book_open_interest_usd);
  write_rank_attributes(file, provenance.ranks);
}

// /markets: the market scale and each market's name.
void write_markets(const hdf5::File& file, const ModelConfig& config) {
  const Group group = hdf5::create_group(file, "markets");
  std::vector<std::string> names;
  for (const MarketSpec& market : config.markets) names.push_back(market.name);
  const Dataset scale = write_market_scale(group, config.market_count());
  const Dataset name = hdf5::write_strings(group, "name", names);
  describe(name, "name", nullptr);
  name_dimensions(name, {{scale, market_axis}});
}

// The scales of /scenario.
struct ScenarioAxes {
  Axis scenario;
  Axis market;
};

template <typename T>
void write_per_scenario(const Group& group, const ScenarioAxes& axes, const std::string& name, const char* units,
                        const std::vector<T>& values) {
  const Dataset dataset = hdf5::write_vector(group, name, values);
  describe(dataset, name, units);
  name_dimensions(dataset, {axes.scenario});
}

// One value per scenario, taken from each scenario's metrics by `value_of`.
template <typename ValueOf>
void write_scenario_field(const Group& group, const ScenarioAxes& axes, const std::vector<ScenarioMetrics>& scenarios,
                          const std::string& name, const char* units, ValueOf value_of) {
  std::vector<decltype(value_of(scenarios.front()))> values;
  values.reserve(scenarios.size());
  for (const ScenarioMetrics& metrics : scenarios) values.push_back(value_of(metrics));
  write_per_scenario(group, axes, name, units, values);
}

// A per-market metric of every scenario as one [scenario][market] array.
template <typename T>
void write_scenario_market_field(const Group& group, const ScenarioAxes& axes,
                                 const std::vector<ScenarioMetrics>& scenarios, std::size_t markets,
                                 const std::string& name, const char* units, std::vector<T> ScenarioMetrics::*field) {
  std::vector<T> values;
  values.reserve(scenarios.size() * markets);
  for (std::size_t s = 0; s < scenarios.size(); ++s) {
    const std::vector<T>& per_market = scenarios[s].*field;
    if (per_market.size() != markets) {
      throw std::invalid_argument(group.file_name() + ": " + group.path() + "/" + name + ": scenario " +
                                  std::to_string(s) + " has " + std::to_string(per_market.size()) +
                                  " values; expected " + std::to_string(markets) + " (one per market)");
    }
    values.insert(values.end(), per_market.begin(), per_market.end());
  }
  const Dataset dataset = hdf5::write_array(group, name, {scenarios.size(), markets}, values);
  describe(dataset, name, units);
  name_dimensions(dataset, {axes.scenario, axes.market});
}

void write_scenario_metrics(const Group& group, const BatchResults& results, std::size_t markets) {
  const std::vector<ScenarioMetrics>& scenarios = results.scenarios;
  const Dataset scenario_scale = write_scenario_scale(group, results);
  const Dataset market_scale = write_market_scale(group, markets);
  const ScenarioAxes axes{{scenario_scale, scenario_axis}, {market_scale, market_axis}};
  const auto money = [&](const std::string& name, micro_usd ScenarioLedger::*field) {
    write_scenario_field(group, axes, scenarios, name, usd,
                         [field](const ScenarioMetrics& m) { return usd_figure(m.ledger.*field); });
  };
  money("bad_debt_usd", &ScenarioLedger::bad_debt);
  money("trader_equity_change_usd", &ScenarioLedger::trader_equity_change);
  money("insurance_fund_change_usd", &ScenarioLedger::insurance_fund_change);
  money("liquidity_provider_pnl_usd", &ScenarioLedger::liquidity_provider_pnl);
  money("adl_haircut_usd", &ScenarioLedger::adl_haircut);
  money("insurance_payout_usd", &ScenarioLedger::insurance_payout);
  money("liquidation_fees_usd", &ScenarioLedger::liquidation_fees);
  money("deposits_usd", &ScenarioLedger::deposits);
  money("vault_pnl_usd", &ScenarioLedger::vault_pnl);
  money("conservation_residual_usd", &ScenarioLedger::conservation_residual);
  write_scenario_field(group, axes, scenarios, "insurance_fund_min_usd", usd,
                       [](const ScenarioMetrics& m) { return usd_figure(m.insurance_fund_min); });
  write_scenario_field(group, axes, scenarios, "insurance_fund_end_usd", usd,
                       [](const ScenarioMetrics& m) { return usd_figure(m.insurance_fund_end); });
  write_scenario_field(group, axes, scenarios, "adl_notional_usd", usd,
                       [](const ScenarioMetrics& m) { return m.adl_notional_usd; });
  write_scenario_field(group, axes, scenarios, "cascade_rounds_total", dimensionless,
                       [](const ScenarioMetrics& m) { return m.cascade_rounds_total; });
  write_scenario_field(group, axes, scenarios, "cascade_rounds_max", dimensionless,
                       [](const ScenarioMetrics& m) { return m.cascade_rounds_max; });
  write_scenario_field(group, axes, scenarios, "round_cap_hits", dimensionless,
                       [](const ScenarioMetrics& m) { return m.round_cap_hits; });
  write_scenario_field(group, axes, scenarios, "margin_calls", dimensionless,
                       [](const ScenarioMetrics& m) { return m.margin_calls; });
  write_scenario_field(group, axes, scenarios, "backstopped_accounts", dimensionless,
                       [](const ScenarioMetrics& m) { return m.backstopped_accounts; });
  write_scenario_field(group, axes, scenarios, "backstop_notional_usd", usd,
                       [](const ScenarioMetrics& m) { return m.backstop_notional_usd; });
  write_scenario_field(group, axes, scenarios, "fund_exhausted", dimensionless,
                       [](const ScenarioMetrics& m) { return static_cast<std::uint8_t>(m.fund_exhausted != 0); });
  write_scenario_market_field(group, axes, scenarios, markets, "liquidated_notional_usd", usd,
                              &ScenarioMetrics::liquidated_notional_usd);
  write_scenario_market_field(group, axes, scenarios, markets, "deleveraged_notional_usd", usd,
                              &ScenarioMetrics::deleveraged_notional_usd);
  write_scenario_market_field(group, axes, scenarios, markets, "liquidation_count", dimensionless,
                              &ScenarioMetrics::liquidation_count);
  write_scenario_market_field(group, axes, scenarios, markets, "peak_impact", dimensionless,
                              &ScenarioMetrics::peak_impact);
  write_scenario_market_field(group, axes, scenarios, markets, "max_margin_scale", dimensionless,
                              &ScenarioMetrics::max_margin_scale);
}

void write_step_series(const Group& group, const BatchResults& results) {
  const StepSeries& series = results.series;
  const Dataset scenario_scale = write_scenario_scale(group, results);
  const Dataset step_scale = write_step_scale(group, series.steps);
  const Dataset market_scale = write_market_scale(group, static_cast<std::size_t>(series.markets));
  const Axis scenario{scenario_scale, scenario_axis};
  const Axis step{step_scale, step_axis};
  const Axis market{market_scale, market_axis};
  const auto s = static_cast<hsize_t>(series.scenarios);
  const auto t = static_cast<hsize_t>(series.steps);
  const auto m = static_cast<hsize_t>(series.markets);
  const auto per_market = [&](const std::string& name, const char* units, const std::vector<double>& values) {
    const Dataset dataset = hdf5::write_array(group, name, {s, t, m}, values);
    describe(dataset, name, units);
    name_dimensions(dataset, {scenario, step, market});
  };
  const auto per_step = [&](const std::string& name, const char* units, const auto& values) {
    const Dataset dataset = hdf5::write_array(group, name, {s, t}, values);
    describe(dataset, name, units);
    name_dimensions(dataset, {scenario, step});
  };
  per_market("fundamental_price_usd", usd, series.fundamental_price_usd);
  per_market("mark_price_usd", usd, series.mark_price_usd);
  per_market("margin_scale", dimensionless, series.margin_scale);
  per_market("liquidated_notional_usd", usd, series.liquidated_notional_usd);
  per_market("deleveraged_notional_usd", usd, series.deleveraged_notional_usd);
  per_market("open_notional_usd", usd, series.open_notional_usd);
  per_market("initial_margin_usd", usd, series.initial_margin_usd);
  per_step("cascade_rounds", dimensionless, series.cascade_rounds);
  per_step("insurance_fund_usd", usd, series.insurance_fund_usd);
  per_step("regime", dimensionless, series.regime);
}

void write_summary(const hdf5::File& file, const RunSummary& summary) {
  const Group group = hdf5::create_group(file, "summary");
  std::vector<std::string> metrics;
  std::vector<double> values;
  for (const DistributionSummary& d : summary.distributions) {
    metrics.push_back(d.metric);
    values.insert(values.end(), {d.mean,
                                 d.standard_error,
                                 d.stddev,
                                 d.min,
                                 d.p50,
                                 d.p90,
                                 d.max,
                                 d.var_99,
                                 d.var_99_interval.lower,
                                 d.var_99_interval.upper,
                                 d.es_99,
                                 d.es_99_interval.lower,
                                 d.es_99_interval.upper,
                                 static_cast<double>(d.tail_99_scenarios),
                                 d.var_999,
                                 d.var_999_interval.lower,
                                 d.var_999_interval.upper,
                                 d.es_999,
                                 d.es_999_interval.lower,
                                 d.es_999_interval.upper,
                                 static_cast<double>(d.tail_999_scenarios)});
  }
  // String scales: xarray (h5netcdf) reads them as labels, so value.sel(metric=..., statistic=...).
  const Dataset metric_scale = hdf5::write_strings(group, "metric", metrics);
  hdf5::make_dimension_scale(metric_scale, "metric");
  describe(metric_scale, "metric", nullptr);
  const Dataset statistic_scale = hdf5::write_strings(
      group, "statistic", std::vector<std::string>(summary_statistics.begin(), summary_statistics.end()));
  hdf5::make_dimension_scale(statistic_scale, "statistic");
  describe(statistic_scale, "statistic", nullptr);
  const Dataset value = hdf5::write_array(group, "value", {metrics.size(), summary_statistics.size()}, values);
  describe(value, "value", nullptr);  // units vary by metric: USD for *_usd, 1 otherwise
  name_dimensions(value, {{metric_scale, "metric"}, {statistic_scale, "statistic"}});
  hdf5::write_scalar_attribute<std::int64_t>(group, "scenarios", summary.scenarios);
  hdf5::write_scalar_attribute<std::int64_t>(group, "fund_exhausted_scenarios", summary.fund_exhausted_scenarios);
  hdf5::write_scalar_attribute<double>(group, "fund_exhaustion_probability", summary.fund_exhaustion_probability);
  hdf5::write_scalar_attribute<double>(group, "fund_exhaustion_probability_lower",
                                       summary.fund_exhaustion_interval.lower);
  hdf5::write_scalar_attribute<double>(group, "fund_exhaustion_probability_upper",
                                       summary.fund_exhaustion_interval.upper);
  hdf5::write_scalar_attribute<std::int64_t>(group, "round_cap_hits", summary.round_cap_hits);
  hdf5::write_scalar_attribute<double>(group, "max_abs_conservation_residual_usd",
                                       summary.max_abs_conservation_residual_usd);
}

// /drilldown: the captured scenarios (run --accounts-out) and their top contributors to bad debt, to
// ADL and to the backstop vault's loss, as [captured_scenario][rank] arrays; a rank without a
// contributor is account -1, 0 USD.
void write_drilldown(const hdf5::File& file, const std::vector<CapturedScenario>& captured) {
  const Group group = hdf5::create_group(file, "drilldown");
  const std::size_t c = captured.size();
  constexpr std::size_t r = top_contributor_count;
  std::vector<std::int64_t> numbers;
  std::vector<double> platform_loss, bad_debt, adl_haircut, vault_loss;
  for (const CapturedScenario& scenario : captured) {
    numbers.push_back(scenario.scenario);
    platform_loss.push_back(scenario.platform_loss_usd);
    bad_debt.push_back(scenario.bad_debt_usd);
    adl_haircut.push_back(scenario.adl_haircut_usd);
    vault_loss.push_back(scenario.backstop_vault_loss_usd);
  }
  std::vector<std::int32_t> ranks(r);
  for (std::size_t k = 0; k < r; ++k) ranks[k] = static_cast<std::int32_t>(k);
  const Axis scenario{write_scale(group, "captured_scenario", numbers, dimensionless), "captured_scenario"};
  const Axis rank{write_scale(group, "rank", ranks, dimensionless), "rank"};
  const auto per_scenario = [&](const std::string& name, const std::vector<double>& values) {
    const Dataset dataset = hdf5::write_vector(group, name, values);
    describe(dataset, name, usd);
    name_dimensions(dataset, {scenario});
  };
  per_scenario("platform_loss_usd", platform_loss);
  per_scenario("bad_debt_usd", bad_debt);
  per_scenario("adl_haircut_usd", adl_haircut);
  per_scenario("backstop_vault_loss_usd", vault_loss);
  const auto contributors = [&](const std::string& prefix, std::vector<AccountContribution> CapturedScenario::*list) {
    std::vector<std::int64_t> accounts(c * r, -1);
    std::vector<double> amounts(c * r, 0.0), shares(c * r, 0.0);
    for (std::size_t i = 0; i < c; ++i) {
      const std::vector<AccountContribution>& top = captured[i].*list;
      for (std::size_t k = 0; k < top.size() && k < r; ++k) {
        accounts[i * r + k] = top[k].account;
        amounts[i * r + k] = top[k].amount_usd;
        shares[i * r + k] = top[k].share;
      }
    }
    const auto write = [&](const std::string& name, const char* units, const auto& values) {
      const Dataset dataset = hdf5::write_array(group, name, {c, r}, values);
      describe(dataset, name, units);
      name_dimensions(dataset, {scenario, rank});
    };
    write(prefix + "_account", dimensionless, accounts);
    write(prefix + "_account_usd", usd, amounts);
    write(prefix + "_share", dimensionless, shares);
  };
  contributors("bad_debt", &CapturedScenario::bad_debt_contributors);
  contributors("adl", &CapturedScenario::adl_contributors);
  contributors("vault", &CapturedScenario::vault_contributors);
}

}  // namespace

void record_book(RunProvenance& provenance, const ModelConfig& config, const Portfolio& portfolio) {
  provenance.book_accounts = static_cast<std::int64_t>(portfolio.account_count());
  provenance.book_positions = static_cast<std::int64_t>(portfolio.position_count());
  provenance.book_open_interest_usd = 0.0;
  for (std::size_t p = 0; p < portfolio.position_count(); ++p) {
    const MarketSpec& market = config.markets[static_cast<std::size_t>(portfolio.market_index[p])];
    provenance.book_open_interest_usd +=
        std::fabs(static_cast<double>(portfolio.quantity_lots[p])) * market.lot_size * market.initial_price_usd;
  }
}

double parallel_efficiency(const std::vector<RankRecord>& ranks) {
  double busy_seconds = 0.0;
  double longest_wall_seconds = 0.0;
  for (const RankRecord& rank : ranks) {
    busy_seconds += rank.busy_seconds;
    longest_wall_seconds = std::max(longest_wall_seconds, rank.wall_seconds);
  }
  if (busy_seconds <= 0.0 || longest_wall_seconds <= 0.0) return 0.0;
  return std::min(1.0, busy_seconds / (static_cast<double>(ranks.size()) * longest_wall_seconds));
}

double results_file_bytes(const ModelConfig& config) {
  const auto scenarios = static_cast<double>(config.run.scenarios);
  const auto steps = static_cast<double>(config.run.steps);
  const auto markets = static_cast<double>(config.market_count());
  const StepSeries series;
  const double per_step_and_market = 7.0 * sizeof(series.mark_price_usd[0]);
  const double per_step =
      sizeof(series.cascade_rounds[0]) + sizeof(series.insurance_fund_usd[0]) + sizeof(series.regime[0]);
  const double per_scenario = 8.0 * (1 + 21) + 8.0 * 5 * markets;  // the index, scalar and per-market metrics
  return scenarios * (steps * (per_step_and_market * markets + per_step) + per_scenario) + 1024.0 * 1024.0;
}

void write_results_file(const std::string& path, bool overwrite, const RunProvenance& provenance,
                        const ModelConfig& config, const BatchResults& results, const RunSummary& summary) {
  check_shape(path, config, results, summary);
  const std::size_t scenarios = results.scenarios.size();
  write_atomically(path, overwrite, [&](const std::string& temporary_path) {
    hdf5::File file = hdf5::create_file(temporary_path, path);
    write_root_attributes(file, provenance, config, static_cast<std::int64_t>(scenarios));
    write_markets(file, config);
    write_scenario_metrics(hdf5::create_group(file, "scenario"), results, config.market_count());
    write_step_series(hdf5::create_group(file, "series"), results);
    write_summary(file, summary);
    if (!summary.captured.empty()) write_drilldown(file, summary.captured);
    // Last, the checksum of what was written, then the status, so that a file holding them was
    // written to the end (a reader of a file published some other way, or copied half, can tell)
    // and its data is what the run wrote.
    hdf5::write_scalar_attribute<std::int64_t>(file, "datasets_crc32", datasets_crc32(file));
    hdf5::write_string_attribute(file, "status", "complete");
    hdf5::close_file(file);
  });
}

}  // namespace margin_stress
