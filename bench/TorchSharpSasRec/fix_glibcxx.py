#!/usr/bin/env python3
"""Mark the GLIBCXX_3.4.32 version requirement of libLibTorchSharp.so as WEAK (VER_FLG_WEAK=2).
TorchSharp 0.107.0's libLibTorchSharp.so was built with GCC>=13 and references only
std::ios_base_library_init()@GLIBCXX_3.4.32 (an .globl reference without relocation, never called).
Debian 12 ships libstdc++ 3.4.30, so dlopen fails. A weak version need makes ld.so accept it."""
import struct, sys
path = sys.argv[1]
b = bytearray(open(path, 'rb').read())
assert b[:4] == b'\x7fELF' and b[4] == 2 and b[5] == 1, 'need ELF64 LE'
shoff, = struct.unpack_from('<Q', b, 0x28)
shentsize, shnum = struct.unpack_from('<HH', b, 0x3A)
secs = [struct.unpack_from('<IIQQQQIIQQ', b, shoff + i * shentsize) for i in range(shnum)]
changed = 0
for (name, typ, flags, addr, off, size, link, info, align, entsize) in secs:
    if typ != 0x6ffffffe:  # SHT_GNU_verneed
        continue
    stroff = secs[link][4]
    def s(o):
        e = b.index(0, stroff + o); return b[stroff + o:e].decode()
    p = off
    for _ in range(info):
        vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from('<HHIII', b, p)
        a = p + vn_aux
        for _ in range(vn_cnt):
            h, fl, other, nm, nxt = struct.unpack_from('<IHHII', b, a)
            if s(nm) in ('GLIBCXX_3.4.31', 'GLIBCXX_3.4.32', 'GLIBCXX_3.4.33') and not fl & 2:
                struct.pack_into('<H', b, a + 4, fl | 2); changed += 1
                print(f'{path}: {s(vn_file)} {s(nm)} -> weak')
            a += nxt
        p += vn_next
if changed:
    open(path, 'wb').write(b)
else:
    print(f'{path}: nothing to patch')
