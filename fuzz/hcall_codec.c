/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_hcall's input format: see hcall_codec.h and docs/FUZZING.md.  The
 * decoder and the encoder sit side by side so they cannot drift apart.
 */
#include "hcall_codec.h"

#include <kcore/abi.h>

#include <string.h>

/* ---- header classes --------------------------------------------------------- */

/*
 * Small machines first: the checker and the model walk every frame after
 * every op, so an op's cost grows with RAM.  8 MiB still has a 2 MiB run of
 * fresh host frames (see fz_fresh); 64 MiB is what the example traces use.
 */
static const uint64_t fz_ram_class[4] = { 8ull << 20, 8ull << 20, 16ull << 20, 64ull << 20 };
static const enum rp_key fz_key_class[4] = { RP_KEY_TEST, RP_KEY_TEST, RP_KEY_NONE, RP_KEY_OTHER };
static const unsigned fz_pool_class[4] = { 64, 8, 3, 1 };      /* tiny pools: ENOMEM paths */
static const uint64_t fz_remap_class[4] = { 4096, 64, 8, 2 };  /* tiny window: ENOMEM */
static const unsigned fz_entropy_class[4] = { 0, 0, 1, 1000 }; /* entropy failures */
/* SMMUs (docs/SMMU.md): none (the old inputs), one, one with tiny IO pools, two. */
static const unsigned fz_smmu_class[4] = { 0, 1, 1, 2 };
static const unsigned fz_iodoms_class[4] = { 0, 4, 2, 8 };
static const unsigned fz_iopool_class[4] = { 16, 16, 4, 16 };

/* ---- reading bytes ---------------------------------------------------------- */

static uint8_t fz_u8(struct fz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t fz_u64(struct fz_in *in)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)fz_u8(in) << (8 * i);
	return v;
}

bool fz_decode_machine(struct fz_in *in, struct rp_machine *mc)
{
	if (in->n < 2)
		return false;
	uint8_t a = fz_u8(in), b = fz_u8(in);
	rp_machine_default(mc);
	mc->ram = fz_ram_class[a & 3];
	mc->cpus = 1 + ((a >> 2) & 3);
	mc->vms = 1 + ((a >> 4) & 3);
	mc->key = fz_key_class[a >> 6];
	mc->pool = fz_pool_class[b & 3];
	mc->remap = fz_remap_class[(b >> 2) & 3];
	mc->entropy_fail = fz_entropy_class[(b >> 4) & 3];
	mc->smmus = fz_smmu_class[b >> 6];
	mc->iodoms = fz_iodoms_class[b >> 6];
	mc->iopool = fz_iopool_class[b >> 6];
	in->ram = mc->ram;
	in->next_pfn = 0;
	return true;
}

/* ---- biased arguments --------------------------------------------------------- */

enum fz_arg_kind {
	FZ_VM,
	FZ_VCPU,
	FZ_PFN,
	FZ_LEVEL,
	FZ_IPA,
	FZ_SIZE,
	FZ_INDEX,
	FZ_FINISH,
	FZ_VALUE,
	FZ_MAX,
	FZ_NPAGES,
	FZ_PA,
	FZ_GADDR,
	FZ_GVAL,
	FZ_FN,
	FZ_PAGES,
	FZ_INTID,
	FZ_PRIO,
	FZ_OWNER,   /* IODOM_ALLOC: the host, or a VM */
	FZ_DOM,	    /* an IO domain id */
	FZ_SMMU,    /* an SMMU index */
	FZ_SID,	    /* a stream id */
	FZ_IOVA,    /* an IOVA: the host's buffers, a VM's IPAs */
	FZ_IOPAGES, /* pages of a MAP or UNMAP */
	FZ_IOPROT,  /* KC_IO_* rights */
};

#define FZ_LITERAL 0xFF

/* A fresh host frame (pfn), from the lower half of RAM above kcore's image. */
static uint64_t fz_fresh(struct fz_in *in, bool run2m)
{
	uint64_t first = (RP_RAM_BASE + (2ull << 20)) >> 12;
	uint64_t span = (in->ram / 2 - (2ull << 20)) >> 12;
	if (run2m)
		in->next_pfn = (in->next_pfn + 511) & ~511ull;
	if (in->next_pfn + (run2m ? 512 : 1) > span)
		in->next_pfn = 0;
	uint64_t pfn = first + in->next_pfn;
	in->next_pfn += run2m ? 512 : 1;
	return pfn;
}

