// The CUDA engine's host code (kernels/cuda_engine.cu) compiled as plain C++ against the stand-in
// runtime, with each kernel launch replaced by a loop over the same per-thread bodies the kernels
// run (kernels/kernel_bodies.hpp), one thread at a time.
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
                          std::int32_t round, ScanMode mode, formulas::PerPositionMargins per_position_margins,
                          const formulas::LiquidationRule& rule) {
  for (std::int64_t a = 0; a < book.accounts; ++a) {
    if (per_position_margins == formulas::PerPositionMargins::present) {
      trigger_account<formulas::PerPositionMargins::present>(book, tile, a, mode);
    } else {
      trigger_account<formulas::PerPositionMargins::absent>(book, tile, a, mode);
    }
  }
  if (mode == ScanMode::count) return;
  for (std::int64_t s = 0; s < tile.scenarios; ++s) {
    for (std::int64_t i = 0; i < tile.triggered_count[s]; ++i)
      decide_account(book, tile, s, i, step_stamp, round, rule);
  }
}

void launch_respond_to_margin_calls(const LaunchShape&, const BookView& book, const TileView& tile,
                                    const TraderResponseLaunch& response) {
  for (std::int64_t a = 0; a < book.accounts; ++a) respond_account(book, tile, a, response);
}

void launch_fill_orders(const LaunchShape&, const BookView& book, const TileView& tile, std::int32_t stamp,
                        double fee_rate, bool fee_depends_on_health, bool liquidation) {
  if (liquidation) {
    for (std::int64_t s = 0; s < tile.scenarios; ++s) {
      for (std::int64_t i = 0; i < tile.triggered_count[s]; ++i) {
        fill_account_in(book, tile, s, tile.triggered[s * book.accounts + i], stamp, fee_rate, fee_depends_on_health,
                        true);
      }
    }
  } else {
    for (std::int64_t a = 0; a < book.accounts; ++a) {
      for (std::int64_t s = 0; s < tile.scenarios; ++s) {
        fill_account_in(book, tile, s, a, stamp, fee_rate, fee_depends_on_health, false);
      }
    }
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

std::size_t adl_workspace_temporary_bytes(std::int64_t) { return 1; }

void launch_adl_entries(const LaunchShape&, const BookView& book, const TileView& tile, const AdlQuery& query,
                        const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace) {
  for (std::int64_t i = 0; i < count; ++i) adl_entry(book, tile, query, positions, workspace, i);
}

void launch_adl_take_all(const LaunchShape&, const BookView& book, const TileView& tile, const AdlQuery& query,
                         const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace) {
  for (std::int64_t i = 0; i < count; ++i) adl_take_entry(book, tile, query, positions, workspace, i);
}

// The device's selection, stable radix sort and scan, as a stable sort by score (highest first)
// and a running sum.
void run_adl_walk(const LaunchShape&, const BookView& book, const TileView& tile, const AdlQuery& query,
                  const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace) {
  std::vector<std::int64_t> ranked;
  for (std::int64_t i = 0; i < count; ++i) {
    if (workspace.candidate[i]) ranked.push_back(i);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](std::int64_t x, std::int64_t y) { return workspace.scores[x] > workspace.scores[y]; });
  const auto selected = static_cast<std::int64_t>(ranked.size());
  std::copy(ranked.begin(), ranked.end(), workspace.ranked);
  for (std::int64_t k = 0; k < selected; ++k) adl_ranked_capacity(workspace, k);
  unsigned long long before = 0;
  for (std::int64_t k = 0; k < selected; ++k) {
    workspace.before[k] = before;
    before = SaturatingMoneySum{}(before, workspace.ranked_capacity[k]);
  }
  for (std::int64_t k = 0; k < selected; ++k) adl_walk_rank(book, tile, query, positions, workspace, k);
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
