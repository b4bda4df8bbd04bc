#include "scenarios/calibration/gaussian_density.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace margin_stress::calibration {
namespace {

// Lower Cholesky factor, row-major. The pivot test is relative to the diagonal because per-bar
// variances of minute bars are of order 1e-8: an absolute threshold would misjudge them.
std::vector<double> cholesky(const std::vector<double>& matrix, std::size_t n, std::size_t regime) {
  std::vector<double> lower(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j <= i; ++j) {
      double sum = matrix[i * n + j];
      for (std::size_t k = 0; k < j; ++k) sum -= lower[i * n + k] * lower[j * n + k];
      if (i == j) {
        if (!(sum > 1e-300 && sum > 1e-14 * matrix[i * n + i])) {
          throw std::invalid_argument("regime " + std::to_string(regime) + ": covariance is not positive definite");
        }
        lower[i * n + i] = std::sqrt(sum);
      } else {
        lower[i * n + j] = sum / lower[j * n + j];
      }
    }
  }
  return lower;
}

}  // namespace

std::vector<double> gaussian_log_densities(const std::vector<double>& returns, std::size_t markets,
                                           const std::vector<RegimeEstimate>& states) {
  constexpr double log_two_pi = 1.8378770664093454836;
  const std::size_t regimes = states.size();
  const std::size_t n = returns.size() / markets;
  std::vector<double> out(n * regimes);
  std::vector<double> residual(markets);
  for (std::size_t k = 0; k < regimes; ++k) {
    const std::vector<double> lower = cholesky(states[k].covariance, markets, k);
    double log_det = 0.0;
    for (std::size_t m = 0; m < markets; ++m) log_det += 2.0 * std::log(lower[m * markets + m]);
    const double constant = -0.5 * (static_cast<double>(markets) * log_two_pi + log_det);
    for (std::size_t t = 0; t < n; ++t) {
      // Forward substitution L y = r - mean; the quadratic form is |y|^2.
      double quadratic = 0.0;
      for (std::size_t m = 0; m < markets; ++m) {
        double value = returns[t * markets + m] - states[k].mean[m];
        for (std::size_t j = 0; j < m; ++j) value -= lower[m * markets + j] * residual[j];
        residual[m] = value / lower[m * markets + m];
        quadratic += residual[m] * residual[m];
      }
      out[t * regimes + k] = constant - 0.5 * quadratic;
    }
  }
  return out;
}

}  // namespace margin_stress::calibration
