/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_guest.c — plat_guest_run: guest programs through a VM's stage 2
 * built by core's page-table module, the syndromes they trap with, the
 * device log, and stale TLB entries seen by the guest and by
 * hm_tlb_coherent.
 *
 * Syndrome fields are written here as raw numbers from the architecture
 * (Arm ARM ESR_EL2 / HPFAR_EL2), not with the model's encoders.
 */
#include <kcore/abi.h>
#include <kcore/pgt.h>
#include <kcore/platform.h>
#include <kcore_hosted/guest.h>
#include <kcore_hosted/machine.h>

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RAM_BASE  0x40000000ull
#define RAM_SIZE  (64ull << 20)
#define DEV_BASE  0x09000000ull
#define POOL_BASE (RAM_BASE + (48ull << 20))
#define NCPUS	  2u
#define VMID	  3u

#define FRAME(n)  (RAM_BASE + 0x1000ull * (n))
#define CODE_IPA  0x80000000ull /* frame 1, R+X */
#define DATA_IPA  0x80001000ull /* frame 2, R+W */
#define RO_IPA	  0x80004000ull /* frame 4, R only */
#define DEV_IPA	  0x90000000ull /* DEV_BASE, Device R+W */
#define HOLE_L2	  0x80200010ull /* no level-2 entry */
#define HOLE_L3	  0x80003008ull /* level-3 table exists, slot empty */

#define PROT_RW	  (PGT_PROT_R | PGT_PROT_W)
#define PROT_RX	  (PGT_PROT_R | PGT_PROT_X)

/* ESR_EL2 fields. */
#define EC(esr)	  ((unsigned)((esr) >> 26) & 0x3fu)
#define IL	  (1ull << 25)
#define ISS(esr)  ((uint32_t)(esr) & 0x1ffffffu)
#define ISV	  (1u << 24)
#define SAS(s)	  ((uint32_t)(s) << 22)
#define SRT(r)	  ((uint32_t)(r) << 16)
#define SF	  (1u << 15)
#define EA	  (1u << 9)
#define WNR	  (1u << 6)

struct t {
	struct hm_machine *m;
	struct pgt_pool pool;
	struct pgt s2;
	struct kc_guest g;
	struct kc_vcpu_regs regs;
	struct kc_trap trap;
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct hm_config cfg = {
		.ram_base = RAM_BASE,
		.ram_size = RAM_SIZE,
		.devices = { { DEV_BASE, 0x1000 } },
		.ndevices = 1,
		.ncpus = NCPUS,
	};

	if (!t || hm_machine_create(&cfg, &t->m) != 0)
		return -1;
	pgt_pool_init(&t->pool, POOL_BASE, 64);
	if (pgt_init(&t->s2, PGT_S2, VMID, &t->pool) != KC_OK)
		return -1;
	if (pgt_map(&t->s2, CODE_IPA, FRAME(1), 3, PROT_RX) != KC_OK ||
	    pgt_map(&t->s2, DATA_IPA, FRAME(2), 3, PROT_RW) != KC_OK ||
	    pgt_map(&t->s2, RO_IPA, FRAME(4), 3, PGT_PROT_R) != KC_OK ||
	    pgt_map(&t->s2, DEV_IPA, DEV_BASE, 3, PROT_RW | PGT_PROT_DEVICE) != KC_OK)
		return -1;
	t->g = (struct kc_guest){ .vmid = VMID, .vcpu = 0, .s2_root = t->s2.root };
	t->regs.pc = CODE_IPA;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	hm_machine_destroy(t->m);
	free(t);
	return 0;
}

static void run_fn(unsigned cpu, void *arg)
{
	struct t *t = arg;

	(void)cpu;
	plat_guest_run(&t->g, &t->regs, &t->trap);
}

/* One plat_guest_run on `cpu`; returns the trap's EC. */
static unsigned run_on(struct t *t, unsigned cpu)
{
	memset(&t->trap, 0xa5, sizeof(t->trap)); /* every field must be written */
	assert_int_equal(hm_cpu_run(t->m, cpu, run_fn, t), 0);
	assert_true(t->trap.esr & IL);
	return EC(t->trap.esr);
}

static unsigned run(struct t *t)
{
	return run_on(t, 0);
}

