#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""kcore-sign end to end, as a user runs it: keygen, sign two images,
verify, tamper, wrong key, bad arguments, determinism.  The manifest bytes
are also checked against an independent Python reading of the format
(docs/MANIFEST.md), including the zero padding of each image to whole
pages.  Output is TAP.

usage: test_kcore_sign.py PATH_TO_KCORE_SIGN"""
import hashlib
import os
import stat
import struct
import subprocess
import sys
import tempfile

SIGN = sys.argv[1]
results = []


def check(name, ok, detail=''):
    results.append((name, bool(ok), detail))


def run(*args):
    p = subprocess.run([SIGN, *args], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def expect(name, args, code, *needles):
    rc, out = run(*args)
    missing = [n for n in needles if n not in out]
    check(name, rc == code and not missing,
          f'exit {rc} (want {code}), missing {missing!r}, output:\n{out}')
    return out


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def padded_sha256(data):
    pad = (-len(data)) % 4096
    return hashlib.sha256(data + bytes(pad)).digest(), len(data) + pad


def fields(blob):
    magic, version, n, entry = struct.unpack_from('<8sIIQ', blob, 0)
    images = [struct.unpack_from('<QQ32s', blob, 24 + 48 * i) for i in range(n)]
    return magic, version, n, entry, images


def layout(blob):
    """The v2 layout block: (RAM ranges, windows), each (base, size, flags)."""
    n = struct.unpack_from('<I', blob, 12)[0]
    at = 24 + 48 * n
    nram, nwin = struct.unpack_from('<II', blob, at)
    ranges = [struct.unpack_from('<QQQ', blob, at + 8 + 24 * j) for j in range(nram + nwin)]
    return ranges[:nram], ranges[nram:]


def main():
    with tempfile.TemporaryDirectory(prefix='kcore-sign-') as d:
        p = lambda name: os.path.join(d, name)  # noqa: E731

        # --- keys -----------------------------------------------------------
        expect('keygen a', ['keygen', p('a.key'), p('a.pub')], 0)
        expect('keygen b', ['keygen', p('b.key'), p('b.pub')], 0)
        priv, pub = read(p('a.key')), read(p('a.pub'))
        check('private key file is 64 hex digits + newline',
              len(priv) == 65 and priv.endswith(b'\n') and
              all(c in b'0123456789abcdef' for c in priv[:64]), repr(priv))
        check('public key file is 130 hex digits + newline, uncompressed point',
              len(pub) == 131 and pub.startswith(b'04') and pub.endswith(b'\n'), repr(pub))
        check('private key file mode is 0600',
              stat.S_IMODE(os.stat(p('a.key')).st_mode) == 0o600,
              oct(os.stat(p('a.key')).st_mode))
        check('two keygens give different keys', read(p('b.key')) != priv)
        expect('keygen refuses to overwrite', ['keygen', p('a.key'), p('c.pub')], 1,
               'already exists', '--force')
        check('refused keygen left the key alone', read(p('a.key')) == priv)
        check('refused keygen created nothing', not os.path.exists(p('c.pub')))
        os.chmod(p('b.key'), 0o644)
        expect('keygen --force overwrites', ['keygen', '--force', p('b.key'), p('b.pub')], 0)
        check('--force resets the private key mode to 0600',
              stat.S_IMODE(os.stat(p('b.key')).st_mode) == 0o600)
        rc, out = run('pub', p('a.key'))
        check('pub prints the public key of the private key',
              rc == 0 and out.encode() == pub, out)

        # --- sign and verify --------------------------------------------------
        img1 = bytes((i * 7 + 3) & 0xFF for i in range(5000))  # 2 pages once padded
        img2 = b'tiny image\n'
        write(p('img1'), img1)
        write(p('img2'), img2)
        sign_args = ['sign', '--key', p('a.key'), '--entry', '0x40080040',
                     '--image', '0x40080000:' + p('img1'),
                     '--image', str(0x40200000) + ':' + p('img2')]
        expect('sign two images', sign_args + ['-o', p('m1')], 0, 'verified')
        m1 = read(p('m1'))
        check('manifest is exactly 24 + 48n + 64 bytes', len(m1) == 24 + 2 * 48 + 64, len(m1))
        magic, version, n, entry, images = fields(m1)
        h1, s1 = padded_sha256(img1)
        h2, s2 = padded_sha256(img2)
        check('header fields', (magic, version, n, entry) == (b'KCOREMF1', 1, 2, 0x40080040),
              repr((magic, version, n, entry)))
        check('image 0: base, size rounded to pages, hash of zero-padded bytes',
              images[0] == (0x40080000, 0x2000, h1) and s1 == 0x2000, repr(images[0]))
        check('image 1: base, size rounded to pages, hash of zero-padded bytes',
              images[1] == (0x40200000, 0x1000, h2) and s2 == 0x1000, repr(images[1]))

        expect('sign again', sign_args + ['-o', p('m2')], 0)
        check('signing is deterministic (identical files)', read(p('m2')) == m1)

        expect('verify with the signing key', ['verify', '--pub', p('a.pub'), p('m1')], 0,
               'ok', 'key 0', '2 images', h1.hex(), h2.hex())
        expect('verify: second trusted key signed it',
               ['verify', '--pub', p('b.pub'), '--pub', p('a.pub'), p('m1')], 0, 'key 1')
        expect('verify with another key', ['verify', '--pub', p('b.pub'), p('m1')], 1, 'EAUTH')
        expect('show prints the fields', ['show', p('m1')], 0, 'KCOREMF1', 'nimages  2',
               '0x0000000040080040', h1.hex(), h2.hex())

        # A changed image is a different hash, and only that one changes.
        write(p('img1'), img1[:100] + bytes([img1[100] ^ 1]) + img1[101:])
        expect('re-sign after changing an image', sign_args + ['-o', p('m3')], 0)
        m3 = read(p('m3'))
        _, _, _, _, images3 = fields(m3)
        check('changed image: different hash', images3[0][2] != h1)
        check('unchanged image: same hash', images3[1] == images[1])
        check('changed image: different manifest', m3 != m1)
        write(p('img1'), img1)

        # A manifest in a zero-padded page (as kcore sees it) still verifies.
        write(p('page'), m1 + bytes(4096 - len(m1)))
        expect('verify a zero-padded page', ['verify', '--pub', p('a.pub'), p('page')], 0, 'ok')

        # --- tampering --------------------------------------------------------
        for off, what in ((40, 'image 0 hash'), (len(m1) - 1, 'signature')):
            t = bytearray(m1)
            t[off] ^= 0x01
            write(p('t'), bytes(t))
            expect('tampered ' + what + ' -> EAUTH', ['verify', '--pub', p('a.pub'), p('t')], 1,
                   'EAUTH')
        t = bytearray(m1)
        struct.pack_into('<Q', t, 24 + 48 + 8, 0x1800)  # image 1 size: misaligned
        write(p('t'), bytes(t))
        expect('tampered size -> EINVAL', ['verify', '--pub', p('a.pub'), p('t')], 1,
               'EINVAL', 'image 1 size not page aligned')
        write(p('t'), m1 + b'\x01')
        expect('trailing byte -> EINVAL', ['verify', '--pub', p('a.pub'), p('t')], 1,
               'EINVAL', 'after the signature')
        write(p('t'), m1[:-1])
        expect('truncated -> EINVAL', ['verify', '--pub', p('a.pub'), p('t')], 1, 'EINVAL')
        write(p('t'), m1 + bytes(4097 - len(m1)))
        expect('larger than a page', ['verify', '--pub', p('a.pub'), p('t')], 1, '4096')
        write(p('t'), b'KCORE')
        expect('show: too short', ['show', p('t')], 1, 'shorter')

        # --- failures (exit 1) ------------------------------------------------
        out_path = p('never')
        base = ['sign', '--key', p('a.key'), '--entry', '0x40080000', '-o', out_path]
        expect('missing key file', ['sign', '--key', p('nokey'), '--entry', '0x40080000',
                                    '--image', '0x40080000:' + p('img1'), '-o', out_path],
               1, 'nokey')
        write(p('bad.key'), b'xyz' + b'0' * 61 + b'\n')
        expect('bad hex in key file', ['sign', '--key', p('bad.key'), '--entry', '0x40080000',
                                       '--image', '0x40080000:' + p('img1'), '-o', out_path],
               1, 'bad hex')
        write(p('short.key'), b'abcd\n')
        expect('short key file', ['pub', p('short.key')], 1, 'expected 64 hex digits')
        write(p('zero.key'), b'0' * 64 + b'\n')
        expect('zero scalar key', ['pub', p('zero.key')], 1, 'not a P-256 private key')
        write(p('bad.pub'), b'04' + b'00' * 64 + b'\n')
        expect('public key not on the curve', ['verify', '--pub', p('bad.pub'), p('m1')], 1,
               'not a P-256 public key')
        expect('missing image file', base + ['--image', '0x40080000:' + p('noimg')], 1, 'noimg')
        write(p('empty'), b'')
        expect('empty image file', base + ['--image', '0x40080000:' + p('empty')], 1, 'empty')
        expect('overlapping images', base + ['--image', '0x40080000:' + p('img1'),
                                             '--image', '0x40081000:' + p('img2')], 1, 'overlaps')
        expect('PC outside the images', ['sign', '--key', p('a.key'), '--entry', '0x40082000',
                                         '--image', '0x40080000:' + p('img1'), '-o', out_path],
               1, 'outside every image')
        expect('image beyond 2^48', ['sign', '--key', p('a.key'), '--entry', '0xfffffffff000',
                                     '--image', '0xfffffffff000:' + p('img1'), '-o', out_path],
               1, '48-bit')
        expect('missing manifest', ['verify', '--pub', p('a.pub'), p('nothing')], 1, 'nothing')
        check('no output file after failed signs', not os.path.exists(out_path))

        # --- usage errors (exit 2) --------------------------------------------
        one = ['--image', '0x40080000:' + p('img1')]
        expect('no arguments', [], 2, 'usage')
        expect('--help', ['--help'], 0, 'usage', 'keygen', 'sign', 'verify', 'show', 'pub')
        expect('sign -h', ['sign', '-h'], 0, 'usage')
        expect('unknown command', ['frobnicate'], 2, 'unknown command')
        expect('sign without -o', ['sign', '--key', p('a.key'), '--entry', '0x40080000'] + one,
               2, '-o')
        expect('sign without --key', ['sign', '--entry', '0x40080000', '-o', out_path] + one,
               2, '--key')
        expect('sign without images', base, 2, '--image')
        expect('option without value', ['sign', '--key'], 2, 'needs a value')
        expect('bad number', ['sign', '--key', p('a.key'), '--entry', '12z', '-o', out_path] +
               one, 2, 'bad number')
        expect('negative number', ['sign', '--key', p('a.key'), '--entry', '-4', '-o',
                                   out_path] + one, 2, 'bad number')
        expect('number overflow', ['sign', '--key', p('a.key'), '--entry',
                                   '0x10000000000000000', '-o', out_path] + one, 2, 'bad number')
        expect('misaligned PC', ['sign', '--key', p('a.key'), '--entry', '0x40080002',
                                 '-o', out_path] + one, 2, 'not 4-byte aligned')
        expect('image without a colon', base + ['--image', p('img1')], 2, 'BASE:FILE')
        expect('misaligned base', base + ['--image', '0x40080800:' + p('img1')], 2,
               'not 4 KiB aligned')
        expect('bad base', base + ['--image', 'zz:' + p('img1')], 2, 'bad base')
        nine = []
        for i in range(9):
            nine += ['--image', f'{0x40000000 + i * 0x100000:#x}:' + p('img2')]
        expect('too many images', base + nine, 2, 'too many images')
        expect('keygen with one file', ['keygen', p('x.key')], 2, 'PUB_FILE')
        expect('verify without --pub', ['verify', p('m1')], 2, '--pub')
        expect('show with two files', ['show', p('m1'), p('m2')], 2)
        check('no output file after usage errors', not os.path.exists(out_path))

        # --- format v2: the memory layout ---------------------------------------
        v2_args = sign_args + ['--ram', '0x40000000:0x10000000',
                               '--device', '0x09000000:0x1000',
                               '--device', '0xa0000000:0x10000:shared']
        expect('sign v2', v2_args + ['-o', p('v2')], 0, 'format v2', '1 RAM range',
               '2 device windows', 'verified')
        v2 = read(p('v2'))
        check('v2 manifest is 24 + 48n + 8 + 24k + 64 bytes',
              len(v2) == 24 + 2 * 48 + 8 + 3 * 24 + 64, len(v2))
        magic, version, n, entry, images2 = fields(v2)
        check('v2 header and images as in v1, version 2',
              (magic, version, n, entry) == (b'KCOREMF1', 2, 2, 0x40080040) and images2 == images,
              repr((magic, version, n, entry)))
        ram, win = layout(v2)
        check('v2 layout records: base, size, flags (bit 0 = shared)',
              ram == [(0x40000000, 0x10000000, 0)] and
              win == [(0x09000000, 0x1000, 0), (0xa0000000, 0x10000, 1)], repr((ram, win)))
        expect('sign v2 again', v2_args + ['-o', p('v2b')], 0)
        check('v2 signing is deterministic', read(p('v2b')) == v2)
        expect('verify v2 prints the layout', ['verify', '--pub', p('a.pub'), p('v2')], 0,
               'ok', 'format v2', 'ram 0: base 0x0000000040000000 size 0x10000000',
               'device 0: base 0x0000000009000000 size 0x1000\n',
               'device 1: base 0x00000000a0000000 size 0x10000 shared')
        expect('verify v1 says it declares no layout', ['verify', '--pub', p('a.pub'), p('m1')],
               0, 'format v1', 'no devices')
        expect('show v2', ['show', p('v2')], 0, 'version  2', 'nram     1', 'nwin     2',
               'flags 0x1')
        t = bytearray(v2)
        t[len(v2) - 64 - 8] ^= 1  # the last window's SHARED bit
        write(p('t'), bytes(t))
        expect('flipped SHARED bit -> EAUTH', ['verify', '--pub', p('a.pub'), p('t')], 1,
               'EAUTH')
        t = bytearray(v2)
        struct.pack_into('<Q', t, len(v2) - 64 - 8, 2)  # a reserved window flag
        write(p('t'), bytes(t))
        expect('reserved window flag -> EINVAL', ['verify', '--pub', p('a.pub'), p('t')], 1,
               'EINVAL', 'window 1 has reserved flag bits set')
        expect('RAM only is v2 too', sign_args + ['--ram', '0x40000000:0x400000', '-o', p('v2r')],
               0, 'format v2', '0 device windows')
        expect('image outside the RAM ranges',
               sign_args + ['--ram', '0x40000000:0x100000', '-o', out_path], 1,
               'not inside one --ram range')
        bad_ranges = [
            (['--device', '0x09000000:0x1000'], 'needs at least one --ram'),
            (['--ram', '0x40000000:0x10000000', '--device', '0x4fff0000:0x1000'], 'overlaps'),
            (['--ram', '0x40000000:0x10000000', '--ram', '0x3ffff000:0x2000'], 'overlaps'),
            (['--ram', '0x40000000:0x10000000', '--device', '0x9000000:0x1000',
              '--device', '0x9000000:0x2000:shared'], 'overlaps'),
            (['--ram', '0x40000800:0x1000'], 'aligned'),
            (['--ram', '0x40000000:0x1800'], 'aligned'),
            (['--ram', '0x40000000:0'], 'size is zero'),
            (['--ram', '0xfffffffff000:0x2000'], '48-bit'),
            (['--ram', '0x40000000'], 'BASE:SIZE'),
            (['--ram', '0x40000000:0x1000:shared'], 'BASE:SIZE'),
            (['--ram', '0x40000000:zz'], 'bad number'),
            (['--ram', '0x40000000:0x10000000', '--device', '0x9000000:0x1000:rw'],
             "only flag is 'shared'"),
            (['--ram', '0x40000000:0x10000000', '--device', '0x9000000:0x1000:shared:x'],
             'BASE:SIZE[:shared]'),
        ]
        for extra, needle in bad_ranges:
            expect('usage: ' + ' '.join(extra), sign_args + extra + ['-o', out_path], 2, needle)
        expect('--ram without a value', sign_args + ['-o', out_path, '--ram'], 2,
               'needs a value')
        five = []
        for i in range(5):
            five += ['--ram', f'{0x100000000 * (i + 1):#x}:0x1000']
        expect('too many RAM ranges', sign_args + five + ['-o', out_path], 2,
               'too many --ram ranges')
        nine = ['--ram', '0x40000000:0x10000000']
        for i in range(9):
            nine += ['--device', f'{0x09000000 + i * 0x1000:#x}:0x1000']
        expect('too many device windows', sign_args + nine + ['-o', out_path], 2,
               'too many --device windows')
        four_eight = []
        for i in range(4):
            four_eight += ['--ram', f'{0x40000000 + i * 0x10000000:#x}:0x10000000']
        for i in range(8):
            four_eight += ['--device', f'{0x09000000 + i * 0x1000:#x}:0x1000' +
                           (':shared' if i % 2 else '')]
        expect('4 RAM ranges and 8 windows', sign_args + four_eight + ['-o', p('v2max')], 0,
               '4 RAM ranges', '8 device windows')
        check('the largest layout still fits a page', len(read(p('v2max'))) <= 4096)
        check('no output file after failed v2 signs', not os.path.exists(out_path))

        # Eight images is the maximum and works.
        eight = []
        for i in range(8):
            eight += ['--image', f'{0x40000000 + i * 0x100000:#x}:' + p('img2')]
        expect('eight images', ['sign', '--key', p('a.key'), '--entry', '0x40700000', '-o',
                                p('m8')] + eight, 0)
        expect('verify eight images', ['verify', '--pub', p('a.pub'), p('m8')], 0, '8 images')

    print(f'1..{len(results)}')
    failed = 0
    for i, (name, ok, detail) in enumerate(results, 1):
        print(f'{"ok" if ok else "not ok"} {i} - {name}')
        if not ok:
            failed += 1
            for line in detail.splitlines():
                print('# ' + line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
