// Margin calls and the traders' answer (docs/model.md section 7a): the rules both engines apply,
// as host and device functions. The CPU reference applies them in host/engine/cpu/trader_response,
// the CUDA engine in kernels/kernel_bodies.hpp.
#pragma once

#include <cstdint>

#include "host/engine/cpu/liquidation.hpp"
#include "host/model/host_device.hpp"
#include "scenarios/rng.hpp"

namespace margin_stress {

// Called: the raise itself left the account short. It met its initial margin at the previous
// step's scales (`initial_margin_before_raise_usd`, at today's marks) and no longer does, and it is
// above maintenance (the cascade's business otherwise).
MARGIN_STRESS_HOST_DEVICE inline bool is_margin_called(double margin_equity_usd, double maintenance_margin_usd,
                                                       double initial_margin_usd, double initial_margin_before_raise_usd) {
  return margin_equity_usd >= maintenance_margin_usd && margin_equity_usd < initial_margin_usd &&
         margin_equity_usd >= initial_margin_before_raise_usd;
}

// A position's initial margin at the previous step's scale: every requirement is proportional to
// the scale, so IM_p s_prev / s.
MARGIN_STRESS_HOST_DEVICE inline double initial_margin_at_previous_scale(double initial_margin_usd, double previous_scale,
                                                                         double scale) {
  return initial_margin_usd * (previous_scale / scale);
}

// The uniform that decides account a's answer in step t of global scenario s: the first uniform
// of Philox block {s, t, stream_margin_call, a} keyed by run.seed. A top-up when u < p.
MARGIN_STRESS_HOST_DEVICE inline double margin_call_uniform(std::uint64_t seed, std::int64_t scenario,
                                                            std::int64_t step, std::int64_t account) {
  return rng::first_uniform(rng::draw_block(
      rng::make_key(seed),
      rng::scenario_counter(scenario, step, rng::stream_margin_call, static_cast<std::uint32_t>(account))));
}

// The deposit that restores initial margin: (IM - E') / c in USD, c the collateral's value (a
// dollar deposited counts c against margin).
MARGIN_STRESS_HOST_DEVICE inline double top_up_usd(double margin_equity_usd, double initial_margin_usd,
                                                   double collateral_value) {
  return (initial_margin_usd - margin_equity_usd) / collateral_value;
}

// The fraction of every position to sell: (IM - E') / IM, which restores initial margin if the
// sale filled at the mark (the requirement falls with the position, the equity does not).
MARGIN_STRESS_HOST_DEVICE inline double deleveraging_fraction(double margin_equity_usd, double initial_margin_usd) {
  return (initial_margin_usd - margin_equity_usd) / initial_margin_usd;
}

// Lots a called trader sells from a position of |q| lots: lots_to_close(q, f), but one lot is always
// kept, so that a seller never leaves the book by selling: one the others' selling pushes under
// water is then liquidated and settled by the cascade like anyone.
MARGIN_STRESS_HOST_DEVICE inline std::int64_t lots_to_sell_down(std::int64_t quantity_lots, double fraction) {
  const std::int64_t held = quantity_lots < 0 ? -quantity_lots : quantity_lots;
  const std::int64_t lots = cpu::lots_to_close(quantity_lots, fraction);
  return lots < held - 1 ? lots : held - 1;
}

}  // namespace margin_stress
