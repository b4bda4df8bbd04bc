#include "host/io/checkpoint.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "host/io/atomic_output.hpp"
#include "host/io/batch_codec.hpp"
#include "host/model/input_error.hpp"

namespace margin_stress {
namespace {

namespace fs = std::filesystem;

constexpr const char* manifest_format = "margin-stress checkpoint";
constexpr std::int64_t manifest_format_version = 1;

struct Manifest {
  RunIdentity identity;
  std::int64_t batch_scenarios = 0;
};

std::string manifest_path(const std::string& directory) { return directory + "/manifest.toml"; }

std::string crc_text(std::uint32_t crc) {
  char text[16];
  std::snprintf(text, sizeof text, "%08x", crc);
  return text;
}

std::string manifest_text(const Manifest& manifest) {
  const RunIdentity& identity = manifest.identity;
  toml::table table{{"format", manifest_format},       {"format_version", manifest_format_version},
                    {"program", identity.program},     {"first_scenario", identity.first_scenario},
                    {"scenarios", identity.scenarios}, {"steps", identity.steps},
                    {"markets", identity.markets},     {"batch_scenarios", manifest.batch_scenarios},
                    {"config", identity.config_text}};
  toml::array inputs;
  for (const InputFileIdentity& input : identity.inputs) {
    inputs.push_back(toml::table{{"role", input.role},
                                 {"path", input.path},
                                 {"bytes", static_cast<std::int64_t>(input.bytes)},
                                 {"crc32", crc_text(input.crc32)}});
  }
  table.insert("input", std::move(inputs));
  std::ostringstream text;
  text << "# The checkpoint of an unfinished margin-stress run: `run --resume` with the same inputs\n"
          "# continues it (docs/results.md, \"Checkpoints\").\n"
       << table << '\n';
  return text.str();
}

// The manifest at `directory`, or nothing if there is none; std::runtime_error if it is damaged.
std::optional<Manifest> read_manifest(const std::string& directory) {
  const std::string path = manifest_path(directory);
  if (!fs::exists(path)) return std::nullopt;
  try {
    const toml::table table = toml::parse_file(path);
    if (table["format"].value_or(std::string()) != manifest_format ||
        table["format_version"].value_or(std::int64_t{0}) != manifest_format_version) {
      throw std::runtime_error("not a checkpoint manifest of this format");
    }
    Manifest manifest;
    RunIdentity& identity = manifest.identity;
    identity.program = table["program"].value_or(std::string());
    identity.first_scenario = table["first_scenario"].value_or(std::int64_t{-1});
    identity.scenarios = table["scenarios"].value_or(std::int64_t{-1});
    identity.steps = table["steps"].value_or(std::int64_t{-1});
    identity.markets = table["markets"].value_or(std::int64_t{-1});
    identity.config_text = table["config"].value_or(std::string());
    manifest.batch_scenarios = table["batch_scenarios"].value_or(std::int64_t{0});
    if (manifest.batch_scenarios < 1 || identity.scenarios < 0 || identity.first_scenario < 0) {
      throw std::runtime_error("no batch size or scenarios");
    }
    if (const toml::array* inputs = table["input"].as_array()) {
      for (const toml::node& node : *inputs) {
        const toml::table* input = node.as_table();
        if (input == nullptr) throw std::runtime_error("an input that is not a table");
        InputFileIdentity file;
        file.role = (*input)["role"].value_or(std::string());
        file.path = (*input)["path"].value_or(std::string());
        file.bytes = static_cast<std::uint64_t>((*input)["bytes"].value_or(std::int64_t{0}));
        file.crc32 = static_cast<std::uint32_t>(std::stoul((*input)["crc32"].value_or(std::string("0")), nullptr, 16));
        identity.inputs.push_back(file);
      }
    }
    return manifest;
  } catch (const std::exception& error) {  // toml::parse_error, std::stoul's
    throw std::runtime_error(path + ": a damaged checkpoint manifest (" + error.what() +
                             "); remove the directory, or pass --force to start the run over");
  }
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The config lines that differ, as "line N: `...` in the checkpoint, `...` now", the first few.
void describe_config_difference(const std::string& stored, const std::string& now, std::vector<std::string>& out) {
  const std::vector<std::string> stored_lines = lines_of(stored);
  const std::vector<std::string> now_lines = lines_of(now);
  const std::size_t lines = std::max(stored_lines.size(), now_lines.size());
  constexpr int shown = 3;
  int different = 0;
  for (std::size_t i = 0; i < lines; ++i) {
    const std::string was = i < stored_lines.size() ? stored_lines[i] : "(nothing)";
    const std::string is = i < now_lines.size() ? now_lines[i] : "(nothing)";
    if (was == is) continue;
    if (different++ < shown) {
      out.push_back("effective config line " + std::to_string(i + 1) + ": `" + was + "` in the checkpoint, `" + is +
                    "` now");
    }
  }
  if (different > shown) out.push_back("and " + std::to_string(different - shown) + " more config lines");
}

std::vector<std::string> differences(const RunIdentity& stored, const RunIdentity& now) {
  std::vector<std::string> out;
  if (stored.program != now.program) {
    out.push_back("program " + stored.program + " wrote the checkpoint, this is " + now.program);
  }
  if (stored.scenarios != now.scenarios || stored.first_scenario != now.first_scenario) {
    const auto range = [](const RunIdentity& identity) {
      return std::to_string(identity.scenarios) + " scenarios" +
             (identity.first_scenario == 0 ? std::string()
                                           : " from scenario " + std::to_string(identity.first_scenario));
    };
    out.push_back(range(stored) + " in the checkpoint, " + range(now) + " now");
  }
  if (stored.steps != now.steps || stored.markets != now.markets) {
    out.push_back(std::to_string(stored.steps) + " steps of " + std::to_string(stored.markets) +
                  " markets in the checkpoint, " + std::to_string(now.steps) + " of " + std::to_string(now.markets) +
                  " now");
  }
  describe_config_difference(stored.config_text, now.config_text, out);
  for (const InputFileIdentity& input : now.inputs) {
    const auto match = std::find_if(stored.inputs.begin(), stored.inputs.end(),
                                    [&](const InputFileIdentity& other) { return other.role == input.role; });
    if (match == stored.inputs.end()) {
      out.push_back("the " + input.role + " file " + input.path + " is new");
    } else if (match->bytes != input.bytes || match->crc32 != input.crc32) {
      out.push_back("the " + input.role + " file was " + describe_input_file(*match) + ", it is " +
                    describe_input_file(input));
    }
  }
  for (const InputFileIdentity& input : stored.inputs) {
    const auto match = std::find_if(now.inputs.begin(), now.inputs.end(),
                                    [&](const InputFileIdentity& other) { return other.role == input.role; });
    if (match == now.inputs.end()) out.push_back("the " + input.role + " file " + input.path + " is no longer used");
  }
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : "; ") + part;
  return text;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read the checkpoint batch: " + std::strerror(errno));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool is_batch_name(const std::string& name) {
  return name.rfind("batch-", 0) == 0 && name.size() > 4 && name.compare(name.size() - 4, 4, ".bin") == 0;
}

bool holds_batches(const std::string& directory) {
  std::error_code error;
  for (fs::directory_iterator entry(directory, error), end; !error && entry != end; entry.increment(error)) {
    if (is_batch_name(entry->path().filename().string())) return true;
  }
  return false;
}

// Everything in the checkpoint directory but the lock: batches, temporaries, the manifest.
void remove_contents(const std::string& directory) {
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.path().filename() != "lock") fs::remove_all(entry.path());
  }
}

}  // namespace

