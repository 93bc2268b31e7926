/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vCPU boundary (docs/VCPU.md, issue 9): a VM's registers and data
 * reach the host only where the guest lets them, and only the guest
 * decides where its vCPUs run.  Each test is an attack a hostile host
 * makes through the ABI, with its control in the same test: the same
 * action where the guest did hand the thing over succeeds.  Every refused
 * call is checked to change nothing, and invariants 1-7 hold after each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/state.h"
#include "guestprog.h"

#define IMG_BASE 0x80000000ull
#define V1_ENTRY (IMG_BASE + 0x800) /* where vCPU 0 starts vCPU 1 */
#define DATA_IPA 0x90000000ull
#define MMIO_IPA 0xA0000000ull
#define SECRET	 0x5ec2e75ec2e70042ull /* a value only the guest knows */
#define CTX_ID	 0x1234abcdull

static struct kf the_kf;

static int setup(void **state)
{
	kf_setup(&the_kf);
	*state = &the_kf;
	return 0;
}

static int teardown(void **state)
{
	kf_teardown(*state);
	return 0;
}

/* VCPU_RUN that must be refused with `want`, changing nothing. */
static void refused_run(struct kf *f, int want, uint64_t vm, uint64_t vcpu, uint64_t finish,
			uint64_t value)
{
	kf_call_refused(f, want, KC_HC_VCPU_RUN, vm, vcpu, finish, value);
}

static void run_expect(struct kf *f, uint64_t vm, uint64_t vcpu, uint64_t finish, uint64_t value,
		       uint64_t x1, uint64_t x2, uint64_t x3)
{
	uint64_t r[3];

	assert_int_equal(kf_run(f, vm, vcpu, finish, value, r), KC_OK);
	if (r[0] != x1 || r[1] != x2 || r[2] != x3)
		fail_msg("exit 0x%llx 0x%llx 0x%llx, want 0x%llx 0x%llx 0x%llx",
			 (unsigned long long)r[0], (unsigned long long)r[1],
			 (unsigned long long)r[2], (unsigned long long)x1, (unsigned long long)x2,
			 (unsigned long long)x3);
	kf_check(f);
}

static void guard(uint64_t ipa_reg_value, struct hm_guest_op *ops)
{
	ops[0] = SET(0, KC_GC_MMIO_GUARD_MAP);
	ops[1] = SET(1, ipa_reg_value);
	ops[2] = SET(2, 0); /* must be zero */
	ops[3] = HVC;
	ops[4] = EXPECT(0, KC_OK);
}

/*
 * Point 1: a store of a secret to RAM nobody backs shows the host the page
 * and "write", never the data; the host cannot complete it as MMIO, nor
 * choose what a load from unbacked RAM returns.  Control: the same store
 * and load on a page the guest guarded do show and take data.
 */
static void test_ram_fault_is_not_mmio(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);
	struct hm_guest_op g[5];

	guard(MMIO_IPA, g);
	PROG(f, vm, 0, IMG_BASE, SET(2, SECRET), OP(STORE, 2, 8, DATA_IPA + 8, 0),
	     OP(LOAD, 3, 8, DATA_IPA + 16, 0), EXPECT(3, 0), g[0], g[1], g[2], g[3], g[4],
	     SET(2, SECRET), OP(STORE, 2, 8, MMIO_IPA + 8, 0), OP(LOAD, 4, 8, MMIO_IPA + 16, 0),
	     EXPECT(4, 0x41), WFI);

	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_FAULT | KC_EXIT_F_WRITE, DATA_IPA, 0);
	refused_run(f, KC_ESTATE, vm, 0, KC_RUN_MMIO_DONE, 0); /* not emulable */
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, kf_frame(f), 3, NULL), KC_OK);
	/* The load from the (now backed, fresh) page: the host chose nothing. */
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_MMIO | KC_EXIT_F_WRITE | (3u << 12),
		   MMIO_IPA + 8, SECRET); /* control: the guest sends its device the secret */
	run_expect(f, vm, 0, KC_RUN_MMIO_DONE, 0, KC_EXIT_MMIO | (3u << 12), MMIO_IPA + 16, 0);
	run_expect(f, vm, 0, KC_RUN_MMIO_DONE, 0x41, KC_EXIT_WFI, 0, 0);
}

