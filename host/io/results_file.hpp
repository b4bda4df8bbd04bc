// The results file of a run: provenance, per-scenario metrics, per-step series and the summary,
// in HDF5 (layout, units and signs in docs/results.md, "Results files").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/portfolio.hpp"
#include "host/model/results.hpp"

namespace margin_stress {

// Value of the root attribute `format`, which tells a results file from a portfolio file.
inline constexpr const char* results_file_format = "margin-stress results";
inline constexpr int results_file_format_version = 2;  // 2: scales named after their dimensions, in every group

// What one process of a run did (a run over MPI has one per rank, docs/cluster.md; a run of one
// process has one): the batches and scenarios it computed, the seconds it spent computing them
// (building scenario paths and running the engine) and the seconds it took part in the run's
// computing phase.
struct RankRecord {
  std::string host;
  std::int64_t batches = 0;
  std::int64_t scenarios = 0;
  double busy_seconds = 0.0;
  double wall_seconds = 0.0;
};

// The share of the ranks' time spent computing: the sum of their busy seconds over the number of
// ranks times the longest wall time among them; 1 when every rank computed all the time, 0 when
// none computed (a run read wholly from its checkpoint).
double parallel_efficiency(const std::vector<RankRecord>& ranks);

// Where a run came from, recorded as root attributes of its results file.
struct RunProvenance {
  std::string program_version;
  std::string git_commit;
  std::string backend;        // the engine's name(), e.g. "cpu (16 threads)"
  std::string config_source;  // ModelConfig::source_name
  // Each config file layered over the built-in default, in order, with its size and CRC-32
  // (describe_input_file), "; "-separated; empty for the built-in default.
  std::string config_layers;
  std::string portfolio_source;  // a portfolio file's path, or how the synthetic book was made
  std::string scenario_source;   // describe_scenarios(config): base, replays, shocks
  // The files the results depend on, each with its size and CRC-32: "portfolio book.h5 (1234
  // bytes, CRC-32 0a1b2c3d); replay BTC prices.csv (...)"; empty when there are none.
  std::string input_files;
  std::string command_line;
  std::string start_time_utc;  // ISO 8601, e.g. "2026-11-26T14:03:00Z"
  std::string end_time_utc;
  std::uint64_t seed = 0;              // the scenario seed (run.seed)
  std::int64_t resumed_scenarios = 0;  // scenarios read from a checkpoint (run --resume), not computed
  std::int64_t first_scenario = 0;     // the first of the scenarios run (run --scenario), 0 for a whole run
  double wall_seconds = 0;
  // The book's size, for the report and the summary (record_book).
  std::int64_t book_accounts = 0;
  std::int64_t book_positions = 0;
  double book_open_interest_usd = 0;  // sum over positions of |q| * lot_size * the market's initial price
  std::vector<RankRecord> ranks;      // the processes that ran it, rank 0 first
};

// Sets the book's size in `provenance`.
void record_book(RunProvenance& provenance, const ModelConfig& config, const Portfolio& portfolio);

// About how many bytes the results file of a run of `config` takes (its datasets, from their
// element types, and a mebibyte for metadata and the summary), to check the disk's free space
// before a run. A run's checkpoint holds as much again until the file is published.
double results_file_bytes(const ModelConfig& config);

// Writes the results of a whole run atomically (host/io/atomic_output.hpp): InputError if `path`
// exists and `overwrite` is false; on any failure no file (and no temporary) is left behind.
// `results` holds every scenario of the run: its series must be [scenarios][config.run.steps]
// [config.market_count()], every per-market metric must have one value per market, and
// summary.scenarios must equal the number of scenarios; otherwise std::invalid_argument.
// Identical arguments give byte-identical files.
void write_results_file(const std::string& path, bool overwrite, const RunProvenance& provenance,
                        const ModelConfig& config, const BatchResults& results, const RunSummary& summary);

}  // namespace margin_stress
