#include "host/cli/optimize_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "host/analysis/comparison.hpp"
#include "host/analysis/frontier.hpp"
#include "host/analysis/intervals.hpp"
#include "host/analysis/summary.hpp"
#include "host/cli/common_scenarios.hpp"
#include "host/cli/config_option.hpp"
#include "host/cli/progress.hpp"
#include "host/cli/short_usd.hpp"
#include "host/cli/summary_json.hpp"
#include "host/engine/engine.hpp"
#include "host/io/atomic_output.hpp"
#include "host/io/config_file.hpp"
#include "host/io/csv.hpp"
#include "host/io/policy_file.hpp"
#include "host/model/input_error.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

double mean_of(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// The whole batch of scenarios under one configuration: every knob value sees the base's
// scenarios (common random numbers).
FrontierPoint evaluate(Engine& engine, const ModelConfig& base, const ModelConfig& config, const Portfolio& portfolio) {
  const PolicyScenarioMetrics metrics = run_on_common_scenarios(engine, base, config, portfolio);
  FrontierPoint point;
  point.mean_required_margin_usd = mean_of(metrics.average_required_margin_usd);
  point.peak_required_margin_usd = mean_of(metrics.peak_required_margin_usd);
  point.mean_allowed_leverage = mean_of(metrics.average_allowed_leverage);
  point.fund_exhaustion_probability = mean_of(metrics.fund_exhausted);
  const ProbabilityInterval exhaustion = flagged_share_interval(metrics.fund_exhausted);
  point.fund_exhaustion_interval = {exhaustion.lower, exhaustion.upper};
  point.bad_debt = loss_figures(summarize_sample("bad_debt_usd", metrics.bad_debt_usd));
  point.platform_loss = loss_figures(summarize_sample("platform_loss_usd", metrics.platform_loss_usd));
  return point;
}

bool same_figures(const LossFigures& a, const LossFigures& b) {
  return a.mean_usd == b.mean_usd && a.var_99_usd == b.var_99_usd && a.es_999_usd == b.es_999_usd;
}

bool same_point(const FrontierPoint& a, const FrontierPoint& b) {
  return a.mean_required_margin_usd == b.mean_required_margin_usd &&
         a.peak_required_margin_usd == b.peak_required_margin_usd &&
         a.fund_exhaustion_probability == b.fund_exhaustion_probability && same_figures(a.bad_debt, b.bad_debt) &&
         same_figures(a.platform_loss, b.platform_loss);
}

std::string frontier_csv(MarginKnob knob, const SearchOutcome& outcome) {
  std::string csv =
      std::string(margin_knob_name(knob)) +
      ",mean_required_margin_usd,peak_required_margin_usd,mean_allowed_leverage,"
      "fund_exhaustion_probability,bad_debt_mean_usd,bad_debt_var_99_usd,bad_debt_es_999_usd,meets_target,"
      "role,fund_exhaustion_probability_lower,fund_exhaustion_probability_upper,"
      "bad_debt_mean_standard_error_usd,bad_debt_var_99_lower_usd,bad_debt_var_99_upper_usd,"
      "bad_debt_es_999_lower_usd,bad_debt_es_999_upper_usd,platform_loss_mean_usd,"
      "platform_loss_mean_standard_error_usd,platform_loss_var_99_usd,platform_loss_var_99_lower_usd,"
      "platform_loss_var_99_upper_usd,platform_loss_es_999_usd,platform_loss_es_999_lower_usd,"
      "platform_loss_es_999_upper_usd\n";
  for (const FrontierPoint& point : outcome.frontier) {
    const bool is_answer = outcome.answer && outcome.answer->knob == point.knob;
    const bool is_below = outcome.just_below && outcome.just_below->knob == point.knob;
    std::string line;
    for (const double value : {point.knob, point.mean_required_margin_usd, point.peak_required_margin_usd,
                               point.mean_allowed_leverage, point.fund_exhaustion_probability, point.bad_debt.mean_usd,
                               point.bad_debt.var_99_usd, point.bad_debt.es_999_usd}) {
      line += csv_number(value) + ",";
    }
    line += std::string(point.meets_target ? "true" : "false") + "," +
            (is_answer  ? "answer"
             : is_below ? "just_below"
                        : "");
    for (const double value :
         {point.fund_exhaustion_interval.lower, point.fund_exhaustion_interval.upper, point.bad_debt.standard_error_usd,
          point.bad_debt.var_99_interval.lower, point.bad_debt.var_99_interval.upper,
          point.bad_debt.es_999_interval.lower, point.bad_debt.es_999_interval.upper, point.platform_loss.mean_usd,
          point.platform_loss.standard_error_usd, point.platform_loss.var_99_usd,
          point.platform_loss.var_99_interval.lower, point.platform_loss.var_99_interval.upper,
          point.platform_loss.es_999_usd, point.platform_loss.es_999_interval.lower,
          point.platform_loss.es_999_interval.upper}) {
      line += "," + csv_number(value);
    }
    csv += line + "\n";
  }
  return csv;
}

// The frontier as JSON (docs/results.md, "Summary JSON"): the table's figures, every point with
// its uncertainty, the answer and the point just below it.
nlohmann::ordered_json frontier_json(const OptimizeOptions& options, const ModelConfig& base,
                                     const Portfolio& portfolio, const std::string& book_source, MarginKnob knob,
                                     const TailTarget& target, const SearchOutcome& outcome, bool reproduced,
                                     const std::string& backend) {
  const auto optional_number = [](const std::optional<double>& value) {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
  };
  const auto interval = [](const Interval& bounds) {
    return nlohmann::ordered_json{{"lower", number_or_null(bounds.lower)}, {"upper", number_or_null(bounds.upper)}};
  };
  const auto losses = [&](const LossFigures& figures) {
    return nlohmann::ordered_json{
        {"mean_usd", figures.mean_usd},     {"mean_standard_error_usd", number_or_null(figures.standard_error_usd)},
        {"var_99_usd", figures.var_99_usd}, {"var_99_interval_usd", interval(figures.var_99_interval)},
        {"es_999_usd", figures.es_999_usd}, {"es_999_interval_usd", interval(figures.es_999_interval)}};
  };
  const auto point_json = [&](const FrontierPoint& point) {
    return nlohmann::ordered_json{{"knob", point.knob},
                                  {"mean_required_margin_usd", point.mean_required_margin_usd},
                                  {"peak_required_margin_usd", point.peak_required_margin_usd},
                                  {"mean_allowed_leverage", point.mean_allowed_leverage},
                                  {"fund_exhaustion_probability", point.fund_exhaustion_probability},
                                  {"fund_exhaustion_interval", interval(point.fund_exhaustion_interval)},
                                  {"bad_debt", losses(point.bad_debt)},
                                  {"platform_loss", losses(point.platform_loss)},
                                  {"meets_target", point.meets_target}};
  };
  nlohmann::ordered_json json = summary_json_header("optimize");
  json["policy_file"] = options.policy_path;
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
  json["knob"] = std::string(margin_knob_name(knob));
  json["search"] = {{"low", options.low},
                    {"high", options.high},
                    {"grid_points", options.grid_points},
                    {"tolerance", options.tolerance}};
  json["target"] = {{"max_fund_exhaustion_probability", target.max_fund_exhaustion_probability},
                    {"max_bad_debt_es_999_usd", optional_number(target.max_bad_debt_es_999_usd)},
                    {"max_bad_debt_var_99_usd", optional_number(target.max_bad_debt_var_99_usd)},
                    {"max_platform_loss_es_999_usd", optional_number(target.max_platform_loss_es_999_usd)},
                    {"max_platform_loss_var_99_usd", optional_number(target.max_platform_loss_var_99_usd)}};
  nlohmann::ordered_json frontier = nlohmann::ordered_json::array();
  for (const FrontierPoint& point : outcome.frontier) frontier.push_back(point_json(point));
  json["frontier"] = frontier;
  json["answer"] = outcome.answer ? point_json(*outcome.answer) : nlohmann::ordered_json(nullptr);
  json["just_below"] = outcome.just_below ? point_json(*outcome.just_below) : nlohmann::ordered_json(nullptr);
  json["reproduced"] = reproduced;
  return json;
}

}  // namespace

