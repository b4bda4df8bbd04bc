// Settlement on the device (docs/model.md section 8): the search for a step's bankrupt accounts and
// their notionals by (market, side), per thread, and the launchers (kernels/settlement.cu, which
// also holds the lane's settlement). The arithmetic both engines share is host/engine/settlement;
// the CPU reference's counterpart is host/engine/cpu/settlement.cpp.
#pragma once

#include <cstdint>

#include "host/model/host_device.hpp"
#include "host/model/money.hpp"
#include "kernels/launch.hpp"
#include "kernels/tile.hpp"

namespace margin_stress::cuda {

// Entry i of scenario s's accounts liquidated this step: the account, and its deficit if bankrupt,
// written at `offset` + i; a bankrupt account's cash is set to zero.
MARGIN_STRESS_HOST_DEVICE inline void find_bankrupt_entry(const BookView& book, const TileView& tile,
                                                          std::int64_t offset, std::int32_t* accounts,
                                                          micro_usd* deficits, std::int64_t s, std::int64_t i) {
  const std::int64_t a = tile.step_liquidated[s * book.accounts + i];
  const micro_usd cash = tile.cash[s * book.accounts + a];
  const std::int64_t first = book.position_offset[a];
  const std::int64_t* quantity = tile.quantity + s * book.positions + first;
  bool flat = true;
  for (std::int64_t p = 0; p < book.position_offset[a + 1] - first; ++p) flat = flat && quantity[p] == 0;
  const bool bankrupt = cash < 0 && flat;
  accounts[offset + i] = static_cast<std::int32_t>(a);
  deficits[offset + i] = bankrupt ? -cash : 0;
  // Settlement writes the deficit off whoever covers it: the account ends at zero (section 8).
  if (bankrupt) tile.cash[s * book.accounts + a] = 0;
}

// Bankrupt account k's notional liquidated this step per (market, side) pair (2 M doubles from
// `pair_notional` + 2 M k, pair m * 2 + side, 0 long, 1 short); positions never change side, so the
// book's sign is the side.
MARGIN_STRESS_HOST_DEVICE inline void bankrupt_pair_notional(const BookView& book, const TileView& tile, std::int64_t s,
                                                             const std::int32_t* accounts, double* pair_notional,
                                                             std::int64_t k) {
  const std::int64_t a = accounts[k];
  double* row = pair_notional + k * 2 * book.markets;
  for (std::int64_t pair = 0; pair < 2 * book.markets; ++pair) row[pair] = 0.0;
  for (std::int64_t p = book.position_offset[a]; p < book.position_offset[a + 1]; ++p) {
    const std::int64_t initial = book.initial_quantity[p];
    if (initial == 0) continue;
    row[book.position_market[p] * 2 + (initial > 0 ? 0 : 1)] += tile.step_notional_usd[s * book.positions + p];
  }
}

// For scenarios [first, first + scenarios), each one's accounts liquidated this step (entries
// [offsets[s - first], + count[s]) of the outputs): the account, and its deficit (-cash) if it is
// flat with negative cash, else 0. A bankrupt account's cash is set to zero (settlement writes the
// deficit off: the fund, ADL and bad debt cover it).
void launch_find_bankrupt(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t first,
                          std::int64_t scenarios, const std::int64_t* offsets, std::int32_t* accounts,
                          micro_usd* deficits);

// Per bankrupt account accounts[k] of scenario s, its notional liquidated this step per (market,
// side) pair: pair_notional[k * 2 M + m * 2 + side].
void launch_bankrupt_pair_notional(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t s,
                                   const std::int32_t* accounts, std::int64_t count, double* pair_notional);

}  // namespace margin_stress::cuda