std::string checkpoint_directory(const std::string& results_path) { return results_path + ".checkpoint"; }

Checkpoint::Checkpoint(const std::string& results_path, const RunIdentity& identity, std::int64_t batch_scenarios,
                       CheckpointStart start)
    : directory_(checkpoint_directory(results_path)), identity_(identity) {
  std::error_code error;
  fs::create_directory(directory_, error);
  if (!fs::is_directory(directory_)) {
    throw InputError(directory_ + ": cannot make the run's checkpoint directory" +
                     (error ? ": " + error.message() : std::string(" (a file of that name is in the way)")));
  }
  const std::string lock_path = directory_ + "/lock";
  lock_descriptor_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_descriptor_ < 0) throw InputError(lock_path + ": cannot open: " + std::strerror(errno));
  if (::flock(lock_descriptor_, LOCK_EX | LOCK_NB) != 0) {
    const int lock_errno = errno;
    ::close(lock_descriptor_);
    lock_descriptor_ = -1;
    if (lock_errno == EWOULDBLOCK) {
      throw InputError(results_path + ": another margin-stress run is writing these results (it holds " + lock_path +
                       "); wait for it to finish, or choose another --out");
    }
    throw InputError(lock_path + ": cannot lock: " + std::strerror(lock_errno));
  }
  try {
    std::optional<Manifest> stored;
    if (start != CheckpointStart::discard) stored = read_manifest(directory_);
    if (stored && start == CheckpointStart::resume) {
      const std::vector<std::string> differing = differences(stored->identity, identity);
      if (!differing.empty()) {
        throw InputError(directory_ + ": this checkpoint is of another run, and --resume continues only the run that " +
                         "wrote it: " + joined(differing) +
                         ". Run with the same inputs, or pass --force without --resume to start over");
      }
      batch_scenarios_ = stored->batch_scenarios;
    } else {
      batch_scenarios_ = std::max<std::int64_t>(batch_scenarios, 1);
    }
    finished_.assign(static_cast<std::size_t>(batch_count()), false);
    std::int64_t found = 0;
    for (std::int64_t batch = 0; stored && batch < batch_count(); ++batch) {
      finished_[static_cast<std::size_t>(batch)] = fs::exists(batch_path(batch));
      found += finished(batch) ? 1 : 0;
    }
    if (stored && start == CheckpointStart::fresh && found > 0) {
      throw UsageError(directory_ + " holds " + std::to_string(found) + " finished batches of an unfinished run: " +
                       "pass --resume to continue it, or --force to discard it and start over");
    }
    if (!stored || start != CheckpointStart::resume) {
      finished_.assign(finished_.size(), false);
      remove_contents(directory_);
      write_text_atomically(manifest_path(directory_), true, manifest_text({identity, batch_scenarios_}));
    }
  } catch (...) {
    // A checkpoint without finished batches holds nothing worth keeping (a full disk may have
    // stopped its manifest); one with batches is left as it was, for the user to decide.
    if (!holds_batches(directory_)) {
      std::error_code ignored;
      fs::remove_all(directory_, ignored);
    }
    ::close(lock_descriptor_);
    lock_descriptor_ = -1;
    throw;
  }
}

