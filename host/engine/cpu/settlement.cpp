#include "host/engine/cpu/settlement.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "host/engine/cpu/account.hpp"
#include "host/engine/cpu/auto_deleveraging.hpp"
#include "host/engine/settlement.hpp"
#include "host/model/formulas/auto_deleveraging.hpp"

namespace margin_stress::cpu {
namespace {

bool is_flat(const Book& book, const ScenarioState& state, std::int64_t account) {
  const auto a = static_cast<std::size_t>(account);
  for (std::int64_t p = book.position_offset[a]; p < book.position_offset[a + 1]; ++p) {
    if (state.quantity[static_cast<std::size_t>(p)] != 0) return false;
  }
  return true;
}

// Side index of a position: 0 long, 1 short.
std::size_t side_index(std::int64_t quantity) { return quantity > 0 ? 0 : 1; }

// ADL in one market against positions on one side (docs/model.md section 8): rank the profitable
// positions (formulas::adl_rank, in formulas::adl_ranks_before's order) and take from them in rank
// order (adl_take) until `target` is met. Returns the amount collected.
micro_usd deleverage(const Book& book, ScenarioState& state, std::size_t market, int side, micro_usd target,
                     const std::vector<char>& is_bankrupt, double& adl_notional_usd) {
  struct Candidate {
    std::int64_t position;
    double score;
  };
  const MarketState& market_state = state.markets[market];
  const double lot_size = book.lot_size[market];
  std::vector<Candidate> candidates;
  // The positions opened on this side of the market (Book::adl_positions), in position order.
  const std::size_t pair = market * 2 + (side > 0 ? 0 : 1);
  for (std::int64_t k = book.adl_offset[pair]; k < book.adl_offset[pair + 1]; ++k) {
    const std::int64_t p = book.adl_positions[static_cast<std::size_t>(k)];
    const auto position = static_cast<std::size_t>(p);
    const std::int64_t quantity = state.quantity[position];
    if (quantity == 0) continue;
    const std::int64_t account = book.position_account[position];
    if (is_bankrupt[static_cast<std::size_t>(account)]) continue;
    const double unrealized_usd =
        formulas::adl_unrealized_usd(quantity, lot_size, market_state.mark_price_usd, book.entry_price_usd[position]);
    if (unrealized_usd <= 0.0) continue;
    const formulas::AdlRank rank = formulas::adl_rank(quantity, lot_size, book.entry_price_usd[position],
                                                      unrealized_usd, value_account(book, state, account));
    if (rank.candidate) candidates.push_back({p, rank.score});
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& x, const Candidate& y) {
    return formulas::adl_ranks_before(x.score, x.position, y.score, y.position);
  });

  micro_usd collected = 0;
  std::int64_t closed_lots = 0;
  for (const Candidate& candidate : candidates) {
    if (collected >= target) break;
    const auto position = static_cast<std::size_t>(candidate.position);
    const auto account = static_cast<std::size_t>(book.position_account[position]);
    // One position per market and account, so no earlier take of this walk changed this account.
    const formulas::AccountValuation valuation = value_account(book, state, book.position_account[position]);
    const AdlTake take =
        adl_take(target - collected, state.quantity[position], lot_size, market_state.mark_price_usd,
                 formulas::adl_unrealized_usd(state.quantity[position], lot_size, market_state.mark_price_usd,
                                              book.entry_price_usd[position]),
                 valuation.equity_usd);
    if (take.haircut <= 0) continue;
    apply_adl_take(take, state.cash[account], state.quantity[position], state.lp_cash, state.lp_inventory[market]);
    if (state.accounts != nullptr) (*state.accounts)[account].adl_haircut_paid += take.haircut;
    collected += take.haircut;
    closed_lots += take.closed_lots;
  }
  // ADL volume: one product per market and side, so that it does not depend on the order of the
  // closes (the CUDA engine makes them in parallel).
  adl_notional_usd += static_cast<double>(closed_lots) * lot_size * market_state.mark_price_usd;
  return collected;
}

}  // namespace

