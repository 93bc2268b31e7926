/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest's GICv3 virtual CPU interface (docs/VCPU.md, "Interrupts").
 * While a guest runs, HCR_EL2.IMO/FMO send physical interrupts to EL2 and
 * point the guest's ICC_* accesses at the virtual interface, which reads
 * the list registers kcore loaded from the shadow context (struct
 * kc_vgic; core/virq.c decides what is in them).  On the way out every
 * piece of that interface (list registers, ICH_VMCR_EL2 with the guest's
 * PMR/BPR/group enables, the active-priority registers) goes back to the
 * shadow context and the hardware copy is zeroed: the host runs with the
 * virtual interface off (ICH_HCR_EL2 = 0), and EL1 cannot read ICH_*
 * anyway, but nothing of a guest is left for the next guest either.
 * As KVM's __vgic_v3_save_state/__vgic_v3_restore_state; own code.
 */
#include "arm64_vgic.h"

#include <stdint.h>

#include "sysreg.h"

#define msr_s(enc, val) __asm__ volatile("msr " enc ", %0" : : "r"((uint64_t)(val)) : "memory")
#define mrs_s(enc)                                                                                 \
	({                                                                                         \
		uint64_t __v;                                                                      \
		__asm__ volatile("mrs %0, " enc : "=r"(__v));                                      \
		__v;                                                                               \
	})

#define ICH_HCR_EL2  "S3_4_C12_C11_0"
#define ICH_VTR_EL2  "S3_4_C12_C11_1"
#define ICH_VMCR_EL2 "S3_4_C12_C11_7"
#define ICH_HCR_EN   1ull

/* ICH_VTR_EL2: ListRegs [4:0] (count - 1), PREbits [28:26] (bits - 1). */
static unsigned vgic_nr_lrs(uint64_t vtr)
{
	unsigned n = (unsigned)(vtr & 0x1f) + 1;
	return n < KC_VGIC_LRS ? n : KC_VGIC_LRS;
}

/* Active-priority registers per group: 1, 2 or 4 for 5, 6 or 7 preemption bits. */
static unsigned vgic_nr_aprs(uint64_t vtr)
{
	unsigned pre = (unsigned)((vtr >> 26) & 7) + 1;
	return pre >= 7 ? 4 : pre == 6 ? 2 : 1;
}

/* The list registers by number: MSR/MRS name them in the instruction. */
#define LR_CASES(X)                                                                                \
	X(0, "S3_4_C12_C12_0")                                                                     \
	X(1, "S3_4_C12_C12_1")                                                                     \
	X(2, "S3_4_C12_C12_2")                                                                     \
	X(3, "S3_4_C12_C12_3")
_Static_assert(KC_VGIC_LRS == 4, "one case per list register kcore keeps");

static void vgic_write_lr(unsigned i, uint64_t v)
{
	switch (i) {
#define LR_WRITE(n, enc)                                                                           \
	case n:                                                                                    \
		msr_s(enc, v);                                                                     \
		break;
		LR_CASES(LR_WRITE)
#undef LR_WRITE
	default:
		break;
	}
}

static uint64_t vgic_read_lr(unsigned i)
{
	switch (i) {
#define LR_READ(n, enc)                                                                            \
	case n:                                                                                    \
		return mrs_s(enc);
		LR_CASES(LR_READ)
#undef LR_READ
	default:
		return 0;
	}
}

static void vgic_write_aprs(unsigned n, const uint64_t *ap0, const uint64_t *ap1)
{
	switch (n) {
	case 4:
		msr_s("S3_4_C12_C8_3", ap0[3]);
		msr_s("S3_4_C12_C9_3", ap1[3]);
		msr_s("S3_4_C12_C8_2", ap0[2]);
		msr_s("S3_4_C12_C9_2", ap1[2]);
		__attribute__((fallthrough));
	case 2:
		msr_s("S3_4_C12_C8_1", ap0[1]);
		msr_s("S3_4_C12_C9_1", ap1[1]);
		__attribute__((fallthrough));
	default:
		msr_s("S3_4_C12_C8_0", ap0[0]);
		msr_s("S3_4_C12_C9_0", ap1[0]);
	}
}

static void vgic_read_aprs(unsigned n, uint64_t *ap0, uint64_t *ap1)
{
	switch (n) {
	case 4:
		ap0[3] = mrs_s("S3_4_C12_C8_3");
		ap1[3] = mrs_s("S3_4_C12_C9_3");
		ap0[2] = mrs_s("S3_4_C12_C8_2");
		ap1[2] = mrs_s("S3_4_C12_C9_2");
		__attribute__((fallthrough));
	case 2:
		ap0[1] = mrs_s("S3_4_C12_C8_1");
		ap1[1] = mrs_s("S3_4_C12_C9_1");
		__attribute__((fallthrough));
	default:
		ap0[0] = mrs_s("S3_4_C12_C8_0");
		ap1[0] = mrs_s("S3_4_C12_C9_0");
	}
}

void arm64_vgic_load(const struct kc_vgic *g)
{
	uint64_t vtr = mrs_s(ICH_VTR_EL2);
	unsigned nlr = vgic_nr_lrs(vtr);

	msr_s(ICH_VMCR_EL2, g->vmcr);
	vgic_write_aprs(vgic_nr_aprs(vtr), g->ap0r, g->ap1r);
	for (unsigned i = 0; i < nlr; i++)
		vgic_write_lr(i, g->lr[i]);
	msr_s(ICH_HCR_EL2, ICH_HCR_EN); /* the ERET that enters the guest synchronises it */
}

void arm64_vgic_save(struct kc_vgic *g)
{
	static const uint64_t zero[4];
	uint64_t vtr = mrs_s(ICH_VTR_EL2);
	unsigned nlr = vgic_nr_lrs(vtr), napr = vgic_nr_aprs(vtr);

	/* The interface off first: nothing changes under the reads below. */
	msr_s(ICH_HCR_EL2, 0);
	isb();
	g->vmcr = mrs_s(ICH_VMCR_EL2);
	vgic_read_aprs(napr, g->ap0r, g->ap1r);
	for (unsigned i = 0; i < nlr; i++) {
		g->lr[i] = vgic_read_lr(i);
		vgic_write_lr(i, 0);
	}
	vgic_write_aprs(napr, zero, zero);
	msr_s(ICH_VMCR_EL2, 0);
}
