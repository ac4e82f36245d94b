/**
 * @file
 * `spead2` as another name for `lightspead`, for programs written against
 * spead2's C++ API. Every header under `lightspead/compat/spead2/` includes
 * it; put `lightspead/compat` on the include path (pkg-config
 * `lightspead-spead2`, CMake target `lightspead::spead2`) and such programs
 * build unchanged.
 *
 * Being an alias, `spead2` cannot be reopened: a program that declares its
 * own names inside `namespace spead2 { ... }` must move them elsewhere.
 */
#ifndef LIGHTSPEAD_COMPAT_NAMESPACE_H
#define LIGHTSPEAD_COMPAT_NAMESPACE_H

namespace lightspead
{
}

/// spead2's namespace is lightspead's.
namespace spead2 = lightspead;

#endif  // LIGHTSPEAD_COMPAT_NAMESPACE_H
