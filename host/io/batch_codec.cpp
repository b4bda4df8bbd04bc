#include "host/io/batch_codec.hpp"

#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "host/io/checksum.hpp"

namespace margin_stress {
namespace {

constexpr char magic[8] = {'M', 'S', 'B', 'A', 'T', 'C', 'H', '1'};
constexpr std::uint32_t byte_order_mark = 0x01020304;

// Every field below is listed once, for both directions. A field added to these structs and not
// here would be lost on resume: the sizes make the build fail until the lists are updated.
static_assert(sizeof(ScenarioLedger) == 10 * sizeof(micro_usd), "list the new ledger field in visit_scenario");
static_assert(sizeof(ScenarioMetrics) == 272, "list the new ScenarioMetrics field in visit_scenario");
static_assert(sizeof(StepSeries) == 3 * sizeof(std::int64_t) + 10 * sizeof(std::vector<double>),
              "list the new StepSeries field in StepSeries::for_each_list");

template <class Codec, class Metrics>
void visit_scenario(Codec& codec, Metrics& scenario) {
  auto& ledger = scenario.ledger;
  codec(ledger.trader_equity_change);
  codec(ledger.insurance_fund_change);
  codec(ledger.liquidity_provider_pnl);
  codec(ledger.bad_debt);
  codec(ledger.adl_haircut);
  codec(ledger.insurance_payout);
  codec(ledger.liquidation_fees);
  codec(ledger.deposits);
  codec(ledger.vault_pnl);
  codec(ledger.conservation_residual);
  codec(scenario.insurance_fund_min);
  codec(scenario.insurance_fund_end);
  codec(scenario.adl_notional_usd);
  codec(scenario.cascade_rounds_total);
  codec(scenario.cascade_rounds_max);
  codec(scenario.round_cap_hits);
  codec(scenario.fund_exhausted);
  codec(scenario.liquidated_notional_usd);
  codec(scenario.liquidation_count);
  codec(scenario.peak_impact);
  codec(scenario.max_margin_scale);
  codec(scenario.margin_calls);
  codec(scenario.backstopped_accounts);
  codec(scenario.backstop_notional_usd);
  codec(scenario.deleveraged_notional_usd);
}

template <class Codec, class Series>
void visit_series(Codec& codec, Series& series) {
  StepSeries::for_each_list([&](auto list) { codec(series.*list); });
}

class Writer {
 public:
  template <class T>
  void operator()(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    append(&value, sizeof value);
  }
  template <class T>
  void operator()(const std::vector<T>& values) {
    (*this)(static_cast<std::uint64_t>(values.size()));
    append(values.data(), values.size() * sizeof(T));
  }
  void append(const void* data, std::size_t size) {
    if (size > 0) bytes_.append(static_cast<const char*>(data), size);
  }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

class Reader {
 public:
  Reader(const std::string& bytes, std::size_t begin, std::size_t end, const std::string& source)
      : bytes_(bytes), at_(begin), end_(end), source_(source) {}

  template <class T>
  void operator()(T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    take(&value, sizeof value);
  }
  template <class T>
  void operator()(std::vector<T>& values) {
    std::uint64_t size = 0;
    (*this)(size);
    if (size > (end_ - at_) / sizeof(T)) fail("a list longer than the file");
    values.resize(static_cast<std::size_t>(size));
    take(values.data(), values.size() * sizeof(T));
  }
  void take(void* data, std::size_t size) {
    if (size > end_ - at_) fail("it ends early");
    if (size > 0) std::memcpy(data, bytes_.data() + at_, size);
    at_ += size;
  }
  bool at_end() const { return at_ == end_; }
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(source_ + ": a damaged checkpoint batch: " + why);
  }

