/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kvm-fault — the peer's side of linux_vm_fault4k_instr (docs/BENCHMARKS.md
 * "Linux"): a minimal VMM on KVM's ioctls that times a guest's first touch
 * of a 4 KiB page under the same kernel booted with kvm-arm.mode=protected.
 *
 * KVM backs a stage-2 fault inside KVM_RUN (user_mem_abort: the page of
 * the VMM's anonymous memory faulted in, then mapped at stage 2), so
 * userspace sees only a round's two ends, and EL0 cannot read the PMU
 * across KVM_RUN (nVHE KVM zeroes PMUSERENR_EL0 at every guest exit).
 * kcore_bench.ko target=counter stays loaded and answers a read() of
 * /dev/kcore_bench_pmu with PMU event counter 0 (INST_RETIRED at EL1 and
 * EL2, not EL0).  The guest touches 32 fresh pages, then exits (an MMIO
 * store), then touches the same 32 again and exits: first minus second,
 * over 32, is what a first touch costs, guest instruction to guest
 * instruction — the stand-in host's method: the syscalls, KVM_RUN's entry
 * and exit and the guest's loop are in both and cancel.
 *
 * The touch is a store: a load of never-written anonymous memory would
 * map the shared zero page, while kcore.ko gives the guest a page of its
 * own; a store makes Linux allocate and zero one, as kcore.ko does.  THP
 * is off for the memory (madvise), so each fault is a 4 KiB page.  Rounds
 * during which an interrupt arrived (/proc/stat's intr total) are dropped;
 * the figure is the median of the rest.  Exact on one CPU under -icount.
 *
 * NOT WORKING YET (docs/BENCHMARKS.md): under Debian's 6.1 with
 * kvm-arm.mode=protected in QEMU, the first KVM_RUN never returns (not
 * even for a signal) and the guest reaches no MMIO store.  Not investigated.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_BASE 0x80000000ull
#define GUEST_SIZE (2ull << 20)
#define GUEST_MMIO 0x10000000ull /* no memslot: a store there exits to us */
#define FAULTS	   32
#define ROUNDS	   12 /* 12 x 32 fresh pages after the code page: within 2 MiB */

/*
 * The guest, copied to GUEST_BASE: x1 walks the pages from the one after
 * the code; each round stores to 32 fresh pages, exits, stores to the same
 * 32 again, exits.
 */
extern const uint8_t guest_code[], guest_code_end[];
asm(".pushsection .rodata\n"
    ".balign 4\n"
    "guest_code:\n"
    "	movz	x1, #0x1000\n"
    "	movk	x1, #0x8000, lsl #16\n" /* GUEST_BASE + 4 KiB */
    "	movz	x4, #0x1000, lsl #16\n" /* GUEST_MMIO */
    "0:	mov	x5, x1\n"
    "	mov	x3, #32\n" /* FAULTS */
    "1:	str	xzr, [x1]\n"
    "	add	x1, x1, #0x1000\n"
    "	subs	x3, x3, #1\n"
    "	b.ne	1b\n"
    "	str	xzr, [x4]\n"
    "	mov	x1, x5\n"
    "	mov	x3, #32\n"
    "2:	str	xzr, [x1]\n"
    "	add	x1, x1, #0x1000\n"
    "	subs	x3, x3, #1\n"
    "	b.ne	2b\n"
    "	str	xzr, [x4]\n"
    "	b	0b\n"
    "guest_code_end:\n"
    ".popsection\n");

static void die(const char *what)
{
	fprintf(stderr, "kvm-fault: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int pmu_fd;

static uint64_t pmu(void)
{
	uint64_t v;

	if (pread(pmu_fd, &v, sizeof(v), 0) != sizeof(v))
		die("read /dev/kcore_bench_pmu");
	return v;
}

/* The machine's interrupts so far: the first number of /proc/stat's intr line. */
static uint64_t interrupts(void)
{
	static char buf[1 << 16];
	int fd = open("/proc/stat", O_RDONLY);
	ssize_t n;
	char *p;

	if (fd < 0)
		die("/proc/stat");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die("read /proc/stat");
	buf[n] = 0;
	p = strstr(buf, "\nintr ");
	return p ? strtoull(p + 6, NULL, 10) : 0;
}

static void run(int vcpu, struct kvm_run *r)
{
	if (ioctl(vcpu, KVM_RUN, 0))
		die("KVM_RUN");
	if (r->exit_reason != KVM_EXIT_MMIO || r->mmio.phys_addr != GUEST_MMIO) {
		fprintf(stderr, "kvm-fault: unexpected exit %u\n", r->exit_reason);
		exit(1);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	struct kvm_vcpu_init init;
	int64_t clean[ROUNDS];
	unsigned n = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	pmu_fd = open("/dev/kcore_bench_pmu", O_RDONLY);
	if (pmu_fd < 0)
		die("/dev/kcore_bench_pmu (insmod kcore_bench.ko target=counter)");
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	uint8_t *mem =
		mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	if (madvise(mem, GUEST_SIZE, MADV_NOHUGEPAGE))
		die("madvise");
	memcpy(mem, guest_code, (size_t)(guest_code_end - guest_code));
	struct kvm_userspace_memory_region slot = {
		.slot = 0,
		.guest_phys_addr = GUEST_BASE,
		.memory_size = GUEST_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot))
		die("KVM_SET_USER_MEMORY_REGION");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init))
		die("KVM_ARM_PREFERRED_TARGET");
	if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init))
		die("KVM_ARM_VCPU_INIT");
	/* Reset leaves the vCPU at EL1h, interrupts masked, MMU off: only the PC. */
	uint64_t pc = GUEST_BASE;
	struct kvm_one_reg reg = {
		.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
		      (offsetof(struct kvm_regs, regs.pc) / sizeof(uint32_t)),
		.addr = (uintptr_t)&pc,
	};
	if (ioctl(vcpu, KVM_SET_ONE_REG, &reg))
		die("KVM_SET_ONE_REG pc");
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *r = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (r == MAP_FAILED)
		die("mmap kvm_run");

	fprintf(stderr, "kvm-fault: VM set up, running its vCPU\n");
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint64_t irq0 = interrupts(), a = pmu();
		if (getenv("KVM_FAULT_DEBUG"))
			fprintf(stderr, "kvm-fault: round %u: counter %llu, running\n", i,
				(unsigned long long)a);
		run(vcpu, r);
		uint64_t b = pmu();
		run(vcpu, r);
		uint64_t c = pmu(), irq1 = interrupts();
		/* 32-bit counter without FEAT_PMUv3p5. */
		int64_t first = (uint32_t)(b - a), again = (uint32_t)(c - b);
		/* Round 0 also faults in the code page (its first run). */
		int ok = irq1 == irq0 && i > 0;
		printf("kvm-fault: round %u: first touch %lld, again %lld instructions for %d "
		       "pages%s\n",
		       i, (long long)first, (long long)again, FAULTS,
		       i == 0 ? " (the code page's fault too: dropped)"
		       : ok   ? ""
			      : " (interrupted: dropped)");
		if (ok)
			clean[n++] = first - again;
	}
	if (n == 0 || clean[0] <= 0) {
		printf("kvm-fault: pkvm_vm_fault4k_instr unavailable\n");
		return 1;
	}
	qsort(clean, n, sizeof(clean[0]), cmp_i64);
	printf("kvm-fault: %u undisturbed rounds, %lld to %lld per fault\n", n,
	       (long long)(clean[0] / FAULTS), (long long)(clean[n - 1] / FAULTS));
	printf("kvm-fault: pkvm_vm_fault4k_instr %lld\n", (long long)(clean[n / 2] / FAULTS));
	return 0;
}
