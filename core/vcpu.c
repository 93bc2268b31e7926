/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VCPU_RUN: enter a vCPU and handle its traps until one needs the host.
 *
 * While a vCPU is RUNNING, the CPU that runs it owns its registers: the
 * state change READY -> RUNNING under vm->lock hands them over, RUNNING ->
 * READY hands them back, so the registers are touched without the lock in
 * between (and VCPU_RUN on another CPU gets EBUSY).  The registers never
 * leave kcore: an exit shows the host only what it needs (the fault IPA, a
 * store's data, a guest call's first two arguments), and the host can
 * change only what kcore lets it complete: the loaded value of an emulated
 * access, or x0 of a guest call it handled.
 *
 * The fault IPA the host later backs with VM_MAP_FAULT is kcore's record of
 * this trap, never a value the host names.
 */
#include <kcore/abi.h>

#include "trap.h"
#include "vm.h"

/* Guest calls kcore handles in a row before it lets the host run. */
#define VCPU_MAX_CALLS_PER_RUN 64

static uint64_t size_mask(unsigned size_log2)
{
	return size_log2 == 3 ? ~0ull : (1ull << (8u << size_log2)) - 1;
}

/* Finish the last exit as the host says (KC_RUN_*), under vm->lock. */
static int vcpu_finish_locked(struct kc_vcpu *v, uint64_t how, uint64_t value)
{
	struct trap_info ti;

	switch (how) {
	case KC_RUN_RESUME:
		if (value)
			return KC_EINVAL;
		/* An unbacked fault simply happens again; an unanswered call returns x0. */
		v->pending = PENDING_NONE;
		return KC_OK;
	case KC_RUN_MMIO_DONE:
		if (v->pending != PENDING_FAULT)
			return KC_ESTATE;
		trap_decode(&(struct kc_trap){ .esr = v->fault_esr }, &ti);
		if (ti.kind != TRAP_DABT || !ti.isv)
			return KC_ESTATE; /* only a plain load/store can be emulated */
		if (!ti.write && ti.srt != 31)
			v->regs.x[ti.srt] = value & size_mask(ti.size_log2);
		else if (value)
			return KC_EINVAL; /* a store takes no data back */
		v->regs.pc += 4;
		v->pending = PENDING_NONE;
		return KC_OK;
	case KC_RUN_CALL_DONE:
		if (v->pending != PENDING_CALL)
			return KC_ESTATE;
		v->regs.x[0] = value;
		v->pending = PENDING_NONE;
		return KC_OK;
	default:
		return KC_EINVAL;
	}
}

/*
 * One guest call.  Returns true if kcore handled it and the guest goes on;
 * false if it ends the run with `res` filled.
 */
static bool vcpu_guest_call(struct kc_vm *vm, struct kc_vcpu *v, uint64_t *res)
{
	uint64_t *x = v->regs.x;
	uint64_t fn = x[0];

	if (fn == KC_GC_SHARE || fn == KC_GC_UNSHARE) {
		int rc = fn == KC_GC_SHARE ? gc_share(vm, x[1], x[2]) : gc_unshare(vm, x[1], x[2]);
		x[0] = (uint64_t)(int64_t)rc;
		return true;
	}
	if (fn == KC_PSCI_SYSTEM_OFF) {
		lock_acquire(&vm->lock);
		if (vm->state == VM_VERIFIED)
			vm_set_poweroff_locked(vm);
		lock_release(&vm->lock);
		res[0] = KC_EXIT_POWEROFF;
		return false;
	}
	if ((fn >> 16) == (KC_FN_BASE >> 16)) {
		/* kcore's own range: host calls are not for guests. */
		x[0] = (uint64_t)(int64_t)KC_ENOTSUP;
		return true;
	}
	v->pending = PENDING_CALL; /* PSCI and the rest: the host's business */
	res[0] = KC_EXIT_CALL;
	res[1] = x[0];
	res[2] = x[1];
	return false;
}

static void vcpu_abort_exit(struct kc_vcpu *v, const struct kc_trap *t, const struct trap_info *ti,
			    uint64_t *res)
{
	v->pending = PENDING_FAULT;
	v->fault_ipa = ti->ipa;
	v->fault_esr = t->esr;
	res[0] = KC_EXIT_FAULT | (t->esr & 0x3f) << 16 | (uint64_t)ti->size_log2 << 12;
	if (ti->kind == TRAP_IABT)
		res[0] |= KC_EXIT_F_FETCH;
	if (ti->write)
		res[0] |= KC_EXIT_F_WRITE;
	if (ti->isv)
		res[0] |= KC_EXIT_F_ISV;
	res[1] = ti->ipa;
	/* The data of a store, so the host can emulate it; nothing else leaves. */
	if (ti->isv && ti->write && ti->srt != 31)
		res[2] = v->regs.x[ti->srt] & size_mask(ti->size_log2);
}

int hc_vcpu_run(const uint64_t *args, uint64_t *res)
{
	uint64_t vcpu_id = args[1];
	struct kc_vm *vm;

	if (vcpu_id >= KC_MAX_VCPUS)
		return KC_EINVAL;
	int rc = vm_lock_in(args[0], 1u << VM_VERIFIED, &vm);
	if (rc)
		return rc;
	struct kc_vcpu *v = &vm->vcpus[vcpu_id];
	if (v->state == VCPU_FREE)
		rc = KC_ENOENT;
	else if (v->state == VCPU_RUNNING)
		rc = KC_EBUSY;
	else
		rc = vcpu_finish_locked(v, args[2], args[3]);
	if (rc) {
		lock_release(&vm->lock);
		return rc;
	}
	v->state = VCPU_RUNNING;
	struct kc_guest g = { .vmid = vm->id, .vcpu = (uint16_t)vcpu_id, .s2_root = vm->s2.root };
	lock_release(&vm->lock);

	res[0] = KC_EXIT_YIELD;
	for (unsigned calls = 0; calls < VCPU_MAX_CALLS_PER_RUN;) {
		struct kc_trap t;
		struct trap_info ti;
		plat_guest_run(&g, &v->regs, &t);
		trap_decode(&t, &ti);
		if (ti.kind == TRAP_HVC) {
			calls++;
			if (vcpu_guest_call(vm, v, res))
				continue;
		} else if (ti.kind == TRAP_DABT || ti.kind == TRAP_IABT) {
			vcpu_abort_exit(v, &t, &ti, res);
		} else if (ti.kind == TRAP_WFX) {
			/* ELR points at the trapped WFI: step over it, the host did the wait. */
			v->regs.pc += 4;
			res[0] = KC_EXIT_WFI;
		} else {
			res[0] = KC_EXIT_UNKNOWN;
			res[1] = t.esr;
		}
		break;
	}

	lock_acquire(&vm->lock);
	v->state = VCPU_READY;
	lock_release(&vm->lock);
	return KC_OK;
}
