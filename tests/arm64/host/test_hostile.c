/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hostile guest (tests/arm64/guests/hostile) on the real world switch:
 * it tries memory outside its RAM (kcore's, the host's, another VM's
 * frames as IPAs; directly, by branching, through its own stage 1, AT and
 * DC ZVA), SMCs to firmware services, calls with the wrong immediate and
 * the system registers kcore keeps from guests, and reports what each got
 * through its guarded UART page.  The host checks every answer against
 * docs/VCPU.md — an abort injected into the guest, NOT_SUPPORTED, RAZ/WI
 * or UNDEFINED — and that no attempt became an exit (the only ones are its
 * reports, its own RAM faulting in, two forwarded vendor calls showing
 * their id only, and the power-off), that nothing it touched changed (a
 * canary page of the host, the host's image, another VM's image frame,
 * whose hash VM_VERIFY checks afterwards), and that none of the canaries
 * it keeps in x1..x6 reached the host.  kcore's EL2 checker runs after
 * every call in the host-checked configuration.  Controls: its own image,
 * its own RAM, its own registers and its UART work.
 */
#include "hello.h"
#include "host.h"
#include "hostile.h"
#include <string.h>

extern const uint8_t guest_hostile_image[], guest_hostile_image_end[];
extern const uint8_t guest_hostile_manifest[], guest_hostile_manifest_end[];
extern const uint8_t guest_hello_image[], guest_hello_image_end[];
extern const uint8_t guest_hello_manifest[], guest_hello_manifest_end[];

/* Host frames this test gives away (clear of the other tests' and of the DTB at 0x48000000). */
#define HG_IMAGE     0x4d000000ull /* two pages */
#define HG_MANIFEST  0x4d002000ull
#define HG_OTHER_MF  0x4d004000ull /* the other VM's manifest; its image is HOSTILE_OTHER_VM */
#define HG_BACKING   0x4d005000ull /* two pages: its fresh page and its table */
#define HG_IMAGE_MAX 0x2000u

#define ESR_EC(esr)  ((unsigned)((esr) >> 26) & 0x3fu)
#define ESR_IL	     (1ull << 25)
#define ESR_WNR	     (1ull << 6)
#define ESR_FSC(esr) ((unsigned)(esr) & 0x3fu)
#define FSC_SEA	     0x10u
#define PAR_F	     1ull
#define PAR_PA(p)    ((p) & 0xfffffffff000ull)
#define NOTSUP	     ((uint64_t)(int64_t)KC_ENOTSUP)

enum want {
	W_SEA_LOAD,  /* a data abort, SEA, from EL1, at `arg`, a read */
	W_SEA_STORE, /* the same, a write */
	W_SEA_ANY,   /* a data abort, SEA, from EL1, at `arg` (cache maintenance: any WnR) */
	W_SEA_FETCH, /* an instruction abort, SEA, from EL1, at `arg` */
	W_UNDEF,     /* an UNDEFINED instruction: ESR_EL1 = EC 0, IL */
	W_VALUE,     /* no exception, the value `arg` */
	W_MMU_ON,    /* no exception, SCTLR_EL1.M set */
	W_PAR_IPA,   /* no exception, PAR_EL1 translated to the IPA `arg` */
	W_SEA_OR_PARF /* an SEA at `arg`, or PAR_EL1.F */,
	W_SEA_OR_NONE /* an SEA at `arg`, or nothing */,
};

