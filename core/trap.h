/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reading a guest's trap syndrome (ESR_EL2, FAR_EL2, HPFAR_EL2), the same
 * on both targets: the platform passes the raw registers (kc_trap) and
 * core decides what they mean.  Core-private.
 */
#ifndef KCORE_TRAP_H
#define KCORE_TRAP_H

#include <kcore/platform.h>
#include <stdbool.h>
#include <stdint.h>

/* Exception classes kcore handles (ESR_EL2.EC). */
#define ESR_EC_WFX	0x01u
#define ESR_EC_HVC64	0x16u
#define ESR_EC_IABT_LOW 0x20u
#define ESR_EC_DABT_LOW 0x24u

enum trap_kind { TRAP_DABT, TRAP_IABT, TRAP_HVC, TRAP_WFX, TRAP_OTHER };

/* Fault status (DFSC/IFSC[5:2]) groups. */
enum trap_fsc {
	FSC_ADDR_SIZE = 0x0,
	FSC_TRANSLATION = 0x1,
	FSC_ACCESS_FLAG = 0x2,
	FSC_PERMISSION = 0x3,
	FSC_OTHER = 0xf,
};

struct trap_info {
	enum trap_kind kind;
	/* Aborts: */
	uint64_t ipa; /* HPFAR page | FAR page offset */
	enum trap_fsc fsc;
	unsigned level; /* fault level for the groups above */
	bool write;	/* WnR */
	bool isv;	/* the fields below are valid (a plain load/store) */
	unsigned size_log2;
	unsigned srt; /* register transferred */
	bool sf;      /* 64-bit register */
};

void trap_decode(const struct kc_trap *t, struct trap_info *out);

#endif /* KCORE_TRAP_H */
