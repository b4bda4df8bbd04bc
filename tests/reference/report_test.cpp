// The committee report (docs/report.md) as a reader gets it: `run --report`, `compare --report`,
// `optimize --report` and `report` write a self-contained page that Debian's headless Chromium
// loads from disk with every chart and no error, whose every figure equals the number in the file
// it was drawn from (tests/python/check_report.py reads those files on its own), and whose identity
// names the run (for a CSV, from the summary JSON of the command that wrote it); a PDF pack; and
// refusals: a results file that is truncated, of another format version or altered after the run
// gives exit 3, a missing Python package a sentence naming it, and no output is left half-written.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/reference/cli_runner.hpp"

namespace margin_stress {
namespace {

using testing::expect_contains;
using testing::Outcome;
using testing::read_text;
using testing::run_cli;
using testing::run_shell;

const std::string source_dir = MARGIN_STRESS_SOURCE_DIR;
// Four price fans (one per market of the default set), the margin scale, the fund, the regimes,
// the loss histograms, cascade depth with forced selling, and ADL volume.
constexpr int run_charts = 10;

bool report_tools_present() {
  return std::system("/usr/bin/python3 -c 'import matplotlib, h5py' >/dev/null 2>&1") == 0 &&
         std::system("command -v chromium >/dev/null 2>&1") == 0;
}

class Report : public testing::ScratchDirectoryTest {
 protected:
  void SetUp() override {
    ScratchDirectoryTest::SetUp();
    if (!report_tools_present()) {
      GTEST_SKIP() << "needs /usr/bin/python3 with matplotlib and h5py, and chromium (scripts/install-deps --tests)";
    }
  }

  // A flash crash on a book of 3,000 accounts: losses, ADL and a drained fund in 24 scenarios.
  std::string crash_arguments() {
    write_file("small-book.toml", "[portfolio]\naccounts = 3000\n");
    const Outcome book =
        run_cli("portfolio generate --quiet --config " + path("small-book.toml") + " --out " + path("book.h5"));
    EXPECT_EQ(book.exit_code, 0) << book.output;
    return "--quiet --threads 2 --scenarios 24 --steps 32 --config " + source_dir +
           "/scenarios/presets/shocks/flash-crash-30.toml --portfolio " + path("book.h5");
  }

  // check_report.py on `report`, with a screenshot to `screenshot` unless it is "-", and for a CSV
  // the identity from `summary` (empty: the page must say the identity is not known).
  Outcome check_in_browser(const std::string& report, const std::string& source, int charts,
                           const std::string& screenshot = "-", const std::string& summary = "") {
    return run_shell("/usr/bin/python3 " + source_dir + "/tests/python/check_report.py " + report + " " + source + " " +
                     std::to_string(charts) + " " + screenshot + " " + summary + " 2>&1");
  }

