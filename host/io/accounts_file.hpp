// The accounts file of `run --accounts-out`: one CSV row per captured scenario and account, every
// column in docs/results.md, "Accounts files". Written atomically (host/io/atomic_output.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/account_outcome.hpp"

namespace margin_stress {

// The most rows an accounts file may have: about what a spreadsheet opens (Excel's limit is
// 1,048,576 rows) and some 150 MB of text, built in memory before it is written.
inline constexpr std::int64_t max_account_rows = 1'000'000;

// The bytes of an accounts file of `rows` rows, roughly (for the message that refuses one).
double accounts_file_bytes(std::int64_t rows);

// The file's text: a header, then one row per account of each scenario, scenarios in ascending
// number, accounts in book order. Money in USD to the micro-dollar, without trailing zeros: the
// cash amounts exactly, the values at marks (equity, notional, the vault's P&L) rounded to it.
std::string accounts_csv(const std::vector<ScenarioAccounts>& scenarios);

// Writes accounts_csv(scenarios) to `path` atomically; InputError if `path` exists and `overwrite`
// is false.
void write_accounts_file(const std::string& path, bool overwrite, const std::vector<ScenarioAccounts>& scenarios);

}  // namespace margin_stress