static const struct attempt {
	unsigned id;
	const char *what;
	enum want want;
	uint64_t arg;
} attempts[] = {
	{ HA_LD_LOW, "load below its RAM: SEA", W_SEA_LOAD, 0x1000 },
	{ HA_LD_BELOW, "load from the page below its RAM: SEA", W_SEA_LOAD, HOSTILE_BASE - 0x1000 },
	{ HA_LD_ABOVE, "load from the page above its RAM: SEA", W_SEA_LOAD,
	  HOSTILE_BASE + HOSTILE_RAM },
	{ HA_LD_KCORE, "load from kcore's image as an IPA: SEA", W_SEA_LOAD, HOSTILE_KCORE },
	{ HA_LD_HOST, "load from the host's image as an IPA: SEA", W_SEA_LOAD, HOSTILE_HOST },
	{ HA_LD_CANARY, "load from the host's canary page: SEA", W_SEA_LOAD, HOSTILE_HOST_CANARY },
	{ HA_ST_CANARY, "store to the host's canary page: SEA", W_SEA_STORE, HOSTILE_HOST_CANARY },
	{ HA_LD_OTHER, "load from another VM's frame: SEA", W_SEA_LOAD, HOSTILE_OTHER_VM },
	{ HA_ST_OTHER, "store to another VM's frame: SEA", W_SEA_STORE, HOSTILE_OTHER_VM },
	{ HA_LD_TOP, "load from the top of the IPA space: SEA", W_SEA_LOAD, HOSTILE_IPA_TOP },
	{ HA_EXEC_KCORE, "branch into kcore's image: SEA (fetch)", W_SEA_FETCH, HOSTILE_KCORE },
	{ HA_LDP_HOST, "load pair from the host's image: SEA", W_SEA_LOAD, HOSTILE_HOST },
	{ HA_UART_LDP, "load pair from its UART page (nothing to emulate): SEA", W_SEA_LOAD,
	  HOSTILE_UART },
	{ HA_LD_OWN, "load from its own image (control)", W_VALUE, HOSTILE_OWN_MAGIC },
	{ HA_LD_FRESH, "store and load its own RAM, backed by the host (control)", W_VALUE,
	  HOSTILE_OWN_MAGIC },
	{ HA_SMC_MIGRATE, "smc PSCI MIGRATE: NOT_SUPPORTED", W_VALUE, NOTSUP },
	{ HA_SMC_SIP, "smc SiP call: forwarded, id only, NOT_SUPPORTED", W_VALUE, NOTSUP },
	{ HA_SMC_OEM, "smc OEM call: forwarded, id only, NOT_SUPPORTED", W_VALUE, NOTSUP },
	{ HA_SMC_WA1, "smc SMCCC_ARCH_WORKAROUND_1: NOT_SUPPORTED", W_VALUE, NOTSUP },
	{ HA_SMC_FEAT_WA1, "smc ARCH_FEATURES(WORKAROUND_1): NOT_SUPPORTED", W_VALUE, NOTSUP },
	{ HA_SMC_FEAT_WA2, "smc ARCH_FEATURES(WORKAROUND_2): NOT_SUPPORTED", W_VALUE, NOTSUP },
	{ HA_HVC_IMM, "hvc #1: NOT_SUPPORTED", W_VALUE, NOTSUP },
	{ HA_SMC_IMM, "smc #1: NOT_SUPPORTED", W_VALUE, NOTSUP },
	{ HA_HVC_VERSION, "hvc #0 PSCI_VERSION: 1.0 (control)", W_VALUE, KC_PSCI_VERSION_1_0 },
	{ HA_SHARE_HOST, "SHARE of the host's frame number as its gfn: ENOENT", W_VALUE,
	  (uint64_t)(int64_t)KC_ENOENT },
	{ HA_UNSHARE_KCORE, "UNSHARE of kcore's frame number as its gfn: ENOENT", W_VALUE,
	  (uint64_t)(int64_t)KC_ENOENT },
	{ HA_MDSCR, "MDSCR_EL1: RAZ/WI", W_VALUE, 0 },
	{ HA_DBGBVR, "DBGBVR0_EL1: RAZ/WI", W_VALUE, 0 },
	{ HA_PMCR, "mrs PMCR_EL0: UNDEF", W_UNDEF, 0 },
	{ HA_PMCCNTR, "mrs PMCCNTR_EL0: UNDEF", W_UNDEF, 0 },
	{ HA_PMCR_W, "msr PMCR_EL0: UNDEF", W_UNDEF, 0 },
	{ HA_PFR0, "ID_AA64PFR0_EL1: kcore's 0x01000011", W_VALUE, 0x01000011 },
	{ HA_DFR0, "ID_AA64DFR0_EL1: 0", W_VALUE, 0 },
	{ HA_MMFR0, "ID_AA64MMFR0_EL1: kcore's value", W_VALUE, 0x0f000025 },
	{ HA_ISAR0, "ID_AA64ISAR0_EL1: 0", W_VALUE, 0 },
	{ HA_ISAR1, "ID_AA64ISAR1_EL1: 0 (no pointer authentication)", W_VALUE, 0 },
	{ HA_MMFR1, "ID_AA64MMFR1_EL1: 0 (no VHE, PAN, LOR)", W_VALUE, 0 },
	{ HA_PFR1, "ID_AA64PFR1_EL1: 0 (no MTE, SSBS, SME)", W_VALUE, 0 },
	{ HA_SVE, "rdvl (SVE, which PFR0 denies): UNDEF", W_UNDEF, 0 },
	{ HA_PACGA, "pacga (pointer auth, which ISAR1 denies): UNDEF", W_UNDEF, 0 },
	{ HA_PFR0_W, "msr ID_AA64PFR0_EL1: UNDEF", W_UNDEF, 0 },
	{ HA_IMPDEF, "IMPLEMENTATION DEFINED S3_0_C15_C0_0: UNDEF", W_UNDEF, 0 },
	{ HA_ICH_VTR, "ICH_VTR_EL2: UNDEF", W_UNDEF, 0 },
	{ HA_CNTVOFF, "CNTVOFF_EL2: UNDEF", W_UNDEF, 0 },
	{ HA_CNTP_CTL, "CNTP_CTL_EL0: RAZ/WI", W_VALUE, 0 },
	{ HA_CNTP_CVAL, "CNTP_CVAL_EL0: RAZ", W_VALUE, 0 },
	{ HA_ACTLR, "ACTLR_EL1: RAZ", W_VALUE, 0 },
	{ HA_TPIDR, "TPIDR_EL1, its own, keeps its value (control)", W_VALUE, 0x1234 },
	{ HA_MMU_ON, "its own stage 1 on (control)", W_MMU_ON, 0 },
	{ HA_VA_KCORE, "load through its stage 1 from kcore's IPA: SEA", W_SEA_LOAD,
	  HOSTILE_VA_KCORE },
	{ HA_VA_HOST, "load through it from the host's IPA: SEA", W_SEA_LOAD, HOSTILE_VA_HOST },
	{ HA_VA_CANARY, "store through it to the host's canary IPA: SEA", W_SEA_STORE,
	  HOSTILE_VA_CANARY },
	{ HA_VA_FAR, "load through it from an IPA far above its RAM: SEA", W_SEA_LOAD,
	  HOSTILE_VA_FAR },
	{ HA_VA_WALK, "load whose walk reads a table at the host's IPA: SEA", W_SEA_LOAD,
	  HOSTILE_VA_WALK },
	{ HA_AT_KCORE, "AT S1E1R: PAR_EL1 is its own table's IPA, nothing more", W_PAR_IPA,
	  HOSTILE_KCORE },
	{ HA_AT_WALK, "AT S1E1R with a table at the host's IPA: SEA or PAR.F", W_SEA_OR_PARF,
	  HOSTILE_VA_WALK },
	{ HA_DC_CIVAC, "DC CIVAC of the host's IPA: SEA or nothing", W_SEA_OR_NONE,
	  HOSTILE_VA_HOST },
	{ HA_ZVA_HOST, "DC ZVA of the host's IPA: SEA", W_SEA_ANY, HOSTILE_VA_HOST },
	{ HA_ZVA_CANARY, "DC ZVA of the host's canary IPA: SEA", W_SEA_ANY, HOSTILE_VA_CANARY },
	{ HA_ZVA_KCORE, "DC ZVA of kcore's IPA: SEA", W_SEA_ANY, HOSTILE_VA_KCORE },
	{ HA_ZVA_OWN, "DC ZVA of its own RAM zeroes it (control)", W_VALUE, 0 },
	{ HA_VA_OWN, "load of its own image through its stage 1 (control)", W_VALUE,
	  HOSTILE_OWN_MAGIC },
	{ HA_DEV_ID, "load from the device the host mapped in its window (control)", W_VALUE,
	  HOSTILE_DEVICE_ID },
};
#define NATTEMPTS (sizeof(attempts) / sizeof(attempts[0]))

