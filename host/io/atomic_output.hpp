// Writing an output file so that it either appears complete or not at all, and never replaces a
// file it was not asked to.
//
// The file is written under a temporary name in the target's directory (`<path>.tmp-<host>-<pid>`, so
// the final rename stays on one file system and is atomic), flushed to disk, and published only
// when writing succeeded: renamed onto the target with --force, otherwise linked to the target's
// name without replacing anything there (renameat2's RENAME_NOREPLACE, or link where the file
// system lacks it), so that of two runs racing for one name one wins and the other fails. The
// directory is then flushed too. A reader never sees a half-written file; a failed or interrupted
// write never destroys an earlier one; SIGINT and SIGTERM during a write remove its temporary; a
// temporary left by a process that is gone (SIGKILL, a power cut) is removed by the next write to
// the same path.
#pragma once

#include <functional>
#include <string>

namespace margin_stress {

// The temporary name a write of `path` uses: `path` with ".tmp-<host name>-<process id>" appended.
std::string temporary_output_path(const std::string& path);

// Checks, before a long run, that `path` can be written, with InputError naming it otherwise: its
// directory exists and takes a new file (a file is created there and removed), `path` is not a
// directory, and it does not exist unless `overwrite` (the message says to pass --force). Removes
// the temporaries of earlier writes of `path` whose process is gone.
void check_output_path(const std::string& path, bool overwrite);

// Throws InputError naming `path`, the space `bytes` of `what` ("the results and their checkpoint")
// need and the space free, when the file system `path` would be written to has less than that free
// (statvfs: the space an unprivileged user may fill). Nothing is refused when it cannot be read.
void check_output_space(const std::string& path, double bytes, const std::string& what);

// check_output_path, then write(temporary_path), which must create and fully close the file,
// then flush it and publish it at `path` as above. If anything throws, the temporary is removed,
// the target is left as it was, and the exception propagates: InputError if `path` appeared in
// the meantime and `overwrite` is false, std::runtime_error naming both paths if a flush or the
// publication fails.
void write_atomically(const std::string& path, bool overwrite,
                      const std::function<void(const std::string& temporary_path)>& write);

// write_atomically of a text file holding `text` (a model file, a CSV report).
void write_text_atomically(const std::string& path, bool overwrite, const std::string& text);

}  // namespace margin_stress
