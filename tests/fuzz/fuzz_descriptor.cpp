// Fuzz descriptor decoding: any bytes give a descriptor or an error; a
// descriptor that can be encoded again decodes to itself.
#include <cstdlib>
#include <stdexcept>
#include <lightspead/protocol/descriptor.h>
#include <lightspead/protocol/packet.h>
#include "fuzz_main.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace lightspead;
    if (size < 1)
        return 0;
    const bug_compat_mask compat = data[0] & BUG_COMPAT_ALL;
    const auto r = decode_descriptor(data + 1, size - 1, compat);
    if (!r)
    {
        FUZZ_CHECK(!r.error.empty());
        return 0;
    }
    const auto decoded = decode_packet(data + 1, size - 1);
    FUZZ_CHECK(decoded);
    std::vector<std::uint8_t> again;
    try
    {
        again = encode_descriptor(r.value, flavour(decoded.packet.heap_address_bits, compat));
    }
    catch (std::invalid_argument &)
    {
        return 0;  // valid on the wire but not encodable (e.g. ID 0)
    }
    const auto r2 = decode_descriptor(again.data(), again.size(), compat);
    FUZZ_CHECK(r2);
    FUZZ_CHECK(r2.value.id == r.value.id && r2.value.name == r.value.name && r2.value.description == r.value.description
               && r2.value.format == r.value.format && r2.value.shape == r.value.shape
               && r2.value.numpy_header == r.value.numpy_header);
    return 0;
}
