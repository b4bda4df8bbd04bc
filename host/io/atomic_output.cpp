#include "host/io/atomic_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

// Without this, a crash shortly after the rename can leave the target name pointing at a file
// whose data never reached the disk.
void flush_to_disk(const std::string& path, const std::string& target) {
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) {
    throw std::runtime_error(target + ": cannot reopen the temporary file " + path + ": " + std::strerror(errno));
  }
  const int status = ::fsync(descriptor);
  const int fsync_errno = errno;
  ::close(descriptor);
  if (status != 0) {
    throw std::runtime_error(target + ": cannot flush the temporary file " + path +
                             " to disk: " + std::strerror(fsync_errno));
  }
}

}  // namespace

std::string temporary_output_path(const std::string& path) {
  return path + ".tmp-" + std::to_string(static_cast<long>(::getpid()));
}

void check_output_path(const std::string& path, bool overwrite) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path directory = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    throw InputError(path + ": the directory " + directory.string() + " does not exist");
  }
  // symlink_status: a dangling symbolic link at the target is still something we would replace.
  if (fs::exists(fs::symlink_status(target, error)) && !overwrite) {
    throw InputError(path + ": the file exists; pass --force to overwrite it");
  }
}

void write_atomically(const std::string& path, bool overwrite,
                      const std::function<void(const std::string& temporary_path)>& write) {
  check_output_path(path, overwrite);
  const std::string temporary = temporary_output_path(path);
  try {
    write(temporary);
    flush_to_disk(temporary, path);
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) {
      throw std::runtime_error(path + ": cannot rename the temporary file " + temporary +
                               " onto it: " + error.message());
    }
  } catch (...) {
    std::error_code ignored;  // the original exception says what went wrong
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

void write_text_atomically(const std::string& path, bool overwrite, const std::string& text) {
  write_atomically(path, overwrite, [&](const std::string& temporary_path) {
    std::ofstream out(temporary_path, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw std::runtime_error(temporary_path + ": cannot write");
  });
}

}  // namespace margin_stress
