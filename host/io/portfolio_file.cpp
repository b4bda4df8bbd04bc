#include "host/io/portfolio_file.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "host/io/atomic_output.hpp"
#include "host/io/hdf5_handles.hpp"
#include "host/model/input_error.hpp"
#include "host/model/money.hpp"

namespace margin_stress {
namespace {

// Quantities are converted to double for notionals; beyond 2^53 lots that is no longer exact.
constexpr std::int64_t max_abs_quantity_lots = std::int64_t{1} << 53;

std::string row_text(std::size_t row) { return "row " + std::to_string(row) + " (0-based)"; }

std::string number_text(double value) {
  if (std::isnan(value)) return "nan";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

InputError row_error(const std::string& source, const char* dataset, std::size_t row, const std::string& what) {
  return InputError(source + ": " + dataset + " " + row_text(row) + ": " + what);
}

InputError market_index_error(const std::string& source, std::size_t row, std::int64_t value, std::size_t markets) {
  return row_error(source, "/positions/market_index", row,
                   std::to_string(value) + " is not a row of /markets/name (which has " + std::to_string(markets) +
                       " rows, 0.." + std::to_string(static_cast<std::int64_t>(markets) - 1) + ")");
}

// The lengths every other check relies on; read_portfolio_file checks them before reading.
void check_lengths(const std::string& source, std::size_t accounts, std::size_t offsets, std::size_t positions,
                   std::size_t quantities, std::size_t entry_prices) {
  if (offsets != accounts + 1) {
    throw InputError(source + ": /accounts/position_offset has " + std::to_string(offsets) + " rows; expected " +
                     std::to_string(accounts + 1) + ", one more than the " + std::to_string(accounts) +
                     " rows of /accounts/collateral_usd");
  }
  const auto check_position_length = [&](const char* dataset, std::size_t length) {
    if (length != positions) {
      throw InputError(source + ": " + dataset + " has " + std::to_string(length) + " rows; expected " +
                       std::to_string(positions) + ", as many as /positions/market_index");
    }
  };
  check_position_length("/positions/quantity_lots", quantities);
  check_position_length("/positions/entry_price_usd", entry_prices);
}

void check_format(const hdf5::File& file) {
  const std::string format = hdf5::read_string_attribute(file, "format");
  if (format != portfolio_file_format) {
    throw InputError(file.file_name() + ": root attribute 'format' is '" + format + "'; a portfolio file has '" +
                     portfolio_file_format + "' (docs/results.md, \"Portfolio files\")");
  }
  const std::int64_t version = hdf5::read_int64_attribute(file, "format_version");
  if (version != portfolio_file_format_version) {
    throw InputError(file.file_name() + ": root attribute 'format_version' is " + std::to_string(version) +
                     "; this program reads version " + std::to_string(portfolio_file_format_version));
  }
}

// For each market name of the portfolio, its index among the configuration's markets.
std::vector<std::int32_t> config_market_indices(const std::vector<std::string>& names,
                                                const std::vector<MarketSpec>& markets, const std::string& source) {
  std::unordered_map<std::string, std::int32_t> config_index;
  std::string config_names;
  for (std::size_t m = 0; m < markets.size(); ++m) {
    config_index.emplace(markets[m].name, static_cast<std::int32_t>(m));
    config_names += (m == 0 ? "" : ", ") + markets[m].name;
  }
  std::unordered_map<std::string, std::size_t> first_row;
  std::vector<std::int32_t> indices(names.size());
  for (std::size_t row = 0; row < names.size(); ++row) {
    const auto [previous, inserted] = first_row.emplace(names[row], row);
    if (!inserted) {
      throw row_error(
          source, "/markets/name", row,
          "'" + names[row] + "' repeats row " + std::to_string(previous->second) + "; market names must be unique");
    }
    const auto found = config_index.find(names[row]);
    if (found == config_index.end()) {
      throw row_error(source, "/markets/name", row,
                      "'" + names[row] + "' is not a market of the configuration (" + config_names + ")");
    }
    indices[row] = found->second;
  }
  return indices;
}

void check_collateral(const std::vector<double>& collateral_usd, const std::string& source) {
  for (std::size_t row = 0; row < collateral_usd.size(); ++row) {
    const double value = collateral_usd[row];
    if (!(std::isfinite(value) && value >= 0.0 && value <= max_money_usd)) {
      throw row_error(source, "/accounts/collateral_usd", row,
                      number_text(value) + " is not a finite amount in [0, " + number_text(max_money_usd) + "] USD");
    }
  }
}

void check_offsets(const std::vector<std::int64_t>& offsets, std::size_t positions, const std::string& source) {
  if (offsets[0] != 0) {
    throw row_error(source, "/accounts/position_offset", 0,
                    std::to_string(offsets[0]) + "; the first offset must be 0");
  }
  for (std::size_t row = 1; row < offsets.size(); ++row) {
    if (offsets[row] < offsets[row - 1]) {
      throw row_error(source, "/accounts/position_offset", row,
                      std::to_string(offsets[row]) + " is less than the previous row's " +
                          std::to_string(offsets[row - 1]) + "; offsets must be non-decreasing");
    }
  }
  const std::size_t last = offsets.size() - 1;
  if (offsets[last] != static_cast<std::int64_t>(positions)) {
    throw row_error(source, "/accounts/position_offset", last,
                    std::to_string(offsets[last]) + "; the last offset must equal the number of positions, " +
                        std::to_string(positions) + " (the rows of /positions/market_index)");
  }
}

void check_positions(const Portfolio& portfolio, const std::string& source) {
  const std::size_t markets = portfolio.market_names.size();
  for (std::size_t row = 0; row < portfolio.position_count(); ++row) {
    const std::int32_t market = portfolio.market_index[row];
    if (market < 0 || static_cast<std::size_t>(market) >= markets) {
      throw market_index_error(source, row, market, markets);
    }
    const std::int64_t quantity = portfolio.quantity_lots[row];
    if (quantity == 0 || quantity > max_abs_quantity_lots || quantity < -max_abs_quantity_lots) {
      throw row_error(source, "/positions/quantity_lots", row,
                      std::to_string(quantity) + " is not a non-zero number of lots with |quantity| <= 2^53");
    }
    const double entry_price = portfolio.entry_price_usd[row];
    if (!(std::isfinite(entry_price) && entry_price > 0.0)) {
      throw row_error(source, "/positions/entry_price_usd", row,
                      number_text(entry_price) + " is not a positive finite number");
    }
  }
}

// One position per market per account, and a book the fixed-point money range can hold: the
// engines sum cash (collateral less cost basis) over all accounts, so the book's total collateral
// plus notional at entry must stay within max_money_usd (docs/model.md, section 1).
// Needs check_offsets and check_positions first (offsets and indices are trusted here).
void check_accounts(const Portfolio& portfolio, const std::vector<std::int32_t>& config_index,
                    const std::vector<MarketSpec>& markets, const std::string& source) {
  // For each config market, the last account seen holding it and that position's row.
  std::vector<std::size_t> holder_account(markets.size(), portfolio.account_count());
  std::vector<std::size_t> holder_row(markets.size(), 0);
  double book_total_usd = 0.0;
  for (std::size_t account = 0; account < portfolio.account_count(); ++account) {
    const auto begin = static_cast<std::size_t>(portfolio.position_offset[account]);
    const auto end = static_cast<std::size_t>(portfolio.position_offset[account + 1]);
    double notional_usd = 0.0;
    for (std::size_t row = begin; row < end; ++row) {
      const auto market = static_cast<std::size_t>(config_index[static_cast<std::size_t>(portfolio.market_index[row])]);
      if (holder_account[market] == account) {
        throw row_error(source, "/positions/market_index", row,
                        "account " + row_text(account) + " already holds market '" + markets[market].name +
                            "' at row " + std::to_string(holder_row[market]) +
                            "; an account holds at most one position per market");
      }
      holder_account[market] = account;
      holder_row[market] = row;
      notional_usd += static_cast<double>(std::abs(portfolio.quantity_lots[row])) * markets[market].lot_size *
                      portfolio.entry_price_usd[row];
    }
    if (!(notional_usd <= max_money_usd)) {
      throw row_error(source, "/accounts/position_offset", account,
                      "the account's notional at entry (positions " + std::to_string(begin) + ".." +
                          std::to_string(end - 1) + ", sum of |quantity_lots| * lot_size * entry_price_usd) is " +
                          number_text(notional_usd) + " USD; the maximum is " + number_text(max_money_usd) + " USD");
    }
    book_total_usd += portfolio.collateral_usd[account] + notional_usd;
  }
  if (!(book_total_usd <= max_money_usd)) {
    throw InputError(source + ": the book's collateral plus notional at entry, summed over all accounts, is " +
                     number_text(book_total_usd) + " USD; the fixed-point money range allows at most " +
                     number_text(max_money_usd) + " USD");
  }
}

}  // namespace

Portfolio read_portfolio_file(const std::string& path) {
  const hdf5::File file = hdf5::open_file_read_only(path);
  check_format(file);
  const hdf5::Group markets = hdf5::open_group(file, "markets");
  const hdf5::Group accounts = hdf5::open_group(file, "accounts");
  const hdf5::Group positions = hdf5::open_group(file, "positions");
  const hdf5::Dataset names = hdf5::open_dataset(markets, "name");
  const hdf5::Dataset collateral = hdf5::open_dataset(accounts, "collateral_usd");
  const hdf5::Dataset offsets = hdf5::open_dataset(accounts, "position_offset");
  const hdf5::Dataset market_index = hdf5::open_dataset(positions, "market_index");
  const hdf5::Dataset quantity = hdf5::open_dataset(positions, "quantity_lots");
  const hdf5::Dataset entry_price = hdf5::open_dataset(positions, "entry_price_usd");
  // One at a time, so that the first refused dataset is the same whatever order a compiler
  // evaluates arguments in.
  const std::size_t account_count = hdf5::vector_length(collateral);
  const std::size_t offset_count = hdf5::vector_length(offsets);
  const std::size_t position_count = hdf5::vector_length(market_index);
  const std::size_t quantity_count = hdf5::vector_length(quantity);
  const std::size_t entry_price_count = hdf5::vector_length(entry_price);
  check_lengths(path, account_count, offset_count, position_count, quantity_count, entry_price_count);

  Portfolio portfolio;
  portfolio.market_names = hdf5::read_string_vector(names);
  portfolio.collateral_usd = hdf5::read_float64_vector(collateral);
  portfolio.position_offset = hdf5::read_int64_vector(offsets);
  const std::vector<std::int64_t> wide_market_index = hdf5::read_int64_vector(market_index);
  portfolio.market_index.reserve(wide_market_index.size());
  for (std::size_t row = 0; row < wide_market_index.size(); ++row) {
    const std::int64_t value = wide_market_index[row];
    if (value < 0 || value > std::numeric_limits<std::int32_t>::max()) {
      throw market_index_error(path, row, value, portfolio.market_names.size());
    }
    portfolio.market_index.push_back(static_cast<std::int32_t>(value));
  }
  portfolio.quantity_lots = hdf5::read_int64_vector(quantity);
  portfolio.entry_price_usd = hdf5::read_float64_vector(entry_price);
  return portfolio;
}

void write_portfolio_file(const std::string& path, const Portfolio& portfolio, bool overwrite) {
  const std::size_t positions = portfolio.position_count();
  if (portfolio.position_offset.size() != portfolio.account_count() + 1 || portfolio.market_index.size() != positions ||
      portfolio.entry_price_usd.size() != positions) {
    throw std::invalid_argument(path + ": inconsistent portfolio: " + std::to_string(portfolio.account_count()) +
                                " accounts, " + std::to_string(portfolio.position_offset.size()) + " offsets, " +
                                std::to_string(portfolio.market_index.size()) + " market indices, " +
                                std::to_string(positions) + " quantities, " +
                                std::to_string(portfolio.entry_price_usd.size()) + " entry prices");
  }
  write_atomically(path, overwrite, [&](const std::string& temporary_path) {
    hdf5::File file = hdf5::create_file(temporary_path, path);
    hdf5::write_string_attribute(file, "format", portfolio_file_format);
    hdf5::write_scalar_attribute<std::int32_t>(file, "format_version", portfolio_file_format_version);
    {
      const hdf5::Group markets = hdf5::create_group(file, "markets");
      hdf5::write_strings(markets, "name", portfolio.market_names);
      const hdf5::Group accounts = hdf5::create_group(file, "accounts");
      hdf5::write_vector(accounts, "collateral_usd", portfolio.collateral_usd);
      hdf5::write_vector(accounts, "position_offset", portfolio.position_offset);
      const hdf5::Group position_group = hdf5::create_group(file, "positions");
      hdf5::write_vector(position_group, "market_index", portfolio.market_index);
      hdf5::write_vector(position_group, "quantity_lots", portfolio.quantity_lots);
      hdf5::write_vector(position_group, "entry_price_usd", portfolio.entry_price_usd);
    }
    hdf5::close_file(file);
  });
}

void validate_portfolio(Portfolio& portfolio, const std::vector<MarketSpec>& markets, const std::string& source_name) {
  check_lengths(source_name, portfolio.account_count(), portfolio.position_offset.size(), portfolio.market_index.size(),
                portfolio.quantity_lots.size(), portfolio.entry_price_usd.size());
  const std::vector<std::int32_t> config_index = config_market_indices(portfolio.market_names, markets, source_name);
  check_collateral(portfolio.collateral_usd, source_name);
  check_offsets(portfolio.position_offset, portfolio.position_count(), source_name);
  check_positions(portfolio, source_name);
  check_accounts(portfolio, config_index, markets, source_name);

  for (std::int32_t& market : portfolio.market_index) market = config_index[static_cast<std::size_t>(market)];
  portfolio.market_names.clear();
  for (const MarketSpec& market : markets) portfolio.market_names.push_back(market.name);
}

}  // namespace margin_stress
