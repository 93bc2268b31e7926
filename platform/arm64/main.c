/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore's arm64 boot, from start.S to the exit status: read the DTB, build
 * the boot layout, let core build its EL2 map, turn the MMU on, check that
 * the hardware agrees with core's tables, run the crypto known-answer
 * tests, and exit through semihosting.
 *
 * The exit status says how far it got (enum kcore_exit_status); the QEMU
 * tests in tests/qemu assert on it and on the console output.
 */
#include <kcore/abi.h>
#include <kcore/crypto.h>
#include <kcore/kcore.h>
#include <kcore/mem.h>
#include <kcore/platform.h>
#include <kcore/printf.h>

#include "arm64_check.h"
#include "arm64_fdt.h"
#include "arm64_host.h"
#include "arm64_keys.h"
#include "arm64_percpu.h"
#include "arm64_plat.h"
#include "el2_mmu.h"
#include "pl011.h"
#include "semihost.h"
#include "smmuv3.h"
#include "sysreg.h"

#include <libfdt.h>

#ifndef KCORE_VERSION
#error "meson passes KCORE_VERSION (the project version)"
#endif

/*
 * kcore's configuration on this platform.  The frames for its metadata
 * (frame table, table pools) are carved from the top of the last RAM
 * region; for 1 GiB of RAM that is about 22 MiB: 2 MiB of frame table,
 * 2 MiB of host stage-2 tables, 16 VM pools of 1 MiB and the window tables.
 */
#define ARM64_MAX_VMS	    16
#define ARM64_VM_POOL_PAGES 256
#define ARM64_REMAP_PAGES   (64u << 8) /* 64 MiB of boot images over kcore's life */
/* With an SMMU: 16 IO domains of up to 32 table pages (128 KiB) each. */
#define ARM64_MAX_IODOMS    16
#define ARM64_IODOM_PAGES   32

/*
 * Inside the 48-bit VA range but never mapped: the core map is an identity
 * map of RAM (QEMU virt: from 1 GiB) and low MMIO, and no machine kcore
 * supports has anything at 128 TiB.
 */
#define ARM64_UNMAPPED_VA   0x0000800000000000ull

extern char __image_start[], __image_end[], __text_start[], __text_end[], el2_stack_top[];

/* Room the host's DTB may grow by in place: kcore's /reserved-memory nodes. */
#define ARM64_DTB_SLACK 0x1000ull

static struct kc_boot_layout arm64_layout;
static struct kc_config arm64_config;

/* kcore.selftest=... on the command line: make the boot fail on purpose. */
enum arm64_selftest {
	ARM64_SELFTEST_NONE,
	ARM64_SELFTEST_FAULT,	   /* load from an unmapped VA */
	ARM64_SELFTEST_WRITE_TEXT, /* store into kcore's text (mapped read+execute) */
};

_Noreturn void kcore_arm64_main(uint64_t dtb);
_Noreturn void kcore_arm64_wrong_el(uint64_t el);

static uint64_t arm64_addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static _Noreturn void arm64_fail(int status)
{
	kc_printf("kcore: boot failed (exit status %d)\n", status);
	semihost_exit(status);
}

static bool arm64_layout_build(const struct arm64_fdt_info *fdt, struct kc_boot_layout *l,
			       const char **why)
{
	uint64_t uart = fdt->uart_base & ~(PGT_PAGE_SIZE - 1);
	uint64_t uart_end =
		(fdt->uart_base + fdt->uart_size + PGT_PAGE_SIZE - 1) & ~(PGT_PAGE_SIZE - 1);

	for (unsigned i = 0; i < fdt->nram; i++)
		l->ram[i] = fdt->ram[i];
	l->nram = fdt->nram;
	l->devices[0].base = uart;
	l->devices[0].size = uart_end - uart;
	l->ndevices = 1;
	/*
	 * The console is shared with the host (a Linux host needs its UART):
	 * the host may map it as a device, kcore keeps printing to it (its
	 * messages are public) with bounded waits (pl011.c).
	 */
	l->devices_host_shared = 1u << 0;
	/*
	 * Each SMMU's registers are a kcore device the host does not share:
	 * core maps them for the driver and keeps them out of the host's
	 * stage 2, so a host access is refused with an abort
	 * (docs/SMMU.md, "On arm64").  Probed here, MMU off, at their physical
	 * address: the layout must say how many streams and IOVA bits.
	 */
	l->nsmmus = 0;
	for (unsigned i = 0; i < fdt->nsmmus; i++) {
		struct kc_smmu_desc *d = &l->smmus[l->nsmmus];

		if (l->ndevices == KC_MAX_DEVICES) {
			*why = "more devices than KC_MAX_DEVICES";
			return false;
		}
		if (!smmuv3_probe(fdt->smmu[i].base, d, why))
			return false;
		d->device = l->ndevices;
		l->devices[l->ndevices++] = fdt->smmu[i];
		l->nsmmus++;
	}
	l->image.base = arm64_addr(__image_start);
	l->image.size = arm64_addr(__image_end) - arm64_addr(__image_start);
	l->text.base = arm64_addr(__text_start);
	l->text.size = arm64_addr(__text_end) - arm64_addr(__text_start);
	return true;
}

