// The results file's faults as a user meets them: an output location that cannot be written is
// refused before the run, and a full disk during the write ends with a message, exit code 1 and no
// file (it used to crash at exit inside HDF5's library shutdown).
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

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

// A file system of 64 KiB (tmpfs, which needs root) fills up while the results are written.
TEST_F(OutputFaults, AFullDiskEndsWithAMessageAndNoFile) {
  const std::string disk = path("disk");
  fs::create_directories(disk);
  if (::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root): " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount(path.c_str()); }
  } unmount{disk};
  const Outcome outcome = run_cli("run --quiet --scenarios 8 --steps 48 --out " + disk + "/results.h5");
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  expect_contains(outcome.output, {"results.h5", "No space left on device"});
  EXPECT_EQ(std::distance(fs::directory_iterator(disk), fs::directory_iterator()), 0)
      << "the temporary file must be gone";
}

}  // namespace
}  // namespace margin_stress