/* The host's load answer on a page the guest never guarded is refused (point 1). */
static void test_host_cannot_answer_ram_loads(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);

	PROG(f, vm, 0, IMG_BASE, OP(LOAD, 3, 8, DATA_IPA, 0), EXPECT(3, 0), WFI);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_FAULT, DATA_IPA, 0);
	refused_run(f, KC_ESTATE, vm, 0, KC_RUN_MMIO_DONE, 0x41);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, kf_frame(f), 3, NULL), KC_OK);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_WFI, 0, 0);
}

/*
 * Point 1, the race: two vCPUs fault on the same unbacked page; the host
 * backs it through one, then tries to "emulate" the other's stale fault.
 * And an MMIO exit whose page the guest unguarded meanwhile is not
 * completed either.
 */
static void test_stale_faults(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 2);
	struct hm_guest_op g[5];

	guard(MMIO_IPA, g);
	PROG(f, vm, 0, IMG_BASE, g[0], g[1], g[2], g[3], g[4], SET(0, KC_PSCI_CPU_ON64), SET(1, 1),
	     SET(2, V1_ENTRY), SET(3, 0), HVC, EXPECT(0, KC_PSCI_SUCCESS), SET(2, SECRET),
	     OP(STORE, 2, 8, DATA_IPA, 0), SET(0, KC_GC_MMIO_GUARD_UNMAP), SET(1, MMIO_IPA),
	     SET(2, 0), HVC, EXPECT(0, KC_OK), WFI);
	PROG(f, vm, 1, V1_ENTRY, OP(LOAD, 5, 8, DATA_IPA + 8, 0), OP(STORE, 6, 4, MMIO_IPA, 0),
	     WFI);

	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_CPU_ON, 1, 0);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_FAULT | KC_EXIT_F_WRITE, DATA_IPA, 0);
	run_expect(f, vm, 1, KC_RUN_RESUME, 0, KC_EXIT_FAULT, DATA_IPA, 0);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, kf_frame(f), 3, NULL), KC_OK);
	refused_run(f, KC_ESTATE, vm, 1, KC_RUN_MMIO_DONE, 0x41); /* backed since: no MMIO */
	/* vCPU 1 retries, its load now hits memory, then it stores to the guarded page. */
	run_expect(f, vm, 1, KC_RUN_RESUME, 0, KC_EXIT_MMIO | KC_EXIT_F_WRITE | (2u << 12),
		   MMIO_IPA, 0);
	/* vCPU 0 stores (backed now) and drops the guard. */
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_WFI, 0, 0);
	refused_run(f, KC_ESTATE, vm, 1, KC_RUN_MMIO_DONE, 0); /* no longer guarded */
	/* Retried, the store is a plain fault now: no data shown. */
	run_expect(f, vm, 1, KC_RUN_RESUME, 0, KC_EXIT_FAULT | KC_EXIT_F_WRITE, MMIO_IPA, 0);
}

