#include "host/cli/reverse_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "host/analysis/concentration.hpp"
#include "host/analysis/cover_n.hpp"
#include "host/analysis/intervals.hpp"
#include "host/analysis/reverse_search.hpp"
#include "host/analysis/summary.hpp"
#include "host/cli/common_scenarios.hpp"
#include "host/cli/config_option.hpp"
#include "host/cli/short_usd.hpp"
#include "host/cli/summary_json.hpp"
#include "host/engine/engine.hpp"
#include "host/io/atomic_output.hpp"
#include "host/io/config_file.hpp"
#include "host/io/csv.hpp"
#include "host/model/input_error.hpp"
#include "host/model/text_format.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

// The figures of one severity, from the scenarios run with the shock at that severity: the shocked
// configuration builds the paths itself, from the base's seed, so every severity shares the noise.
ReverseEvaluation evaluate_severity(Engine& engine, const ModelConfig& shocked, const Portfolio& portfolio) {
  const PolicyScenarioMetrics metrics = run_on_common_scenarios(engine, shocked, shocked, portfolio);
  ReverseEvaluation evaluation;
  evaluation.fund_exhaustion_probability =
      std::accumulate(metrics.fund_exhausted.begin(), metrics.fund_exhausted.end(), 0.0) /
      static_cast<double>(metrics.fund_exhausted.size());
  const ProbabilityInterval exhaustion = flagged_share_interval(metrics.fund_exhausted);
  evaluation.fund_exhaustion_interval = {exhaustion.lower, exhaustion.upper};
  evaluation.bad_debt = loss_figures(summarize_sample("bad_debt_usd", metrics.bad_debt_usd));
  evaluation.platform_loss = loss_figures(summarize_sample("platform_loss_usd", metrics.platform_loss_usd));
  evaluation.adl_haircut = loss_figures(summarize_sample("adl_haircut_usd", metrics.adl_haircut_usd));
  return evaluation;
}

// Cover-N over every scenario at one severity: the scenarios rerun with each account's deficit
// captured, by the engine where it captures accounts, else by the CPU reference (the same bits,
// docs/model.md section 14), one batch at a time.
CoverSummary cover_at(Engine& engine, const ModelConfig& config, const Portfolio& portfolio) {
  std::unique_ptr<LoadedBook> book = engine.load(config, portfolio);
  std::unique_ptr<Engine> reference;
  if (!book->captures_accounts()) {
    EngineOptions cpu;
    cpu.backend = Backend::cpu;
    cpu.threads = config.run.threads;
    reference = make_engine(cpu);
    book = reference->load(config, portfolio);
  }
  const micro_usd fund = to_micro_usd(config.insurance_fund.initial_balance_usd);
  std::vector<ScenarioCover> covers;
  const std::int64_t batch = batch_scenarios(config);
  for (std::int64_t first = 0; first < config.run.scenarios; first += batch) {
    const std::int64_t count = std::min(batch, config.run.scenarios - first);
    std::vector<ScenarioAccounts> accounts;
    book->run_capturing_accounts(build_scenarios(config, first, count), nullptr, accounts);
    for (const ScenarioAccounts& scenario : accounts) covers.push_back(scenario_cover(scenario, fund));
  }
  return summarize_cover(covers);
}

BreakingCondition breaking_condition(const ReverseOptions& options) {
  BreakingCondition condition;
  condition.outcome = breaking_outcome_from_name(options.breaking);
  if (condition.outcome == BreakingOutcome::fund_exhausted) {
    if (!options.probability) throw UsageError("--break fund-exhausted needs --probability P (in (0, 1])");
    if (options.above_usd || options.statistic) {
      throw UsageError("--break fund-exhausted takes --probability, not --above or --statistic");
    }
    // A probability of 0 would be "broken" by any severity, so the search would say nothing.
    if (!(*options.probability > 0.0)) throw UsageError("--probability 0: every severity breaks; give P in (0, 1]");
    condition.threshold = *options.probability;
  } else {
    if (!options.above_usd) throw UsageError("--break " + options.breaking + " needs --above USD");
    if (options.probability) throw UsageError("--break " + options.breaking + " takes --above, not --probability");
    condition.statistic = loss_statistic_from_name(options.statistic.value_or("mean"));
    condition.threshold = *options.above_usd;
  }
  return condition;
}

