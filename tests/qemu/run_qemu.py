#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Boot a kcore image in QEMU and check what it did.

usage: run_qemu.py QEMU IMAGE STATUS TIMEOUT [--expect RE]... [--forbid RE]...
                   [--append ARGS] [--machine M] [--memory SIZE] [--smp N]
                   [--host HOST-IMAGE] [--summary] [-- QEMU-ARGS...]

STATUS is the exit status QEMU must return (the image's semihosting exit
code), or 'timeout' when the image is expected to park and be killed.
Every --expect regex must match the console output (re.MULTILINE) and no
--forbid regex may.  The whole output is printed, then every failed check.

--host loads a host Image where kcore looks for one (RAM base + 32 MiB,
docs/ARCHITECTURE.md "arm64").  --summary requires the host's closing
"N passed, M failed" line with N > 0 and M = 0, and no "not ok" line: a
host that hangs, dies before its summary, or takes an exception kcore did
not expect (kcore prints "unexpected exception" and exits with status 3)
fails the test.
"""
import argparse
import re
import shlex
import subprocess
import sys
import time

MACHINE = 'virt,virtualization=on,gic-version=3'
HOST_ADDR = 0x42000000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('qemu')
    ap.add_argument('image')
    ap.add_argument('status', help="expected exit status, or 'timeout'")
    ap.add_argument('timeout', type=float, help='seconds before QEMU is killed')
    ap.add_argument('--expect', action='append', default=[], metavar='RE')
    ap.add_argument('--forbid', action='append', default=[], metavar='RE')
    ap.add_argument('--append', help='kernel command line (/chosen/bootargs)')
    ap.add_argument('--machine', default=MACHINE)
    ap.add_argument('--memory', default='1G')
    ap.add_argument('--smp', type=int, default=1)
    ap.add_argument('--host', metavar='HOST-IMAGE',
                    help='load this host Image at RAM base + 32 MiB')
    ap.add_argument('--summary', action='store_true',
                    help="require the host's 'N passed, 0 failed' line")
    ap.add_argument('--no-semihosting', action='store_true',
                    help='leave out -semihosting (the image cannot exit then)')
    ap.add_argument('--qemu-arg', action='append', default=[], metavar='ARG',
                    help='one more QEMU argument (repeat for each)')
    ap.add_argument('extra', nargs='*', help='more QEMU arguments (after --)')
    a = ap.parse_args()

    cmd = [a.qemu, '-M', a.machine, '-cpu', 'max', '-m', a.memory, '-nographic',
           '-nic', 'none', '-smp', str(a.smp), '-kernel', a.image]
    if a.host:
        cmd += ['-device', f'loader,file={a.host},addr={HOST_ADDR:#x},force-raw=on']
    if not a.no_semihosting:
        cmd.append('-semihosting')
    if a.append is not None:
        cmd += ['-append', a.append]
    cmd += a.qemu_arg + a.extra
    print('$ ' + shlex.join(cmd), flush=True)

    t0 = time.monotonic()
    timed_out = False
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=a.timeout)
        out, status = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        # subprocess.run has killed QEMU; keep what it printed so far.
        out, status, timed_out = e.stdout or b'', None, True
    wall = time.monotonic() - t0
    text = out.decode('utf-8', 'replace').replace('\r\n', '\n')
    sys.stdout.write(text)
    if text and not text.endswith('\n'):
        sys.stdout.write('\n')
    print(f'[qemu {"killed after timeout" if timed_out else f"exit status {status}"}, '
          f'{wall:.3f} s]')

    failures = []
    if a.status == 'timeout':
        if not timed_out:
            failures.append(f'expected QEMU to hang until the {a.timeout} s timeout, '
                            f'it exited with status {status}')
    elif timed_out:
        failures.append(f'QEMU did not exit within {a.timeout} s (killed)')
    elif status != int(a.status):
        failures.append(f'exit status {status}, expected {a.status}')
    for rx in a.expect:
        if not re.search(rx, text, re.MULTILINE):
            failures.append(f'expected output not found: /{rx}/')
    for rx in a.forbid:
        m = re.search(rx, text, re.MULTILINE)
        if m:
            failures.append(f'forbidden output found: /{rx}/ matched {m.group(0)!r}')

    if a.summary:
        m = re.findall(r'^(\d+) passed, (\d+) failed$', text, re.MULTILINE)
        if not m:
            failures.append("no 'N passed, N failed' summary from the host")
        elif int(m[-1][0]) == 0 or int(m[-1][1]) != 0:
            failures.append(f'host summary: {m[-1][0]} passed, {m[-1][1]} failed')
        for rx in (r'^not ok ', 'unexpected exception'):
            mm = re.search(rx, text, re.MULTILINE)
            if mm:
                failures.append(f'host run shows /{rx}/')

    for f in failures:
        print('FAIL: ' + f)
    print('RESULT: ' + ('FAIL' if failures else 'ok'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
