/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore-vm — run a signed guest as a protected VM from Linux userspace,
 * through kcore.ko's /dev/kcore (docs/LINUX.md).
 *
 *   kcore-vm run [--vcpus N] [--test-life | --test-irq] GUEST.IMG GUEST.MANIFEST
 *   kcore-vm attack-read GUEST.IMG GUEST.MANIFEST   (needs kcore.ko test_hooks=1)
 *
 * run: creates the VM with N vCPUs (default 2), loads the image where the
 * manifest's first image says, has kcore verify it, and runs vCPU 0 on a
 * thread (and vCPU n on another when the guest starts it with PSCI
 * CPU_ON).  It emulates a UART in every page the guest guards for MMIO (a
 * byte stored at offset 0 goes to stdout; loads read 0), answers forwarded
 * calls with NOT_SUPPORTED, lets a WFI sleep until the guest's timer is due
 * (kcore raises the timer's interrupt itself), delivers the guest's SGIs,
 * and on the guest's power-off (or SIGINT/SIGTERM) tears the VM down.
 *
 * --test-life (a test; kcore.ko test_hooks=1): the host's side of the
 * calls of tests/arm64/guests/life (life.h): when it shares its page, read
 * its magic there and write the answer; when it took the page back, a
 * read must be refused (SIGBUS).
 *
 * --test-irq (a test): the host's side of tests/arm64/guests/irq: at the
 * guest's first WFI, inject its UART's SPI (irq.h).
 *
 * attack-read: sets the VM up the same way, then, through the module's
 * test hook, reads the host's manifest frame (the control: it reads) and
 * the VM's image frame (kcore's host stage 2 must refuse it: SIGBUS).
 *
 * The manifest is parsed only to learn where the image goes: kcore checks
 * everything in it (docs/MANIFEST.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <kcore/abi.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "irq.h"
#include "kcore_uapi.h"
#include "life.h"

#define MAX_VCPUS 8

static int kfd = -1;
static unsigned nvcpus = 2;
static int test_life, test_irq;
static volatile sig_atomic_t stop, powered_off, failed, signalled;

static struct {
	pthread_t thread;
	int running;	    /* a thread runs it (guarded by vlock) */
	unsigned long cpus; /* CPUs its VCPU_RUNs were made on (bit n: CPU n) */
	unsigned long exits;
} vcpus[MAX_VCPUS];
static pthread_mutex_t vlock = PTHREAD_MUTEX_INITIALIZER;

/* kcore's status names for the errno values kcore.ko maps them to (kcore_uapi.h). */
static const char *kc_name(int e)
{
	switch (e) {
	case EOPNOTSUPP:
		return "ENOTSUP";
	case EINVAL:
		return "EINVAL";
	case EPERM:
		return "EPERM";
	case EBADFD:
		return "ESTATE";
	case ENOMEM:
		return "ENOMEM";
	case EEXIST:
		return "EEXIST";
	case ENOENT:
		return "ENOENT";
	case EKEYREJECTED:
		return "EAUTH";
	case EBUSY:
		return "EBUSY";
	default:
		return strerror(e);
	}
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("kcore-vm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);

	if (!f || !buf)
		die("cannot read %s: %s", path, strerror(errno));
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap)
			break;
		if (cap >= (64u << 20))
			die("%s: too big", path);
		cap *= 2;
		buf = realloc(buf, cap);
		if (!buf)
			die("out of memory");
	}
	fclose(f);
	*len = n;
	return buf;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Create the VM, load the image where the manifest says, verify. */
static void vm_setup(const char *img_path, const char *man_path)
{
	size_t img_len, man_len;
	uint8_t *img = read_file(img_path, &img_len);
	uint8_t *man = read_file(man_path, &man_len);
	uint64_t vm, version = 0;

	if (man_len < 40 || memcmp(man, "KCOREMF1", 8) != 0)
		die("%s is not a kcore manifest (docs/MANIFEST.md)", man_path);
	if (man_len > KCORE_PAGE_SIZE)
		die("%s: a manifest fits in one page", man_path);
	uint32_t nimages = (uint32_t)man[12] | (uint32_t)man[13] << 8 | (uint32_t)man[14] << 16 |
			   (uint32_t)man[15] << 24;
	if (nimages != 1)
		die("%s lists %u images; kcore-vm loads exactly one", man_path, nimages);
	struct kcore_image im = { .guest_base = le64(man + 24), .size = le64(man + 32) };
	if (im.size == 0 || im.size % KCORE_PAGE_SIZE || im.size > (64u << 20))
		die("%s: image size %#llx", man_path, (unsigned long long)im.size);
	if (img_len > im.size)
		die("%s is %zu bytes, more than the manifest's %llu", img_path, img_len,
		    (unsigned long long)im.size);

	kfd = open("/dev/kcore", O_RDWR | O_CLOEXEC);
	if (kfd < 0)
		die("cannot open /dev/kcore (%s): is kcore.ko loaded?", strerror(errno));
	if (ioctl(kfd, KCORE_VERSION, &version))
		die("KC_HC_VERSION: %s", kc_name(errno));
	if (ioctl(kfd, KCORE_VM_CREATE, &vm))
		die("VM_CREATE: %s", kc_name(errno));
	for (uint32_t i = 0; i < nvcpus; i++)
		if (ioctl(kfd, KCORE_VCPU_CREATE, &i))
			die("VCPU_CREATE %u: %s", i, kc_name(errno));
	if (ioctl(kfd, KCORE_VM_SET_IMAGE, &im))
		die("VM_SET_IMAGE at %#llx: %s", (unsigned long long)im.guest_base, kc_name(errno));
	for (uint64_t off = 0; off < im.size; off += KCORE_PAGE_SIZE) {
		static uint8_t page[KCORE_PAGE_SIZE];
		size_t n = off < img_len ? img_len - off : 0;

		memset(page, 0, sizeof(page));
		memcpy(page, img + off, n > sizeof(page) ? sizeof(page) : n);
		struct kcore_image_page ip = { .index = im.index, .data = (uintptr_t)page };
		if (ioctl(kfd, KCORE_VM_LOAD_IMAGE_PAGE, &ip))
			die("VM_LOAD_IMAGE_PAGE: %s", kc_name(errno));
	}
	struct kcore_manifest m = { .data = (uintptr_t)man, .size = man_len };
	if (ioctl(kfd, KCORE_VM_VERIFY, &m)) {
		if (errno == EKEYREJECTED)
			die("the image does not verify (EAUTH)");
		die("VM_VERIFY: %s", kc_name(errno));
	}
	fprintf(stderr,
		"kcore-vm: VM %llu (kcore ABI %llu.%llu): %llu KiB image at %#llx verified, "
		"%u vCPUs\n",
		(unsigned long long)vm, (unsigned long long)(version >> 16),
		(unsigned long long)(version & 0xffff), (unsigned long long)(im.size >> 10),
		(unsigned long long)im.guest_base, nvcpus);
	free(img);
	free(man);
}

/* POWEROFF (if the guest did not), RECLAIM until nothing is left, DESTROY. */
static int vm_teardown(void)
{
	struct kcore_reclaim rec = { .max = 512, .left = 1 };
	int tries = 0;

	if (ioctl(kfd, KCORE_VM_POWEROFF) && errno != EBADFD)
		fprintf(stderr, "kcore-vm: VM_POWEROFF: %s\n", kc_name(errno));
	while (rec.left && tries++ < 100000) {
		if (ioctl(kfd, KCORE_VM_RECLAIM, &rec)) {
			if (errno == EBUSY) {
				sched_yield();
				continue;
			}
			fprintf(stderr, "kcore-vm: VM_RECLAIM: %s\n", kc_name(errno));
			return -1;
		}
	}
	if (ioctl(kfd, KCORE_VM_DESTROY)) {
		fprintf(stderr, "kcore-vm: VM_DESTROY: %s\n", kc_name(errno));
		return -1;
	}
	close(kfd);
	return 0;
}

static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/*
 * Load (store if `store`) the word at p in the guest's or the module's
 * page, cleaning and invalidating its cache line around it: the guest may
 * run with its MMU off (non-cacheable).  0 if it worked, else SIGBUS.
 */
static int guarded(volatile uint64_t *p, uint64_t *v, int store)
{
	struct sigaction sa, old_bus, old_segv;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_bus;
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	if (sigsetjmp(bus_jmp, 1) == 0) {
		__asm__ volatile("dc civac, %0\n\tdsb sy" : : "r"(p) : "memory");
		if (store)
			*p = *v;
		else
			*v = *p;
		__asm__ volatile("dc civac, %0\n\tdsb sy" : : "r"(p) : "memory");
		sig = 0;
	} else {
		sig = SIGBUS;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}

/* Map one page of the module's test hooks at `off` (kcore_uapi.h). */
static volatile uint64_t *hook_map(uint64_t off, int prot)
{
	void *p = mmap(NULL, KCORE_PAGE_SIZE, prot, MAP_SHARED, kfd, (off_t)off);

	if (p == MAP_FAILED)
		die("test hook mmap at %#llx: %s (kcore.ko needs test_hooks=1)",
		    (unsigned long long)off, strerror(errno));
	return p;
}

/* Read the first word of test-hook page `n`; 0 if it read, else the signal. */
static int try_read(unsigned n, uint64_t *v)
{
	volatile uint64_t *p = hook_map((uint64_t)n * KCORE_PAGE_SIZE, PROT_READ);
	int sig = guarded(p, v, 0);

	munmap((void *)p, KCORE_PAGE_SIZE);
	return sig;
}

/* --test-life: the host's side of the life guest's two calls (life.h). */
static void life_call(uint64_t id)
{
	static volatile uint64_t *page;
	uint64_t v = 0;

	if (!page)
		page = hook_map(KCORE_MMAP_GUEST + LIFE_PAGE, PROT_READ | PROT_WRITE);
	if (id == LIFE_CALL_SHARED) {
		if (guarded(&page[0], &v, 0) || v != LIFE_PAGE_MAGIC) {
			printf("kcore-vm: life: the shared page did not read its magic (%#llx)\n",
			       (unsigned long long)v);
			failed = 1;
			return;
		}
		v = LIFE_HOST_REPLY;
		if (guarded(&page[1], &v, 1)) {
			printf("kcore-vm: life: the store of the answer into the shared page failed\n");
			failed = 1;
			return;
		}
		printf("kcore-vm: life: the shared page read its magic; the answer written\n");
	} else if (guarded(&page[0], &v, 0) == 0) {
		printf("kcore-vm: life: the page taken back READ (%#llx): not protected\n",
		       (unsigned long long)v);
		failed = 1;
	} else {
		printf("kcore-vm: life: the page taken back: the read is refused (SIGBUS)\n");
	}
}

/*
 * A WFI: sleep until the guest's virtual timer is due (x2 of the exit, in
 * the guest's virtual counter, which is the physical count: kcore keeps
 * CNTVOFF 0 for guests, and Linux gives its EL0 the same count), at most
 * 20 ms so that a stop or another vCPU's SGI is not kept waiting; 1 ms
 * when no timer is armed.
 */
static void wfi_sleep(uint64_t due)
{
	uint64_t now, freq, ns = 1000000;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(now));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	if (due && freq) {
		ns = due > now ? (due - now) * 1000000000ull / freq : 0;
		if ((due > now && due - now > freq) || ns > 20000000)
			ns = 20000000;
	}
	if (ns) {
		struct timespec ts = { 0, (long)ns };
		nanosleep(&ts, NULL);
	}
}

static void *vcpu_main(void *arg);

/* Start a thread for vCPU n unless one runs it. */
static void vcpu_start(unsigned n)
{
	pthread_mutex_lock(&vlock);
	if (n < nvcpus && !vcpus[n].running) {
		if (vcpus[n].thread)
			pthread_join(vcpus[n].thread, NULL);
		vcpus[n].running = 1;
		if (pthread_create(&vcpus[n].thread, NULL, vcpu_main, (void *)(uintptr_t)n))
			die("cannot start a thread for vCPU %u", n);
	}
	pthread_mutex_unlock(&vlock);
}

/* An SGI the guest sent (ICC_SGI1R_EL1's fields): inject it into each vCPU named. */
static void deliver_sgi(unsigned self, uint64_t sgi1r)
{
	unsigned intid = (sgi1r >> 24) & 0xf;
	int all = (sgi1r >> 40) & 1;

	for (unsigned v = 0; v < nvcpus; v++) {
		if (all ? v == self : !((sgi1r >> v) & 1))
			continue;
		struct kcore_irq irq = { .vcpu = v, .intid = intid, .priority = 0xa0 };
		if (ioctl(kfd, KCORE_VCPU_INJECT_IRQ, &irq))
			fprintf(stderr, "kcore-vm: SGI %u to vCPU %u: %s\n", intid, v,
				kc_name(errno));
	}
}

static void *vcpu_main(void *arg)
{
	unsigned n = (unsigned)(uintptr_t)arg;
	struct kcore_run r = { .vcpu = n, .finish = KC_RUN_RESUME };

	while (!stop) {
		int cpu = sched_getcpu();

		if (ioctl(kfd, KCORE_VCPU_RUN, &r)) {
			if (errno == EINTR)
				continue;
			if (!stop) {
				fprintf(stderr, "kcore-vm: VCPU_RUN of vCPU %u: %s\n", n,
					kc_name(errno));
				failed = 1;
				stop = 1;
			}
			break;
		}
		if (cpu >= 0 && cpu < 64)
			vcpus[n].cpus |= 1ul << cpu;
		vcpus[n].exits++;
		r.finish = KC_RUN_RESUME;
		r.value = 0;
		switch (KC_EXIT_KIND(r.exit)) {
		case KC_EXIT_MMIO:
			/* A UART in the guarded page: UARTDR at 0; every load reads 0. */
			if ((r.exit & KC_EXIT_F_WRITE) && (r.x2 & 0xfff) == 0) {
				char c = (char)r.x3;
				if (write(1, &c, 1) != 1)
					failed = 1;
			}
			r.finish = KC_RUN_MMIO_DONE;
			break;
		case KC_EXIT_CALL:
			r.finish = KC_RUN_CALL_DONE;
			/* SMCCC NOT_SUPPORTED */
			r.value = (uint64_t)(int64_t)KC_PSCI_NOT_SUPPORTED;
			if (test_life && (r.x2 == LIFE_CALL_SHARED || r.x2 == LIFE_CALL_UNSHARED)) {
				life_call(r.x2);
				r.value = 0;
			}
			break;
		case KC_EXIT_WFI:
			if (test_irq == 1) {
				struct kcore_irq irq = { .vcpu = n,
							 .intid = IRQ_UART_SPI,
							 .priority = 0xa0 };
				if (ioctl(kfd, KCORE_VCPU_INJECT_IRQ, &irq)) {
					fprintf(stderr, "kcore-vm: INJECT_IRQ %u: %s\n",
						IRQ_UART_SPI, kc_name(errno));
					failed = 1;
				}
				test_irq = 2;
				break;
			}
			wfi_sleep(r.x2);
			break;
		case KC_EXIT_POWEROFF:
			fprintf(stderr, "kcore-vm: the guest powered off (PSCI %s)\n",
				(r.exit & KC_EXIT_F_RESET) ? "SYSTEM_RESET" : "SYSTEM_OFF");
			powered_off = 1;
			stop = 1;
			break;
		case KC_EXIT_CPU_ON:
			vcpu_start((unsigned)r.x2);
			break;
		case KC_EXIT_CPU_OFF:
			goto out;
		case KC_EXIT_SGI:
			deliver_sgi(n, r.x2);
			break;
		case KC_EXIT_YIELD:
		case KC_EXIT_IRQ:
			break;
		default:
			fprintf(stderr,
				"kcore-vm: vCPU %u: exit %#llx (x2 %#llx) kcore-vm cannot handle\n",
				n, (unsigned long long)r.exit, (unsigned long long)r.x2);
			failed = 1;
			stop = 1;
			break;
		}
	}
out:
	pthread_mutex_lock(&vlock);
	vcpus[n].running = 0;
	pthread_mutex_unlock(&vlock);
	return NULL;
}

static void on_kick(int sig)
{
	(void)sig; /* only interrupts a VCPU_RUN */
}

static void cpu_list(unsigned long set, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c < 64 && o < len; c++)
		if (set & (1ul << c))
			o += (size_t)snprintf(buf + o, len - o, "%s%u", o ? "," : "", c);
}

