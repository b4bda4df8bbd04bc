// Throughput of the engines (figures are reported, never asserted; bench/RESULTS.md keeps them).
//
//   margin-stress-bench                       1M and 10M positions on every backend this machine has
//   margin-stress-bench --positions 1000000 --backend cpu --scenarios 4 --steps 24
//   margin-stress-bench --reference-workload  10M positions x 1,000 scenarios x 288 five-minute steps
//   margin-stress-bench --reference-workload --reference-scenarios 206 --profile
//                                             a part of it, its time projected to 1,000 scenarios,
//                                             and where the CUDA engine's time went
//
// Per backend and book size: position-steps per second (a position in a scenario for one step),
// position-evaluations per second (cascade rounds included: every round scans every position, and
// a step ends with a scan that finds no one), and on CUDA the evaluation pass alone: its time,
// the bytes it must read, the bandwidth that is, and its ratio to the device's peak.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "host/analysis/summary.hpp"
#include "host/engine/engine.hpp"
#include "host/io/config_file.hpp"
#include "host/io/results_file.hpp"
#include "host/portfolio/generator.hpp"
#include "kernels/cuda_engine.hpp"
#include "kernels/evaluation_pass.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The engine a run times; a CUDA engine records where its time goes into `profile` when given.
std::unique_ptr<Engine> bench_engine(Backend backend, int threads, int device,
                                     [[maybe_unused]] CudaRunProfile* profile) {
#ifdef MARGIN_STRESS_HAVE_CUDA
  if (backend != Backend::cpu && profile != nullptr && cuda_device_count() > 0) {
    return make_cuda_engine(device, 0, profile);
  }
#endif
  EngineOptions options;
  options.backend = backend;
  options.threads = threads;
  options.device = device;
  return make_engine(options);
}

void print_seconds(const char* title, const std::map<std::string, double>& seconds) {
  std::vector<std::pair<double, std::string>> rows;
  for (const auto& [name, value] : seconds) rows.emplace_back(value, name);
  std::sort(rows.rbegin(), rows.rend());
  std::printf("  %s\n", title);
  for (const auto& [value, name] : rows) std::printf("    %-44s %9.3f s\n", name.c_str(), value);
}

void print_profile(const CudaRunProfile& profile) {
  print_seconds("where the lanes' time went (both lanes' seconds added)", profile.phase_seconds);
  print_seconds("of which waiting for the device, by wait", profile.wait_seconds);
}

// The default model with a synthetic book of about `positions` positions (the generator makes
// about 1.38 positions per account).
ModelConfig bench_config(std::int64_t positions, std::int64_t scenarios, std::int64_t steps, int threads) {
  ModelConfig config = default_config();
  config.portfolio.accounts =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(positions) / 1.376));
  config.run.scenarios = scenarios;
  config.run.steps = steps;
  config.run.threads = threads;
  validate_config(config);
  return config;
}

struct Measurement {
  double seconds = 0.0;
  double position_steps = 0.0;
  double position_evaluations = 0.0;
};

Measurement measure(Engine& engine, const ModelConfig& config, const Portfolio& book, const ScenarioPaths& paths) {
  const auto start = std::chrono::steady_clock::now();
  const BatchResults results = engine.run(config, book, paths, nullptr);
  Measurement measurement;
  measurement.seconds = seconds_since(start);
  std::int64_t scans = 0;
  for (const std::int32_t rounds : results.series.cascade_rounds) scans += rounds + 1;
  const auto positions = static_cast<double>(book.position_count());
  measurement.position_steps = positions * static_cast<double>(paths.scenarios * paths.steps);
  measurement.position_evaluations = positions * static_cast<double>(scans);
  return measurement;
}

