// The results file's faults as a user meets them: an output location that cannot be written, or
// that has far too little space, is refused before the run, and a disk that fills up during the
// run ends it with a message, exit code 1 and no file (it used to crash at exit inside HDF5's
// library shutdown).
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;
using testing::expect_contains;
using testing::Outcome;
using testing::run_cli;

class OutputFaults : public testing::ScratchDirectoryTest {};

// Refused at once: the default run takes seconds, the refusal a fraction of one.
TEST_F(OutputFaults, AnOutputThatCannotBeWrittenIsRefusedBeforeTheRun) {
  const auto start = std::chrono::steady_clock::now();
  const Outcome directory = run_cli("run --out " + directory_.string());
  EXPECT_EQ(directory.exit_code, 3) << directory.output;
  expect_contains(directory.output, {"is a directory"});
  const Outcome unwritable = run_cli("run --out /proc/results.h5");
  EXPECT_EQ(unwritable.exit_code, 3) << unwritable.output;
  expect_contains(unwritable.output, {"/proc/results.h5", "cannot write a file in /proc"});
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
}

// A small file system (tmpfs, which needs root) mounted at `disk` for the test's life; false where
// the test cannot mount one.
class SmallDisk {
 public:
  SmallDisk(const std::string& disk, const std::string& size) : disk_(disk) {
    fs::create_directories(disk);
    mounted_ = ::mount("tmpfs", disk.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    error_ = errno;
  }
  ~SmallDisk() {
    if (mounted_) ::umount(disk_.c_str());
  }
  bool mounted() const { return mounted_; }
  std::string why_not() const { return std::strerror(error_); }

 private:
  std::string disk_;
  bool mounted_ = false;
  int error_ = 0;
};

std::vector<std::string> entries_below(const std::string& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) names.push_back(entry.path().string());
  return names;
}

// Far too little space is found before the run, not after it.
TEST_F(OutputFaults, TooLittleSpaceIsRefusedBeforeTheRun) {
  const std::string disk = path("disk");
  const SmallDisk small(disk, "64k");
  if (!small.mounted()) GTEST_SKIP() << "cannot mount a small tmpfs here (needs root): " << small.why_not();
  const Outcome outcome = run_cli("run --quiet --scenarios 8 --steps 48 --out " + disk + "/results.h5");
  EXPECT_EQ(outcome.exit_code, 3) << outcome.output;
  expect_contains(outcome.output, {"results.h5", "the results file and its checkpoint need about", "free"});
  EXPECT_EQ(entries_below(disk), std::vector<std::string>());
}

// The disk fills up while the run computes (another program took the space after the run had
// checked it): a message, exit code 1, no results file and no temporary anywhere; batches the run
// finished before are kept for --resume, and said to be.
TEST_F(OutputFaults, ADiskThatFillsUpEndsWithAMessageAndNoFile) {
  const std::string disk = path("disk");
  const SmallDisk small(disk, "4m");
  if (!small.mounted()) GTEST_SKIP() << "cannot mount a small tmpfs here (needs root): " << small.why_not();
  const std::string out = disk + "/results.h5";
  Outcome outcome;
  std::thread run(
      [&] { outcome = run_cli("run --quiet --scenarios 24 --steps 48 --threads 2 --batch-scenarios 2 --out " + out); });
  for (int i = 0; i < 3000 && !fs::exists(out + ".checkpoint/manifest.toml"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::ofstream filler(disk + "/filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  run.join();
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  expect_contains(outcome.output, {"results.h5", "No space left on device"});
  EXPECT_FALSE(fs::exists(out));
  for (const std::string& entry : entries_below(disk)) {
    EXPECT_EQ(entry.find(".tmp-"), std::string::npos) << entry << ": a temporary was left behind";
  }
  if (fs::exists(out + ".checkpoint/batch-000000.bin")) {
    expect_contains(outcome.output, {"batches are kept in", "--resume"});
  } else {
    EXPECT_FALSE(fs::exists(out + ".checkpoint")) << "a checkpoint without batches is removed";
  }
}

}  // namespace
}  // namespace margin_stress
