// Open-interest-scaled initial margin (docs/model.md, "Size- and open-interest-scaled margins";
// dYdX v4's OIMF).
#pragma once

#include <cstdint>
#include <vector>

#include "host/engine/cpu/book.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/model/config.hpp"

namespace margin_stress::cpu {

// L_m, the traders' long lots per market: the integer sum of q_p over positions with q_p > 0.
// Positions change only through a step's liquidation fills and the ADL closes that can follow them,
// so a caller recounts only after a step with fills.
void count_long_lots(const Book& book, const ScenarioState& state, std::vector<std::int64_t>& long_lots);

// At the start of a step, after its marks are set: every market with open-interest caps takes as
// its imf for the step open_interest_initial_margin_fraction(imf, OI_m, lower, upper), with
// OI_m = L_m V_m at the step's opening mark (V_m = lot_m M_m), and reprices. The imf then stays
// fixed through the cascade, so its decisions do not depend on the order of liquidations. mmf is
// not scaled.
void scale_initial_margin_by_open_interest(const ModelConfig& config, const std::vector<std::int64_t>& long_lots,
                                           ScenarioState& state);

}  // namespace margin_stress::cpu
