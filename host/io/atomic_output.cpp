#include "host/io/atomic_output.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;

std::string error_text(int error) { return std::strerror(error); }

std::string megabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
  return text;
}

std::string directory_of(const std::string& path) {
  const fs::path target(path);
  return target.has_parent_path() ? target.parent_path().string() : std::string(".");
}

// The machine's name, so that a temporary on a file system several machines share is removed only
// by the machine whose process wrote it.
std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "host";
  return name;
}

// Without this, a crash shortly after the publication can leave the target name pointing at a
// file whose data never reached the disk, or at nothing.
void flush_to_disk(const std::string& path, const std::string& target, int flags) {
  const int descriptor = ::open(path.c_str(), flags | O_CLOEXEC);
  if (descriptor < 0) throw std::runtime_error(target + ": cannot reopen " + path + ": " + error_text(errno));
  const int status = ::fsync(descriptor);
  const int fsync_errno = errno;
  ::close(descriptor);
  if (status != 0) {
    throw std::runtime_error(target + ": cannot flush " + path + " to disk: " + error_text(fsync_errno));
  }
}

// SIGINT, SIGTERM and SIGHUP during a write remove the temporary, then do what they would have
// done. A handler may only touch a fixed buffer and call async-signal-safe functions.
constexpr int cleaned_up_signals[] = {SIGINT, SIGTERM, SIGHUP};
char temporary_being_written[4096];

extern "C" void remove_temporary_and_reraise(int signal_number) {
  ::unlink(temporary_being_written);
  ::raise(signal_number);  // the handler was installed with SA_RESETHAND: the default action now
}

class TemporaryRemovedOnSignal {
 public:
  explicit TemporaryRemovedOnSignal(const std::string& temporary) {
    if (temporary.size() >= sizeof(temporary_being_written)) return;
    std::memcpy(temporary_being_written, temporary.c_str(), temporary.size() + 1);
    struct sigaction action = {};
    action.sa_handler = remove_temporary_and_reraise;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < std::size(cleaned_up_signals); ++i) {
      // A signal the process ignores (SIGHUP under nohup) must not start to end it here.
      if (::sigaction(cleaned_up_signals[i], nullptr, &previous_[i]) != 0 || previous_[i].sa_handler == SIG_IGN) {
        continue;
      }
      installed_[i] = ::sigaction(cleaned_up_signals[i], &action, nullptr) == 0;
    }
  }
  TemporaryRemovedOnSignal(const TemporaryRemovedOnSignal&) = delete;
  TemporaryRemovedOnSignal& operator=(const TemporaryRemovedOnSignal&) = delete;
  ~TemporaryRemovedOnSignal() {
    for (std::size_t i = 0; i < std::size(cleaned_up_signals); ++i) {
      if (installed_[i]) ::sigaction(cleaned_up_signals[i], &previous_[i], nullptr);
    }
  }

 private:
  struct sigaction previous_[std::size(cleaned_up_signals)] = {};
  bool installed_[std::size(cleaned_up_signals)] = {};
};

// Removes the temporaries of earlier writes of `path` from this machine whose process is gone.
void remove_stale_temporaries(const std::string& path) {
  const std::string prefix = fs::path(path).filename().string() + ".tmp-" + host_name() + "-";
  std::error_code error;
  for (fs::directory_iterator entry(directory_of(path), error), end; !error && entry != end; entry.increment(error)) {
    const std::string name = entry->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (pid <= 0 || pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    std::error_code ignored;
    fs::remove(entry->path(), ignored);
  }
}

[[noreturn]] void refuse_existing(const std::string& path, const char* when) {
  throw UsageError(path + ": the file exists" + when + "; pass --force to overwrite it");
}

// Publishes the flushed temporary at `path`: replacing what is there with `overwrite`, otherwise
// never (renameat2's RENAME_NOREPLACE, or a hard link where the file system lacks it).
void publish(const std::string& temporary, const std::string& path, bool overwrite) {
  const char* appeared = " (it appeared while this run was writing)";
  if (overwrite) {
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
      throw std::runtime_error(path + ": cannot rename " + temporary + " onto it: " + error_text(errno));
    }
    return;
  }
  if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return;
  if (errno == EEXIST) refuse_existing(path, appeared);
  if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
    throw std::runtime_error(path + ": cannot rename " + temporary + " to it: " + error_text(errno));
  }
  if (::link(temporary.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) refuse_existing(path, appeared);
    throw std::runtime_error(path + ": cannot link " + temporary + " to it: " + error_text(errno));
  }
  ::unlink(temporary.c_str());
}

}  // namespace