static uint64_t fz_pfn(struct fz_in *in, struct rp_exec *ex, uint8_t s)
{
	uint64_t vm, ipa, r;
	uint16_t vcpu;
	unsigned k = s >> 3;
	switch (s & 7) {
	case 0:
	case 1:
		r = rp_exec_recent_frame(ex, k % 8);
		return r ? r : fz_fresh(in, false);
	case 2:
	case 3:
		return fz_fresh(in, false);
	case 4:
		return fz_fresh(in, true);
	case 5: /* kcore's: its image at the bottom of RAM, its pool at the top */
		return k & 1 ? (RP_RAM_BASE >> 12) + k : ((RP_RAM_BASE + in->ram) >> 12) - 1 - k;
	case 6:
		return (RP_DEV_BASE >> 12) + k;
	default: /* a guest frame number where a frame number is due */
		return rp_exec_last_fault(ex, &vm, &vcpu, &ipa) ? ipa >> 12 : 0x80000 + k;
	}
}

static uint64_t fz_arg(struct fz_in *in, struct rp_exec *ex, const struct rp_machine *mc,
		       enum fz_arg_kind kind)
{
	uint8_t s = fz_u8(in);
	uint64_t ids[KC_MAX_VMS], vm = 0, ipa = 0;
	uint16_t vcpu = 0;
	if (s == FZ_LITERAL)
		return fz_u64(in);
	bool fault = rp_exec_last_fault(ex, &vm, &vcpu, &ipa);
	unsigned k = s >> 3;
	switch (kind) {
	case FZ_VM: {
		unsigned n = rp_exec_live_vms(ex, ids, KC_MAX_VMS);
		if (s < 0x40 && fault)
			return vm;
		if (s < 0xC0 && n)
			return ids[s % n];
		return s % (mc->vms + 2);
	}
	case FZ_VCPU:
		if (s < 0x40 && fault)
			return vcpu;
		return s < 0xE0 ? s % 2 : s % (KC_MAX_VCPUS + 2);
	case FZ_PFN:
		return fz_pfn(in, ex, s);
	case FZ_LEVEL:
		return s < 0xC0 ? 3 : s < 0xF0 ? 2 : s % 5;
	case FZ_IPA:
		switch (s % 5) {
		case 0:
			return 0x80000000ull + (k % 8) * 0x1000;
		case 1:
			return 0x90000000ull + (k % 8) * 0x1000;
		case 2:
			return fault ? ipa & ~0xfffull : 0x90000000ull;
		case 3:
			return 0x80000000ull + (k % 4) * 0x200000;
		default:
			return 0xA0000000ull + (k % 4) * 0x1000;
		}
	case FZ_SIZE:
		return s < 0xF0 ? (uint64_t)(1 + s % 4) << 12 : (uint64_t)s << 12;
	case FZ_INDEX:
		return s % 3;
	case FZ_INTID: /* mostly ones a virtual GIC holds; special INTIDs and LPIs now and then */
		return s < 0xE0 ? 16 + s % 48 : s < 0xF0 ? 1016 + s % 8 : 8192 + s;
	case FZ_PRIO:
		return s < 0xF0 ? (s & 0xf8u) : 0xf8u + s;
	case FZ_FINISH:
		return s < 0xC0	  ? KC_RUN_RESUME
		       : s < 0xD8 ? KC_RUN_MMIO_DONE
		       : s < 0xF0 ? KC_RUN_CALL_DONE
				  : s % 5;
	case FZ_VALUE:
		return s < 0x80 ? 0 : s;
	case FZ_MAX:
		return s < 0xE0 ? 1 + s % 16 : 600;
	case FZ_NPAGES:
		return s < 0xF0 ? 1 + s % 4 : 513;
	case FZ_PA:
		switch (s % 4) {
		case 0:
		case 1:
			return RP_DEV_BASE + (k % 8) * 0x1000;
		default:
			return fz_pfn(in, ex, (uint8_t)(s >> 2)) << 12;
		}
	case FZ_GADDR:
		switch (s % 5) {
		case 0:
			return 0x80000000ull + k * 8;
		case 1:
			return 0x90000000ull + k * 8;
		case 2:
			return 0x90200000ull + k * 8;
		case 3:
			return fault ? ipa & ~7ull : 0x90000000ull;
		default:
			return 0xA0000000ull + k * 8;
		}
	case FZ_GVAL:
		switch (s % 16) {
		case 0:
			return KC_GC_SHARE;
		case 1:
			return KC_GC_UNSHARE;
		case 2:
			return KC_PSCI_SYSTEM_OFF;
		case 3:
			return 0x84000000ull + k % 16; /* PSCI, SMC32: kcore answers */
		case 4:
			return 0x90000 + k % 4; /* gfns */
		case 5:
			return 0x80000 + k % 4;
		case 6:
			return 1 + k % 3; /* counts, vCPU indexes */
		case 7:
			return KC_FN(k % 13); /* host calls: refused to guests */
		case 8:
		case 9:
			/* A guest secret: the confidentiality oracle watches for it. */
			return RP_CANARY_BASE | (k % 4);
		case 10:
			return k & 1 ? KC_GC_MMIO_GUARD_MAP : KC_GC_MMIO_GUARD_UNMAP;
		case 11:
			return 0xA0000000ull + (k % 4) * 0x1000; /* guardable IPAs */
		case 12:
			return 0xC4000000ull + k % 16; /* PSCI, SMC64: CPU_ON, AFFINITY_INFO */
		case 13:
			return 0x80000000ull + (k % 4) * 0x100; /* entry points in the image */
		case 14:
			return k & 1 ? 0xC5000020ull + k % 2
				     : 0x80000000ull + k % 2; /* fwd, SMCCC */
		default:
			return 0;
		}
	case FZ_FN:
		return s < 0xC0	  ? KC_FN(s % 0x10)
		       : s < 0xE0 ? KC_FN(0x80 + s % 4)
				  : (uint64_t)s << 24;
	case FZ_PAGES:
		return 1 + s % 4;
	case FZ_OWNER: {
		unsigned n = rp_exec_live_vms(ex, ids, KC_MAX_VMS);
		if (s < 0x80 || !n)
			return s < 0xF0 ? 0 : s % (mc->vms + 2);
		return ids[s % n];
	}
	case FZ_DOM: {
		uint64_t doms[KC_MAX_IODOMS];
		unsigned n = rp_exec_live_iodoms(ex, doms, KC_MAX_IODOMS);
		if (s < 0xE0 && n)
			return doms[s % n];
		return s % (mc->iodoms + 2);
	}
	case FZ_SMMU:
		return s < 0xC0 ? 0 : s < 0xF0 ? 1 : s % 4;
	case FZ_SID:
		return s < 0xF0 ? s % 4 : 60 + s % 8; /* some beyond the streams a machine has */
	case FZ_IOVA:
		switch (s % 5) {
		case 0:
		case 1:
			return 0x100000ull + (k % 8) * 0x1000; /* the host's buffers */
		case 2:
			return 0x80000000ull + (k % 8) * 0x1000; /* a VM's image */
		case 3:
			return fault ? ipa & ~0xfffull : 0x90000000ull; /* a VM's data */
		default:
			return k & 1 ? 0x1FF000ull + (k % 4) * 0x1000 /* across a table */
				     : (1ull << 48) - 0x1000 * (1 + k % 2);
		}
	case FZ_IOPAGES:
		return s < 0xF0 ? 1u + s % 4u : s < 0xF8 ? KC_IODOM_MAX_PAGES : s % 2 ? 513u : 0u;
	case FZ_IOPROT:
		return s < 0x80 ? KC_IO_R | KC_IO_W : s < 0xE0 ? KC_IO_R : s % 8;
	}
	return s;
}

