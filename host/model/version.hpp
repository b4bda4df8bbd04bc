// What built this binary: the project version and the git commit (with "-dirty" when the tree had
// uncommitted changes), for the provenance of every results file.
#pragma once

namespace margin_stress {

inline const char* program_version() { return MARGIN_STRESS_VERSION; }
const char* git_commit();

}  // namespace margin_stress
