#include "host/io/accounts_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "host/io/atomic_output.hpp"
#include "host/io/csv.hpp"

namespace margin_stress {
namespace {

constexpr const char* header =
    "scenario,account,initial_equity_usd,final_equity_usd,deposits_usd,liquidated_notional_usd,"
    "liquidation_fees_usd,deficit_usd,insurance_payout_usd,adl_received_usd,bad_debt_usd,adl_haircut_paid_usd,"
    "backstopped,vault_pnl_usd\n";

// A typical row: two indices, eleven amounts of up to 13 digits, a flag.
constexpr double bytes_per_row = 150.0;

// Micro-dollars as an exact decimal of USD without trailing zeros: 2666971 -> "2.666971",
// -12500000 -> "-12.5", 0 -> "0". The ledger's own unit, so the cash columns add up to the
// scenario's figures exactly.
std::string money(micro_usd amount) {
  const bool negative = amount < 0;
  const auto magnitude = static_cast<std::uint64_t>(negative ? -amount : amount);
  std::string text = (negative ? "-" : "") + std::to_string(magnitude / 1'000'000);
  std::uint64_t fraction = magnitude % 1'000'000;
  if (fraction == 0) return text;
  int digits = 6;
  while (fraction % 10 == 0) {
    fraction /= 10;
    --digits;
  }
  const std::string fraction_digits = std::to_string(fraction);
  return text + "." + std::string(static_cast<std::size_t>(digits) - fraction_digits.size(), '0') + fraction_digits;
}

// A value at marks, rounded to the micro-dollar like the cash columns; beyond the money range
// (where a micro-dollar is below a double's resolution) as the double itself.
std::string money(double usd) {
  if (!(std::fabs(usd) < max_money_usd)) return csv_number(usd);
  return money(to_micro_usd(usd));
}

}  // namespace

double accounts_file_bytes(std::int64_t rows) { return bytes_per_row * static_cast<double>(rows); }

std::string accounts_csv(const std::vector<ScenarioAccounts>& scenarios) {
  std::vector<const ScenarioAccounts*> ascending;
  for (const ScenarioAccounts& scenario : scenarios) ascending.push_back(&scenario);
  std::sort(ascending.begin(), ascending.end(),
            [](const ScenarioAccounts* x, const ScenarioAccounts* y) { return x->scenario < y->scenario; });
  std::string text = header;
  for (const ScenarioAccounts* scenario : ascending) {
    const std::string number = std::to_string(scenario->scenario) + ",";
    for (std::size_t a = 0; a < scenario->accounts.size(); ++a) {
      const AccountOutcome& o = scenario->accounts[a];
      text += number + std::to_string(a) + "," + money(o.initial_equity_usd) + "," + money(o.final_equity_usd) + "," +
              money(o.deposits) + "," + money(o.liquidated_notional_usd) + "," + money(o.liquidation_fees) + "," +
              money(o.deficit) + "," + money(o.insurance_payout) + "," + money(o.adl_received) + "," +
              money(o.bad_debt) + "," + money(o.adl_haircut_paid) + "," + (o.backstopped ? "1" : "0") + "," +
              money(o.backstop_vault_pnl_usd) + "\n";
    }
  }
  return text;
}

void write_accounts_file(const std::string& path, bool overwrite, const std::vector<ScenarioAccounts>& scenarios) {
  write_text_atomically(path, overwrite, accounts_csv(scenarios));
}

}  // namespace margin_stress
