#include "host/cli/portfolio_command.hpp"

#include <cstdio>

#include "host/cli/config_option.hpp"
#include "host/cli/memory_check.hpp"
#include "host/cli/run_overrides.hpp"
#include "host/cli/size_limits.hpp"
#include "host/io/config_file.hpp"
#include "host/io/portfolio_file.hpp"
#include "host/portfolio/generator.hpp"
#include "scenarios/validate_config.hpp"

namespace margin_stress {

void setup_portfolio_command(CLI::App& app, PortfolioGenerateOptions& options) {
  CLI::App* portfolio = app.add_subcommand("portfolio", "Portfolio files");
  portfolio->require_subcommand(1);
  CLI::App* generate = portfolio->add_subcommand(
      "generate", "Generate the synthetic book of a config ([portfolio] and [[markets]]) into an HDF5 portfolio file");
  add_config_option(generate, options.config_paths, "default: the built-in default");
  generate->add_option("-o,--out", options.out_path, "portfolio HDF5 file to write")
      ->required()
      ->check(hdf5_output_validator());
  generate->add_option("-a,--accounts", options.accounts, "number of accounts (overrides portfolio.accounts)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{2147483647}));
  generate->add_option("-s,--seed", options.seed, "portfolio seed (overrides portfolio.seed)")->check(seed_validator());
  generate->add_flag("-f,--force", options.force, "overwrite the output file if it exists");
  generate->add_flag("-q,--quiet", options.quiet, "print nothing but errors");
}

int portfolio_generate_command(const PortfolioGenerateOptions& options) {
  ModelConfig config = load_config_files(options.config_paths);
  if (options.accounts) config.portfolio.accounts = *options.accounts;
  apply_size_limits(config);
  if (options.seed) config.portfolio.seed = *options.seed;
  validate_config(config);
  check_memory(config, synthetic_book_memory(config), "lower portfolio.accounts (--accounts)");
  const Portfolio portfolio =
      generate_portfolio(config.portfolio, config.markets, config.run.threads, config.source_name);
  write_portfolio_file(options.out_path, portfolio, options.force);
  if (!options.quiet) {
    std::printf("wrote %zu accounts, %zu positions in %zu markets to %s\n", portfolio.account_count(),
                portfolio.position_count(), portfolio.market_names.size(), options.out_path.c_str());
  }
  return 0;
}

}  // namespace margin_stress
