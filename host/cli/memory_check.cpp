#include "host/cli/memory_check.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "host/engine/book.hpp"
#include "host/engine/cpu/scenario_state.hpp"
#include "host/model/input_error.hpp"
#include "host/model/parallel_for.hpp"
#include "host/model/portfolio.hpp"
#include "host/portfolio/generator.hpp"

namespace margin_stress {
namespace {

std::string gigabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g GB", bytes / 1e9);
  return text;
}

std::string count_text(double count) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f", count);
  return text;
}

}  // namespace

double available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream fields(line);
    std::string name;
    double kibibytes = 0.0;
    if (fields >> name >> kibibytes && name == "MemAvailable:") return kibibytes * 1024.0;
  }
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? static_cast<double>(pages) * static_cast<double>(page_size) : 0.0;
}

void MemoryNeed::add(double part_bytes, const std::string& what) {
  bytes += part_bytes;
  if (!parts.empty()) parts += ", ";
  parts += gigabytes(part_bytes) + " for " + what;
}

void MemoryNeed::add(const MemoryNeed& other) {
  bytes += other.bytes;
  if (!parts.empty() && !other.parts.empty()) parts += ", ";
  parts += other.parts;
}

MemoryNeed synthetic_book_memory(const ModelConfig& config) {
  const double accounts = static_cast<double>(config.portfolio.accounts);
  const double positions = max_generated_positions(config.portfolio);
  MemoryNeed need;
  need.add(Portfolio::bytes(accounts, positions), "the synthetic book (portfolio.accounts = " + count_text(accounts) +
                                                      ", up to " + count_text(positions) + " positions)");
  return need;
}

MemoryNeed engine_memory(const ModelConfig& config, double accounts, double positions) {
  const double workers = worker_threads(config.run.threads, config.run.scenarios);
  MemoryNeed need;
  need.add(Book::bytes(accounts, positions) + workers * cpu::ScenarioState::bytes(accounts, positions),
           "the engine's copy of the book (" + count_text(accounts) + " accounts, " + count_text(positions) +
               " positions) and the state of its " + count_text(workers) + " worker thread" +
               (workers == 1.0 ? "" : "s") + " (run.threads = " + std::to_string(config.run.threads) + ")");
  return need;
}

MemoryNeed synthetic_run_memory(const ModelConfig& config) {
  MemoryNeed need = synthetic_book_memory(config);
  need.add(
      engine_memory(config, static_cast<double>(config.portfolio.accounts), max_generated_positions(config.portfolio)));
  return need;
}

MemoryNeed scenario_memory(const ModelConfig& config) {
  const double points = static_cast<double>(config.run.scenarios) * static_cast<double>(config.run.steps + 1);
  const double markets = static_cast<double>(config.market_count());
  // Paths: price, depth, oracle per market, regime and collateral per step; series: six doubles
  // per market, rounds, fund and regime per step.
  const double bytes = points * (markets * 3 * 8 + 9) + points * (markets * 6 * 8 + 13);
  MemoryNeed need;
  need.add(bytes, "the scenario paths and per-step series (run.scenarios x run.steps = " +
                      std::to_string(config.run.scenarios) + " x " + std::to_string(config.run.steps) + ")");
  return need;
}

void check_memory(const ModelConfig& config, const MemoryNeed& need, const std::string& advice) {
  const double available = available_memory_bytes();
  if (available > 0.0 && need.bytes > available) {
    throw InputError(config.source_name + ": this needs about " + gigabytes(need.bytes) + " of memory (" + need.parts +
                     "), and this machine has " + gigabytes(available) + " available; " + advice);
  }
}

}  // namespace margin_stress