static void program(struct t *t, const struct hm_guest_op *ops, size_t n)
{
	assert_int_equal(hm_guest_program(t->m, VMID, 0, CODE_IPA, ops, n), 0);
}

#define OP_SET(r, v)	  { .op = HM_GOP_SET, .reg = (r), .value = (v) }
#define OP_EXPECT(r, v)	  { .op = HM_GOP_EXPECT, .reg = (r), .value = (v) }
#define OP_LOAD(r, s, a)  { .op = HM_GOP_LOAD, .reg = (r), .size = (s), .addr = (a) }
#define OP_STORE(r, s, a) { .op = HM_GOP_STORE, .reg = (r), .size = (s), .addr = (a) }
#define OP_HVC(imm)	  { .op = HM_GOP_HVC, .value = (imm) }
#define OP_WFI		  { .op = HM_GOP_WFI }

/* The level-3 descriptor mapping `ipa` in the VM's tables (tables must exist). */
static uint64_t *l3_slot(struct t *t, uint64_t ipa)
{
	uint64_t table = t->s2.root;

	for (int l = 0; l < 3; l++) {
		uint64_t *e = hm_phys(t->m, table + 8 * ((ipa >> (39 - 9 * l)) & 511), 8);

		assert_non_null(e);
		assert_int_equal(*e & 3, 3);
		table = *e & 0x0000fffffffff000ull;
	}
	return hm_phys(t->m, table + 8 * ((ipa >> 12) & 511), 8);
}

/* The WFI trap as taken from AArch64: EC 0x01, ISS CV=1 COND=0b1110 TI=WFI. */
static void assert_wfi(struct t *t, uint64_t pc)
{
	assert_int_equal(t->trap.esr, (0x01ull << 26) | IL | (1u << 24) | (0xeu << 20));
	assert_int_equal(t->trap.far, 0);
	assert_int_equal(t->trap.hpfar, 0);
	assert_int_equal(t->regs.pc, pc);
}

