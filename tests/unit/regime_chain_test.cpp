// The regime chain's linear algebra and the validation of [regimes] (scenarios/regime_chain).
#include "scenarios/regime_chain.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

TEST(StationaryDistribution, TwoStateChainMatchesTheClosedForm) {
  // P = [[1-p, p], [q, 1-q]]: pi_0 = q / (p + q).
  const double p = 0.03;
  const double q = 0.2;
  const std::vector<double> pi = stationary_distribution({1 - p, p, q, 1 - q}, 2);
  ASSERT_EQ(pi.size(), 2u);
  EXPECT_NEAR(pi[0], q / (p + q), 1e-14);
  EXPECT_NEAR(pi[1], p / (p + q), 1e-14);
}

TEST(StationaryDistribution, ThreeStateChainIsAFixedPoint) {
  const std::vector<double> transition = {0.90, 0.08, 0.02,  //
                                          0.15, 0.80, 0.05,  //
                                          0.30, 0.20, 0.50};
  const std::vector<double> pi = stationary_distribution(transition, 3);
  ASSERT_EQ(pi.size(), 3u);
  double sum = 0.0;
  for (std::size_t j = 0; j < 3; ++j) {
    double image = 0.0;
    for (std::size_t i = 0; i < 3; ++i) image += pi[i] * transition[i * 3 + j];
    EXPECT_NEAR(image, pi[j], 1e-14) << "component " << j;
    EXPECT_GT(pi[j], 0.0);
    sum += pi[j];
  }
  EXPECT_NEAR(sum, 1.0, 1e-15);
}

TEST(StationaryDistribution, OneStateIsCertain) {
  const std::vector<double> pi = stationary_distribution({1.0}, 1);
  ASSERT_EQ(pi.size(), 1u);
  EXPECT_EQ(pi[0], 1.0);
}

TEST(StationaryDistribution, AbsorbingStateGetsAllTheMass) {
  const std::vector<double> pi = stationary_distribution({0.5, 0.5, 0.0, 1.0}, 2);
  EXPECT_NEAR(pi[0], 0.0, 1e-15);
  EXPECT_NEAR(pi[1], 1.0, 1e-15);
  EXPECT_GE(pi[0], 0.0);
}

TEST(StationaryDistribution, ReducibleChainHasNoUniqueAnswer) {
  // Two absorbing states: every mixture is stationary.
  EXPECT_THROW(stationary_distribution({1.0, 0.0, 0.0, 1.0}, 2), std::invalid_argument);
  // Two closed classes {0, 1} and {2}.
  EXPECT_THROW(stationary_distribution({0.5, 0.5, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 1.0}, 3), std::invalid_argument);
}

TEST(Cholesky, TwoByTwoMatchesHandComputation) {
  // [[4, 2], [2, 5]]: L = [[2, 0], [1, 2]].
  const std::vector<double> lower = cholesky_lower({4.0, 2.0, 2.0, 5.0}, 2);
  const std::vector<double> expected = {2.0, 0.0, 1.0, 2.0};
  EXPECT_EQ(lower, expected);
}

TEST(Cholesky, ThreeByThreeMatchesHandComputation) {
  // A = L L^T with L = [[1, 0, 0], [0.5, sqrt(0.75), 0], [0.3, 0.2/sqrt(0.75)... ]]: the
  // correlation matrix [[1, .5, .3], [.5, 1, .4], [.3, .4, 1]] gives
  //   L10 = 0.5, L11 = sqrt(1 - 0.25) = sqrt(0.75),
  //   L20 = 0.3, L21 = (0.4 - 0.5 * 0.3) / sqrt(0.75) = 0.25 / sqrt(0.75),
  //   L22 = sqrt(1 - 0.09 - 0.0625 / 0.75).
  const std::vector<double> lower = cholesky_lower({1.0, 0.5, 0.3, 0.5, 1.0, 0.4, 0.3, 0.4, 1.0}, 3);
  const std::vector<double> expected = {1.0,
                                        0.0,
                                        0.0,  //
                                        0.5,
                                        std::sqrt(0.75),
                                        0.0,  //
                                        0.3,
                                        0.25 / std::sqrt(0.75),
                                        std::sqrt(1.0 - 0.09 - 0.0625 / 0.75)};
  ASSERT_EQ(lower.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(lower[i], expected[i], 1e-15) << "entry " << i;
}

TEST(Cholesky, NotPositiveDefiniteNamesTheLeadingMinor) {
  // Leading minors 1, 1 - 0.81 > 0, then negative: |corr| pattern that is impossible.
  const std::vector<double> matrix = {1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0};
  try {
    cholesky_lower(matrix, 3);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "not positive definite (leading minor 3)");
  }
  EXPECT_THROW(cholesky_lower({1.0, 1.0, 1.0, 1.0}, 2), std::invalid_argument);  // singular
  EXPECT_THROW(cholesky_lower({0.0}, 1), std::invalid_argument);
}

