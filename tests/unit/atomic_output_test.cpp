// Output that cannot be half-written or clobbered (host/io/atomic_output.hpp): the location checked
// before a run, two writers racing for one name, the temporary of a process that is gone, and a
// temporary removed by SIGTERM during the write.
#include "host/io/atomic_output.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/unit/input_error_matchers.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;
using testing::expect_contains;
using testing::input_error_of;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class AtomicOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        fs::temp_directory_path() /
        ("margin-stress-atomic-output-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
         "-" + std::to_string(getpid()));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }
  std::string path(const std::string& name) const { return (directory_ / name).string(); }
  void write_file(const std::string& name, const std::string& text) const { std::ofstream(path(name)) << text; }

  fs::path directory_;
};

TEST_F(AtomicOutput, TheLocationIsCheckedBeforeTheRun) {
  expect_contains(input_error_of([&] { check_output_path(directory_.string(), true); }), {"is a directory"});
  expect_contains(input_error_of([&] { check_output_path(path("missing/out.h5"), false); }),
                  {"missing/out.h5", "does not exist"});
  // A directory that takes no new file, whoever runs the test (root included).
  expect_contains(input_error_of([] { check_output_path("/proc/out.h5", false); }),
                  {"/proc/out.h5", "cannot write a file in /proc"});
  write_file("out.h5", "earlier");
  expect_contains(input_error_of([&] { check_output_path(path("out.h5"), false); }), {"exists", "--force"});
  check_output_path(path("out.h5"), true);
  // The check leaves nothing behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(directory_), fs::directory_iterator()), 1);
}

// Another run publishes the name while this one writes: this one fails, the other's file stays.
TEST_F(AtomicOutput, OfTwoWritersRacingForOneNameTheSecondFails) {
  const std::string out = path("out.h5");
  const std::string message = input_error_of([&] {
    write_atomically(out, false, [&](const std::string& temporary) {
      std::ofstream(out) << "the other run's results";
      std::ofstream(temporary) << "this run's results";
    });
  });
  expect_contains(message, {"out.h5", "appeared while this run was writing", "--force"});
  EXPECT_EQ(read_text(out), "the other run's results");
  EXPECT_FALSE(fs::exists(temporary_output_path(out)));
  // With --force the later write replaces it.
  write_text_atomically(out, true, "this run's results");
  EXPECT_EQ(read_text(out), "this run's results");
}

// A temporary whose process is gone is removed by the next write to the same path; a live
// process's is not.
TEST_F(AtomicOutput, TheTemporaryOfAProcessThatIsGoneIsRemoved) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);  // its process id is now free
  const std::string out = path("out.h5");
  const std::string ours = temporary_output_path(out);
  const std::string stem = ours.substr(0, ours.rfind('-') + 1);
  const std::string gone = stem + std::to_string(child);
  const std::string alive = stem + std::to_string(getppid());
  std::ofstream(gone) << "a killed run's half file";
  std::ofstream(alive) << "a running run's half file";
  write_text_atomically(out, false, "results");
  EXPECT_FALSE(fs::exists(gone));
  EXPECT_TRUE(fs::exists(alive));
  EXPECT_EQ(read_text(out), "results");
}

TEST_F(AtomicOutput, SigtermDuringTheWriteRemovesTheTemporary) {
  const std::string out = path("out.h5");
  EXPECT_EXIT(write_atomically(out, false,
                               [](const std::string& temporary) {
                                 std::ofstream(temporary) << "half";
                                 ::raise(SIGTERM);
                               }),
              ::testing::KilledBySignal(SIGTERM), "");
  EXPECT_EQ(std::distance(fs::directory_iterator(directory_), fs::directory_iterator()), 0);
}

}  // namespace
}  // namespace margin_stress
