#include "host/cli/calibrate_command.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <optional>
#include <stdexcept>

#include "host/cli/config_option.hpp"
#include "host/cli/price_file_options.hpp"
#include "host/cli/summary_json.hpp"
#include "host/io/atomic_output.hpp"
#include "host/io/config_file.hpp"
#include "host/io/config_writer.hpp"
#include "host/model/input_error.hpp"
#include "host/model/version.hpp"
#include "scenarios/calibration/calibration_report.hpp"
#include "scenarios/calibration/em_fit.hpp"
#include "scenarios/calibration/model_output.hpp"
#include "scenarios/calibration/ms_garch_fit.hpp"
#include "scenarios/calibration/plausibility.hpp"
#include "scenarios/calibration/regime_probabilities.hpp"
#include "scenarios/calibration/regime_selection.hpp"
#include "scenarios/calibration/utc_time.hpp"
#include "scenarios/regime_chain.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

using namespace calibration;

// --from and --to accept a date (its whole day) or a time, as the price files do.
const CLI::Validator utc_time_validator(
    [](std::string& text) {
      return parse_utc_time(text) ? std::string()
                                  : "'" + text + "' is not an ISO 8601 date or time (2020-03-12, 2020-03-12T10:00:00Z)";
    },
    "DATE", "UTC date or time");

// --regimes: "auto" or a whole number of regimes from 2 to 6.
const CLI::Validator regime_count_validator(
    [](std::string& text) {
      if (text == "auto") return std::string();
      std::size_t used = 0;
      int value = 0;
      try {
        value = std::stoi(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      return used == text.size() && value >= 2 && value <= 6
                 ? std::string()
                 : "'" + text + "' is neither 'auto' nor a number of regimes from 2 to 6";
    },
    "K|auto", "number of regimes");

// A row-major n x n matrix as n rows.
nlohmann::ordered_json matrix_json(const std::vector<double>& matrix, std::size_t n) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < n; ++i) {
    rows.push_back(std::vector<double>(matrix.begin() + static_cast<std::ptrdiff_t>(i * n),
                                       matrix.begin() + static_cast<std::ptrdiff_t>((i + 1) * n)));
  }
  return rows;
}

