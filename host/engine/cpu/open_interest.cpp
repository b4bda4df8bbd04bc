#include "host/engine/cpu/open_interest.hpp"

namespace margin_stress::cpu {

void count_long_lots(const Book& book, const ScenarioState& state, std::vector<std::int64_t>& long_lots) {
  long_lots.assign(state.markets.size(), 0);
  for (std::size_t p = 0; p < state.quantity.size(); ++p) {
    if (state.quantity[p] > 0) long_lots[static_cast<std::size_t>(book.position_market[p])] += state.quantity[p];
  }
}

}  // namespace margin_stress::cpu
