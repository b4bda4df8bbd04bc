#include "kernels/auto_deleveraging.hpp"

#if defined(__CUDACC__)
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>
#include <cub/device/device_select.cuh>
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "host/engine/settlement.hpp"
#include "kernels/lane.hpp"
#include "kernels/settlement.hpp"

namespace margin_stress::cuda {
namespace adl_kernels {

// The passes over a (market, side) list: each entry's rank and capacity, every candidate giving
// up its capacity, and the walk down the ranking.
enum class ListPass { rank, take_all, walk };

template <ListPass pass>
struct OverList {
  BookView book;
  TileView tile;
  AdlQuery query;
  const std::int64_t* positions;
  AdlWorkspace workspace;
  MARGIN_STRESS_HOST_DEVICE void operator()(std::int64_t i) const {
    if constexpr (pass == ListPass::rank) {
      adl_entry(book, tile, query, positions, workspace, i);
    } else if constexpr (pass == ListPass::take_all) {
      adl_take_entry(book, tile, query, positions, workspace, i);
    } else {
      adl_walk_rank(book, tile, query, positions, workspace, i);
    }
  }
};

struct RankedCapacities {
  AdlWorkspace workspace;
  MARGIN_STRESS_HOST_DEVICE void operator()(std::int64_t k) const { adl_ranked_capacity(workspace, k); }
};

#if defined(__CUDACC__)
// CUB counts items in int.
static int cub_count(std::int64_t count) {
  if (count > std::numeric_limits<int>::max()) {
    throw std::length_error("auto-deleveraging ranks at most 2^31 - 1 positions of one market and side");
  }
  return static_cast<int>(count);
}
#endif

// The ranking: the candidates of entries [0, count) in list order, stably sorted by score, highest
// first, into workspace.ranked; returns how many there are. On a GPU, CUB's selection (which keeps
// order) and stable radix sort, waiting once for the count; in the host emulation, the same order
// from std::stable_sort. Ties keep list (position) order either way: formulas::adl_ranks_before.
static std::int64_t rank_candidates(const LaunchShape& shape, std::int64_t count, const AdlWorkspace& w) {
#if defined(__CUDACC__)
  const int items = cub_count(count);
  std::size_t bytes = w.temporary_bytes;
  MARGIN_STRESS_CUDA_CHECK(cub::DeviceSelect::Flagged(w.temporary, bytes, w.scores, w.candidate, w.selected_scores,
                                                      w.selected_count, items, shape.stream),
                           "selecting the ADL candidates' scores");
  bytes = w.temporary_bytes;
  MARGIN_STRESS_CUDA_CHECK(cub::DeviceSelect::Flagged(w.temporary, bytes, w.entries, w.candidate, w.selected,
                                                      w.selected_count, items, shape.stream),
                           "selecting the ADL candidates");
  int selected = 0;
  MARGIN_STRESS_CUDA_CHECK(
      cudaMemcpyAsync(&selected, w.selected_count, sizeof(int), cudaMemcpyDeviceToHost, shape.stream),
      "copying the number of ADL candidates");
  MARGIN_STRESS_CUDA_CHECK(cudaStreamSynchronize(shape.stream), "selecting the ADL candidates");
  if (selected == 0) return 0;
  bytes = w.temporary_bytes;
  MARGIN_STRESS_CUDA_CHECK(cub::DeviceRadixSort::SortPairsDescending(
                               w.temporary, bytes, w.selected_scores, w.sorted_scores, w.selected, w.ranked, selected,
                               0, static_cast<int>(sizeof(double) * 8), shape.stream),
                           "ranking the ADL candidates");
  return selected;
#else
  static_cast<void>(shape);
  std::int64_t selected = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    if (w.candidate[i]) w.ranked[selected++] = i;
  }
  std::stable_sort(w.ranked, w.ranked + selected,
                   [&](std::int64_t x, std::int64_t y) { return w.scores[x] > w.scores[y]; });
  return selected;
#endif
}

// workspace.before[k]: the capacities ranked before k, summed with SaturatingMoneySum.
static void sum_capacities_before(const LaunchShape& shape, std::int64_t selected, const AdlWorkspace& w) {
#if defined(__CUDACC__)
  std::size_t bytes = w.temporary_bytes;
  MARGIN_STRESS_CUDA_CHECK(
      cub::DeviceScan::ExclusiveScan(w.temporary, bytes, w.ranked_capacity, w.before, SaturatingMoneySum{}, 0ull,
                                     cub_count(selected), shape.stream),
      "adding up the ADL capacities in rank order");
#else
  static_cast<void>(shape);
  unsigned long long before = 0;
  for (std::int64_t k = 0; k < selected; ++k) {
    w.before[k] = before;
    before = SaturatingMoneySum{}(before, w.ranked_capacity[k]);
  }
#endif
}

}  // namespace adl_kernels