/*
 * A v2 manifest's RAM range or device window: a literal (0xFF, base, size)
 * or one of a few that fit the IPAs above — images at 0x80000000, data at
 * 0x90000000, devices at 0xA0000000 — and some that overlap them.
 */
static void fz_range(struct fz_in *in, bool window, struct kc_manifest_range *r)
{
	uint8_t s = fz_u8(in);
	unsigned k = s >> 2;
	if (s == FZ_LITERAL) {
		r->base = fz_u64(in);
		r->size = fz_u64(in);
	} else if (!window) {
		static const struct kc_manifest_range ram[3] = {
			{ 0x80000000ull, 16ull << 20, 0 },  /* the images */
			{ 0x80000000ull, 512ull << 20, 0 }, /* images and data, up to the windows */
			{ 0x90000000ull, 2ull << 20, 0 },   /* data only */
		};
		*r = (s & 3) < 3 ? ram[s & 3]
				 : (struct kc_manifest_range){ 0x80000000ull + (k % 4) * 0x200000,
							       2ull << 20, 0 };
	} else {
		static const struct kc_manifest_range win[3] = {
			{ 0xA0000000ull, 64ull << 10, 0 },
			{ 0xA0000000ull, 16ull << 20, 0 },
			{ 0x90000000ull, 2ull << 20, 0 }, /* where RAM usually is */
		};
		*r = (s & 3) < 3 ? win[s & 3]
				 : (struct kc_manifest_range){ 0xA0000000ull + (k % 4) * 0x1000,
							       4096, 0 };
	}
	r->flags = 0;
	if (window && (fz_u8(in) & 1))
		r->flags = KC_MANIFEST_WIN_SHARED;
}

/* ---- operations ---------------------------------------------------------------- */

/* Opcodes: what the encoder writes; the decoder folds every byte onto one. */
enum {
	FZ_OP_CALL = 0,
	FZ_OP_RAW = 6,
	FZ_OP_READ = 7,
	FZ_OP_WRITE = 8,
	FZ_OP_GUEST = 9,
	FZ_OP_IMAGE = 11,
	FZ_OP_MANIFEST = 12,
	FZ_OP_CHECK = 13,
	FZ_OP_CPU = 14,
	FZ_OP_DMA = 15,
};

