#include "host/cli/stop_signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iterator>

namespace margin_stress {
namespace {

constexpr int stopping_signals[] = {SIGINT, SIGTERM, SIGHUP};
volatile sig_atomic_t stop_signal = 0;
struct sigaction previous_actions[std::size(stopping_signals)];

extern "C" void ask_to_stop(int signal_number) { stop_signal = signal_number; }

}  // namespace

StopOnSignal::StopOnSignal() {
  stop_signal = 0;
  struct sigaction action = {};
  action.sa_handler = ask_to_stop;
  action.sa_flags = SA_RESETHAND;  // a second signal stops at once
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < std::size(stopping_signals); ++i) {
    ::sigaction(stopping_signals[i], nullptr, &previous_actions[i]);
    // A signal the run was started ignoring (SIGHUP under nohup, SIGINT in a background job) stays ignored.
    if (previous_actions[i].sa_handler == SIG_IGN) continue;
    ::sigaction(stopping_signals[i], &action, nullptr);
  }
}

StopOnSignal::~StopOnSignal() {
  for (std::size_t i = 0; i < std::size(stopping_signals); ++i) {
    ::sigaction(stopping_signals[i], &previous_actions[i], nullptr);
  }
}

int StopOnSignal::requested() const { return stop_signal; }

void end_by_signal(int signal_number) {
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
  std::_Exit(128 + signal_number);  // a signal whose default is to be ignored
}

}  // namespace margin_stress
