// The hidden volatility-regime Markov chain and its linear algebra (docs/model.md, "Price
// process"): the stationary distribution the chain starts from when no initial distribution is
// given, the Cholesky factor that correlates the diffusive shocks of a regime, and the validation
// of the [regimes] section of a config.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "host/model/config.hpp"

namespace margin_stress {

// The unique pi with pi P = pi and sum(pi) = 1, for a row-stochastic K x K matrix P (row-major).
// Solved by Gaussian elimination with partial pivoting on (P^T - I) with its last row replaced by
// ones. Throws std::invalid_argument when the system is singular (a pivot of magnitude <= 1e-12:
// the chain has no unique stationary distribution) or a component is below -1e-12. Components in
// [-1e-12, 0) are set to 0 and the vector renormalised.
std::vector<double> stationary_distribution(const std::vector<double>& transition, std::size_t regimes);

// The lower-triangular L (n x n, row-major, zeros above the diagonal) with L L^T = matrix, for a
// symmetric n x n matrix (row-major; only its lower triangle is read). Throws
// std::invalid_argument("not positive definite (leading minor k)") when the pivot of row k
// (1-based) is <= 1e-12.
std::vector<double> cholesky_lower(const std::vector<double>& matrix, std::size_t n);

// Checks a [regimes] section against `markets` markets; throws InputError naming source_name, the
// field, the row (0-based) and the allowed range, e.g.
//   "config.toml: regimes.transition row 2: entries sum to 0.98, not 1 (tolerance 1e-9)".
void validate_regime_model(const RegimeModel& model, std::size_t markets, const std::string& source_name);

}  // namespace margin_stress