static bool sea_at(uint64_t esr, uint64_t far, unsigned ec, uint64_t at)
{
	return ESR_EC(esr) == ec && ESR_FSC(esr) == FSC_SEA && far == at;
}

/* Whether the report (esr, far, val) is what attempt `a` must get. */
static bool attempt_ok(const struct attempt *a, uint64_t esr, uint64_t far, uint64_t val)
{
	switch (a->want) {
	case W_SEA_LOAD:
		return sea_at(esr, far, 0x25, a->arg) && !(esr & ESR_WNR) && val == 0;
	case W_SEA_STORE:
		return sea_at(esr, far, 0x25, a->arg) && (esr & ESR_WNR) && val == 0;
	case W_SEA_ANY:
		return sea_at(esr, far, 0x25, a->arg);
	case W_SEA_FETCH:
		return sea_at(esr, far, 0x21, a->arg) && (esr & ESR_IL);
	case W_UNDEF:
		return esr == ESR_IL && val == 0x77; /* the read did not happen */
	case W_VALUE:
		return esr == 0 && val == a->arg;
	case W_MMU_ON:
		return esr == 0 && (val & 1);
	case W_PAR_IPA:
		return esr == 0 && !(val & PAR_F) && PAR_PA(val) == a->arg;
	case W_SEA_OR_PARF:
		return sea_at(esr, far, 0x25, a->arg) || (esr == 0 && (val & PAR_F));
	case W_SEA_OR_NONE:
		return esr == 0 || sea_at(esr, far, 0x25, a->arg);
	}
	return false;
}

