#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Debian's Linux under kcore measured against the same kernel bare and under pKVM.

usage: bench/linux.py [--kcore KCORE.BIN] [--json FILE] [--smp N] [--memory SIZE]
       bench/linux.py --kcore-boot   where kcore's own boot goes (exact)
       bench/linux.py --check        ./ci/test's check: one boot, the module's calls

ci/bench calls run() (bench/run.py); alone, this prints the figures.  All
runs are in the same QEMU (virt, GICv3, -cpu max) under -icount shift=0,
where QEMU is deterministic and the PMU's INST_RETIRED is exact
(../shared/reference/arm64-host-notes.md §4; docs/BENCHMARKS.md "Linux"):

  linux_boot_ratio     instructions from reset to the initramfs marker with
                       kcore as -kernel and the Image at 0x42000000 (as
                       ci/linux-run), over the same kernel, initramfs, -smp
                       and memory booted straight at EL1 (virtualization=off,
                       -kernel vmlinuz).  The count is QEMU's global icount
                       read by QMP (stop, query-replay) once /init has
                       printed the marker and blocked on the console.
  linux_hostcall_instr kcore's null call (KC_HC_VERSION) from a module
                       (linux/bench-ko) in Linux under kcore: EL2
                       instructions per call, PMU INST_RETIRED EL1+EL2.
  pkvm_hostcall_instr  the same module in the same kernel booted at EL2 with
                       kvm-arm.mode=protected, timing __vgic_v3_read_vmcr.
  linux_vm_fault4k_instr  a guest's first touch of a 4 KiB page, through
                       kcore, kcore.ko and back: `kcore-vm bench-fault` runs
                       the touch guest, kcore.ko (test_hooks=1) counts
                       rounds of 32 fault round trips with the PMU
                       (KCORE_TEST_FAULT_BENCH), minus the guest's own 3
                       instructions per page; -smp 1, rounds an interrupt
                       hit dropped, the median of the rest.
  linux_vm_fault4k_el2_instr  of that, what ran at EL2 (kcore's share).
  pkvm_vm_fault4k_instr  NOT WORKING YET, only with --pkvm-fault, not in
                       run(): the same first touch in a KVM guest under
                       kvm-arm.mode=protected: linux/kvm-fault (a minimal
                       VMM) reads counter 0 through kcore_bench.ko
                       target=counter around KVM_RUN; first touch of 32
                       pages minus a second touch of them, over 32.  Its
                       first KVM_RUN does not come back (BENCHMARKS.md).

The kernel, busybox and headers come from ci/linux-fetch --headers; when
that fails (no network, no Debian archive) run() returns None and says why.
"""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import re
import select
import shutil
import socket
import statistics
import stat
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST_ADDR = 0x42000000  # where kcore looks for its host's Image (ci/linux-run)
MARKER = b'kcore-bench: init reached'
BOOT_RUNS = 3  # boots of each kind for linux_boot_ratio (the median of each)

# kbench=... on the command line reaches /init as an environment variable
# (the kernel hands unknown key=value parameters to init).  For the boot
# figure /init prints the marker first thing and blocks on the console, so
# that the machine is idle when the script stops it.
INIT = r'''#!/bin/sh
if [ "$kbench" = boot ]; then
    echo "kcore-bench: init reached"
    read -r line
    exec /bin/busybox sleep 1000000
fi
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
echo "kcore-bench: init reached"
if [ "$kbench" = fault ]; then
    mount -t devtmpfs devtmpfs /dev
    insmod /kcore/kcore.ko test_hooks=1 && \
        /kcore/kcore-vm bench-fault /guests/touch.img /guests/touch.manifest
    poweroff -f
fi
if [ "$kbench" = pkvmfault ]; then
    mount -t devtmpfs devtmpfs /dev
    insmod /kcore_bench.ko target=counter && /kvm-fault
    poweroff -f
fi
insmod /kcore_bench.ko target="$kbench" 2>/dev/null
dmesg | grep 'kcore-bench:'
poweroff -f
'''


def log(msg):
    sys.stderr.write('linux-bench: %s\n' % msg)
    sys.stderr.flush()


def _linux_run():
    """ci/linux-run as a module, for its cpio writer (one initramfs format)."""
    path = os.path.join(TOP, 'ci', 'linux-run')
    loader = importlib.machinery.SourceFileLoader('kcore_linux_run', path)
    spec = importlib.util.spec_from_loader('kcore_linux_run', loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def fetch():
    """The cache directory of ci/linux-fetch --headers, or None."""
    try:
        out = subprocess.run([os.path.join(TOP, 'ci', 'linux-fetch'), '--headers'],
                             check=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
        err = getattr(e, 'stderr', '') or ''
        log('cannot fetch Debian\'s kernel (%s)%s' % (e, ('\n' + err.strip()) if err else ''))
        return None
    return out.stdout.strip().splitlines()[-1]


def build_module(cache, out):
    """Cross-build linux/bench-ko in `out` (a copy: kbuild writes beside the sources)."""
    src = os.path.join(TOP, 'linux', 'bench-ko')
    if os.path.isdir(out):
        shutil.rmtree(out)
    shutil.copytree(src, out)
    r = subprocess.run(['make', '-C', os.path.join(cache, 'headers'), 'M=' + out, 'ARCH=arm64',
                        'CROSS_COMPILE=aarch64-linux-gnu-', 'KCORE_TOP=' + TOP, 'modules'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ko = os.path.join(out, 'kcore_bench.ko')
    if r.returncode != 0 or not os.path.exists(ko):
        raise RuntimeError('building kcore_bench.ko failed:\n' + r.stdout)
    return ko


def build_kvm_fault(out):
    """linux/kvm-fault, static arm64: the VMM for pkvm_vm_fault4k_instr."""
    exe = os.path.join(out, 'kvm-fault')
    subprocess.run(['aarch64-linux-gnu-gcc', '-static', '-O2', '-std=gnu11', '-Wall', '-Wextra',
                    '-Werror', '-o', exe, os.path.join(TOP, 'linux', 'kvm-fault', 'kvm-fault.c')],
                   check=True)
    return exe


def build_initramfs(cache, ko, path, extra=()):
    cpio = _linux_run().cpio_newc
    busybox = open(os.path.join(cache, 'root', 'bin', 'busybox'), 'rb').read()
    d = stat.S_IFDIR | 0o755
    entries = [(n, d, b'') for n in ('bin', 'dev', 'proc', 'sys', 'tmp')]
    entries += [
        ('dev/console', stat.S_IFCHR | 0o600, b'', 5, 1),
        ('bin/busybox', stat.S_IFREG | 0o755, busybox),
        ('bin/sh', stat.S_IFLNK | 0o777, b'busybox'),
        ('init', stat.S_IFREG | 0o755, INIT.encode()),
        ('kcore_bench.ko', stat.S_IFREG | 0o644, open(ko, 'rb').read()),
    ]
    # kcore.ko, kcore-vm and the signed guests (ci/linux-run's vm_files).
    dirs = sorted({os.path.dirname(n) for n, _ in extra} - {''})
    entries += [(n, d, b'') for n in dirs]
    entries += [(n, stat.S_IFREG | 0o755, open(f, 'rb').read()) for n, f in extra]
    with open(path, 'wb') as f:
        f.write(cpio(entries))


class Qmp:
    def __init__(self, path, deadline):
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.buf = b''
        self._reply()  # the greeting
        self.cmd('qmp_capabilities')

    def _reply(self):
        while True:
            while b'\n' not in self.buf:
                chunk = self.s.recv(4096)
                if not chunk:
                    raise RuntimeError('QMP closed')
                self.buf += chunk
            line, self.buf = self.buf.split(b'\n', 1)
            msg = json.loads(line)
            if 'event' not in msg:
                return msg

    def cmd(self, name):
        self.s.sendall(json.dumps({'execute': name}).encode() + b'\n')
        msg = self._reply()
        if 'error' in msg:
            raise RuntimeError('QMP %s: %s' % (name, msg['error']))
        return msg.get('return')


class Gdb:
    """Just enough of QEMU's gdbstub (GDB remote protocol) for one breakpoint."""

    def __init__(self, path, deadline):
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.connect(path)
                break
            except OSError:
                self.s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.buf = b''

    def send(self, data):
        pkt = b'$%s#%02x' % (data, sum(data) & 0xff)
        self.s.sendall(pkt)

    def reply(self):
        while True:
            m = re.search(rb'\$([^#]*)#[0-9a-fA-F]{2}', self.buf)
            if m:
                self.buf = self.buf[m.end():]
                self.s.sendall(b'+')
                return m.group(1)
            chunk = self.s.recv(4096)
            if not chunk:
                raise RuntimeError('gdbstub closed')
            self.buf += chunk

    def cmd(self, data):
        self.send(data)
        return self.reply()


def qemu_cmd(kind, kcore_bin, cache, initrd, smp, memory, kbench):
    machine = 'virt,gic-version=3,dtb-randomness=off'
    append = 'console=ttyAMA0 rdinit=/init panic=-1 kbench=' + kbench
    vmlinuz = os.path.join(cache, 'vmlinuz')
    if kind == 'kcore':
        machine += ',virtualization=on'
        boot = ['-kernel', kcore_bin, '-device',
                'loader,file=%s,addr=%#x,force-raw=on' % (vmlinuz, HOST_ADDR)]
    elif kind == 'bare':  # EL1, no EL2 at all
        boot = ['-kernel', vmlinuz]
    elif kind == 'pkvm':  # the kernel at EL2, pKVM
        machine += ',virtualization=on'
        boot = ['-kernel', vmlinuz]
        append += ' kvm-arm.mode=protected'
    else:
        raise ValueError(kind)
    return ['qemu-system-aarch64', '-M', machine, '-cpu', 'max', '-m', memory, '-smp', str(smp),
            '-icount', 'shift=0', '-nographic', '-nic', 'none', '-no-reboot',
            '-initrd', initrd, '-append', append] + boot


def run_qemu(cmd, timeout, on_marker=None, breaks=()):
    """Run QEMU to its exit (or, with on_marker, to the marker); its output.

    on_marker(qmp) is called as soon as the marker is seen; QEMU is then
    killed.  With breaks (addresses the boot CPU reaches in that order),
    QEMU starts stopped and a breakpoint through its gdbstub stops it at
    each in turn, exactly, for QEMU's instruction count there.  Returns
    (output text, what on_marker returned, the counts at the breaks)."""
    with tempfile.TemporaryDirectory(prefix='kcore-lbench-') as tmp:
        sock = os.path.join(tmp, 'qmp')
        full = cmd + ['-qmp', 'unix:%s,server=on,wait=off' % sock]
        if breaks:
            full += ['-S', '-gdb', 'unix:%s,server=on,wait=off' % os.path.join(tmp, 'gdb')]
        t0 = time.monotonic()
        p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        try:
            qmp = Qmp(sock, t0 + 10) if on_marker or breaks else None
            counts = []
            if breaks:
                gdb = Gdb(os.path.join(tmp, 'gdb'), t0 + 10)
            for addr in breaks:
                bp = b'%x,4' % addr
                if gdb.cmd(b'Z1,' + bp) != b'OK':
                    raise RuntimeError('gdbstub: no breakpoint at %#x' % addr)
                gdb.send(b'c')
                stop = gdb.reply()
                if not stop.startswith((b'T', b'S')):
                    raise RuntimeError('gdbstub: %r, not a stop' % stop)
                counts.append(_icount(qmp))
                if gdb.cmd(b'z1,' + bp) != b'OK':
                    raise RuntimeError('gdbstub: cannot remove the breakpoint at %#x' % addr)
            if breaks:
                gdb.send(b'c')
            out, result = bytearray(), None
            os.set_blocking(p.stdout.fileno(), False)
            while True:
                left = t0 + timeout - time.monotonic()
                if left <= 0:
                    raise RuntimeError('QEMU timed out after %d s:\n%s' %
                                       (timeout, out.decode('utf-8', 'replace')))
                ready, _, _ = select.select([p.stdout], [], [], min(left, 0.5))
                chunk = p.stdout.read() if ready else b''
                if chunk:
                    out += chunk
                    if on_marker and MARKER in out:
                        result = on_marker(qmp)
                        break
                elif ready or p.poll() is not None:
                    break
        finally:
            if p.poll() is None:
                p.kill()
            p.wait()
        return out.decode('utf-8', 'replace').replace('\r\n', '\n'), result, counts


def _icount(qmp):
    return qmp.cmd('query-replay')['icount']


def _icount_at_marker(qmp):
    qmp.cmd('stop')
    return _icount(qmp)


def boot_instructions(kind, kcore_bin, cache, initrd, smp, memory):
    """(instructions from reset to the marker, of which kcore's own boot
    up to the host's first instruction: None without kcore)."""
    cmd = qemu_cmd(kind, kcore_bin, cache, initrd, smp, memory, 'boot')
    t0 = time.monotonic()
    # kcore's own boot ends exactly where the Image's first instruction runs.
    out, icount, counts = run_qemu(cmd, 300, _icount_at_marker,
                                   [HOST_ADDR] if kind == 'kcore' else [])
    own = counts[0] if counts else None
    if icount is None:
        raise RuntimeError('%s boot: no marker:\n%s' % (kind, out))
    if kind == 'kcore' and 'All CPU(s) started at EL1' not in out:
        raise RuntimeError('kcore boot: Linux did not start at EL1:\n' + out)
    if kind == 'pkvm' and 'Protected nVHE mode initialized' not in out:
        raise RuntimeError('pKVM did not initialise:\n' + out)
    log('%-5s boot: %d instructions to the marker%s (%.1f s)' %
        (kind, icount, ', %d of them kcore\'s own boot' % own if own else '',
         time.monotonic() - t0))
    return icount, own


# Where kcore's own boot goes: functions the boot CPU enters once, in this
# order (platform/arm64/main.c), each with what runs up to it from the
# previous one; the last stop is the host's first instruction.
BOOT_STEPS = [
    ('kcore_init', 'reset to kcore_init: .bss cleared, DTB parsed, console, layout, config'),
    ('el2_mmu_enable', 'kcore_init: frame table, pools, core map'),
    ('crypto_selftest_deferring_p256', 'EL2 MMU on, MMU and maintenance checks, entropy'),
    # The ECDSA test is not on this path: it runs before the first VM_VERIFY.
    ('arm64_host_boot', 'SHA-256, HMAC, HKDF, ChaCha20-Poly1305 known-answer tests'),
    (None, "the host's DTB (kcore's memory no-map), its clean, the entry at EL1"),
]


def kcore_boot_breakdown(kcore_bin, cache, initrd, smp, memory):
    """[(what, instructions)] of kcore's own boot, exact: a gdbstub
    breakpoint at each BOOT_STEPS function of kcore.elf (beside kcore.bin)."""
    elf = os.path.splitext(kcore_bin)[0] + '.elf'
    nm = shutil.which('aarch64-linux-gnu-nm') or shutil.which('llvm-nm-19') or 'nm'
    syms = {}
    for line in subprocess.run([nm, elf], check=True, stdout=subprocess.PIPE,
                               text=True).stdout.splitlines():
        f = line.split()
        if len(f) == 3:
            syms[f[2]] = int(f[0], 16)
    addrs = [syms[name] if name else HOST_ADDR for name, _ in BOOT_STEPS]
    cmd = qemu_cmd('kcore', kcore_bin, cache, initrd, smp, memory, 'boot')
    _, _, counts = run_qemu(cmd, 300, _icount_at_marker, addrs)
    prev, steps = 0, []
    for (_, what), n in zip(BOOT_STEPS, counts):
        steps.append((what, n - prev))
        prev = n
    return steps


def hostcall_instructions(kind, kcore_bin, cache, initrd, memory):
    # One CPU: QEMU's INST_RETIRED is the global icount, so another CPU's
    # instructions would leak into the count (notes §4).
    target = 'kcore' if kind == 'kcore' else 'pkvm'
    cmd = qemu_cmd(kind, kcore_bin, cache, initrd, 1, memory, target)
    t0 = time.monotonic()
    out, _, _ = run_qemu(cmd, 300)
    name = 'linux_hostcall_instr' if kind == 'kcore' else 'pkvm_hostcall_instr'
    m = re.search(r'kcore-bench: %s (\d+)\s*$' % name, out, re.MULTILINE)
    if kind == 'pkvm' and 'Protected nVHE mode initialized' not in out:
        raise RuntimeError('pKVM did not initialise:\n' + out)
    if not m:
        raise RuntimeError('%s: the module gave no count:\n%s' % (kind, out))
    # Each line is twice in the output: on the console and in dmesg's.
    for line in dict.fromkeys(re.findall(r'kcore-bench: (?:target|round) .*', out)):
        log('%-5s %s' % (kind, line))
    log('%-5s host call: %s EL2 instructions (%.1f s)' % (kind, m.group(1),
                                                          time.monotonic() - t0))
    return int(m.group(1))


def fault_instructions(kcore_bin, cache, initrd, memory):
    """(linux_vm_fault4k_instr, linux_vm_fault4k_el2_instr): kcore-vm
    bench-fault under kcore, one CPU (QEMU's INST_RETIRED is the global
    icount)."""
    cmd = qemu_cmd('kcore', kcore_bin, cache, initrd, 1, memory, 'fault')
    t0 = time.monotonic()
    out, _, _ = run_qemu(cmd, 300)
    m = re.search(r'kcore-vm: bench-fault: linux_vm_fault4k_instr (\d+)\s*$', out, re.MULTILINE)
    if not m:
        raise RuntimeError('kcore-vm bench-fault gave no count:\n' + out)
    for line in re.findall(r'kcore-vm: bench-fault: .*', out):
        log('kcore %s' % line)
    log('kcore 4 KiB first touch: %s instructions (%.1f s)' % (m.group(1), time.monotonic() - t0))
    el2 = re.search(r'kcore-vm: bench-fault: linux_vm_fault4k_el2_instr (\d+)\s*$', out,
                    re.MULTILINE)
    return int(m.group(1)), int(el2.group(1))


def pkvm_fault_instructions(kcore_bin, cache, initrd, memory):
    """pkvm_vm_fault4k_instr: linux/kvm-fault under pKVM, one CPU."""
    cmd = qemu_cmd('pkvm', kcore_bin, cache, initrd, 1, memory, 'pkvmfault')
    t0 = time.monotonic()
    out, _, _ = run_qemu(cmd, 120)
    if 'Protected nVHE mode initialized' not in out:
        raise RuntimeError('pKVM did not initialise:\n' + out)
    m = re.search(r'kvm-fault: pkvm_vm_fault4k_instr (\d+)\s*$', out, re.MULTILINE)
    if not m:
        raise RuntimeError('kvm-fault gave no count:\n' + out)
    for line in re.findall(r'kvm-fault: .*', out):
        log('pkvm  %s' % line)
    log('pkvm  4 KiB first touch: %s instructions (%.1f s)' % (m.group(1), time.monotonic() - t0))
    return int(m.group(1))


def prepare(workdir=None, kcore_bin=None, kvm_fault=False):
    """(cache, initramfs) with the module built, or None (and why, on
    stderr) when Debian's kernel cannot be had.  With kcore_bin, the
    initramfs also holds kcore.ko, kcore-vm and the signed guests built
    beside that kcore image."""
    if not shutil.which('qemu-system-aarch64') or not shutil.which('aarch64-linux-gnu-gcc'):
        log('qemu-system-aarch64 or aarch64-linux-gnu-gcc missing: skipped')
        return None
    cache = fetch()
    if cache is None:
        log('skipped: no Debian kernel (ci/linux-fetch --headers failed)')
        return None
    workdir = workdir or os.path.join(TOP, 'build', 'linux-bench')
    os.makedirs(workdir, exist_ok=True)
    ko = build_module(cache, os.path.join(workdir, 'ko'))
    initrd = os.path.join(workdir, 'initramfs.cpio')
    extra = [('kvm-fault', build_kvm_fault(workdir))] if kvm_fault else []
    extra += _linux_run().vm_files(kcore_bin) if kcore_bin else []
    build_initramfs(cache, ko, initrd, extra)
    return cache, initrd


def run(kcore_bin, smp=4, memory='1G', workdir=None):
    """The Linux figures as a dict, or None (and why, on stderr) when Debian's
    kernel cannot be had."""
    ready = prepare(workdir, kcore_bin)
    if ready is None:
        return None
    cache, initrd = ready
    # Boots vary by a few 0.01% (timer interrupts land on other
    # instructions): the median of BOOT_RUNS each, interleaved.
    # pKVM's boot, the same way, is the peer's figure next to ours.
    kc, bare, pkvm, own = [], [], [], set()
    for _ in range(BOOT_RUNS):
        n, o = boot_instructions('kcore', kcore_bin, cache, initrd, smp, memory)
        kc.append(n)
        own.add(o)
        bare.append(boot_instructions('bare', kcore_bin, cache, initrd, smp, memory)[0])
        pkvm.append(boot_instructions('pkvm', kcore_bin, cache, initrd, smp, memory)[0])
    f = {}
    f['linux_boot_instr'] = statistics.median(kc)
    f['linux_boot_bare_instr'] = statistics.median(bare)
    f['linux_boot_ratio'] = f['linux_boot_instr'] / f['linux_boot_bare_instr']
    # kcore's own boot is deterministic (one CPU, no interrupts): the same in every run.
    f['linux_boot_kcore_own_instr'] = max(own)
    f['linux_boot_ratio_from_handoff'] = (
        (f['linux_boot_instr'] - f['linux_boot_kcore_own_instr']) / f['linux_boot_bare_instr'])
    f['pkvm_boot_ratio'] = statistics.median(pkvm) / f['linux_boot_bare_instr']
    f['linux_hostcall_instr'] = hostcall_instructions('kcore', kcore_bin, cache, initrd, memory)
    f['pkvm_hostcall_instr'] = hostcall_instructions('pkvm', kcore_bin, cache, initrd, memory)
    f['linux_hostcall_vs_pkvm'] = f['linux_hostcall_instr'] / f['pkvm_hostcall_instr']
    f['linux_vm_fault4k_instr'], f['linux_vm_fault4k_el2_instr'] = fault_instructions(
        kcore_bin, cache, initrd, memory)
    return f


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--kcore', default=os.path.join(TOP, 'build', 'bench-arm64', 'platform',
                                                    'arm64', 'kcore.bin'))
    ap.add_argument('--smp', type=int, default=4)
    ap.add_argument('--memory', default='1G')
    ap.add_argument('--json', metavar='FILE')
    ap.add_argument('--kcore-boot', action='store_true',
                    help="where kcore's own boot goes, in instructions (exact)")
    ap.add_argument('--fault', action='store_true',
                    help='only linux_vm_fault4k_instr (one boot under kcore)')
    ap.add_argument('--pkvm-fault', action='store_true',
                    help='NOT WORKING YET: pkvm_vm_fault4k_instr (linux/kvm-fault under pKVM)')
    ap.add_argument('--check', action='store_true',
                    help="./ci/test's check: the module builds against Debian's headers, "
                    "loads under kcore and kcore answers its calls (one boot)")
    a = ap.parse_args()
    if a.kcore_boot:
        ready = prepare()
        if ready is None:
            return 1
        steps = kcore_boot_breakdown(a.kcore, ready[0], ready[1], a.smp, a.memory)
        for what, n in steps:
            print('%12d  %s' % (n, what))
        print('%12d  kcore\'s own boot, reset to the host\'s first instruction' %
              sum(n for _, n in steps))
        return 0
    if a.fault:
        ready = prepare(kcore_bin=a.kcore)
        if ready is None:
            return 1
        print('linux_vm_fault4k_instr %d\nlinux_vm_fault4k_el2_instr %d' %
              fault_instructions(a.kcore, ready[0], ready[1], a.memory))
        return 0
    if a.pkvm_fault:
        ready = prepare(kvm_fault=True)
        if ready is None:
            return 1
        print('pkvm_vm_fault4k_instr %d' %
              pkvm_fault_instructions(a.kcore, ready[0], ready[1], a.memory))
        return 0
    if a.check:
        ready = prepare()
        if ready is None:
            return 1
        try:
            n = hostcall_instructions('kcore', a.kcore, ready[0], ready[1], a.memory)
        except RuntimeError as e:
            print('bench/linux.py --check: FAIL: %s' % e)
            return 1
        print('bench/linux.py --check: ok (kcore_bench.ko under kcore: %d EL2 instructions '
              'per null call)' % n)
        return 0
    f = run(a.kcore, a.smp, a.memory)
    if f is None:
        return 1
    for k in sorted(f):
        print('%s %s' % (k, f[k]))
    if a.json:
        with open(a.json, 'w') as fp:
            json.dump(f, fp, indent=1, sort_keys=True)
            fp.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
