// Price impact (host/model/formulas/impact.hpp; docs/model.md section 5), against closed forms.
#include <gtest/gtest.h>

#include <cmath>

#include "host/model/formulas/impact.hpp"

namespace margin_stress::formulas {
namespace {

TEST(Impact, LinearAndSquareRootLaws) {
  EXPECT_DOUBLE_EQ(log_impact(ImpactLaw::linear, -1.0e6, 1.0e8), -0.01);
  EXPECT_DOUBLE_EQ(log_impact(ImpactLaw::linear, 2.0e6, 1.0e8), 0.02);
  EXPECT_DOUBLE_EQ(log_impact(ImpactLaw::square_root, -1.0e6, 1.0e8), -0.1);
  EXPECT_DOUBLE_EQ(log_impact(ImpactLaw::square_root, 4.0e6, 1.0e8), 0.2);
  EXPECT_EQ(log_impact(ImpactLaw::square_root, 0.0, 1.0e8), 0.0);
}

TEST(Impact, TemporaryDecayHalvesPerHalfLife) {
  EXPECT_DOUBLE_EQ(temporary_decay_factor(300.0, 300.0), 0.5);
  EXPECT_DOUBLE_EQ(temporary_decay_factor(600.0, 300.0), std::sqrt(0.5));
  EXPECT_EQ(temporary_decay_factor(0.0, 300.0), 0.0);
}

// The band keeps the mark's total log deviation from the fundamental within [-band, band].
TEST(Impact, BandLimitsTheTotalDeviation) {
  // Already at -0.25 of a 0.3 band: a further -0.1 is cut to -0.05; +0.1 passes whole.
  EXPECT_DOUBLE_EQ(banded_impact(-0.25, -0.1, 0.3), -0.05);
  EXPECT_DOUBLE_EQ(banded_impact(-0.25, 0.1, 0.3), 0.1);
  // At the band's edge nothing more moves it that way.
  EXPECT_EQ(banded_impact(0.3, 0.2, 0.3), 0.0);
  EXPECT_DOUBLE_EQ(banded_impact(0.0, -1.0, 0.3), -0.3);
}

}  // namespace
}  // namespace margin_stress::formulas
