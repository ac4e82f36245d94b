/**
 * @file
 * Item descriptors and their wire encoding.
 */
#ifndef LIGHTSPEAD_PROTOCOL_DESCRIPTOR_H
#define LIGHTSPEAD_PROTOCOL_DESCRIPTOR_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include <lightspead/protocol/defines.h>
#include <lightspead/protocol/flavour.h>

namespace lightspead
{

/**
 * What an item is: its ID, name, description and either a format list and
 * shape or a numpy header. A plain value type.
 */
struct descriptor
{
    /// The described item's ID (1 to 2^(63-A) - 1).
    s_item_pointer_t id = 0;
    /// Short name, conventionally an identifier.
    std::string name;
    /// Free-text description.
    std::string description;
    /// Format entries (type code, bit width); codes are u, i, f, b, c.
    std::vector<std::pair<char, s_item_pointer_t>> format;
    /// Dimensions; a negative entry is a variable-length dimension (at most one).
    std::vector<s_item_pointer_t> shape;
    /// A .npy-style header dict; when non-empty it overrides format and shape.
    std::string numpy_header;
};

/**
 * Encode @a d as the value of a descriptor item (0x05): one complete SPEAD
 * packet in @a f, laid out as the reference sender lays it out (heap
 * counter 1, the described ID as an immediate, then name, description,
 * format, shape and, if present, numpy header as addressed items).
 *
 * @throws std::invalid_argument if the ID is out of range for @a f, a
 * format width or dimension does not fit its wire field, or more than one
 * dimension is variable.
 */
std::vector<std::uint8_t> encode_descriptor(const descriptor &d, const flavour &f);

/// The result of @c decode_descriptor: a descriptor, or what was wrong.
struct descriptor_decode_result
{
    descriptor value;   ///< the descriptor (on success)
    std::string error;  ///< empty on success

    /// Whether the descriptor decoded.
    explicit operator bool() const noexcept { return error.empty(); }
};

/**
 * Decode the value of a descriptor item (0x05): one complete SPEAD packet
 * holding the descriptor fields, in the widths @a bug_compat implies.
 *
 * Untrusted input: any defect (not a valid packet, a payload that is not
 * the whole heap, no described ID, field lengths that are not whole
 * entries, more than one variable dimension) gives an error message instead
 * of a descriptor. Never reads outside [data, data + size).
 */
descriptor_decode_result decode_descriptor(const std::uint8_t *data, std::size_t size, bug_compat_mask bug_compat = 0);

}  // namespace lightspead

#endif  // LIGHTSPEAD_PROTOCOL_DESCRIPTOR_H