/* The argument kinds of each host call, in order (x1..). */
#define FZ_NCALLS 21
static const uint64_t fz_calls[FZ_NCALLS] = {
	KC_HC_VERSION,	       KC_HC_VM_CREATE,		 KC_HC_VCPU_CREATE,
	KC_HC_VM_SET_IMAGE,    KC_HC_VM_LOAD_IMAGE_PAGE, KC_HC_VM_VERIFY,
	KC_HC_VCPU_RUN,	       KC_HC_VM_MAP_FAULT,	 KC_HC_VM_MAP_IO,
	KC_HC_VM_POWEROFF,     KC_HC_VM_RECLAIM,	 KC_HC_VM_DESTROY,
	KC_HC_VCPU_INJECT_IRQ, KC_HC_IODOM_ALLOC,	 KC_HC_IODOM_FREE,
	KC_HC_IODOM_ATTACH,    KC_HC_IODOM_DETACH,	 KC_HC_IODOM_MAP,
	KC_HC_IODOM_UNMAP,     KC_HC_IODOM_LOOKUP,	 KC_HC_SMMU_EVENT,
};
static const enum fz_arg_kind fz_call_args[FZ_NCALLS][5] = {
	{ 0 },
	{ 0 },
	{ FZ_VM, FZ_VCPU },
	{ FZ_VM, FZ_IPA, FZ_SIZE },
	{ FZ_VM, FZ_INDEX, FZ_PFN },
	{ FZ_VM, FZ_PFN },
	{ FZ_VM, FZ_VCPU, FZ_FINISH, FZ_VALUE },
	{ FZ_VM, FZ_VCPU, FZ_PFN, FZ_LEVEL },
	{ FZ_VM, FZ_IPA, FZ_PA, FZ_NPAGES },
	{ FZ_VM },
	{ FZ_VM, FZ_MAX },
	{ FZ_VM },
	{ FZ_VM, FZ_VCPU, FZ_INTID, FZ_PRIO },
	{ FZ_OWNER },
	{ FZ_DOM },
	{ FZ_DOM, FZ_SMMU, FZ_SID },
	{ FZ_DOM, FZ_SMMU, FZ_SID },
	{ FZ_DOM, FZ_IOVA, FZ_PA, FZ_IOPAGES, FZ_IOPROT },
	{ FZ_DOM, FZ_IOVA, FZ_IOPAGES },
	{ FZ_DOM, FZ_IOVA },
	{ 0 },
};
static const unsigned fz_call_nargs[FZ_NCALLS] = { 0, 0, 2, 3, 3, 2, 4, 4, 4, 1, 2,
						   1, 4, 1, 1, 3, 3, 5, 3, 2, 0 };

/*
 * Export and import (docs/EXPORT.md) joined after the table above was
 * fixed: a call byte of FZ_XCALL_FIRST or more picks one of these (four
 * bytes each), so the units kept from earlier runs, whose call bytes below
 * it pick what they always did, decode as before.  Records made of input
 * bytes rarely pass a tag: these reach the refusals (fuzz_import drives
 * genuine streams).
 */
#define FZ_XCALL_FIRST 0xDC
#define FZ_NXCALLS     9
static const uint64_t fz_xcalls[FZ_NXCALLS] = {
	KC_HC_EXPORT_BEGIN, KC_HC_EXPORT_PAGE,	KC_HC_EXPORT_VCPU,
	KC_HC_EXPORT_END,   KC_HC_EXPORT_ABORT, KC_HC_IMPORT_BEGIN,
	KC_HC_IMPORT_PAGE,  KC_HC_IMPORT_VCPU,	KC_HC_IMPORT_END,
};
static const enum fz_arg_kind fz_xcall_args[FZ_NXCALLS][5] = {
	{ FZ_VM },
	{ FZ_VM, FZ_PFN },
	{ FZ_VM, FZ_VCPU, FZ_PFN },
	{ FZ_VM, FZ_PFN },
	{ FZ_VM },
	{ FZ_VM, FZ_VALUE, FZ_VALUE, FZ_VALUE },
	{ FZ_VM, FZ_PFN, FZ_VALUE, FZ_VALUE, FZ_VALUE },
	{ FZ_VM, FZ_PFN, FZ_VALUE, FZ_VALUE, FZ_VALUE },
	{ FZ_VM, FZ_PFN, FZ_VALUE, FZ_VALUE, FZ_VALUE },
};
static const unsigned fz_xcall_nargs[FZ_NXCALLS] = { 1, 2, 3, 2, 1, 4, 5, 5, 5 };

/* Guest ops the decoder folds a byte onto (enum hm_gop). */
#define FZ_GOPS 11
_Static_assert(HM_GOP_SMC == FZ_GOPS - 1, "every guest op has a code");

