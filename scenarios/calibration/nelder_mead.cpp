#include "scenarios/calibration/nelder_mead.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace margin_stress::calibration {

NelderMeadResult nelder_mead_minimize(const std::function<double(const std::vector<double>&)>& objective,
                                      const std::vector<double>& start, double step, double value_tolerance,
                                      double point_tolerance, int max_evaluations) {
  const std::size_t dimension = start.size();
  NelderMeadResult result;
  const auto evaluate = [&](const std::vector<double>& x) {
    ++result.evaluations;
    const double value = objective(x);
    return std::isnan(value) ? std::numeric_limits<double>::infinity() : value;
  };
  std::vector<std::vector<double>> points(dimension + 1, start);
  for (std::size_t i = 0; i < dimension; ++i) points[i + 1][i] += step;
  std::vector<double> values(dimension + 1);
  for (std::size_t i = 0; i <= dimension; ++i) values[i] = evaluate(points[i]);

  std::vector<std::size_t> order(dimension + 1);
  const auto along = [&](const std::vector<double>& from, const std::vector<double>& to, double factor) {
    std::vector<double> x(dimension);
    for (std::size_t i = 0; i < dimension; ++i) x[i] = from[i] + factor * (to[i] - from[i]);
    return x;
  };
  while (true) {
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    const std::size_t best = order.front();
    const std::size_t worst = order.back();
    const std::size_t second_worst = order[dimension - (dimension > 0 ? 1 : 0)];
    double spread = 0.0;
    for (std::size_t i = 0; i <= dimension; ++i) {
      for (std::size_t j = 0; j < dimension; ++j) spread = std::max(spread, std::abs(points[i][j] - points[best][j]));
    }
    if (values[worst] - values[best] <= value_tolerance && spread <= point_tolerance) {
      result.converged = true;
      break;
    }
    if (result.evaluations >= max_evaluations) break;

    std::vector<double> centroid(dimension, 0.0);
    for (std::size_t i = 0; i <= dimension; ++i) {
      if (i == worst) continue;
      for (std::size_t j = 0; j < dimension; ++j) centroid[j] += points[i][j] / static_cast<double>(dimension);
    }
    const std::vector<double> reflected = along(centroid, points[worst], -1.0);
    const double reflected_value = evaluate(reflected);
    if (reflected_value < values[best]) {
      std::vector<double> expanded = along(centroid, points[worst], -2.0);
      const double expanded_value = evaluate(expanded);
      if (expanded_value < reflected_value) {
        points[worst] = std::move(expanded);
        values[worst] = expanded_value;
      } else {
        points[worst] = reflected;
        values[worst] = reflected_value;
      }
      continue;
    }
    if (reflected_value < values[second_worst]) {
      points[worst] = reflected;
      values[worst] = reflected_value;
      continue;
    }
    // Contract outside (towards the reflected point) when it beat the worst, else inside.
    const bool outside = reflected_value < values[worst];
    std::vector<double> contracted = outside ? along(centroid, reflected, 0.5) : along(centroid, points[worst], 0.5);
    const double contracted_value = evaluate(contracted);
    if (outside ? contracted_value <= reflected_value : contracted_value < values[worst]) {
      points[worst] = std::move(contracted);
      values[worst] = contracted_value;
      continue;
    }
    for (std::size_t i = 0; i <= dimension; ++i) {
      if (i == best) continue;
      points[i] = along(points[best], points[i], 0.5);
      values[i] = evaluate(points[i]);
    }
  }
  const std::size_t best = static_cast<std::size_t>(std::min_element(values.begin(), values.end()) - values.begin());
  result.minimum = points[best];
  result.value = values[best];
  return result;
}

}  // namespace margin_stress::calibration
