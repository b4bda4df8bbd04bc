#include "host/portfolio/generator.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "host/model/input_error.hpp"
#include "host/model/money.hpp"
#include "host/model/parallel_for.hpp"
#include "scenarios/rng.hpp"

namespace margin_stress {
namespace {

constexpr double minimum_headroom_usd = 0.01;  // equity above initial margin at step 0

constexpr double sum_tolerance = 1e-9;
constexpr std::int64_t max_accounts = std::int64_t{1} << 31;
constexpr double max_notional_limit_usd = 1e12;

// Shortest text that reads back as the same double, so a message shows the value the user wrote.
std::string format_number(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

class GeneratorValidator {
 public:
  GeneratorValidator(const PortfolioGeneratorParams& params, std::size_t markets, const std::string& source_name)
      : params_(params), markets_(markets), source_(source_name) {}

  void run() const {
    if (params_.accounts < 1 || params_.accounts >= max_accounts) {
      fail("accounts", std::to_string(params_.accounts) + " is not in [1, 2^31 - 1]");
    }
    if (!(std::isfinite(params_.pareto_alpha) && params_.pareto_alpha > 0.0)) {
      fail("pareto_alpha", format_number(params_.pareto_alpha) + " is not a finite number > 0");
    }
    if (!(std::isfinite(params_.min_notional_usd) && params_.min_notional_usd > 0.0)) {
      fail("min_notional_usd", format_number(params_.min_notional_usd) + " is not a finite number > 0");
    }
    if (!(params_.max_notional_usd >= params_.min_notional_usd && params_.max_notional_usd <= max_notional_limit_usd)) {
      fail("max_notional_usd", format_number(params_.max_notional_usd) + " is not in [min_notional_usd = " +
                                   format_number(params_.min_notional_usd) + ", 1e12]");
    }
    if (!(params_.multi_market_fraction >= 0.0 && params_.multi_market_fraction <= 1.0)) {
      fail("multi_market_fraction", format_number(params_.multi_market_fraction) + " is not in [0, 1]");
    }
    check_probabilities("open_interest_share", params_.open_interest_share, markets_, "one per market");
    check_size("long_fraction", params_.long_fraction.size(), markets_, "one per market");
    for (std::size_t m = 0; m < markets_; ++m) {
      const double value = params_.long_fraction[m];
      if (!(value >= 0.0 && value <= 1.0)) fail(row("long_fraction", m), format_number(value) + " is not in [0, 1]");
    }
    check_probabilities("leverage_weights", params_.leverage_weights, params_.leverage_weights.size(), "");
    check_leverage_bounds();
    if (!(std::isfinite(params_.entry_price_spread) && params_.entry_price_spread >= 0.0)) {
      fail("entry_price_spread", format_number(params_.entry_price_spread) + " is not a finite number >= 0");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw InputError(source_ + ": portfolio." + field + ": " + problem);
  }

  static std::string row(const std::string& field, std::size_t index) {
    return field + "[" + std::to_string(index) + "]";
  }

  void check_size(const std::string& field, std::size_t actual, std::size_t expected, const std::string& what) const {
    if (actual != expected) {
      fail(field, std::to_string(actual) + " entries, expected " + std::to_string(expected) + " (" + what + ")");
    }
  }

  // Entries finite and >= 0, summing to 1 within 1e-9; `expected` entries where `what` is given.
  void check_probabilities(const std::string& field, const std::vector<double>& values, std::size_t expected,
                           const std::string& what) const {
    if (!what.empty()) check_size(field, values.size(), expected, what);
    double sum = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!(std::isfinite(values[i]) && values[i] >= 0.0)) {
        fail(row(field, i), format_number(values[i]) + " is not a finite number >= 0");
      }
      sum += values[i];
    }
    if (!(std::fabs(sum - 1.0) <= sum_tolerance)) {
      fail(field, "entries sum to " + format_number(sum) + ", not 1 (tolerance 1e-9)");
    }
  }

  void check_leverage_bounds() const {
    const std::vector<double>& bounds = params_.leverage_bounds;
    if (bounds.size() != params_.leverage_weights.size() + 1) {
      fail("leverage_bounds", std::to_string(bounds.size()) + " entries, expected " +
                                  std::to_string(params_.leverage_weights.size() + 1) +
                                  " (one more than portfolio.leverage_weights)");
    }
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      if (!std::isfinite(bounds[i])) fail(row("leverage_bounds", i), format_number(bounds[i]) + " is not finite");
      if (i == 0 && !(bounds[0] >= 1.0)) fail(row("leverage_bounds", 0), format_number(bounds[0]) + " is below 1");
      if (i > 0 && !(bounds[i] > bounds[i - 1])) {
        fail(row("leverage_bounds", i), format_number(bounds[i]) + " is not above the previous bound " +
                                            format_number(bounds[i - 1]) + "; bounds must increase strictly");
      }
    }
  }

