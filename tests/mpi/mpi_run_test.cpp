// Runs over several MPI ranks (docs/cluster.md), as a user starts them with mpirun: their results
// files hold the same bits, dataset by dataset, as one process's on several configs; a rank that
// fails, or is killed, ends the run naming it, with no results file; and the run, resumed with
// another number of ranks, equals the uninterrupted one. Every other command, started as several
// ranks, refuses on rank 0 alone (exit 2) and writes nothing. Ranks here are CPU ranks, oversubscribed
// on whatever cores the machine has (Open MPI's settings for containers and root are in mpirun()).
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "host/io/hdf5_handles.hpp"
#include "tests/reference/cli_runner.hpp"
#include "tests/reference/results_contents.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;
using testing::expect_contains;
using testing::first_dataset_difference;
using testing::Outcome;
using testing::read_results;
using testing::run_cli;
using testing::run_shell;

// `margin-stress <arguments>` as `ranks` MPI ranks. Open MPI refuses root and more ranks than cores
// unless told; CI runs as root on 2 cores, and containers lack the kernel's cross-memory attach.
Outcome mpirun(int ranks, const std::string& arguments, const std::string& fault = "") {
  const std::string environment =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
      "OMPI_MCA_btl_vader_single_copy_mechanism=none " +
      (fault.empty() ? std::string() : "MARGIN_STRESS_TEST_RANK_FAULT=" + fault + " ");
  return run_shell(environment + MARGIN_STRESS_MPIEXEC + " -np " + std::to_string(ranks) + " " +
                   (fault.empty() ? "" : "-x MARGIN_STRESS_TEST_RANK_FAULT ") + MARGIN_STRESS_BINARY + " " + arguments +
                   " 2>&1");
}

struct RankAttributes {
  std::int64_t ranks = 0;
  std::vector<std::int64_t> scenarios;
  std::vector<double> busy_seconds;
  std::int64_t resumed_scenarios = -1;
};

RankAttributes rank_attributes(const std::string& path) {
  RankAttributes read;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return read;
  const auto scalar = [&](const char* name, std::int64_t& value) {
    const hid_t attribute = H5Aopen(file, name, H5P_DEFAULT);
    if (attribute < 0) return;
    H5Aread(attribute, H5T_NATIVE_INT64, &value);
    H5Aclose(attribute);
  };
  scalar("ranks", read.ranks);
  scalar("resumed_scenarios", read.resumed_scenarios);
  const auto vector = [&](const char* name, hid_t type, auto& values) {
    const hid_t attribute = H5Aopen(file, name, H5P_DEFAULT);
    if (attribute < 0) return;
    const hid_t space = H5Aget_space(attribute);
    values.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
    H5Aread(attribute, type, values.data());
    H5Sclose(space);
    H5Aclose(attribute);
  };
  vector("rank_scenarios", H5T_NATIVE_INT64, read.scenarios);
  vector("rank_busy_seconds", H5T_NATIVE_DOUBLE, read.busy_seconds);
  H5Fclose(file);
  return read;
}

std::string host_name() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

class MultiRankRuns : public testing::ScratchDirectoryTest {
 protected:
  // A preset (or the default) with a small book, so that each run takes a fraction of a second;
  // the replays' price files, named relative to the preset, found where the preset is.
  std::string small_config(const std::string& name, const std::string& preset = "") {
    const fs::path preset_path = fs::path(MARGIN_STRESS_SOURCE_DIR) / preset;
    std::string text = preset.empty() ? "" : testing::read_text(preset_path.string());
    const std::string relative = "file = \"data/";
    for (std::size_t at = text.find(relative); at != std::string::npos; at = text.find(relative, at + 1)) {
      text.replace(at, relative.size(), "file = \"" + (preset_path.parent_path() / "data/").string());
    }
    return write_file(name, text + "\n[portfolio]\naccounts = 1500\n");
  }

  // Runs `arguments` as one process and over each of `rank_counts`, and expects the same datasets.
  void expect_ranks_equal_one_process(const std::string& arguments, std::int64_t scenarios,
                                      std::initializer_list<int> rank_counts) {
    const std::string single = path("single.h5");
    fs::remove(single);
    const Outcome one = run_cli(arguments + " --out " + single);
    ASSERT_EQ(one.exit_code, 0) << one.output;
    const testing::FileContents expected = read_results(single);
    ASSERT_GE(expected.size(), 30u) << "the single-process results were not read";
    for (const int ranks : rank_counts) {
      SCOPED_TRACE(std::to_string(ranks) + " ranks: " + arguments);
      const std::string out = path("ranks-" + std::to_string(ranks) + ".h5");
      fs::remove(out);
      const Outcome many = mpirun(ranks, arguments + " --out " + out);
      ASSERT_EQ(many.exit_code, 0) << many.output;
      EXPECT_EQ(first_dataset_difference(expected, read_results(out)), "");
      const RankAttributes recorded = rank_attributes(out);
      EXPECT_EQ(recorded.ranks, ranks);
      ASSERT_EQ(recorded.scenarios.size(), static_cast<std::size_t>(ranks));
      EXPECT_EQ(std::accumulate(recorded.scenarios.begin(), recorded.scenarios.end(), std::int64_t{0}), scenarios)
          << "every scenario computed once";
      EXPECT_GE(std::count_if(recorded.scenarios.begin(), recorded.scenarios.end(), [](auto n) { return n > 0; }), 2)
          << "the batches were spread over the ranks";
      ASSERT_EQ(recorded.busy_seconds.size(), static_cast<std::size_t>(ranks));
      EXPECT_GT(recorded.busy_seconds[0], 0.0) << "rank 0 computes too";
    }
  }
};

