// The arithmetic of a step's settlement that both engines share (docs/model.md section 8): how the
// insurance fund pays the step's deficits, and how what it leaves uncovered becomes ADL targets per
// (market, side). Each engine finds its bankrupt accounts and deleverages its own way
// (host/engine/cpu/settlement.cpp; kernels/settlement.cu and kernels/auto_deleveraging.cu on the
// device).
#pragma once

#include <cstddef>
#include <vector>

#include "host/engine/step_record.hpp"
#include "host/model/money.hpp"

namespace margin_stress {

// The fund pays the step's deficits (in account order): in full, or pro rata when they exceed it,
// each share floor(D_i F / D) so that it never pays more than it holds. Adds the deficits, the
// payout and whether the fund was exhausted to `outcome`, takes the payout from `insurance_fund`
// and returns the uncovered part of each deficit.
std::vector<micro_usd> pay_from_fund(const std::vector<micro_usd>& deficits, micro_usd& insurance_fund,
                                     SettlementOutcome& outcome);

// Each bankrupt account's share of the ADL targets (docs/model.md section 8), from its uncovered
// deficit and the notional it was liquidated for this step per (market, side) pair (index
// market * 2 + side, 0 long, 1 short; `pair_notional_usd[i * 2 * markets + pair]`): floored shares in
// proportion to the notionals, the last pair taking the remainder, so that an account's shares add
// up to its uncovered deficit. Laid out as pair_notional_usd.
std::vector<micro_usd> adl_shares(const std::vector<micro_usd>& uncovered, const std::vector<double>& pair_notional_usd,
                                  std::size_t markets);

// ADL target per (market, side) pair: the sum of the accounts' shares (adl_shares).
std::vector<micro_usd> adl_targets(const std::vector<micro_usd>& uncovered,
                                   const std::vector<double>& pair_notional_usd, std::size_t markets);

// What the walks covered of each account's uncovered deficit (docs/model.md section 11, "Per
// account"), from its shares (adl_shares) and what each pair's walk collected (at most the pair's
// target): in each pair, floor(share * collected / target) in 128-bit integers, and the pair's
// remainder to the last account with a share there, so that the covers add up to the haircuts
// collected exactly.
std::vector<micro_usd> adl_cover(const std::vector<micro_usd>& shares, const std::vector<micro_usd>& collected_by_pair,
                                 std::size_t markets);

}  // namespace margin_stress
