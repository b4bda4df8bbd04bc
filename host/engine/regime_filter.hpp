// The platform's Hamilton filter for the regime_aware policy (docs/model.md, section 4): the
// platform knows the regime model (the configuration's) but not the regime, and updates its
// probabilities from the log returns it observes (of the mark or the index), one step at a time.
#pragma once

#include <vector>

#include "host/model/config.hpp"

namespace margin_stress {

class RegimeFilter {
 public:
  explicit RegimeFilter(const ModelConfig& config);
  // The probabilities before any observation: initial_distribution, or the stationary one.
  const std::vector<double>& prior() const { return prior_; }
  // p_k <- (sum_j p_j P_jk) f_k(r) / normaliser, f_k the Gaussian density of the step's observed log
  // returns r (one per market) in regime k: mean (drift - sigma^2/2) dt, covariance D C D with
  // D = diag(sigma sqrt(dt)). Jumps are left out of f_k.
  void update(std::vector<double>& probabilities, const std::vector<double>& log_returns) const;

 private:
  std::size_t regimes_ = 0;
  std::size_t markets_ = 0;
  std::vector<double> transition_;
  std::vector<double> prior_;
  std::vector<std::vector<double>> mean_;      // per regime, per market
  std::vector<std::vector<double>> cholesky_;  // per regime, lower factor of the covariance
  std::vector<double> log_normaliser_;         // per regime: -(M ln 2 pi + ln det) / 2
};

}  // namespace margin_stress