// The calibration as JSON (docs/results.md, "Summary JSON"): the report's figures, per bar as fitted
// and as written to the model file.
nlohmann::ordered_json calibration_json(const ReturnSeries& data, const RegimeFit& fit, const ModelConfig& model,
                                        const CalibrateOptions& options, const RegimeSelection* selection) {
  const std::size_t regimes = fit.regime_count();
  const std::size_t markets = fit.markets;
  const std::vector<std::string> names = regime_names(regimes);
  nlohmann::ordered_json json = summary_json_header("calibrate");
  json["model_file"] = options.out_path;
  json["config_layers"] = options.config_paths;
  json["markets"] = data.markets;
  json["price_files"] = data.sources;
  json["bar_seconds"] = data.bar_seconds;
  json["window_start_utc"] = format_utc_time(data.time_seconds.front() - data.bar_seconds);
  json["window_end_utc"] = format_utc_time(data.time_seconds.back());
  json["common_bars"] = data.common_bars;
  json["returns"] = data.count();
  json["gaps_dropped"] = data.gaps;
  json["fit"] = {{"emission", fit.emission == EmissionModel::ms_garch ? "ms_garch" : "gaussian"},
                 {"seed", options.seed},
                 {"starts", fit.starts},
                 {"best_start", fit.best_start},
                 {"starts_near_best", fit.starts_near_best},
                 {"iterations", fit.iterations},
                 {"converged", fit.converged},
                 {"log_likelihood", fit.log_likelihood},
                 {"parameters", fit.parameters},
                 {"observations", fit.observations},
                 {"bic", bayesian_information_criterion(fit)},
                 {"aic", akaike_information_criterion(fit)}};
  json["regime_selection"] = nullptr;
  if (selection) {
    nlohmann::ordered_json candidates = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < selection->candidates.size(); ++i) {
      const RegimeCandidate& c = selection->candidates[i];
      nlohmann::ordered_json entry{{"regimes", c.regimes}, {"fitted", c.fitted}};
      if (c.fitted) {
        entry["log_likelihood"] = c.fit.log_likelihood;
        entry["parameters"] = c.fit.parameters;
        entry["bic"] = c.bic;
        entry["aic"] = c.aic;
      } else {
        entry["failure"] = c.failure;
      }
      entry["chosen"] = i == selection->chosen;
      candidates.push_back(entry);
    }
    json["regime_selection"] = {
        {"criterion", "bic"}, {"max_regimes", selection->candidates.size()}, {"candidates", candidates}};
  }
  const std::vector<double> stationary = stationary_or_nan(fit);
  const std::vector<double> stay = expected_stay_bars(fit.transition, regimes);
  const std::vector<std::size_t> collapsed = collapsed_regimes(fit, data.log_returns);
  nlohmann::ordered_json per_bar = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k < regimes; ++k) {
    const RegimeEstimate& state = fit.states[k];
    std::vector<double> sd(markets);
    for (std::size_t m = 0; m < markets; ++m) sd[m] = std::sqrt(state.covariance[m * markets + m]);
    std::vector<double> correlation(markets * markets);
    for (std::size_t i = 0; i < markets; ++i) {
      for (std::size_t j = 0; j < markets; ++j) {
        correlation[i * markets + j] = state.covariance[i * markets + j] / (sd[i] * sd[j]);
      }
    }
    nlohmann::ordered_json entry{{"name", names[k]},
                                 {"stationary_probability", number_or_null(stationary[k])},
                                 {"expected_stay_bars", number_or_null(stay[k])},
                                 {"mean_log_return", state.mean},
                                 {"sd_log_return", sd},
                                 {"correlation", matrix_json(correlation, markets)},
                                 {"collapsed", std::find(collapsed.begin(), collapsed.end(), k) != collapsed.end()}};
    if (fit.emission == EmissionModel::ms_garch) {
      entry["garch_alpha"] = state.garch_alpha;
      entry["garch_beta"] = state.garch_beta;
    }
    per_bar.push_back(entry);
  }
  json["per_bar"] = {{"regimes", per_bar},
                     {"transition", matrix_json(fit.transition, regimes)},
                     {"initial_distribution", fit.initial_distribution}};
  nlohmann::ordered_json states = nlohmann::ordered_json::array();
  for (const RegimeState& state : model.regimes.states) {
    states.push_back({{"name", state.name},
                      {"volatility", state.volatility},
                      {"drift", state.drift},
                      {"garch_alpha", state.garch_alpha},
                      {"garch_beta", state.garch_beta},
                      {"depth_multiplier", state.depth_multiplier}});
  }
  json["model"] = {{"step_seconds", model.run.step_seconds},
                   {"regimes", states},
                   {"transition", matrix_json(model.regimes.transition, model.regime_count())}};
  return json;
}

}  // namespace

