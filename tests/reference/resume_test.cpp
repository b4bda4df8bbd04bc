// Checkpoint and resume, as a user meets them: a run stopped by SIGTERM or SIGINT after some
// batches, or killed by SIGKILL, continues with `run --resume` to results equal bit for bit to an
// uninterrupted run's; a resume with other inputs is refused, saying what differs; a new run never
// silently discards a checkpoint; two runs never write one checkpoint. And drill-down: scenarios
// rerun alone by number (`run --scenario`) are the same bits as in the whole run.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "host/io/checksum.hpp"
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

// 12 batches of 2 scenarios: long enough to be stopped in the middle.
std::string run_arguments(int scenarios = 24, int threads = 2) {
  return "run --quiet --steps 48 --batch-scenarios 2 --scenarios " + std::to_string(scenarios) + " --threads " +
         std::to_string(threads);
}

pid_t start_run(const std::string& arguments) {
  const pid_t child = fork();
  if (child == 0) {
    const std::string command = std::string(MARGIN_STRESS_BINARY) + " " + arguments + " >/dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return child;
}

// Waits until the checkpoint of `out` holds a finished batch (or the run has ended).
void wait_for_a_batch(const std::string& out, pid_t child) {
  const std::string first_batch = out + ".checkpoint/batch-000000.bin";
  for (int i = 0; i < 3000 && !fs::exists(first_batch); ++i) {
    if (waitpid(child, nullptr, WNOHANG) == child) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::int64_t resumed_scenarios(const std::string& path) {
  std::int64_t resumed = -1;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return resumed;
  const hid_t attribute = H5Aopen(file, "resumed_scenarios", H5P_DEFAULT);
  if (attribute >= 0) {
    H5Aread(attribute, H5T_NATIVE_INT64, &resumed);
    H5Aclose(attribute);
  }
  H5Fclose(file);
  return resumed;
}

class ResumedRuns : public testing::ScratchDirectoryTest {
 protected:
  // The uninterrupted run every resumed one must equal.
  void SetUp() override {
    ScratchDirectoryTest::SetUp();
    reference_ = path("reference.h5");
    const Outcome whole = run_cli(run_arguments() + " --out " + reference_);
    ASSERT_EQ(whole.exit_code, 0) << whole.output;
    EXPECT_FALSE(fs::exists(reference_ + ".checkpoint")) << "a finished run leaves no checkpoint";
  }

  // Starts the run writing `out` (with `config_options`, "--config FILE ..."), stops it with `signal_number` once a
  // batch is done, and checks what it left: no results file, its checkpoint.
  void stop_a_run(const std::string& out, int signal_number, const std::string& config_options = "") {
    const pid_t child = start_run(run_arguments() + config_options + " --out " + out);
    ASSERT_GT(child, 0);
    wait_for_a_batch(out, child);
    kill(child, signal_number);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the run ends by the signal, as if it had not caught it";
    EXPECT_EQ(WTERMSIG(status), signal_number);
    EXPECT_FALSE(fs::exists(out)) << "a stopped run writes no results";
    ASSERT_TRUE(fs::exists(out + ".checkpoint/manifest.toml")) << "a stopped run keeps its checkpoint";
  }

  std::string reference_;
};

TEST_F(ResumedRuns, EqualAnUninterruptedRunBitForBitAfterAnySignal) {
  for (const int signal_number : {SIGTERM, SIGINT, SIGKILL}) {
    SCOPED_TRACE("signal " + std::to_string(signal_number));
    const std::string out = path("stopped-" + std::to_string(signal_number) + ".h5");
    stop_a_run(out, signal_number);
    // The resumed run may use another number of threads: it does not change the results.
    const Outcome resumed = run_cli(run_arguments(24, 1) + " --resume --out " + out);
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_EQ(first_dataset_difference(read_results(reference_), read_results(out)), "");
    EXPECT_GT(resumed_scenarios(out), 0) << "batches were read from the checkpoint, not recomputed";
    EXPECT_LT(resumed_scenarios(out), 24);
    EXPECT_FALSE(fs::exists(out + ".checkpoint")) << "the checkpoint goes once the results are published";
  }
}

TEST_F(ResumedRuns, ARunWithOtherInputsIsRefusedSayingWhatDiffers) {
  const std::string out = path("stopped.h5");
  stop_a_run(out, SIGTERM);
  const Outcome other_seed = run_cli(run_arguments() + " --seed 7 --resume --out " + out);
  EXPECT_EQ(other_seed.exit_code, 3) << other_seed.output;
  expect_contains(other_seed.output, {"is of another run", "seed = 7` now"});
  const Outcome fewer = run_cli(run_arguments(20) + " --resume --out " + out);
  EXPECT_EQ(fewer.exit_code, 3) << fewer.output;
  expect_contains(fewer.output, {"24 scenarios in the checkpoint, 20 scenarios now"});

  // Without --resume or --force a new run must not throw the finished batches away: a usage error,
  // as for an output file that exists.
  const Outcome fresh = run_cli(run_arguments() + " --out " + out);
  EXPECT_EQ(fresh.exit_code, 2) << fresh.output;
  expect_contains(fresh.output, {"finished batches of an unfinished run", "--resume", "--force"});

  // The refusals left the checkpoint as it was: the right resume still finishes the run.
  const Outcome resumed = run_cli(run_arguments() + " --resume --out " + out);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(first_dataset_difference(read_results(reference_), read_results(out)), "");
}

// The merged configuration is what identifies a run: config files layered one way resume under a
// layering that merges to the same configuration, and not under one that merges to another.
TEST_F(ResumedRuns, ALayeringThatMergesToTheSameConfigurationIsTheSameRun) {
  const std::string static_policy = write_file("static.toml", "[margin_policy]\nkind = \"static\"\n");
  const std::string partial = write_file("partial.toml", "[liquidation]\nmode = \"partial\"\n");
  const std::string scaled = write_file("scaled.toml", "[margin_policy]\nkind = \"volatility_scaled\"\n");
  const std::string both =
      write_file("both.toml", "[margin_policy]\nkind = \"static\"\n\n[liquidation]\nmode = \"partial\"\n");
  const std::string reference = path("both.h5");
  const Outcome whole = run_cli(run_arguments() + " --config " + both + " --out " + reference);
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  EXPECT_NE(first_dataset_difference(read_results(reference_), read_results(reference)), "")
      << "the layers must change the run, or this test could not tell one configuration from another";

  const std::string out = path("layered.h5");
  stop_a_run(out, SIGTERM, " --config " + scaled + " --config " + static_policy + " --config " + partial);
  // In another order the policy layers merge to the volatility-scaled policy: another run.
  const Outcome reordered = run_cli(run_arguments() + " --config " + static_policy + " --config " + scaled +
                                    " --config " + partial + " --resume --out " + out);
  EXPECT_EQ(reordered.exit_code, 3) << reordered.output;
  expect_contains(reordered.output, {"is of another run", "kind"});
  const Outcome resumed = run_cli(run_arguments() + " --config " + both + " --resume --out " + out);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_GT(resumed_scenarios(out), 0) << "batches were read from the checkpoint, not recomputed";
  EXPECT_EQ(first_dataset_difference(read_results(reference), read_results(out)), "");
}

TEST_F(ResumedRuns, AChangedPortfolioFileIsRefused) {
  const std::string book = path("book.h5");
  ASSERT_EQ(run_cli("portfolio generate --quiet --accounts 400 --seed 3 --out " + book).exit_code, 0);
  const std::string out = path("stopped.h5");
  const pid_t child = start_run(run_arguments() + " --portfolio " + book + " --out " + out);
  wait_for_a_batch(out, child);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_EQ(run_cli("portfolio generate --quiet --force --accounts 400 --seed 4 --out " + book).exit_code, 0);
  const Outcome resumed = run_cli(run_arguments() + " --portfolio " + book + " --resume --out " + out);
  EXPECT_EQ(resumed.exit_code, 3) << resumed.output;
  expect_contains(resumed.output, {"the portfolio file was " + book, "CRC-32"});

  // The results record the same checksum, which any CRC-32 of the file's bytes reproduces.
  const Outcome fresh = run_cli(run_arguments() + " --portfolio " + book + " --force --out " + out);
  ASSERT_EQ(fresh.exit_code, 0) << fresh.output;
  const std::string bytes = testing::read_text(book);
  char checksum[16];
  std::snprintf(checksum, sizeof checksum, "%08x", crc32_of(bytes.data(), bytes.size()));
  const hid_t file = H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const std::string recorded = hdf5::read_string_attribute(hdf5::File(file, out, "/"), "input_files");
  EXPECT_EQ(recorded, "portfolio " + book + " (" + std::to_string(bytes.size()) + " bytes, CRC-32 " + checksum + ")");
}

TEST_F(ResumedRuns, ASecondRunOnTheSameOutputIsRefusedWhileTheFirstRuns) {
  const std::string out = path("shared.h5");
  const pid_t first = start_run(run_arguments() + " --out " + out);
  wait_for_a_batch(out, first);
  const Outcome second = run_cli(run_arguments() + " --force --out " + out);
  int status = 0;
  waitpid(first, &status, 0);
  EXPECT_EQ(second.exit_code, 3) << second.output;
  expect_contains(second.output, {"another margin-stress run is writing these results"});
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the first run was disturbed";
  EXPECT_EQ(first_dataset_difference(read_results(reference_), read_results(out)), "");
}

// Scenario `s` of a whole run's dataset: its slice of the bytes (every /scenario and /series array
// is scenario-major).
std::vector<unsigned char> scenarios_of(const testing::DatasetBytes& whole, std::int64_t run_scenarios,
                                        std::int64_t first, std::int64_t count) {
  const std::size_t per_scenario = whole.bytes.size() / static_cast<std::size_t>(run_scenarios);
  const auto begin = whole.bytes.begin() + static_cast<std::ptrdiff_t>(per_scenario * static_cast<std::size_t>(first));
  return {begin, begin + static_cast<std::ptrdiff_t>(per_scenario * static_cast<std::size_t>(count))};
}

TEST_F(ResumedRuns, ScenariosRerunByNumberAreTheBitsOfTheWholeRun) {
  const testing::FileContents whole = read_results(reference_);
  for (const auto& [first, last] : {std::pair<std::int64_t, std::int64_t>{5, 7}, {23, 23}, {0, 0}}) {
    const std::string chosen = std::to_string(first) + (last == first ? "" : "-" + std::to_string(last));
    SCOPED_TRACE("--scenario " + chosen);
    const std::string out = path("drill-" + chosen + ".h5");
    const Outcome drilled = run_cli(run_arguments() + " --scenario " + chosen + " --out " + out);
    ASSERT_EQ(drilled.exit_code, 0) << drilled.output;
    const testing::FileContents part = read_results(out);
    int compared = 0;
    for (const auto& [name, bytes] : part) {
      const bool per_scenario = name.rfind("/scenario/", 0) == 0 || name.rfind("/series/", 0) == 0;
      if (!per_scenario || name.find("/market") != std::string::npos || name == "/series/step") continue;
      EXPECT_EQ(bytes.bytes, scenarios_of(whole.at(name), 24, first, last - first + 1)) << name;
      ++compared;
    }
    EXPECT_GE(compared, 30) << "the per-scenario datasets were not found";
  }
  const Outcome outside = run_cli(run_arguments() + " --scenario 20-24 --out " + path("outside.h5"));
  EXPECT_EQ(outside.exit_code, 3) << outside.output;
  expect_contains(outside.output, {"--scenario 20-24", "scenarios are 0 to 23"});
}

}  // namespace
}  // namespace margin_stress
