// Checkpoints: a batch encoded and decoded is the same bits, a damaged one is refused, and a
// checkpoint directory is locked, kept, refused or discarded as docs/results.md ("Checkpoints")
// says.
#include "host/io/checkpoint.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "host/io/batch_codec.hpp"
#include "host/io/checksum.hpp"
#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;

// A batch whose every field holds a distinct value, NaN and infinities among them.
BatchResults sample_batch(std::int64_t first, std::int64_t scenarios, std::int64_t steps, std::int64_t markets) {
  BatchResults batch;
  batch.first_scenario = first;
  double next = 0.5;
  auto value = [&] { return next += 1.25; };
  for (std::int64_t s = 0; s < scenarios; ++s) {
    ScenarioMetrics metrics;
    metrics.ledger = {1 + s, -2, 3, 4, 5, 6, 7, 8, -9, 10};
    metrics.insurance_fund_min = 11 + s;
    metrics.insurance_fund_end = 12;
    metrics.adl_notional_usd = value();
    metrics.cascade_rounds_total = 13;
    metrics.cascade_rounds_max = 14;
    metrics.round_cap_hits = 15;
    metrics.fund_exhausted = 1;
    for (std::int64_t m = 0; m < markets; ++m) {
      metrics.liquidated_notional_usd.push_back(value());
      metrics.liquidation_count.push_back(16 + m);
      metrics.peak_impact.push_back(value());
      metrics.max_margin_scale.push_back(value());
      metrics.deleveraged_notional_usd.push_back(value());
    }
    metrics.margin_calls = 17;
    metrics.backstopped_accounts = 18;
    metrics.backstop_notional_usd = std::numeric_limits<double>::infinity();
    batch.scenarios.push_back(metrics);
  }
  batch.series.resize(scenarios, steps, markets);
  StepSeries::for_each_list([&](auto list) {
    auto& values = batch.series.*list;
    for (std::size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<std::decay_t<decltype(values[i])>>(i % 97 + 1);
  });
  batch.series.mark_price_usd[0] = std::numeric_limits<double>::quiet_NaN();
  batch.series.margin_scale[1] = -0.0;
  return batch;
}

// Byte-for-byte equality, so that NaN and -0.0 count as kept only if their bits are.
template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

void expect_same(const BatchResults& expected, const BatchResults& actual) {
  EXPECT_EQ(expected.first_scenario, actual.first_scenario);
  ASSERT_EQ(expected.scenarios.size(), actual.scenarios.size());
  for (std::size_t s = 0; s < expected.scenarios.size(); ++s) {
    const ScenarioMetrics& a = expected.scenarios[s];
    const ScenarioMetrics& b = actual.scenarios[s];
    EXPECT_EQ(std::memcmp(&a.ledger, &b.ledger, sizeof a.ledger), 0);
    EXPECT_EQ(a.insurance_fund_min, b.insurance_fund_min);
    EXPECT_EQ(a.insurance_fund_end, b.insurance_fund_end);
    EXPECT_EQ(a.adl_notional_usd, b.adl_notional_usd);
    EXPECT_EQ(a.cascade_rounds_total, b.cascade_rounds_total);
    EXPECT_EQ(a.cascade_rounds_max, b.cascade_rounds_max);
    EXPECT_EQ(a.round_cap_hits, b.round_cap_hits);
    EXPECT_EQ(a.fund_exhausted, b.fund_exhausted);
    EXPECT_TRUE(same_bits(a.liquidated_notional_usd, b.liquidated_notional_usd));
    EXPECT_TRUE(same_bits(a.liquidation_count, b.liquidation_count));
    EXPECT_TRUE(same_bits(a.peak_impact, b.peak_impact));
    EXPECT_TRUE(same_bits(a.max_margin_scale, b.max_margin_scale));
    EXPECT_EQ(a.margin_calls, b.margin_calls);
    EXPECT_EQ(a.backstopped_accounts, b.backstopped_accounts);
    EXPECT_EQ(a.backstop_notional_usd, b.backstop_notional_usd);
    EXPECT_TRUE(same_bits(a.deleveraged_notional_usd, b.deleveraged_notional_usd));
  }
  EXPECT_EQ(expected.series.scenarios, actual.series.scenarios);
  EXPECT_EQ(expected.series.steps, actual.series.steps);
  EXPECT_EQ(expected.series.markets, actual.series.markets);
  StepSeries::for_each_list([&](auto list) { EXPECT_TRUE(same_bits(expected.series.*list, actual.series.*list)); });
}

TEST(BatchCodec, DecodesEveryFieldToTheSameBits) {
  const BatchResults batch = sample_batch(40, 3, 5, 2);
  expect_same(batch, decode_batch(encode_batch(batch), {40, 3, 5, 2}, "test"));
}

TEST(BatchCodec, RefusesDamagedTruncatedOrMisplacedBatches) {
  const std::string bytes = encode_batch(sample_batch(8, 2, 4, 3));
  for (std::size_t at : {std::size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    EXPECT_THROW(decode_batch(damaged, {8, 2, 4, 3}, "test"), std::runtime_error) << "a bit flipped at " << at;
  }
  EXPECT_THROW(decode_batch(bytes.substr(0, bytes.size() - 9), {8, 2, 4, 3}, "test"), std::runtime_error);
  EXPECT_THROW(decode_batch("", {8, 2, 4, 3}, "test"), std::runtime_error);
  try {
    decode_batch(bytes, {12, 2, 4, 3}, "batch-3.bin");
    FAIL() << "a batch of scenarios 8 and 9 read as scenarios 12 and 13";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("batch-3.bin"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("scenarios 8 + 2"), std::string::npos) << error.what();
  }
}

TEST(Checksum, IsZlibsCrc32) {
  // The CRC-32 check value of "123456789" (the polynomial of zlib, gzip and PNG).
  EXPECT_EQ(crc32_of("123456789", 9), 0xcbf43926u);
  EXPECT_EQ(crc32_of("6789", 4, crc32_of("12345", 5)), 0xcbf43926u) << "continued in pieces";
}

// An input file is named relative to the working directory when it is inside it, with its absolute
// path beside; outside it, by its absolute path alone (docs/results.md, `input_files`).
TEST(Checksum, InputFilesAreNamedRelativeToTheWorkingDirectoryWithTheAbsolutePathBeside) {
  const fs::path directory = fs::temp_directory_path() / ("margin-stress-describe-" + std::to_string(getpid()));
  fs::create_directories(directory / "data");
  std::ofstream(directory / "data" / "book.h5") << "12345";
  const fs::path outside = fs::temp_directory_path() / ("margin-stress-outside-" + std::to_string(getpid()) + ".csv");
  std::ofstream(outside) << "123456789";
  const fs::path working_directory = fs::current_path();
  fs::current_path(directory);
  const std::string inside = describe_input_file(identify_input_file("portfolio", "data/../data/book.h5"));
  const std::string given_absolute =
      describe_input_file(identify_input_file("portfolio", (directory / "data/book.h5").string()));
  const std::string elsewhere = describe_input_file(identify_input_file("replay BTC", outside.string()));
  fs::current_path(working_directory);
  fs::remove_all(directory);
  fs::remove(outside);
  const std::string absolute = (directory / "data" / "book.h5").string();
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", crc32_of("12345", 5));
  EXPECT_EQ(inside, "data/book.h5 (" + absolute + ", 5 bytes, CRC-32 " + crc + ")");
  EXPECT_EQ(given_absolute, inside) << "however the path was given";
  EXPECT_EQ(elsewhere, outside.string() + " (9 bytes, CRC-32 cbf43926)");
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("margin-stress-checkpoint-test-" + std::to_string(getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
    fs::create_directories(directory_);
    results_ = (directory_ / "results.h5").string();
    identity_.program = "1.0 (abc)";
    identity_.config_text = "[run]\nscenarios = 10\nsteps = 4\n";
    identity_.scenarios = 10;
    identity_.steps = 4;
    identity_.markets = 2;
  }
  void TearDown() override { fs::remove_all(directory_); }

  fs::path directory_;
  std::string results_;
  RunIdentity identity_;
};

TEST_F(CheckpointTest, KeepsFinishedBatchesForTheSameRunOnly) {
  {
    Checkpoint checkpoint(results_, identity_, 4, CheckpointStart::fresh);
    EXPECT_EQ(checkpoint.batch_count(), 3);
    EXPECT_EQ(checkpoint.scenario_count(2), 2) << "10 scenarios in batches of 4: 4, 4, 2";
    EXPECT_EQ(checkpoint.finished_batches(), 0);
    checkpoint.write(0, sample_batch(0, 4, 4, 2));
    checkpoint.write(2, sample_batch(8, 2, 4, 2));
  }
  // A new run that does not say --resume or --force must not lose what is there.
  EXPECT_THROW(Checkpoint(results_, identity_, 4, CheckpointStart::fresh), InputError);

  {
    // Resumed with another batch size asked: the checkpoint's own is kept.
    Checkpoint resumed(results_, identity_, 3, CheckpointStart::resume);
    EXPECT_EQ(resumed.batch_scenarios(), 4);
    EXPECT_TRUE(resumed.finished(0));
    EXPECT_FALSE(resumed.finished(1));
    EXPECT_TRUE(resumed.finished(2));
    expect_same(sample_batch(8, 2, 4, 2), resumed.read(2));
  }

  RunIdentity other = identity_;
  other.config_text = "[run]\nscenarios = 10\nsteps = 4\nseed = 7\n";
  other.inputs.push_back({"portfolio", "book.h5", 100, 0x1234abcd});
  try {
    Checkpoint refused(results_, other, 4, CheckpointStart::resume);
    FAIL() << "a checkpoint of another run was resumed";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("line 4: `(nothing)` in the checkpoint, `seed = 7` now"), std::string::npos) << message;
    EXPECT_NE(message.find("the portfolio file book.h5 is new"), std::string::npos) << message;
  }

  {
    Checkpoint discarded(results_, identity_, 5, CheckpointStart::discard);
    EXPECT_EQ(discarded.finished_batches(), 0);
    EXPECT_EQ(discarded.batch_scenarios(), 5);
    discarded.remove();
  }
  EXPECT_FALSE(fs::exists(checkpoint_directory(results_)));
}

TEST_F(CheckpointTest, AChangedInputFileIsNamedWithBothChecksums) {
  const std::string book = (directory_ / "book.h5").string();
  std::ofstream(book) << "first";
  identity_.inputs.push_back(identify_input_file("portfolio", book));
  {
    Checkpoint checkpoint(results_, identity_, 4, CheckpointStart::fresh);
    checkpoint.write(0, sample_batch(0, 4, 4, 2));
  }
  std::ofstream(book) << "other";  // the same path and size, other bytes
  RunIdentity now = identity_;
  now.inputs = {identify_input_file("portfolio", book)};
  try {
    Checkpoint refused(results_, now, 4, CheckpointStart::resume);
    FAIL() << "a changed portfolio file was not noticed";
  } catch (const InputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("the portfolio file was " + book + " (5 bytes, CRC-32 "), std::string::npos) << message;
  }
}

TEST_F(CheckpointTest, OneRunAtATimeHoldsIt) {
  const Checkpoint first(results_, identity_, 4, CheckpointStart::fresh);
  try {
    Checkpoint second(results_, identity_, 4, CheckpointStart::discard);
    FAIL() << "two runs wrote one checkpoint";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("another margin-stress run is writing these results"), std::string::npos)
        << error.what();
  }
}

TEST_F(CheckpointTest, OneWithoutFinishedBatchesIsRemovedWhenItsRunEnds) {
  { const Checkpoint checkpoint(results_, identity_, 4, CheckpointStart::fresh); }
  EXPECT_FALSE(fs::exists(checkpoint_directory(results_))) << "nothing to resume, nothing left behind";
}

TEST_F(CheckpointTest, ADamagedBatchIsRefusedWithItsPath) {
  Checkpoint checkpoint(results_, identity_, 4, CheckpointStart::fresh);
  checkpoint.write(1, sample_batch(4, 4, 4, 2));
  const std::string batch = checkpoint_directory(results_) + "/batch-000001.bin";
  fs::resize_file(batch, fs::file_size(batch) - 3);
  try {
    checkpoint.read(1);
    FAIL() << "a truncated batch was read";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(batch), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace margin_stress