/*
 * The configuration, with the trusted keys this image was built with
 * (-Dtrusted_keys: never from the host at run time), and kcore's frames
 * at the top of the last RAM region.
 */
static bool arm64_config_build(struct kc_boot_layout *l, struct kc_config *cfg)
{
	cfg->ncpus = arm64_percpu_count();
	cfg->max_vms = ARM64_MAX_VMS;
	cfg->vm_pool_pages = ARM64_VM_POOL_PAGES;
	cfg->remap_pages = ARM64_REMAP_PAGES;
	/* No SMMU, no IO domains: the SMMU calls then refuse everything. */
	cfg->max_iodoms = l->nsmmus ? ARM64_MAX_IODOMS : 0;
	cfg->iodom_pool_pages = l->nsmmus ? ARM64_IODOM_PAGES : 0;
	cfg->ntrusted_keys = arm64_ntrusted_keys;
	for (unsigned i = 0; i < arm64_ntrusted_keys && i < KC_MAX_TRUSTED_KEYS; i++)
		memcpy(cfg->trusted_keys[i], arm64_trusted_keys[i], sizeof(cfg->trusted_keys[i]));

	const struct kc_region *top = &l->ram[l->nram - 1];
	uint64_t bytes = (kcore_core_bytes(l, cfg) + PGT_PAGE_SIZE - 1) & ~(PGT_PAGE_SIZE - 1);
	if (bytes >= top->size)
		return false;
	l->pool.base = top->base + top->size - bytes;
	l->pool.size = bytes;
	return true;
}

/*
 * Prove the MMU runs on core's tables: for addresses in text, data, the
 * table pool and the UART, the hardware walk (AT S1E2R) and core's
 * software walk (pgt_lookup) must both give VA = PA; an unmapped VA must
 * fault in both; a value written through the map must read back.
 */
static bool arm64_mmu_check(const struct pgt *map)
{
	static volatile uint64_t probe;
	const struct {
		const char *what;
		uint64_t va;
	} probes[] = {
		{ "text", arm64_addr(__text_start) },
		{ "data", arm64_addr((const void *)&probe) },
		{ "pool", map->root },
		{ "uart", pl011_base() },
	};
	struct pgt_leaf leaf;
	uint64_t pa;
	bool ok = el2_mmu_is_on();

	if (!ok)
		kc_printf("kcore: SCTLR_EL2.M reads back 0\n");
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t va = probes[i].va;
		bool hw = el2_mmu_translate(va, &pa);
		bool sw = pgt_lookup(map, va, &leaf);

		if (!hw || !sw || pa != va || leaf.pa != va) {
			kc_printf(
				"kcore: MMU check: %s VA 0x%llx: AT %s 0x%llx, core map %s 0x%llx\n",
				probes[i].what, (unsigned long long)va, hw ? "->" : "faults",
				(unsigned long long)(hw ? pa : 0), sw ? "->" : "has nothing",
				(unsigned long long)(sw ? leaf.pa : 0));
			ok = false;
		}
	}
	if (el2_mmu_translate(ARM64_UNMAPPED_VA, &pa) ||
	    pgt_lookup(map, ARM64_UNMAPPED_VA, &leaf)) {
		kc_printf("kcore: MMU check: VA 0x%llx should be unmapped\n", ARM64_UNMAPPED_VA);
		ok = false;
	}
	probe = 0x6b636f72652d6f6bull;
	if (probe != 0x6b636f72652d6f6bull) {
		kc_printf("kcore: MMU check: data does not read back\n");
		ok = false;
	}
	return ok;
}