std::string describe_condition(const BreakingCondition& condition) {
  if (condition.outcome == BreakingOutcome::fund_exhausted) {
    return "P(fund exhausted) >= " + csv_number(condition.threshold);
  }
  return std::string(loss_statistic_name(condition.statistic)) + "(" + breaking_outcome_name(condition.outcome) +
         ") > " + csv_number(condition.threshold) + " USD";
}

const char* role_of(const ReverseOutcome& outcome, const ReverseEvaluation& evaluation) {
  if (outcome.least_breaking && outcome.least_breaking->severity == evaluation.severity) return "least_breaking";
  if (outcome.just_below && outcome.just_below->severity == evaluation.severity) return "just_below";
  return "";
}

bool is_non_monotone(const ReverseOutcome& outcome, const ReverseEvaluation& evaluation) {
  for (const ReverseEvaluation& point : outcome.non_monotone) {
    if (point.severity == evaluation.severity) return true;
  }
  return false;
}

std::string evaluations_csv(ShockSeverity severity, const ReverseOutcome& outcome) {
  std::string csv = std::string(shock_severity_name(severity)) +
                    ",stage,watched,breaks,role,non_monotone,fund_exhaustion_probability,"
                    "fund_exhaustion_probability_lower,fund_exhaustion_probability_upper";
  for (const char* loss : {"bad_debt", "platform_loss", "adl_haircut"}) {
    for (const char* figure : {"mean_usd", "mean_standard_error_usd", "var_99_usd", "es_999_usd"}) {
      csv += std::string(",") + loss + "_" + figure;
    }
  }
  csv += "\n";
  for (const ReverseEvaluation& evaluation : outcome.evaluations) {
    std::string line = csv_number(evaluation.severity) + "," + (evaluation.on_grid ? "grid" : "bisection") + "," +
                       csv_number(evaluation.outcome) + "," + (evaluation.breaks ? "true" : "false") + "," +
                       role_of(outcome, evaluation) + "," + (is_non_monotone(outcome, evaluation) ? "true" : "false");
    for (const double value : {evaluation.fund_exhaustion_probability, evaluation.fund_exhaustion_interval.lower,
                               evaluation.fund_exhaustion_interval.upper}) {
      line += "," + csv_number(value);
    }
    for (const LossFigures* loss : {&evaluation.bad_debt, &evaluation.platform_loss, &evaluation.adl_haircut}) {
      for (const double value : {loss->mean_usd, loss->standard_error_usd, loss->var_99_usd, loss->es_999_usd}) {
        line += "," + csv_number(value);
      }
    }
    csv += line + "\n";
  }
  return csv;
}

