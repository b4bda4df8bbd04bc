#include "host/cli/report_program.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <vector>

#include "host/cli/summary_json.hpp"
#include "host/io/atomic_output.hpp"

extern char** environ;

namespace margin_stress {
namespace {

// Exit codes of margin_stress_report.py (its docstring).
constexpr int report_usage = 2;
constexpr int report_bad_input = 3;
constexpr int report_missing_package = 4;

// MARGIN_STRESS_PYTHON if set; else Debian's interpreter, where scripts/install-deps puts
// python3-matplotlib and python3-h5py (a pyenv or venv python3 first on PATH usually lacks
// them); else python3 from PATH.
std::string report_python() {
  if (const char* chosen = std::getenv("MARGIN_STRESS_PYTHON"); chosen != nullptr && *chosen != '\0') return chosen;
  if (access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
  return "python3";
}

// Runs the report program with `arguments`; its exit status, or throws if it cannot be started.
int run_report_program(const std::vector<std::string>& arguments) {
  const std::string program = MARGIN_STRESS_REPORT_PROGRAM;
  if (access(program.c_str(), R_OK) != 0) {
    throw std::runtime_error("the report program " + program +
                             " is missing: margin-stress runs it from the source tree it was built from");
  }
  const std::string python = report_python();
  std::vector<std::string> words = {python, program};
  words.insert(words.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  pid_t child = 0;
  const int spawned = posix_spawnp(&child, python.c_str(), nullptr, nullptr, argv.data(), environ);
  if (spawned != 0) {
    throw std::runtime_error("cannot start " + python + " for the report (" + std::strerror(spawned) +
                             "): install Python 3 with python3-matplotlib and python3-h5py (scripts/install-deps "
                             "does), or set MARGIN_STRESS_PYTHON to a Python that has them");
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR)
      throw std::runtime_error(std::string("waiting for the report program: ") + std::strerror(errno));
  }
  if (WIFSIGNALED(status)) {
    throw std::runtime_error("the report program ended by signal " + std::to_string(WTERMSIG(status)));
  }
  return WEXITSTATUS(status);
}

// The command's summary JSON in a file of its own under the temporary directory, for the report
// program, removed when done: the user asked for a report, not for a summary file.
class TemporarySummary {
 public:
  explicit TemporarySummary(const nlohmann::ordered_json& summary) {
    std::string name = (std::filesystem::temp_directory_path() / "margin-stress-summary-XXXXXX.json").string();
    const int descriptor = mkstemps(name.data(), 5);
    if (descriptor < 0) {
      throw std::runtime_error("cannot create a temporary file " + name + " for the report: " + std::strerror(errno));
    }
    close(descriptor);
    path_ = name;
    std::ofstream stream(path_);
    stream << summary.dump(2) << "\n";
    if (!stream.flush()) {
      std::remove(path_.c_str());
      throw std::runtime_error("cannot write the temporary file " + path_ + " for the report");
    }
  }
  ~TemporarySummary() { std::remove(path_.c_str()); }
  TemporarySummary(const TemporarySummary&) = delete;
  TemporarySummary& operator=(const TemporarySummary&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

int draw_report(const ReportOptions& options) {
  check_output_path(options.out_path, options.force);
  std::vector<std::string> arguments = {options.input_path, "--out", options.out_path};
  if (!options.summary_path.empty()) arguments.insert(arguments.end(), {"--summary", options.summary_path});
  if (!options.format.empty()) arguments.insert(arguments.end(), {"--format", options.format});
  if (options.force) arguments.push_back("--force");
  const int outcome = run_report_program(arguments);
  switch (outcome) {
    case 0:
      return 0;
    case report_usage:
      return 2;
    case report_bad_input:
      return 3;
    case report_missing_package:
      return 1;  // the program named the package
    default:
      std::fprintf(stderr, "margin-stress: error: the report program failed (exit %d); see above\n", outcome);
      return 1;
  }
}

void check_report_tools() {
  if (run_report_program({"--check-dependencies"}) != 0) {
    throw std::runtime_error("--report: the report cannot be drawn on this machine (see above); nothing was run");
  }
}

CLI::Option* add_report_option(CLI::App& command, ReportOptions& options) {
  return command.add_option(
      "--report", options.out_path,
      "also write the committee report: self-contained HTML, or PDF for a .pdf name (docs/report.md)");
}

void check_report_request(const ReportOptions& options, bool force) {
  if (options.out_path.empty()) return;
  check_output_path(options.out_path, force);
  check_report_tools();
}

int draw_requested_report(const ReportOptions& options, const std::string& input, bool force,
                          const std::string& summary_json_path, const nlohmann::ordered_json* summary) {
  if (options.out_path.empty()) return 0;
  ReportOptions report = options;
  report.input_path = input;
  report.force = force;
  std::optional<TemporarySummary> temporary;
  if (summary != nullptr) {
    if (!summary_json_path.empty() && summary_json_path != summary_json_stdout) {
      report.summary_path = summary_json_path;
    } else {
      report.summary_path = temporary.emplace(*summary).path();
    }
  }
  const int outcome = draw_report(report);
  if (outcome != 0) {
    std::fprintf(stderr, "margin-stress: %s is complete; its report %s was not drawn\n", input.c_str(),
                 options.out_path.c_str());
  }
  return outcome;
}

}  // namespace margin_stress
