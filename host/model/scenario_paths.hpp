// Scenario inputs handed to every backend in one layout (docs/model.md, sections 3 and 10).
// Scenario s of a batch is global scenario first_scenario + s; its paths depend only on the
// seed, the scenario description and the global index, never on the batch it was generated in.
#pragma once

#include <cstdint>
#include <vector>

namespace margin_stress {

struct ScenarioPaths {
  std::int64_t first_scenario = 0;
  std::int64_t scenarios = 0;
  std::int64_t steps = 0;  // steps after step 0; each path has steps + 1 points
  std::int64_t markets = 0;

  std::vector<double> fundamental_price_usd;  // [scenario][step 0..steps][market], F
  std::vector<std::uint8_t> regime;           // [scenario][step 0..steps], the hidden regime
  // What the engine needs besides prices, also per [scenario][step 0..steps](...):
  std::vector<double> depth_multiplier;  // [.][.][market], d: the regime's multiplier times any shock's
  std::vector<double> oracle_factor;     // [.][.][market], o: the platform's mark source reads F o (1: honest)
  std::vector<double> collateral_value;  // [.][.], c: value of one unit of collateral in USD (1: at par)

  std::size_t price_index(std::int64_t scenario, std::int64_t step, std::int64_t market) const {
    return static_cast<std::size_t>((scenario * (steps + 1) + step) * markets + market);
  }
  std::size_t regime_index(std::int64_t scenario, std::int64_t step) const {
    return static_cast<std::size_t>(scenario * (steps + 1) + step);
  }
};

}  // namespace margin_stress
