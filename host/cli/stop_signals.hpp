// Stopping a long run cleanly. While a StopOnSignal lives, the first SIGINT, SIGTERM or SIGHUP
// only asks the run to stop: it finishes the batch it is on, records it in the checkpoint and
// throws RunStopped, and main then says how to resume and ends by the same signal, so that the
// shell or batch system sees what stopped it. A second signal takes its default action at once.
#pragma once

#include <stdexcept>
#include <string>

namespace margin_stress {

class StopOnSignal {
 public:
  StopOnSignal();
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;
  // 0, or the signal that asked the run to stop.
  int requested() const;
};

// A run stopped by `signal` (its message says what was kept and how to go on).
class RunStopped : public std::runtime_error {
 public:
  RunStopped(int signal, const std::string& message) : std::runtime_error(message), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

// Ends the process by `signal`'s default action (terminate), as if it had never been caught.
[[noreturn]] void end_by_signal(int signal);

}  // namespace margin_stress
