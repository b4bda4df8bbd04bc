// The one-dimensional search shared by `optimize` (the least margin that meets a target) and
// `reverse` (the least shock severity that breaks the platform): a property expected to hold from
// some value of a parameter upwards, found by a coarse grid and then bisection.
#pragma once

#include <functional>
#include <optional>
#include <vector>

namespace margin_stress {

struct SearchSettings {
  double low = 0.0;
  double high = 0.0;
  int grid_points = 9;     // evenly spaced on [low, high], both included; >= 2
  double tolerance = 0.0;  // the bisection stops when the bracket is this narrow; > 0
};

struct BracketOutcome {
  std::vector<double> grid;  // the grid's values, increasing
  // The least value found that holds, with every grid point above it holding too. Empty when
  // the highest grid point does not hold.
  std::optional<double> least_holding;
  // The evaluated value just below it, which does not hold; empty when least_holding is the low
  // end (the range does not bracket the change).
  std::optional<double> just_below;
};

// Evaluates `holds` at the grid points; takes the least grid point from which every grid point up
// holds; bisects between it and the grid point below (which does not) until the bracket is no
// wider than the tolerance. Each value is evaluated once. Throws std::invalid_argument on settings
// without low < high, 2 grid points and a positive tolerance.
BracketOutcome least_value_holding(const SearchSettings& settings, const std::function<bool(double)>& holds);

}  // namespace margin_stress
