// Refusing, before anything is allocated, a command the machine's memory cannot hold: the figures
// come from the element types of what the command will allocate (sizeof), so they follow the code.
#pragma once

#include <cstdint>
#include <string>

#include "host/model/config.hpp"

namespace margin_stress {

// Host memory available to a new allocation: MemAvailable of /proc/meminfo, or where that cannot
// be read the physical memory (sysconf); 0 when neither is known (nothing is refused then).
double available_memory_bytes();

// What a command will hold in memory at once, in parts that each name the keys that size them.
struct MemoryNeed {
  double bytes = 0.0;
  std::string parts;  // "<GB> GB for <what> (<keys and values>)", joined by ", "

  void add(double part_bytes, const std::string& what);
  void add(const MemoryNeed& other);
};

// The synthetic book of `config` (validated), at its largest: the generator's arrays for
// portfolio.accounts accounts and as many positions as they can hold.
MemoryNeed synthetic_book_memory(const ModelConfig& config);

// The engine's copy of a book of `accounts` and `positions`, and the per-scenario state of the
// worker threads run.threads gives for run.scenarios scenarios.
MemoryNeed engine_memory(const ModelConfig& config, double accounts, double positions);

// The scenario paths and per-step series of run.scenarios x (run.steps + 1) points, all of which
// `run` keeps (the results file holds them).
MemoryNeed scenario_memory(const ModelConfig& config);

// The synthetic book and the engine's memory for it (the commands that run it once per policy, and
// keep only per-scenario figures of the runs).
MemoryNeed synthetic_run_memory(const ModelConfig& config);

// Throws InputError, naming config.source_name, the need in GB with its parts, what this machine
// has available and `advice`, when need.bytes exceeds available_memory_bytes().
void check_memory(const ModelConfig& config, const MemoryNeed& need, const std::string& advice);

}  // namespace margin_stress
