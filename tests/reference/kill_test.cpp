// Runs killed at moments drawn from a fixed seed, SIGKILL, SIGTERM and SIGINT alike, while they
// compute and while they write: each leaves either no results file or a complete one, never
// disturbs an existing file, and whatever temporary it leaves is gone after the next run to the
// same path.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;
using testing::Outcome;
using testing::read_text;
using testing::run_cli;

constexpr int scenarios = 16;

// `margin-stress run` writing `out`, started in the background; returns its process id.
pid_t start_run(const std::string& out, bool force) {
  const pid_t child = fork();
  if (child == 0) {
    std::vector<std::string> words = {MARGIN_STRESS_BINARY,
                                      "run",
                                      "--quiet",
                                      "--scenarios",
                                      std::to_string(scenarios),
                                      "--steps",
                                      "24",
                                      "--out",
                                      out};
    if (force) words.emplace_back("--force");
    std::vector<char*> arguments;
    for (std::string& word : words) arguments.push_back(word.data());
    arguments.push_back(nullptr);
    execv(arguments[0], arguments.data());
    _exit(127);
  }
  return child;
}

// The number of scenarios a results file holds, or -1 if it cannot be read.
long scenarios_in(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return -1;
  long count = -1;
  const hid_t dataset = H5Dopen2(file, "/scenario/scenario", H5P_DEFAULT);
  if (dataset >= 0) {
    const hid_t space = H5Dget_space(dataset);
    count = static_cast<long>(H5Sget_simple_extent_npoints(space));
    H5Sclose(space);
    H5Dclose(dataset);
  }
  H5Fclose(file);
  return count;
}

std::vector<std::string> temporaries_in(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) names.push_back(entry.path().string());
  }
  return names;
}

class KilledRuns : public testing::ScratchDirectoryTest {};

TEST_F(KilledRuns, LeaveNoFileOrAWholeOneAndNoTemporaryAfterTheNextRun) {
  // How long an undisturbed run takes here, so that the kills fall across it.
  const std::string reference = path("reference.h5");
  const auto start = std::chrono::steady_clock::now();
  const Outcome whole =
      run_cli("run --quiet --scenarios " + std::to_string(scenarios) + " --steps 24 --out " + reference);
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  const double run_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(scenarios_in(reference), scenarios);

  std::mt19937 random(20261203);
  std::uniform_real_distribution<double> moment(0.0, 1.1 * run_seconds);
  const int kills[] = {SIGKILL, SIGTERM, SIGINT};
  int killed = 0;
  for (int trial = 0; trial < 9; ++trial) {
    const int signal_number = kills[trial % 3];
    // Every other trial replaces an earlier file (--force): killed, it leaves the old file or a whole
    // new one.
    const bool existing = trial % 2 == 1;
    SCOPED_TRACE("trial " + std::to_string(trial) + ", signal " + std::to_string(signal_number) +
                 (existing ? ", over an existing file" : ""));
    const std::string out = path("killed-" + std::to_string(trial) + ".h5");
    if (existing) fs::copy_file(reference, out);
    const std::string before = existing ? read_text(out) : std::string();
    const pid_t child = start_run(out, existing);
    ASSERT_GT(child, 0);
    std::this_thread::sleep_for(std::chrono::duration<double>(moment(random)));
    kill(child, signal_number);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    killed += WIFSIGNALED(status) ? 1 : 0;

    if (existing) {
      EXPECT_TRUE(read_text(out) == before || scenarios_in(out) == scenarios) << "the old file, or a whole new one";
    } else if (fs::exists(out)) {
      EXPECT_EQ(scenarios_in(out), scenarios) << "a results file that exists is whole";
    }
    if (signal_number != SIGKILL) {
      EXPECT_TRUE(temporaries_in(directory_).empty());
    }
    // The next run to the same path clears what a SIGKILL left.
    const Outcome next = run_cli("run --quiet --scenarios 2 --steps 8 --force --out " + out);
    EXPECT_EQ(next.exit_code, 0) << next.output;
    EXPECT_TRUE(temporaries_in(directory_).empty());
  }
  // The moments must have caught runs alive, or the test shows nothing.
  EXPECT_GE(killed, 3);
}

}  // namespace
}  // namespace margin_stress