static int cmd_run(const char *img, const char *man)
{
	sigset_t wait_set, old;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick; /* no SA_RESTART: the ioctl returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&wait_set);
	sigaddset(&wait_set, SIGINT);
	sigaddset(&wait_set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &wait_set, &old); /* the vCPU threads never take them */

	vm_setup(img, man);
	vcpu_start(0);
	for (;;) {
		struct timespec ts = { 0, 20000000 };
		int any = 0, sig = sigtimedwait(&wait_set, NULL, &ts);

		if (sig > 0 && !stop) {
			fprintf(stderr, "kcore-vm: %s: stopping the VM\n", strsignal(sig));
			signalled = 1;
			stop = 1;
		}
		pthread_mutex_lock(&vlock);
		for (unsigned v = 0; v < nvcpus; v++) {
			if (!vcpus[v].running)
				continue;
			any = 1;
			if (stop) /* out of VCPU_RUN; again each round, none is missed */
				pthread_kill(vcpus[v].thread, SIGUSR1);
		}
		pthread_mutex_unlock(&vlock);
		if (!any)
			break;
	}
	for (unsigned v = 0; v < nvcpus; v++) {
		char cpus[160];

		if (vcpus[v].thread)
			pthread_join(vcpus[v].thread, NULL);
		if (!vcpus[v].exits)
			continue;
		cpu_list(vcpus[v].cpus, cpus, sizeof(cpus));
		fprintf(stderr, "kcore-vm: vCPU %u: %lu exits, ran on CPU %s\n", v, vcpus[v].exits,
			cpus);
	}
	uint64_t nframes;
	/* With the test hooks on: how many frames (a 2 MiB run counts one) the module gave. */
	if (ioctl(kfd, KCORE_TEST_FRAMES, &nframes) == 0)
		fprintf(stderr, "kcore-vm: the VM held %llu host frames (4 KiB or 2 MiB each)\n",
			(unsigned long long)nframes);
	if (vm_teardown())
		return 1;
	if (failed)
		return 1;
	if (!powered_off && !signalled) {
		fprintf(stderr, "kcore-vm: every vCPU stopped but the guest never powered off\n");
		return 1;
	}
	fprintf(stderr, "kcore-vm: the VM is torn down (VM_RECLAIM, VM_DESTROY)\n");
	return 0;
}