/*
 * Nothing in the boot path invalidates yet (the core map is write-once),
 * so run each maintenance operation once: each must execute at EL2
 * without trapping, the stage-2 ones must put VTTBR_EL2 back, and the CPU
 * id must be the boot CPU's.
 */
static bool arm64_maintenance_check(void)
{
	static uint8_t line[256];
	uint64_t vttbr = read_sysreg(vttbr_el2);
	bool ok = true;

	plat_tlbi_el2_va(arm64_addr(__text_start));
	plat_tlbi_el2_all();
	plat_tlbi_s2_ipa(1, arm64_layout.ram[0].base);
	plat_tlbi_s2_range(1, arm64_layout.ram[0].base, 0x200000);
	plat_tlbi_s2_vmid(1);
	plat_dcache_clean_inval_poc(line, sizeof(line));
	plat_icache_inval_all();
	plat_barrier_tables();
	plat_barrier_full();
	if (read_sysreg(vttbr_el2) != vttbr) {
		kc_printf("kcore: maintenance check: VTTBR_EL2 not restored\n");
		ok = false;
	}
	if (plat_cpu_id() != 0) {
		kc_printf("kcore: maintenance check: boot CPU id %u, not 0\n", plat_cpu_id());
		ok = false;
	}
	return ok;
}

static enum arm64_selftest arm64_selftest_from(const char *bootargs)
{
	if (arm64_fdt_bootarg_has(bootargs, "kcore.selftest=fault"))
		return ARM64_SELFTEST_FAULT;
	if (arm64_fdt_bootarg_has(bootargs, "kcore.selftest=write-text"))
		return ARM64_SELFTEST_WRITE_TEXT;
	return ARM64_SELFTEST_NONE;
}

/* The fault tests: each must end in el2_exception_handler, never come back. */
static void arm64_selftest_run(enum arm64_selftest t)
{
	if (t == ARM64_SELFTEST_FAULT) {
		kc_printf("kcore: selftest: loading from unmapped VA 0x%llx\n", ARM64_UNMAPPED_VA);
		(void)*(volatile uint64_t *)(uintptr_t)ARM64_UNMAPPED_VA;
	} else if (t == ARM64_SELFTEST_WRITE_TEXT) {
		kc_printf("kcore: selftest: writing to kcore text at 0x%llx\n",
			  (unsigned long long)arm64_addr(__text_start));
		*(volatile uint32_t *)(void *)__text_start = 0;
	} else {
		return;
	}
	kc_printf("kcore: selftest: the access did not fault\n");
	arm64_fail(KCORE_EXIT_BOOT);
}

static void arm64_entropy_report(void)
{
	uint64_t a = 0, b = 0;

	if (!arm64_entropy_present())
		kc_printf("kcore: entropy: no FEAT_RNG on this CPU\n");
	else if (!plat_entropy(&a, sizeof(a)) || !plat_entropy(&b, sizeof(b)) || a == b)
		kc_printf("kcore: entropy: FEAT_RNG present but RNDR failing\n");
	else
		kc_printf("kcore: entropy: FEAT_RNG (RNDR) ok\n");
}

static bool arm64_overlaps(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
	return a < b + bsize && b < a + asize;
}

/*
 * Hand the machine to the host Image at `host`: hide kcore's memory in the
 * DTB (grown in place by at most ARM64_DTB_SLACK, which must stay in RAM
 * and clear of kcore and of the host Image), make the edit visible to a
 * host reading with its MMU and caches off, and enter it at EL1.
 */
