#include "host/analysis/bracket_search.hpp"

#include <stdexcept>

namespace margin_stress {

BracketOutcome least_value_holding(const SearchSettings& settings, const std::function<bool(double)>& holds) {
  if (!(settings.grid_points >= 2) || !(settings.high > settings.low) || !(settings.tolerance > 0.0)) {
    throw std::invalid_argument("the search needs low < high, at least 2 grid points and a positive tolerance");
  }
  BracketOutcome outcome;
  std::vector<bool> grid_holds;
  for (int i = 0; i < settings.grid_points; ++i) {
    // The last point is `high` itself, not low + (high - low), which may round past it.
    const double value = i + 1 == settings.grid_points
                             ? settings.high
                             : settings.low + (settings.high - settings.low) * i / (settings.grid_points - 1);
    outcome.grid.push_back(value);
    grid_holds.push_back(holds(value));
  }
  std::size_t first_holding = outcome.grid.size();
  while (first_holding > 0 && grid_holds[first_holding - 1]) --first_holding;
  if (first_holding == outcome.grid.size()) return outcome;
  double holding = outcome.grid[first_holding];
  if (first_holding > 0) {
    double failing = outcome.grid[first_holding - 1];
    while (holding - failing > settings.tolerance) {
      const double middle = (holding + failing) / 2.0;
      (holds(middle) ? holding : failing) = middle;
    }
    outcome.just_below = failing;
  }
  outcome.least_holding = holding;
  return outcome;
}

}  // namespace margin_stress