TEST_F(MultiRankRuns, EqualOneProcessBitForBit) {
  expect_ranks_equal_one_process(
      "run --quiet --steps 24 --scenarios 12 --batch-scenarios 2 --threads 1 --seed 11 "
      "--config " +
          small_config("default.toml"),
      12, {2, 3});
}

TEST_F(MultiRankRuns, EqualOneProcessOnCrashesAndADrillDown) {
  // Crash scenarios, the costly ones; a range of scenarios, with a batch size that does not divide it.
  expect_ranks_equal_one_process(
      "run --quiet --steps 32 --scenarios 20 --scenario 3-15 --batch-scenarios 3 "
      "--threads 1 --config " +
          small_config("crash.toml", "scenarios/presets/shocks/flash-crash-30.toml"),
      13, {3});
}

TEST_F(MultiRankRuns, EqualOneProcessOnAReplayOverABookFile) {
  const std::string config = small_config("replay.toml", "scenarios/presets/replays/2020-03-12.toml");
  const std::string book = path("book.h5");
  ASSERT_EQ(
      run_cli("portfolio generate --quiet --accounts 1200 --seed 5 --config " + config + " --out " + book).exit_code,
      0);
  expect_ranks_equal_one_process("run --quiet --steps 24 --scenarios 8 --batch-scenarios 1 --threads 1 --config " +
                                     config + " --portfolio " + book,
                                 8, {2});
}

TEST_F(MultiRankRuns, EqualOneProcessUnderAPartialLiquidationPolicy) {
  expect_ranks_equal_one_process(
      "run --quiet --steps 24 --scenarios 9 --batch-scenarios 2 --threads 1 --config " +
          small_config("hyperliquid.toml", "scenarios/presets/policies/hyperliquid-like.toml"),
      9, {3});
}

// 12 batches of 2 scenarios: rank 1 fails at its second.
std::string faulted_run_arguments() {
  return "run --quiet --steps 24 --scenarios 24 --batch-scenarios 2 --threads 1 --seed 3";
}

class FailingRanks : public MultiRankRuns {
 protected:
  void SetUp() override {
    MultiRankRuns::SetUp();
    config_ = small_config("small.toml");
    reference_ = path("reference.h5");
    const Outcome whole = run_cli(faulted_run_arguments() + " --config " + config_ + " --out " + reference_);
    ASSERT_EQ(whole.exit_code, 0) << whole.output;
  }

  // What a failed run leaves: no results file, no temporary one, its checkpoint with finished batches.
  void expect_failed_run_left_its_checkpoint(const std::string& out) {
    EXPECT_FALSE(fs::exists(out)) << "a failed run writes no results";
    for (const auto& entry : fs::directory_iterator(directory_)) {
      EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
    }
    ASSERT_TRUE(fs::exists(out + ".checkpoint/manifest.toml"));
  }

  // Resumes the run writing `out` with `ranks` ranks and expects the uninterrupted run's datasets.
  void expect_resume_equals_uninterrupted_run(const std::string& out, int ranks) {
    const Outcome resumed = mpirun(ranks, faulted_run_arguments() + " --config " + config_ + " --resume --out " + out);
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_EQ(first_dataset_difference(read_results(reference_), read_results(out)), "");
    const RankAttributes recorded = rank_attributes(out);
    EXPECT_EQ(recorded.ranks, ranks);
    EXPECT_GT(recorded.resumed_scenarios, 0) << "batches were read from the checkpoint, not recomputed";
    EXPECT_LT(recorded.resumed_scenarios, 24);
    EXPECT_EQ(std::accumulate(recorded.scenarios.begin(), recorded.scenarios.end(), std::int64_t{0}),
              24 - recorded.resumed_scenarios);
    EXPECT_FALSE(fs::exists(out + ".checkpoint"));
  }

  std::string config_;
  std::string reference_;
};

