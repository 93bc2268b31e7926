/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VCPU_RUN: enter a vCPU and handle its traps until one needs the host.
 *
 * While a vCPU is RUNNING, the CPU that runs it owns its registers: the
 * state change READY -> RUNNING under vm->lock hands them over, RUNNING ->
 * READY hands them back, so the registers are touched without the lock in
 * between (and VCPU_RUN on another CPU gets EBUSY).
 *
 * The registers never leave kcore.  Each exit shows the host exactly what
 * docs/VCPU.md's table says and nothing more: a fault on memory the guest
 * did not declare MMIO shows the page and the access kind, never a size,
 * a register or data (so a host that never backs a page learns nothing of
 * what the guest stores there, and chooses nothing it loads); only a
 * load/store to a page the guest guarded (core/mmioguard.c) shows the
 * access and, for a store, its data, and only such an exit can be
 * completed with MMIO_DONE.  The IPA the host later backs is kcore's
 * record of the trap, never a value the host names.
 */
#include <kcore/abi.h>
#include <kcore/mem.h>

#include "inject.h"
#include "vcpu.h"
#include "virq.h"
#include "vm.h"

/* Traps kcore handles in a row (guest calls, system registers) before it lets the host run. */
#define VCPU_MAX_TRAPS_PER_RUN 64

/* SPSR for a vCPU's first entry: EL1h, AArch64, D, A, I, F masked. */
#define VCPU_RESET_PSTATE      0x3c5ull
/* SCTLR_EL1 at reset: its RES1 bits, MMU, caches and alignment checks off. */
#define VCPU_RESET_SCTLR       0x30d00800ull

void vcpu_regs_reset(struct kc_vcpu_regs *r, uint64_t pc, uint64_t x0)
{
	memset(r, 0, sizeof(*r));
	r->pc = pc;
	r->x[0] = x0;
	r->pstate = VCPU_RESET_PSTATE;
	r->sys[KC_SYS_SCTLR_EL1] = VCPU_RESET_SCTLR;
}

static uint64_t size_mask(unsigned size_log2)
{
	return size_log2 == 3 ? ~0ull : (1ull << (8u << size_log2)) - 1;
}

/*
 * The register value a load of `data` leaves, as the instruction would:
 * sign-extended when SSE says so, to 32 bits for a W register (the upper
 * half of the X register is then zero).
 */
static uint64_t mmio_load_value(const struct trap_info *ti, uint64_t data)
{
	unsigned bits = 8u << ti->size_log2;

	if (ti->sse && bits < 64 && (data >> (bits - 1)) & 1)
		data |= ~0ull << bits;
	return ti->sf ? data : data & 0xffffffffull;
}

/* Complete a pending MMIO exit with the host's `value`, under vm->lock. */
static int vcpu_mmio_done_locked(struct kc_vm *vm, struct kc_vcpu *v, uint64_t value)
{
	struct trap_info ti;

	if (v->pending != PENDING_MMIO)
		return KC_ESTATE;
	/* The guest may have dropped the guard since: then only a retry (RESUME) is left. */
	if (!mmio_guard_covers_locked(vm, v->fault_ipa))
		return KC_ESTATE;
	trap_decode(&(struct kc_trap){ .esr = v->fault_esr }, &ti);
	if (ti.write) {
		if (value)
			return KC_EINVAL; /* a store takes no data back */
	} else {
		if (value & ~size_mask(ti.size_log2))
			return KC_EINVAL; /* wider than the access: must be zero */
		if (ti.srt != 31)
			v->regs.x[ti.srt] = mmio_load_value(&ti, value);
	}
	v->regs.pc += ti.insn_len;
	v->pending = PENDING_NONE;
	return KC_OK;
}

