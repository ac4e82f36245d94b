/**
 * @file
 * Cuts a heap into packets exactly as the reference sender does, without
 * copying item data.
 */
#ifndef LIGHTSPEAD_SEND_PACKET_GENERATOR_H
#define LIGHTSPEAD_SEND_PACKET_GENERATOR_H

#include <cstddef>
#include <cstdint>
#include <vector>
#include <sys/uio.h>
#include <lightspead/protocol/defines.h>
#include <lightspead/protocol/packet.h>
#include <lightspead/send/heap.h>

namespace lightspead::send
{

/**
 * Produces the packets of one heap, one at a time.
 *
 * Each packet is a header (written into memory the caller supplies) plus
 * payload pieces that point straight into the items' memory, so the heap
 * and the items must outlive the packets. The layout follows the reference
 * sender (see WIRE-NOTES.md, "How a heap becomes packets"): every packet
 * starts with heap counter, heap length, payload offset and payload length,
 * then as many other item pointers as fit, and carries at least one
 * payload byte.
 */
class packet_generator
{
private:
    const heap *h;
    item_pointer_t cnt;
    std::size_t max_packet_size;      // rounded down to a multiple of 8
    std::size_t max_item_pointers;    // non-special pointers per packet
    std::size_t immediate_bytes;      // A / 8
    item_pointer_t payload_size = 0;  // heap length, padding included
    bool need_null_item = false;      // padding follows the real payload

    // Progress
    item_pointer_t payload_offset = 0;
    std::size_t next_item_pointer = 0;
    item_pointer_t next_address = 0;
    std::size_t next_item = 0;         // item whose data goes into the payload next
    std::size_t next_item_offset = 0;  // bytes of it already sent

public:
    /// Smallest usable packet size limit: prefix, one pointer, one payload word.
    static constexpr std::size_t min_packet_size = 56;

    /**
     * Prepare to send @a h with heap counter @a cnt in packets of at most
     * @a max_packet_size bytes (rounded down to a multiple of 8).
     *
     * @throws std::invalid_argument if the limit is below
     * @ref min_packet_size, @a cnt does not fit in A bits, the payload does
     * not fit the flavour's heap addresses, or repeat pointers were asked
     * for and do not fit in one packet.
     */
    packet_generator(const heap &h, item_pointer_t cnt, std::size_t max_packet_size);

    /// True until every packet has been produced.
    bool has_next_packet() const noexcept { return payload_offset < payload_size; }

    /// The heap length every packet declares (real payload plus padding).
    item_pointer_t get_heap_length() const noexcept { return payload_size; }

    /// Bytes of header (prefix and pointers) the next packet needs at most.
    std::size_t max_header_size() const noexcept
    {
        return packet_header_size + (4 + max_item_pointers) * sizeof(item_pointer_t);
    }

    /// Bytes of header (prefix and pointers) the next packet needs.
    std::size_t next_header_size() const noexcept;

    /**
     * Produce the next packet: write its header into @a header (which has
     * room for @ref max_header_size bytes and must stay valid until the
     * packet is sent) and append to @a iov one piece for the header and one
     * per payload piece.
     *
     * @pre @ref has_next_packet()
     * @return the packet size in bytes.
     */
    std::size_t next_packet(std::uint8_t *header, std::vector<iovec> &iov);
};

}  // namespace lightspead::send

#endif  // LIGHTSPEAD_SEND_PACKET_GENERATOR_H