/* System registers guest MRS/MSR name: some the guest owns, some that trap. */
static const uint64_t fz_sysregs[] = {
	HM_SYSREG(3, 0, 13, 0, 4),  /* TPIDR_EL1: the guest's */
	HM_SYSREG(3, 0, 12, 0, 0),  /* VBAR_EL1: the guest's */
	HM_SYSREG(3, 0, 1, 0, 0),   /* SCTLR_EL1: the guest's */
	HM_SYSREG(3, 0, 0, 4, 0),   /* ID_AA64PFR0_EL1: traps, a fixed value */
	HM_SYSREG(3, 0, 0, 7, 0),   /* ID_AA64MMFR0_EL1: traps */
	HM_SYSREG(3, 3, 9, 12, 0),  /* PMCR_EL0: traps, RAZ/WI */
	HM_SYSREG(2, 0, 0, 2, 2),   /* MDSCR_EL1: traps in the model */
	HM_SYSREG(3, 0, 1, 0, 1),   /* ACTLR_EL1: traps */
	HM_SYSREG(3, 0, 12, 12, 0), /* ICC_IAR1_EL1: takes an injected interrupt */
	HM_SYSREG(3, 0, 12, 12, 1), /* ICC_EOIR1_EL1: finishes it */
	HM_SYSREG(3, 3, 14, 3, 1),  /* CNTV_CTL_EL0: the guest's timer */
	HM_SYSREG(3, 3, 14, 3, 2),  /* CNTV_CVAL_EL0 (shown at a WFI exit when armed) */
	HM_SYSREG(3, 0, 12, 11, 5), /* ICC_SGI1R_EL1: an SGI exit */
};
#define FZ_NSYSREGS (sizeof(fz_sysregs) / sizeof(fz_sysregs[0]))

static void fz_decode_guest(struct fz_in *in, struct rp_exec *ex, const struct rp_machine *mc,
			    struct rp_op *op)
{
	op->kind = RP_GUEST;
	op->vm = fz_arg(in, ex, mc, FZ_VM) & 0xffff;
	op->vcpu = (uint16_t)fz_arg(in, ex, mc, FZ_VCPU);
	uint8_t at = fz_u8(in);
	op->at_pc = at != FZ_LITERAL;
	if (!op->at_pc)
		op->at = fz_u64(in) & ((1ull << 48) - 4);
	op->ngops = fz_u8(in) % (RP_MAX_GOPS + 1);
	for (unsigned i = 0; i < op->ngops; i++) {
		struct hm_guest_op *g = &op->gops[i];
		uint8_t t = fz_u8(in), r = fz_u8(in);
		unsigned sub = (t / FZ_GOPS) % 4; /* a size, or a variant */
		*g = (struct hm_guest_op){ .op = (enum hm_gop)(t % FZ_GOPS),
					   .reg = (uint8_t)(r % 31) };
		switch (g->op) {
		case HM_GOP_LOADS:
		case HM_GOP_LOADSW:
		case HM_GOP_LOAD:
		case HM_GOP_STORE:
			/* Sign-extending loads: 1, 2 or 4 bytes into X, 1 or 2 into W. */
			if (g->op == HM_GOP_LOADS || g->op == HM_GOP_LOADSW)
				sub %= g->op == HM_GOP_LOADS ? 3 : 2;
			g->size = (uint8_t)(1u << sub);
			g->addr = fz_arg(in, ex, mc, FZ_GADDR) & ((1ull << 48) - 1) &
				  ~(uint64_t)(g->size - 1);
			break;
		case HM_GOP_SET:
		case HM_GOP_EXPECT:
			if (sub == 1) /* the low half of a V register */
				g->reg = (uint8_t)(HM_REG_V0 + r % 32);
			g->value = fz_arg(in, ex, mc, FZ_GVAL);
			break;
		case HM_GOP_HVC:
		case HM_GOP_SMC:
			g->value = sub == 1 ? fz_u8(in) : 0;
			break;
		case HM_GOP_MRS:
		case HM_GOP_MSR:
			g->reg = (uint8_t)(r % 32); /* xzr too */
			g->value = fz_sysregs[fz_u8(in) % FZ_NSYSREGS];
			break;
		default:
			break;
		}
	}
}

