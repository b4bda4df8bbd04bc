// `margin-stress portfolio generate`: write the config's synthetic book to an HDF5 portfolio file,
// to inspect it, edit it, or run many policies on one fixed book.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace margin_stress {

struct PortfolioGenerateOptions {
  std::vector<std::string> config_paths;  // layers over the built-in default; empty: the default
  std::string out_path;
  std::optional<std::int64_t> accounts;
  std::optional<std::uint64_t> seed;
  bool force = false;
  bool quiet = false;
};

void setup_portfolio_command(CLI::App& app, PortfolioGenerateOptions& options);
int portfolio_generate_command(const PortfolioGenerateOptions& options);

}  // namespace margin_stress
