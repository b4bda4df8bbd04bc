#include "host/engine/cpu/settlement.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "host/engine/cpu/mark_to_market.hpp"

namespace margin_stress::cpu {
namespace {

bool is_flat(const Book& book, const ScenarioState& state, std::int64_t account) {
  const auto a = static_cast<std::size_t>(account);
  for (std::int64_t p = book.position_offset[a]; p < book.position_offset[a + 1]; ++p) {
    if (state.quantity[static_cast<std::size_t>(p)] != 0) return false;
  }
  return true;
}

// Exact pro-rata shares of micro-dollar amounts need 128-bit products (GCC, Clang and nvcc have it).
__extension__ using wide_int = __int128;

struct Deficit {
  std::int64_t account;
  micro_usd amount;
};

// Side index of a position: 0 long, 1 short.
std::size_t side_index(std::int64_t quantity) { return quantity > 0 ? 0 : 1; }

// ADL in one market against positions on one side (docs/model.md, "Auto-deleveraging"): rank
// profitable positions by BitMEX's score, profit ratio times effective leverage, and take profit
// from them in rank order, closing the matching share of each at the mark, until `target` is met.
// Returns the amount collected.
micro_usd deleverage(const Book& book, ScenarioState& state, std::size_t market, int side, micro_usd target,
                     const std::vector<char>& is_bankrupt, double& adl_notional_usd) {
  struct Candidate {
    std::int64_t position;
    double score;
  };
  const MarketState& market_state = state.markets[market];
  std::vector<Candidate> candidates;
  for (std::int64_t p = 0; p < book.positions; ++p) {
    const auto position = static_cast<std::size_t>(p);
    const std::int64_t quantity = state.quantity[position];
    if (static_cast<std::size_t>(book.position_market[position]) != market || quantity == 0) continue;
    if ((quantity > 0 ? 1 : -1) != side) continue;
    const std::int64_t account = book.position_account[position];
    if (is_bankrupt[static_cast<std::size_t>(account)]) continue;
    const double unrealized = static_cast<double>(quantity) * book.lot_size[market] *
                              (market_state.mark_price_usd - book.entry_price_usd[position]);
    if (unrealized <= 0.0) continue;
    const AccountValuation valuation = value_account(book, state, account);
    if (valuation.equity_usd <= 0.0) continue;
    const double cost = static_cast<double>(std::llabs(quantity)) * book.lot_size[market] * book.entry_price_usd[position];
    const double profit_ratio = unrealized / cost;
    const double effective_leverage = valuation.notional_usd / valuation.equity_usd;
    candidates.push_back({p, profit_ratio * effective_leverage});
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& x, const Candidate& y) {
    return x.score != y.score ? x.score > y.score : x.position < y.position;
  });

  micro_usd collected = 0;
  for (const Candidate& candidate : candidates) {
    if (collected >= target) break;
    const auto position = static_cast<std::size_t>(candidate.position);
    const auto account = static_cast<std::size_t>(book.position_account[position]);
    const std::int64_t quantity = state.quantity[position];
    const double unrealized_usd = static_cast<double>(quantity) * book.lot_size[market] *
                                  (market_state.mark_price_usd - book.entry_price_usd[position]);
    const AccountValuation valuation = value_account(book, state, book.position_account[position]);
    // Never take more than the position's profit, nor push the account below zero equity.
    const micro_usd haircut =
        std::min({target - collected, to_micro_usd_checked(unrealized_usd, "an ADL candidate's profit"),
                  std::max<micro_usd>(to_micro_usd_checked(valuation.equity_usd, "an ADL candidate's equity"), 0)});
    if (haircut <= 0) continue;
    const double share = to_usd(haircut) / unrealized_usd;
    const std::int64_t held = std::llabs(quantity);
    const std::int64_t closed = std::clamp<std::int64_t>(
        static_cast<std::int64_t>(std::ceil(share * static_cast<double>(held))), 1, held);
    const std::int64_t traded = quantity > 0 ? -closed : closed;
    const micro_usd cost = to_micro_usd_checked(
        static_cast<double>(traded) * book.lot_size[market] * market_state.mark_price_usd, "an ADL close");
    transfer(state.cash[account], state.lp_cash, cost, "an ADL close");
    state.lp_inventory[market] -= traded;
    state.quantity[position] += traded;
    state.cash[account] = add_checked(state.cash[account], -haircut, "an ADL haircut");
    collected += haircut;
    adl_notional_usd += static_cast<double>(closed) * book.lot_size[market] * market_state.mark_price_usd;
  }
  return collected;
}

}  // namespace

