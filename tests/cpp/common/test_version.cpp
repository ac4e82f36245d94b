// lightspead::version() reports VERSION.txt, the one version number of the
// source tree (read here from the file itself, not through CMake's copy).
#include <fstream>
#include <regex>
#include <string>
#include <gtest/gtest.h>
#include <lightspead/common/version.h>

TEST(version, is_the_source_tree_version)
{
    std::ifstream file(LIGHTSPEAD_TEST_VERSION_FILE);
    ASSERT_TRUE(file) << "cannot open " << LIGHTSPEAD_TEST_VERSION_FILE;
    std::string expected;
    std::getline(file, expected);
    EXPECT_EQ(std::string(lightspead::version()), expected);
    EXPECT_TRUE(std::regex_match(lightspead::version(), std::regex("[0-9]+\\.[0-9]+\\.[0-9]+")));
}
