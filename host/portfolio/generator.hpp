// The synthetic book (docs/model.md, "Synthetic portfolios"): Pareto-distributed account sizes,
// single-market and cross-margin accounts, markets chosen by open-interest share, sides by long
// fraction, leverage from a bracket mix, and collateral that puts every account at or above its
// initial margin at step 0.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/portfolio.hpp"

namespace margin_stress {

// Checks a [portfolio] section against `markets` markets; throws InputError naming source_name,
// the field (portfolio.<field>, with the row for per-market and per-bracket arrays, 0-based), the
// value and the allowed range, e.g. "config.toml: portfolio.pareto_alpha: 0 is not a finite number > 0".
void validate_generator_params(const PortfolioGeneratorParams& params, std::size_t markets,
                               const std::string& source_name);

// An account holds one position, or on cross margin 2 or 3 (docs/model.md, "Synthetic portfolios").
inline constexpr std::size_t max_positions_per_account = 3;

// The most positions generate_portfolio can make from `params` (validated): accounts times the
// positions an account can hold in the markets with open interest. For a memory check before the
// book is made.
double max_generated_positions(const PortfolioGeneratorParams& params);

// Generates params.accounts accounts over `markets` (in config order). Account a is drawn from
// Philox keyed by params.seed with its own counters (scenarios/rng.hpp), so it can be regenerated
// alone and the book is the same for any thread count. threads: worker threads, 0 for all
// hardware threads.
// Preconditions: validate_generator_params passed; every market has initial_price_usd > 0,
// lot_size > 0 and 0 < initial_margin_fraction <= 1, and the largest lot count,
// max_notional_usd / (lot_size * initial_price_usd * exp(-8.7 * entry_price_spread)), is below
// 9e18 (Box-Muller normals from 53-bit uniforms never exceed 8.7 in magnitude).
// Throws InputError naming source_name (the config file) and the keys to change when the book
// leaves the engines' money range (docs/model.md, section 1): an account whose notional at entry or
// whose collateral exceeds max_money_usd (host/model/money.hpp), or a book whose collateral plus
// notional summed over all accounts does, so that every book it returns passes validate_portfolio.
Portfolio generate_portfolio(const PortfolioGeneratorParams& params, const std::vector<MarketSpec>& markets,
                             int threads = 0, const std::string& source_name = "config");

}  // namespace margin_stress
