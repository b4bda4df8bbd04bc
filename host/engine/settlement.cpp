#include "host/engine/settlement.hpp"

#include <algorithm>
#include <cmath>

namespace margin_stress {
namespace {

// Exact pro-rata shares of micro-dollar amounts need 128-bit products (GCC, Clang and nvcc have it).
__extension__ using wide_int = __int128;

}  // namespace

std::vector<micro_usd> pay_from_fund(const std::vector<micro_usd>& deficits, micro_usd& insurance_fund,
                                     SettlementOutcome& outcome) {
  for (const micro_usd deficit : deficits)
    outcome.deficits = add_checked(outcome.deficits, deficit, "the step's deficits");
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

std::vector<micro_usd> adl_shares(const std::vector<micro_usd>& uncovered, const std::vector<double>& pair_notional_usd,
                                  std::size_t markets) {
  const std::size_t pairs = markets * 2;
  std::vector<micro_usd> shares(uncovered.size() * pairs, 0);
  for (std::size_t i = 0; i < uncovered.size(); ++i) {
    if (uncovered[i] == 0) continue;
    const double* notional = &pair_notional_usd[i * pairs];
    double total = 0.0;
    std::size_t last_pair = 0;
    for (std::size_t pair = 0; pair < pairs; ++pair) {
      total += notional[pair];
      if (notional[pair] != 0.0) last_pair = pair;
    }
    // Floored shares floor(U n_k / N), the last pair taking the remainder: they add up to U_a
    // exactly.
    micro_usd assigned = 0;
    for (std::size_t pair = 0; pair <= last_pair; ++pair) {
      if (notional[pair] == 0.0) continue;
      const micro_usd share =
          pair == last_pair
              ? uncovered[i] - assigned
              : std::clamp<micro_usd>(
                    static_cast<micro_usd>(std::floor(static_cast<double>(uncovered[i]) * notional[pair] / total)), 0,
                    uncovered[i] - assigned);
      shares[i * pairs + pair] = share;
      assigned += share;
    }
  }
  return shares;
}

std::vector<micro_usd> adl_targets(const std::vector<micro_usd>& uncovered,
                                   const std::vector<double>& pair_notional_usd, std::size_t markets) {
  const std::size_t pairs = markets * 2;
  const std::vector<micro_usd> shares = adl_shares(uncovered, pair_notional_usd, markets);
  std::vector<micro_usd> target(pairs, 0);
  for (std::size_t i = 0; i < uncovered.size(); ++i) {
    for (std::size_t pair = 0; pair < pairs; ++pair) target[pair] += shares[i * pairs + pair];
  }
  return target;
}

std::vector<micro_usd> adl_cover(const std::vector<micro_usd>& shares, const std::vector<micro_usd>& collected_by_pair,
                                 std::size_t markets) {
  const std::size_t pairs = markets * 2;
  const std::size_t accounts = pairs > 0 ? shares.size() / pairs : 0;
  std::vector<micro_usd> cover(accounts, 0);
  for (std::size_t pair = 0; pair < pairs; ++pair) {
    micro_usd target = 0;
    std::size_t last = accounts;
    for (std::size_t i = 0; i < accounts; ++i) {
      target += shares[i * pairs + pair];
      if (shares[i * pairs + pair] > 0) last = i;
    }
    if (target == 0 || collected_by_pair[pair] == 0) continue;
    micro_usd assigned = 0;
    for (std::size_t i = 0; i < last; ++i) {
      const micro_usd part =
          static_cast<micro_usd>(static_cast<wide_int>(shares[i * pairs + pair]) * collected_by_pair[pair] / target);
      cover[i] += part;
      assigned += part;
    }
    cover[last] += collected_by_pair[pair] - assigned;
  }
  return cover;
}

}  // namespace margin_stress