  const PortfolioGeneratorParams& params_;
  std::size_t markets_;
  const std::string& source_;
};

// Constants of one call, shared read-only by the workers.
struct GeneratorModel {
  rng::philox_key key{};
  std::size_t markets = 0;
  std::size_t eligible_markets = 0;  // markets with a positive open-interest share
  double min_notional_usd = 0.0;
  double pareto_truncation = 0.0;  // 1 - (x_m / x_M)^alpha
  double pareto_exponent = 0.0;    // -1 / alpha
  double multi_market_fraction = 0.0;
  double entry_price_spread = 0.0;
  std::vector<double> open_interest_share;
  std::vector<double> long_fraction;
  std::vector<double> leverage_cumulative;
  std::vector<double> leverage_bounds;
  const std::vector<MarketSpec>* spec = nullptr;
  std::string source_name;  // for messages
};

GeneratorModel make_generator_model(const PortfolioGeneratorParams& params, const std::vector<MarketSpec>& markets,
                                    const std::string& source_name) {
  GeneratorModel model;
  model.source_name = source_name;
  model.key = rng::make_key(params.seed);
  model.markets = markets.size();
  model.eligible_markets = static_cast<std::size_t>(std::count_if(
      params.open_interest_share.begin(), params.open_interest_share.end(), [](double share) { return share > 0.0; }));
  model.min_notional_usd = params.min_notional_usd;
  model.pareto_truncation = 1.0 - std::pow(params.min_notional_usd / params.max_notional_usd, params.pareto_alpha);
  model.pareto_exponent = -1.0 / params.pareto_alpha;
  model.multi_market_fraction = params.multi_market_fraction;
  model.entry_price_spread = params.entry_price_spread;
  model.open_interest_share = params.open_interest_share;
  model.long_fraction = params.long_fraction;
  double sum = 0.0;
  for (double weight : params.leverage_weights) {
    sum += weight;
    model.leverage_cumulative.push_back(sum);
  }
  model.leverage_bounds = params.leverage_bounds;
  model.spec = &markets;
  return model;
}

// Number of positions of account a: 1, or with probability multi_market_fraction 2 or 3 with
// equal odds, capped by the number of markets with a positive share.
std::size_t draw_position_count(const GeneratorModel& model, std::int64_t account) {
  const rng::philox_block block =
      rng::draw_block(model.key, rng::account_counter(account, rng::stream_market_count, 0));
  std::size_t count = 1;
  if (rng::first_uniform(block) < model.multi_market_fraction) {
    count = rng::second_uniform(block) < 0.5 ? 2 : max_positions_per_account;
  }
  return std::min(count, model.eligible_markets);
}

// Scratch space of one worker, reused across its accounts.
struct AccountScratch {
  std::vector<double> remaining_share;       // open-interest shares, 0 for markets already chosen
  std::vector<double> remaining_cumulative;  // their running sums
};

// An account the engines' fixed-point money cannot hold (docs/model.md, section 1): names the
// account's largest position and the keys that set its size.
[[noreturn]] void fail_money_limit(const GeneratorModel& model, std::int64_t account, const std::string& what,
                                   double amount_usd, std::size_t market) {
  const MarketSpec& spec = (*model.spec)[market];
  const std::string key = "markets[" + std::to_string(market) + "]";
  throw InputError(model.source_name + ": " + key + ".initial_price_usd: " + format_number(spec.initial_price_usd) +
                   " with " + key + ".lot_size = " + format_number(spec.lot_size) +
                   " makes a synthetic book the engines cannot hold: account " + std::to_string(account) + " needs " +
                   what + " of " + format_number(amount_usd) + " USD (its largest position is in \"" + spec.name +
                   "\"), above the money limit of " + format_number(max_money_usd) +
                   " USD; lower the price, the lot size or portfolio.max_notional_usd");
}

// Fills account a's collateral and its positions [offset, offset + count).
void generate_account(const GeneratorModel& model, std::int64_t account, std::size_t offset, std::size_t count,
                      AccountScratch& scratch, Portfolio& book) {
  const std::vector<MarketSpec>& markets = *model.spec;
  const double u_notional =
      rng::first_uniform(rng::draw_block(model.key, rng::account_counter(account, rng::stream_notional, 0)));
  const double notional_usd =
      model.min_notional_usd * std::pow(1.0 - u_notional * model.pareto_truncation, model.pareto_exponent);
  const double notional_per_market_usd = notional_usd / static_cast<double>(count);

  scratch.remaining_share = model.open_interest_share;
  scratch.remaining_cumulative.resize(model.markets);
  double max_leverage = 0.0;
  double entry_notional_usd = 0.0;
  double initial_pnl_usd = 0.0;
  double initial_margin_usd = 0.0;
  std::size_t largest_market = 0;  // the market of the account's largest position, for messages
  double largest_notional_usd = -1.0;
  for (std::size_t j = 0; j < count; ++j) {
    const auto draw = static_cast<std::uint32_t>(j);
    const rng::philox_block block =
        rng::draw_block(model.key, rng::account_counter(account, rng::stream_market_choice, draw));
    // Without replacement: a chosen market's share drops to 0, and u is scaled by the remaining
    // total instead of dividing every share by it.
    double remaining_total = 0.0;
    for (std::size_t m = 0; m < model.markets; ++m) {
      remaining_total += scratch.remaining_share[m];
      scratch.remaining_cumulative[m] = remaining_total;
    }
    const std::size_t market = rng::inverse_cdf_index(scratch.remaining_cumulative.data(), model.markets,
                                                      rng::first_uniform(block) * remaining_total);
    scratch.remaining_share[market] = 0.0;
    const bool is_long = rng::second_uniform(block) < model.long_fraction[market];

    const MarketSpec& spec = markets[market];
    const double z = rng::normal_number(model.key, rng::account_counter(account, rng::stream_entry_price, 0), draw);
    const double entry_price_usd = spec.initial_price_usd * std::exp(model.entry_price_spread * z);
    const std::int64_t lots =
        std::max<std::int64_t>(1, std::llround(notional_per_market_usd / (entry_price_usd * spec.lot_size)));
    const std::int64_t quantity = is_long ? lots : -lots;

    const std::size_t p = offset + j;
    book.market_index[p] = static_cast<std::int32_t>(market);
    book.quantity_lots[p] = quantity;
    book.entry_price_usd[p] = entry_price_usd;

    const double abs_size = static_cast<double>(lots) * spec.lot_size;
    const double signed_size = static_cast<double>(quantity) * spec.lot_size;
    entry_notional_usd += abs_size * entry_price_usd;
    if (abs_size * entry_price_usd > largest_notional_usd) {
      largest_notional_usd = abs_size * entry_price_usd;
      largest_market = market;
    }
    initial_pnl_usd += signed_size * (spec.initial_price_usd - entry_price_usd);
    initial_margin_usd += abs_size * spec.initial_price_usd * spec.initial_margin_fraction;
    const double market_max_leverage = 1.0 / spec.initial_margin_fraction;
    max_leverage = j == 0 ? market_max_leverage : std::min(max_leverage, market_max_leverage);
  }

  const rng::philox_block block = rng::draw_block(model.key, rng::account_counter(account, rng::stream_leverage, 0));
  const std::size_t bracket = rng::inverse_cdf_index(model.leverage_cumulative.data(), model.leverage_cumulative.size(),
                                                     rng::first_uniform(block));
  const double low = model.leverage_bounds[bracket];
  const double high = model.leverage_bounds[bracket + 1];
  const double leverage = std::min(low + rng::second_uniform(block) * (high - low), max_leverage);

  // A cent above initial margin: the engine keeps cash in micro-dollars, and an account generated
  // exactly at IM0 could round below it there (and below maintenance where mmf = imf).
  const double required_equity_usd = initial_margin_usd + minimum_headroom_usd;
  if (!(entry_notional_usd <= max_money_usd)) {
    fail_money_limit(model, account, "notional at entry", entry_notional_usd, largest_market);
  }
  // Checked before the top-up loop, which adds a cent at a time: beyond 2^53 cents (9e13 USD) a
  // cent no longer changes a double and the loop would never end.
  if (!(required_equity_usd - initial_pnl_usd <= max_money_usd)) {
    fail_money_limit(model, account, "collateral to cover its initial margin", required_equity_usd - initial_pnl_usd,
                     largest_market);
  }
  double collateral_usd = static_cast<double>(std::llround(entry_notional_usd / leverage * 100.0)) / 100.0;
  if (collateral_usd + initial_pnl_usd < required_equity_usd) {
    // Top up to E0 = IM0 + 1 cent, rounded up to a cent; the loop absorbs the last bit of rounding
    // in the division by 100 so that the bound holds in double arithmetic, not only in exact arithmetic.
    double cents = std::ceil((required_equity_usd - initial_pnl_usd) * 100.0);
    while (cents / 100.0 + initial_pnl_usd < required_equity_usd) cents += 1.0;
    collateral_usd = cents / 100.0;
  }
  book.collateral_usd[static_cast<std::size_t>(account)] = collateral_usd;
}

// The engines sum cash over all accounts, so the book's collateral plus notional at entry must stay
// within the money range too; summed in the order validate_portfolio (host/io/portfolio_file.hpp)
// sums it, so that a book generated here passes there.
void check_book_total(const GeneratorModel& model, const Portfolio& book) {
  double book_total_usd = 0.0;
  for (std::size_t account = 0; account < book.account_count(); ++account) {
    double notional_usd = 0.0;
    for (auto p = static_cast<std::size_t>(book.position_offset[account]);
         p < static_cast<std::size_t>(book.position_offset[account + 1]); ++p) {
      const MarketSpec& spec = (*model.spec)[static_cast<std::size_t>(book.market_index[p])];
      notional_usd += static_cast<double>(std::abs(book.quantity_lots[p])) * spec.lot_size * book.entry_price_usd[p];
    }
    book_total_usd += book.collateral_usd[account] + notional_usd;
  }
  if (!(book_total_usd <= max_money_usd)) {
    throw InputError(model.source_name + ": portfolio.accounts: " + std::to_string(book.account_count()) +
                     " accounts make a synthetic book whose collateral plus notional at entry is " +
                     format_number(book_total_usd) + " USD, above the money limit of " + format_number(max_money_usd) +
                     " USD the engines can hold; lower portfolio.accounts, portfolio.max_notional_usd or the "
                     "markets' initial_price_usd");
  }
}

// Runs body(begin, end) over the blocks of accounts_per_block consecutive accounts of [0, count) on
// `threads` threads. The blocks write disjoint outputs and do not depend on the thread count, so
// neither does the book, nor which error is reported when accounts fail.
constexpr std::int64_t accounts_per_block = 4096;
template <typename Body>
void for_each_block(std::int64_t count, int threads, const Body& body) {
  const std::int64_t blocks = (count + accounts_per_block - 1) / accounts_per_block;
  parallel_for(blocks, threads, [&](std::int64_t block) {
    body(block * accounts_per_block, std::min(count, (block + 1) * accounts_per_block));
  });
}

}  // namespace

