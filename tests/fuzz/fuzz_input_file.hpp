// The fuzz input as a file, for the readers that take a path (portfolio and price files).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace margin_stress::fuzz {

// One file per process, so that libFuzzer's -jobs workers never share one; in /dev/shm where
// there is one, so that thousands of inputs a second never reach a disk. Removed at exit (a crash
// leaves it behind; libFuzzer saves the input that caused it on its own).
class FuzzInputFile {
 public:
  explicit FuzzInputFile(const std::string& name) {
    std::error_code error;
    const std::filesystem::path directory =
        std::filesystem::is_directory("/dev/shm", error) ? "/dev/shm" : std::filesystem::temp_directory_path();
    path_ = (directory / ("margin-stress-fuzz-" + std::to_string(getpid()) + "-" + name)).string();
  }
  FuzzInputFile(const FuzzInputFile&) = delete;
  FuzzInputFile& operator=(const FuzzInputFile&) = delete;
  ~FuzzInputFile() { std::remove(path_.c_str()); }

  const std::string& path() const { return path_; }

  // Replaces the file's contents with `size` bytes at `data`, returning its path. A file that
  // cannot be written is the harness's failure, not a finding: it stops the run with the reason.
  const std::string& write(const std::uint8_t* data, std::size_t size) {
    std::FILE* file = std::fopen(path_.c_str(), "wb");
    if (file == nullptr || (size > 0 && std::fwrite(data, 1, size, file) != size) || std::fclose(file) != 0) {
      std::perror(("fuzz harness: cannot write " + path_).c_str());
      std::exit(1);
    }
    return path_;
  }

 private:
  std::string path_;
};

}  // namespace margin_stress::fuzz
