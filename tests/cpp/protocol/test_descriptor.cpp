// Descriptor encoding and decoding.
#include <random>
#include <stdexcept>
#include <gtest/gtest.h>
#include <lightspead/lightspead.h>
#include "wire.h"

using namespace lightspead;

namespace
{

// Expected descriptor packet built by hand from WIRE-NOTES.md.
wire::bytes expected_descriptor(int a, const std::string &name, const std::string &desc, const wire::bytes &format,
                                const wire::bytes &shape, const std::string &numpy, std::uint64_t id)
{
    const bool have_numpy = !numpy.empty();
    const std::uint64_t payload = name.size() + desc.size() + format.size() + shape.size() + numpy.size();
    wire::bytes out = wire::header(a, 9 + have_numpy);
    wire::imm(out, a, 1, 1);
    wire::imm(out, a, 2, payload);
    wire::imm(out, a, 3, 0);
    wire::imm(out, a, 4, payload);
    wire::imm(out, a, 0x14, id);
    std::uint64_t off = 0;
    wire::addr(out, a, 0x10, off);
    off += name.size();
    wire::addr(out, a, 0x11, off);
    off += desc.size();
    wire::addr(out, a, 0x13, off);
    off += format.size();
    wire::addr(out, a, 0x12, off);
    off += shape.size();
    if (have_numpy)
        wire::addr(out, a, 0x15, off);
    wire::append(out, name);
    wire::append(out, desc);
    wire::append(out, format);
    wire::append(out, shape);
    wire::append(out, numpy);
    return out;
}

descriptor sample_descriptor()
{
    descriptor d;
    d.id = 0x1234;
    d.name = "vis";
    d.description = "Visibilities";
    d.format = {{'u', 8}, {'f', 32}};
    d.shape = {3, -1, 4};
    return d;
}

}  // anonymous namespace

TEST(encode_descriptor, format_and_shape_64_40)
{
    // 64-40: format entries 1 + 3 bytes, shape entries 1 + 5 bytes
    wire::bytes format{'u', 0, 0, 8, 'f', 0, 0, 32};
    wire::bytes shape{0, 0, 0, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4};
    EXPECT_EQ(encode_descriptor(sample_descriptor(), flavour(40)),
              expected_descriptor(40, "vis", "Visibilities", format, shape, "", 0x1234));
}

TEST(encode_descriptor, format_and_shape_64_48)
{
    // 64-48: format entries 1 + 2 bytes, shape entries 1 + 6 bytes
    wire::bytes format{'u', 0, 8, 'f', 0, 32};
    wire::bytes shape{0, 0, 0, 0, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4};
    EXPECT_EQ(encode_descriptor(sample_descriptor(), flavour(48)),
              expected_descriptor(48, "vis", "Visibilities", format, shape, "", 0x1234));
}

TEST(encode_descriptor, bug_compat_widths_and_shape_bit)
{
    // Fixed widths: format 4 bytes, shape 8 bytes, whatever the flavour;
    // variable dimension flagged with 2.
    wire::bytes format{'u', 0, 0, 8, 'f', 0, 0, 32};
    wire::bytes shape{0, 0, 0, 0, 0, 0, 0, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4};
    EXPECT_EQ(
        encode_descriptor(sample_descriptor(), flavour(48, BUG_COMPAT_DESCRIPTOR_WIDTHS | BUG_COMPAT_SHAPE_BIT_1)),
        expected_descriptor(48, "vis", "Visibilities", format, shape, "", 0x1234));
}

TEST(encode_descriptor, numpy_header)
{
    descriptor d;
    d.id = 0x3300;
    d.name = "adc_samples";
    d.description = "ADC converter output";
    d.numpy_header = "{'shape': (1024,), 'fortran_order': False, 'descr': 'i1'}";
    EXPECT_EQ(encode_descriptor(d, flavour(40)),
              expected_descriptor(40, d.name, d.description, {}, {}, d.numpy_header, 0x3300));
}

TEST(encode_descriptor, rejects_bad_descriptors)
{
    auto d = sample_descriptor();
    d.id = 0;
    EXPECT_THROW(encode_descriptor(d, flavour(40)), std::invalid_argument);
    d.id = std::int64_t(1) << 23;  // 23-bit IDs in 64-40
    EXPECT_THROW(encode_descriptor(d, flavour(40)), std::invalid_argument);
    d.id = (std::int64_t(1) << 23) - 1;
    EXPECT_NO_THROW(encode_descriptor(d, flavour(40)));
    EXPECT_THROW(encode_descriptor(d, flavour(48)), std::invalid_argument);  // 15-bit IDs

    d = sample_descriptor();
    d.format = {{'u', 1 << 16}};  // 2 bytes of width in 64-48
    EXPECT_THROW(encode_descriptor(d, flavour(48)), std::invalid_argument);
    EXPECT_NO_THROW(encode_descriptor(d, flavour(40)));
    d.format = {{'u', -1}};
    EXPECT_THROW(encode_descriptor(d, flavour(40)), std::invalid_argument);

    d = sample_descriptor();
    d.shape = {-1, -1};
    EXPECT_THROW(encode_descriptor(d, flavour(40)), std::invalid_argument);
    d.shape = {std::int64_t(1) << 40};  // 5 bytes in 64-40
    EXPECT_THROW(encode_descriptor(d, flavour(40)), std::invalid_argument);
}

