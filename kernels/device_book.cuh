// The book on the device (docs/model.md section 2), structure of arrays, uploaded once per run and
// read by every scenario in flight.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "host/engine/book.hpp"
#include "host/engine/market_state.hpp"
#include "host/model/config.hpp"
#include "host/model/formulas/size_scaled_margins.hpp"
#include "kernels/cuda_check.cuh"
#include "kernels/device_buffer.cuh"
#include "kernels/tile.hpp"

namespace margin_stress::cuda {

template <typename T>
inline void upload(DeviceBuffer<T>& buffer, const std::vector<T>& values) {
  buffer.resize(std::max<std::size_t>(values.size(), 1));
  if (values.empty()) return;
  MARGIN_STRESS_CUDA_CHECK(cudaMemcpy(buffer.data(), values.data(), values.size() * sizeof(T), cudaMemcpyHostToDevice),
                           "copying the book to the device");
}

// Shared by the lanes of a run; the bracket table holds every tiered market's brackets in market
// order, and a tiered market's row of terms points into it.
struct DeviceBook {
  DeviceBuffer<std::int64_t> position_offset;
  DeviceBuffer<std::int32_t> position_market;
  DeviceBuffer<std::int32_t> position_account;
  DeviceBuffer<double> entry_price_usd;
  DeviceBuffer<std::int64_t> initial_quantity;
  DeviceBuffer<micro_usd> initial_cash;
  DeviceBuffer<formulas::MarginBracket> brackets;
  std::vector<std::int32_t> bracket_offset;  // per market
  std::vector<std::int32_t> bracket_count;   // per market
  // ADL's candidates by (market, side): Book::adl_positions, and the host's offsets into it.
  DeviceBuffer<std::int64_t> adl_positions;
  std::vector<std::int64_t> adl_offset;
  std::int64_t longest_adl_list = 0;
  BookView view;

  // Market m's row of a scenario for the kernels: its terms on the host, its brackets here.
  MarketTerms market_row(const MarketState& market, std::size_t m) const {
    MarketTerms row = market;
    row.margin_brackets = market.tiered ? brackets.data() + bracket_offset[m] : nullptr;
    row.margin_bracket_count = bracket_count[m];
    return row;
  }

  explicit DeviceBook(const Book& book) {
    upload(position_offset, book.position_offset);
    upload(position_market, book.position_market);
    upload(entry_price_usd, book.entry_price_usd);
    upload(initial_quantity, book.initial_quantity);
    upload(initial_cash, book.initial_cash);
    upload(position_account, std::vector<std::int32_t>(book.position_account.begin(), book.position_account.end()));
    upload(adl_positions, book.adl_positions);
    adl_offset = book.adl_offset;
    for (std::size_t k = 0; k + 1 < adl_offset.size(); ++k) {
      longest_adl_list = std::max<std::int64_t>(longest_adl_list, adl_offset[k + 1] - adl_offset[k]);
    }
    std::vector<formulas::MarginBracket> table;
    for (const std::vector<formulas::MarginBracket>& market_brackets : book.margin_brackets) {
      bracket_offset.push_back(static_cast<std::int32_t>(table.size()));
      bracket_count.push_back(static_cast<std::int32_t>(market_brackets.size()));
      table.insert(table.end(), market_brackets.begin(), market_brackets.end());
    }
    upload(brackets, table);
    // A copy from pageable memory may return before it lands, and the lanes' streams do not wait
    // for the legacy stream it ran on.
    MARGIN_STRESS_CUDA_CHECK(cudaDeviceSynchronize(), "copying the book to the device");
    view.accounts = book.accounts;
    view.positions = book.positions;
    view.markets = book.markets;
    view.position_offset = position_offset.data();
    view.position_market = position_market.data();
    view.position_account = position_account.data();
    view.entry_price_usd = entry_price_usd.data();
    view.initial_quantity = initial_quantity.data();
    view.initial_cash = initial_cash.data();
  }
};

}  // namespace margin_stress::cuda