/* The guard's own rules: what may be guarded, and that a guarded page is never RAM. */
static void test_guard_rules(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);

	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_MMIO_GUARD_MAP, MMIO_IPA + 8, 0), KC_EINVAL);
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_MMIO_GUARD_MAP, 1ull << 48, 0), KC_EINVAL);
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_MMIO_GUARD_MAP, MMIO_IPA, 1), KC_EINVAL);
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_MMIO_GUARD_MAP, IMG_BASE, 0), KC_EEXIST);
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_MMIO_GUARD_UNMAP, MMIO_IPA, 0), KC_ENOENT);
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_MMIO_GUARD_MAP, MMIO_IPA, 0), KC_OK);
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_MMIO_GUARD_MAP, MMIO_IPA, 0), KC_OK);
	kf_check(f);
	/* A fault on the guarded page is MMIO: the host cannot back it with a frame. */
	PROG(f, vm, 0, kf_vcpu_pc(vm, 0), OP(LOAD, 1, 8, MMIO_IPA, 0), WFI);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_MMIO | (3u << 12), MMIO_IPA, 0);
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];
	kf_digest(f, before);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, kf_frame(f), 3, NULL), KC_ESTATE);
	kf_digest(f, after);
	kf_assert_same("MAP_FAULT over a guarded page", before, after);
	run_expect(f, vm, 0, KC_RUN_MMIO_DONE, 7, KC_EXIT_WFI, 0, 0);
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_MMIO_GUARD_UNMAP, MMIO_IPA, 0), KC_OK);
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_MMIO_GUARD_UNMAP, MMIO_IPA, 0), KC_ENOENT);
	/* Reclaim takes the marks with the tree. */
	assert_int_equal(kf_guest_call(f, vm, 0, KC_GC_MMIO_GUARD_MAP, MMIO_IPA, 0), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_POWEROFF, vm, 0, 0, 0, NULL), KC_OK);
	uint64_t r[3] = { 1, 0, 0 };
	while (r[0])
		assert_int_equal(kf_call(f, KC_HC_VM_RECLAIM, vm, 100, 0, 0, r), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_DESTROY, vm, 0, 0, 0, NULL), KC_OK);
	kf_check(f);
}

/*
 * Point 2: a vCPU the guest never started does not run, wherever the host
 * would like it to.  Control: after the guest's CPU_ON it runs from the
 * guest's entry with the guest's context id, and the host can change
 * neither.
 */
static void test_only_the_guest_starts_vcpus(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 3);

	PROG(f, vm, 1, V1_ENTRY, EXPECT(0, CTX_ID), SET(0, KC_PSCI_CPU_OFF), HVC, WFI);
	refused_run(f, KC_ESTATE, vm, 1, KC_RUN_RESUME, 0);
	refused_run(f, KC_ESTATE, vm, 1, KC_RUN_CALL_DONE, V1_ENTRY);
	PROG(f, vm, 0, IMG_BASE, SET(0, KC_PSCI_AFFINITY_INFO64), SET(1, 1), SET(2, 0), HVC,
	     EXPECT(0, KC_PSCI_AFF_OFF), SET(0, KC_PSCI_CPU_ON64), SET(1, 7), SET(2, V1_ENTRY),
	     SET(3, CTX_ID), HVC, EXPECT(0, (uint64_t)KC_PSCI_INVALID_PARAMS),
	     SET(0, KC_PSCI_CPU_ON64), SET(1, 1), SET(2, V1_ENTRY + 2), HVC,
	     EXPECT(0, (uint64_t)KC_PSCI_INVALID_ADDRESS), SET(0, KC_PSCI_CPU_ON64),
	     SET(2, V1_ENTRY), HVC, EXPECT(0, KC_PSCI_SUCCESS), SET(0, KC_PSCI_CPU_ON64), HVC,
	     EXPECT(0, (uint64_t)KC_PSCI_ALREADY_ON), SET(0, KC_PSCI_AFFINITY_INFO64), SET(1, 1),
	     SET(2, 0), HVC, EXPECT(0, KC_PSCI_AFF_ON), WFI);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_CPU_ON, 1, 0);
	refused_run(f, KC_ESTATE, vm, 0, KC_RUN_CALL_DONE, 0); /* nothing to answer */
	assert_int_equal(kf_vcpu_pc(vm, 1), V1_ENTRY);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_WFI, 0, 0);
	run_expect(f, vm, 1, KC_RUN_RESUME, 0, KC_EXIT_CPU_OFF, 0, 0);
	refused_run(f, KC_ESTATE, vm, 1, KC_RUN_RESUME, 0); /* off again */
	refused_run(f, KC_ESTATE, vm, 2, KC_RUN_RESUME, 0); /* never started */
}

/*
 * The shadow context: nothing of a vCPU's earlier life survives a restart
 * (CPU_OFF, CPU_ON) or a new VM on a reused id.
 */