static void test_load_store_reach_frames(void **state)
{
	struct t *t = *state;
	const struct hm_guest_op ops[] = {
		OP_SET(1, 0x1122334455667788ull),
		OP_STORE(1, 8, DATA_IPA + 0x10),
		OP_STORE(1, 4, DATA_IPA + 0x20),
		OP_STORE(1, 2, DATA_IPA + 0x30),
		OP_STORE(1, 1, DATA_IPA + 0x40),
		OP_SET(2, ~0ull),
		OP_LOAD(2, 4, DATA_IPA + 0x14), /* zero-extends the upper word */
		OP_EXPECT(2, 0x11223344),
		OP_LOAD(3, 1, DATA_IPA + 0x17),
		OP_EXPECT(3, 0x11),
		OP_LOAD(4, 8, DATA_IPA + 0x10),
		OP_EXPECT(4, 0x1122334455667788ull),
	};
	const uint8_t le8[] = { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
	const uint8_t zero[4] = { 0 };
	char msg[200];

	program(t, ops, sizeof(ops) / sizeof(ops[0]));
	assert_int_equal(run(t), 0x01);
	/* Off the end of the program: WFI at the first PC past it. */
	assert_wfi(t, CODE_IPA + 4 * 12);
	assert_memory_equal(hm_phys(t->m, FRAME(2) + 0x10, 8), le8, 8);
	assert_memory_equal(hm_phys(t->m, FRAME(2) + 0x20, 4), le8, 4);
	assert_memory_equal(hm_phys(t->m, FRAME(2) + 0x24, 4), zero, 4);
	assert_memory_equal(hm_phys(t->m, FRAME(2) + 0x30, 2), le8, 2);
	assert_memory_equal(hm_phys(t->m, FRAME(2) + 0x32, 2), zero, 2);
	assert_memory_equal(hm_phys(t->m, FRAME(2) + 0x40, 1), le8, 1);
	assert_int_equal(*(uint8_t *)hm_phys(t->m, FRAME(2) + 0x41, 1), 0);
	assert_int_equal(hm_guest_failures(t->m, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(t->regs.x[2], 0x11223344);
	/* Nothing went anywhere else: the IPA frame is not the code frame. */
	assert_memory_equal(hm_phys(t->m, FRAME(1) + 0x10, 4), zero, 4);
}

static void test_unmapped_data_abort_then_retry(void **state)
{
	struct t *t = *state;
	const struct hm_guest_op ops[] = {
		OP_SET(7, 0xdeadbeefcafef00dull),
		OP_STORE(7, 4, HOLE_L2),
		OP_LOAD(21, 2, HOLE_L3),
		OP_LOAD(30, 8, HOLE_L3),
	};

	program(t, ops, 4);
	t->regs.x[0] = 0x1234;
	assert_int_equal(run(t), 0x24);
	/* ISV, SAS=2 (word), SRT=7, SF=0, WnR, DFSC = translation fault, level 2. */
	assert_int_equal(ISS(t->trap.esr), ISV | SAS(2) | SRT(7) | WNR | 0x06);
	assert_int_equal(t->trap.far, HOLE_L2);
	assert_int_equal(t->trap.hpfar, (HOLE_L2 >> 12) << 4);
	assert_int_equal(t->regs.pc, CODE_IPA + 4); /* the store re-executes */
	assert_int_equal(t->regs.x[0], 0x1234);

	/* Run again without backing it: the same abort, nothing skipped. */
	assert_int_equal(run(t), 0x24);
	assert_int_equal(t->regs.pc, CODE_IPA + 4);

	/* Back it: the store completes, then the next load faults at level 3. */
	assert_int_equal(pgt_map(&t->s2, HOLE_L2 & ~0xfffull, FRAME(9), 3, PROT_RW), KC_OK);
	assert_int_equal(run(t), 0x24);
	assert_int_equal(*(uint32_t *)hm_phys(t->m, FRAME(9) + 0x10, 4), 0xcafef00du);
	assert_int_equal(ISS(t->trap.esr), ISV | SAS(1) | SRT(21) | 0x07);
	assert_int_equal(t->trap.far, HOLE_L3);
	assert_int_equal(t->trap.hpfar, (HOLE_L3 >> 12) << 4);
	assert_int_equal(t->regs.pc, CODE_IPA + 8);

	assert_int_equal(pgt_map(&t->s2, HOLE_L3 & ~0xfffull, FRAME(10), 3, PROT_RW), KC_OK);
	*(uint64_t *)hm_phys(t->m, FRAME(10) + 8, 8) = 0x0102030405060708ull;
	assert_int_equal(run(t), 0x01);
	assert_int_equal(t->regs.x[21], 0x0708);
	assert_int_equal(t->regs.x[30], 0x0102030405060708ull);
	assert_wfi(t, CODE_IPA + 16);
}

static void test_store_to_read_only_is_permission_fault(void **state)
{
	struct t *t = *state;
	const struct hm_guest_op ops[] = {
		OP_LOAD(5, 8, RO_IPA + 0x18),
		OP_STORE(5, 8, RO_IPA + 0x18),
	};

	*(uint64_t *)hm_phys(t->m, FRAME(4) + 0x18, 8) = 42;
	program(t, ops, 2);
	assert_int_equal(run(t), 0x24);
	assert_int_equal(t->regs.x[5], 42);
	/* SAS=3, SF (64-bit register), WnR, DFSC = permission fault, level 3. */
	assert_int_equal(ISS(t->trap.esr), ISV | SAS(3) | SRT(5) | SF | WNR | 0x0f);
	assert_int_equal(t->trap.far, RO_IPA + 0x18);
	assert_int_equal(t->trap.hpfar, (RO_IPA >> 12) << 4);
	assert_int_equal(t->regs.pc, CODE_IPA + 4);
}

static void test_fetch_faults_are_instruction_aborts(void **state)
{
	struct t *t = *state;
	const struct hm_guest_op ops[] = { OP_SET(0, 1) };

	/* Code placed on a data (R+W, no X) page: permission fault on the fetch. */
	assert_int_equal(hm_guest_program(t->m, VMID, 0, DATA_IPA + 0x40, ops, 1), 0);
	t->regs.pc = DATA_IPA + 0x40;
	assert_int_equal(run(t), 0x20);
	assert_int_equal(ISS(t->trap.esr), 0x0f);
	assert_int_equal(t->trap.far, DATA_IPA + 0x40);
	assert_int_equal(t->trap.hpfar, (DATA_IPA >> 12) << 4);
	assert_int_equal(t->regs.pc, DATA_IPA + 0x40);
	assert_int_equal(t->regs.x[0], 0);

	/* Nothing mapped at the PC: translation fault, level 2. */
	t->regs.pc = HOLE_L2 & ~0xfull;
	assert_int_equal(run(t), 0x20);
	assert_int_equal(ISS(t->trap.esr), 0x06);
	assert_int_equal(t->trap.far, HOLE_L2 & ~0xfull);
	assert_int_equal(t->regs.pc, HOLE_L2 & ~0xfull);
}

static void test_hvc_traps_with_next_pc(void **state)
{
	struct t *t = *state;
	const struct hm_guest_op ops[] = {
		OP_SET(0, 0xc4000003), OP_SET(1, 11),	OP_SET(6, 66),
		OP_HVC(0x1234),	       OP_EXPECT(0, 0), OP_EXPECT(1, 0x77),
	};
	char msg[200];

	program(t, ops, 6);
	t->regs.x[29] = 29;
	assert_int_equal(run(t), 0x16);
	assert_int_equal(t->trap.esr, (0x16ull << 26) | IL | 0x1234);
	assert_int_equal(t->trap.far, 0);
	assert_int_equal(t->trap.hpfar, 0);
	assert_int_equal(t->regs.pc, CODE_IPA + 16); /* ELR: the op after the HVC */
	assert_int_equal(t->regs.x[0], 0xc4000003);
	assert_int_equal(t->regs.x[1], 11);
	assert_int_equal(t->regs.x[6], 66);
	assert_int_equal(t->regs.x[29], 29);

	/* kcore answers in x0..x3 and resumes the guest, which sees the answer. */
	t->regs.x[0] = 0;
	t->regs.x[1] = 0x77;
	assert_int_equal(run(t), 0x01);
	assert_wfi(t, CODE_IPA + 24);
	assert_int_equal(hm_guest_failures(t->m, msg, sizeof(msg)), 0);
}

static void test_wfi_op_and_no_program(void **state)
{
	struct t *t = *state;
	const struct hm_guest_op ops[] = { OP_SET(2, 5), OP_WFI, OP_SET(2, 6) };

	program(t, ops, 3);
	assert_int_equal(run(t), 0x01);
	/* ELR points at the WFI: stepping over it is the hypervisor's job. */
	assert_wfi(t, CODE_IPA + 4);
	assert_int_equal(t->regs.x[2], 5);
	assert_int_equal(run(t), 0x01);
	assert_wfi(t, CODE_IPA + 4);
	t->regs.pc += 4;
	assert_int_equal(run(t), 0x01);
	assert_wfi(t, CODE_IPA + 12);
	assert_int_equal(t->regs.x[2], 6);

	/* Removing the program: the vCPU idles wherever it is. */
	assert_int_equal(hm_guest_program(t->m, VMID, 0, 0, NULL, 0), 0);
	t->regs.pc = CODE_IPA;
	assert_int_equal(run(t), 0x01);
	assert_wfi(t, CODE_IPA);
	/* Another vCPU of the same VM never had one. */
	t->g.vcpu = 1;
	assert_int_equal(run(t), 0x01);
	/* A misaligned PC (an EL1 fault on hardware) idles too. */
	t->regs.pc = CODE_IPA + 2;
	assert_int_equal(run(t), 0x01);
	assert_wfi(t, CODE_IPA + 2);
}

static void test_expect_mismatch_is_recorded(void **state)
{
	struct t *t = *state;
	const struct hm_guest_op ops[] = {
		OP_SET(9, 1),
		OP_EXPECT(9, 1),
		OP_EXPECT(9, 2),
		OP_EXPECT(10, 0xabc),
	};
	char msg[200];

	program(t, ops, 4);
	assert_int_equal(run(t), 0x01);
	assert_int_equal(hm_guest_failures(t->m, msg, sizeof(msg)), 2);
	assert_string_equal(msg, "VMID 3 vCPU 0 pc 0x8000000c: x10 is 0x0, expected 0xabc");
	assert_wfi(t, CODE_IPA + 16);
}

static void test_device_access_is_logged(void **state)
{
	struct t *t = *state;
	const struct hm_guest_op ops[] = {
		OP_SET(1, 0x55aa), OP_STORE(1, 4, DEV_IPA + 0x18),
		OP_SET(2, 0xffff), OP_LOAD(2, 2, DEV_IPA + 0x4),
		OP_EXPECT(2, 0),
	};
	struct hm_dev_access log[4];
	char msg[200];

	program(t, ops, 5);
	hm_dev_log_clear(t->m);
	assert_int_equal(run_on(t, 1), 0x01);
	assert_int_equal(hm_guest_failures(t->m, msg, sizeof(msg)), 0);
	assert_int_equal(hm_dev_log_read(t->m, log, 4), 2);
	assert_int_equal(log[0].cpu, 1);
	assert_int_equal(log[0].vmid, VMID);
	assert_int_equal(log[0].ipa, DEV_IPA + 0x18);
	assert_int_equal(log[0].pa, DEV_BASE + 0x18);
	assert_int_equal(log[0].size, 4);
	assert_true(log[0].write);
	assert_int_equal(log[0].value, 0x55aa);
	assert_true(log[0].device_attr);
	assert_int_equal(log[1].pa, DEV_BASE + 4);
	assert_int_equal(log[1].size, 2);
	assert_false(log[1].write);
	assert_int_equal(log[1].value, 0);
	assert_true(log[1].seq > log[0].seq);
	hm_dev_log_clear(t->m);
	assert_int_equal(hm_dev_log_read(t->m, NULL, 0), 0);
}

static void test_other_fault_codes(void **state)
{
	struct t *t = *state;
	const struct hm_guest_op ops[] = {
		OP_LOAD(1, 8, DATA_IPA),
		OP_LOAD(2, 1, 0x80005000),
	};
	uint64_t *d = l3_slot(t, DATA_IPA);

	program(t, ops, 2);
	/* Access flag clear: DFSC 0b001011 (level 3). */
	*d &= ~(1ull << 10);
	assert_int_equal(run(t), 0x24);
	assert_int_equal(ISS(t->trap.esr), ISV | SAS(3) | SRT(1) | SF | 0x0b);
	*d |= 1ull << 10;

	/* Mapped, but nothing at the output address: external abort, EA, no HPFAR. */
	assert_int_equal(pgt_map(&t->s2, 0x80005000, 0x100000000ull, 3, PROT_RW), KC_OK);
	assert_int_equal(run(t), 0x24);
	assert_int_equal(t->regs.pc, CODE_IPA + 4);
	assert_int_equal(ISS(t->trap.esr), ISV | SAS(0) | SRT(2) | EA | 0x10);
	assert_int_equal(t->trap.far, 0x80005000);
	assert_int_equal(t->trap.hpfar, 0);
}

static void test_stale_tlb_entry_reaches_old_frame(void **state)
{
	struct t *t = *state;
	const struct hm_guest_op ops[] = {
		OP_SET(1, 0x5157a1e),
		OP_STORE(1, 8, DATA_IPA + 8),
	};
	char why[200];

	program(t, ops, 2);
	assert_true(hm_tlb_coherent(t->m, why, sizeof(why)));
	assert_string_equal(why, "");
	assert_int_equal(run(t), 0x01);

	/* Remove the mapping behind the TLB's back (what a missing TLBI leaves). */
	*l3_slot(t, DATA_IPA) = 0;
	memset(hm_phys(t->m, FRAME(2), 16), 0, 16);
	t->regs.pc = CODE_IPA;
	assert_int_equal(run(t), 0x01);
	/* The isolation bug: CPU 0's guest still writes the frame it lost. */
	assert_int_equal(*(uint64_t *)hm_phys(t->m, FRAME(2) + 8, 8), 0x5157a1e);
	/* CPU 1 never cached it: it faults. */
	t->regs.pc = CODE_IPA;
	assert_int_equal(run_on(t, 1), 0x24);
	assert_int_equal(ISS(t->trap.esr) & 0x3f, 0x07);

	assert_false(hm_tlb_coherent(t->m, why, sizeof(why)));
	assert_string_equal(why, "CPU 0 TLB holds S2 VMID 3 IPA 0x80001000 -> PA 0x40002000 "
				 "(4 KiB, rw-, Normal 0xf), tables now: translation fault at "
				 "level 3");
	plat_tlbi_s2_ipa(VMID + 1, DATA_IPA); /* another VM's: not enough */
	assert_false(hm_tlb_coherent(t->m, NULL, 0));
	plat_tlbi_s2_ipa(VMID, DATA_IPA);
	assert_true(hm_tlb_coherent(t->m, why, sizeof(why)));
	t->regs.pc = CODE_IPA;
	assert_int_equal(run(t), 0x24);
}

static void test_coherence_sees_changes_and_pgt_unmap(void **state)
{
	struct t *t = *state;
	const struct hm_guest_op ops[] = {
		OP_LOAD(1, 8, DATA_IPA),
		OP_LOAD(2, 8, RO_IPA),
		OP_LOAD(3, 8, 0x80400000),
	};
	char why[200];
	uint64_t *d;

	assert_int_equal(pgt_map(&t->s2, 0x80400000, RAM_BASE + 0x200000, 2, PROT_RW), KC_OK);
	program(t, ops, 3);
	assert_int_equal(run_on(t, 1), 0x01);
	assert_true(hm_tlb_coherent(t->m, why, sizeof(why)));

	/* A permission change without TLBI: still incoherent (upgrade included). */
	d = l3_slot(t, RO_IPA);
	*d |= 1ull << 7; /* S2AP write */
	assert_false(hm_tlb_coherent(t->m, why, sizeof(why)));
	assert_non_null(strstr(why, "CPU 1 TLB holds S2 VMID 3 IPA 0x80004000 -> PA 0x40004000 "
				    "(4 KiB, r--, Normal 0xf), tables now: PA 0x40004000 (4 KiB, "
				    "rw-, Normal 0xf)"));
	plat_tlbi_s2_ipa(VMID, RO_IPA);
	assert_true(hm_tlb_coherent(t->m, why, sizeof(why)));

	/* core's unmap invalidates: coherent afterwards, for a block too. */
	assert_int_equal(pgt_unmap(&t->s2, DATA_IPA, NULL), KC_OK);
	assert_true(hm_tlb_coherent(t->m, why, sizeof(why)));
	assert_int_equal(pgt_unmap(&t->s2, 0x80400000, NULL), KC_OK);
	assert_true(hm_tlb_coherent(t->m, why, sizeof(why)));

	/* A block remapped elsewhere without TLBI names its size. */
	assert_int_equal(pgt_map(&t->s2, 0x80400000, RAM_BASE + 0x200000, 2, PROT_RW), KC_OK);
	t->regs.pc = CODE_IPA + 8;
	assert_int_equal(run_on(t, 1), 0x01);
	{
		uint64_t *l1 = hm_phys(t->m, t->s2.root, 8), *l2;

		l1 = hm_phys(t->m, (*l1 & 0x0000fffffffff000ull) + 8 * 2, 8);
		l2 = hm_phys(t->m, (*l1 & 0x0000fffffffff000ull) + 8 * 2, 8);
		*l2 = (*l2 & ~0x0000fffffffff000ull) | (RAM_BASE + 0x400000);
	}
	assert_false(hm_tlb_coherent(t->m, why, sizeof(why)));
	assert_non_null(strstr(why, "IPA 0x80400000 -> PA 0x40200000 (2 MiB, rw-, Normal 0xf), "
				    "tables now: PA 0x40400000 (2 MiB"));
}

static void test_program_validation_and_length_bound(void **state)
{
	struct t *t = *state;
	struct hm_guest_op bad, two[2] = { OP_WFI, OP_WFI };
	struct hm_guest_op *ops;
	char msg[200];

#define REFUSED(...)                                                                               \
	do {                                                                                       \
		bad = (struct hm_guest_op)__VA_ARGS__;                                             \
		assert_int_equal(hm_guest_program(t->m, VMID, 0, CODE_IPA, &bad, 1), -EINVAL);     \
	} while (0)
	REFUSED(OP_LOAD(1, 3, DATA_IPA));
	REFUSED(OP_LOAD(1, 4, DATA_IPA + 2));
	REFUSED(OP_STORE(31, 8, DATA_IPA));
	REFUSED(OP_LOAD(1, 8, 1ull << 48));
	REFUSED(OP_SET(31, 0));
	REFUSED(OP_HVC(0x10000));
	REFUSED({ .op = (enum hm_gop)77 });
#undef REFUSED
	bad = (struct hm_guest_op)OP_WFI;
	assert_int_equal(hm_guest_program(t->m, VMID, 0, CODE_IPA + 2, &bad, 1), -EINVAL);
	assert_int_equal(hm_guest_program(t->m, VMID, 0, (1ull << 48) - 4, two, 2), -EINVAL);
	assert_int_equal(hm_guest_program(t->m, VMID, 0, (1ull << 48) - 8, two, 2), 0);

	/* The longest program runs to its end in one call; one op more is refused. */
	ops = calloc(HM_GUEST_MAX_OPS + 1, sizeof(*ops));
	assert_non_null(ops);
	for (unsigned i = 0; i <= HM_GUEST_MAX_OPS; i++)
		ops[i] = (struct hm_guest_op)OP_SET(i % 31, i);
	assert_int_equal(hm_guest_program(t->m, VMID, 0, CODE_IPA, ops, HM_GUEST_MAX_OPS + 1),
			 -E2BIG);
	/*
	 * 64 Ki ops span 64 code pages, and the PC after them is fetched too
	 * (then found outside the program): map 65 pages, one frame for all.
	 */
	for (uint64_t off = 0; off <= 4ull * HM_GUEST_MAX_OPS; off += 0x1000)
		assert_int_equal(pgt_map(&t->s2, CODE_IPA + 0x100000 + off, FRAME(1), 3, PROT_RX),
				 KC_OK);
	assert_int_equal(
		hm_guest_program(t->m, VMID, 0, CODE_IPA + 0x100000, ops, HM_GUEST_MAX_OPS), 0);
	free(ops);
	t->regs.pc = CODE_IPA + 0x100000;
	assert_int_equal(run(t), 0x01);
	assert_wfi(t, CODE_IPA + 0x100000 + 4ull * HM_GUEST_MAX_OPS);
	assert_int_equal(t->regs.x[(HM_GUEST_MAX_OPS - 1) % 31], HM_GUEST_MAX_OPS - 1);
	assert_int_equal(hm_guest_failures(t->m, msg, sizeof(msg)), 0);
}

/* Two vCPUs of one VM on two CPU threads at once, each with its own program. */
static void parallel_fn(unsigned cpu, void *arg)
{
	struct t *t = arg;
	struct kc_guest g = t->g;
	struct kc_vcpu_regs regs = { .pc = CODE_IPA };
	struct kc_trap trap;

	g.vcpu = (uint16_t)cpu;
	for (int i = 0; i < 200; i++) {
		regs.pc = CODE_IPA;
		plat_guest_run(&g, &regs, &trap);
		if (trap.esr >> 26 != 0x01)
			return;
	}
}

static void test_parallel_vcpus(void **state)
{
	struct t *t = *state;
	char msg[200];

	for (unsigned c = 0; c < NCPUS; c++) {
		const struct hm_guest_op ops[] = {
			OP_SET(1, 0x100 + c),
			OP_STORE(1, 8, DATA_IPA + 8 * c),
			OP_LOAD(2, 8, DATA_IPA + 8 * c),
			OP_EXPECT(2, 0x100 + c),
		};

		assert_int_equal(hm_guest_program(t->m, VMID, (uint16_t)c, CODE_IPA, ops, 4), 0);
	}
	assert_int_equal(hm_run_parallel(t->m, parallel_fn, t), 0);
	assert_int_equal(hm_guest_failures(t->m, msg, sizeof(msg)), 0);
	for (unsigned c = 0; c < NCPUS; c++)
		assert_int_equal(*(uint64_t *)hm_phys(t->m, FRAME(2) + 8 * c, 8), 0x100 + c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_load_store_reach_frames),
		T(test_unmapped_data_abort_then_retry),
		T(test_store_to_read_only_is_permission_fault),
		T(test_fetch_faults_are_instruction_aborts),
		T(test_hvc_traps_with_next_pc),
		T(test_wfi_op_and_no_program),
		T(test_expect_mismatch_is_recorded),
		T(test_device_access_is_logged),
		T(test_other_fault_codes),
		T(test_stale_tlb_entry_reaches_old_frame),
		T(test_coherence_sees_changes_and_pgt_unmap),
		T(test_program_validation_and_length_bound),
		T(test_parallel_vcpus),
	};

	return cmocka_run_group_tests_name("hosted-guest", tests, NULL, NULL);
}