TEST_F(FailingRanks, AnErrorOnARankEndsTheRunNamingRankHostAndCause) {
  const std::string out = path("failed.h5");
  const Outcome failed = mpirun(3, faulted_run_arguments() + " --config " + config_ + " --out " + out, "1:error:1");
  EXPECT_NE(failed.exit_code, 0) << failed.output;
  expect_contains(failed.output, {"error: rank 1 on host " + host_name() + " failed: a fault injected by",
                                  "batches are kept in " + out + ".checkpoint", "--resume"});
  expect_failed_run_left_its_checkpoint(out);
  // Resumed with another number of ranks.
  expect_resume_equals_uninterrupted_run(out, 2);
}

TEST_F(FailingRanks, AKilledRankEndsTheRunAndItResumesWithOtherRanks) {
  const std::string out = path("killed.h5");
  const Outcome killed = mpirun(2, faulted_run_arguments() + " --config " + config_ + " --out " + out, "1:kill:1");
  EXPECT_NE(killed.exit_code, 0) << killed.output;
  // Open MPI's mpirun names the rank, its node and the signal.
  expect_contains(killed.output, {"rank 1", "signal 9"});
  expect_failed_run_left_its_checkpoint(out);
  expect_resume_equals_uninterrupted_run(out, 3);
}

TEST_F(MultiRankRuns, ABadSetupOnOneRankIsReportedOnce) {
  const std::string out = write_file("taken.h5", "not ours");
  const Outcome refused = mpirun(
      2, "run --quiet --steps 8 --scenarios 4 --threads 1 --config " + small_config("small.toml") + " --out " + out);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;  // an existing output is a usage error (README)
  const std::string said = "the file exists";
  ASSERT_NE(refused.output.find(said), std::string::npos) << refused.output;
  EXPECT_EQ(refused.output.find(said, refused.output.find(said) + 1), std::string::npos) << "said once:\n"
                                                                                         << refused.output;
  EXPECT_EQ(testing::read_text(out), "not ours");

  const Outcome other = mpirun(2, "portfolio generate --accounts 10 --out " + path("book.h5"));
  EXPECT_EQ(other.exit_code, 2) << other.output;
  expect_contains(other.output, {"only `run` runs over several MPI ranks"});
  EXPECT_FALSE(fs::exists(path("book.h5")));
}

TEST_F(MultiRankRuns, EveryOtherCommandRefusesOnceAndWritesNothing) {
  // Only `run` spreads over ranks; N copies of another command would compute it N times and race
  // for its outputs. Each command's arguments parse, so the refusal is what stops it, before any
  // input is read (report's input is not a results file: read, it would be exit 3).
  const std::string source = MARGIN_STRESS_SOURCE_DIR;
  const std::string policy = source + "/scenarios/presets/policies/static.toml";
  const std::string small = "--scenarios 4 --steps 8 --threads 1 --config " + small_config("small.toml");
  const std::string prices = source + "/tests/data/backtest_btc_daily.csv";
  const std::string not_results = write_file("input.h5", "never read");
  struct Case {
    std::string command;  // as the refusal names it
    std::string arguments;
    std::vector<std::string> outputs;
  };
  const Case cases[] = {
      {"compare",
       "compare --quiet " + small + " --policy " + policy + " --out " + path("compare.csv") + " --summary-json " +
           path("compare.json"),
       {"compare.csv", "compare.json"}},
      {"optimize",
       "optimize --quiet " + small + " --policy " + policy + " --grid 3 --out " + path("frontier.csv") +
           " --summary-json " + path("frontier.json"),
       {"frontier.csv", "frontier.json"}},
      {"calibrate", "calibrate --prices " + prices + " --markets BTC --out " + path("model.toml"), {"model.toml"}},
      {"backtest", "backtest --prices " + prices + " --market BTC --out " + path("backtest.csv"), {"backtest.csv"}},
      {"portfolio generate", "portfolio generate --accounts 10 --out " + path("book.h5"), {"book.h5"}},
      {"verify", "verify --accounts 10", {}},
      {"report", "report " + not_results + " -o " + path("report.html"), {"report.html"}},
  };
  for (const Case& c : cases) {
    const Outcome refused = mpirun(2, c.arguments);
    EXPECT_EQ(refused.exit_code, 2) << c.arguments << "\n" << refused.output;
    const std::string said = "error: only `run` runs over several MPI ranks; start `" + c.command + "` as one process";
    const std::size_t at = refused.output.find(said);
    ASSERT_NE(at, std::string::npos) << c.arguments << "\n" << refused.output;
    EXPECT_EQ(refused.output.find(said, at + 1), std::string::npos) << "said once, by rank 0:\n" << refused.output;
    for (const std::string& output : c.outputs) EXPECT_FALSE(fs::exists(path(output))) << c.arguments;
  }
}

}  // namespace
}  // namespace margin_stress