std::size_t adl_workspace_temporary_bytes(std::int64_t capacity) {
#if defined(__CUDACC__)
  const int items = adl_kernels::cub_count(capacity);
  std::size_t select_scores_bytes = 0;
  std::size_t select_entries_bytes = 0;
  std::size_t sort_bytes = 0;
  std::size_t scan_bytes = 0;
  MARGIN_STRESS_CUDA_CHECK(cub::DeviceSelect::Flagged(nullptr, select_scores_bytes, static_cast<const double*>(nullptr),
                                                      static_cast<const std::uint8_t*>(nullptr),
                                                      static_cast<double*>(nullptr), static_cast<int*>(nullptr), items),
                           "sizing the ADL selection");
  MARGIN_STRESS_CUDA_CHECK(
      cub::DeviceSelect::Flagged(nullptr, select_entries_bytes, static_cast<const std::int64_t*>(nullptr),
                                 static_cast<const std::uint8_t*>(nullptr), static_cast<std::int64_t*>(nullptr),
                                 static_cast<int*>(nullptr), items),
      "sizing the ADL selection");
  MARGIN_STRESS_CUDA_CHECK(cub::DeviceRadixSort::SortPairsDescending(
                               nullptr, sort_bytes, static_cast<const double*>(nullptr), static_cast<double*>(nullptr),
                               static_cast<const std::int64_t*>(nullptr), static_cast<std::int64_t*>(nullptr), items),
                           "sizing the ADL ranking");
  MARGIN_STRESS_CUDA_CHECK(
      cub::DeviceScan::ExclusiveScan(nullptr, scan_bytes, static_cast<const unsigned long long*>(nullptr),
                                     static_cast<unsigned long long*>(nullptr), SaturatingMoneySum{}, 0ull, items),
      "sizing the ADL walk");
  return std::max<std::size_t>({select_scores_bytes, select_entries_bytes, sort_bytes, scan_bytes, 1});
#else
  static_cast<void>(capacity);
  return 1;
#endif
}

void launch_adl_entries(const LaunchShape& shape, const BookView& book, const TileView& tile, const AdlQuery& query,
                        const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace) {
  launch_over_range(shape, count,
                    adl_kernels::OverList<adl_kernels::ListPass::rank>{book, tile, query, positions, workspace},
                    "launching the ADL candidates");
}

void launch_adl_take_all(const LaunchShape& shape, const BookView& book, const TileView& tile, const AdlQuery& query,
                         const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace) {
  launch_over_range(shape, count,
                    adl_kernels::OverList<adl_kernels::ListPass::take_all>{book, tile, query, positions, workspace},
                    "launching the ADL takes");
}

void run_adl_walk(const LaunchShape& shape, const BookView& book, const TileView& tile, const AdlQuery& query,
                  const std::int64_t* positions, std::int64_t count, const AdlWorkspace& workspace) {
  if (count == 0) return;
  const std::int64_t selected = adl_kernels::rank_candidates(shape, count, workspace);
  if (selected == 0) return;
  launch_over_range(shape, selected, adl_kernels::RankedCapacities{workspace},
                    "launching the ADL capacities in rank order");
  adl_kernels::sum_capacities_before(shape, selected, workspace);
  launch_over_range(shape, selected,
                    adl_kernels::OverList<adl_kernels::ListPass::walk>{book, tile, query, positions, workspace},
                    "launching the ADL walk");
}

