// End-of-step settlement of bankrupt accounts (docs/model.md, "Insurance fund, ADL and bad debt"):
// an account left with no position and negative equity has a deficit; the insurance fund covers
// what it can, auto-deleveraging of profitable opposite positions covers what it can of the rest,
// and what remains is bad debt, written off. Every bankrupt account ends at zero.
#pragma once

#include <vector>

#include "host/engine/cpu/book.hpp"
#include "host/engine/cpu/cascade.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/engine/cpu/step_record.hpp"
#include "host/model/config.hpp"

namespace margin_stress::cpu {

// `fills` are the step's liquidation fills (used to attribute deficits to markets and sides).
SettlementOutcome settle_deficits(const Book& book, const ModelConfig& config, ScenarioState& state,
                                  const std::vector<LiquidationFill>& fills);

// The parts of settle_deficits that the CUDA engine shares (it keeps no list of fills, but the same
// per-position sums, and deleverages on the device with auto_deleveraging.hpp's functions).
//
// The fund pays the step's deficits (in account order): in full, or pro rata when they exceed it.
// Adds the deficits, the payout and whether the fund was exhausted to `outcome`, takes the payout
// from `insurance_fund` and returns the uncovered part of each deficit.
std::vector<micro_usd> pay_from_fund(const std::vector<micro_usd>& deficits, micro_usd& insurance_fund,
                                     SettlementOutcome& outcome);

// ADL target per (market, side) pair (index market * 2 + side, 0 long, 1 short) from each bankrupt
// account's uncovered deficit and the notional it was liquidated for this step per pair
// (`pair_notional_usd[i * 2 * markets + pair]`).
std::vector<micro_usd> adl_targets(const std::vector<micro_usd>& uncovered, const std::vector<double>& pair_notional_usd,
                                   std::size_t markets);

// Deleverages the opposite side of every pair with a positive target, in market order, long before
// short; returns the haircuts collected and adds the notional closed to `adl_notional_usd` (the CPU
// reference's walk; the CUDA engine's is docs/model.md section 14's).
micro_usd auto_deleverage(const Book& book, ScenarioState& state, const std::vector<micro_usd>& targets,
                          const std::vector<char>& is_bankrupt, double& adl_notional_usd);

}  // namespace margin_stress::cpu
