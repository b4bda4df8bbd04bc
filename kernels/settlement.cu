#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "host/engine/settlement.hpp"
#include "kernels/lane.hpp"
#include "kernels/settlement.hpp"

namespace margin_stress::cuda {
namespace settlement_kernels {

// The number of accounts scenario `first` + s liquidated this step.
struct StepLiquidatedCount {
  TileView tile;
  std::int64_t first;
  MARGIN_STRESS_HOST_DEVICE std::int64_t operator()(std::int64_t s) const {
    return tile.step_liquidated_count[first + s];
  }
};

struct FindBankrupt {
  BookView book;
  TileView tile;
  std::int64_t first;
  const std::int64_t* offsets;
  std::int32_t* accounts;
  micro_usd* deficits;
  MARGIN_STRESS_HOST_DEVICE void operator()(std::int64_t s, std::int64_t i) const {
    find_bankrupt_entry(book, tile, offsets[s], accounts, deficits, first + s, i);
  }
};

struct BankruptPairNotional {
  BookView book;
  TileView tile;
  std::int64_t s;
  const std::int32_t* accounts;
  double* pair_notional;
  MARGIN_STRESS_HOST_DEVICE void operator()(std::int64_t k) const {
    bankrupt_pair_notional(book, tile, s, accounts, pair_notional, k);
  }
};

}  // namespace settlement_kernels

void launch_find_bankrupt(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t first,
                          std::int64_t scenarios, const std::int64_t* offsets, std::int32_t* accounts,
                          micro_usd* deficits) {
  launch_over_scenarios(shape, scenarios, settlement_kernels::StepLiquidatedCount{tile, first},
                        settlement_kernels::FindBankrupt{book, tile, first, offsets, accounts, deficits},
                        "launching the search for bankrupt accounts");
}

void launch_bankrupt_pair_notional(const LaunchShape& shape, const BookView& book, const TileView& tile, std::int64_t s,
                                   const std::int32_t* accounts, std::int64_t count, double* pair_notional) {
  launch_over_range(shape, count, settlement_kernels::BankruptPairNotional{book, tile, s, accounts, pair_notional},
                    "launching the bankrupt accounts' notionals");
}

void Lane::settle(const TileView& tile, std::int64_t first, std::int64_t t) {
  const ScenarioPaths& paths = *context_.paths;
  const std::int64_t count = tile.scenarios;
  bool any = false;
  for (const HostScenario& scenario : scenarios_) any = any || (!scenario.failed && scenario.record.rounds > 0);
  if (!any) return;

  to_host(host_counts_.data(), step_liquidated_count_.data(), static_cast<std::size_t>(count), stream_.get());
  wait_for_device("counting the step's liquidated accounts");
  // The search's output holds one scenario's accounts at least (allocated with the lane), so the
  // tile's scenarios go through it in chunks that fit.
  const std::int64_t room = context_.book->accounts;
  std::vector<std::pair<std::int32_t, micro_usd>> bankrupt;
  for (std::int64_t chunk_first = 0; chunk_first < count;) {
    std::int64_t chunk_end = chunk_first;
    std::int64_t total = 0;
    while (chunk_end < count && total + host_counts_[static_cast<std::size_t>(chunk_end)] <= room) {
      host_offsets_[static_cast<std::size_t>(chunk_end - chunk_first)] = total;
      total += host_counts_[static_cast<std::size_t>(chunk_end)];
      ++chunk_end;
    }
    to_device(offsets_.data(), host_offsets_.data(), static_cast<std::size_t>(chunk_end - chunk_first), stream_.get());
    launch_find_bankrupt(shape(), context_.device_book->view, tile, chunk_first, chunk_end - chunk_first,
                         offsets_.data(), found_accounts_.data(), found_deficits_.data());
    to_host(host_found_accounts_.data(), found_accounts_.data(), static_cast<std::size_t>(total), stream_.get());
    to_host(host_found_deficits_.data(), found_deficits_.data(), static_cast<std::size_t>(total), stream_.get());
    wait_for_device("finding the bankrupt accounts");

    for (std::int64_t s = chunk_first; s < chunk_end; ++s) {
      HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
      if (scenario.failed || scenario.record.rounds == 0) continue;
      bankrupt.clear();
      const std::int64_t begin = host_offsets_[static_cast<std::size_t>(s - chunk_first)];
      for (std::int64_t i = begin; i < begin + host_counts_[static_cast<std::size_t>(s)]; ++i) {
        const micro_usd deficit = host_found_deficits_[static_cast<std::size_t>(i)];
        if (deficit > 0) bankrupt.emplace_back(host_found_accounts_[static_cast<std::size_t>(i)], deficit);
      }
      if (bankrupt.empty()) continue;
      // The kernel lists accounts in the order threads reached them; settlement is in account order.
      std::sort(bankrupt.begin(), bankrupt.end());
      guarded(scenario, paths.first_scenario + first + s, step_name(t), [&] { settle_scenario(tile, s, bankrupt); });
    }
    chunk_first = chunk_end;
  }
}

void Lane::settle_scenario(const TileView& tile, std::int64_t s,
                           const std::vector<std::pair<std::int32_t, micro_usd>>& bankrupt) {
  const ModelConfig& config = *context_.config;
  HostScenario& scenario = scenarios_[static_cast<std::size_t>(s)];
  SettlementOutcome outcome;
  std::vector<micro_usd> deficits;
  std::vector<std::int32_t> accounts;
  for (const auto& [account, deficit] : bankrupt) {
    accounts.push_back(account);
    deficits.push_back(deficit);
  }
  const std::vector<micro_usd> uncovered = pay_from_fund(deficits, scenario.insurance_fund, outcome);
  const micro_usd total_uncovered = outcome.deficits - outcome.insurance_payout;

  if (total_uncovered > 0 && config.insurance_fund.auto_deleveraging) {
    outcome.adl_haircut = auto_deleverage(tile, s, accounts, uncovered, outcome.adl_notional_usd);
  }
  outcome.bad_debt = total_uncovered - outcome.adl_haircut;
  // Every bankrupt account is at zero already (the search set it).
  scenario.record.settlement = outcome;
}

}  // namespace margin_stress::cuda