/* Finish the last exit as the host says (KC_RUN_*), under vm->lock. */
static int vcpu_finish_locked(struct kc_vm *vm, struct kc_vcpu *v, uint64_t how, uint64_t value)
{
	switch (how) {
	case KC_RUN_RESUME:
		(void)value; /* zero: hc_vcpu_run decoded it */
		/*
		 * An unbacked fault or an unemulated access simply happens again;
		 * a call the host did not answer returns NOT_SUPPORTED, never the
		 * guest's own function id as if it were a result.
		 */
		if (v->pending == PENDING_CALL)
			v->regs.x[0] = (uint64_t)(int64_t)KC_ENOTSUP;
		v->pending = PENDING_NONE;
		return KC_OK;
	case KC_RUN_MMIO_DONE:
		return vcpu_mmio_done_locked(vm, v, value);
	case KC_RUN_CALL_DONE:
		if (v->pending != PENDING_CALL)
			return KC_ESTATE;
		v->regs.x[0] = value;
		v->pending = PENDING_NONE;
		return KC_OK;
	default:
		plat_panic("vcpu: a finish code hc_vcpu_run let through");
	}
}

/*
 * A stage-2 abort: an MMIO exit if the guest guarded the page, an external
 * abort injected into the guest (no exit: returns true) if nothing can
 * ever back the page (core/inject.c), else a bare fault.
 */
static bool vcpu_abort_exit(struct kc_vm *vm, struct kc_vcpu *v, const struct kc_trap *t,
			    const struct trap_info *ti, uint64_t *res)
{
	lock_acquire(&vm->lock);
	bool mmio = trap_is_emulable(ti) && mmio_guard_covers_locked(vm, ti->ipa);
	bool sea = !mmio && inject_abort_wanted_locked(vm, ti);
	lock_release(&vm->lock);

	if (sea) {
		inject_sea(&v->regs, ti, t->far);
		return true;
	}

	v->fault_esr = t->esr;
	if (mmio) {
		v->pending = PENDING_MMIO;
		v->fault_ipa = ti->ipa;
		res[0] = KC_EXIT_MMIO | (uint64_t)ti->size_log2 << 12;
		res[1] = ti->ipa;
		if (ti->write) {
			res[0] |= KC_EXIT_F_WRITE;
			/* The data the guest chose to send its device; xzr stores zero. */
			res[2] = ti->srt == 31 ? 0 : v->regs.x[ti->srt] & size_mask(ti->size_log2);
		}
		return false;
	}
	/*
	 * Only a translation fault is something a new mapping fixes: any other
	 * (on a page the guest has, or an external abort) leaves nothing to
	 * back, so VM_MAP_FAULT finds nothing pending and RESUME retries it.
	 */
	v->pending = ti->fsc == FSC_TRANSLATION ? PENDING_FAULT : PENDING_NONE;
	v->fault_ipa = ti->ipa & ~(PGT_PAGE_SIZE - 1);
	res[0] = KC_EXIT_FAULT;
	if (ti->kind == TRAP_IABT)
		res[0] |= KC_EXIT_F_FETCH;
	else if (ti->write)
		res[0] |= KC_EXIT_F_WRITE;
	res[1] = v->fault_ipa;
	return false;
}

/*
 * Whether vCPU `self` must flush this CPU's TLB of its VMID before it
 * runs, and record that it ran here; under vm->lock.  The guest's own TLB
 * and I-cache maintenance reaches every CPU (HCR_EL2.FB), so a vCPU moving
 * between CPUs needs nothing for itself: an entry it left on the CPU it
 * comes back to was invalidated there by whatever invalidation the guest
 * made since.  But the TLB is tagged by VMID, not by vCPU, and a guest
 * may rightly assume each of its CPUs has a TLB of its own (Linux's ASID
 * allocator flushes a CPU's TLB lazily, only when that CPU next switches
 * context): entries one vCPU's walks left must never be hit by another.
 * So, as KVM's last_vcpu_ran: flush when another vCPU of this VM ran here
 * last, or none did since VM_CREATE (once per VM and CPU: it then needs
 * no argument about what an earlier VM with the same id left there).
 */
static bool vcpu_switches_cpu_locked(struct kc_vm *vm, unsigned self)
{
	uint8_t *last = &vm->last_vcpu_ran[plat_cpu_id()];
	unsigned prev = *last;

	*last = (uint8_t)self; /* a store, not a test and a store: this is every exit's path */
	return prev != self;
}

