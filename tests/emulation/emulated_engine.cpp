// The CUDA engine's host code (kernels/cuda_engine.cu) compiled as plain C++ against the stand-in
// runtime, with each kernel launch replaced by a loop over the same per-thread bodies the kernels
// run (kernels/kernel_bodies.hpp), one thread at a time.
#include "tests/emulation/emulation_names.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "kernels/cascade_kernels.cuh"
#include "kernels/kernel_bodies.hpp"

namespace margin_stress {

int cuda_device_count() { return 1; }

namespace cuda {

int scan_blocks_per_multiprocessor(int) { return 1; }

void launch_scan_accounts(const LaunchShape&, const BookView& book, const TileView& tile, std::int32_t step_stamp,
                          std::int32_t round, ScanMode mode, const cpu::LiquidationRule& rule) {
  for (std::int64_t a = 0; a < book.accounts; ++a) {
    scan_account(book, tile, a, step_stamp, round, mode, rule);
  }
}

void launch_respond_to_margin_calls(const LaunchShape&, const BookView& book, const TileView& tile,
                                    const TraderResponseLaunch& response) {
  for (std::int64_t a = 0; a < book.accounts; ++a) respond_account(book, tile, a, response);
}

void launch_fill_orders(const LaunchShape&, const BookView& book, const TileView& tile, std::int32_t stamp,
                        double fee_rate, bool fee_depends_on_health, bool liquidation) {
  for (std::int64_t a = 0; a < book.accounts; ++a) {
    fill_account(book, tile, a, stamp, fee_rate, fee_depends_on_health, liquidation);
  }
}

void launch_find_bankrupt(const LaunchShape&, const BookView& book, const TileView& tile, std::int64_t first,
                          std::int64_t scenarios, const std::int64_t* offsets, std::int32_t* accounts,
                          micro_usd* deficits) {
  for (std::int64_t s = first; s < first + scenarios; ++s) {
    for (std::int64_t i = 0; i < tile.step_liquidated_count[s]; ++i) {
      find_bankrupt_entry(book, tile, offsets[s - first], accounts, deficits, s, i);
    }
  }
}

void launch_scatter_accounts(const LaunchShape&, const BookView& book, const TileView& tile, std::int64_t s,
                             const std::int32_t* accounts, const micro_usd* cash, const std::int64_t* quantity_offset,
                             const std::int64_t* quantities, std::int64_t count) {
  for (std::int64_t k = 0; k < count; ++k) {
    scatter_account(book, tile, s, accounts, cash, quantity_offset, quantities, k);
  }
}

std::size_t adl_workspace_temporary_bytes(std::int64_t) { return 1; }

// The device's selection and stable radix sort, as a stable sort by score, highest first.
std::int64_t rank_adl_candidates(const LaunchShape&, const BookView& book, const TileView& tile, const AdlQuery& query,
                                 const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace) {
  std::vector<std::pair<double, std::int64_t>> candidates;
  for (std::int64_t i = 0; i < count; ++i) {
    const cpu::AdlRank rank = adl_rank_of(book, tile, query, positions[i]);
    if (rank.candidate) candidates.emplace_back(rank.score, positions[i]);
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  for (std::size_t k = 0; k < candidates.size(); ++k) workspace.ranked[k] = candidates[k].second;
  return static_cast<std::int64_t>(candidates.size());
}

void launch_adl_candidate_rows(const LaunchShape&, const BookView& book, const TileView& tile, const AdlQuery& query,
                               const std::int64_t* ranked, std::int64_t count, AdlCandidateRow* rows) {
  for (std::int64_t k = 0; k < count; ++k) adl_candidate_row(book, tile, query, ranked, rows, k);
}

void launch_apply_adl_closes(const LaunchShape&, const BookView& book, const TileView& tile, std::int64_t s,
                             const AdlClose* closes, std::int64_t count) {
  for (std::int64_t k = 0; k < count; ++k) apply_adl_close(book, tile, s, closes, k);
}

void launch_bankrupt_pair_notional(const LaunchShape&, const BookView& book, const TileView& tile, std::int64_t s,
                                   const std::int32_t* accounts, std::int64_t count, double* pair_notional) {
  for (std::int64_t k = 0; k < count; ++k) bankrupt_pair_notional(book, tile, s, accounts, pair_notional, k);
}

void launch_tiered_initial_margin(const LaunchShape&, const BookView& book, const TileView& tile,
                                  unsigned long long* initial_margin, unsigned long long* out_of_range) {
  for (std::int64_t s = 0; s < tile.scenarios; ++s) {
    for (std::int64_t a = 0; a < book.accounts; ++a) {
      add_tiered_initial_margin(book, tile, s, a, initial_margin + s * book.markets, &out_of_range[s]);
    }
  }
}

void launch_cash_change(const LaunchShape&, const BookView& book, const TileView& tile,
                        unsigned long long* cash_change_total) {
  for (std::int64_t s = 0; s < tile.scenarios; ++s) {
    for (std::int64_t a = 0; a < book.accounts; ++a) {
      add_to_total(&cash_change_total[s], cash_change_of(book, tile, s, a));
    }
  }
}

}  // namespace cuda
}  // namespace margin_stress

// The engine itself, unchanged.
#include "kernels/cuda_engine.cu"
