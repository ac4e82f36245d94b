// Replay main for the fuzz harnesses: without libFuzzer, each harness is a
// plain program that runs its function over every file in the directories
// (or files) given, so the harnesses build and run in the normal test suite.
#ifndef LIGHTSPEAD_FUZZ_MAIN_H
#define LIGHTSPEAD_FUZZ_MAIN_H

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

#ifndef LIGHTSPEAD_LIBFUZZER
int main(int argc, char **argv)
{
    std::size_t runs = 0;
    for (int i = 1; i < argc; i++)
    {
        std::vector<std::filesystem::path> files;
        if (std::filesystem::is_directory(argv[i]))
        {
            for (const auto &entry : std::filesystem::directory_iterator(argv[i]))
                if (entry.is_regular_file())
                    files.push_back(entry.path());
        }
        else
            files.emplace_back(argv[i]);
        for (const auto &path : files)
        {
            std::ifstream in(path, std::ios::binary);
            std::vector<std::uint8_t> data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            LLVMFuzzerTestOneInput(data.data(), data.size());
            runs++;
        }
    }
    std::cout << "replayed " << runs << " inputs\n";
    return runs > 0 ? 0 : 1;
}
#endif

/// Abort (so the fuzzer reports it) when an invariant does not hold.
#define FUZZ_CHECK(cond)                                                                                               \
 do                                                                                                                    \
 {                                                                                                                     \
  if (!(cond))                                                                                                         \
  {                                                                                                                    \
   std::cerr << __FILE__ << ":" << __LINE__ << ": invariant failed: " #cond "\n";                                      \
   std::abort();                                                                                                       \
  }                                                                                                                    \
 } while (false)

#endif