double max_generated_positions(const PortfolioGeneratorParams& params) {
  const auto eligible = std::count_if(params.open_interest_share.begin(), params.open_interest_share.end(),
                                      [](double share) { return share > 0.0; });
  const double per_account =
      static_cast<double>(std::min(max_positions_per_account, static_cast<std::size_t>(eligible)));
  return static_cast<double>(params.accounts) * per_account;
}

void validate_generator_params(const PortfolioGeneratorParams& params, std::size_t markets,
                               const std::string& source_name) {
  GeneratorValidator(params, markets, source_name).run();
}

Portfolio generate_portfolio(const PortfolioGeneratorParams& params, const std::vector<MarketSpec>& markets,
                             int threads, const std::string& source_name) {
  const GeneratorModel model = make_generator_model(params, markets, source_name);
  const std::int64_t accounts = params.accounts;

  Portfolio book;
  for (const MarketSpec& market : markets) book.market_names.push_back(market.name);
  book.collateral_usd.assign(static_cast<std::size_t>(accounts), 0.0);
  book.position_offset.assign(static_cast<std::size_t>(accounts) + 1, 0);

  // Pass 1: positions per account, stored at offset[a + 1]; pass 2 after the prefix sum fills
  // each account's own slice of the position arrays.
  for_each_block(accounts, threads, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t a = begin; a < end; ++a) {
      book.position_offset[static_cast<std::size_t>(a) + 1] = static_cast<std::int64_t>(draw_position_count(model, a));
    }
  });
  for (std::size_t a = 0; a < static_cast<std::size_t>(accounts); ++a)
    book.position_offset[a + 1] += book.position_offset[a];
  const auto positions = static_cast<std::size_t>(book.position_offset.back());
  book.market_index.assign(positions, 0);
  book.quantity_lots.assign(positions, 0);
  book.entry_price_usd.assign(positions, 0.0);

  for_each_block(accounts, threads, [&](std::int64_t begin, std::int64_t end) {
    AccountScratch scratch;
    for (std::int64_t a = begin; a < end; ++a) {
      const auto offset = static_cast<std::size_t>(book.position_offset[static_cast<std::size_t>(a)]);
      const auto count = static_cast<std::size_t>(book.position_offset[static_cast<std::size_t>(a) + 1]) - offset;
      generate_account(model, a, offset, count, scratch, book);
    }
  });
  check_book_total(model, book);
  return book;
}

}  // namespace margin_stress