static int cmd_attack_read(const char *img, const char *man)
{
	uint64_t v = 0, nframes = 0;
	int bad = 0;

	vm_setup(img, man);
	if (ioctl(kfd, KCORE_TEST_FRAMES, &nframes))
		die("KCORE_TEST_FRAMES: %s (kcore.ko needs test_hooks=1)", strerror(errno));
	if (try_read(0, &v) == 0 && memcmp(&v, "KCOREMF1", 8) == 0) {
		printf("kcore-vm: attack-read: the host's own manifest frame reads \"KCOREMF1\" "
		       "(control)\n");
	} else {
		printf("kcore-vm: attack-read: the control read of the manifest frame failed\n");
		bad = 1;
	}
	for (unsigned i = 1; i <= nframes; i++) {
		v = 0;
		if (try_read(i, &v) == 0) {
			printf("kcore-vm: attack-read: the VM's frame %u READ (%#llx): not protected\n",
			       i, (unsigned long long)v);
			bad = 1;
		} else {
			printf("kcore-vm: attack-read: the VM's frame %u: refused (SIGBUS)\n", i);
		}
	}
	fflush(stdout);
	if (vm_teardown())
		return 1;
	return bad;
}

/*
 * bench-fault (test: kcore.ko test_hooks=1): the `touch` guest's first
 * touches of 4 KiB pages, counted by kcore.ko (KCORE_TEST_FAULT_BENCH,
 * kcore_uapi.h).  Prints each round and, over the rounds no interrupt
 * disturbed, the median per fault minus the guest's own three
 * instructions (ldr, add, b): linux_vm_fault4k_instr (bench/linux.py); and
 * the median at EL2 alone, kcore's share: linux_vm_fault4k_el2_instr.
 */