void setup_calibrate_command(CLI::App& app, CalibrateOptions& options) {
  CLI::App* calibrate = app.add_subcommand(
      "calibrate", "Fit the Markov-switching regime model to price history; write a model file for `run --config`");
  calibrate
      ->add_option("--prices", options.price_paths,
                   "CSV price history of one market (header row; timestamp_utc or date; close); repeat for "
                   "several markets, fitted jointly on their common bars")
      ->required()
      ->check(CLI::ExistingFile);
  calibrate
      ->add_option("--markets", options.markets,
                   "market names, comma-separated, one per --prices in order; default: each file name's first "
                   "token before '_', upper-cased (btc_usdt_1h.csv -> BTC)")
      ->delimiter(',');
  add_price_file_options(*calibrate, options.price_format);
  calibrate
      ->add_option_function<std::string>(
          "-k,--regimes",
          [&options](const std::string& text) {
            options.regimes = text == "auto" ? std::nullopt : std::optional<int>(std::stoi(text));
          },
          "number of regimes K, 2 to 6, or 'auto': fit K = 1 .. --max-regimes and keep the least BIC")
      ->check(regime_count_validator)
      ->default_str("2");
  calibrate->add_option("--max-regimes", options.max_regimes, "with --regimes auto: the largest K tried")
      ->check(CLI::Range(2, 6))
      ->capture_default_str();
  calibrate->add_flag("--garch", options.garch,
                      "fit MS-GARCH(1,1) (Haas-Mittnik-Paolella) by maximum likelihood after the Gaussian EM fit; one "
                      "market only");
  calibrate->add_flag("--zero-drift", options.zero_drift,
                      "write drift = 0 in every regime (no expected price change), for stress runs; default: the "
                      "fitted trends");
  calibrate->add_option("--starts", options.starts, "random EM starting points; the best log-likelihood is kept")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  calibrate->add_option("-s,--seed", options.seed, "seed of the random starting points")->capture_default_str();
  calibrate->add_option("-t,--threads", options.threads, "threads for the EM starts, 0 = all cores")
      ->check(CLI::Range(0, 4096));
  add_config_option(calibrate, options.config_paths,
                    "the base: the markets' specs, portfolio and policy are copied from it; default: the built-in "
                    "default");
  calibrate
      ->add_option("--step-seconds", options.step_seconds,
                   "run step of the model file (run.step_seconds); default: the base config's, or the bar with --garch")
      ->check(CLI::PositiveNumber);
  calibrate->add_option("--from", options.from, "first bar used (UTC date or time, inclusive)")
      ->check(utc_time_validator);
  calibrate->add_option("--to", options.to, "last bar used (UTC date: through the end of that day; or time, inclusive)")
      ->check(utc_time_validator);
  calibrate->add_option("-o,--out", options.out_path, "model TOML file to write")->required();
  calibrate->add_option("--probabilities-out", options.probabilities_path,
                        "also write the smoothed regime probabilities of every bar to this CSV file");
  add_summary_json_option(calibrate, options.summary_json_path);
  calibrate->add_flag("-f,--force", options.force, "overwrite output files that exist");
  calibrate->add_flag("-q,--quiet", options.quiet, "print only the model file's path");
  calibrate->callback([&options, calibrate]() {
    if (!options.markets.empty() && options.markets.size() != options.price_paths.size()) {
      throw CLI::ValidationError("--markets", "names " + std::to_string(options.markets.size()) + " markets for " +
                                                  std::to_string(options.price_paths.size()) + " --prices files");
    }
    if (options.garch && options.price_paths.size() != 1) {
      throw CLI::ValidationError("--garch", "fits one market; give exactly one --prices file");
    }
    if (options.garch && !options.regimes) {
      throw CLI::ValidationError("--garch", "needs a number of regimes; --regimes auto chooses among Gaussian fits");
    }
    if (calibrate->count("--max-regimes") > 0 && options.regimes) {
      throw CLI::ValidationError("--max-regimes", "applies to --regimes auto only");
    }
  });
}