int hc_vcpu_run(const uint64_t *args, uint64_t *res)
{
	uint64_t vcpu_id = args[1];
	struct kc_vm *vm;

	/* Decode first: a malformed finish is KC_EINVAL whatever the vCPU's state. */
	if (vcpu_id >= KC_MAX_VCPUS || args[2] > KC_RUN_CALL_DONE ||
	    (args[2] == KC_RUN_RESUME && args[3]))
		return KC_EINVAL;
	int rc = vm_lock_in(args[0], 1u << VM_VERIFIED, &vm);
	if (rc)
		return rc;
	struct kc_vcpu *v = &vm->vcpus[vcpu_id];
	enum vcpu_state st = vcpu_state(v);
	if (st == VCPU_FREE)
		rc = KC_ENOENT;
	else if (st == VCPU_RUNNING)
		rc = KC_EBUSY;
	else if (v->power != VCPU_ON)
		rc = KC_ESTATE; /* the guest never started it, or stopped it (PSCI) */
	else
		rc = vcpu_finish_locked(vm, v, args[2], args[3]);
	if (rc) {
		lock_release(&vm->lock);
		return rc;
	}
	vcpu_state_set(v, VCPU_RUNNING);
	struct kc_guest g = { .vmid = vm->id, .vcpu = (uint16_t)vcpu_id, .s2_root = vm->s2.root };
	bool flush = vcpu_switches_cpu_locked(vm, (unsigned)vcpu_id);
	lock_release(&vm->lock);
	if (flush)
		plat_guest_flush_local(&g);

	res[0] = KC_EXIT_YIELD;
	for (unsigned traps = 0; traps < VCPU_MAX_TRAPS_PER_RUN; traps++) {
		struct kc_trap t = { 0 };
		struct trap_info ti;
		plat_guest_run(&g, &v->regs, &t);
		virq_sync(&v->regs);
		trap_decode(&t, &ti);
		if (ti.kind == TRAP_SPURIOUS) {
			continue; /* the platform lost the IPA: the guest retries the access */
		} else if (ti.kind == TRAP_IRQ) {
			/* The host's interrupt: it takes it once VCPU_RUN returns. Nothing of the guest. */
			res[0] = KC_EXIT_IRQ;
		} else if (ti.kind == TRAP_HVC || ti.kind == TRAP_SMC) {
			/*
			 * A guest's SMC never reaches the firmware (HCR_EL2.TSC): it is a
			 * guest call like HVC (SMCCC allows either conduit; a device tree
			 * may name SMC for PSCI).  ELR points at a trapped SMC: step over.
			 */
			if (ti.kind == TRAP_SMC)
				v->regs.pc += ti.insn_len;
			if (gcall_handle(vm, (unsigned)vcpu_id, ti.imm, res))
				continue;
		} else if (ti.kind == TRAP_UNDEF) {
			inject_undef(&v->regs, &ti);
			continue;
		} else if (ti.kind == TRAP_SERROR) {
			inject_vserror(&v->regs); /* the guest's own: back to it, as KVM does */
			continue;
		} else if (ti.kind == TRAP_SYSREG) {
			if (!virq_sgi_exit(&v->regs, &ti, res)) {
				sysreg_handle(v, &ti);
				continue;
			}
		} else if (ti.kind == TRAP_DABT || ti.kind == TRAP_IABT) {
			if (vcpu_abort_exit(vm, v, &t, &ti, res))
				continue;
		} else if (ti.kind == TRAP_WFX) {
			/* ELR points at the trapped WFI: step over it, the host did the wait. */
			v->regs.pc += ti.insn_len;
			res[0] = KC_EXIT_WFI;
			res[1] = virq_wfi_deadline(&v->regs);
		} else {
			/* The class only: the rest of the syndrome is the guest's business. */
			res[0] = KC_EXIT_UNKNOWN;
			res[1] = ESR_EC(t.esr);
		}
		break;
	}

	/*
	 * The run's end: a release store, not a lock round trip (state.h,
	 * vcpu_state).  The last access to the vCPU: after it, its registers
	 * are the next holder's of vm->lock.
	 */
	vcpu_state_set(v, VCPU_READY);
	return KC_OK;
}
