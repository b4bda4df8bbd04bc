#include "host/cli/run_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <memory>
#include <thread>

#include "host/analysis/summary.hpp"
#include "host/cli/account_capture.hpp"
#include "host/cli/checkpointed_run.hpp"
#include "host/cli/config_option.hpp"
#include "host/cli/distributed_run.hpp"
#include "host/cli/memory_check.hpp"
#include "host/cli/progress.hpp"
#include "host/cli/summary_json.hpp"
#include "host/cli/summary_table.hpp"
#include "host/engine/engine.hpp"
#include "host/io/accounts_file.hpp"
#include "host/io/atomic_output.hpp"
#include "host/io/checkpoint.hpp"
#include "host/io/checksum.hpp"
#include "host/io/config_file.hpp"
#include "host/io/config_writer.hpp"
#include "host/io/portfolio_file.hpp"
#include "host/io/results_file.hpp"
#include "host/model/input_error.hpp"
#include "host/model/version.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

// What a checkpoint must match to be resumed: everything that decides the results, and nothing
// that does not (the number of threads, the backend, paths of output).
// The scenarios `run --scenario` chose: "I" or "I-J" (0-based, both ends included), all of
// run.scenarios when empty. InputError naming the option when the text is not a range of the run.
struct ScenarioRange {
  std::int64_t first = 0;
  std::int64_t count = 0;
};

ScenarioRange scenario_range(const std::string& text, const ModelConfig& config) {
  if (text.empty()) return {0, config.run.scenarios};
  const auto number = [&](const std::string& part) -> std::int64_t {
    if (part.empty() || part.size() > 18 || part.find_first_not_of("0123456789") != std::string::npos) {
      throw InputError("--scenario " + text + ": not a scenario number or a range I-J of them");
    }
    return std::stoll(part);
  };
  const std::size_t dash = text.find('-');
  const std::int64_t first = number(text.substr(0, dash));
  const std::int64_t last = dash == std::string::npos ? first : number(text.substr(dash + 1));
  if (last < first || last >= config.run.scenarios) {
    throw InputError("--scenario " + text + ": the run's scenarios are 0 to " +
                     std::to_string(config.run.scenarios - 1) +
                     " (run.scenarios = " + std::to_string(config.run.scenarios) + " in " + config.source_name + ")");
  }
  return {first, last - first + 1};
}

RunIdentity run_identity(const ModelConfig& config, const ScenarioRange& range, const std::string& portfolio_path) {
  RunIdentity identity;
  identity.program = std::string(program_version()) + " (" + git_commit() + ")";
  ModelConfig without_threads = config;
  without_threads.run.threads = 0;
  identity.config_text = config_to_toml(without_threads);
  identity.first_scenario = range.first;
  identity.scenarios = range.count;
  identity.steps = config.run.steps;
  identity.markets = static_cast<std::int64_t>(config.market_count());
  if (!portfolio_path.empty()) identity.inputs.push_back(identify_input_file("portfolio", portfolio_path));
  for (const ReplaySeries& replay : config.scenario.replays) {
    identity.inputs.push_back(identify_input_file("replay " + replay.market, replay.file));
  }
  return identity;
}

// What --accounts-out asks for, checked before the run: a file that is not the results file and
// does not exist (unless --force), at most --accounts-worst K of the scenarios run, and at most
// max_account_rows rows. UsageError otherwise, naming the figure.
void check_accounts_request(const RunOptions& options, const std::string& out_path, const ScenarioRange& range,
                            std::int64_t accounts) {
  if (options.accounts_out.empty()) return;
  if (std::filesystem::weakly_canonical(options.accounts_out) == std::filesystem::weakly_canonical(out_path)) {
    throw UsageError("--accounts-out " + options.accounts_out + " is the results file (--out): name another file");
  }
  if (!options.force && std::filesystem::exists(options.accounts_out)) {
    throw UsageError("--accounts-out " + options.accounts_out + ": the file exists; pass --force to overwrite it");
  }
  if (options.accounts_worst > range.count) {
    throw UsageError("--accounts-worst " + std::to_string(options.accounts_worst) + ": the run has only " +
                     std::to_string(range.count) + " scenario(s) to choose from");
  }
  const std::int64_t scenarios = options.accounts_worst > 0 ? options.accounts_worst : range.count;
  // Both at most 2^40 and 2^31, so the product fits.
  const std::int64_t rows = scenarios * accounts;
  if (rows > max_account_rows) {
    char size[32];
    std::snprintf(size, sizeof size, "%.0f MB", accounts_file_bytes(rows) / 1e6);
    throw UsageError("--accounts-out: " + std::to_string(scenarios) + " scenario(s) x " + std::to_string(accounts) +
                     " accounts would be " + std::to_string(rows) + " rows (about " + size +
                     " of CSV), above the limit of " + std::to_string(max_account_rows) +
                     " rows; limit the scenarios with --accounts-worst K or --scenario I-J");
  }
  check_output_path(options.accounts_out, options.force);
}