static void test_context_is_scrubbed(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 2);
	const uint64_t tpidr = HM_SYSREG(3, 0, 13, 0, 4);

	PROG(f, vm, 1, V1_ENTRY, SET(HM_REG_V0 + 5, SECRET), SET(7, SECRET),
	     OP(MSR, 7, 0, 0, tpidr), SET(0, KC_PSCI_CPU_OFF), HVC, EXPECT(HM_REG_V0 + 5, 0),
	     EXPECT(7, 0), OP(MRS, 8, 0, 0, tpidr), EXPECT(8, 0), WFI);
	PROG(f, vm, 0, IMG_BASE, SET(0, KC_PSCI_CPU_ON64), SET(1, 1), SET(2, V1_ENTRY), HVC, WFI,
	     SET(0, KC_PSCI_CPU_ON64), SET(2, V1_ENTRY + 20), HVC, WFI);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_CPU_ON, 1, 0);
	run_expect(f, vm, 1, KC_RUN_RESUME, 0, KC_EXIT_CPU_OFF, 0, 0);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_WFI, 0, 0);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_CPU_ON, 1, 0);
	run_expect(f, vm, 1, KC_RUN_RESUME, 0, KC_EXIT_WFI, 0, 0); /* its EXPECTs ran */
	/* A new VM on the same id: its vCPU 0 starts clean too. */
	PROG(f, vm, 0, kf_vcpu_pc(vm, 0), SET(HM_REG_V0 + 9, SECRET), SET(9, SECRET),
	     OP(MSR, 9, 0, 0, tpidr), SET(0, KC_PSCI_SYSTEM_OFF), HVC);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_POWEROFF, 0, 0);
	uint64_t r[3] = { 1, 0, 0 };
	while (r[0])
		assert_int_equal(kf_call(f, KC_HC_VM_RECLAIM, vm, 100, 0, 0, r), KC_OK);
	assert_int_equal(kf_call(f, KC_HC_VM_DESTROY, vm, 0, 0, 0, NULL), KC_OK);
	assert_int_equal(kf_vm_with_vcpus(f, IMG_BASE, 1), vm);
	PROG(f, vm, 0, IMG_BASE, EXPECT(HM_REG_V0 + 9, 0), EXPECT(9, 0), OP(MRS, 8, 0, 0, tpidr),
	     EXPECT(8, 0), WFI);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_WFI, 0, 0);
}

/*
 * Point 3: guest calls obey the ABI of host calls.  Stray registers are
 * refused with nothing changed; the id is W0; PSCI and SMCCC are kcore's
 * (no exit, no argument shown); an unknown call shows its id only; the
 * host cannot "return" from calls that never return.
 */