 private:
  const std::string& bytes_;
  std::size_t at_;
  std::size_t end_;
  const std::string& source_;
};

// The lengths of the lists a scenario's metrics or series hold, to compare with a well-formed one.
struct ListLengths {
  std::vector<std::size_t> lengths;
  template <class T>
  void operator()(const std::vector<T>& values) {
    lengths.push_back(values.size());
  }
  template <class T>
  void operator()(const T&) {}
};

template <class Visit, class Value>
std::vector<std::size_t> list_lengths(Visit visit, const Value& value) {
  ListLengths lengths;
  visit(lengths, value);
  return lengths.lengths;
}

}  // namespace

std::string encode_batch(const BatchResults& results) {
  Writer writer;
  writer.append(magic, sizeof magic);
  writer(byte_order_mark);
  writer(results.first_scenario);
  writer(static_cast<std::int64_t>(results.scenarios.size()));
  writer(results.series.steps);
  writer(results.series.markets);
  for (const ScenarioMetrics& scenario : results.scenarios) visit_scenario(writer, scenario);
  visit_series(writer, results.series);
  const std::uint32_t crc = crc32_of(writer.bytes().data(), writer.bytes().size());
  writer(crc);
  return std::move(writer.bytes());
}

BatchResults decode_batch(const std::string& bytes, const BatchShape& expected, const std::string& source) {
  constexpr std::size_t header = sizeof magic + sizeof byte_order_mark;
  std::uint32_t stored_crc = 0;
  if (bytes.size() < header + sizeof stored_crc || std::memcmp(bytes.data(), magic, sizeof magic) != 0) {
    throw std::runtime_error(source + ": not a checkpoint batch of this program");
  }
  const std::size_t payload = bytes.size() - sizeof stored_crc;
  std::memcpy(&stored_crc, bytes.data() + payload, sizeof stored_crc);
  Reader reader(bytes, sizeof magic, payload, source);
  std::uint32_t order = 0;
  reader(order);
  if (order != byte_order_mark) reader.fail("written on a machine of another byte order");
  if (crc32_of(bytes.data(), payload) != stored_crc) reader.fail("its CRC-32 does not match its contents");

  BatchShape shape;
  reader(shape.first_scenario);
  reader(shape.scenarios);
  reader(shape.steps);
  reader(shape.markets);
  if (shape.first_scenario != expected.first_scenario || shape.scenarios != expected.scenarios ||
      shape.steps != expected.steps || shape.markets != expected.markets) {
    reader.fail("it holds scenarios " + std::to_string(shape.first_scenario) + " + " + std::to_string(shape.scenarios) +
                " of " + std::to_string(shape.steps) + " steps and " + std::to_string(shape.markets) +
                " markets, not the run's");
  }
  BatchResults results;
  results.first_scenario = shape.first_scenario;
  results.scenarios.resize(static_cast<std::size_t>(shape.scenarios));
  for (ScenarioMetrics& scenario : results.scenarios) visit_scenario(reader, scenario);
  results.series.scenarios = shape.scenarios;
  results.series.steps = shape.steps;
  results.series.markets = shape.markets;
  visit_series(reader, results.series);
  if (!reader.at_end()) reader.fail("bytes beyond its end");
  ScenarioMetrics well_formed_scenario;
  for (auto* list : {&well_formed_scenario.liquidated_notional_usd, &well_formed_scenario.peak_impact,
                     &well_formed_scenario.max_margin_scale, &well_formed_scenario.deleveraged_notional_usd}) {
    list->resize(static_cast<std::size_t>(shape.markets));
  }
  well_formed_scenario.liquidation_count.resize(static_cast<std::size_t>(shape.markets));
  const auto scenario_lists = [](auto& codec, const ScenarioMetrics& scenario) { visit_scenario(codec, scenario); };
  for (const ScenarioMetrics& scenario : results.scenarios) {
    if (list_lengths(scenario_lists, scenario) != list_lengths(scenario_lists, well_formed_scenario)) {
      reader.fail("a scenario's per-market lists have the wrong length");
    }
  }
  // Which series are per market and which per step, from a tiny one of 2 markets: cheaper than
  // allocating a well-formed series of the batch's size to compare with.
  StepSeries pattern;
  pattern.resize(1, 1, 2);
  const auto series_lists = [](auto& codec, const StepSeries& series) { visit_series(codec, series); };
  std::vector<std::size_t> expected_lengths = list_lengths(series_lists, pattern);
  for (std::size_t& length : expected_lengths) {
    length = static_cast<std::size_t>(shape.scenarios * shape.steps * (length == 2 ? shape.markets : 1));
  }
  if (list_lengths(series_lists, results.series) != expected_lengths) reader.fail("its series have the wrong length");
  return results;
}

}  // namespace margin_stress
