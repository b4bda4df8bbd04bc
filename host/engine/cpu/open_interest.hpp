// Open-interest-scaled initial margin (docs/model.md, "Size- and open-interest-scaled margins";
// dYdX v4's OIMF).
#pragma once

#include <cstdint>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/model/config.hpp"

namespace margin_stress::cpu {

// L_m, the traders' long lots per market: the integer sum of q_p over positions with q_p > 0.
// Positions change only through a step's liquidation fills and the ADL closes that can follow them,
// so a caller recounts only after a step with fills.
void count_long_lots(const Book& book, const ScenarioState& state, std::vector<std::int64_t>& long_lots);

}  // namespace margin_stress::cpu
