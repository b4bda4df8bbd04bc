// A progress bar on stderr for long runs. It draws only when stderr is a terminal and the user did
// not ask for --quiet, so logs and pipes stay clean. Safe to call from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace margin_stress {

// Seconds of wall time since `start`, for the figures of elapsed time a command reports.
double seconds_since(std::chrono::steady_clock::time_point start);

// The current UTC time written by std::strftime's `format`, e.g. "%Y-%m-%dT%H:%M:%SZ".
std::string utc_now(const char* format);

class ProgressBar {
 public:
  ProgressBar(std::string label, std::int64_t total, bool quiet);
  ~ProgressBar();
  void update(std::int64_t done);
  void finish();

 private:
  std::string label_;
  std::int64_t total_;
  bool enabled_;
  bool finished_ = false;
  int last_permille_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
};

}  // namespace margin_stress