void bench_backend(Backend backend, std::int64_t positions, std::int64_t scenarios, std::int64_t steps, int threads,
                   int device, bool profiled) {
  const ModelConfig config = bench_config(positions, scenarios, steps, threads);
  const Portfolio book = generate_portfolio(config.portfolio, config.markets, threads);
  const ScenarioPaths paths = build_scenarios(config, 0, scenarios);
  CudaRunProfile profile;
  const std::unique_ptr<Engine> engine = bench_engine(backend, threads, device, profiled ? &profile : nullptr);
  const Measurement m = measure(*engine, config, book, paths);
  std::printf("\n%s, %zu positions (%zu accounts), %lld scenarios x %lld steps\n", engine->name().c_str(),
              book.position_count(), book.account_count(), static_cast<long long>(scenarios),
              static_cast<long long>(steps));
  std::printf("  wall time                    %.3f s\n", m.seconds);
  std::printf("  position-steps/s             %.3e\n", m.position_steps / m.seconds);
  std::printf("  position-evaluations/s       %.3e (%.2f scans per step)\n", m.position_evaluations / m.seconds,
              m.position_evaluations / m.position_steps);
#ifdef MARGIN_STRESS_HAVE_CUDA
  if (backend == Backend::cuda) {
    const CudaDeviceInfo info = cuda_device_info(device);
    const EvaluationPassTiming pass = time_evaluation_pass(config, book, paths, device, scenarios, 10);
    const double bandwidth = pass.bytes_per_pass / pass.seconds_per_pass;
    std::printf("  evaluation pass (%lld scenarios per read of the book)\n", static_cast<long long>(pass.scenarios));
    std::printf("    time per pass              %.3f ms\n", pass.seconds_per_pass * 1e3);
    std::printf("    position-evaluations/s     %.3e\n", pass.position_evaluations_per_pass / pass.seconds_per_pass);
    std::printf("    bytes read (least)         %.3e, %.1f GB/s = %.1f%% of the %.0f GB/s peak\n", pass.bytes_per_pass,
                bandwidth / 1e9, 100.0 * bandwidth / info.peak_bandwidth_bytes_per_second,
                info.peak_bandwidth_bytes_per_second / 1e9);
    std::printf("    naive floor (re-read per scenario) %.3f ms; tiled floor %.3f ms at peak bandwidth\n",
                1e3 * pass.naive_bytes_per_pass / info.peak_bandwidth_bytes_per_second,
                1e3 * pass.bytes_per_pass / info.peak_bandwidth_bytes_per_second);
    if (profiled) print_profile(profile);
  }
#endif
}

// The overnight reference: 10M positions, 1,000 scenarios, one day at 5-minute steps, end to end
// (scenario generation, the engine with its transfers, the results file). With fewer scenarios, the
// time is also projected to 1,000 (tiles of scenarios are independent, so the time grows with
// their number).
void reference_workload(std::int64_t scenarios, int threads, int device, bool profiled) {
  ModelConfig config = bench_config(10000000, scenarios, 288, threads);
  config.run.step_seconds = 300.0;  // the default's per-step transition probabilities are kept
  validate_config(config);
  const Portfolio book = generate_portfolio(config.portfolio, config.markets, threads);
  const auto start = std::chrono::steady_clock::now();
  const ScenarioPaths paths = build_scenarios(config, 0, config.run.scenarios);
  const double scenario_seconds = seconds_since(start);
  CudaRunProfile profile;
  const std::unique_ptr<Engine> engine =
      bench_engine(Backend::automatic, threads, device, profiled ? &profile : nullptr);
  const auto engine_start = std::chrono::steady_clock::now();
  // Progress after each tile, so a run stopped by a time limit still tells its rate (the CUDA
  // engine's lanes call it from their own threads).
  std::mutex progress_mutex;
  const ProgressCallback progress = [&](std::int64_t done) {
    const std::lock_guard<std::mutex> lock(progress_mutex);
    std::printf("  %lld scenarios done after %.1f s\n", static_cast<long long>(done), seconds_since(engine_start));
  };
  const BatchResults results = engine->run(config, book, paths, progress);
  const double engine_seconds = seconds_since(engine_start);
  const auto write_start = std::chrono::steady_clock::now();
  RunProvenance provenance;
  provenance.backend = engine->name();
  const std::string out = (std::filesystem::temp_directory_path() / "margin-stress-reference-workload.h5").string();
  write_results_file(out, true, provenance, config, results,
                     summarize_run(results.scenarios, to_micro_usd(config.insurance_fund.initial_balance_usd)));
  const double write_seconds = seconds_since(write_start);
  std::filesystem::remove(out);
  std::int64_t scans = 0;
  for (const std::int32_t rounds : results.series.cascade_rounds) scans += rounds + 1;
  const double total_seconds = scenario_seconds + engine_seconds + write_seconds;
  std::printf("\nreference workload on %s: %zu positions, %lld scenarios x 288 steps of 300 s\n",
              engine->name().c_str(), book.position_count(), static_cast<long long>(scenarios));
  std::printf("  scenario generation          %.2f s\n", scenario_seconds);
  std::printf("  engine (transfers included)  %.2f s (%.2f scans per step)\n", engine_seconds,
              static_cast<double>(scans) / (static_cast<double>(scenarios) * 288.0));
  std::printf("  results file                 %.2f s\n", write_seconds);
  std::printf("  end to end                   %.2f s (target on one H100 for 1,000 scenarios: under 60 s)\n",
              total_seconds);
  if (scenarios != 1000) {
    std::printf("  projected to 1,000 scenarios %.2f s\n", total_seconds * 1000.0 / static_cast<double>(scenarios));
  }
  if (profiled) print_profile(profile);
}

}  // namespace
}  // namespace margin_stress