// ADL (docs/model.md section 8) for scenario s: the targets from the bankrupt accounts' notionals
// by pair, then the opposite side of each pair with a target, in market order, long before short.
micro_usd Lane::auto_deleverage(const TileView& tile, std::int64_t s,
                                const std::vector<std::int32_t>& bankrupt_accounts,
                                const std::vector<micro_usd>& uncovered, double& adl_notional_usd) {
  const auto markets = static_cast<std::size_t>(context_.book->markets);
  const std::size_t count = bankrupt_accounts.size();
  bankrupt_accounts_.resize(count);
  pair_notional_.resize(count * markets * 2);
  to_device(bankrupt_accounts_.data(), bankrupt_accounts.data(), count, stream_.get());
  launch_bankrupt_pair_notional(shape(), context_.device_book->view, tile, s, bankrupt_accounts_.data(),
                                static_cast<std::int64_t>(count), pair_notional_.data());
  std::vector<double> pair_notional_usd(count * markets * 2);
  to_host(pair_notional_usd.data(), pair_notional_.data(), pair_notional_usd.size(), stream_.get());
  // The markets' rows as the cascade left them: the ranking values accounts at these marks.
  stage_markets(s);
  to_device(markets_.data() + s * context_.book->markets, host_markets_.data() + s * context_.book->markets, markets,
            stream_.get());
  wait_for_device("gathering the bankrupt accounts' notionals");
  const std::vector<micro_usd> targets = adl_targets(uncovered, pair_notional_usd, markets);
  micro_usd collected = 0;
  for (std::size_t m = 0; m < markets; ++m) {
    for (std::size_t side = 0; side < 2; ++side) {
      if (targets[m * 2 + side] <= 0) continue;
      collected += deleverage(tile, s, m, 1 - side, targets[m * 2 + side], adl_notional_usd);
    }
  }
  return collected;
}

// ADL against `side` (0 long, 1 short) of market m in scenario s until `target` is collected, on
// the device (docs/model.md section 14); the host keeps the LP's side and the open interest.
micro_usd Lane::deleverage(const TileView& tile, std::int64_t s, std::size_t market, std::size_t side, micro_usd target,
                           double& adl_notional_usd) {
  const DeviceBook& device_book = *context_.device_book;
  const Book& book = *context_.book;
  HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
  AdlQuery query;
  query.scenario = s;
  query.lot_size = book.lot_size[market];
  query.mark_price_usd = scenario.markets[market].mark_price_usd;
  query.target = target;
  const std::size_t pair = market * 2 + side;
  const std::int64_t* positions = device_book.adl_positions.data() + device_book.adl_offset[pair];
  const std::int64_t count = device_book.adl_offset[pair + 1] - device_book.adl_offset[pair];

  const AdlWorkspace workspace = adl_workspace();
  zero(adl_totals_.data(), adl_total_words, stream_.get());
  launch_adl_entries(shape(), device_book.view, tile, query, positions, count, workspace);
  to_host(host_adl_totals_, adl_totals_.data(), adl_total_words, stream_.get());
  wait_for_device("ranking the ADL candidates");
  if (host_adl_totals_[adl_target_exceeded] != 0) {
    run_adl_walk(shape(), device_book.view, tile, query, positions, count, workspace);
  } else {
    launch_adl_take_all(shape(), device_book.view, tile, query, positions, count, workspace);
  }
  to_host(host_adl_totals_, adl_totals_.data(), adl_total_words, stream_.get());
  wait_for_device("auto-deleveraging");
  if (host_adl_totals_[adl_total_out_of_range] != 0) {
    throw std::overflow_error(
        "an ADL candidate's profit or equity, its close, or the closes' total is beyond the "
        "fixed-point range of +-4.6e12 USD (docs/model.md, section 1)");
  }
  const auto closed_lots = static_cast<std::int64_t>(host_adl_totals_[adl_total_closed_lots]);
  scenario.lp_cash =
      add_checked(scenario.lp_cash, static_cast<micro_usd>(host_adl_totals_[adl_total_paid_to_lp]), "an ADL close");
  scenario.lp_inventory[market] -= static_cast<std::int64_t>(host_adl_totals_[adl_total_traded_lots]);
  scenario.open_lots[market] -= closed_lots;
  scenario.long_lots[market] -= static_cast<std::int64_t>(host_adl_totals_[adl_total_long_lots_closed]);
  adl_notional_usd += static_cast<double>(closed_lots) * query.lot_size * query.mark_price_usd;
  return static_cast<micro_usd>(host_adl_totals_[adl_total_collected]);
}

}  // namespace margin_stress::cuda
