/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A VM's whole life on two physical CPUs: the signed life guest
 * (tests/arm64/guests/life, life.h).  The boot CPU (A) and one secondary
 * (B, started through kcore's PSCI relay with host_cpu_job set) both run
 * its vCPUs:
 *   A  vCPU 0 prints, faults LIFE_PAGE in     (backed with a 4 KiB frame)
 *   B  vCPU 0, moved, goes on: faults LIFE_BLOCK in (backed with a 2 MiB block)
 *   A  vCPU 0 shares a page, unshares it, starts vCPU 1 (KC_EXIT_CPU_ON)
 *   B  vCPU 1 runs ...
 *   A  ... while vCPU 0 runs: they meet in guest memory; vCPU 0 powers off
 * and the host reclaims and destroys the VM.  Attacks, each with its
 * control in the same run: VCPU_RUN of a vCPU running on the other CPU
 * (KC_EBUSY; the other vCPU runs), the block's frames while the VM owns
 * them (injected abort; the host frames either side read), the page after
 * UNSHARE (abort; it read while shared).
 *
 * The host runs with its MMU off: what the CPUs share below is Device
 * memory, coherent between them, so plain stores and polling, never
 * exclusives (test_smp.c).
 */
#include "host.h"
#include "life.h"
#include <string.h>

/* tests/arm64/guests/life, linked in by guests.S. */
extern const uint8_t guest_life_image[], guest_life_image_end[];
extern const uint8_t guest_life_manifest[], guest_life_manifest_end[];

#define TIMEOUT_MS 10000

/* What a VCPU_RUN came back with, after the MMIO exits it emulated. */
struct vm_exit {
	int64_t rc;
	uint64_t x1, x2, x3;
	uint64_t mpidr; /* of the CPU that ran it */
};

/* The guest's UART output, from whichever CPU ran the vCPU that wrote it. */
static volatile char uart_out[32];
static volatile unsigned uart_n;

/*
 * VCPU_RUN(vm, vcpu, finish, value), again after every MMIO exit (a store
 * to LIFE_UART is output; any other access reads 0), until another exit.
 */
static struct vm_exit run_vcpu(uint64_t vm, uint64_t vcpu, uint64_t finish, uint64_t value)
{
	struct vm_exit e = { .mpidr = read_mpidr() };

	for (;;) {
		struct host_call c = { { KC_HC_VCPU_RUN, vm, vcpu, finish, value, 0, 0 } };

		hvc(&c);
		e.rc = (int64_t)c.x[0];
		e.x1 = c.x[1];
		e.x2 = c.x[2];
		e.x3 = c.x[3];
		if (e.rc != KC_OK || KC_EXIT_KIND(e.x1) != KC_EXIT_MMIO)
			return e;
		if ((e.x1 & KC_EXIT_F_WRITE) && e.x2 == LIFE_UART && uart_n < sizeof(uart_out) - 1)
			uart_out[uart_n++] = (char)e.x3;
		finish = KC_RUN_MMIO_DONE;
		value = 0;
	}
}

/* CPU B's side: one run_vcpu per request from CPU A, until told to stop. */
static struct {
	volatile uint64_t seq, done; /* a request is pending while seq != done */
	volatile uint64_t quit, vm, vcpu, finish;
	volatile uint64_t entering; /* set just before its VCPU_RUN */
	struct vm_exit exit;
} work;

static void vm_worker(unsigned n)
{
	(void)n;
	for (;;) {
		while (work.seq == work.done)
			;
		if (work.quit)
			break;
		work.entering = 1;
		struct vm_exit e = run_vcpu(work.vm, work.vcpu, work.finish, 0);
		work.entering = 0;
		work.exit.rc = e.rc;
		work.exit.x1 = e.x1;
		work.exit.x2 = e.x2;
		work.exit.x3 = e.x3;
		work.exit.mpidr = e.mpidr;
		__asm__ volatile("dsb sy" : : : "memory");
		work.done = work.seq;
	}
	work.done = work.seq;
}

static void worker_start(uint64_t vm, uint64_t vcpu, uint64_t finish)
{
	work.vm = vm;
	work.vcpu = vcpu;
	work.finish = finish;
	__asm__ volatile("dsb sy" : : : "memory");
	work.seq++;
}

static bool worker_wait(struct vm_exit *e)
{
	uint64_t t0 = now_ms();

	while (work.done != work.seq)
		if (now_ms() - t0 > TIMEOUT_MS)
			return false;
	__asm__ volatile("dsb sy" : : : "memory"); /* its results after its done */
	e->rc = work.exit.rc;
	e->x1 = work.exit.x1;
	e->x2 = work.exit.x2;
	e->x3 = work.exit.x3;
	e->mpidr = work.exit.mpidr;
	return true;
}

/* An exit of `kind` (and IPA or call id x2, if `x2` is not ~0). */
static bool exit_is(const struct vm_exit *e, unsigned kind, uint64_t x2)
{
	if (e->rc == KC_OK && KC_EXIT_KIND(e->x1) == kind && (x2 == ~0ull || e->x2 == x2))
		return true;
	puts_("vm-smp: exit rc ");
	puthex((uint64_t)e->rc);
	puts_(" x1 ");
	puthex(e->x1);
	puts_(" x2 ");
	puthex(e->x2);
	putc_('\n');
	return false;
}

static bool load_is(uint64_t addr, uint64_t want)
{
	uint64_t v = ~want;

	return host_load(addr, &v, NULL) && v == want;
}

/* The 2 MiB block and the page after UNSHARE are the VM's: every access aborts; next door reads. */
static void attack_vm_frames(void)
{
	result("vm-smp: a host load from the 2 MiB block's first frame aborts",
	       !host_load(VMS_BLOCK, NULL, NULL), "the host read a VM's frame");
	expect_abort("vm-smp: ... an injected synchronous external abort", VMS_BLOCK, EC_DABT_CUR,
		     false);
	result("vm-smp: a host store into the block's middle aborts",
	       !host_store(VMS_BLOCK + 0x100000, 0x41), "the host wrote a VM's frame");
	expect_abort("vm-smp: ... an injected abort, WnR set", VMS_BLOCK + 0x100000, EC_DABT_CUR,
		     true);
	result("vm-smp: a host load from the block's last frame aborts",
	       !host_load(VMS_BLOCK + LIFE_BLOCK_SIZE - 8, NULL, NULL),
	       "the host read a VM's frame");
	result("vm-smp: the host frame after the block reads (control)",
	       host_load(VMS_BLOCK + LIFE_BLOCK_SIZE, NULL, NULL), "aborted");
	result("vm-smp: the host frame before the block reads (control)",
	       host_load(VMS_BLOCK - 0x1000, NULL, NULL), "aborted");
}

/* Returns the index of a CPU other than the boot CPU, or ncpus. */
static unsigned other_cpu(void)
{
	uint64_t boot = read_mpidr();

	for (unsigned i = 0; i < ncpus; i++)
		if ((cpu_mpidr[i] & 0xff00ffffffull) != boot)
			return i;
	return ncpus;
}

/* VCPU_RUN of vCPU 1 from CPU A while CPU B runs it: KC_EBUSY, never a second run. */
static void attack_run_twice(uint64_t vm)
{
	uint64_t t0 = now_ms();
	int64_t rc = KC_ESTATE;
	unsigned other = 0;

	while (!work.entering && now_ms() - t0 < TIMEOUT_MS)
		;
	/*
	 * MMIO_DONE: if vCPU 1 is not RUNNING yet (CPU B between its flag and
	 * its VCPU_RUN), the call fails ESTATE (no MMIO exit pending) and
	 * changes nothing, so this loop can never run vCPU 1 here itself.
	 */
	while (now_ms() - t0 < TIMEOUT_MS) {
		rc = call(KC_HC_VCPU_RUN, vm, 1, KC_RUN_MMIO_DONE, 0, 0, 0, NULL);
		if (rc == KC_EBUSY)
			break;
		if (rc != KC_ESTATE)
			other++;
	}
	expect("vm-smp: VCPU_RUN of vCPU 1 while CPU B runs it -> EBUSY", rc, KC_EBUSY);
	expect("vm-smp: ... and never anything but ESTATE before it ran", other, 0);
	/*
	 * Nor can its interrupt state change under it: vCPU 1 waits in guest
	 * memory for vCPU 0, which runs only after this, so it is still
	 * running.  (The control, an injection into a vCPU that is not
	 * running, is test_irq.c's, in the same run.)
	 */
	expect("vm-smp: VCPU_INJECT_IRQ into vCPU 1 while CPU B runs it -> EBUSY",
	       call(KC_HC_VCPU_INJECT_IRQ, vm, 1, 33, 0xa0, 0, 0, NULL), KC_EBUSY);
}

void test_vm_smp(void)
{
	size_t image_len = (size_t)(guest_life_image_end - guest_life_image);
	size_t manifest_len = (size_t)(guest_life_manifest_end - guest_life_manifest);
	uint64_t entry = (uint64_t)(uintptr_t)host_secondary_entry;
	uint64_t vm = 0, idx = 0, left = 1, v = 1;
	unsigned b = other_cpu();
	struct vm_exit e = { 0 }, e1 = { 0 };

	if (!HOST_GUEST_KEY_TRUSTED) {
		result("vm-smp: life # SKIP the image does not trust tests/arm64/guests/test-guest.pub",
		       true, NULL);
		return;
	}
	if (b == ncpus) {
		result("vm-smp: a second CPU to run vCPUs on", false, "the DTB lists one CPU");
		return;
	}
	result("vm-smp: the image and manifest fit a page each",
	       image_len <= 4096 && manifest_len <= 4096, "too big");
	host_fill_page(VMS_IMAGE, guest_life_image, image_len);
	host_fill_page(VMS_MANIFEST, guest_life_manifest, manifest_len);
	expect("vm-smp: VM_CREATE", call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm), KC_OK);
	expect("vm-smp: VCPU_CREATE 0", call(KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("vm-smp: VCPU_CREATE 1", call(KC_HC_VCPU_CREATE, vm, 1, 0, 0, 0, 0, NULL), KC_OK);
	expect("vm-smp: VM_SET_IMAGE",
	       call(KC_HC_VM_SET_IMAGE, vm, LIFE_BASE, 0x1000, 0, 0, 0, &idx), KC_OK);
	expect("vm-smp: VM_LOAD_IMAGE_PAGE",
	       call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, idx, VMS_IMAGE >> 12, 0, 0, 0, NULL), KC_OK);
	expect("vm-smp: VM_VERIFY with the signed manifest (4 MiB of RAM)",
	       call(KC_HC_VM_VERIFY, vm, VMS_MANIFEST >> 12, 0, 0, 0, 0, NULL), KC_OK);
	expect("vm-smp: VCPU_RUN of vCPU 1 before the guest started it -> ESTATE",
	       call(KC_HC_VCPU_RUN, vm, 1, KC_RUN_RESUME, 0, 0, 0, NULL), KC_ESTATE);

	work.quit = 0;
	work.done = work.seq;
	host_cpu_job[b] = vm_worker;
	expect("vm-smp: CPU_ON of CPU B for the VM's vCPUs",
	       (int64_t)smc(KC_PSCI_CPU_ON64, cpu_mpidr[b], entry, b), KC_PSCI_SUCCESS);

	/* A: vCPU 0 prints, then its first touch of LIFE_PAGE. */
	e = run_vcpu(vm, 0, KC_RUN_RESUME, 0);
	result("vm-smp: CPU A: vCPU 0 faults on its 4 KiB page",
	       exit_is(&e, KC_EXIT_FAULT, LIFE_PAGE) && (e.x1 & KC_EXIT_F_WRITE), "wrong exit");
	result("vm-smp: the host writes the 4 KiB frame while it is its own (control)",
	       host_store(VMS_PAGE, 0x41), "aborted");
	expect("vm-smp: VM_MAP_FAULT with a 4 KiB frame",
	       call(KC_HC_VM_MAP_FAULT, vm, 0, VMS_PAGE >> 12, 3, 0, 0, NULL), KC_OK);

	/* B: vCPU 0 moves, retries its store there and faults on the 2 MiB region. */
	worker_start(vm, 0, KC_RUN_RESUME);
	result("vm-smp: CPU B: vCPU 0, moved, goes on to fault on its 2 MiB region",
	       worker_wait(&e) && exit_is(&e, KC_EXIT_FAULT, LIFE_BLOCK), "wrong exit");
	result("vm-smp: ... it ran on CPU B", e.mpidr == (cpu_mpidr[b] & 0xff00ffffffull),
	       "on another CPU");
	/* The host uses the frames first: its stage 2 maps them (one block), kcore must unmap it. */
	result("vm-smp: the host writes the block's frames while they are its own (control)",
	       host_store(VMS_BLOCK, 0x41) && host_store(VMS_BLOCK + 0x100000, 0x41) &&
		       host_store(VMS_BLOCK + LIFE_BLOCK_SIZE - 8, 0x41),
	       "aborted");
	expect("vm-smp: VM_MAP_FAULT of the region with a 2 MiB block",
	       call(KC_HC_VM_MAP_FAULT, vm, 0, VMS_BLOCK >> 12, 2, 0, 0, NULL), KC_OK);
	attack_vm_frames();

	/* A: vCPU 0 back; shares the page: the host reads its magic, answers. */
	e = run_vcpu(vm, 0, KC_RUN_RESUME, 0);
	result("vm-smp: CPU A: vCPU 0 shares its page (no fault on the block's last word)",
	       exit_is(&e, KC_EXIT_CALL, LIFE_CALL_SHARED), "wrong exit");
	result("vm-smp: the host reads what the guest wrote into the shared page",
	       load_is(VMS_PAGE, LIFE_PAGE_MAGIC), "aborted or wrong value");
	result("vm-smp: ... and writes its answer", host_store(VMS_PAGE + 8, LIFE_HOST_REPLY),
	       "aborted");
	e = run_vcpu(vm, 0, KC_RUN_CALL_DONE, 0);
	result("vm-smp: the guest read the answer and took its page back",
	       exit_is(&e, KC_EXIT_CALL, LIFE_CALL_UNSHARED), "wrong exit");
	result("vm-smp: a host load from the unshared page aborts",
	       !host_load(VMS_PAGE, NULL, NULL), "the host read a page the guest took back");
	expect_abort("vm-smp: ... an injected abort", VMS_PAGE, EC_DABT_CUR, false);
	result("vm-smp: the host frame after it reads (control)",
	       host_load(VMS_PAGE + 0x1000, NULL, NULL), "aborted");

	/* A: vCPU 0 starts vCPU 1; B runs it while A runs vCPU 0. */
	e = run_vcpu(vm, 0, KC_RUN_CALL_DONE, 0);
	result("vm-smp: vCPU 0's PSCI CPU_ON: a CPU_ON exit naming vCPU 1",
	       exit_is(&e, KC_EXIT_CPU_ON, 1), "wrong exit");
	worker_start(vm, 1, KC_RUN_RESUME);
	attack_run_twice(vm);
	e = run_vcpu(vm, 0, KC_RUN_RESUME, 0);
	result("vm-smp: CPU A runs vCPU 0 meanwhile (control): it met vCPU 1 and powered off",
	       exit_is(&e, KC_EXIT_POWEROFF, ~0ull), "wrong exit");
	result("vm-smp: CPU B: vCPU 1 stopped with PSCI CPU_OFF",
	       worker_wait(&e1) && exit_is(&e1, KC_EXIT_CPU_OFF, ~0ull), "wrong exit");
	work.quit = 1;
	__asm__ volatile("dsb sy" : : : "memory");
	work.seq++;
	result("vm-smp: CPU B went off", wait_off(b), "still on");
	host_cpu_job[b] = NULL;

	uart_out[uart_n] = '\0';
	puts_("vm-smp: the life VM wrote: ");
	puts_((const char *)uart_out);
	result("vm-smp: its UART said \"life\\nbye\\n\" (both vCPUs ran at once)",
	       uart_n == 9 && memcmp((const char *)uart_out, "life\nbye\n", 9) == 0,
	       "wrong output");

	for (unsigned i = 0; i < 8 && left; i++)
		if (call(KC_HC_VM_RECLAIM, vm, 512, 0, 0, 0, 0, &left) != KC_OK)
			break;
	expect("vm-smp: VM_RECLAIM until no frame is left", (int64_t)left, 0);
	expect("vm-smp: VM_DESTROY", call(KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	result("vm-smp: the block's frames are the host's again, scrubbed",
	       load_is(VMS_BLOCK, 0) && load_is(VMS_BLOCK + 0x100000, 0) &&
		       load_is(VMS_BLOCK + LIFE_BLOCK_SIZE - 8, 0),
	       "aborted or not scrubbed");
	result("vm-smp: the 4 KiB frame too", load_is(VMS_PAGE, 0) && load_is(VMS_PAGE + 8, 0),
	       "aborted or not scrubbed");
	result("vm-smp: the image frame too", host_load(VMS_IMAGE, &v, NULL) && v == 0,
	       "aborted or not scrubbed");
}
