// Running the margin-stress binary from a test, as a user would, and reading what it printed.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>

namespace margin_stress::testing {

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout, and stderr unless it was discarded
};

// Runs `margin-stress <arguments>` through the shell.
inline Outcome run_cli(const std::string& arguments, bool with_stderr = true) {
  const std::string command =
      std::string(MARGIN_STRESS_BINARY) + " " + arguments + (with_stderr ? " 2>&1" : " 2>/dev/null");
  Outcome outcome;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return outcome;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) outcome.output += buffer.data();
  const int status = pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return outcome;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void expect_contains(const std::string& text, std::initializer_list<std::string> parts) {
  for (const std::string& part : parts) {
    EXPECT_NE(text.find(part), std::string::npos) << "no '" << part << "' in:\n" << text;
  }
}

}  // namespace margin_stress::testing