/* The guest's canaries (HOSTILE_CANARY | n) in x1..x3 of an exit. */
static volatile uint64_t canary_tag = HOSTILE_CANARY >> 16;

static bool carries_canary(const struct host_call *c)
{
	for (unsigned i = 1; i <= 3; i++)
		if ((c->x[i] >> 16) == canary_tag)
			return true;
	return false;
}

#define CANARY_WORDS 512
static uint64_t host_page_sum(uint64_t pa)
{
	const volatile uint64_t *p = (const volatile uint64_t *)(uintptr_t)pa;
	uint64_t s = 0;

	for (unsigned i = 0; i < 512; i++)
		s = s * 31 + p[i];
	return s;
}

static void fill_canaries(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)HOSTILE_HOST_CANARY;

	for (unsigned i = 0; i < CANARY_WORDS; i++)
		p[i] = 0xca9a7700000000ull | i;
}

static unsigned canaries_intact(void)
{
	const volatile uint64_t *p = (const volatile uint64_t *)(uintptr_t)HOSTILE_HOST_CANARY;
	unsigned n = 0;

	for (unsigned i = 0; i < CANARY_WORDS; i++)
		n += p[i] == (0xca9a7700000000ull | i);
	return n;
}

/* Another VM, CREATED, its hello image in the frame at HOSTILE_OTHER_VM. */
static uint64_t other_vm_create(void)
{
	uint64_t vm = 0, idx = 0;

	host_fill_page(HOSTILE_OTHER_VM, guest_hello_image,
		       (size_t)(guest_hello_image_end - guest_hello_image));
	host_fill_page(HG_OTHER_MF, guest_hello_manifest,
		       (size_t)(guest_hello_manifest_end - guest_hello_manifest));
	expect("hostile: the other VM: VM_CREATE", call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm),
	       KC_OK);
	expect("hostile: the other VM: VCPU_CREATE",
	       call(KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("hostile: the other VM: VM_SET_IMAGE",
	       call(KC_HC_VM_SET_IMAGE, vm, HELLO_BASE, 0x1000, 0, 0, 0, &idx), KC_OK);
	expect("hostile: the other VM: its image frame is HOSTILE_OTHER_VM",
	       call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, idx, HOSTILE_OTHER_VM >> 12, 0, 0, 0, NULL),
	       KC_OK);
	return vm;
}

static void vm_gone(const char *what, uint64_t vm)
{
	uint64_t left = 1;

	for (unsigned i = 0; i < 8 && left; i++)
		if (call(KC_HC_VM_RECLAIM, vm, 64, 0, 0, 0, 0, &left) != KC_OK)
			break;
	result(what, left == 0 && call(KC_HC_VM_DESTROY, vm, 0, 0, 0, 0, 0, NULL) == KC_OK,
	       "reclaim or destroy failed");
}

