/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ESR_EL2 decoding (Arm ARM D17.2.37): EC [31:26], IL [25], ISS [24:0].
 * Data aborts: ISV [24], SAS [23:22], SSE [21], SRT [20:16], SF [15],
 * AR [14], FnV [10], EA [9], CM [8], S1PTW [7], WnR [6], DFSC [5:0];
 * instruction aborts: FnV, EA, S1PTW, IFSC [5:0].  HPFAR_EL2.FIPA [43:4]
 * holds IPA[51:12]; the page offset comes from FAR_EL2, which holds the
 * guest's VA: translation never changes the low 12 bits, so they are the
 * IPA's (unless FnV says FAR is not valid).  A trapped MSR/MRS (EC 0x18):
 * Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5], CRm [4:1],
 * Direction [0] (1 = read).
 */
#include "trap.h"

static void trap_decode_abort(unsigned ec, uint64_t iss, const struct kc_trap *t,
			      struct trap_info *out)
{
	out->kind = ec == ESR_EC_DABT_LOW ? TRAP_DABT : TRAP_IABT;
	unsigned fsc = (unsigned)iss & 0x3f;
	out->fsc = (fsc >> 2) <= FSC_PERMISSION ? (enum trap_fsc)(fsc >> 2) : FSC_OTHER;
	out->level = fsc & 3;
	out->fnv = (iss >> 10) & 1;
	out->s1ptw = (iss >> 7) & 1;
	out->ipa = ((t->hpfar >> 4) & ((1ull << 40) - 1)) << 12;
	if (!out->fnv)
		out->ipa |= t->far & 0xfff;
	if (out->kind != TRAP_DABT)
		return;
	out->write = (iss >> 6) & 1;
	out->cm = (iss >> 8) & 1;
	out->isv = (iss >> 24) & 1;
	if (!out->isv)
		return; /* SAS..AR are RES0 without ISV */
	out->size_log2 = (unsigned)(iss >> 22) & 3;
	out->sse = (iss >> 21) & 1;
	out->srt = (unsigned)(iss >> 16) & 0x1f;
	out->sf = (iss >> 15) & 1;
	out->ar = (iss >> 14) & 1;
}

void trap_decode(const struct kc_trap *t, struct trap_info *out)
{
	unsigned ec = ESR_EC(t->esr);
	uint64_t iss = t->esr & 0x1ffffff;

	/* An interrupt is no trap of the guest's: ESR_EL2 holds a stale syndrome, never read. */
	if (t->kind == KC_TRAP_IRQ || t->kind == KC_TRAP_FIQ) {
		*out = (struct trap_info){ .kind = TRAP_IRQ };
		return;
	}
	*out = (struct trap_info){ .kind = TRAP_OTHER, .insn_len = (t->esr >> 25) & 1 ? 4 : 2 };
	if (t->spurious) {
		out->kind = TRAP_SPURIOUS;
		return;
	}
	switch (ec) {
	case ESR_EC_WFX:
		out->kind = TRAP_WFX;
		return;
	case ESR_EC_HVC64:
		out->kind = TRAP_HVC;
		out->imm = (uint16_t)iss;
		return;
	case ESR_EC_SMC64:
		out->kind = TRAP_SMC;
		out->imm = (uint16_t)iss;
		return;
	case ESR_EC_SYS64:
		out->kind = TRAP_SYSREG;
		out->sys_read = iss & 1;
		out->rt = (unsigned)(iss >> 5) & 0x1f;
		out->sysreg = KC_SYSREG_ENC((iss >> 20) & 3, (iss >> 14) & 7, (iss >> 10) & 0xf,
					    (iss >> 1) & 0xf, (iss >> 17) & 7);
		return;
	case ESR_EC_IABT_LOW:
	case ESR_EC_DABT_LOW:
		trap_decode_abort(ec, iss, t, out);
		return;
	case ESR_EC_SERROR:
		out->kind = TRAP_SERROR; /* the rest (AET, IDS...) says nothing core acts on */
		return;
	case ESR_EC_PAUTH:
	case ESR_EC_SVE:
	case ESR_EC_SME:
		/*
		 * Its ID registers say there is no pointer auth, SVE or SME
		 * (core/sysreg.c): on such a CPU these instructions are UNDEFINED.
		 * An exit would leave the host nothing to do but loop.
		 */
		out->kind = TRAP_UNDEF;
		return;
	default:
		return;
	}
}