bool fz_decode_op(struct fz_in *in, struct rp_exec *ex, const struct rp_machine *mc,
		  struct rp_op *op)
{
	if (!in->n)
		return false;
	unsigned code = fz_u8(in) % 16;
	memset(op, 0, sizeof(*op));
	op->tamper = RP_TAMPER_NONE;
	switch (code) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
	case 5: {
		op->kind = RP_CALL;
		uint8_t b = fz_u8(in);
		unsigned nargs;
		if (b >= FZ_XCALL_FIRST) {
			unsigned c = (b - FZ_XCALL_FIRST) % FZ_NXCALLS;
			nargs = fz_xcall_nargs[c];
			op->x[0] = fz_xcalls[c];
			for (unsigned i = 0; i < nargs; i++)
				op->x[1 + i] = fz_arg(in, ex, mc, fz_xcall_args[c][i]);
		} else {
			unsigned c = b % (FZ_NCALLS + 1);
			nargs = c < FZ_NCALLS ? fz_call_nargs[c] : 6;
			op->x[0] = c < FZ_NCALLS ? fz_calls[c] : fz_arg(in, ex, mc, FZ_FN);
			for (unsigned i = 0; i < nargs; i++)
				op->x[1 + i] = fz_arg(
					in, ex, mc, c < FZ_NCALLS ? fz_call_args[c][i] : FZ_VALUE);
		}
		uint8_t m = fz_u8(in);
		if (m >= 0xF8 && nargs < 6) /* a must-be-zero register that is not */
			op->x[1 + nargs + fz_u8(in) % (6 - nargs)] =
				fz_arg(in, ex, mc, FZ_VALUE) | 1;
		break;
	}
	case FZ_OP_RAW:
		op->kind = RP_CALL;
		op->raw = true;
		op->x[0] = fz_arg(in, ex, mc, FZ_FN);
		for (unsigned i = 1; i < 7; i++)
			op->x[i] = fz_arg(in, ex, mc, FZ_VALUE);
		break;
	case FZ_OP_READ:
	case FZ_OP_WRITE:
		op->kind = code == FZ_OP_READ ? RP_HOST_READ : RP_HOST_WRITE;
		op->addr = fz_arg(in, ex, mc, FZ_PA);
		op->len = fz_u8(in);
		if (code == FZ_OP_READ && (op->len & 8))
			op->len = 4096; /* a page, crossing into the next if addr is not aligned */
		else
			op->len = 1 + op->len % 8;
		if (code == FZ_OP_WRITE)
			op->value = fz_arg(in, ex, mc, FZ_VALUE);
		break;
	case 9:
	case 10:
		fz_decode_guest(in, ex, mc, op);
		break;
	case FZ_OP_IMAGE:
		op->kind = RP_IMAGE;
		op->vm = fz_arg(in, ex, mc, FZ_VM);
		op->base = fz_arg(in, ex, mc, FZ_IPA);
		op->pages = fz_arg(in, ex, mc, FZ_PAGES);
		if (op->pages < 1 || op->pages > 64)
			op->pages = 1 + op->pages % 64;
		op->fill = fz_u8(in);
		break;
	case FZ_OP_MANIFEST: {
		op->kind = RP_MANIFEST;
		op->vm = fz_arg(in, ex, mc, FZ_VM);
		uint8_t f = fz_u8(in);
		static const enum rp_key keys[4] = { RP_KEY_TEST, RP_KEY_OTHER, RP_KEY_NONE,
						     RP_KEY_TEST };
		op->sign_key = keys[f & 3];
		op->has_entry = f & 4;
		op->has_fill = f & 8;
		op->no_verify = f & 0x40;
		if (op->has_entry)
			op->entry = fz_arg(in, ex, mc, FZ_GADDR) & ~3ull;
		if (op->has_fill)
			op->fill = fz_u8(in);
		if (((f >> 4) & 3) == 1)
			op->tamper = RP_TAMPER_SIG;
		else if (((f >> 4) & 3) == 2) {
			unsigned lo = fz_u8(in), hi = fz_u8(in);
			op->tamper = (int)((lo | hi << 8) % 4096);
		}
		if (f & 0x80) { /* format v2: a layout follows */
			uint8_t c = fz_u8(in);
			op->nram = (c & 7) % (KC_MANIFEST_MAX_RAM + 1);
			op->nwin = (c >> 3) % (KC_MANIFEST_MAX_WINDOWS + 1);
			for (unsigned i = 0; i < op->nram; i++)
				fz_range(in, false, &op->ram[i]);
			for (unsigned i = 0; i < op->nwin; i++)
				fz_range(in, true, &op->win[i]);
		}
		break;
	}
	case FZ_OP_CHECK:
		op->kind = RP_CHECK;
		break;
	case FZ_OP_DMA: {
		/* A device's DMA: on a machine without an SMMU, a check instead. */
		uint8_t f = fz_u8(in);
		op->kind = mc->smmus ? RP_DMA : RP_CHECK;
		op->smmu = mc->smmus ? (unsigned)(fz_arg(in, ex, mc, FZ_SMMU) % mc->smmus) : 0;
		op->dev = (uint32_t)(fz_arg(in, ex, mc, FZ_SID) % RP_SMMU_STREAMS);
		op->dma_write = f & 1;
		/* Flags: bit 0 write, bits 1-3 len - 1, bit 4 a page (reads), bits 5-7 offset / 8. */
		op->addr = fz_arg(in, ex, mc, FZ_IOVA) + (uint64_t)(f >> 5) * 8;
		op->len = !op->dma_write && (f & 0x10) ? 4096 : 1 + ((f >> 1) & 7);
		if (op->dma_write)
			op->value = fz_arg(in, ex, mc, FZ_VALUE);
		if (op->kind == RP_CHECK)
			op->len = 0, op->addr = 0, op->value = 0, op->dev = 0,
			op->dma_write = false;
		break;
	}
	default:
		op->kind = RP_CPU;
		op->value = fz_u8(in) % mc->cpus;
		break;
	}
	return true;
}

