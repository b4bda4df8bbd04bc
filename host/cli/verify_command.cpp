#include "host/cli/verify_command.hpp"

#include <chrono>
#include <cstdio>
#include <limits>
#include <memory>
#include <stdexcept>

#include "host/analysis/backend_difference.hpp"
#include "host/cli/config_option.hpp"
#include "host/cli/memory_check.hpp"
#include "host/engine/engine.hpp"
#include "host/io/config_file.hpp"
#include "host/io/portfolio_file.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/scenario_builder.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {
namespace {

BatchResults timed_run(Engine& engine, const ModelConfig& config, const Portfolio& portfolio,
                       const ScenarioPaths& paths, double& seconds) {
  const auto start = std::chrono::steady_clock::now();
  BatchResults results = engine.run(config, portfolio, paths, nullptr);
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return results;
}

}  // namespace

void setup_verify_command(CLI::App& app, VerifyOptions& options) {
  CLI::App* verify = app.add_subcommand("verify",
                                        "Run the same scenarios on the CPU reference and the CUDA engine and compare "
                                        "every metric (exit 4 on a mismatch)");
  add_config_option(verify, options.config_paths, "default: the built-in default");
  verify
      ->add_option("-p,--portfolio", options.portfolio_path,
                   "portfolio HDF5 file; default: the config's synthetic book")
      ->check(CLI::ExistingFile);
  add_run_override_options(verify, options.run);
  verify->add_option("--accounts", options.accounts, "accounts of the synthetic book (overrides portfolio.accounts)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{2147483647}));
  verify->add_option("--device", options.device, "CUDA device ordinal")->check(device_validator());
  verify
      ->add_option("--max-in-flight", options.max_in_flight,
                   "most scenarios resident on the device at once, 0 = as many as fit (a small value tests chunking)")
      ->check(CLI::Range(std::int64_t{0}, std::numeric_limits<std::int64_t>::max()));
}

int verify_command(const VerifyOptions& options) {
  ModelConfig config = load_config_files(options.config_paths);
  options.run.apply(config);
  if (options.accounts) config.portfolio.accounts = *options.accounts;
  validate_config(config);
  if (options.portfolio_path.empty()) {
    check_memory(config, synthetic_run_memory(config), "lower portfolio.accounts (--accounts)");
  }
  Portfolio portfolio = options.portfolio_path.empty() ? generate_portfolio(config.portfolio, config.markets,
                                                                            config.run.threads, config.source_name)
                                                       : read_portfolio_file(options.portfolio_path);
  validate_portfolio(portfolio, config.markets,
                     options.portfolio_path.empty() ? "synthetic book" : options.portfolio_path);
  const ScenarioPaths paths = build_scenarios(config, 0, config.run.scenarios);

  EngineOptions cuda_options;
  cuda_options.backend = Backend::cuda;
  cuda_options.device = options.device;
  cuda_options.max_scenarios_in_flight = options.max_in_flight;
  const std::unique_ptr<Engine> cuda_engine = make_engine(cuda_options);  // fails first if there is no device
  EngineOptions cpu_options;
  cpu_options.backend = Backend::cpu;
  cpu_options.threads = config.run.threads;
  const std::unique_ptr<Engine> cpu_engine = make_engine(cpu_options);

  double cpu_seconds = 0.0;
  double cuda_seconds = 0.0;
  const BatchResults reference = timed_run(*cpu_engine, config, portfolio, paths, cpu_seconds);
  const BatchResults candidate = timed_run(*cuda_engine, config, portfolio, paths, cuda_seconds);
  const auto positions = static_cast<std::int64_t>(portfolio.position_count());
  const BackendDifference difference = compare_backends(reference, candidate, positions);

  std::printf("margin-stress verify: %s against %s\n", cuda_engine->name().c_str(), cpu_engine->name().c_str());
  std::printf("  config      %s\n", config.source_name.c_str());
  std::printf("  book        %zu accounts, %zu positions, %zu markets\n", portfolio.account_count(),
              portfolio.position_count(), config.market_count());
  std::printf("  scenarios   %lld x %lld steps\n", static_cast<long long>(config.run.scenarios),
              static_cast<long long>(config.run.steps));
  std::printf("  wall time   cpu %.2f s, cuda %.2f s\n\n", cpu_seconds, cuda_seconds);
  std::printf("  %-34s %10s %12s %12s %12s %8s\n", "metric", "values", "max |diff|", "max rel", "allowed rel",
              "beyond");
  for (const MetricDifference& metric : difference.metrics) {
    std::printf("  %-34s %10lld %12.3g %12.3g %12.3g %8lld\n", metric.metric.c_str(),
                static_cast<long long>(metric.values), metric.max_absolute, metric.max_relative,
                metric.allowed_relative, static_cast<long long>(metric.beyond));
  }
  std::printf("\n  liquidation decisions differing: %lld (of %lld position liquidations)\n",
              static_cast<long long>(difference.liquidation_decisions_differing),
              static_cast<long long>(difference.liquidations));
  const bool pass = difference.within_tolerance();
  std::printf("  result: %s\n", pass ? "PASS: every metric within tolerance, decisions identical"
                                     : "FAIL: differences beyond tolerance (docs/model.md, \"The CUDA engine\")");
  return pass ? 0 : verify_mismatch_exit_code;
}

}  // namespace margin_stress
