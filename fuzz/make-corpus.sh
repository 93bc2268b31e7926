#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# fuzz/make-corpus.sh [BUILD_DIR] — regenerate the committed seed corpus:
#   corpus/hcall/trace-*     every committed trace, encoded by hcall-encode
#                            (replaying one replays exactly that trace)
#   corpus/manifest/seed-*   manifest bodies the target re-signs (first byte odd):
#                            good ones with 1..8 images, and one of each refusal
# Files named unit-* were kept from fuzzing runs (minimised with -merge=1)
# and are left alone.  BUILD_DIR defaults to build/d-gcc (any hosted build).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/d-gcc}
ninja -C "$build" fuzz/hcall-encode >/dev/null
rm -f fuzz/corpus/hcall/trace-* fuzz/corpus/manifest/seed-*
mkdir -p fuzz/corpus/hcall fuzz/corpus/manifest
for t in fuzz/traces/*.trace; do
  "$build/fuzz/hcall-encode" "$t" "fuzz/corpus/hcall/trace-$(basename "$t" .trace)"
done
python3 - <<'PY'
import struct
def body(images, entry, magic=b"KCOREMF1", version=1, n=None):
    b = magic + struct.pack("<II", version, len(images) if n is None else n) + struct.pack("<Q", entry)
    for base, size in images:
        b += struct.pack("<QQ", base, size) + bytes(range(32))
    return b
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
}
for name, b in seeds.items():
    open(f"fuzz/corpus/manifest/seed-{name}", "wb").write(b"\x01" + b)  # odd: re-signed
    open(f"fuzz/corpus/manifest/seed-{name}-unsigned", "wb").write(b + bytes(64))
PY
echo "make-corpus: $(ls fuzz/corpus/hcall | wc -l) hcall, $(ls fuzz/corpus/manifest | wc -l) manifest seeds"