#define BENCH_FAULTS 32
#define BENCH_ROUNDS 12

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmd_bench_fault(const char *img, const char *man)
{
	uint64_t res[BENCH_ROUNDS][3], clean[BENCH_ROUNDS], el2[BENCH_ROUNDS];
	unsigned n = 0;

	vm_setup(img, man);
	struct kcore_fault_bench b = {
		.vcpu = 0, .faults = BENCH_FAULTS, .rounds = BENCH_ROUNDS, .out = (uintptr_t)res
	};
	if (ioctl(kfd, KCORE_TEST_FAULT_BENCH, &b))
		die("KCORE_TEST_FAULT_BENCH: %s (kcore.ko needs test_hooks=1)", strerror(errno));
	for (unsigned i = 0; i < BENCH_ROUNDS; i++) {
		printf("kcore-vm: bench-fault: round %u: %llu instructions for %u faults, %llu "
		       "at EL2%s\n",
		       i, (unsigned long long)res[i][0], BENCH_FAULTS,
		       (unsigned long long)res[i][1], res[i][2] ? " (interrupted: dropped)" : "");
		if (!res[i][2]) {
			el2[n] = res[i][1];
			clean[n++] = res[i][0];
		}
	}
	if (vm_teardown())
		return 1;
	if (n == 0 || clean[0] == 0) {
		printf("kcore-vm: bench-fault: linux_vm_fault4k_instr unavailable\n");
		return 1;
	}
	qsort(clean, n, sizeof(clean[0]), cmp_u64);
	qsort(el2, n, sizeof(el2[0]), cmp_u64);
	printf("kcore-vm: bench-fault: %u undisturbed rounds, %llu to %llu per fault\n", n,
	       (unsigned long long)(clean[0] / BENCH_FAULTS),
	       (unsigned long long)(clean[n - 1] / BENCH_FAULTS));
	/* kcore's share: VM_MAP_FAULT, VCPU_RUN's entry, the fault's exit. */
	printf("kcore-vm: bench-fault: linux_vm_fault4k_el2_instr %llu\n",
	       (unsigned long long)(el2[n / 2] / BENCH_FAULTS));
	printf("kcore-vm: bench-fault: linux_vm_fault4k_instr %llu\n",
	       (unsigned long long)(clean[n / 2] / BENCH_FAULTS - 3));
	return 0;
}