static void test_guest_call_rules(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];

	/* Back the data page first, so SHARE has something to share. */
	PROG(f, vm, 0, IMG_BASE, OP(STORE, 1, 8, DATA_IPA, 0), WFI);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_FAULT | KC_EXIT_F_WRITE, DATA_IPA, 0);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, kf_frame(f), 3, NULL), KC_OK);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_WFI, 0, 0);

	kf_digest_noregs(f, before);
	PROG(f, vm, 0, kf_vcpu_pc(vm, 0), SET(0, KC_GC_SHARE), SET(1, DATA_IPA >> 12), SET(2, 1),
	     SET(3, 5), HVC, EXPECT(0, (uint64_t)KC_EINVAL), SET(0, KC_GC_SHARE), SET(3, 0),
	     SET(6, 1), HVC, EXPECT(0, (uint64_t)KC_EINVAL), SET(6, 0), WFI);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_WFI, 0, 0);
	kf_digest_noregs(f, after);
	kf_assert_same("SHARE with stray registers", before, after);
	assert_int_equal(kf_frame_count(kf_vm_lookup(vm, DATA_IPA) >> 12), 0);
	/* Control: the same call with the id in W0 and garbage above it works. */
	assert_int_equal(
		kf_guest_call(f, vm, 0, 0xdead00000000ull | KC_GC_SHARE, DATA_IPA >> 12, 1), KC_OK);
	assert_int_equal(kf_frame_count(kf_vm_lookup(vm, DATA_IPA) >> 12), 1);

	/* PSCI_VERSION and SMCCC_VERSION: answered by kcore, x1 never shown. */
	PROG(f, vm, 0, kf_vcpu_pc(vm, 0), SET(1, SECRET), SET(0, KC_PSCI_VERSION), HVC,
	     EXPECT(0, KC_PSCI_VERSION_1_0), SET(0, KC_SMCCC_VERSION), HVC,
	     EXPECT(0, KC_SMCCC_VERSION_1_1), SET(0, KC_PSCI_FEATURES), SET(1, KC_PSCI_CPU_ON64),
	     HVC, EXPECT(0, 0), SET(0, 0x84000005ull), HVC,
	     EXPECT(0, (uint64_t)KC_PSCI_NOT_SUPPORTED), SET(0, KC_HC_VM_CREATE), HVC,
	     EXPECT(0, (uint64_t)KC_ENOTSUP), SET(1, SECRET), SET(0, 0xC5001234ull), HVC,
	     EXPECT(0, 0x99), SET(0, 0xC5001234ull), HVC, EXPECT(0, (uint64_t)KC_ENOTSUP),
	     SET(0, KC_PSCI_SYSTEM_RESET), HVC);
	/* The unknown call shows W0 and no argument; the host answers it once. */
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_CALL, 0xC5001234ull, 0);
	refused_run(f, KC_ESTATE, vm, 0, KC_RUN_MMIO_DONE, 0);
	run_expect(f, vm, 0, KC_RUN_CALL_DONE, 0x99, KC_EXIT_CALL, 0xC5001234ull, 0);
	/* Declined (RESUME): the guest sees NOT_SUPPORTED, not its own id. */
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_POWEROFF | KC_EXIT_F_RESET, 0, 0);
	assert_int_equal(kf_vm_state(vm), KF_VM_POWEROFF);
	refused_run(f, KC_ESTATE, vm, 0, KC_RUN_CALL_DONE, 0); /* SYSTEM_RESET never returns */
}

/*
 * Point 6: an MMIO load completes as the instruction would (sign or zero
 * extension, W or X register), the PC moves by the instruction's length,
 * and a value wider than the access is refused.  Trapped system registers
 * are answered by kcore, never an exit.
 */
static void test_exit_decoding(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);
	struct hm_guest_op g[5];

	guard(MMIO_IPA, g);
	PROG(f, vm, 0, IMG_BASE, g[0], g[1], g[2], g[3], g[4], OP(LOADS, 1, 1, MMIO_IPA, 0),
	     EXPECT(1, 0xffffffffffffff80ull), OP(LOADSW, 2, 2, MMIO_IPA, 0),
	     EXPECT(2, 0xffff8000ull), OP(LOAD, 3, 4, MMIO_IPA, 0), EXPECT(3, 0x80000000ull),
	     OP(LOADS, 4, 4, MMIO_IPA, 0), EXPECT(4, 0x7fffffffull), SET(5, SECRET),
	     OP(MRS, 5, 0, 0, HM_SYSREG(3, 0, 0, 4, 0)), EXPECT(5, 0x01000011),
	     OP(MRS, 6, 0, 0, HM_SYSREG(2, 0, 0, 0, 4)), EXPECT(6, 0),
	     OP(MSR, 5, 0, 0, HM_SYSREG(2, 0, 0, 0, 4)),
	     OP(MRS, 31, 0, 0, HM_SYSREG(3, 0, 0, 4, 0)), WFI);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_MMIO, MMIO_IPA, 0);
	uint64_t pc = kf_vcpu_pc(vm, 0);
	refused_run(f, KC_EINVAL, vm, 0, KC_RUN_MMIO_DONE, 0x180); /* wider than 1 byte */
	run_expect(f, vm, 0, KC_RUN_MMIO_DONE, 0x80, KC_EXIT_MMIO | (1u << 12), MMIO_IPA, 0);
	assert_int_equal(kf_vcpu_pc(vm, 0), pc + 8); /* past the load and the EXPECT */
	run_expect(f, vm, 0, KC_RUN_MMIO_DONE, 0x8000, KC_EXIT_MMIO | (2u << 12), MMIO_IPA, 0);
	run_expect(f, vm, 0, KC_RUN_MMIO_DONE, 0x80000000, KC_EXIT_MMIO | (2u << 12), MMIO_IPA, 0);
	/* The system registers trap and are answered in kcore: the next exit is the WFI. */
	run_expect(f, vm, 0, KC_RUN_MMIO_DONE, 0x7fffffff, KC_EXIT_WFI, 0, 0);
}

