// lightspead::version() reports VERSION.txt, the one version number of the
// source tree (read here from the file itself, not through CMake's copy).
#include <cctype>
#include <fstream>
#include <string>
#include <gtest/gtest.h>
#include <lightspead/common/version.h>

namespace
{

// "major.minor.patch": three runs of digits separated by two dots.
bool is_version_number(const std::string &text)
{
    int dots = 0;
    bool digit_before = false;
    for (char c : text)
    {
        if (c == '.' && digit_before)
        {
            dots++;
            digit_before = false;
        }
        else if (std::isdigit(static_cast<unsigned char>(c)))
            digit_before = true;
        else
            return false;
    }
    return dots == 2 && digit_before;
}

}  // anonymous namespace

TEST(version, is_the_source_tree_version)
{
    std::ifstream file(LIGHTSPEAD_TEST_VERSION_FILE);
    ASSERT_TRUE(file) << "cannot open " << LIGHTSPEAD_TEST_VERSION_FILE;
    std::string expected;
    std::getline(file, expected);
    EXPECT_EQ(std::string(lightspead::version()), expected);
    EXPECT_TRUE(is_version_number(lightspead::version()));
    EXPECT_FALSE(is_version_number("1.2"));
    EXPECT_FALSE(is_version_number("1.2.x"));
}