static void usage(void)
{
	fputs("usage: kcore-vm run [--vcpus N] [--test-life | --test-irq] GUEST.IMG "
	      "GUEST.MANIFEST\n"
	      "       kcore-vm attack-read GUEST.IMG GUEST.MANIFEST  (test: kcore.ko test_hooks=1)\n"
	      "       kcore-vm bench-fault TOUCH.IMG TOUCH.MANIFEST  (bench: kcore.ko test_hooks=1)\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	int i = 2;

	if (argc < 2)
		usage();
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--vcpus") == 0 && i + 1 < argc) {
			nvcpus = (unsigned)strtoul(argv[++i], NULL, 0);
			if (nvcpus < 1 || nvcpus > MAX_VCPUS)
				die("--vcpus: 1 to %d", MAX_VCPUS);
		} else if (strcmp(argv[i], "--test-life") == 0) {
			test_life = 1;
		} else if (strcmp(argv[i], "--test-irq") == 0) {
			test_irq = 1;
		} else {
			usage();
		}
	}
	if (argc != i + 2)
		usage();
	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argv[i], argv[i + 1]);
	if (strcmp(argv[1], "attack-read") == 0)
		return cmd_attack_read(argv[i], argv[i + 1]);
	if (strcmp(argv[1], "bench-fault") == 0)
		return cmd_bench_fault(argv[i], argv[i + 1]);
	usage();
	return 2;
}
