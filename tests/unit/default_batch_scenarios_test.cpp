// The default size of a checkpointed batch, worked by hand from its rule (host/cli/checkpointed_run.hpp):
// one process, about 1/32 of the run and at least 4 times what the backend runs at once; N ranks,
// 1/(4N) of the run, raised towards what one backend runs at once only as far as 2 batches per rank.
#include <gtest/gtest.h>

#include "host/cli/checkpointed_run.hpp"

namespace margin_stress {
namespace {

TEST(DefaultBatchScenarios, OneProcess) {
  EXPECT_EQ(default_batch_scenarios(1000, 4), 32);     // ceil(1000/32) = 32 > 16
  EXPECT_EQ(default_batch_scenarios(1000, 103), 412);  // a device with 103 in flight: 4 x 103
  EXPECT_EQ(default_batch_scenarios(24, 2), 8);
  EXPECT_EQ(default_batch_scenarios(5, 103), 5);  // never more than the run
  EXPECT_EQ(default_batch_scenarios(0, 4), 1);
}

TEST(DefaultBatchScenarios, ManyRanksBalanceFirst) {
  // 1,000 scenarios, GPUs running 103 at once (bench/RESULTS.md): 8 ranks get 2 batches each of
  // 63 (1000/16), not 3 batches of 412 among 8 ranks; 64 ranks 1000/256 = 4, raised to 1000/128
  // = 8; 512 ranks one scenario per batch.
  EXPECT_EQ(default_batch_scenarios(1000, 103, 8), 63);
  EXPECT_EQ(default_batch_scenarios(1000, 103, 64), 8);
  EXPECT_EQ(default_batch_scenarios(1000, 103, 512), 1);
  // CPU ranks of one thread: 1/(4N) of the run.
  EXPECT_EQ(default_batch_scenarios(96, 1, 3), 8);
  // Many scenarios: the device's count wins once every rank still has 2 batches.
  EXPECT_EQ(default_batch_scenarios(100000, 103, 8), 3125);
}

}  // namespace
}  // namespace margin_stress
