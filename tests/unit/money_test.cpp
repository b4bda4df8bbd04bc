// Money's two conversions to dollars (docs/model.md, section 1): the model's arithmetic multiplies
// micro-dollars by the double nearest 1e-6 (to_usd), reports divide by 1e6 (usd_figure), which is
// the double nearest the amount in USD. The oracle is the C library's decimal reader, which rounds
// "<k>e-6" correctly to the nearest double.
#include "host/model/money.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace margin_stress {
namespace {

double nearest_double_to_micro_dollars(std::int64_t amount) {
  return std::strtod((std::to_string(amount) + "e-6").c_str(), nullptr);
}

TEST(Money, ReportedFiguresAreTheNearestDoubleToTheAmount) {
  std::int64_t products_not_nearest = 0;
  for (std::int64_t amount = -100000; amount <= 100000; ++amount) {
    ASSERT_EQ(usd_figure(amount), nearest_double_to_micro_dollars(amount)) << amount;
    if (to_usd(amount) != usd_figure(amount)) ++products_not_nearest;
  }
  // About one amount in three differs in the last bit when multiplied by 1e-6: why reports divide.
  EXPECT_GT(products_not_nearest, 200001 / 4);
  EXPECT_LT(products_not_nearest, 200001 / 2);
  // 5 micro-dollars: the product is 4.9999999999999996e-06, the nearest double is 5e-06.
  EXPECT_EQ(usd_figure(5), 5e-6);
  EXPECT_NE(to_usd(5), 5e-6);
  // Large amounts up to 2^53 micro-dollars (9.0e9 USD) convert exactly, so the quotient is nearest too.
  for (const std::int64_t amount : {std::int64_t{9007199254740992}, std::int64_t{4503599627370497},
                                    std::int64_t{-1234567890123456}, std::int64_t{3000000000000001}}) {
    EXPECT_EQ(usd_figure(amount), nearest_double_to_micro_dollars(amount)) << amount;
  }
}

TEST(Money, CashRoundTripsThroughTheReportedFigure) {
  for (const std::int64_t amount : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-7}, std::int64_t{123456789012},
                                    std::int64_t{-999999999999999}}) {
    EXPECT_EQ(to_micro_usd(usd_figure(amount)), amount) << amount;
  }
}

}  // namespace
}  // namespace margin_stress