  // The temporary summary files that compare --report and optimize --report hand to the report
  // program (TMPDIR is the scratch directory): none may be left.
  void expect_no_temporary_summary() {
    for (const auto& entry : std::filesystem::directory_iterator(path(""))) {
      EXPECT_EQ(entry.path().filename().string().find("margin-stress-summary-"), std::string::npos) << entry.path();
    }
  }
};

TEST_F(Report, ARunsReportLoadsInChromiumWithEveryChartAndTheFileNumbers) {
  const Outcome run =
      run_cli("run " + crash_arguments() + " --out " + path("crash.h5") + " --report " + path("crash.html"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const Outcome checked = check_in_browser(path("crash.html"), path("crash.h5"), run_charts, path("screenshot.png"));
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  EXPECT_TRUE(std::filesystem::file_size(path("screenshot.png")) > 0);
  // The page is self-contained: nothing is fetched from anywhere.
  const std::string page = read_text(path("crash.html"));
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  expect_contains(page, {"insurance fund exhausted", "backstop vault loss", "--scenario"});

  // The check itself fails on a figure that differs from the file and on a chart that is missing.
  std::string altered = page;
  const std::size_t value = altered.find("data-value=\"", altered.find("data-key=\"platform_loss_usd/mean\""));
  ASSERT_NE(value, std::string::npos);
  altered.insert(value + 12, "1");
  write_file("altered.html", altered);
  const Outcome wrong_number = check_in_browser(path("altered.html"), path("crash.h5"), run_charts);
  EXPECT_NE(wrong_number.exit_code, 0);
  expect_contains(wrong_number.output, {"platform_loss_usd/mean"});
  std::string chartless = page;
  const std::size_t image = chartless.find("<img");
  chartless.replace(image, 4, "<br");
  write_file("chartless.html", chartless);
  EXPECT_NE(check_in_browser(path("chartless.html"), path("crash.h5"), run_charts).exit_code, 0);
}

TEST_F(Report, ComparisonFrontierAndPdf) {
  const std::string policies = source_dir + "/scenarios/presets/policies/";
  const std::string common = crash_arguments();
  const std::string temporary_here = "TMPDIR=" + path("") + " ";
  const Outcome compare =
      run_shell(temporary_here + MARGIN_STRESS_BINARY + " compare " + common + " --policy " + policies +
                "static.toml --policy " + policies + "hyperliquid-like.toml --out " + path("compare.csv") +
                " --summary-json " + path("compare.json") + " --report " + path("compare.html") + " 2>&1");
  ASSERT_EQ(compare.exit_code, 0) << compare.output;
  // The identity is the summary's: program, commit, backend, seed, scenarios, steps, config, book.
  const Outcome compare_checked =
      check_in_browser(path("compare.html"), path("compare.csv"), 2, "-", path("compare.json"));
  EXPECT_EQ(compare_checked.exit_code, 0) << compare_checked.output;
  expect_contains(read_text(path("compare.html")), {"Paired differences", "hyperliquid-like", "margin increase"});

  // Without --summary-json, --report hands the summary over in a temporary file; with
  // --summary-json -, stdout is the JSON the report showed.
  const Outcome optimize =
      run_shell(temporary_here + MARGIN_STRESS_BINARY + " optimize " + common + " --policy " + policies +
                "static.toml --grid 3 --low 0.5 --high 2 --max-exhaustion-probability 1 --out " + path("frontier.csv") +
                " --summary-json - --report " + path("frontier.html") + " > " + path("frontier.json") + " 2> " +
                path("optimize.log"));
  ASSERT_EQ(optimize.exit_code, 0) << read_text(path("optimize.log"));
  const Outcome frontier_checked =
      check_in_browser(path("frontier.html"), path("frontier.csv"), 1, "-", path("frontier.json"));
  EXPECT_EQ(frontier_checked.exit_code, 0) << frontier_checked.output;
  expect_contains(read_text(path("frontier.html")), {"static.toml", "margin_multiplier on [0.5, 2]"});
  expect_no_temporary_summary();

  // --report needs the CSV it is drawn from.
  EXPECT_EQ(run_cli("compare " + common + " --policy " + policies + "static.toml --report " + path("x.html")).exit_code,
            2);

  // The PDF pack: the tables, then one page per chart.
  const Outcome run = run_cli("run " + common + " --out " + path("crash.h5"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const Outcome pdf = run_cli("report " + path("crash.h5") + " --format pdf -o " + path("pack.pdf"));
  ASSERT_EQ(pdf.exit_code, 0) << pdf.output;
  const std::string pack = read_text(path("pack.pdf"));
  EXPECT_EQ(pack.rfind("%PDF-", 0), 0u);
  const std::size_t count = pack.find("/Count ");  // the page tree's page count
  ASSERT_NE(count, std::string::npos);
  EXPECT_EQ(std::stoi(pack.substr(count + 7)), run_charts + 1);
}

TEST_F(Report, ACsvShowsTheIdentityOfItsSummaryOrSaysItIsNotKnown) {
  const std::string policies = source_dir + "/scenarios/presets/policies/";
  const Outcome compare =
      run_cli("compare " + crash_arguments() + " --seed 7 --policy " + policies + "static.toml --policy " + policies +
              "hyperliquid-like.toml --out " + path("compare.csv") + " --summary-json " + path("compare.json"));
  ASSERT_EQ(compare.exit_code, 0) << compare.output;

  // Without the summary, the page says plainly that the CSV does not carry its identity.
  const Outcome bare = run_cli("report " + path("compare.csv") + " -o " + path("bare.html"));
  ASSERT_EQ(bare.exit_code, 0) << bare.output;
  const Outcome bare_checked = check_in_browser(path("bare.html"), path("compare.csv"), 2);
  EXPECT_EQ(bare_checked.exit_code, 0) << bare_checked.output;
  expect_contains(read_text(path("bare.html")), {"--summary SUMMARY.json"});
  // The check fails on a page that lacks the identity of a summary.
  const Outcome lacking = check_in_browser(path("bare.html"), path("compare.csv"), 2, "-", path("compare.json"));
  EXPECT_NE(lacking.exit_code, 0);
  expect_contains(lacking.output, {"the identity does not show 'seed 7'"});

  const Outcome given =
      run_cli("report " + path("compare.csv") + " --summary " + path("compare.json") + " -o " + path("given.html"));
  ASSERT_EQ(given.exit_code, 0) << given.output;
  const Outcome given_checked = check_in_browser(path("given.html"), path("compare.csv"), 2, "-", path("compare.json"));
  EXPECT_EQ(given_checked.exit_code, 0) << given_checked.output;
  expect_contains(read_text(path("given.html")), {"seed 7", "3,000 accounts", path("book.h5")});

  // A summary that is not this CSV's is bad input: another command's, or one whose figures differ.
  const Outcome run =
      run_cli("run --quiet --scenarios 3 --steps 8 --out " + path("r.h5") + " --summary-json " + path("run.json"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const Outcome of_run =
      run_cli("report " + path("compare.csv") + " --summary " + path("run.json") + " -o " + path("bad.html"));
  EXPECT_EQ(of_run.exit_code, 3) << of_run.output;
  expect_contains(of_run.output, {"the summary of `run`, not of the `compare`"});
  const std::string json = read_text(path("compare.json"));
  const std::string mean = "\"mean\": ";
  const std::size_t first_mean = json.find(mean);
  ASSERT_NE(first_mean, std::string::npos);
  std::string altered = json;
  altered.insert(first_mean + mean.size(), "1");
  write_file("altered.json", altered);
  const Outcome other_figures =
      run_cli("report " + path("compare.csv") + " --summary " + path("altered.json") + " -o " + path("bad.html"));
  EXPECT_EQ(other_figures.exit_code, 3) << other_figures.output;
  expect_contains(other_figures.output, {"is not the summary of " + path("compare.csv")});
  // A results file carries its own identity.
  const Outcome of_results =
      run_cli("report " + path("r.h5") + " --summary " + path("compare.json") + " -o " + path("bad.html"));
  EXPECT_EQ(of_results.exit_code, 2) << of_results.output;
  EXPECT_FALSE(std::filesystem::exists(path("bad.html")));
}

TEST_F(Report, RefusesResultsItCannotTrustAndLeavesNoFile) {
  const Outcome run = run_cli("run --quiet --scenarios 3 --steps 8 --out " + path("r.h5"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string copy_and = "cp " + path("r.h5") + " " + path("bad.h5") + " && /usr/bin/python3 -c \"import h5py; ";
  struct Case {
    std::string damage;  // Python on the h5py.File f, opened for writing
    std::string says;
  };
  const Case cases[] = {
      {"f.attrs['format_version'] = 1", "results format version 1"},
      {"f['scenario/bad_debt_usd'][0] += 1.0", "CRC-32"},
      {"del f.attrs['status']", "did not write this file to the end"},
  };
  for (const Case& c : cases) {
    ASSERT_EQ(run_shell(copy_and + "f = h5py.File('" + path("bad.h5") + "', 'r+'); " + c.damage + "\"").exit_code, 0);
    const Outcome refused = run_cli("report " + path("bad.h5") + " -o " + path("bad.html"));
    EXPECT_EQ(refused.exit_code, 3) << c.damage << "\n" << refused.output;
    expect_contains(refused.output, {path("bad.h5"), c.says});
    EXPECT_FALSE(std::filesystem::exists(path("bad.html"))) << c.damage;
  }
  ASSERT_EQ(run_shell("head -c 4000 " + path("r.h5") + " > " + path("truncated.h5")).exit_code, 0);
  EXPECT_EQ(run_cli("report " + path("truncated.h5") + " -o " + path("bad.html")).exit_code, 3);
  EXPECT_EQ(run_cli("report " + write_file("not-results.toml", "[run]\n") + " -o " + path("bad.html")).exit_code, 3);
  EXPECT_FALSE(std::filesystem::exists(path("bad.html")));
  for (const auto& entry : std::filesystem::directory_iterator(path(""))) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

TEST_F(Report, AMissingPackageIsNamedBeforeARunNotInATraceback) {
  // A matplotlib that cannot be imported, first on the Python path.
  std::filesystem::create_directories(path("shadow/matplotlib"));
  write_file("shadow/matplotlib/__init__.py", "raise ImportError('matplotlib is not installed')\n");
  const std::string without_matplotlib = "PYTHONPATH=" + path("shadow") + " ";
  const Outcome run =
      run_shell(without_matplotlib + MARGIN_STRESS_BINARY + " run --quiet --scenarios 3 --steps 8 --out " +
                path("r.h5") + " --report " + path("r.html") + " 2>&1");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  expect_contains(run.output, {"python3-matplotlib", "nothing was run"});
  EXPECT_EQ(run.output.find("Traceback"), std::string::npos) << run.output;
  EXPECT_FALSE(std::filesystem::exists(path("r.h5")));
  EXPECT_FALSE(std::filesystem::exists(path("r.html")));
}

}  // namespace
}  // namespace margin_stress