std::string temporary_output_path(const std::string& path) {
  return path + ".tmp-" + host_name() + "-" + std::to_string(static_cast<long>(::getpid()));
}

void check_output_path(const std::string& path, bool overwrite) {
  const std::string directory = directory_of(path);
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    throw InputError(path + ": the directory " + directory + " does not exist");
  }
  // symlink_status: a dangling symbolic link at the target is still something we would replace.
  const fs::file_status status = fs::symlink_status(path, error);
  if (fs::is_directory(status)) throw InputError(path + ": is a directory; name a file to write");
  if (fs::exists(status) && !overwrite) refuse_existing(path, "");
  remove_stale_temporaries(path);
  // The directory must take a new file now, not after hours of computing.
  const std::string probe = temporary_output_path(path);
  const int descriptor = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0) {
    throw InputError(path + ": cannot write a file in " + directory + ": " + error_text(errno));
  }
  ::close(descriptor);
  ::unlink(probe.c_str());
}

void check_output_space(const std::string& path, double bytes, const std::string& what) {
  const std::string directory = directory_of(path);
  struct statvfs file_system = {};
  if (::statvfs(directory.c_str(), &file_system) != 0) return;
  const double free_bytes = static_cast<double>(file_system.f_bavail) * static_cast<double>(file_system.f_frsize);
  if (bytes <= free_bytes) return;
  throw InputError(path + ": " + what + " need about " + megabytes(bytes) + ", and the file system of " + directory +
                   " has " + megabytes(free_bytes) + " free" +
                   "; free some space, write elsewhere (--out), or lower run.scenarios or run.steps");
}

void write_atomically(const std::string& path, bool overwrite,
                      const std::function<void(const std::string& temporary_path)>& write) {
  check_output_path(path, overwrite);
  const std::string temporary = temporary_output_path(path);
  const TemporaryRemovedOnSignal removed_on_signal(temporary);
  try {
    write(temporary);
    flush_to_disk(temporary, path, O_RDONLY);
    publish(temporary, path, overwrite);
    flush_to_disk(directory_of(path), path, O_RDONLY | O_DIRECTORY);
  } catch (...) {
    std::error_code ignored;  // the original exception says what went wrong
    fs::remove(temporary, ignored);
    throw;
  }
}

void write_text_atomically(const std::string& path, bool overwrite, const std::string& text) {
  write_atomically(path, overwrite, [&](const std::string& temporary_path) {
    // POSIX calls rather than a stream, so that the message says why (a full disk, a quota).
    const int descriptor = ::open(temporary_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (descriptor < 0) throw std::runtime_error(temporary_path + ": cannot create: " + error_text(errno));
    std::size_t written = 0;
    while (written < text.size()) {
      const ssize_t result = ::write(descriptor, text.data() + written, text.size() - written);
      if (result < 0 && errno == EINTR) continue;
      if (result < 0) {
        const int write_errno = errno;
        ::close(descriptor);
        throw std::runtime_error(temporary_path + ": cannot write: " + error_text(write_errno));
      }
      written += static_cast<std::size_t>(result);
    }
    if (::close(descriptor) != 0) throw std::runtime_error(temporary_path + ": cannot write: " + error_text(errno));
  });
}

}  // namespace margin_stress
