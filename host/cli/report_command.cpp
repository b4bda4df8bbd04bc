#include "host/cli/report_command.hpp"

namespace margin_stress {

void setup_report_command(CLI::App& app, ReportOptions& options) {
  CLI::App* report = app.add_subcommand(
      "report", "the committee report (self-contained HTML, or PDF) of a results file or a compare/optimize CSV");
  report->add_option("input", options.input_path, "results file (.h5), or the CSV of compare --out or optimize --out")
      ->required()
      ->check(CLI::ExistingFile);
  report->add_option("-o,--out", options.out_path, "the report to write")->required();
  report
      ->add_option("--summary", options.summary_path,
                   "for a compare or optimize CSV: the --summary-json the same command wrote, the run's identity "
                   "(seed, config, book, backend, program version) that the CSV does not carry")
      ->check(CLI::ExistingFile);
  report->add_option("--format", options.format, "html or pdf (default: pdf for a .pdf name, else html)")
      ->check(CLI::IsMember({"html", "pdf"}));
  report->add_flag("-f,--force", options.force, "replace the report if it exists");
}

int report_command(const ReportOptions& options) { return draw_report(options); }

}  // namespace margin_stress
