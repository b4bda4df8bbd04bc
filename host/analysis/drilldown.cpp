#include "host/analysis/drilldown.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "host/analysis/summary.hpp"

namespace margin_stress {
namespace {

// The accounts with the largest positive amount_of(account) (USD), largest first, ties by account
// index, with their shares of `total_usd` (NaN where the total is not positive: the vault can gain
// on the whole while losing on some accounts).
template <typename AmountOf>
std::vector<AccountContribution> top_contributors(const std::vector<AccountOutcome>& accounts, AmountOf amount_of,
                                                  double total_usd) {
  std::vector<std::int64_t> contributors;
  for (std::size_t a = 0; a < accounts.size(); ++a) {
    if (amount_of(accounts[a]) > 0.0) contributors.push_back(static_cast<std::int64_t>(a));
  }
  const auto larger = [&](std::int64_t x, std::int64_t y) {
    const double x_amount = amount_of(accounts[static_cast<std::size_t>(x)]);
    const double y_amount = amount_of(accounts[static_cast<std::size_t>(y)]);
    return x_amount != y_amount ? x_amount > y_amount : x < y;
  };
  const std::size_t listed = std::min(contributors.size(), top_contributor_count);
  std::partial_sort(contributors.begin(), contributors.begin() + static_cast<std::ptrdiff_t>(listed),
                    contributors.end(), larger);
  std::vector<AccountContribution> top;
  for (std::size_t i = 0; i < listed; ++i) {
    const double amount_usd = amount_of(accounts[static_cast<std::size_t>(contributors[i])]);
    top.push_back({contributors[i], amount_usd,
                   total_usd > 0.0 ? amount_usd / total_usd : std::numeric_limits<double>::quiet_NaN()});
  }
  return top;
}

}  // namespace

std::vector<std::int64_t> worst_scenarios(const std::vector<ScenarioMetrics>& scenarios, std::int64_t first_scenario,
                                          std::int64_t count) {
  if (count < 1 || count > static_cast<std::int64_t>(scenarios.size())) {
    throw std::invalid_argument("worst_scenarios: " + std::to_string(count) + " of " +
                                std::to_string(scenarios.size()) + " scenarios");
  }
  std::vector<double> loss(scenarios.size());
  for (std::size_t s = 0; s < scenarios.size(); ++s) loss[s] = loss_bearers(scenarios[s].ledger).platform_loss_usd;
  std::vector<std::int64_t> order(scenarios.size());
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::partial_sort(order.begin(), order.begin() + count, order.end(), [&](std::int64_t x, std::int64_t y) {
    const double x_loss = loss[static_cast<std::size_t>(x)];
    const double y_loss = loss[static_cast<std::size_t>(y)];
    return x_loss != y_loss ? x_loss > y_loss : x < y;
  });
  order.resize(static_cast<std::size_t>(count));
  for (std::int64_t& s : order) s += first_scenario;
  return order;
}

CapturedScenario capture_summary(const ScenarioMetrics& metrics, const ScenarioAccounts& accounts) {
  const LossBearers bearers = loss_bearers(metrics.ledger);
  CapturedScenario captured;
  captured.scenario = accounts.scenario;
  captured.platform_loss_usd = bearers.platform_loss_usd;
  captured.bad_debt_usd = bearers.bad_debt_usd;
  captured.adl_haircut_usd = bearers.adl_haircut_usd;
  captured.backstop_vault_loss_usd = bearers.backstop_vault_loss_usd;
  captured.bad_debt_contributors = top_contributors(
      accounts.accounts, [](const AccountOutcome& a) { return to_usd(a.bad_debt); }, bearers.bad_debt_usd);
  captured.adl_contributors = top_contributors(
      accounts.accounts, [](const AccountOutcome& a) { return to_usd(a.adl_haircut_paid); }, bearers.adl_haircut_usd);
  captured.vault_contributors = top_contributors(
      accounts.accounts, [](const AccountOutcome& a) { return -a.backstop_vault_pnl_usd; },
      bearers.backstop_vault_loss_usd);
  return captured;
}

}  // namespace margin_stress