// A valid 3-state, 2-market model; each validation case breaks one field.
RegimeModel valid_model() {
  RegimeModel model;
  const char* names[] = {"calm", "stressed", "crisis"};
  for (const char* name : names) {
    RegimeState state;
    state.name = name;
    state.volatility = {0.5, 0.8};
    state.drift = {0.0, -0.1};
    state.jump_mean = {-0.02, -0.03};
    state.jump_stddev = {0.01, 0.02};
    state.jump_intensity_per_day = 0.5;
    state.depth_multiplier = 1.0;
    state.correlation = {1.0, 0.7, 0.7, 1.0};
    model.states.push_back(state);
  }
  model.transition = {0.98, 0.015, 0.005, 0.05, 0.9, 0.05, 0.1, 0.2, 0.7};
  return model;
}

struct ValidationCase {
  std::string name;
  std::function<void(RegimeModel&)> breakage;
  std::string expected_message;
};

// gtest prints the case by name rather than as raw bytes.
void PrintTo(const ValidationCase& validation_case, std::ostream* out) { *out << validation_case.name; }

class RegimeValidation : public ::testing::TestWithParam<ValidationCase> {};

TEST(RegimeValidationBaseline, ValidModelPasses) {
  EXPECT_NO_THROW(validate_regime_model(valid_model(), 2, "config.toml"));
  RegimeModel with_initial = valid_model();
  with_initial.initial_distribution = {0.2, 0.3, 0.5};
  EXPECT_NO_THROW(validate_regime_model(with_initial, 2, "config.toml"));
}

TEST(RegimeValidationBaseline, GarchAndStudentTAtTheEdgesOfTheirRangesPass) {
  RegimeModel model = valid_model();
  model.states[0].garch_beta = 0.999;  // alpha = 0: the variance stays at its mean, allowed
  model.states[0].student_t_dof = 1e6;
  model.states[1].garch_alpha = 0.25;
  model.states[1].garch_beta = std::nextafter(0.75, 0.0);  // the sum just below 1
  model.states[1].student_t_dof = std::nextafter(2.0, 3.0);
  model.states[2].garch_alpha = 0.999;
  EXPECT_NO_THROW(validate_regime_model(model, 2, "config.toml"));
}

TEST_P(RegimeValidation, NamesTheFieldRowAndValue) {
  RegimeModel model = valid_model();
  GetParam().breakage(model);
  try {
    validate_regime_model(model, 2, "config.toml");
    FAIL() << "expected InputError containing: " << GetParam().expected_message;
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(GetParam().expected_message), std::string::npos)
        << "message: " << error.what();
    EXPECT_EQ(std::string(error.what()).rfind("config.toml: ", 0), 0u) << "message: " << error.what();
  }
}

const double nan = std::numeric_limits<double>::quiet_NaN();

