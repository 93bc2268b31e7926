#!/bin/bash -eu
# SPDX-License-Identifier: BSD-2-Clause
#
# .clusterfuzzlite/build.sh — kcore's fuzz targets for OSS-Fuzz and
# ClusterFuzzLite (docs/FUZZING.md, "OSS-Fuzz / ClusterFuzzLite").
#
# Run with the environment those engines set:
#   CC                  clang (clang-19 here)
#   CFLAGS              sanitizer + coverage flags, e.g.
#                       -fsanitize=address -fsanitize=fuzzer-no-link
#   LIB_FUZZING_ENGINE  what a fuzz target links: -fsanitize=fuzzer, or an
#                       engine's archive (AFL++, honggfuzz, centipede)
#   OUT                 where the targets go
#   SRC, WORK           the checkout's parent and a scratch directory
#                       (optional here: defaults are this tree and $OUT/../work)
# Every harness fuzz/fuzz_*.c that fuzz/meson.build lists is compiled with
# $CC $CFLAGS and linked with $LIB_FUZZING_ENGINE into $OUT/fuzz_TARGET, with
# $OUT/fuzz_TARGET_seed_corpus.zip (fuzz/corpus/TARGET), fuzz_TARGET.dict
# (fuzz/TARGET.dict) and fuzz_TARGET.options next to it.  New targets join
# by being added to fuzz/meson.build's list: nothing here names one.
#
# Nothing is fetched: BearSSL and libfdt must already be unpacked in
# subprojects/*/upstream (ci/setup / ci/fetch-sources on Debian, the
# Dockerfile next to this script in an engine's image).  The build needs
# meson, ninja and python3.
top=$(cd "$(dirname "$0")/.." && pwd)
: "${CC:?set CC (clang)}" "${OUT:?set OUT}" "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE}"
CFLAGS=${CFLAGS:-}
WORK=${WORK:-$OUT/../work}
mkdir -p "$OUT" "$WORK"
build=$WORK/kcore-build

for s in bearssl libfdt; do
  [ -d "$top/subprojects/$s/upstream" ] || {
    echo "build.sh: subprojects/$s/upstream is missing: run ci/fetch-sources first" >&2
    exit 1
  }
done

# With libFuzzer-style coverage in CFLAGS, keep the feedback to core/ and run
# the read-only oracle without ASan, as ci/fuzz does (fuzz/*-ignore.txt say
# why).  Other instrumentation (AFL++'s, source coverage) gets CFLAGS as is.
extra=""
case " $CFLAGS " in
  *fuzzer-no-link*|*-fsanitize-coverage=*)
    extra="-fsanitize-coverage-ignorelist=$top/fuzz/coverage-ignore.txt -fsanitize-ignorelist=$top/fuzz/sanitize-ignore.txt" ;;
esac

# Meson takes CFLAGS for every compile and LDFLAGS for every link; the
# engines expect CFLAGS on the link line too (sanitizer runtimes).  The
# engine's clang may be newer than CI's and warn where clang-19 does not:
# warnings are CI's business (./ci/test), not the fuzzing build's.
rm -rf "$build"
CC=$CC CFLAGS="$CFLAGS $extra" LDFLAGS="$CFLAGS ${LDFLAGS:-}" \
  meson setup "$build" "$top" -Dfuzzing=true "-Dfuzz_engine=$LIB_FUZZING_ENGINE" \
  -Dwerror=false -Db_lundef=false -Dbuildtype=plain -Dtests=disabled >"$WORK/meson-setup.log" 2>&1 ||
  { cat "$WORK/meson-setup.log"; exit 1; }

# The targets: every executable fuzz_* fuzz/meson.build defines.
mapfile -t targets < <(meson introspect --targets "$build" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"].startswith("fuzz_"):
        print(t["name"])')
[ ${#targets[@]} -gt 0 ] || { echo "build.sh: no fuzz_* targets in fuzz/meson.build" >&2; exit 1; }
ninja -C "$build" "${targets[@]/#/fuzz/}" >"$WORK/ninja.log" 2>&1 ||
  { cat "$WORK/ninja.log"; exit 1; }

zip_dir() { # zip_dir DIR ZIP: the files of DIR, flat, without zip(1)
  python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if os.path.isfile(path):
            z.write(path, name)
PY
}

for f in "${targets[@]}"; do
  t=${f#fuzz_}
  cp "$build/fuzz/$f" "$OUT/$f"
  [ -d "$top/fuzz/corpus/$t" ] && zip_dir "$top/fuzz/corpus/$t" "$OUT/${f}_seed_corpus.zip"
  [ -f "$top/fuzz/$t.dict" ] && cp "$top/fuzz/$t.dict" "$OUT/$f.dict"
  # The harnesses' inputs are short programs: 4 KiB is ample (ci/fuzz too).
  printf '[libfuzzer]\nmax_len = 4096\ntimeout = 10\n' >"$OUT/$f.options"
  echo "build.sh: $OUT/$f"
done