/*
 * A fault that a mapping cannot fix (a fetch from a device page: a
 * permission fault) leaves nothing for the host to back.  Control: a
 * translation fault on the next page is backed.
 */
static void test_only_translation_faults_are_backed(void **state)
{
	struct kf *f = *state;
	const struct kf_image img = { IMG_BASE, 1, 0x20 };
	struct kc_manifest_layout layout;

	kf_layout(&layout, false);
	uint64_t vm = kf_vm_verified_v2(f, &img, 1, &layout);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_IO, vm, KF_LAYOUT_IO, KF_DEV_BASE, 1, NULL),
			 KC_OK);
	/* Control: a load from RAM nobody backs is a translation fault, and is backed. */
	PROG(f, vm, 0, IMG_BASE, OP(LOAD, 1, 8, DATA_IPA, 0), WFI);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_FAULT, DATA_IPA, 0);
	assert_int_equal(kf_vcpu_pending(vm, 0), KF_PENDING_FAULT);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, kf_frame(f), 3, NULL), KC_OK);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_WFI, 0, 0);
	/* The guest branches into its device page (the model has no branch: set its pc). */
	kc.vms[vm].vcpus[0].regs.pc = KF_LAYOUT_IO;
	PROG(f, vm, 0, KF_LAYOUT_IO, WFI);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_FAULT | KC_EXIT_F_FETCH, KF_LAYOUT_IO, 0);
	assert_int_equal(kf_vcpu_pending(vm, 0), KF_PENDING_NONE);
	uint8_t before[KC_DIGEST_LEN], after[KC_DIGEST_LEN];
	kf_digest(f, before);
	assert_int_equal(kf_call(f, KC_HC_VM_MAP_FAULT, vm, 0, kf_frame(f), 3, NULL), KC_ESTATE);
	kf_digest(f, after);
	kf_assert_same("MAP_FAULT of a permission fault", before, after);
	kf_check(f);
}

/*
 * A guest SMC (trapped, HCR_EL2.TSC) is a guest call like HVC: PSCI stays
 * kcore's, the firmware is never reached, and the guest goes on after it.
 * Control: the same calls by HVC.
 */
static void test_smc_is_a_guest_call(void **state)
{
	struct kf *f = *state;
	uint64_t vm = kf_vm_with_vcpus(f, IMG_BASE, 1);

	PROG(f, vm, 0, IMG_BASE, SET(0, KC_PSCI_VERSION), OP(SMC, 0, 0, 0, 0),
	     EXPECT(0, KC_PSCI_VERSION_1_0), SET(0, KC_PSCI_VERSION), HVC,
	     EXPECT(0, KC_PSCI_VERSION_1_0), SET(0, KC_PSCI_VERSION), OP(SMC, 0, 0, 0, 1),
	     EXPECT(0, (uint64_t)KC_ENOTSUP), SET(1, SECRET), SET(0, 0xC5001234ull),
	     OP(SMC, 0, 0, 0, 0), EXPECT(0, 0x55), WFI);
	run_expect(f, vm, 0, KC_RUN_RESUME, 0, KC_EXIT_CALL, 0xC5001234ull, 0);
	run_expect(f, vm, 0, KC_RUN_CALL_DONE, 0x55, KC_EXIT_WFI, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ram_fault_is_not_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_cannot_answer_ram_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guard_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_the_guest_starts_vcpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_context_is_scrubbed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_call_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_decoding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_translation_faults_are_backed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_smc_is_a_guest_call, setup, teardown),
	};
	return cmocka_run_group_tests_name("vcpu", tests, NULL, NULL);
}
