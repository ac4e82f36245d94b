#include <lightspead/common/version.h>

namespace lightspead
{

const char *version() noexcept
{
    // Defined by CMake from VERSION.txt, for this file only
    return LIGHTSPEAD_VERSION_STRING;
}

}  // namespace lightspead