TEST(decode_descriptor, round_trips_every_flavour)
{
    for (int a = 8; a < 64; a += 8)
        for (bug_compat_mask compat : {0u, 1u, 2u, 3u})
        {
            descriptor d;
            d.id = 0x7f;
            d.name = "x";
            d.description = "desc";
            d.format = {{'i', 8}, {'u', 16}};
            d.shape = {2, -1};
            d.numpy_header = a > 8 ? "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3)}" : "";
            if (a == 8)
                d.shape = {2};  // dimensions must fit in one byte
            auto blob = encode_descriptor(d, flavour(a, compat));
            auto r = decode_descriptor(blob.data(), blob.size(), compat);
            ASSERT_TRUE(r) << r.error;
            EXPECT_EQ(r.value.id, d.id);
            EXPECT_EQ(r.value.name, d.name);
            EXPECT_EQ(r.value.description, d.description);
            EXPECT_EQ(r.value.format, d.format);
            EXPECT_EQ(r.value.shape, d.shape);
            EXPECT_EQ(r.value.numpy_header, d.numpy_header);
        }
}

TEST(decode_descriptor, reports_defects)
{
    descriptor d;
    d.id = 0x1234;
    d.name = "n";
    d.format = {{'u', 8}};
    auto good = encode_descriptor(d, flavour(40));
    ASSERT_TRUE(decode_descriptor(good.data(), good.size()));
    EXPECT_FALSE(decode_descriptor(good.data(), 7));
    EXPECT_FALSE(decode_descriptor(good.data(), good.size() - 1));
    // Format field of 3 bytes (not a whole 4-byte entry): drop a byte
    auto bad = wire::prefix(40, 3, 1, 3, 0, 3);
    wire::imm(bad, 40, DESCRIPTOR_ID_ID, 5);
    wire::addr(bad, 40, DESCRIPTOR_NAME_ID, 0);
    wire::addr(bad, 40, DESCRIPTOR_FORMAT_ID, 0);
    bad.insert(bad.end(), {'u', 0, 8});
    auto r = decode_descriptor(bad.data(), bad.size());
    EXPECT_FALSE(r);
    EXPECT_NE(r.error.find("format"), std::string::npos);
    // No described ID
    auto no_id = wire::prefix(40, 1, 1, 1, 0, 1);
    wire::addr(no_id, 40, DESCRIPTOR_NAME_ID, 0);
    no_id.push_back('x');
    EXPECT_FALSE(decode_descriptor(no_id.data(), no_id.size()));
}

TEST(decode_descriptor, format_codes_are_printable_ascii)
{
    // A code byte of 0xff (or a control character) is no format a reader
    // can use: the descriptor is left out, with a reason.
    for (char code : {'\xff', '\x80', '\x00', ' ', '\x7f'})
    {
        descriptor d;
        d.id = 0x1234;
        d.name = "n";
        d.format = {{'u', 8}, {code, 8}};
        auto blob = encode_descriptor(d, flavour(40));
        auto r = decode_descriptor(blob.data(), blob.size());
        EXPECT_FALSE(r) << "code " << int(std::uint8_t(code));
        EXPECT_NE(r.error.find("format code"), std::string::npos) << r.error;
    }
    for (char code : {'!', 'u', 'f', '~'})
    {
        descriptor d;
        d.id = 0x1234;
        d.format = {{code, 8}};
        auto blob = encode_descriptor(d, flavour(40));
        EXPECT_TRUE(decode_descriptor(blob.data(), blob.size())) << code;
    }
}

TEST(decode_descriptor, random_bytes_never_crash)
{
    descriptor d;
    d.id = 0x1234;
    d.name = "name";
    d.description = "description";
    d.format = {{'u', 8}};
    d.shape = {3, -1};
    auto good = encode_descriptor(d, flavour(40));
    std::mt19937 rng(3);
    int ok = 0;
    for (int i = 0; i < 20000; i++)
    {
        auto mutated = good;
        for (int k = 0; k < 3; k++)
            mutated[rng() % mutated.size()] = rng();
        mutated.resize(rng() % (mutated.size() + 1));
        ok += bool(decode_descriptor(mutated.data(), mutated.size(), rng() % 8));
    }
    SUCCEED() << ok << " mutated descriptors still decoded";
}