/* The hostile VM's run: its reports checked as they come.  Returns how many it sent. */
static unsigned hostile_run(uint64_t vm, bool *off)
{
	uint64_t rec[4], finish = KC_RUN_RESUME, backing = HG_BACKING;
	unsigned nrec = 0, next = 0, faults = 0, calls = 0, bad_exits = 0, leaks = 0;
	bool done = false;

	*off = false;
	for (unsigned runs = 0; runs < 2000 && !*off && bad_exits < 4; runs++) {
		struct host_call c = { { KC_HC_VCPU_RUN, vm, 0, finish, 0, 0, 0 } };

		finish = KC_RUN_RESUME;
		hvc(&c);
		if ((int64_t)c.x[0] != KC_OK) {
			expect("hostile: VCPU_RUN", (int64_t)c.x[0], KC_OK);
			break;
		}
		uint64_t kind = KC_EXIT_KIND(c.x[1]);
		if (kind != KC_EXIT_MMIO && carries_canary(&c))
			leaks++;
		if (kind == KC_EXIT_MMIO && (c.x[1] & KC_EXIT_F_WRITE) && c.x[2] == HOSTILE_UART &&
		    KC_EXIT_F_SIZE(c.x[1]) == 8) {
			finish = KC_RUN_MMIO_DONE;
			if (nrec == 0 && c.x[3] == HOSTILE_DONE) {
				done = true;
				continue;
			}
			rec[nrec++] = c.x[3];
			if (nrec < 4)
				continue;
			nrec = 0;
			const struct attempt *a = next < NATTEMPTS ? &attempts[next++] : NULL;
			if (!a || a->id != rec[0]) {
				puts_("hostile: a report out of order, id ");
				puthex(rec[0]);
				putc_('\n');
				bad_exits++;
				continue;
			}
			bool ok = attempt_ok(a, rec[1], rec[2], rec[3]);
			result(a->what, ok, "got something else");
			if (ok && (a->want == W_SEA_OR_PARF || a->want == W_SEA_OR_NONE))
				puts_(rec[1] ? "    (an SEA)\n" : "    (no exception)\n");
			if (!ok) {
				puts_("    esr ");
				puthex(rec[1]);
				puts_(" far ");
				puthex(rec[2]);
				puts_(" value ");
				puthex(rec[3]);
				putc_('\n');
			}
		} else if (kind == KC_EXIT_FAULT && faults < 2 &&
			   (c.x[2] == HOSTILE_FRESH || c.x[2] == HOSTILE_TABLE)) {
			/* Its own RAM: the only faults it may show (the control). */
			faults++;
			expect("hostile: VM_MAP_FAULT of its own RAM",
			       call(KC_HC_VM_MAP_FAULT, vm, 0, backing >> 12, 3, 0, 0, NULL),
			       KC_OK);
			backing += 0x1000;
		} else if (kind == KC_EXIT_CALL && (c.x[2] == 0xC2000001 || c.x[2] == 0xC3000000)) {
			/* A vendor call kcore forwards: its id, none of its arguments. */
			calls++;
			result("hostile: a forwarded SiP/OEM call shows its id only", c.x[3] == 0,
			       "an argument reached the host");
		} else if (done && kind == KC_EXIT_FAULT && (c.x[1] & KC_EXIT_F_FETCH)) {
			/*
			 * Its last act: a fetch from its device page, a stage-2
			 * permission fault (HPFAR_EL2 not promised: the platform's AT
			 * of FAR_EL2 found the IPA).  Nothing to back: off it goes.
			 */
			expect("hostile: its fetch from a device page: a FAULT at the window's IPA",
			       (int64_t)c.x[2], HOSTILE_WINDOW);
			*off = call(KC_HC_VM_POWEROFF, vm, 0, 0, 0, 0, 0, NULL) == KC_OK;
		} else if (kind != KC_EXIT_YIELD) {
			puts_("hostile: an exit no attempt may make: ");
			puthex(c.x[1]);
			puts_(" x2 ");
			puthex(c.x[2]);
			putc_('\n');
			bad_exits++;
		}
	}
	result("hostile: no attempt became an exit", bad_exits == 0, "see above");
	result("hostile: its own RAM faulted in twice, two vendor calls forwarded",
	       faults == 2 && calls == 2, "wrong counts");
	result("hostile: none of its canaries in any exit", leaks == 0, "a guest register leaked");
	result("hostile: it reported every attempt, then DONE", next == NATTEMPTS && done,
	       "reports missing");
	return next;
}