int main(int argc, char** argv) {
  using namespace margin_stress;
  std::vector<std::int64_t> sizes = {1000000, 10000000};
  std::string backend = "all";
  std::int64_t scenarios = 0;
  std::int64_t steps = 96;
  int threads = 0;
  int device = 0;
  bool reference = false;
  std::int64_t reference_scenarios = 1000;
  bool profiled = false;
  CLI::App app{"margin-stress engine throughput on the built-in default model"};
  app.add_option("--positions", sizes, "book sizes (positions), one run each")->check(CLI::PositiveNumber);
  app.add_option("--backend", backend, "cpu, cuda or all (those this machine has)")
      ->check(CLI::IsMember({"cpu", "cuda", "all"}));
  app.add_option("--scenarios", scenarios, "scenarios per run; 0: 8 on the CPU, 256 on CUDA")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--steps", steps, "steps per scenario")->check(CLI::Range(std::int64_t{1}, std::int64_t{100000}));
  app.add_option("--threads", threads, "CPU worker threads, 0 = all cores")->check(CLI::Range(0, 4096));
  app.add_option("--device", device, "CUDA device ordinal")->check(CLI::NonNegativeNumber);
  app.add_flag("--reference-workload", reference, "also time the overnight reference workload (needs a GPU)");
  app.add_option("--reference-scenarios", reference_scenarios,
                 "scenarios of the reference workload to run (its time is projected to 1,000)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000}));
  app.add_flag("--profile", profiled, "after each CUDA run, where its time went, by phase of a step and by wait");
  CLI11_PARSE(app, argc, argv);
  // Line-buffered even into a file: a run stopped by a time limit keeps the figures printed so far.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  try {
    const bool has_cuda = cuda_device_count() > 0;
    for (const std::int64_t positions : sizes) {
      if (backend != "cuda") {
        bench_backend(Backend::cpu, positions, scenarios > 0 ? scenarios : 8, steps, threads, device, false);
      }
      if (backend != "cpu" && has_cuda) {
        bench_backend(Backend::cuda, positions, scenarios > 0 ? scenarios : 256, steps, threads, device, profiled);
      }
    }
    if (backend != "cpu" && !has_cuda)
      std::printf("\ncuda: no CUDA device visible (or no CUDA in this build); skipped\n");
    if (reference) {
      if (has_cuda) {
        reference_workload(reference_scenarios, threads, device, profiled);
      } else {
        std::fprintf(stderr, "margin-stress-bench: the reference workload needs a CUDA device, and none is visible\n");
        return 1;
      }
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "margin-stress-bench: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