INSTANTIATE_TEST_SUITE_P(
    EveryErrorPath, RegimeValidation,
    ::testing::Values(
        ValidationCase{"no_states",
                       [](RegimeModel& m) {
                         m.states.clear();
                         m.transition.clear();
                       },
                       "regimes.states: 0 states; allowed 1 to 255"},
        ValidationCase{"too_many_states",
                       [](RegimeModel& m) {
                         m.states.resize(256, m.states[0]);
                         m.transition.assign(256 * 256, 1.0 / 256);
                       },
                       "regimes.states: 256 states; allowed 1 to 255"},
        ValidationCase{"transition_size", [](RegimeModel& m) { m.transition.pop_back(); },
                       "regimes.transition: 8 entries, expected 9 (3 x 3)"},
        ValidationCase{"transition_negative",
                       [](RegimeModel& m) {
                         m.transition[5] = -0.05;
                         m.transition[4] = 1.0;
                       },
                       "regimes.transition row 1, column 2: -0.05 is not in [0, 1]"},
        ValidationCase{"transition_above_one", [](RegimeModel& m) { m.transition[6] = 1.5; },
                       "regimes.transition row 2, column 0: 1.5 is not in [0, 1]"},
        ValidationCase{"transition_nan", [](RegimeModel& m) { m.transition[1] = nan; },
                       "regimes.transition row 0, column 1: nan is not in [0, 1]"},
        ValidationCase{"transition_row_sum", [](RegimeModel& m) { m.transition[8] = 0.68; },
                       "regimes.transition row 2: entries sum to 0.9800000000000001, not 1 (tolerance 1e-9)"},
        ValidationCase{"initial_size",
                       [](RegimeModel& m) {
                         m.initial_distribution = {0.5, 0.5};
                       },
                       "regimes.initial_distribution: 2 entries, expected 3"},
        ValidationCase{"initial_entry",
                       [](RegimeModel& m) {
                         m.initial_distribution = {0.5, 1.5, -1.0};
                       },
                       "regimes.initial_distribution[1]: 1.5 is not in [0, 1]"},
        ValidationCase{"initial_sum",
                       [](RegimeModel& m) {
                         m.initial_distribution = {0.5, 0.25, 0.125};
                       },
                       "regimes.initial_distribution: entries sum to 0.875, not 1 (tolerance 1e-9)"},
        ValidationCase{"no_stationary", [](RegimeModel& m) { m.transition = {1, 0, 0, 0, 1, 0, 0, 0, 1}; },
                       "regimes.initial_distribution: empty, and regimes.transition has no unique stationary "
                       "distribution to start from; set regimes.initial_distribution"},
        ValidationCase{"empty_name", [](RegimeModel& m) { m.states[1].name.clear(); }, "regimes.states[1].name: empty"},
        ValidationCase{"duplicate_name", [](RegimeModel& m) { m.states[2].name = "calm"; },
                       "regimes.states[2].name: \"calm\" is also the name of regimes.states[0]"},
        ValidationCase{"volatility_size", [](RegimeModel& m) { m.states[1].volatility = {0.5}; },
                       "regimes.states[1].volatility: 1 entries, expected 2 (one per market)"},
        ValidationCase{"volatility_negative", [](RegimeModel& m) { m.states[2].volatility[1] = -0.1; },
                       "regimes.states[2].volatility[1]: -0.1 is not a finite number >= 0"},
        ValidationCase{"drift_size",
                       [](RegimeModel& m) {
                         m.states[0].drift = {0, 0, 0};
                       },
                       "regimes.states[0].drift: 3 entries, expected 2 (one per market)"},
        ValidationCase{"drift_infinite",
                       [](RegimeModel& m) { m.states[0].drift[0] = std::numeric_limits<double>::infinity(); },
                       "regimes.states[0].drift[0]: inf is not a finite number"},
        ValidationCase{"jump_mean_nan", [](RegimeModel& m) { m.states[1].jump_mean[1] = nan; },
                       "regimes.states[1].jump_mean[1]: nan is not a finite number"},
        ValidationCase{"jump_stddev_negative", [](RegimeModel& m) { m.states[1].jump_stddev[0] = -0.01; },
                       "regimes.states[1].jump_stddev[0]: -0.01 is not a finite number >= 0"},
        ValidationCase{"jump_intensity_negative", [](RegimeModel& m) { m.states[2].jump_intensity_per_day = -2; },
                       "regimes.states[2].jump_intensity_per_day: -2 is not a finite number >= 0"},
        ValidationCase{"depth_multiplier_zero", [](RegimeModel& m) { m.states[0].depth_multiplier = 0; },
                       "regimes.states[0].depth_multiplier: 0 is not a finite number > 0"},
        ValidationCase{"correlation_size", [](RegimeModel& m) { m.states[1].correlation = {1.0}; },
                       "regimes.states[1].correlation: 1 entries, expected 4 (2 x 2)"},
        ValidationCase{"correlation_range",
                       [](RegimeModel& m) {
                         m.states[1].correlation = {1.0, 1.2, 1.2, 1.0};
                       },
                       "regimes.states[1].correlation row 0, column 1: 1.2 is not in [-1, 1]"},
        ValidationCase{"correlation_nan", [](RegimeModel& m) { m.states[1].correlation[2] = nan; },
                       "regimes.states[1].correlation row 1, column 0: nan is not in [-1, 1]"},
        ValidationCase{"correlation_diagonal",
                       [](RegimeModel& m) {
                         m.states[2].correlation = {1.0, 0.5, 0.5, 0.9};
                       },
                       "regimes.states[2].correlation row 1, column 1: 0.9 is on the diagonal, which must be 1"},
        ValidationCase{"correlation_asymmetric",
                       [](RegimeModel& m) {
                         m.states[0].correlation = {1.0, 0.5, 0.4, 1.0};
                       },
                       "regimes.states[0].correlation row 1, column 0: 0.4 but row 0, column 1 is 0.5"},
        ValidationCase{"correlation_not_positive_definite",
                       [](RegimeModel& m) {
                         m.states[1].correlation = {1.0, 1.0, 1.0, 1.0};
                       },
                       "regimes.states[1].correlation: not positive definite (leading minor 2)"},
        ValidationCase{"garch_alpha_negative", [](RegimeModel& m) { m.states[1].garch_alpha = -0.1; },
                       "regimes.states[1].garch_alpha: -0.1 (regime \"stressed\") is not a finite number >= 0"},
        ValidationCase{"garch_alpha_nan", [](RegimeModel& m) { m.states[0].garch_alpha = nan; },
                       "regimes.states[0].garch_alpha: nan (regime \"calm\") is not a finite number >= 0"},
        ValidationCase{"garch_beta_negative", [](RegimeModel& m) { m.states[2].garch_beta = -0.5; },
                       "regimes.states[2].garch_beta: -0.5 (regime \"crisis\") is not a finite number >= 0"},
        ValidationCase{"garch_beta_infinite",
                       [](RegimeModel& m) { m.states[2].garch_beta = std::numeric_limits<double>::infinity(); },
                       "regimes.states[2].garch_beta: inf (regime \"crisis\") is not a finite number >= 0"},
        ValidationCase{"garch_not_stationary",
                       [](RegimeModel& m) {
                         m.states[2].garch_alpha = 0.25;
                         m.states[2].garch_beta = 0.75;
                       },
                       "regimes.states[2].garch_beta: 0.75 (regime \"crisis\") with garch_alpha = 0.25 gives "
                       "garch_alpha + garch_beta = 1, which must be < 1 (a stationary variance)"},
        ValidationCase{"student_t_dof_two", [](RegimeModel& m) { m.states[0].student_t_dof = 2.0; },
                       "regimes.states[0].student_t_dof: 2 (regime \"calm\") is neither 0 (normal shocks) nor a "
                       "finite number > 2"},
        ValidationCase{"student_t_dof_negative", [](RegimeModel& m) { m.states[1].student_t_dof = -4.0; },
                       "regimes.states[1].student_t_dof: -4 (regime \"stressed\") is neither 0"},
        ValidationCase{"student_t_dof_infinite",
                       [](RegimeModel& m) { m.states[1].student_t_dof = std::numeric_limits<double>::infinity(); },
                       "regimes.states[1].student_t_dof: inf (regime \"stressed\") is neither 0"},
        ValidationCase{"student_t_dof_nan", [](RegimeModel& m) { m.states[2].student_t_dof = nan; },
                       "regimes.states[2].student_t_dof: nan (regime \"crisis\") is neither 0"}),
    [](const ::testing::TestParamInfo<ValidationCase>& test_case) { return test_case.param.name; });

TEST(RegimeValidationMessages, NotPositiveDefiniteNamesTheMinorForThreeMarkets) {
  RegimeModel model = valid_model();
  for (RegimeState& state : model.states) {
    state.volatility = {0.5, 0.5, 0.5};
    state.drift = state.jump_mean = state.jump_stddev = {0.0, 0.0, 0.0};
    state.correlation = {1.0, 0.5, 0.5, 0.5, 1.0, 0.5, 0.5, 0.5, 1.0};
  }
  model.states[1].correlation = {1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0};
  try {
    validate_regime_model(model, 3, "config.toml");
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(), "config.toml: regimes.states[1].correlation: not positive definite (leading minor 3)");
  }
}

}  // namespace
}  // namespace margin_stress
