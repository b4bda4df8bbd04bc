// margin-stress: the command-line entry point. It only wires the subcommands (one per file in
// host/cli/) and maps failures to exit codes: 2 usage, 3 bad input, 1 anything else; a run stopped
// by a signal ends by that signal. Under an MPI launcher it is one rank of a run (rank_world.hpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include "host/cli/backtest_command.hpp"
#include "host/cli/calibrate_command.hpp"
#include "host/cli/compare_command.hpp"
#include "host/cli/optimize_command.hpp"
#include "host/cli/portfolio_command.hpp"
#include "host/cli/rank_world.hpp"
#include "host/cli/report_command.hpp"
#include "host/cli/reverse_command.hpp"
#include "host/cli/run_command.hpp"
#include "host/cli/stop_signals.hpp"
#include "host/cli/verify_command.hpp"
#include "host/model/input_error.hpp"
#include "host/model/version.hpp"

namespace {

std::string join_arguments(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) line += ' ';
    line += argv[i];
  }
  return line;
}

// The subcommand given, with its own subcommands ("portfolio generate").
std::string given_command(const CLI::App& app) {
  std::string name;
  for (const CLI::App* command = &app; !command->get_subcommands().empty();) {
    command = command->get_subcommands().front();
    name += (name.empty() ? "" : " ") + command->get_name();
  }
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace margin_stress;
  std::optional<RankWorld> world;
  try {
    world.emplace(argc, argv);
  } catch (const FailedOnAnotherRank& elsewhere) {
    return elsewhere.exit_code();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "margin-stress: error: %s\n", error.what());
    return 2;
  }
  const RankPlace& place = world->place();
  CLI::App app{
      "margin-stress: stress tests of dynamic margin scaling on leveraged derivatives platforms.\n"
      "Monte Carlo volatility-regime scenarios drive a book of cross-margin accounts through margin\n"
      "calls, liquidation cascades with price impact, the insurance fund, auto-deleveraging and bad debt."};
  app.set_version_flag("--version", std::string("margin-stress ") + program_version() + " (" + git_commit() + ")");
  app.require_subcommand(1);

  RunOptions run_options;
  setup_run_command(app, run_options);
  PortfolioGenerateOptions portfolio_options;
  setup_portfolio_command(app, portfolio_options);
  CalibrateOptions calibrate_options;
  setup_calibrate_command(app, calibrate_options);
  BacktestOptions backtest_options;
  setup_backtest_command(app, backtest_options);
  CompareOptions compare_options;
  setup_compare_command(app, compare_options);
  OptimizeOptions optimize_options;
  setup_optimize_command(app, optimize_options);
  VerifyOptions verify_options;
  setup_verify_command(app, verify_options);
  ReportOptions report_options;
  setup_report_command(app, report_options);
  ReverseOptions reverse_options;
  setup_reverse_command(app, reverse_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version print and exit 0; a usage error prints CLI11's message and exits 2.
    // Every rank parses the same arguments: one of them says what is wrong.
    if (!place.leads()) return error.get_exit_code() == 0 ? 0 : 2;
    return app.exit(error) == 0 ? 0 : 2;
  }

  if (place.ranks > 1 && !app.got_subcommand("run")) {
    // Only `run` spreads over ranks; each rank of another command would repeat it whole.
    if (place.leads()) {
      std::fprintf(stderr, "margin-stress: error: only `run` runs over several MPI ranks; start `%s` as one process\n",
                   given_command(app).c_str());
    }
    return 2;
  }

  try {
    if (app.got_subcommand("run")) return run_command(run_options, join_arguments(argc, argv), place);
    if (app.got_subcommand("calibrate")) return calibrate_command(calibrate_options, join_arguments(argc, argv));
    if (app.got_subcommand("backtest")) return backtest_command(backtest_options);
    if (app.got_subcommand("compare")) return compare_command(compare_options);
    if (app.got_subcommand("verify")) return verify_command(verify_options);
    if (app.got_subcommand("optimize")) return optimize_command(optimize_options);
    if (app.got_subcommand("report")) return report_command(report_options);
    if (app.got_subcommand("reverse")) return reverse_command(reverse_options);
    return portfolio_generate_command(portfolio_options);
  } catch (const RunStopped& stopped) {
    std::fprintf(stderr, "margin-stress: %s\n", stopped.what());
    world->finish();
    end_by_signal(stopped.signal());
  } catch (const FailedOnAnotherRank& elsewhere) {
    return elsewhere.exit_code();
  } catch (const UsageError& error) {
    std::fprintf(stderr, "margin-stress: error: %s\n", error.what());
    return 2;
  } catch (const InputError& error) {
    std::fprintf(stderr, "margin-stress: error: %s\n", error.what());
    return 3;
  } catch (const CLI::ValidationError& error) {  // a usage error found after parsing (size_limits.hpp)
    std::fprintf(stderr, "margin-stress: error: %s\n", error.what());
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "margin-stress: error: %s\n", error.what());
    return 1;
  }
}
