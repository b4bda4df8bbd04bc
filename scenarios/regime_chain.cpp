#include "scenarios/regime_chain.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

constexpr double pivot_tolerance = 1e-12;
constexpr double negative_tolerance = 1e-12;
constexpr double sum_tolerance = 1e-9;
constexpr double symmetry_tolerance = 1e-12;
constexpr double diagonal_tolerance = 1e-12;
constexpr std::size_t max_regimes = 255;  // regimes are stored as uint8

// Shortest text that reads back as the same double, so a message shows the value the user wrote.
std::string format_number(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

class RegimeValidator {
 public:
  RegimeValidator(const RegimeModel& model, std::size_t markets, const std::string& source_name)
      : model_(model), markets_(markets), source_(source_name) {}

  void run() const {
    const std::size_t regimes = model_.states.size();
    if (regimes < 1 || regimes > max_regimes) {
      fail("regimes.states", std::to_string(regimes) + " states; allowed 1 to " + std::to_string(max_regimes));
    }
    check_transition(regimes);
    check_initial_distribution(regimes);
    std::unordered_map<std::string, std::size_t> first_with_name;
    for (std::size_t k = 0; k < regimes; ++k) {
      check_state(k);
      const auto [entry, inserted] = first_with_name.emplace(model_.states[k].name, k);
      if (!inserted) {
        fail(state_field(k, "name"), "\"" + model_.states[k].name + "\" is also the name of regimes.states[" +
                                         std::to_string(entry->second) + "]; names must be unique");
      }
    }
    if (model_.initial_distribution.empty()) {
      try {
        stationary_distribution(model_.transition, regimes);
      } catch (const std::invalid_argument&) {
        fail("regimes.initial_distribution",
             "empty, and regimes.transition has no unique stationary distribution to start from; "
             "set regimes.initial_distribution");
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw InputError(source_ + ": " + field + ": " + problem);
  }

  static std::string state_field(std::size_t k, const std::string& field) {
    return "regimes.states[" + std::to_string(k) + "]." + field;
  }

  static std::string row_column(std::size_t row, std::size_t column) {
    return "row " + std::to_string(row) + ", column " + std::to_string(column);
  }

  static std::string matrix_entry(const std::string& field, std::size_t row, std::size_t column) {
    return field + " " + row_column(row, column);
  }

  void check_size(const std::string& field, std::size_t actual, std::size_t expected,
                  const std::string& expected_text) const {
    if (actual != expected) {
      fail(field,
           std::to_string(actual) + " entries, expected " + std::to_string(expected) + " (" + expected_text + ")");
    }
  }

  void check_in_unit_interval(const std::string& where, double value) const {
    if (!(std::isfinite(value) && value >= 0.0 && value <= 1.0))
      fail(where, format_number(value) + " is not in [0, 1]");
  }

  void check_sum_is_one(const std::string& where, double sum) const {
    if (!(std::fabs(sum - 1.0) <= sum_tolerance)) {
      fail(where, "entries sum to " + format_number(sum) + ", not 1 (tolerance 1e-9)");
    }
  }

  void check_transition(std::size_t regimes) const {
    const std::string field = "regimes.transition";
    check_size(field, model_.transition.size(), regimes * regimes,
               std::to_string(regimes) + " x " + std::to_string(regimes));
    for (std::size_t i = 0; i < regimes; ++i) {
      double sum = 0.0;
      for (std::size_t j = 0; j < regimes; ++j) {
        const double value = model_.transition[i * regimes + j];
        check_in_unit_interval(matrix_entry(field, i, j), value);
        sum += value;
      }
      check_sum_is_one(field + " row " + std::to_string(i), sum);
    }
  }

  void check_initial_distribution(std::size_t regimes) const {
    const std::string field = "regimes.initial_distribution";
    const std::vector<double>& initial = model_.initial_distribution;
    if (initial.empty()) return;
    if (initial.size() != regimes) {
      fail(field, std::to_string(initial.size()) + " entries, expected " + std::to_string(regimes) +
                      " (one per state) or none (start from the stationary distribution)");
    }
    double sum = 0.0;
    for (std::size_t k = 0; k < regimes; ++k) {
      check_in_unit_interval(field + "[" + std::to_string(k) + "]", initial[k]);
      sum += initial[k];
    }
    check_sum_is_one(field, sum);
  }

  // One value per market, finite, and >= 0 where `non_negative`.
  void check_per_market(std::size_t k, const std::string& name, const std::vector<double>& values,
                        bool non_negative) const {
    const std::string field = state_field(k, name);
    check_size(field, values.size(), markets_, "one per market");
    for (std::size_t m = 0; m < markets_; ++m) {
      const double value = values[m];
      if (!std::isfinite(value) || (non_negative && value < 0.0)) {
        fail(field + "[" + std::to_string(m) + "]",
             format_number(value) + (non_negative ? " is not a finite number >= 0" : " is not a finite number"));
      }
    }
  }

  void check_state(std::size_t k) const {
    const RegimeState& state = model_.states[k];
    if (state.name.empty()) fail(state_field(k, "name"), "empty; every state needs a name");
    check_per_market(k, "volatility", state.volatility, true);
    check_per_market(k, "drift", state.drift, false);
    check_per_market(k, "jump_mean", state.jump_mean, false);
    check_per_market(k, "jump_stddev", state.jump_stddev, true);
    if (!(std::isfinite(state.jump_intensity_per_day) && state.jump_intensity_per_day >= 0.0)) {
      fail(state_field(k, "jump_intensity_per_day"),
           format_number(state.jump_intensity_per_day) + " is not a finite number >= 0");
    }
    if (!(std::isfinite(state.depth_multiplier) && state.depth_multiplier > 0.0)) {
      fail(state_field(k, "depth_multiplier"), format_number(state.depth_multiplier) + " is not a finite number > 0");
    }
    check_correlation(k);
    check_garch(k);
    if (!(state.student_t_dof == 0.0 || (std::isfinite(state.student_t_dof) && state.student_t_dof > 2.0))) {
      fail(state_field(k, "student_t_dof"), format_number(state.student_t_dof) + regime_name(k) +
                                                " is neither 0 (normal shocks) nor a finite number > 2 (a "
                                                "Student-t with unit variance needs more than 2 degrees of freedom)");
    }
  }

  void check_garch(std::size_t k) const {
    const RegimeState& state = model_.states[k];
    if (!(std::isfinite(state.garch_alpha) && state.garch_alpha >= 0.0)) {
      fail(state_field(k, "garch_alpha"),
           format_number(state.garch_alpha) + regime_name(k) + " is not a finite number >= 0");
    }
    if (!(std::isfinite(state.garch_beta) && state.garch_beta >= 0.0)) {
      fail(state_field(k, "garch_beta"),
           format_number(state.garch_beta) + regime_name(k) + " is not a finite number >= 0");
    }
    if (!(state.garch_alpha + state.garch_beta < 1.0)) {
      fail(state_field(k, "garch_beta"),
           format_number(state.garch_beta) + regime_name(k) +
               " with garch_alpha = " + format_number(state.garch_alpha) + " gives garch_alpha + garch_beta = " +
               format_number(state.garch_alpha + state.garch_beta) + ", which must be < 1 (a stationary variance)");
    }
  }

  std::string regime_name(std::size_t k) const { return " (regime \"" + model_.states[k].name + "\")"; }

  void check_correlation(std::size_t k) const {
    const std::string field = state_field(k, "correlation");
    const std::vector<double>& correlation = model_.states[k].correlation;
    check_size(field, correlation.size(), markets_ * markets_,
               std::to_string(markets_) + " x " + std::to_string(markets_));
    for (std::size_t i = 0; i < markets_; ++i) {
      for (std::size_t j = 0; j < markets_; ++j) {
        const double value = correlation[i * markets_ + j];
        if (!(std::isfinite(value) && value >= -1.0 && value <= 1.0)) {
          fail(matrix_entry(field, i, j), format_number(value) + " is not in [-1, 1]");
        }
        if (i == j && !(std::fabs(value - 1.0) <= diagonal_tolerance)) {
          fail(matrix_entry(field, i, j), format_number(value) + " is on the diagonal, which must be 1");
        }
        const double mirror = correlation[j * markets_ + i];
        if (j < i && !(std::fabs(value - mirror) <= symmetry_tolerance)) {
          fail(matrix_entry(field, i, j), format_number(value) + " but " + row_column(j, i) + " is " +
                                              format_number(mirror) +
                                              "; the matrix must be symmetric (tolerance 1e-12)");
        }
      }
    }
    try {
      cholesky_lower(correlation, markets_);
    } catch (const std::invalid_argument& error) {
      fail(field, error.what());
    }
  }

  const RegimeModel& model_;
  std::size_t markets_;
  const std::string& source_;
};

}  // namespace

std::vector<double> stationary_distribution(const std::vector<double>& transition, std::size_t regimes) {
  const std::size_t n = regimes;
  if (n == 0 || transition.size() != n * n) {
    throw std::invalid_argument("stationary_distribution: transition must hold regimes x regimes entries");
  }
  // Augmented system [A | b], A = P^T - I with the last row replaced by ones, b = (0, ..., 0, 1).
  const std::size_t width = n + 1;
  std::vector<double> system(n * width, 0.0);
  for (std::size_t i = 0; i + 1 < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) system[i * width + j] = transition[j * n + i] - (i == j ? 1.0 : 0.0);
  }
  for (std::size_t j = 0; j < n; ++j) system[(n - 1) * width + j] = 1.0;
  system[(n - 1) * width + n] = 1.0;

  for (std::size_t column = 0; column < n; ++column) {
    std::size_t pivot_row = column;
    for (std::size_t row = column + 1; row < n; ++row) {
      if (std::fabs(system[row * width + column]) > std::fabs(system[pivot_row * width + column])) pivot_row = row;
    }
    const double pivot = system[pivot_row * width + column];
    if (!(std::fabs(pivot) > pivot_tolerance)) {
      throw std::invalid_argument("stationary_distribution: singular system at column " + std::to_string(column) +
                                  " (pivot " + format_number(pivot) + "): the stationary distribution is not unique");
    }
    if (pivot_row != column) {
      for (std::size_t j = 0; j < width; ++j) std::swap(system[pivot_row * width + j], system[column * width + j]);
    }
    for (std::size_t row = column + 1; row < n; ++row) {
      const double factor = system[row * width + column] / pivot;
      if (factor == 0.0) continue;
      for (std::size_t j = column; j < width; ++j) system[row * width + j] -= factor * system[column * width + j];
    }
  }
  std::vector<double> pi(n, 0.0);
  for (std::size_t i = n; i-- > 0;) {
    double value = system[i * width + n];
    for (std::size_t j = i + 1; j < n; ++j) value -= system[i * width + j] * pi[j];
    pi[i] = value / system[i * width + i];
  }

  double sum = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    if (!(pi[k] >= -negative_tolerance)) {
      throw std::invalid_argument("stationary_distribution: component " + std::to_string(k) + " is " +
                                  format_number(pi[k]) + " (below -1e-12)");
    }
    if (pi[k] < 0.0) pi[k] = 0.0;
    sum += pi[k];
  }
  for (double& component : pi) component /= sum;
  return pi;
}

std::vector<double> cholesky_lower(const std::vector<double>& matrix, std::size_t n) {
  if (matrix.size() != n * n) throw std::invalid_argument("cholesky_lower: matrix must hold n x n entries");
  std::vector<double> lower(n * n, 0.0);
  for (std::size_t j = 0; j < n; ++j) {
    double pivot = matrix[j * n + j];
    for (std::size_t k = 0; k < j; ++k) pivot -= lower[j * n + k] * lower[j * n + k];
    if (!(pivot > pivot_tolerance)) {
      throw std::invalid_argument("not positive definite (leading minor " + std::to_string(j + 1) + ")");
    }
    const double diagonal = std::sqrt(pivot);
    lower[j * n + j] = diagonal;
    for (std::size_t i = j + 1; i < n; ++i) {
      double value = matrix[i * n + j];
      for (std::size_t k = 0; k < j; ++k) value -= lower[i * n + k] * lower[j * n + k];
      lower[i * n + j] = value / diagonal;
    }
  }
  return lower;
}

void validate_regime_model(const RegimeModel& model, std::size_t markets, const std::string& source_name) {
  RegimeValidator(model, markets, source_name).run();
}

}  // namespace margin_stress
