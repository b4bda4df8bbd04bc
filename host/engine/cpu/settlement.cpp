#include "host/engine/cpu/settlement.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "host/engine/cpu/auto_deleveraging.hpp"
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

// Side index of a position: 0 long, 1 short.
std::size_t side_index(std::int64_t quantity) { return quantity > 0 ? 0 : 1; }

// ADL in one market against positions on one side (docs/model.md section 8): rank the profitable
// positions (adl_rank), highest score first, ties by position, and take from them in rank order
// (adl_take) until `target` is met. Returns the amount collected.
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
        adl_unrealized_usd(quantity, lot_size, market_state.mark_price_usd, book.entry_price_usd[position]);
    if (unrealized_usd <= 0.0) continue;
    const AccountValuation valuation = value_account(book, state, account);
    const AdlRank rank = adl_rank(quantity, lot_size, book.entry_price_usd[position], unrealized_usd,
                                  valuation.equity_usd, valuation.notional_usd);
    if (rank.candidate) candidates.push_back({p, rank.score});
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& x, const Candidate& y) {
    return x.score != y.score ? x.score > y.score : x.position < y.position;
  });

  micro_usd collected = 0;
  std::int64_t closed_lots = 0;
  for (const Candidate& candidate : candidates) {
    if (collected >= target) break;
    const auto position = static_cast<std::size_t>(candidate.position);
    const auto account = static_cast<std::size_t>(book.position_account[position]);
    // One position per market and account, so no earlier take of this walk changed this account.
    const AccountValuation valuation = value_account(book, state, book.position_account[position]);
    const AdlTake take = adl_take(target - collected, state.quantity[position], lot_size, market_state.mark_price_usd,
                                  adl_unrealized_usd(state.quantity[position], lot_size, market_state.mark_price_usd,
                                                     book.entry_price_usd[position]),
                                  valuation.equity_usd);
    if (take.haircut <= 0) continue;
    apply_adl_take(take, state.cash[account], state.quantity[position], state.lp_cash, state.lp_inventory[market]);
    collected += take.haircut;
    closed_lots += take.closed_lots;
  }
  // ADL volume: one product per market and side, so that it does not depend on the order of the
  // closes (the CUDA engine makes them in parallel).
  adl_notional_usd += static_cast<double>(closed_lots) * lot_size * market_state.mark_price_usd;
  return collected;
}

}  // namespace

std::vector<micro_usd> pay_from_fund(const std::vector<micro_usd>& deficits, micro_usd& insurance_fund,
                                     SettlementOutcome& outcome) {
  for (const micro_usd deficit : deficits) outcome.deficits = add_checked(outcome.deficits, deficit, "the step's deficits");
  // The fund pays in full when it can, otherwise pro rata (floored to the micro-dollar, so it
  // never pays more than it holds).
  const micro_usd fund = insurance_fund;
  outcome.fund_exhausted = outcome.deficits > fund;
  std::vector<micro_usd> uncovered(deficits.size());
  for (std::size_t i = 0; i < deficits.size(); ++i) {
    const micro_usd paid = outcome.fund_exhausted
                               ? static_cast<micro_usd>(static_cast<wide_int>(deficits[i]) * fund / outcome.deficits)
                               : deficits[i];
    outcome.insurance_payout += paid;
    uncovered[i] = deficits[i] - paid;
  }
  insurance_fund -= outcome.insurance_payout;
  return uncovered;
}

std::vector<micro_usd> adl_targets(const std::vector<micro_usd>& uncovered, const std::vector<double>& pair_notional_usd,
                                   std::size_t markets) {
  const std::size_t pairs = markets * 2;
  std::vector<micro_usd> target(pairs, 0);
  for (std::size_t i = 0; i < uncovered.size(); ++i) {
    if (uncovered[i] == 0) continue;
    const double* notional = &pair_notional_usd[i * pairs];
    double total = 0.0;
    std::size_t last_pair = 0;
    for (std::size_t pair = 0; pair < pairs; ++pair) {
      total += notional[pair];
      if (notional[pair] != 0.0) last_pair = pair;
    }
    // Floored shares floor(U n_k / N), the last pair taking the remainder: the targets add up to
    // U_a exactly.
    micro_usd assigned = 0;
    for (std::size_t pair = 0; pair <= last_pair; ++pair) {
      if (notional[pair] == 0.0) continue;
      const micro_usd share =
          pair == last_pair
              ? uncovered[i] - assigned
              : std::clamp<micro_usd>(static_cast<micro_usd>(std::floor(static_cast<double>(uncovered[i]) * notional[pair] / total)),
                                      0, uncovered[i] - assigned);
      target[pair] += share;
      assigned += share;
    }
  }
  return target;
}

micro_usd auto_deleverage(const Book& book, ScenarioState& state, const std::vector<micro_usd>& targets,
                          const std::vector<char>& is_bankrupt, double& adl_notional_usd) {
  micro_usd collected = 0;
  for (std::size_t m = 0; m < static_cast<std::size_t>(book.markets); ++m) {
    for (std::size_t side = 0; side < 2; ++side) {
      if (targets[m * 2 + side] <= 0) continue;
      const int opposite_side = side == 0 ? -1 : 1;
      collected += deleverage(book, state, m, opposite_side, targets[m * 2 + side], is_bankrupt, adl_notional_usd);
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
  liquidated_accounts.erase(std::unique(liquidated_accounts.begin(), liquidated_accounts.end()), liquidated_accounts.end());
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
          static_cast<double>(std::llabs(fill.traded_lots)) * book.lot_size[m] * fill.price_usd;
    }
    outcome.adl_haircut = auto_deleverage(book, state, adl_targets(uncovered, pair_notional_usd, markets), is_bankrupt,
                                          outcome.adl_notional_usd);
  }
  outcome.bad_debt = total_uncovered - outcome.adl_haircut;
  for (const std::int64_t account : bankrupt_accounts) state.cash[static_cast<std::size_t>(account)] = 0;
  return outcome;
}

}  // namespace margin_stress::cpu
