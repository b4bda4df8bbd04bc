// The one-line description of a policy in compare's and backtest's tables: it names what the
// policy observes only when that is the index, so a default policy's line stays as it was.
#include "host/cli/policy_description.hpp"

#include <gtest/gtest.h>

namespace margin_stress {
namespace {

TEST(PolicyDescription, NamesTheIndexWhenThePolicyObservesIt) {
  MarginPolicyParams policy;
  policy.ewma_lambda = 0.94;
  EXPECT_EQ(describe_policy(policy), "volatility_scaled, EWMA lambda 0.94, scale in [1, 3]");
  policy.observe = ObservedPrice::index;
  EXPECT_EQ(describe_policy(policy), "volatility_scaled, EWMA lambda 0.94, observing the index, scale in [1, 3]");
  policy.kind = MarginPolicyKind::static_margin;
  EXPECT_EQ(describe_policy(policy), "static");  // a static scale observes nothing
}

}  // namespace
}  // namespace margin_stress