/* ---- encoding -------------------------------------------------------------------- */

struct fz_out {
	uint8_t *p;
	size_t size, len;
	bool ok;
};

static void fz_put8(struct fz_out *o, uint8_t v)
{
	if (o->len < o->size)
		o->p[o->len++] = v;
	else
		o->ok = false;
}

static void fz_put_lit(struct fz_out *o, uint64_t v)
{
	fz_put8(o, FZ_LITERAL);
	for (unsigned i = 0; i < 8; i++)
		fz_put8(o, (uint8_t)(v >> (8 * i)));
}

static int fz_index_of(uint64_t v, const uint64_t *tab, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (tab[i] == v)
			return (int)i;
	return -1;
}

bool fz_encode_machine(const struct rp_machine *mc, uint8_t *out, size_t size, size_t *len)
{
	int ram = fz_index_of(mc->ram, fz_ram_class, 4), key = -1, pool = -1, entropy = -1,
	    smmu = -1;
	int remap = fz_index_of(mc->remap, fz_remap_class, 4);
	for (int i = 3; i >= 0; i--) {
		key = fz_key_class[i] == mc->key ? i : key;
		pool = fz_pool_class[i] == mc->pool ? i : pool;
		entropy = fz_entropy_class[i] == mc->entropy_fail ? i : entropy;
		if (fz_smmu_class[i] == mc->smmus && fz_iodoms_class[i] == mc->iodoms &&
		    fz_iopool_class[i] == mc->iopool)
			smmu = i;
	}
	if (!mc->smmus && !mc->iodoms)
		smmu = 0; /* no SMMU: the IO pool size does not matter */
	if (ram < 0 || key < 0 || pool < 0 || remap < 0 || entropy < 0 || smmu < 0 ||
	    mc->cpus > 4 || mc->vms > 4 || *len + 2 > size)
		return false;
	out[(*len)++] = (uint8_t)(ram | (mc->cpus - 1) << 2 | (mc->vms - 1) << 4 | key << 6);
	out[(*len)++] = (uint8_t)(pool | remap << 2 | entropy << 4 | smmu << 6);
	return true;
}

