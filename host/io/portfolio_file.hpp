// Portfolio files: a book of accounts and positions in HDF5 (schema in docs/results.md,
// "Portfolio files"), and the check every portfolio passes before an engine sees it.
#pragma once

#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/portfolio.hpp"

namespace margin_stress {

// Value of the root attribute `format`, which tells a portfolio file from a results file.
inline constexpr const char* portfolio_file_format = "margin-stress portfolio";
inline constexpr int portfolio_file_format_version = 1;

// Reads a portfolio file. Checks its format attributes and that every dataset exists, is 1-D, has
// the right type class (float for *_usd, integer for the rest, strings for names) and the length
// the others imply, before reading it; values are checked by validate_portfolio. The result's
// market_names are the file's, in the file's order. Throws InputError naming the file and dataset
// (a missing file or a file that is not HDF5 included).
Portfolio read_portfolio_file(const std::string& path);

// Writes `portfolio` atomically (host/io/atomic_output.hpp): InputError if `path` exists and
// `overwrite` is false. Values are written as they are (validate_portfolio checks them on the way
// in); std::invalid_argument if the array lengths are inconsistent.
void write_portfolio_file(const std::string& path, const Portfolio& portfolio, bool overwrite);

// Checks every field and row of `portfolio` against the configuration's markets and maps it onto
// them. Requires: market names unique and each one a market of `markets`; collateral finite, in
// [0, max_money_usd]; position_offset of accounts + 1 entries, first 0, non-decreasing, last the
// number of positions; every market index a row of market_names; quantities non-zero with
// |q| <= 2^53; entry prices finite and > 0; at most one position per market in an account; each
// account's notional at entry (sum of |q| * lot_size * entry price) <= max_money_usd.
// On success market_index refers to `markets` and market_names equals their names in config
// order; on failure it throws InputError (naming `source_name`, the dataset, the 0-based row and
// the value) and leaves `portfolio` unchanged.
void validate_portfolio(Portfolio& portfolio, const std::vector<MarketSpec>& markets, const std::string& source_name);

}  // namespace margin_stress