CheckpointStart checkpoint_start(const RunOptions& options) {
  if (options.resume) return CheckpointStart::resume;
  return options.force ? CheckpointStart::discard : CheckpointStart::fresh;
}

}  // namespace

void setup_run_command(CLI::App& app, RunOptions& options) {
  CLI::App* run = app.add_subcommand(
      "run", "Run a stress test: scenarios x portfolio x margin policy, summary on stdout, results in HDF5");
  add_config_option(run, options.config_paths, "default: the built-in default");
  run->add_option("-p,--portfolio", options.portfolio_path,
                  "portfolio HDF5 file (docs/results.md, 'Portfolio files'); default: the config's synthetic book")
      ->check(CLI::ExistingFile);
  run->add_option("-o,--out", options.out_path,
                  "results HDF5 file to write; default: margin-stress-results-<UTC time>.h5 in the working directory")
      ->check(hdf5_output_validator());
  add_summary_json_option(run, options.summary_json_path);
  add_run_override_options(run, options.run);
  run->add_option(
         "-b,--backend", options.backend,
         "engine: auto (CUDA when this build has it and a device is visible, else the CPU reference), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  run->add_option("--device", options.device,
                  "CUDA device ordinal; default 0, or over several MPI ranks the rank's order among the ranks on its "
                  "host (docs/cluster.md)")
      ->check(device_validator())
      ->each([&options](const std::string&) { options.device_chosen = true; });
  run->add_flag("-q,--quiet", options.quiet, "no progress bar and no summary table; print only the results path");
  run->add_flag("-f,--force", options.force,
                "overwrite the output file if it exists, and discard an unfinished run's checkpoint");
  run->add_flag("--resume", options.resume,
                "continue the unfinished run whose checkpoint is <out>.checkpoint (same inputs; docs/results.md)");
  run->add_option("--scenario", options.scenario_range,
                  "run only scenario I, or scenarios I-J (0-based, both included), bit for bit as in the whole run; "
                  "for drill-down into a scenario the summary or results file singled out");
  CLI::Option* accounts_out =
      run->add_option("--accounts-out", options.accounts_out,
                      "write every account's outcome in the scenarios run (or, with --accounts-worst, the worst "
                      "ones) to this CSV file, and their top contributors to bad debt and ADL to the summary and "
                      "the results file (docs/results.md, 'Accounts files'); refused above " +
                          std::to_string(max_account_rows) + " rows (scenarios x accounts)")
          ->type_name("FILE");
  run->add_option("--accounts-worst", options.accounts_worst,
                  "with --accounts-out: rerun alone, after the run, the K scenarios with the largest platform loss "
                  "(ties: the lower scenario number) and capture only those")
      ->type_name("K")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40))
      ->needs(accounts_out);
  run->add_option("--batch-scenarios", options.batch_scenarios,
                  "scenarios per checkpointed batch of a new run; default: about 1/32 of the run, at least 4 per "
                  "scenario the backend runs at once")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
  add_report_option(*run, options.report);
}

namespace {

// Everything a run sets up before it computes. The loaded book keeps references to the config, so
// a PreparedRun stays where it was made.
struct PreparedRun {
  ModelConfig config;
  ScenarioRange range;
  std::string out_path;
  Portfolio portfolio;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<LoadedBook> book;
  RunIdentity identity;
  std::unique_ptr<Checkpoint> checkpoint;  // rank 0's alone: the other ranks write nothing
  double book_seconds = 0.0;
};

// CPU threads per rank: the config's (or --threads), or by default the host's hardware threads
// shared among the ranks on it.
int threads_per_rank(int configured, const RankPlace& place) {
  if (configured > 0 || place.local_ranks == 1) return configured;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / place.local_ranks);
}

