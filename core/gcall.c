/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest calls (`hvc #0` from a VM), decoded as the SMC Calling Convention
 * says and held to the rules of host calls (docs/VCPU.md):
 *
 *   - the function id is W0: bits [63:32] of x0 are ignored;
 *   - `hvc` with an immediate other than 0 is not a call: NOT_SUPPORTED;
 *   - kcore's own guest calls (KC_GC_*) take a fixed number of arguments
 *     and every other register up to x6 must be zero, else KC_EINVAL and
 *     nothing changes;
 *   - SMCCC architecture calls and PSCI are answered by kcore, never the
 *     host (core/psci.c): the host cannot "return" from CPU_OFF or
 *     SYSTEM_OFF, nor learn a PSCI argument;
 *   - any other call is forwarded: the exit carries W0 and as many
 *     arguments as gcall_forwarded below lists for that id (none for an
 *     id it does not list), so the host sees exactly the registers the
 *     guest means to hand over.
 */
#include <kcore/abi.h>

#include "vcpu.h"
#include "vm.h"

/* SMCCC function id fields: bit 31 fast, bit 30 SMC64, bits [29:24] owner. */
#define SMCCC_OWNER(fn)	   (((fn) >> 24) & 0x3fu)
#define SMCCC_OWNER_ARCH   0u
#define SMCCC_OWNER_STD	   4u /* standard secure services: PSCI at [0x00, 0x1f] */
#define SMCCC_OWNER_VENDOR 6u /* vendor hypervisor services: kcore's own range */
#define SMCCC_FN_NUM(fn)   ((fn) & 0xffffu)

/*
 * Calls forwarded to the host with arguments, by id: the only registers
 * besides W0 a forwarded call shows.  Everything not listed is forwarded
 * with none.  The Arm paravirtualised time calls (DEN0057A) are the
 * example: FEATURES names the call it asks about (x1), ST takes none.
 */
static const struct {
	uint32_t fn;
	unsigned nargs; /* 0 or 1: VCPU_RUN has one result register left (x3) */
} gcall_forwarded[] = {
	{ 0xC5000020u, 1 }, /* PV_TIME_FEATURES(x1 = function id) */
	{ 0xC5000021u, 0 }, /* PV_TIME_ST */
};

static unsigned gcall_forward_nargs(uint32_t fn)
{
	for (unsigned i = 0; i < sizeof(gcall_forwarded) / sizeof(gcall_forwarded[0]); i++)
		if (gcall_forwarded[i].fn == fn)
			return gcall_forwarded[i].nargs;
	return 0;
}

/* Registers x[first..6] are all zero (the must-be-zero rule). */
static bool gcall_mbz(const uint64_t *x, unsigned first)
{
	uint64_t any = 0;

	for (unsigned i = first; i <= 6; i++)
		any |= x[i];
	return !any;
}

/* kcore's own guest calls: the status in x0. */
static int gcall_kcore(struct kc_vm *vm, uint32_t fn, const uint64_t *x)
{
	switch (fn) {
	case KC_GC_SHARE:
	case KC_GC_UNSHARE:
		if (!gcall_mbz(x, 3))
			return KC_EINVAL;
		return fn == KC_GC_SHARE ? gc_share(vm, x[1], x[2]) : gc_unshare(vm, x[1], x[2]);
	case KC_GC_MMIO_GUARD_MAP:
	case KC_GC_MMIO_GUARD_UNMAP:
		if (!gcall_mbz(x, 2))
			return KC_EINVAL;
		return fn == KC_GC_MMIO_GUARD_MAP ? gc_mmio_guard_map(vm, x[1])
						  : gc_mmio_guard_unmap(vm, x[1]);
	default:
		return KC_ENOTSUP; /* host calls, and numbers kcore does not define */
	}
}

/* SMCCC architecture calls (owner 0). */
static int64_t gcall_arch(uint32_t fn, const uint64_t *x)
{
	if (fn == KC_SMCCC_VERSION)
		return KC_SMCCC_VERSION_1_1;
	if (fn == KC_SMCCC_ARCH_FEATURES)
		/* No firmware workaround is needed or offered to guests. */
		return (uint32_t)x[1] == KC_SMCCC_ARCH_FEATURES ? 0 : KC_ENOTSUP;
	return KC_ENOTSUP;
}

bool gcall_handle(struct kc_vm *vm, unsigned self, uint16_t imm, uint64_t res[3])
{
	struct kc_vcpu *v = &vm->vcpus[self];
	uint64_t *x = v->regs.x;
	uint32_t fn = (uint32_t)x[0];

	if (imm != 0) {
		x[0] = (uint64_t)(int64_t)KC_ENOTSUP; /* SMCCC calls are `hvc #0` */
		return true;
	}
	switch (SMCCC_OWNER(fn)) {
	case SMCCC_OWNER_VENDOR:
		x[0] = (uint64_t)(int64_t)gcall_kcore(vm, fn, x);
		return true;
	case SMCCC_OWNER_ARCH:
		x[0] = (uint64_t)gcall_arch(fn, x);
		return true;
	case SMCCC_OWNER_STD:
		if (SMCCC_FN_NUM(fn) <= 0x1f)
			return psci_handle(vm, self, fn, res);
		break;
	default:
		break;
	}
	unsigned nargs = gcall_forward_nargs(fn);
	v->pending = PENDING_CALL;
	res[0] = KC_EXIT_CALL;
	res[1] = fn;
	res[2] = nargs ? x[1] : 0;
	return false;
}