int calibrate_command(const CalibrateOptions& options, const std::string& command_line) {
  std::vector<PriceSeries> series;
  for (std::size_t i = 0; i < options.price_paths.size(); ++i) {
    const std::string& path = options.price_paths[i];
    const std::string market = options.markets.empty() ? market_name_from_path(path) : options.markets[i];
    for (const PriceSeries& earlier : series) {
      if (earlier.market == market) {
        throw InputError(path + ": market " + market + " is already given by " + earlier.source +
                         " (name the markets with --markets)");
      }
    }
    series.push_back(read_price_csv(path, market, options.price_format));
  }
  const std::int64_t from =
      options.from.empty() ? std::numeric_limits<std::int64_t>::min() : parse_utc_time(options.from)->seconds;
  std::int64_t to = std::numeric_limits<std::int64_t>::max();
  if (!options.to.empty()) {
    const UtcTime last = *parse_utc_time(options.to);
    to = last.whole_day ? last.seconds + 86400 - 1 : last.seconds;
  }
  const ReturnSeries data = aligned_log_returns(series, from, to);
  check_prices_move(data);

  const ModelConfig base = load_config_files(options.config_paths);
  const double bar_seconds = static_cast<double>(data.bar_seconds);
  // MS-GARCH parameters are per bar and do not rescale: its model file steps by the bar.
  const double step_seconds = options.step_seconds.value_or(options.garch ? bar_seconds : base.run.step_seconds);
  check_output_path(options.out_path, options.force);  // fail before the fit, not after it
  if (!options.probabilities_path.empty()) check_output_path(options.probabilities_path, options.force);
  check_summary_json_path(options.summary_json_path, options.force);

  EmOptions em;
  em.starts = static_cast<std::size_t>(options.starts);
  em.seed = options.seed;
  em.threads = options.threads;
  RegimeFit fit;
  std::optional<RegimeSelection> selection;
  try {
    if (options.regimes) {
      em.regimes = static_cast<std::size_t>(*options.regimes);
      if (!options.quiet) {
        std::fprintf(stderr, "fitting %d regimes to %zu returns of %zu market(s) from %d EM starts...\n",
                     *options.regimes, data.count(), data.market_count(), options.starts);
      }
      fit = fit_gaussian_regimes(data.log_returns, data.market_count(), em);
    } else {
      if (!options.quiet) {
        std::fprintf(stderr, "fitting 1 to %d regimes to %zu returns of %zu market(s) from %d EM starts each...\n",
                     options.max_regimes, data.count(), data.market_count(), options.starts);
      }
      selection =
          select_regime_count(data.log_returns, data.market_count(), em, static_cast<std::size_t>(options.max_regimes));
      fit = selection->candidates[selection->chosen].fit;
    }
    if (options.garch) {
      if (!options.quiet) std::fprintf(stderr, "fitting MS-GARCH(1,1) by maximum likelihood...\n");
      fit = fit_ms_garch(data.log_returns, fit, MsGarchOptions{});
    }
  } catch (const std::invalid_argument& error) {
    std::string files;
    for (const std::string& source : data.sources) files += (files.empty() ? "" : ", ") + source;
    throw InputError("cannot fit the price files (" + files + "): " + error.what());
  }

  const DriftChoice drift = options.zero_drift ? DriftChoice::zero : DriftChoice::fitted;
  ModelConfig model = calibrated_config(base, data.markets, fit, bar_seconds, step_seconds, options.out_path, drift);
  validate_config(model);
  std::vector<std::string> warnings = plausibility_warnings(fit, model, data.log_returns, bar_seconds, drift);
  // With --quiet the report is not printed; its warnings still are, on stderr.
  if (options.quiet) {
    for (const std::string& warning : warnings) std::fprintf(stderr, "WARNING: %s\n", warning.c_str());
  }
  const std::string report = (selection ? regime_selection_table(*selection) + "\n" : std::string()) +
                             calibration_report({data, fit, model, options.seed, bar_seconds, std::move(warnings)});
  const std::string provenance = std::string("written by margin-stress ") + program_version() + " (" + git_commit() +
                                 ")\ncommand: " + command_line + "\n\n";
  write_text_atomically(options.out_path, options.force,
                        as_toml_comment(provenance + report) + "\n" + config_to_toml(model));
  if (!options.probabilities_path.empty()) {
    write_text_atomically(
        options.probabilities_path, options.force,
        regime_probabilities_csv(data, smoothed_regime_probabilities(data, fit), regime_names(fit.regime_count())));
  }
  std::FILE* table = table_stream(options.summary_json_path);
  if (options.quiet) {
    std::fprintf(table, "%s\n", options.out_path.c_str());
  } else {
    std::fprintf(table, "%s\nmodel file: %s\n", report.c_str(), options.out_path.c_str());
  }
  write_summary_json(options.summary_json_path, options.force,
                     calibration_json(data, fit, model, options, selection ? &*selection : nullptr));
  return 0;
}

}  // namespace margin_stress
