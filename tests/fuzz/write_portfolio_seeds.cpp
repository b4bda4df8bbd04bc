// Writes the portfolio fuzzer's seeds: books of the built-in default generated as
// `margin-stress portfolio generate` makes them, small enough for libFuzzer to mutate.
//   write_portfolio_seeds <directory>
#include <cstdint>
#include <cstdio>
#include <string>

#include "host/io/config_file.hpp"
#include "host/io/portfolio_file.hpp"
#include "host/portfolio/generator.hpp"

int main(int argc, char** argv) {
  using namespace margin_stress;
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_portfolio_seeds <directory>\n");
    return 2;
  }
  ModelConfig config = default_config();
  for (const std::int64_t accounts : {1, 3, 20}) {
    config.portfolio.accounts = accounts;
    const Portfolio portfolio = generate_portfolio(config.portfolio, config.markets, 1, config.source_name);
    write_portfolio_file(std::string(argv[1]) + "/book-" + std::to_string(accounts) + ".h5", portfolio, true);
  }
  return 0;
}
