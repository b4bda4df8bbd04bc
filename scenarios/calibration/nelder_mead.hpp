// Derivative-free minimisation by the Nelder-Mead simplex method (Lagarias et al. 1998, standard
// coefficients: reflection 1, expansion 2, contraction 1/2, shrink 1/2), used for the MS-GARCH
// likelihood, whose gradient has no convenient closed form.
#pragma once

#include <functional>
#include <vector>

namespace margin_stress::calibration {

struct NelderMeadResult {
  std::vector<double> minimum;  // the best vertex
  double value = 0.0;           // the objective there
  int evaluations = 0;
  bool converged = false;  // both tolerances met before max_evaluations
};

// Minimises `objective` from `start` with an initial simplex of `start` and start + step * e_i.
// Stops when the simplex's values differ by at most value_tolerance and its vertices by at most
// point_tolerance (max norm) from the best, or after max_evaluations. A NaN value counts as
// +infinity, so the objective can reject a point by returning either.
NelderMeadResult nelder_mead_minimize(const std::function<double(const std::vector<double>&)>& objective,
                                      const std::vector<double>& start, double step, double value_tolerance,
                                      double point_tolerance, int max_evaluations);

}  // namespace margin_stress::calibration