Checkpoint::~Checkpoint() {
  if (lock_descriptor_ < 0) return;
  // A run that ends without finishing a batch (an error, a stop in its first batch) leaves nothing.
  if (finished_batches() == 0) {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }
  ::close(lock_descriptor_);
}

std::int64_t Checkpoint::batch_count() const { return (identity_.scenarios + batch_scenarios_ - 1) / batch_scenarios_; }

std::int64_t Checkpoint::scenario_count(std::int64_t batch) const {
  return std::min(batch_scenarios_, identity_.first_scenario + identity_.scenarios - first_scenario(batch));
}

std::int64_t Checkpoint::finished_batches() const {
  return static_cast<std::int64_t>(std::count(finished_.begin(), finished_.end(), true));
}

std::string Checkpoint::batch_path(std::int64_t batch) const {
  char name[32];
  std::snprintf(name, sizeof name, "/batch-%06lld.bin", static_cast<long long>(batch));
  return directory_ + name;
}

BatchResults Checkpoint::read(std::int64_t batch) const {
  const BatchShape shape{first_scenario(batch), scenario_count(batch), identity_.steps, identity_.markets};
  const std::string path = batch_path(batch);
  return decode_batch(read_bytes(path), shape, path);
}

void Checkpoint::write(std::int64_t batch, const BatchResults& results) {
  write_text_atomically(batch_path(batch), true, encode_batch(results));
  finished_[static_cast<std::size_t>(batch)] = true;
}

void Checkpoint::remove() {
  std::error_code error;
  fs::remove_all(directory_, error);
  if (error) throw std::runtime_error(directory_ + ": cannot remove the finished run's checkpoint: " + error.message());
  ::close(lock_descriptor_);
  lock_descriptor_ = -1;
}

}  // namespace margin_stress