// The GPU of this rank: --device if given, else the rank's order among the ranks on its host,
// round-robin over the host's devices.
int device_of_rank(const RunOptions& options, Backend backend, const RankPlace& place) {
  if (options.device_chosen || place.local_ranks == 1 || backend == Backend::cpu) return options.device;
  return place.local_rank % std::max(1, cuda_device_count());
}

// A CRC-32 of everything in `identity` that decides the results, for the ranks to compare.
std::uint32_t identity_crc32(const RunIdentity& identity) {
  std::string text = identity.program + '\n' + identity.config_text + '\n' + std::to_string(identity.first_scenario) +
                     ' ' + std::to_string(identity.scenarios);
  for (const InputFileIdentity& input : identity.inputs) text += '\n' + input.role + ' ' + describe_input_file(input);
  return crc32_of(text.data(), text.size());
}

std::unique_ptr<PreparedRun> prepare_run(const RunOptions& options, const RankPlace& place, RunProvenance& provenance) {
  auto run = std::make_unique<PreparedRun>();
  ModelConfig& config = run->config;
  config = load_config_files(options.config_paths);
  options.run.apply(config);
  // The results file records the effective configuration, command-line overrides included.
  config.source_text = config_to_toml(config);
  validate_config(config);
  // The run keeps every scenario's paths and per-step series (the results file holds them all), the
  // book and the engine's copy of it: refuse up front, with the figures, a run the machine cannot
  // hold. A book from a file is counted once read, before the engine copies it.
  MemoryNeed need = scenario_memory(config);
  if (options.portfolio_path.empty()) {
    need.add(synthetic_run_memory(config));
  }
  check_memory(config, need, "lower portfolio.accounts, run.scenarios or run.steps");
  provenance.config_source = config.source_name;
  for (const std::string& path : options.config_paths) {
    provenance.config_layers +=
        (provenance.config_layers.empty() ? "" : "; ") + describe_input_file(identify_input_file("config", path));
  }
  provenance.scenario_source = describe_scenarios(config);
  provenance.seed = config.run.seed;
  run->range = scenario_range(options.scenario_range, config);
  provenance.first_scenario = run->range.first;

  run->out_path =
      options.out_path.empty() ? "margin-stress-results-" + utc_now("%Y%m%dT%H%M%SZ") + ".h5" : options.out_path;
  if (place.leads()) {
    check_output_path(run->out_path, options.force);  // fail before the run, not after it
    check_summary_json_path(options.summary_json_path, options.force);
    check_report_request(options.report, options.force);
    check_output_space(run->out_path, 2.0 * results_file_bytes(config), "the results file and its checkpoint");
  }

  const int threads = threads_per_rank(config.run.threads, place);
  const auto book_start = std::chrono::steady_clock::now();
  if (options.portfolio_path.empty()) {
    run->portfolio = generate_portfolio(config.portfolio, config.markets, threads, config.source_name);
    provenance.portfolio_source = "synthetic (config [portfolio], seed " + std::to_string(config.portfolio.seed) + ")";
  } else {
    run->portfolio = read_portfolio_file(options.portfolio_path);
    provenance.portfolio_source = options.portfolio_path;
    MemoryNeed with_book = scenario_memory(config);
    with_book.add(engine_memory(config, static_cast<double>(run->portfolio.account_count()),
                                static_cast<double>(run->portfolio.position_count())));
    check_memory(config, with_book,
                 "run a smaller book than " + options.portfolio_path + ", or lower run.scenarios or run.steps");
  }
  validate_portfolio(run->portfolio, config.markets, provenance.portfolio_source);
  record_book(provenance, config, run->portfolio);
  if (place.leads()) {
    check_accounts_request(options, run->out_path, run->range,
                           static_cast<std::int64_t>(run->portfolio.account_count()));
  }
  run->book_seconds = seconds_since(book_start);

  EngineOptions engine_options;
  engine_options.backend = backend_from_name(options.backend);
  engine_options.threads = threads;
  engine_options.device = device_of_rank(options, engine_options.backend, place);
  run->engine = make_engine(engine_options);
  provenance.backend = run->engine->name();
  if (place.ranks > 1) provenance.backend += " on each of " + std::to_string(place.ranks) + " ranks";
  run->book = run->engine->load(config, run->portfolio);

  run->identity = run_identity(config, run->range, options.portfolio_path);
  for (const InputFileIdentity& input : run->identity.inputs) {
    provenance.input_files +=
        (provenance.input_files.empty() ? "" : "; ") + input.role + " " + describe_input_file(input);
  }
  if (place.leads()) {
    const std::int64_t batch_scenarios =
        options.batch_scenarios > 0
            ? options.batch_scenarios
            : default_batch_scenarios(run->range.count, run->book->scenarios_in_parallel(), place.ranks);
    run->checkpoint =
        std::make_unique<Checkpoint>(run->out_path, run->identity, batch_scenarios, checkpoint_start(options));
  }
  return run;
}

}  // namespace