nlohmann::ordered_json reverse_json(const ReverseOptions& options, const ModelConfig& base, const Portfolio& portfolio,
                                    const std::string& book_source, const BreakingCondition& condition,
                                    const ReverseOutcome& outcome, const std::string& backend) {
  const auto losses = [](const LossFigures& figures) {
    return nlohmann::ordered_json{{"mean_usd", figures.mean_usd},
                                  {"mean_standard_error_usd", number_or_null(figures.standard_error_usd)},
                                  {"var_99_usd", figures.var_99_usd},
                                  {"es_999_usd", figures.es_999_usd}};
  };
  const auto evaluation_json = [&](const ReverseEvaluation& evaluation) {
    return nlohmann::ordered_json{
        {"severity", evaluation.severity},
        {"stage", evaluation.on_grid ? "grid" : "bisection"},
        {"watched", evaluation.outcome},
        {"breaks", evaluation.breaks},
        {"fund_exhaustion_probability", evaluation.fund_exhaustion_probability},
        {"fund_exhaustion_interval",
         {{"lower", evaluation.fund_exhaustion_interval.lower}, {"upper", evaluation.fund_exhaustion_interval.upper}}},
        {"bad_debt", losses(evaluation.bad_debt)},
        {"platform_loss", losses(evaluation.platform_loss)},
        {"adl_haircut", losses(evaluation.adl_haircut)}};
  };
  const auto optional_evaluation = [&](const std::optional<ReverseEvaluation>& evaluation) {
    return evaluation ? evaluation_json(*evaluation) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json json = summary_json_header("reverse");
  json["config_source"] = base.source_name;
  json["config_layers"] = options.config_paths;
  json["backend"] = backend;
  json["seed"] = base.run.seed;
  json["scenarios"] = base.run.scenarios;
  json["steps"] = base.run.steps;
  json["step_seconds"] = base.run.step_seconds;
  json["scenario_source"] = describe_scenarios(base);
  json["book"] = {
      {"accounts", portfolio.account_count()}, {"positions", portfolio.position_count()}, {"source", book_source}};
  json["severity"] = options.severity;
  json["shock"] = options.shock_name;
  json["search"] = {{"low", options.low},
                    {"high", options.high},
                    {"grid_points", options.grid_points},
                    {"tolerance", options.tolerance}};
  json["breaking_condition"] = {{"outcome", breaking_outcome_name(condition.outcome)},
                                {"statistic", condition.outcome == BreakingOutcome::fund_exhausted
                                                  ? nlohmann::ordered_json(nullptr)
                                                  : nlohmann::ordered_json(loss_statistic_name(condition.statistic))},
                                {"threshold", condition.threshold}};
  nlohmann::ordered_json evaluations = nlohmann::ordered_json::array();
  for (const ReverseEvaluation& evaluation : outcome.evaluations) evaluations.push_back(evaluation_json(evaluation));
  json["evaluations"] = evaluations;
  json["least_breaking"] = optional_evaluation(outcome.least_breaking);
  json["just_below"] = optional_evaluation(outcome.just_below);
  json["monotone"] = outcome.non_monotone.empty();
  nlohmann::ordered_json non_monotone = nlohmann::ordered_json::array();
  for (const ReverseEvaluation& evaluation : outcome.non_monotone) non_monotone.push_back(evaluation.severity);
  json["non_monotone_severities"] = non_monotone;
  return json;
}

void print_table(std::FILE* table, const ReverseOptions& options, const ModelConfig& base, std::size_t accounts,
                 const std::string& backend, const BreakingCondition& condition, const ReverseOutcome& outcome,
                 double seconds) {
  std::fprintf(table, "margin-stress reverse: %s of %s on [%s, %s]\n", options.severity.c_str(),
               options.shock_name.empty() ? "the crash shock" : ("\"" + options.shock_name + "\"").c_str(),
               csv_number(options.low).c_str(), csv_number(options.high).c_str());
  std::fprintf(table, "  scenarios   %lld x %lld steps, seed %llu (common to every severity), book %zu accounts, %s\n",
               static_cast<long long>(base.run.scenarios), static_cast<long long>(base.run.steps),
               static_cast<unsigned long long>(base.run.seed), accounts, backend.c_str());
  std::fprintf(table, "  breaks when %s\n", describe_condition(condition).c_str());
  std::fprintf(table, "  search      %d-point grid, then bisection to %g; %zu runs in %.1f s\n\n", options.grid_points,
               options.tolerance, outcome.evaluations.size(), seconds);
  std::fprintf(table, "  %12s %-9s %-26s %-14s %-14s %-14s %14s  %s\n", options.severity.c_str(), "stage",
               "P(exhaust) [95 %]", "bad debt mean", "VaR99(loss)", "ADL mean", "watched", "breaks");
  for (const ReverseEvaluation& evaluation : outcome.evaluations) {
    char exhaustion[64];
    std::snprintf(exhaustion, sizeof exhaustion, "%.4f [%.4f, %.4f]", evaluation.fund_exhaustion_probability,
                  evaluation.fund_exhaustion_interval.lower, evaluation.fund_exhaustion_interval.upper);
    const std::string role = role_of(outcome, evaluation);
    std::fprintf(table, "  %12.6g %-9s %-26s %-14s %-14s %-14s %14.6g  %-5s%s%s\n", evaluation.severity,
                 evaluation.on_grid ? "grid" : "bisection", exhaustion, short_usd(evaluation.bad_debt.mean_usd).c_str(),
                 short_usd(evaluation.platform_loss.var_99_usd).c_str(),
                 short_usd(evaluation.adl_haircut.mean_usd).c_str(), evaluation.outcome,
                 evaluation.breaks ? "yes" : "no", role == "least_breaking" ? "   <- least breaking" : "",
                 is_non_monotone(outcome, evaluation) ? "   <- less than at the severity below" : "");
  }
  std::fprintf(table, "\n");
  if (outcome.least_breaking && outcome.just_below) {
    std::fprintf(table, "  least breaking severity: %s = %.6g (watched %g); %s = %.6g just below holds\n",
                 options.severity.c_str(), outcome.least_breaking->severity, outcome.least_breaking->outcome,
                 options.severity.c_str(), outcome.just_below->severity);
  } else if (outcome.least_breaking) {
    std::fprintf(table, "  the low end already breaks (%s = %.6g): lower --low to find the least breaking severity\n",
                 options.severity.c_str(), outcome.least_breaking->severity);
  } else {
    std::fprintf(table, "  no severity in [%s, %s] breaks the platform: raise --high, or it does not break\n",
                 csv_number(options.low).c_str(), csv_number(options.high).c_str());
  }
  if (outcome.non_monotone.empty()) {
    std::fprintf(table, "  monotone: the watched outcome never fell as the severity rose over the %zu evaluations\n",
                 outcome.evaluations.size());
  } else {
    std::string severities;
    for (const ReverseEvaluation& evaluation : outcome.non_monotone) {
      severities += (severities.empty() ? "" : ", ") + printf_string("%.6g", evaluation.severity);
    }
    std::fprintf(table,
                 "  NOT MONOTONE: the watched outcome fell as the severity rose at %s; the bisection's answer is "
                 "the least breaking severity above which every grid point breaks, and a lower one may break too\n",
                 severities.c_str());
  }
}

}  // namespace