void setup_optimize_command(CLI::App& app, OptimizeOptions& options) {
  CLI::App* optimize = app.add_subcommand(
      "optimize",
      "Find the least margin of a policy family that meets a tail-loss target, on common random numbers, and "
      "report the frontier of margin level against tail loss (docs/compare.md)");
  optimize->add_option("--policy", options.policy_path, "the policy file of the family (as for compare)")
      ->required()
      ->check(CLI::ExistingFile);
  optimize
      ->add_option("--knob", options.knob,
                   "what varies: margin_multiplier (every imf and mmf times k), scale_floor, buffer or stressed_weight")
      ->check(CLI::IsMember({"margin_multiplier", "scale_floor", "buffer", "stressed_weight"}));
  optimize->add_option("--low", options.low, "the knob's least value searched");
  optimize->add_option("--high", options.high, "the knob's largest value searched");
  optimize->add_option("--grid", options.grid_points, "grid points on [low, high], both ends included")
      ->check(CLI::Range(2, 1000));
  optimize->add_option("--tolerance", options.tolerance, "the bisection stops when the bracket is this narrow")
      ->check(CLI::PositiveNumber);
  optimize
      ->add_option("--max-exhaustion-probability", options.max_exhaustion_probability,
                   "target: probability that the insurance fund is exhausted, at most (default 0.001)")
      ->check(CLI::Range(0.0, 1.0));
  optimize
      ->add_option("--max-es999-bad-debt", options.max_es999_bad_debt_usd,
                   "target: expected shortfall at 99.9 % of bad debt per scenario, USD, at most")
      ->check(CLI::NonNegativeNumber);
  optimize
      ->add_option("--max-var99-bad-debt", options.max_var99_bad_debt_usd,
                   "target: value at risk at 99 % of bad debt per scenario, USD, at most")
      ->check(CLI::NonNegativeNumber);
  optimize
      ->add_option("--max-es999-platform-loss", options.max_es999_platform_loss_usd,
                   "target: expected shortfall at 99.9 % of the platform loss (bad debt, fund draw, ADL haircuts, "
                   "backstop vault loss) per scenario, USD, at most")
      ->check(CLI::NonNegativeNumber);
  optimize
      ->add_option("--max-var99-platform-loss", options.max_var99_platform_loss_usd,
                   "target: value at risk at 99 % of the platform loss per scenario, USD, at most")
      ->check(CLI::NonNegativeNumber);
  add_config_option(optimize, options.config_paths, "the base, as for compare");
  optimize
      ->add_option("-p,--portfolio", options.portfolio_path, "portfolio HDF5 file; default: the base's synthetic book")
      ->check(CLI::ExistingFile);
  add_run_override_options(optimize, options.run);
  optimize->add_option("-b,--backend", options.backend, "engine: auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  optimize->add_option("--device", options.device, "CUDA device ordinal")->check(device_validator());
  CLI::Option* out = optimize->add_option("-o,--out", options.out_path, "also write the frontier as CSV, atomically");
  add_report_option(*optimize, options.report)->needs(out);
  add_summary_json_option(optimize, options.summary_json_path);
  optimize->add_flag("-f,--force", options.force, "overwrite the CSV, JSON and report files if they exist");
  optimize->add_flag("-q,--quiet", options.quiet, "no progress line");
}

int optimize_command(const OptimizeOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (!(options.high > options.low)) {
    throw InputError("--low " + csv_number(options.low) + " and --high " + csv_number(options.high) +
                     ": low must be below high");
  }
  ModelConfig base = load_config_files(options.config_paths);
  options.run.apply(base);
  validate_config(base);
  if (!options.out_path.empty()) check_output_path(options.out_path, options.force);
  check_report_request(options.report, options.force);
  check_summary_json_path(options.summary_json_path, options.force);
  const ModelConfig family = load_policy_config(base, options.policy_path);
  const MarginKnob knob = margin_knob_from_name(options.knob);
  // Both ends must be valid policies before anything runs.
  for (const double value : {options.low, options.high}) {
    ModelConfig end = with_knob(family, knob, value);
    end.source_name = options.policy_path + " with " + options.knob + " = " + csv_number(value);
    validate_config(end);
  }

  const BaseBook book = load_base_book(base, options.portfolio_path);
  const Portfolio& portfolio = book.portfolio;
  const std::string& book_source = book.source;
  const std::unique_ptr<Engine> engine = make_command_engine(options.backend, base.run.threads, options.device);

  TailTarget target;
  target.max_fund_exhaustion_probability = options.max_exhaustion_probability;
  target.max_bad_debt_es_999_usd = options.max_es999_bad_debt_usd;
  target.max_bad_debt_var_99_usd = options.max_var99_bad_debt_usd;
  target.max_platform_loss_es_999_usd = options.max_es999_platform_loss_usd;
  target.max_platform_loss_var_99_usd = options.max_var99_platform_loss_usd;
  SearchSettings settings{options.low, options.high, options.grid_points, options.tolerance};
  int evaluations = 0;
  const auto run_at = [&](double value) {
    ModelConfig config = with_knob(family, knob, value);
    config.source_name = options.policy_path + " with " + options.knob + " = " + csv_number(value);
    validate_config(config);
    if (!options.quiet) std::fprintf(stderr, "  evaluating %s = %s\n", options.knob.c_str(), csv_number(value).c_str());
    ++evaluations;
    return evaluate(*engine, base, config, portfolio);
  };
  const SearchOutcome outcome = search_least_margin(settings, target, run_at);

  // The answer and the point just below it, run again: the same scenarios must give the same
  // figures (so the frontier is reproducible), the answer meeting the target and the other not.
  bool reproduced = true;
  if (outcome.answer) reproduced = reproduced && same_point(run_at(outcome.answer->knob), *outcome.answer);
  if (outcome.just_below) reproduced = reproduced && same_point(run_at(outcome.just_below->knob), *outcome.just_below);

  std::FILE* table = table_stream(options.summary_json_path);
  const auto n = static_cast<double>(base.run.scenarios);
  std::fprintf(table, "margin-stress optimize: %s, knob %s on [%s, %s]\n", options.policy_path.c_str(),
               options.knob.c_str(), csv_number(options.low).c_str(), csv_number(options.high).c_str());
  std::fprintf(table, "  scenarios   %lld x %lld steps (common to every point), book %zu accounts, %s\n",
               static_cast<long long>(base.run.scenarios), static_cast<long long>(base.run.steps),
               portfolio.account_count(), engine->name().c_str());
  std::fprintf(table, "  target      P(fund exhausted) <= %g", target.max_fund_exhaustion_probability);
  if (target.max_bad_debt_es_999_usd)
    std::fprintf(table, ", ES99.9(bad debt) <= %s USD", short_usd(*target.max_bad_debt_es_999_usd).c_str());
  if (target.max_bad_debt_var_99_usd)
    std::fprintf(table, ", VaR99(bad debt) <= %s USD", short_usd(*target.max_bad_debt_var_99_usd).c_str());
  if (target.max_platform_loss_es_999_usd)
    std::fprintf(table, ", ES99.9(platform loss) <= %s USD", short_usd(*target.max_platform_loss_es_999_usd).c_str());
  if (target.max_platform_loss_var_99_usd)
    std::fprintf(table, ", VaR99(platform loss) <= %s USD", short_usd(*target.max_platform_loss_var_99_usd).c_str());
  std::fprintf(table, "\n  search      %d-point grid, then bisection to %g; %d runs in %.1f s\n\n", options.grid_points,
               options.tolerance, evaluations,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  std::fprintf(table, "  %12s %12s %12s %8s %-26s %-22s %-28s %-28s  %s\n", options.knob.c_str(), "mean margin",
               "peak margin", "leverage", "P(exhaust) [95 %]", "bad debt mean ± s.e.", "VaR99(bad debt) [95 %]",
               "VaR99(platform loss) [95 %]", "target");
  const auto bounded = [](const Interval& interval) {
    const auto end = [](double x) { return std::isinf(x) ? std::string(x > 0 ? "inf" : "-inf") : short_usd(x); };
    return "[" + end(interval.lower) + ", " + end(interval.upper) + "]";
  };
  for (const FrontierPoint& point : outcome.frontier) {
    const bool is_answer = outcome.answer && outcome.answer->knob == point.knob;
    char exhaustion[64];
    std::snprintf(exhaustion, sizeof exhaustion, "%.4f [%.4f, %.4f]", point.fund_exhaustion_probability,
                  point.fund_exhaustion_interval.lower, point.fund_exhaustion_interval.upper);
    std::fprintf(
        table, "  %12.6g %12s %12s %8.2f %-26s %-22s %-28s %-28s  %s%s\n", point.knob,
        short_usd(point.mean_required_margin_usd).c_str(), short_usd(point.peak_required_margin_usd).c_str(),
        point.mean_allowed_leverage, exhaustion,
        (short_usd(point.bad_debt.mean_usd) + " ± " + short_usd(point.bad_debt.standard_error_usd)).c_str(),
        (short_usd(point.bad_debt.var_99_usd) + " " + bounded(point.bad_debt.var_99_interval)).c_str(),
        (short_usd(point.platform_loss.var_99_usd) + " " + bounded(point.platform_loss.var_99_interval)).c_str(),
        point.meets_target ? "met" : "missed", is_answer ? "   <- least margin" : "");
  }
  std::fprintf(table, "\n");
  if (outcome.answer) {
    std::fprintf(table, "  least margin: %s = %s (mean required margin %s USD)", options.knob.c_str(),
                 csv_number(outcome.answer->knob).c_str(), short_usd(outcome.answer->mean_required_margin_usd).c_str());
    if (outcome.just_below) {
      std::fprintf(table, "; %s = %s just below misses the target\n", options.knob.c_str(),
                   csv_number(outcome.just_below->knob).c_str());
    } else {
      std::fprintf(table,
                   "\n  the low end of the range already meets the target: lower --low to find the least margin\n");
    }
  } else {
    std::fprintf(table,
                 "  no value in [%s, %s] meets the target: raise --high, or the target is out of this family's reach\n",
                 csv_number(options.low).c_str(), csv_number(options.high).c_str());
  }
  std::fprintf(
      table, "  re-run at the answer and just below: %s\n",
      reproduced ? "identical figures (common random numbers)" : "DIFFERENT FIGURES: the runs are not reproducible");
  // What happened to the fund, in counts: the least exhaustion over the frontier, and at the answer.
  const auto exhausted = [n](const FrontierPoint& point) {
    return std::llround(point.fund_exhaustion_probability * n);
  };
  const FrontierPoint* fewest = &outcome.frontier.front();
  for (const FrontierPoint& point : outcome.frontier) {
    if (exhausted(point) < exhausted(*fewest)) fewest = &point;
  }
  if (outcome.answer) {
    std::fprintf(table, "  the fund was exhausted in %lld of %lld scenarios at the answer", exhausted(*outcome.answer),
                 static_cast<long long>(n));
  } else {
    std::fprintf(table, "  every point exhausted the fund in some scenarios: %lld of %lld at the fewest (%s = %s)",
                 exhausted(*fewest), static_cast<long long>(n), options.knob.c_str(), csv_number(fewest->knob).c_str());
  }
  // What n scenarios can show: with none exhausted, the 95 % upper bound of the probability is
  // 1 - 0.05^(1/n) (about 3/n).
  const double resolution = 1.0 - std::pow(0.05, 1.0 / n);
  if (resolution > target.max_fund_exhaustion_probability && target.max_fund_exhaustion_probability > 0.0) {
    std::fprintf(table,
                 "\n  note: %lld scenarios cannot bound the probability below %.2g at 95 %% confidence even with no "
                 "exhaustion; bounding it by %g needs about %.0f scenarios",
                 static_cast<long long>(n), resolution, target.max_fund_exhaustion_probability,
                 std::ceil(std::log(0.05) / std::log(1.0 - target.max_fund_exhaustion_probability)));
  }
  std::fprintf(table, "\n");
  if (!options.out_path.empty()) {
    write_text_atomically(options.out_path, options.force, frontier_csv(knob, outcome));
    std::fprintf(table, "  frontier: %s\n", options.out_path.c_str());
  }
  const nlohmann::ordered_json summary =
      frontier_json(options, base, portfolio, book_source, knob, target, outcome, reproduced, engine->name());
  write_summary_json(options.summary_json_path, options.force, summary);
  const int report_outcome =
      draw_requested_report(options.report, options.out_path, options.force, options.summary_json_path, &summary);
  if (report_outcome != 0) return report_outcome;
  if (!reproduced) return 1;
  return outcome.answer ? 0 : optimize_target_missed_exit_code;
}

}  // namespace margin_stress
