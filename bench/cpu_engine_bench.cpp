// Throughput of the CPU reference engine: position-evaluations per second, cascade rounds included
// (every round scans every position once, and a step always ends with one scan that finds no
// liquidatable account). Figures are reported, never asserted.
//
//   build/bench/margin-stress-bench --accounts 100000 --scenarios 16 --steps 96 --threads 2
#include <chrono>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "host/engine/cpu/cpu_engine.hpp"
#include "host/io/config_file.hpp"
#include "host/model/validate_config.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"

int main(int argc, char** argv) {
  using namespace margin_stress;
  std::int64_t accounts = 100000;
  std::int64_t scenarios = 16;
  std::int64_t steps = 96;
  int threads = 0;
  CLI::App app{"CPU reference engine throughput on the built-in default model"};
  app.add_option("--accounts", accounts, "accounts in the synthetic book")->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 31));
  app.add_option("--scenarios", scenarios, "scenarios")->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 31));
  app.add_option("--steps", steps, "steps per scenario")->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
  app.add_option("--threads", threads, "worker threads, 0 = all cores")->check(CLI::Range(0, 4096));
  CLI11_PARSE(app, argc, argv);

  ModelConfig config = default_config();
  config.portfolio.accounts = accounts;
  config.run.scenarios = scenarios;
  config.run.steps = steps;
  config.run.threads = threads;
  validate_config(config);
  const Portfolio book = generate_portfolio(config.portfolio, config.markets, threads);
  const ScenarioPaths paths = build_scenarios(config, 0, scenarios);
  const std::unique_ptr<Engine> engine = make_cpu_engine(threads);

  const auto start = std::chrono::steady_clock::now();
  const BatchResults results = engine->run(config, book, paths, nullptr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::int64_t scans = 0;
  for (const std::int32_t rounds : results.series.cascade_rounds) scans += rounds + 1;
  const double position_steps = static_cast<double>(book.position_count()) * static_cast<double>(scenarios * steps);
  const double position_evaluations = static_cast<double>(book.position_count()) * static_cast<double>(scans);
  std::printf("backend                 %s\n", engine->name().c_str());
  std::printf("book                    %zu accounts, %zu positions\n", book.account_count(), book.position_count());
  std::printf("work                    %lld scenarios x %lld steps, %.2f scans per step\n",
              static_cast<long long>(scenarios), static_cast<long long>(steps),
              static_cast<double>(scans) / static_cast<double>(scenarios * steps));
  std::printf("wall time               %.3f s\n", seconds);
  std::printf("position-steps/s        %.3e\n", position_steps / seconds);
  std::printf("position-evaluations/s  %.3e (cascade rounds included)\n", position_evaluations / seconds);
  return 0;
}
