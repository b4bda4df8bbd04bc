#include "host/engine/book.hpp"

#include "host/model/formulas/valuation.hpp"

namespace margin_stress {

Book make_book(const ModelConfig& config, const Portfolio& portfolio) {
  Book book;
  book.accounts = static_cast<std::int64_t>(portfolio.account_count());
  book.positions = static_cast<std::int64_t>(portfolio.position_count());
  book.markets = static_cast<std::int64_t>(config.market_count());
  book.position_offset = portfolio.position_offset;
  book.position_market = portfolio.market_index;
  book.entry_price_usd = portfolio.entry_price_usd;
  book.initial_quantity = portfolio.quantity_lots;
  for (const MarketSpec& market : config.markets) {
    book.lot_size.push_back(market.lot_size);
    book.margin_brackets.push_back(formulas::make_margin_brackets(market.margin_tiers));
    book.scales_with_open_interest = book.scales_with_open_interest || market.open_interest_upper_cap_usd > 0.0;
    book.per_position_margins = book.per_position_margins || formulas::has_per_position_requirements(market);
  }

  book.position_account.resize(static_cast<std::size_t>(book.positions));
  book.initial_cash.resize(static_cast<std::size_t>(book.accounts));
  book.initial_lp_inventory.assign(static_cast<std::size_t>(book.markets), 0);
  for (std::int64_t a = 0; a < book.accounts; ++a) {
    const auto account = static_cast<std::size_t>(a);
    double cost_basis_usd = 0.0;
    for (std::int64_t p = book.position_offset[account]; p < book.position_offset[account + 1]; ++p) {
      const auto position = static_cast<std::size_t>(p);
      const auto market = static_cast<std::size_t>(book.position_market[position]);
      const double quantity = static_cast<double>(book.initial_quantity[position]);
      cost_basis_usd += quantity * book.lot_size[market] * book.entry_price_usd[position];
      book.position_account[position] = a;
      book.initial_lp_inventory[market] -= book.initial_quantity[position];
    }
    book.initial_cash[account] = to_micro_usd(portfolio.collateral_usd[account] - cost_basis_usd);
  }

  // ADL's lists: count each pair's positions, then place them in position order.
  const auto pairs = static_cast<std::size_t>(2 * book.markets);
  const auto pair_of = [&](std::size_t position) {
    return static_cast<std::size_t>(book.position_market[position]) * 2 + (book.initial_quantity[position] > 0 ? 0 : 1);
  };
  book.adl_offset.assign(pairs + 1, 0);
  for (std::size_t p = 0; p < book.initial_quantity.size(); ++p) {
    if (book.initial_quantity[p] != 0) ++book.adl_offset[pair_of(p) + 1];
  }
  for (std::size_t k = 0; k < pairs; ++k) book.adl_offset[k + 1] += book.adl_offset[k];
  book.adl_positions.resize(static_cast<std::size_t>(book.adl_offset[pairs]));
  std::vector<std::int64_t> next(book.adl_offset.begin(), book.adl_offset.end() - 1);
  for (std::size_t p = 0; p < book.initial_quantity.size(); ++p) {
    if (book.initial_quantity[p] != 0)
      book.adl_positions[static_cast<std::size_t>(next[pair_of(p)]++)] = static_cast<std::int64_t>(p);
  }
  return book;
}

}  // namespace margin_stress