bool fz_encode_op(const struct rp_op *op, uint8_t *out, size_t size, size_t *len)
{
	struct fz_out o = { out, size, *len, true };
	switch (op->kind) {
	case RP_CALL: {
		int c = op->raw ? -1 : fz_index_of(op->x[0], fz_calls, FZ_NCALLS);
		int xc = op->raw || c >= 0 ? -1 : fz_index_of(op->x[0], fz_xcalls, FZ_NXCALLS);
		unsigned nargs = c >= 0 ? fz_call_nargs[c] : xc >= 0 ? fz_xcall_nargs[xc] : 0;
		if (xc >= 0)
			c = FZ_XCALL_FIRST + xc;
		for (unsigned i = 1 + nargs; c >= 0 && i < 7; i++)
			if (op->x[i])
				c = -1;
		if (c < 0) {
			fz_put8(&o, FZ_OP_RAW);
			for (unsigned i = 0; i < 7; i++)
				fz_put_lit(&o, op->x[i]);
			break;
		}
		fz_put8(&o, FZ_OP_CALL);
		fz_put8(&o, (uint8_t)c);
		for (unsigned i = 0; i < nargs; i++)
			fz_put_lit(&o, op->x[1 + i]);
		fz_put8(&o, 0); /* no extra register */
		break;
	}
	case RP_HOST_READ:
	case RP_HOST_WRITE:
		if (op->len > 8 && op->len != 4096)
			return false;
		fz_put8(&o, op->kind == RP_HOST_READ ? FZ_OP_READ : FZ_OP_WRITE);
		fz_put_lit(&o, op->addr);
		fz_put8(&o, (uint8_t)(op->len == 4096 ? 8 : op->len - 1));
		if (op->kind == RP_HOST_WRITE)
			fz_put_lit(&o, op->value);
		break;
	case RP_GUEST:
		fz_put8(&o, FZ_OP_GUEST);
		fz_put_lit(&o, op->vm);
		fz_put_lit(&o, op->vcpu);
		if (op->at_pc) {
			fz_put8(&o, 0);
		} else {
			fz_put8(&o, FZ_LITERAL);
			for (unsigned i = 0; i < 8; i++)
				fz_put8(&o, (uint8_t)(op->at >> (8 * i)));
		}
		fz_put8(&o, (uint8_t)op->ngops);
		for (unsigned i = 0; i < op->ngops; i++) {
			const struct hm_guest_op *g = &op->gops[i];
			unsigned sz = g->size == 8 ? 3 : g->size == 4 ? 2 : g->size == 2 ? 1 : 0;
			unsigned t = g->op, reg = g->reg;
			bool access = g->op == HM_GOP_LOAD || g->op == HM_GOP_STORE ||
				      g->op == HM_GOP_LOADS || g->op == HM_GOP_LOADSW;
			if (access)
				t += FZ_GOPS * sz;
			else if (((g->op == HM_GOP_HVC || g->op == HM_GOP_SMC) && g->value) ||
				 reg >= HM_REG_V0)
				t += FZ_GOPS;
			if (reg >= HM_REG_V0)
				reg -= HM_REG_V0;
			if ((g->op == HM_GOP_HVC || g->op == HM_GOP_SMC) && g->value > 0xff)
				return false;
			unsigned sr = 0;
			while ((g->op == HM_GOP_MRS || g->op == HM_GOP_MSR) && sr < FZ_NSYSREGS &&
			       fz_sysregs[sr] != g->value)
				sr++;
			if (sr == FZ_NSYSREGS)
				return false; /* a system register the codec cannot name */
			fz_put8(&o, (uint8_t)t);
			fz_put8(&o, (uint8_t)reg);
			if (access)
				fz_put_lit(&o, g->addr);
			else if (g->op == HM_GOP_SET || g->op == HM_GOP_EXPECT)
				fz_put_lit(&o, g->value);
			else if ((g->op == HM_GOP_HVC || g->op == HM_GOP_SMC) && g->value)
				fz_put8(&o, (uint8_t)g->value);
			else if (g->op == HM_GOP_MRS || g->op == HM_GOP_MSR)
				fz_put8(&o, (uint8_t)sr);
		}
		break;
	case RP_IMAGE:
		if (op->pages > 64)
			return false;
		fz_put8(&o, FZ_OP_IMAGE);
		fz_put_lit(&o, op->vm);
		fz_put_lit(&o, op->base);
		fz_put_lit(&o, op->pages);
		fz_put8(&o, op->fill);
		break;
	case RP_MANIFEST: {
		static const uint8_t key_bits[3] = { 2, 0, 1 }; /* by enum rp_key */
		uint8_t f = key_bits[op->sign_key];
		f |= op->has_entry ? 4 : 0;
		f |= op->has_fill ? 8 : 0;
		f |= op->no_verify ? 0x40 : 0;
		f |= op->tamper == RP_TAMPER_SIG ? 0x10 : op->tamper >= 0 ? 0x20 : 0;
		f |= op->nram || op->nwin ? 0x80 : 0;
		if (op->nram > KC_MANIFEST_MAX_RAM || op->nwin > KC_MANIFEST_MAX_WINDOWS)
			return false;
		fz_put8(&o, FZ_OP_MANIFEST);
		fz_put_lit(&o, op->vm);
		fz_put8(&o, f);
		if (op->has_entry)
			fz_put_lit(&o, op->entry);
		if (op->has_fill)
			fz_put8(&o, op->fill);
		if (op->tamper >= 0) {
			fz_put8(&o, (uint8_t)op->tamper);
			fz_put8(&o, (uint8_t)(op->tamper >> 8));
		}
		if (f & 0x80) {
			fz_put8(&o, (uint8_t)(op->nram | op->nwin << 3));
			for (unsigned i = 0; i < op->nram + op->nwin; i++) {
				const struct kc_manifest_range *r =
					i < op->nram ? &op->ram[i] : &op->win[i - op->nram];
				fz_put_lit(&o, r->base);
				for (unsigned b = 0; b < 8; b++)
					fz_put8(&o, (uint8_t)(r->size >> (8 * b)));
				if (i >= op->nram)
					fz_put8(&o, (r->flags & KC_MANIFEST_WIN_SHARED) ? 1 : 0);
			}
		}
		break;
	}
	case RP_HOST_CLEAN:
		return false; /* the fuzzers' host does not clean (yet): no encoding */
	case RP_EXPORT:
	case RP_IMPORT:
		return false; /* fuzz/fuzz_import.c drives these */
	case RP_CHECK:
		fz_put8(&o, FZ_OP_CHECK);
		break;
	case RP_DMA: {
		/* Flags as fz_decode_op reads them; the IOVA goes whole, offset 0. */
		uint8_t f = op->dma_write ? 1 : 0;
		if (op->len == 4096 && !op->dma_write)
			f |= 0x10;
		else if (op->len >= 1 && op->len <= 8)
			f |= (uint8_t)((op->len - 1) << 1);
		else
			return false;
		fz_put8(&o, FZ_OP_DMA);
		fz_put8(&o, f);
		fz_put_lit(&o, op->smmu);
		fz_put_lit(&o, op->dev);
		fz_put_lit(&o, op->addr);
		if (op->dma_write)
			fz_put_lit(&o, op->value);
		break;
	}
	case RP_CPU:
		fz_put8(&o, FZ_OP_CPU);
		fz_put8(&o, (uint8_t)op->value);
		break;
	case RP_SELFTEST:
		/*
		 * No encoding, on purpose: the KATs take no input, so fuzzing them
		 * finds nothing and costs a millisecond per run.  Dropped.
		 */
		break;
	}
	if (o.ok)
		*len = o.len;
	return o.ok;
}