void test_hostile(void)
{
	size_t image_len = (size_t)(guest_hostile_image_end - guest_hostile_image);
	size_t manifest_len = (size_t)(guest_hostile_manifest_end - guest_hostile_manifest);
	uint64_t vm = 0, idx = 0, image_size = (image_len + 0xfff) & ~0xfffull;
	bool off;

	if (!HOST_GUEST_KEY_TRUSTED) {
		result("hostile # SKIP the image does not trust tests/arm64/guests/test-guest.pub",
		       true, NULL);
		return;
	}
	result("hostile: the image fits two pages, the manifest one",
	       image_len <= HG_IMAGE_MAX && manifest_len <= 4096, "too big");
	uint64_t other = other_vm_create();
	fill_canaries();
	uint64_t host_sum = host_page_sum(HOSTILE_HOST);
	result("hostile: the canary check sees a changed word (control)",
	       (((volatile uint64_t *)(uintptr_t)HOSTILE_HOST_CANARY)[7] ^= 1,
		canaries_intact() == CANARY_WORDS - 1),
	       "not seen");
	fill_canaries();

	memset((void *)(uintptr_t)HG_IMAGE, 0, HG_IMAGE_MAX);
	memcpy((void *)(uintptr_t)HG_IMAGE, guest_hostile_image, image_len);
	host_fill_page(HG_MANIFEST, guest_hostile_manifest, manifest_len);
	expect("hostile: VM_CREATE", call(KC_HC_VM_CREATE, 0, 0, 0, 0, 0, 0, &vm), KC_OK);
	expect("hostile: VCPU_CREATE", call(KC_HC_VCPU_CREATE, vm, 0, 0, 0, 0, 0, NULL), KC_OK);
	expect("hostile: VM_SET_IMAGE",
	       call(KC_HC_VM_SET_IMAGE, vm, HOSTILE_BASE, image_size, 0, 0, 0, &idx), KC_OK);
	for (uint64_t p = 0; p < image_size; p += 0x1000)
		expect("hostile: VM_LOAD_IMAGE_PAGE",
		       call(KC_HC_VM_LOAD_IMAGE_PAGE, vm, idx, (HG_IMAGE + p) >> 12, 0, 0, 0, NULL),
		       KC_OK);
	expect("hostile: VM_VERIFY with its signed manifest",
	       call(KC_HC_VM_VERIFY, vm, HG_MANIFEST >> 12, 0, 0, 0, 0, NULL), KC_OK);

	expect("hostile: VM_MAP_IO of a device page into its window",
	       call(KC_HC_VM_MAP_IO, vm, HOSTILE_WINDOW, HOSTILE_DEVICE_PA, 1, 0, 0, NULL), KC_OK);
	hostile_run(vm, &off);
	result("hostile: it ended in its device window, and is off", off, "it did not");
	result("hostile: the host's canary page is intact", canaries_intact() == CANARY_WORDS,
	       "the guest changed host memory");
	result("hostile: the host's image page is unchanged",
	       host_page_sum(HOSTILE_HOST) == host_sum, "the guest changed host memory");
	expect("hostile: the other VM's image frame is unchanged (VM_VERIFY checks its hash)",
	       call(KC_HC_VM_VERIFY, other, HG_OTHER_MF >> 12, 0, 0, 0, 0, NULL), KC_OK);
	if (!off) /* a failed run: still give everything back */
		call(KC_HC_VM_POWEROFF, vm, 0, 0, 0, 0, 0, NULL);
	vm_gone("hostile: the hostile VM is reclaimed and destroyed", vm);
	expect("hostile: the other VM: VM_POWEROFF",
	       call(KC_HC_VM_POWEROFF, other, 0, 0, 0, 0, 0, NULL), KC_OK);
	vm_gone("hostile: the other VM is reclaimed and destroyed", other);
}