void setup_reverse_command(CLI::App& app, ReverseOptions& options) {
  CLI::App* reverse = app.add_subcommand(
      "reverse",
      "Reverse stress test: the least severity of a committee shock that breaks the platform (fund exhausted "
      "with a probability, or a loss above a threshold), on common random numbers (docs/reverse.md)");
  reverse->add_option("--severity", options.severity, "what varies: crash_depth (the crash shock's fall, 0.3 = -30 %)")
      ->check(CLI::IsMember({"crash_depth"}));
  reverse->add_option("--shock", options.shock_name,
                      "the name of the shock to vary; default: the base's only shock of the severity's kind");
  reverse->add_option("--low", options.low, "the least severity searched");
  reverse->add_option("--high", options.high, "the largest severity searched");
  reverse->add_option("--grid", options.grid_points, "grid points on [low, high], both ends included")
      ->check(CLI::Range(2, 1000));
  reverse->add_option("--tolerance", options.tolerance, "the bisection stops when the bracket is this narrow")
      ->check(CLI::PositiveNumber);
  reverse
      ->add_option("--break", options.breaking, "the breaking condition: fund-exhausted, bad-debt, platform-loss, adl")
      ->required()
      ->check(CLI::IsMember({"fund-exhausted", "bad-debt", "platform-loss", "adl"}));
  reverse
      ->add_option("--probability", options.probability,
                   "fund-exhausted: breaks when the fund is exhausted with at least this probability")
      ->check(CLI::Range(0.0, 1.0));
  reverse
      ->add_option(
          "--above", options.above_usd,
          "bad-debt, platform-loss, adl: breaks when the statistic of the loss per scenario is above this, USD")
      ->check(CLI::NonNegativeNumber);
  reverse
      ->add_option("--statistic", options.statistic, "bad-debt, platform-loss, adl: mean (default), var_99 or es_999")
      ->check(CLI::IsMember({"mean", "var_99", "es_999"}));
  add_config_option(reverse, options.config_paths, "the base: its run, scenarios and the shock to vary");
  reverse
      ->add_option("-p,--portfolio", options.portfolio_path, "portfolio HDF5 file; default: the base's synthetic book")
      ->check(CLI::ExistingFile);
  add_run_override_options(reverse, options.run);
  reverse->add_option("-b,--backend", options.backend, "engine: auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  reverse->add_option("--device", options.device, "CUDA device ordinal")->check(device_validator());
  reverse->add_option("-o,--out", options.out_path, "also write every evaluation as CSV, atomically");
  add_summary_json_option(reverse, options.summary_json_path);
  reverse->add_flag("-f,--force", options.force, "overwrite the CSV and JSON files if they exist");
  reverse->add_flag("-q,--quiet", options.quiet, "no progress lines");
}

int reverse_command(const ReverseOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const BreakingCondition condition = breaking_condition(options);
  if (!(options.high > options.low)) {
    throw InputError("--low " + csv_number(options.low) + " and --high " + csv_number(options.high) +
                     ": low must be below high");
  }
  ModelConfig base = load_config_files(options.config_paths);
  options.run.apply(base);
  validate_config(base);
  if (!options.out_path.empty()) check_output_path(options.out_path, options.force);
  check_summary_json_path(options.summary_json_path, options.force);
  const ShockSeverity severity = shock_severity_from_name(options.severity);
  const auto shocked = [&](double value) {
    ModelConfig config = with_severity(base, severity, options.shock_name, value);
    config.source_name = base.source_name + " with " + options.severity + " = " + csv_number(value);
    validate_config(config);
    return config;
  };
  // Both ends must be valid shocks before anything runs.
  shocked(options.low);
  shocked(options.high);

  const BaseBook book = load_base_book(base, options.portfolio_path);
  const Portfolio& portfolio = book.portfolio;
  const std::string& book_source = book.source;
  const std::unique_ptr<Engine> engine = make_command_engine(options.backend, base.run.threads, options.device);

  const SearchSettings settings{options.low, options.high, options.grid_points, options.tolerance};
  const ReverseOutcome outcome = search_least_breaking(settings, condition, [&](double value) {
    if (!options.quiet)
      std::fprintf(stderr, "  evaluating %s = %s\n", options.severity.c_str(), csv_number(value).c_str());
    return evaluate_severity(*engine, shocked(value), portfolio);
  });

  std::optional<CoverSummary> cover;
  if (outcome.least_breaking) cover = cover_at(*engine, shocked(outcome.least_breaking->severity), portfolio);

  std::FILE* table = table_stream(options.summary_json_path);
  print_table(table, options, base, portfolio.account_count(), engine->name(), condition, outcome,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (cover) {
    std::fprintf(table,
                 "  Cover-N at the least breaking severity, against the fund's initial %s USD: Cover-1 held in "
                 "%lld of %lld scenarios, Cover-2 in %lld; the largest defaults exceeded the fund in %lld",
                 short_usd(base.insurance_fund.initial_balance_usd).c_str(),
                 static_cast<long long>(cover->cover_1_held), static_cast<long long>(cover->scenarios),
                 static_cast<long long>(cover->cover_2_held), static_cast<long long>(cover->exhausted_by_defaults));
    if (cover->exhausted_by_defaults > 0) {
      std::fprintf(table, ", the fewest being %lld default(s)",
                   static_cast<long long>(cover->fewest_defaults_to_exhaust));
    }
    std::fprintf(table, "\n");
  }
  const std::vector<MarketConcentration> concentration = open_interest_concentration(portfolio, base.markets);
  std::fprintf(table, "  concentration at the start (share of each market's gross position notional):\n");
  for (const MarketConcentration& market : concentration) {
    std::fprintf(
        table, "    %-8s %8lld holders, %s USD: top-1 %.2f %%, top-5 %.2f %%, top-10 %.2f %%, Herfindahl %.4f\n",
        market.market.c_str(), static_cast<long long>(market.holders), short_usd(market.gross_notional_usd).c_str(),
        100.0 * market.top_1_share, 100.0 * market.top_5_share, 100.0 * market.top_10_share, market.herfindahl);
  }
  if (!options.out_path.empty()) {
    write_text_atomically(options.out_path, options.force, evaluations_csv(severity, outcome));
    std::fprintf(table, "  evaluations: %s\n", options.out_path.c_str());
  }
  nlohmann::ordered_json summary =
      reverse_json(options, base, portfolio, book_source, condition, outcome, engine->name());
  summary["cover_at_least_breaking"] =
      cover ? nlohmann::ordered_json{{"scenarios", cover->scenarios},
                                     {"cover_1_held", cover->cover_1_held},
                                     {"cover_2_held", cover->cover_2_held},
                                     {"exhausted_by_defaults", cover->exhausted_by_defaults},
                                     {"fewest_defaults_to_exhaust", cover->fewest_defaults_to_exhaust}}
            : nlohmann::ordered_json(nullptr);
  nlohmann::ordered_json markets = nlohmann::ordered_json::array();
  for (const MarketConcentration& market : concentration) {
    markets.push_back({{"market", market.market},
                       {"holders", market.holders},
                       {"gross_notional_usd", market.gross_notional_usd},
                       {"top_1_share", market.top_1_share},
                       {"top_5_share", market.top_5_share},
                       {"top_10_share", market.top_10_share},
                       {"herfindahl", market.herfindahl}});
  }
  summary["concentration"] = markets;
  write_summary_json(options.summary_json_path, options.force, summary);
  return outcome.least_breaking ? 0 : reverse_not_broken_exit_code;
}

}  // namespace margin_stress
