// Writing an output file so that it either appears complete or not at all.
//
// The file is written under a temporary name in the target's directory (so the final rename stays
// on one file system and is atomic) and renamed onto the target only when writing succeeded. A
// reader never sees a half-written results file, and a failed or interrupted write never
// destroys an earlier file. The existence check and the rename are two steps: two processes
// writing the same path at the same moment are not supported.
#pragma once

#include <functional>
#include <string>

namespace margin_stress {

// The temporary name a write of `path` uses: `path` with ".tmp-<process id>" appended.
std::string temporary_output_path(const std::string& path);

// Checks, before a long run, that `path` can be written: InputError if its directory does not
// exist, or if the file exists and `overwrite` is false (the message says to pass --force).
void check_output_path(const std::string& path, bool overwrite);

// check_output_path, then write(temporary_path), which must create and fully close the file,
// then fsync and rename it onto `path`. If anything throws, the temporary is removed, the target
// is left as it was, and the exception propagates. A failed fsync or rename throws
// std::runtime_error naming both paths.
void write_atomically(const std::string& path, bool overwrite,
                      const std::function<void(const std::string& temporary_path)>& write);

// write_atomically of a text file holding `text` (a model file, a CSV report).
void write_text_atomically(const std::string& path, bool overwrite, const std::string& text);

}  // namespace margin_stress