SettlementOutcome settle_deficits(const Book& book, const ModelConfig& config, ScenarioState& state,
                                  const std::vector<LiquidationFill>& fills) {
  SettlementOutcome outcome;
  // Only an account liquidated this step can be bankrupt: one left flat with negative cash.
  std::vector<std::int64_t> liquidated_accounts;
  for (const LiquidationFill& fill : fills) liquidated_accounts.push_back(fill.account);
  std::sort(liquidated_accounts.begin(), liquidated_accounts.end());
  liquidated_accounts.erase(std::unique(liquidated_accounts.begin(), liquidated_accounts.end()), liquidated_accounts.end());
  std::vector<Deficit> deficits;
  for (const std::int64_t account : liquidated_accounts) {
    const micro_usd cash = state.cash[static_cast<std::size_t>(account)];
    if (cash < 0 && is_flat(book, state, account)) deficits.push_back({account, -cash});
  }
  if (deficits.empty()) return outcome;
  for (const Deficit& deficit : deficits) outcome.deficits = add_checked(outcome.deficits, deficit.amount, "the step's deficits");

  // The fund pays in full when it can, otherwise pro rata (floored to the micro-dollar, so it
  // never pays more than it holds).
  const micro_usd fund = state.insurance_fund;
  outcome.fund_exhausted = outcome.deficits > fund;
  std::vector<micro_usd> uncovered(deficits.size());
  for (std::size_t i = 0; i < deficits.size(); ++i) {
    const micro_usd paid = outcome.fund_exhausted
                               ? static_cast<micro_usd>(static_cast<wide_int>(deficits[i].amount) * fund / outcome.deficits)
                               : deficits[i].amount;
    outcome.insurance_payout += paid;
    uncovered[i] = deficits[i].amount - paid;
  }
  state.insurance_fund -= outcome.insurance_payout;

  const micro_usd total_uncovered = outcome.deficits - outcome.insurance_payout;
  if (total_uncovered > 0 && config.insurance_fund.auto_deleveraging) {
    // Attribute each account's uncovered deficit to (market, side) in proportion to the notional
    // liquidated there this step; ADL then takes it from the opposite side of each market.
    const auto markets = static_cast<std::size_t>(book.markets);
    std::vector<micro_usd> target(markets * 2, 0);
    std::vector<char> is_bankrupt(static_cast<std::size_t>(book.accounts), 0);
    for (const Deficit& deficit : deficits) is_bankrupt[static_cast<std::size_t>(deficit.account)] = 1;

    // The step's fills grouped by account (a stable sort keeps each account's fills in the order
    // they happened, so its sums do not depend on the grouping), walked once alongside the
    // deficits, which are in account order too.
    struct PairFill {
      std::int64_t account;
      std::size_t pair;  // market * 2 + side of the position closed (0 long, 1 short)
      double notional_usd;
    };
    std::vector<PairFill> pair_fills;
    pair_fills.reserve(fills.size());
    for (const LiquidationFill& fill : fills) {
      if (!is_bankrupt[static_cast<std::size_t>(fill.account)]) continue;
      const auto m = static_cast<std::size_t>(book.position_market[static_cast<std::size_t>(fill.position)]);
      // A closing trade's sign is opposite to the position it closed.
      pair_fills.push_back({fill.account, m * 2 + side_index(-fill.traded_lots),
                            static_cast<double>(std::llabs(fill.traded_lots)) * book.lot_size[m] * fill.price_usd});
    }
    std::stable_sort(pair_fills.begin(), pair_fills.end(),
                     [](const PairFill& x, const PairFill& y) { return x.account < y.account; });

    std::vector<double> notional(markets * 2);
    std::size_t next_fill = 0;
    for (std::size_t i = 0; i < deficits.size(); ++i) {
      std::fill(notional.begin(), notional.end(), 0.0);
      double total = 0.0;
      std::size_t last_pair = 0;
      for (; next_fill < pair_fills.size() && pair_fills[next_fill].account == deficits[i].account; ++next_fill) {
        const PairFill& fill = pair_fills[next_fill];
        notional[fill.pair] += fill.notional_usd;
        total += fill.notional_usd;
        last_pair = std::max(last_pair, fill.pair);
      }
      if (uncovered[i] == 0) continue;
      // Floored shares floor(U n_k / N), the last pair taking the remainder: the targets add up
      // to U_a exactly.
      micro_usd assigned = 0;
      for (std::size_t pair = 0; pair <= last_pair; ++pair) {
        if (notional[pair] == 0.0) continue;
        const micro_usd share =
            pair == last_pair
                ? uncovered[i] - assigned
                : std::clamp<micro_usd>(
                      static_cast<micro_usd>(std::floor(static_cast<double>(uncovered[i]) * notional[pair] / total)), 0,
                      uncovered[i] - assigned);
        target[pair] += share;
        assigned += share;
      }
    }
    for (std::size_t m = 0; m < markets; ++m) {
      for (std::size_t side = 0; side < 2; ++side) {
        if (target[m * 2 + side] <= 0) continue;
        const int opposite_side = side == 0 ? -1 : 1;
        outcome.adl_haircut +=
            deleverage(book, state, m, opposite_side, target[m * 2 + side], is_bankrupt, outcome.adl_notional_usd);
      }
    }
  }
  outcome.bad_debt = total_uncovered - outcome.adl_haircut;
  for (const Deficit& deficit : deficits) state.cash[static_cast<std::size_t>(deficit.account)] = 0;
  return outcome;
}

}  // namespace margin_stress::cpu