micro_usd auto_deleverage(const Book& book, ScenarioState& state, const std::vector<micro_usd>& targets,
                          const std::vector<char>& is_bankrupt, double& adl_notional_usd,
                          std::vector<micro_usd>& collected_by_pair) {
  collected_by_pair.assign(targets.size(), 0);
  micro_usd collected = 0;
  for (std::size_t m = 0; m < static_cast<std::size_t>(book.markets); ++m) {
    for (std::size_t side = 0; side < 2; ++side) {
      if (targets[m * 2 + side] <= 0) continue;
      const int opposite_side = side == 0 ? -1 : 1;
      collected_by_pair[m * 2 + side] =
          deleverage(book, state, m, opposite_side, targets[m * 2 + side], is_bankrupt, adl_notional_usd);
      collected += collected_by_pair[m * 2 + side];
    }
  }
  return collected;
}

SettlementOutcome settle_deficits(const Book& book, const ModelConfig& config, ScenarioState& state,
                                  const std::vector<LiquidationFill>& fills) {
  SettlementOutcome outcome;
  // Only an account liquidated this step can be bankrupt: one left flat with negative cash.
  std::vector<std::int64_t> liquidated_accounts;
  for (const LiquidationFill& fill : fills) liquidated_accounts.push_back(fill.account);
  std::sort(liquidated_accounts.begin(), liquidated_accounts.end());
  liquidated_accounts.erase(std::unique(liquidated_accounts.begin(), liquidated_accounts.end()),
                            liquidated_accounts.end());
  std::vector<std::int64_t> bankrupt_accounts;
  std::vector<micro_usd> deficits;
  for (const std::int64_t account : liquidated_accounts) {
    const micro_usd cash = state.cash[static_cast<std::size_t>(account)];
    if (cash < 0 && is_flat(book, state, account)) {
      bankrupt_accounts.push_back(account);
      deficits.push_back(-cash);
    }
  }
  if (deficits.empty()) return outcome;

  const std::vector<micro_usd> uncovered = pay_from_fund(deficits, state.insurance_fund, outcome);
  const micro_usd total_uncovered = outcome.deficits - outcome.insurance_payout;
  std::vector<micro_usd> adl_received(bankrupt_accounts.size(), 0);
  if (total_uncovered > 0 && config.insurance_fund.auto_deleveraging) {
    // The notional each bankrupt account was liquidated for this step per (market, side) pair: one
    // position per market, so a pair's notional is its position's fills, summed in round order.
    const auto markets = static_cast<std::size_t>(book.markets);
    std::vector<char> is_bankrupt(static_cast<std::size_t>(book.accounts), 0);
    std::vector<std::size_t> row(static_cast<std::size_t>(book.accounts), 0);
    for (std::size_t i = 0; i < bankrupt_accounts.size(); ++i) {
      is_bankrupt[static_cast<std::size_t>(bankrupt_accounts[i])] = 1;
      row[static_cast<std::size_t>(bankrupt_accounts[i])] = i;
    }
    std::vector<double> pair_notional_usd(bankrupt_accounts.size() * markets * 2, 0.0);
    for (const LiquidationFill& fill : fills) {
      const auto account = static_cast<std::size_t>(fill.account);
      if (!is_bankrupt[account]) continue;
      const auto m = static_cast<std::size_t>(book.position_market[static_cast<std::size_t>(fill.position)]);
      // A closing trade's sign is opposite to the position it closed.
      pair_notional_usd[row[account] * markets * 2 + m * 2 + side_index(-fill.traded_lots)] +=
          formulas::fill_notional_usd(fill.traded_lots, book.lot_size[m], fill.price_usd);
    }
    std::vector<micro_usd> collected_by_pair;
    outcome.adl_haircut = auto_deleverage(book, state, adl_targets(uncovered, pair_notional_usd, markets), is_bankrupt,
                                          outcome.adl_notional_usd, collected_by_pair);
    if (state.accounts != nullptr) {
      adl_received = adl_cover(adl_shares(uncovered, pair_notional_usd, markets), collected_by_pair, markets);
    }
  }
  outcome.bad_debt = total_uncovered - outcome.adl_haircut;
  if (state.accounts != nullptr) {
    for (std::size_t i = 0; i < bankrupt_accounts.size(); ++i) {
      AccountOutcome& account = (*state.accounts)[static_cast<std::size_t>(bankrupt_accounts[i])];
      account.deficit += deficits[i];
      account.insurance_payout += deficits[i] - uncovered[i];
      account.adl_received += adl_received[i];
      account.bad_debt += uncovered[i] - adl_received[i];
    }
  }
  for (const std::int64_t account : bankrupt_accounts) state.cash[static_cast<std::size_t>(account)] = 0;
  return outcome;
}

}  // namespace margin_stress::cpu
