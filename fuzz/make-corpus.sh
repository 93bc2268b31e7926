#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# fuzz/make-corpus.sh [BUILD_DIR] — regenerate the committed seed corpus:
#   corpus/hcall/trace-*     every committed trace, encoded by hcall-encode
#                            (replaying one replays exactly that trace)
#   corpus/manifest/seed-*   manifest bodies the target re-signs (first byte odd):
#                            good ones with 1..8 images, v1 and v2 (RAM ranges,
#                            device windows), and one of each refusal
#   corpus/pgt/seed-*        fuzz_pgt operation streams (fuzz/fuzz_pgt.c's decoder):
#                            maps at each level, ranges, ENOMEM, EEXIST over a
#                            left-over table, unmap/unmap_range/take_next, EL2 S1
#   corpus/layout/seed-*     fuzz_layout boot layouts and configs: good ones of
#                            each shape (RAM regions, devices, SMMUs, pools) with
#                            host actions, and one of each refusal
# Files named unit-* were kept from fuzzing runs (minimised with -merge=1)
# and are left alone.  BUILD_DIR defaults to build/d-gcc (any hosted build).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/d-gcc}
ninja -C "$build" fuzz/hcall-encode >/dev/null
rm -f fuzz/corpus/hcall/trace-* fuzz/corpus/manifest/seed-* fuzz/corpus/pgt/seed-* fuzz/corpus/layout/seed-*
mkdir -p fuzz/corpus/hcall fuzz/corpus/manifest fuzz/corpus/pgt fuzz/corpus/layout
for t in fuzz/traces/*.trace; do
  # A trace with an operation the fuzzer has no encoding for (host clean) is no seed.
  "$build/fuzz/hcall-encode" "$t" "fuzz/corpus/hcall/trace-$(basename "$t" .trace)" ||
    { rm -f "fuzz/corpus/hcall/trace-$(basename "$t" .trace)"; echo "make-corpus: $t skipped"; }
done
python3 - <<'PY'
import struct
def body(images, entry, magic=b"KCOREMF1", version=1, n=None, ram=None, win=None, counts=None):
    b = magic + struct.pack("<II", version, len(images) if n is None else n) + struct.pack("<Q", entry)
    for base, size in images:
        b += struct.pack("<QQ", base, size) + bytes(range(32))
    if ram is not None:  # format v2: the layout block (RAM ranges, then windows)
        ram, win = ram, win or []
        b += struct.pack("<II", *(counts or (len(ram), len(win))))
        for base, size, *flags in ram + win:
            b += struct.pack("<QQQ", base, size, flags[0] if flags else 0)
    return b
def v2(images, entry, ram, win=None, **kw):
    return body(images, entry, version=2, ram=ram, win=win, **kw)
ONE = [(0x80000000, 0x4000)]
RAM = [(0x80000000, 0x10000000)]
seeds = {
    "one": body([(0x80000000, 0x4000)], 0x80000000),
    "two": body([(0x80000000, 0x1000), (0x90000000, 0x2000)], 0x90001000),
    "eight": body([(0x80000000 + i * 0x10000, 0x1000) for i in range(8)], 0x80070000),
    "overlap": body([(0x80000000, 0x2000), (0x80001000, 0x1000)], 0x80000000),
    "entry-outside": body([(0x80000000, 0x1000)], 0x90000000),
    "entry-misaligned": body([(0x80000000, 0x1000)], 0x80000002),
    "size-misaligned": body([(0x80000000, 0x1800)], 0x80000000),
    "top": body([(0xFFFFFFFFF000, 0x1000)], 0xFFFFFFFFF000),
    "wrap": body([(0xFFFFFFFFFFFFF000, 0x2000)], 0xFFFFFFFFFFFFF000),
    "bad-magic": body([(0x80000000, 0x1000)], 0x80000000, magic=b"KCOREMF2"),
    "bad-version": body([(0x80000000, 0x1000)], 0x80000000, version=2),
    "zero-images": body([], 0),
    "nine-images": body([(0x80000000 + i * 0x10000, 0x1000) for i in range(8)], 0x80000000, n=9),
    "v2-one": v2(ONE, 0x80000000, RAM, [(0xA0000000, 0x10000)]),
    "v2-shared": v2(ONE, 0x80000000, RAM, [(0xA0000000, 0x10000, 1), (0x09000000, 0x1000)]),
    "v2-no-window": v2(ONE, 0x80000000, RAM),
    "v2-max": v2([(0x80000000 + i * 0x10000, 0x1000) for i in range(8)], 0x80070000,
                 [(0x80000000, 0x1000000), (0x100000000, 0x40000000), (0x7F000000, 0x1000000),
                  (0xFFFFFFFFF000, 0x1000)],
                 [(0x09000000 + i * 0x10000, 0x10000, i % 2) for i in range(8)]),
    "v2-no-ram": v2(ONE, 0x80000000, [], [(0xA0000000, 0x10000)]),
    "v2-five-ram": v2(ONE, 0x80000000, RAM + [(0x100000000 * (i + 1), 0x1000) for i in range(4)]),
    "v2-nine-windows": v2(ONE, 0x80000000, RAM, [(0xA0000000 + i * 0x1000, 0x1000) for i in range(9)]),
    "v2-huge-counts": v2(ONE, 0x80000000, RAM, counts=(0xFFFFFFFF, 0x80000000)),
    "v2-image-outside-ram": v2(ONE, 0x80000000, [(0x80001000, 0x10000000)]),
    "v2-window-over-ram": v2(ONE, 0x80000000, RAM, [(0x8FFFF000, 0x2000)]),
    "v2-windows-overlap": v2(ONE, 0x80000000, RAM, [(0xA0000000, 0x2000), (0xA0001000, 0x1000)]),
    "v2-rams-overlap": v2(ONE, 0x80000000, RAM + [(0x8FFFF000, 0x2000)]),
    "v2-reserved-flag": v2(ONE, 0x80000000, RAM, [(0xA0000000, 0x1000, 2)]),
    "v2-ram-flag": v2(ONE, 0x80000000, [(0x80000000, 0x10000000, 1)]),
    "v2-range-wrap": v2(ONE, 0x80000000, RAM, [(0xFFFFFFFFFFFFF000, 0x2000)]),
    "v2-range-beyond": v2(ONE, 0x80000000, RAM, [(0xFFFFFFFFF000, 0x2000)]),
    "v2-range-misaligned": v2(ONE, 0x80000000, RAM, [(0xA0000800, 0x1000)]),
    "v2-short": v2(ONE, 0x80000000, RAM)[:24 + 48 + 4],
}
for name, b in seeds.items():
    open(f"fuzz/corpus/manifest/seed-{name}", "wb").write(b"\x01" + b)  # odd: re-signed
    open(f"fuzz/corpus/manifest/seed-{name}-unsigned", "wb").write(b + bytes(64))
PY
python3 - <<'PY'
# fuzz_pgt's input: [pool pages - 2, format (3 = EL2 S1, else S2)] then ops
# (op byte % 10 picks: 0 map, 2 map_range, 3 unmap, 5 unmap_range, 6 map_check +
# map_prepare + map_prepared, 7 take_next, 8 access).  See fp_addr, fp_pa in fuzz_pgt.c.
import struct
def va4k(g, m, p2, odd=0): return bytes([0, (g << 6) | (m << 3) | odd, p2])  # g GiB + m*2M + p2*8K
def va2m(g, m): return bytes([2, (g << 5) | m])
def va1g(g): return bytes([3, g])
def leaf(i, which): return bytes([4, i, which])        # which: 0 base, 1 end, 2 middle, 3 last page
def top(n): return bytes([5, n])                        # 2^48 - n*2M
def raw(v): return bytes([6, 0]) + struct.pack("<Q", v)
def pa4k(m, p): return bytes([0, m, p])
def pa2m(m): return bytes([4, m])
def pa1g(k): return bytes([5, k - 1])
R, RW, RX, RDEV, RWDEV, RWX = (bytes([i]) for i in range(6))
def lv(l): return bytes([l - 1])
def mapop(va, pa, l, prot, unaligned=False): return bytes([130 if unaligned else 0]) + va + pa + lv(l) + prot
def rng(va, pa, kind, count, prot, extra=0, align=False):
    return bytes([2]) + va + pa + bytes([kind | (4 | extra << 3 if extra else 0) | (0x40 if align else 0), count]) + prot
def unmap(va): return bytes([3]) + va
def unmap_range(va, b): return bytes([5]) + va + bytes([b])
def prep(va, pa, l, prot): return bytes([6]) + va + pa + lv(l) + prot
def take(va, n): return bytes([7]) + va + bytes([n - 1])
def access(va, cpu=0, write=False, exe=False): return bytes([8, cpu | (2 if write else 0) | (0x80 if exe else 0)]) + va
seeds = {
    "levels": bytes([62, 0]) + mapop(va4k(0, 0, 1), pa4k(1, 3), 3, RW) + mapop(va2m(0, 5), pa2m(2), 2, RX)
        + mapop(va1g(1), pa1g(1), 1, R) + access(va4k(0, 0, 1), 0) + access(va4k(0, 0, 1), 1, write=True)
        + access(va2m(0, 5), 1, exe=True) + unmap(va4k(0, 0, 1)) + unmap(va2m(0, 5)) + unmap(va1g(1)),
    "eexist-table": bytes([62, 0]) + mapop(va4k(0, 1, 0), pa4k(0, 0), 3, RW) + unmap(va4k(0, 1, 0))
        + mapop(va2m(0, 1), pa2m(0), 2, RW) + mapop(va1g(0), pa1g(1), 1, RW) + mapop(va4k(0, 1, 0), pa4k(0, 0), 3, R),
    "enomem": bytes([0, 0]) + mapop(va4k(0, 0, 0), pa4k(0, 0), 3, RW) + mapop(va2m(0, 1), pa2m(1), 2, RW)
        + mapop(va1g(2), pa1g(1), 1, RW) + rng(va4k(1, 0, 0), pa4k(0, 0), 1, 1, RW),
    "range-all-or-nothing": bytes([3, 0]) + rng(va4k(0, 0, 255, 1), pa4k(0, 1), 1, 3, RW)
        + mapop(va4k(0, 3, 4), pa4k(0, 4), 3, R) + rng(va2m(0, 2), pa2m(0), 1, 3, RW, align=True)
        + rng(va2m(0, 2), pa2m(0), 1, 0, RW, align=True) + unmap_range(va2m(0, 2), 1) + take(raw(0), 4),
    "range-1g": bytes([20, 0]) + rng(va1g(1), pa1g(1), 2, 0, RW) + rng(va2m(2, 0), pa2m(0), 1, 2, RWDEV, extra=3)
        + unmap_range(va1g(1), 2) + unmap_range(va2m(2, 0), 3 | (7 << 2)),
    "prepare": bytes([5, 0]) + prep(va4k(0, 0, 0), pa4k(0, 0), 3, RW) + prep(va4k(0, 0, 1), pa4k(0, 1), 3, RW)
        + prep(va4k(0, 0, 1), pa4k(0, 1), 3, RW) + prep(va2m(3, 7), pa2m(1), 2, RDEV) + prep(va1g(5), pa1g(2), 1, RX)
        + take(leaf(0, 2), 3),
    "invalid": bytes([10, 0]) + mapop(va4k(0, 0, 0, 1), pa4k(0, 0), 2, RW, unaligned=True)
        + mapop(va4k(0, 0, 0), pa4k(0, 0), 3, bytes([0x80 | 0x2])) + mapop(va4k(0, 0, 0), pa4k(0, 0), 3, bytes([0x80 | 0xC]))
        + mapop(top(0), pa4k(0, 0), 3, R) + mapop(raw(1 << 63), pa4k(0, 0), 3, R) + unmap(top(0))
        + rng(raw(0), pa4k(0, 0), 3, 1, R) + rng(top(1), pa4k(0, 0), 1, 3, R) + take(top(0), 1),
    "top": bytes([30, 0]) + mapop(top(1), pa4k(0, 0), 3, RW) + mapop(top(1), pa2m(0), 2, RW, unaligned=True)
        + access(top(1)) + take(va1g(0), 2),
    "el2-s1": bytes([30, 3]) + mapop(va4k(0, 0, 1), pa4k(1, 3), 3, RW) + mapop(va2m(0, 5), pa2m(2), 2, RX)
        + mapop(va4k(0, 0, 2), pa4k(0, 0), 3, RWX) + mapop(va1g(1), pa1g(1), 1, RWDEV) + access(va4k(0, 0, 1), 1, write=True)
        + access(va2m(0, 5), 0, exe=True) + unmap(va4k(0, 0, 1)) + rng(va2m(1, 0), pa2m(0), 1, 1, R)
        + unmap_range(va2m(1, 0), 1) + take(raw(0), 4),
}
for name, b in seeds.items():
    open(f"fuzz/corpus/pgt/seed-{name}", "wb").write(b)
PY
python3 - <<'PY'
# fuzz_layout's input (fuzz/fuzz_layout.c, fl_decode): counts (nram | ndevices << 4),
# RAM regions, devices, host-shared bits, SMMUs, image, text, the config's picks,
# keys, the pool ("auto" below 0x40), then host actions.  One good layout of each
# shape and one of each refusal, each a change of a good one.
import struct
def lit(base, size): return bytes([0xFF]) + struct.pack("<QQ", base, size)
def ram(off, n, unit=2, half=False, zero=False):  # unit 0 4K, 1 64K, 2 2M, 3 1M
    return bytes([unit | (4 if half else 0) | (8 if zero else 0), off, n - 1 if n else 0])
def pool(r): return bytes([r[0] | 0x40]) + r[1:]  # not "auto"
def val(v): return bytes([0xFF]) + struct.pack("<Q", v)
RAM64 = ram(0, 32)
IMAGE, TEXT = ram(0, 16, 0), ram(0, 4, 0)
UART, SPOT2, SMMU0, SMMU1, OVER_RAM_END, IN_WINDOW, LAST_PAGE, BLOCK = (bytes([i]) for i in range(8))
def smmu(dev, streams=0, ia=0): return bytes([dev, streams, ia])
def cfg(ncpus=0, vms=0, vmpool=0, remap=0, iodoms=0, iopool=0, keys=0):
    return b"".join(x if isinstance(x, bytes) else bytes([x]) for x in (ncpus, vms, vmpool, remap, iodoms, iopool, keys))
def layout(rams=(RAM64,), devs=(), shared=0, smmus=(), image=IMAGE, text=TEXT, config=None, pool=b"\x00", acts=b"", nram=None, ndev=None):
    b = bytes([(len(rams) if nram is None else nram) | (len(devs) if ndev is None else ndev) << 4])
    b += b"".join(rams) + b"".join(devs)
    b += shared if isinstance(shared, bytes) else bytes([shared])
    b += bytes([len(smmus)]) + b"".join(smmus) + image + text + (config or cfg()) + pool + acts
    return b
def addr(kind, i=0, last=False): return bytes([kind | i << 3 | (0x80 if last else 0)])
def aval(pa): return bytes([5]) + struct.pack("<Q", pa)
def call(i, a=0, pa=b""): return bytes([i, a]) + pa
def load(a): return bytes([0x80]) + a
def store(a): return bytes([0xC0]) + a
ACTS = (call(0) + call(1) + call(1) + call(2, 1) + call(11) + load(addr(0)) + store(aval(0x40400000))
        + load(addr(2)))
IO = (call(3) + call(4, 1 | 1 << 3) + call(5, 1 | 0x80, aval(0x40400000)) + call(10, 1) + call(9)
      + call(6, 1) + call(8, 1 | 1 << 3) + call(7, 1))
DEVS = (UART, SMMU0, SMMU1)
SMMUS = (smmu(1), smmu(2, 2, 1))
good = layout(acts=ACTS)
seeds = {
    "good": good,
    "good-smmus": layout(devs=DEVS, shared=1, smmus=SMMUS, config=cfg(iodoms=2), acts=IO + load(addr(1))),
    "good-three-ram": layout(rams=(ram(0, 16, 3), ram(20, 12, 3), ram(40, 24, 3)), acts=ACTS + load(addr(0, 1, True))),
    "good-eight-ram": layout(rams=tuple(ram(i * 8, 7, 3) for i in range(8)), acts=ACTS),
    "good-unbacked-ram": layout(rams=(lit(0x100000000, 0x100000000), RAM64), acts=ACTS + load(addr(0))),
    "good-text-mid": layout(image=ram(3, 8, 0), text=ram(5, 2, 0), acts=ACTS),
    "good-text-2m": layout(image=ram(0, 2), text=ram(1, 1), acts=ACTS),
    "good-devices-8": layout(devs=(UART, SPOT2, SMMU0, SMMU1, BLOCK, bytes([0x91]), bytes([0xA1]), bytes([0xB1])), shared=0x83, smmus=(smmu(2), smmu(3)), config=cfg(iodoms=3), acts=IO + load(addr(1, 1)) + store(addr(1, 0))),
    "good-max-vms": layout(config=cfg(vms=3, vmpool=1), acts=ACTS),
    "good-keys": layout(config=cfg(keys=4, remap=3, ncpus=3), acts=ACTS),
    "good-pool-page-more": layout(pool=b"\x01", acts=ACTS),
    "good-pool-literal": layout(pool=pool(ram(28, 4)), acts=ACTS),
    "pool-literal-small": layout(pool=pool(ram(24, 1, 0))),
    "good-no-remap": layout(config=cfg(remap=1), acts=ACTS),
    # refusals: the layout
    "no-ram": layout(nram=0),
    "nine-ram": layout(rams=tuple(ram(i * 3, 2, 3) for i in range(9))),
    "ram-misaligned": layout(rams=(ram(0, 32, half=True),)),
    "ram-empty": layout(rams=(ram(0, 0, zero=True), RAM64)),
    "ram-overlap": layout(rams=(ram(0, 16), ram(15, 16))),
    "ram-wraps": layout(rams=(lit(0xFFFFFFFFFFFFF000, 0x2000), RAM64)),
    "ram-beyond-48": layout(rams=(lit(0xFFFFFFFFF000, 0x2000), RAM64)),
    "ram-in-window": layout(rams=(lit(0xC00000000000, 0x1000), RAM64)),
    "ram-above-window": layout(rams=(lit(0xF00000000000, 0x1000), RAM64)),
    "nine-devices": layout(ndev=9, devs=tuple(bytes([0x80 | i << 4]) for i in range(8)) + (SPOT2,)),
    "device-over-ram": layout(devs=(OVER_RAM_END,)),
    "device-misaligned": layout(devs=(lit(0x09000800, 0x1000),)),
    "devices-overlap": layout(devs=(UART, UART)),
    "device-in-window": layout(devs=(IN_WINDOW,)),
    "device-last-page": layout(devs=(LAST_PAGE,), acts=ACTS),  # above the window: refused
    "shared-beyond": layout(devs=(UART,), shared=2),
    "shared-literal": layout(devs=(UART,), shared=val(1 << 31)),
    "smmu-three": layout(devs=DEVS, smmus=SMMUS + (smmu(0),)),
    "smmu-device-beyond": layout(devs=DEVS, smmus=(smmu(5),)),
    "smmu-shared": layout(devs=DEVS, shared=2, smmus=(smmu(1),)),
    "smmu-no-streams": layout(devs=DEVS, smmus=(smmu(1, 3),)),
    "smmu-257-streams": layout(devs=DEVS, smmus=(smmu(1, 4),)),
    "smmu-ia-31": layout(devs=DEVS, smmus=(smmu(1, 0, 3),)),
    "smmu-ia-49": layout(devs=DEVS, smmus=(smmu(1, 0, 4),)),
    "smmu-same-device": layout(devs=DEVS, smmus=(smmu(1), smmu(1))),
    "text-outside-image": layout(text=ram(16, 1, 0)),
    "text-misaligned": layout(text=ram(0, 4, 0, half=True)),
    "image-outside-ram": layout(image=lit(0x80000000, 0x10000)),
    "image-across-ram": layout(rams=(ram(0, 16), ram(16, 16)), image=ram(7, 2)),
    "pool-over-text": layout(pool=b"\x03"),
    "pool-outside-ram": layout(rams=(ram(0, 16),), pool=pool(ram(20, 2))),
    "pool-misaligned": layout(pool=pool(ram(28, 4, half=True))),
    "pool-wraps": layout(pool=pool(lit(0x43000000, 0xFFFFFFFFFFFFF000))),
    "pool-empty": layout(pool=pool(ram(24, 0, zero=True))),
    # refusals: the config, and a pool too small
    "pool-page-short": layout(pool=b"\x02"),
    "ncpus-0": layout(config=cfg(ncpus=4)),
    "ncpus-65": layout(config=cfg(ncpus=5)),
    "vms-0": layout(config=cfg(vms=4)),
    "vms-256": layout(config=cfg(vms=5)),
    "vm-pool-3": layout(config=cfg(vmpool=2)),
    "vm-pool-huge": layout(config=cfg(vmpool=5), pool=pool(ram(16, 16))),
    "vm-pool-max": layout(config=cfg(vmpool=4), pool=pool(ram(16, 16))),
    "remap-beyond": layout(config=cfg(remap=5), pool=pool(ram(16, 16))),
    "remap-max": layout(config=cfg(remap=4), pool=pool(ram(16, 16))),
    "iodoms-65": layout(config=cfg(iodoms=4)),
    "iodom-pool-3": layout(config=cfg(iodoms=1, iopool=2)),
    "iodom-pool-huge": layout(config=cfg(iodoms=1, iopool=4), pool=pool(ram(16, 16))),
    "keys-5": layout(config=cfg(keys=5)),
    "key-compressed": layout(config=cfg(keys=0x81)),
    "empty": b"",
}
for name, b in seeds.items():
    open(f"fuzz/corpus/layout/seed-{name}", "wb").write(b)
PY
echo "make-corpus: $(ls fuzz/corpus/hcall | wc -l) hcall, $(ls fuzz/corpus/manifest | wc -l) manifest, $(ls fuzz/corpus/pgt | wc -l) pgt, $(ls fuzz/corpus/layout | wc -l) layout seeds"