int run_command(const RunOptions& options, const std::string& command_line, const RankPlace& place) {
  const auto run_start = std::chrono::steady_clock::now();
  RunProvenance provenance;
  provenance.start_time_utc = utc_now("%Y-%m-%dT%H:%M:%SZ");
  provenance.program_version = program_version();
  provenance.git_commit = git_commit();
  provenance.command_line = command_line;

  // Every rank sets the run up; they go on together, or stop with one message.
  std::unique_ptr<PreparedRun> run;
  std::exception_ptr setup_failure;
  try {
    run = prepare_run(options, place, provenance);
  } catch (...) {
    setup_failure = std::current_exception();
  }
  agree_on_setup(place, setup_failure, run ? identity_crc32(run->identity) : 0);
  const ModelConfig& config = run->config;

  CheckpointedRunTimes times;
  BatchResults results;
  if (!place.leads()) {
    serve_distributed_run(*run->book, config, place);
    return 0;
  }
  Checkpoint& checkpoint = *run->checkpoint;
  if (options.resume) {
    std::fprintf(stderr, "margin-stress: resuming: %lld of %lld batches are done in %s\n",
                 static_cast<long long>(checkpoint.finished_batches()),
                 static_cast<long long>(checkpoint.batch_count()), checkpoint.directory().c_str());
  }
  for (std::int64_t batch = 0; batch < checkpoint.batch_count(); ++batch) {
    if (checkpoint.finished(batch)) provenance.resumed_scenarios += checkpoint.scenario_count(batch);
  }
  if (place.ranks == 1) {
    provenance.ranks = {RankRecord{place.host()}};
    results = run_checkpointed(*run->book, config, checkpoint, options.quiet, times, provenance.ranks[0]);
  } else {
    results = lead_distributed_run(*run->book, config, checkpoint, options.quiet, place, times, provenance.ranks);
  }

  RunSummary summary = summarize_run(results.scenarios, to_micro_usd(config.insurance_fund.initial_balance_usd));
  AccountCapture capture;
  if (!options.accounts_out.empty()) {
    const auto capture_start = std::chrono::steady_clock::now();
    capture = capture_accounts(*run->book, config, run->portfolio, results,
                               scenarios_to_capture(results, options.accounts_worst));
    times.engine_seconds += seconds_since(capture_start);
    summary.captured = capture.captured;
  }
  provenance.end_time_utc = utc_now("%Y-%m-%dT%H:%M:%SZ");
  provenance.wall_seconds = seconds_since(run_start);
  const auto write_start = std::chrono::steady_clock::now();
  write_results_file(run->out_path, options.force, provenance, config, results, summary);
  if (!options.accounts_out.empty()) write_accounts_file(options.accounts_out, options.force, capture.accounts);
  checkpoint.remove();
  const double write_seconds = seconds_since(write_start);

  const RunTimings timings{run->book_seconds, times.scenario_seconds, times.engine_seconds, write_seconds,
                           seconds_since(run_start)};
  std::FILE* table = table_stream(options.summary_json_path);
  if (options.quiet) {
    std::fprintf(table, "%s\n", run->out_path.c_str());
    if (!options.accounts_out.empty()) std::fprintf(table, "%s\n", options.accounts_out.c_str());
  } else {
    print_summary_table(table, config, provenance, summary, timings, run->out_path);
    if (!options.accounts_out.empty()) {
      print_account_capture(table, summary.captured, options.accounts_out,
                            capture.on_cpu_reference_instead ? capture.engine : std::string());
    }
  }
  write_summary_json(options.summary_json_path, options.force,
                     run_summary_json(config, options.config_paths, provenance, summary, timings, run->out_path));
  const int report_outcome = draw_requested_report(options.report, run->out_path, options.force);
  if (report_outcome != 0) return report_outcome;
  return summary.max_abs_conservation_residual_usd > 0.01 ? 1 : 0;
}

}  // namespace margin_stress
