// Open-interest-scaled initial margin (docs/model.md, "Equity and margin"; dYdX v4's OIMF).
#pragma once

#include "host/engine/cpu/book.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/model/config.hpp"

namespace margin_stress::cpu {

// At the start of a step, after its marks are set: every market with open-interest caps takes as
// its imf for the step open_interest_initial_margin_fraction(imf, OI_m, lower, upper), with
// OI_m = L_m V_m, L_m the traders' long lots in m (an integer sum over positions with q > 0) and
// V_m = lot_m M_m at the step's opening mark, and reprices. The imf then stays fixed through the
// cascade, so its decisions do not depend on the order of liquidations. mmf is not scaled.
void scale_initial_margin_by_open_interest(const Book& book, const ModelConfig& config, ScenarioState& state);

}  // namespace margin_stress::cpu
