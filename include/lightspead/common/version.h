/**
 * @file
 * The version of the lightspead library.
 */
#ifndef LIGHTSPEAD_COMMON_VERSION_H
#define LIGHTSPEAD_COMMON_VERSION_H

namespace lightspead
{

/**
 * The version of the lightspead library the program is linked with, as
 * "major.minor.patch". It is the version in the source tree's VERSION.txt,
 * which the CMake package, the pkg-config files and the Python package
 * (@c lightspead.__version__) also report.
 */
const char *version() noexcept;

}  // namespace lightspead

#endif  // LIGHTSPEAD_COMMON_VERSION_H