static _Noreturn void arm64_host_boot(uint64_t dtb, uint64_t host, uint64_t host_size)
{
	const struct kc_region hidden[] = { arm64_layout.image, arm64_layout.pool };
	const struct kc_region *ram0 = &arm64_layout.ram[0];
	uint64_t bufsize = fdt_totalsize((const void *)(uintptr_t)dtb) + ARM64_DTB_SLACK;
	const char *why;

	kc_printf("kcore: boot complete; host Image at 0x%llx (%llu KiB)\n",
		  (unsigned long long)host, (unsigned long long)(host_size >> 10));
	if (dtb < ram0->base || bufsize > ram0->base + ram0->size - dtb ||
	    arm64_overlaps(dtb, bufsize, host, host_size)) {
		kc_printf("kcore: the DTB at 0x%llx has no room to grow in host RAM\n",
			  (unsigned long long)dtb);
		arm64_fail(KCORE_EXIT_BOOT);
	}
	for (unsigned i = 0; i < 2; i++) {
		if (arm64_overlaps(dtb, bufsize, hidden[i].base, hidden[i].size) ||
		    arm64_overlaps(host, host_size, hidden[i].base, hidden[i].size)) {
			kc_printf("kcore: the DTB or the host Image overlaps kcore's memory\n");
			arm64_fail(KCORE_EXIT_BOOT);
		}
	}
	if (!arm64_host_stage2_ok()) {
		kc_printf("kcore: this CPU has fewer than 48 PA bits: no host stage 2\n");
		arm64_fail(KCORE_EXIT_BOOT);
	}
	if (arm64_layout.nsmmus &&
	    arm64_fdt_hide_smmus((void *)(uintptr_t)dtb, bufsize, &why) != KC_OK) {
		kc_printf("kcore: %s\n", why);
		arm64_fail(KCORE_EXIT_BOOT);
	}
	if (arm64_fdt_reserve((void *)(uintptr_t)dtb, bufsize, hidden, 2, &why) != KC_OK) {
		kc_printf("kcore: %s\n", why);
		arm64_fail(KCORE_EXIT_BOOT);
	}
	plat_dcache_clean_inval_poc((void *)(uintptr_t)dtb, bufsize);
	kc_printf("kcore: DTB for the host: kcore's image and pool reserved no-map\n");
	if (arm64_layout.nsmmus)
		kc_printf("kcore: DTB for the host: SMMU node(s) disabled, iommu-map removed\n");
	if (KCORE_EL2_CHECK == 1)
		kc_printf("kcore: EL2 checker on: kcore_check after every host call and fault\n");
	else if (KCORE_EL2_CHECK == 2)
		kc_printf(
			"kcore: EL2 checker on: kcore_check_incremental after every host call and "
			"fault\n");
	kc_printf("kcore: entering the host at 0x%llx at EL1, x0 = DTB 0x%llx\n",
		  (unsigned long long)host, (unsigned long long)dtb);
	arm64_host_enter(host, dtb, arm64_addr(el2_stack_top));
}

_Noreturn void kcore_arm64_wrong_el(uint64_t el)
{
	char level[] = "kcore: entered at EL?";

	level[sizeof(level) - 2] = (char)('0' + (el & 3));
	pl011_puts(level);
	pl011_puts(", not EL2: kcore runs at EL2 (QEMU: -M virt,virtualization=on)\n");
	semihost_exit(KCORE_EXIT_NOT_EL2);
}

