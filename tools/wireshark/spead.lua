-- A Wireshark / tshark dissector for SPEAD (the Streaming Protocol for
-- Exchanging Astronomical Data), installed with lightspead.
--
-- Use: tshark -X lua_script:spead.lua -r capture.pcap -V
--      (or copy it to ~/.local/lib/wireshark/plugins/ for Wireshark)
--
-- Shows the header and flavour (SPEAD-64-A for every heap address width A),
-- every item pointer (ID, immediate value or address), the heap counter,
-- heap length, payload offset and length, stream control, and descriptors
-- carried in the packet, decoded. Packets that break the rules are flagged
-- with an expert item ("Malformed"), never a Lua error. It runs on the UDP
-- ports of its preference (default 8888, the tutorial's) and, for any other
-- UDP port, by heuristic (a SPEAD header that holds together).

local spead = Proto("spead", "SPEAD")

local control_names = {[0] = "stream start", [1] = "descriptor reissue", [2] = "stream stop",
                       [3] = "descriptor update"}
local special_names = {[0x00] = "null", [0x01] = "heap counter", [0x02] = "heap length",
                       [0x03] = "payload offset", [0x04] = "payload length", [0x05] = "item descriptor",
                       [0x06] = "stream control", [0x10] = "descriptor name",
                       [0x11] = "descriptor description", [0x12] = "descriptor shape",
                       [0x13] = "descriptor format", [0x14] = "descriptor ID",
                       [0x15] = "descriptor numpy header"}

local f = spead.fields
f.magic = ProtoField.uint8("spead.magic", "Magic", base.HEX)
f.version = ProtoField.uint8("spead.version", "Version")
f.id_width = ProtoField.uint8("spead.item_id_width", "Item ID width (bytes)")
f.addr_width = ProtoField.uint8("spead.heap_address_width", "Heap address width (bytes)")
f.reserved = ProtoField.uint16("spead.reserved", "Reserved", base.HEX)
f.n_items = ProtoField.uint16("spead.n_items", "Number of item pointers")
f.flavour = ProtoField.string("spead.flavour", "Flavour")
f.item = ProtoField.bytes("spead.item", "Item pointer")
f.item_immediate = ProtoField.bool("spead.item.immediate", "Immediate")
f.item_id = ProtoField.uint64("spead.item.id", "Item ID", base.HEX)
f.item_name = ProtoField.string("spead.item.name", "Meaning")
f.item_value = ProtoField.uint64("spead.item.value", "Value")
f.item_address = ProtoField.uint64("spead.item.address", "Address")
f.heap_cnt = ProtoField.uint64("spead.heap_cnt", "Heap counter")
f.heap_size = ProtoField.uint64("spead.heap_size", "Heap length")
f.payload_offset = ProtoField.uint64("spead.payload_offset", "Payload offset")
f.payload_length = ProtoField.uint64("spead.payload_length", "Payload length")
f.stream_control = ProtoField.uint64("spead.stream_control", "Stream control")
f.payload = ProtoField.bytes("spead.payload", "Payload")
f.descriptor = ProtoField.bytes("spead.descriptor", "Descriptor")
f.descriptor_id = ProtoField.uint64("spead.descriptor.id", "Described item ID", base.HEX)
f.descriptor_name = ProtoField.string("spead.descriptor.name", "Name")
f.descriptor_description = ProtoField.string("spead.descriptor.description", "Description")
f.descriptor_format = ProtoField.string("spead.descriptor.format", "Format")
f.descriptor_shape = ProtoField.string("spead.descriptor.shape", "Shape")
f.descriptor_numpy = ProtoField.string("spead.descriptor.numpy_header", "Numpy header")

local ef_malformed = ProtoExpert.new("spead.malformed", "Malformed SPEAD packet", expert.group.MALFORMED,
                                     expert.severity.ERROR)
spead.experts = {ef_malformed}

spead.prefs.ports = Pref.range("UDP ports", "8888", "UDP ports always decoded as SPEAD (others by heuristic)",
                               65535)

-- Whether the first bytes of tvb are a plausible SPEAD header.
local function looks_like_spead(tvb)
    if tvb:len() < 8 then return false end
    if tvb(0, 1):uint() ~= 0x53 or tvb(1, 1):uint() ~= 4 then return false end
    local idw, aw = tvb(2, 1):uint(), tvb(3, 1):uint()
    if idw + aw ~= 8 or aw < 1 or aw > 7 then return false end
    return 8 + 8 * tvb(6, 2):uint() <= tvb:len()
end

-- Text of bytes that should be ASCII: non-printable bytes are escaped.
local function text(range)
    local s = range:raw()
    return (s:gsub("[^\32-\126]", function(c) return string.format("\\x%02x", c:byte()) end))
end

-- Decode one packet at the start of tvb into tree. Returns a table with the
-- items and the payload range, or nil (after flagging it) if malformed.
local function dissect_packet(tvb, tree, is_descriptor)
    local malformed = function(item, why)
        item:add_proto_expert_info(ef_malformed, why)
        return nil
    end
    if tvb:len() < 8 then return malformed(tree, "shorter than a SPEAD header (8 bytes)") end
    tree:add(f.magic, tvb(0, 1))
    tree:add(f.version, tvb(1, 1))
    local idw, aw = tvb(2, 1):uint(), tvb(3, 1):uint()
    tree:add(f.id_width, tvb(2, 1))
    tree:add(f.addr_width, tvb(3, 1))
    tree:add(f.reserved, tvb(4, 2))
    local n = tvb(6, 2):uint()
    tree:add(f.n_items, tvb(6, 2))
    if tvb(0, 1):uint() ~= 0x53 then return malformed(tree, "magic is not 0x53") end
    if tvb(1, 1):uint() ~= 4 then return malformed(tree, "version is not 4") end
    if idw + aw ~= 8 or aw < 1 or aw > 7 then
        return malformed(tree, string.format("item ID width %d and heap address width %d do not make 64 bits",
                                             idw, aw))
    end
    local bits = aw * 8
    tree:add(f.flavour, tvb(2, 2), "SPEAD-64-" .. bits)
    if 8 + 8 * n > tvb:len() then
        return malformed(tree, string.format("%d item pointers do not fit in %d bytes", n, tvb:len()))
    end
    local p = {bits = bits, items = {}, n = n}
    local value_mask_shift = 64 - bits
    for i = 0, n - 1 do
        local off = 8 + 8 * i
        local raw = tvb(off, 8):uint64()
        local immediate = raw:rshift(63):tonumber() ~= 0
        local id = raw:lshift(1):rshift(bits + 1)
        local value = raw:lshift(value_mask_shift):rshift(value_mask_shift)
        local idn = id:tonumber()
        local name = special_names[idn]
        local label = string.format("Item 0x%x: %s", idn, immediate and ("immediate " .. tostring(value))
                                                                    or ("address " .. tostring(value)))
        if name then label = label .. " (" .. name .. ")" end
        local sub = tree:add(f.item, tvb(off, 8)):set_text(label)
        sub:add(f.item_immediate, tvb(off, 1), immediate)
        sub:add(f.item_id, tvb(off, idw), id)
        if name then sub:add(f.item_name, tvb(off, idw), name) end
        if immediate then
            sub:add(f.item_value, tvb(off + idw, aw), value)
        else
            sub:add(f.item_address, tvb(off + idw, aw), value)
        end
        p.items[#p.items + 1] = {id = idn, immediate = immediate, value = value, range = tvb(off, 8)}
        if immediate then
            if idn == 1 then p.heap_cnt = value; tree:add(f.heap_cnt, tvb(off + idw, aw), value)
            elseif idn == 2 then p.heap_size = value; tree:add(f.heap_size, tvb(off + idw, aw), value)
            elseif idn == 3 then p.offset = value; tree:add(f.payload_offset, tvb(off + idw, aw), value)
            elseif idn == 4 then p.length = value; tree:add(f.payload_length, tvb(off + idw, aw), value)
            elseif idn == 6 then
                p.control = value:tonumber()
                tree:add(f.stream_control, tvb(off + idw, aw), value):append_text(
                    " (" .. (control_names[p.control] or "unknown") .. ")")
            end
        end
    end
    if not p.heap_cnt or not p.offset or not p.length then
        return malformed(tree, "heap counter, payload offset or payload length is missing (or not immediate)")
    end
    local start = 8 + 8 * n
    local length = p.length:tonumber()
    if start + length > tvb:len() then
        return malformed(tree, string.format("payload length %d runs past the %d bytes there", length,
                                             tvb:len() - start))
    end
    if p.heap_size and p.offset:tonumber() + length > p.heap_size:tonumber() then
        return malformed(tree, "payload offset + length is beyond the heap length")
    end
    if not is_descriptor and start + length ~= tvb:len() then
        tree:add_proto_expert_info(ef_malformed, string.format(
            "datagram of %d bytes holds a packet of %d bytes", tvb:len(), start + length))
    end
    if length > 0 then tree:add(f.payload, tvb(start, length)) end
    p.payload = length > 0 and tvb(start, length) or nil
    p.size = start + length
    return p
end

-- The bytes of addressed item k of p inside this packet's payload (nil if
-- they are not all there): from its address to the next addressed item's,
-- or to the heap's end.
local function item_bytes(p, k)
    local addr = p.items[k].value:tonumber()
    local finish = p.heap_size and p.heap_size:tonumber() or nil
    for j = k + 1, #p.items do
        if not p.items[j].immediate then finish = p.items[j].value:tonumber(); break end
    end
    if not finish or not p.payload then return nil end
    local first, last = p.offset:tonumber(), p.offset:tonumber() + p.payload:len()
    if addr < first or finish > last or finish < addr then return nil end
    if finish == addr then return p.payload(0, 0) end
    return p.payload(addr - first, finish - addr)
end

local function describe(range, tree)
    local sub = tree:add(f.descriptor, range)
    local d = dissect_packet(range:tvb(), sub, true)
    if not d then return end
    local aw = d.bits / 8
    local name = ""
    for k, item in ipairs(d.items) do
        if item.id == 0x14 and item.immediate then
            sub:add(f.descriptor_id, item.range, item.value)
        elseif not item.immediate and item.id >= 0x10 and item.id <= 0x15 then
            local b = item_bytes(d, k)
            if not b then
                sub:add_proto_expert_info(ef_malformed, string.format("descriptor field 0x%x is out of bounds",
                                                                      item.id))
            elseif item.id == 0x10 then
                name = text(b)
                sub:add(f.descriptor_name, b, name)
            elseif item.id == 0x11 then
                sub:add(f.descriptor_description, b, text(b))
            elseif item.id == 0x15 then
                sub:add(f.descriptor_numpy, b, text(b))
            elseif item.id == 0x13 then
                local entries = {}
                local w = 8 - aw
                if b:len() % (1 + w) ~= 0 then
                    sub:add_proto_expert_info(ef_malformed, "descriptor format is not whole entries")
                else
                    for o = 0, b:len() - 1, 1 + w do
                        entries[#entries + 1] = string.format("(%s, %s)", text(b(o, 1)), tostring(b(o + 1, w):uint64()))
                    end
                    sub:add(f.descriptor_format, b, "[" .. table.concat(entries, ", ") .. "]")
                end
            elseif item.id == 0x12 then
                local dims = {}
                if b:len() % (1 + aw) ~= 0 then
                    sub:add_proto_expert_info(ef_malformed, "descriptor shape is not whole entries")
                else
                    for o = 0, b:len() - 1, 1 + aw do
                        dims[#dims + 1] = b(o, 1):uint() ~= 0 and "?" or tostring(b(o + 1, aw):uint64())
                    end
                    sub:add(f.descriptor_shape, b, "(" .. table.concat(dims, ", ") .. ")")
                end
            end
        end
    end
    sub:set_text("Descriptor: " .. name)
end

local heap_pointers, heap_pointer_count = {}, 0

local function dissect(tvb, pinfo, tree)
    pinfo.cols.protocol = "SPEAD"
    local sub = tree:add(spead, tvb())
    local p = dissect_packet(tvb, sub, false)
    if not p then
        pinfo.cols.info = "SPEAD (malformed)"
        return tvb:len()
    end
    local info = string.format("SPEAD-64-%d heap %s, offset %s, %s bytes", p.bits, tostring(p.heap_cnt),
                               tostring(p.offset), tostring(p.length))
    if p.control then info = info .. ", " .. (control_names[p.control] or "stream control") end
    -- A heap's item pointers may come in its first packets and a descriptor's
    -- bytes in a later one: remember each heap's pointers (in capture order)
    -- so that a descriptor whole in this packet's payload is decoded.
    local key = string.format("%s:%d>%s:%d#%s", tostring(pinfo.src), pinfo.src_port, tostring(pinfo.dst),
                              pinfo.dst_port, tostring(p.heap_cnt))
    local known = heap_pointers[key]
    if not known then
        if heap_pointer_count >= 4096 then  -- bounded memory on long captures
            heap_pointers, heap_pointer_count = {}, 0
        end
        known = {}
        heap_pointers[key] = known
        heap_pointer_count = heap_pointer_count + 1
    end
    if not pinfo.visited then
        for _, item in ipairs(p.items) do
            if item.id > 4 then known[#known + 1] = {id = item.id, immediate = item.immediate, value = item.value} end
        end
    end
    local whole = {items = known, heap_size = p.heap_size, offset = p.offset, payload = p.payload}
    for k, item in ipairs(known) do
        if item.id == 5 and not item.immediate then
            local b = item_bytes(whole, k)
            if b and b:len() > 0 then describe(b, sub) end
        end
    end
    pinfo.cols.info = info
    return tvb:len()
end

function spead.dissector(tvb, pinfo, tree)
    return dissect(tvb, pinfo, tree)
end

local udp_port = DissectorTable.get("udp.port")
local registered = ""

local function register_ports()
    if registered ~= "" then udp_port:remove(registered, spead) end
    registered = tostring(spead.prefs.ports)
    if registered ~= "" then udp_port:add(registered, spead) end
end

function spead.prefs_changed()
    register_ports()
end

register_ports()
spead:register_heuristic("udp", function(tvb, pinfo, tree)
    if not looks_like_spead(tvb) then return false end
    dissect(tvb, pinfo, tree)
    return true
end)