_Noreturn void kcore_arm64_main(uint64_t dtb)
{
	struct arm64_fdt_info fdt;
	enum arm64_selftest selftest;
	const char *why;
	unsigned failed;
	int rc;

	/* The UART is still QEMU virt's default: the DTB has not been read. */
	if (dtb == 0 || (dtb & 7)) {
		kc_printf("kcore: no device tree (x0 = 0x%llx): boot the raw image (kcore.bin), "
			  "QEMU passes a DTB only to Linux-style images\n",
			  (unsigned long long)dtb);
		arm64_fail(KCORE_EXIT_BOOT);
	}
	rc = arm64_fdt_parse((const void *)(uintptr_t)dtb, &fdt, &why);
	if (rc != KC_OK) {
		kc_printf("kcore: %s (DTB at 0x%llx)\n", why, (unsigned long long)dtb);
		arm64_fail(KCORE_EXIT_BOOT);
	}
	pl011_set_base(fdt.uart_base);
	if (!arm64_percpu_init(fdt.cpu_mpidr, fdt.ncpus, read_sysreg(mpidr_el1))) {
		kc_printf("kcore: the boot CPU (MPIDR 0x%llx) is not in the DTB's /cpus\n",
			  (unsigned long long)read_sysreg(mpidr_el1));
		arm64_fail(KCORE_EXIT_BOOT);
	}
	selftest = arm64_selftest_from(fdt.bootargs);
	arm64_check_selftest_corrupt =
		KCORE_EL2_CHECK &&
		arm64_fdt_bootarg_has(fdt.bootargs, "kcore.selftest=corrupt-host-s2");

	kc_printf("kcore %s EL2 on MIDR_EL1 0x%08llx\n", KCORE_VERSION,
		  (unsigned long long)read_sysreg(midr_el1));
	kc_printf("kcore: DTB at 0x%llx, console PL011 at 0x%llx, bootargs \"%s\"\n",
		  (unsigned long long)dtb, (unsigned long long)fdt.uart_base, fdt.bootargs);

	if (!arm64_layout_build(&fdt, &arm64_layout, &why)) {
		kc_printf("kcore: SMMU: %s\n", why);
		arm64_fail(KCORE_EXIT_BOOT);
	}
	arm64_plat_set_ram(&arm64_layout);

	if (!arm64_config_build(&arm64_layout, &arm64_config)) {
		kc_printf("kcore: RAM too small for kcore's metadata\n");
		arm64_fail(KCORE_EXIT_BOOT);
	}
	kcore_print_layout(&arm64_layout);
	kc_printf("kcore: %u trusted boot key(s) built in\n", arm64_config.ntrusted_keys);
	rc = kcore_init(&arm64_layout, &arm64_config);
	if (rc != KC_OK) {
		kc_printf("kcore: kcore_init: %s\n", kcore_err_name(rc));
		arm64_fail(KCORE_EXIT_BOOT);
	}
	const struct pgt *map = kcore_coremap();
	kc_printf("kcore: core map built: %llu table pages\n",
		  (unsigned long long)pgt_count_tables(map));

	el2_mmu_enable(map->root, &arm64_layout.image);
	kc_printf("EL2 MMU on: SCTLR_EL2=0x%llx TCR_EL2=0x%llx TTBR0_EL2=0x%llx\n",
		  (unsigned long long)read_sysreg(sctlr_el2),
		  (unsigned long long)read_sysreg(tcr_el2),
		  (unsigned long long)read_sysreg(ttbr0_el2));
	arm64_percpu_publish_mmu();
	if (!arm64_mmu_check(map))
		arm64_fail(KCORE_EXIT_BOOT);
	kc_printf("kcore: MMU check ok: hardware and core walks agree, unmapped VA faults\n");

	if (!arm64_maintenance_check())
		arm64_fail(KCORE_EXIT_BOOT);
	kc_printf("kcore: TLB and cache maintenance ok\n");

	/* Before anything else can run: GBPA abort, every stream aborting. */
	if (!smmuv3_init(&arm64_layout, &why)) {
		kc_printf("kcore: SMMU: %s\n", why);
		arm64_fail(KCORE_EXIT_BOOT);
	}

	arm64_selftest_run(selftest);
	arm64_entropy_report();

	uint64_t host = arm64_layout.ram[0].base + ARM64_HOST_OFFSET, host_size;
	const struct kc_region *ram0 = &arm64_layout.ram[0];
	bool have_host = arm64_host_present(host, ram0->base + ram0->size, &host_size);

	/*
	 * With a host to start, the ECDSA test waits for the first VM_VERIFY
	 * (crypto_p256_kat_once): it is ~2% of a Linux boot's instructions,
	 * and nothing checks a signature before then.  Alone, kcore runs them all.
	 */
	failed = have_host ? crypto_selftest_deferring_p256() : crypto_selftest();
	if (failed) {
		kc_printf("kcore: crypto KATs: %u FAILED\n", failed);
		arm64_fail(KCORE_EXIT_KAT);
	}
	kc_printf("kcore: crypto KATs: all passed\n");

	if (!have_host) {
		kc_printf("kcore: boot complete (exit status 0)\n");
		semihost_exit(KCORE_EXIT_OK);
	}
	arm64_host_boot(dtb, host, host_size);
}
