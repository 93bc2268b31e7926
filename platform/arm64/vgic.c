/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The guest's GICv3 virtual CPU interface (docs/VCPU.md, "Interrupts").
 * While a guest runs, HCR_EL2.IMO/FMO send physical interrupts to EL2 and
 * point the guest's ICC_* accesses at the virtual interface, which reads
 * the list registers kcore loaded from the shadow context (struct
 * kc_vgic; core/virq.c decides what is in them).  On the way out every
 * piece of that interface (list registers, ICH_VMCR_EL2 with the guest's
 * PMR/BPR/group enables, the active-priority registers) goes back to the
 * shadow context and the list registers are zeroed: the host runs with
 * the virtual interface off (ICH_HCR_EL2 = 0) and EL1 cannot read ICH_*
 * anyway; the next guest's entry writes VMCR and the APRs whole and finds
 * every list register it does not write empty.
 * As KVM's __vgic_v3_save_state/__vgic_v3_restore_state; own code.
 */
#include "arm64_vgic.h"

#include <stdbool.h>
#include <stdint.h>

#include "arm64_percpu.h"
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

/*
 * List registers (at most KC_VGIC_LRS) and active-priority registers per
 * group (1, 2 or 4 for 5, 6 or 7 preemption bits), from ICH_VTR_EL2:
 * ListRegs [4:0] (count - 1), PREbits [28:26] (bits - 1).  The same on
 * every CPU: read once, a race only writes the same values twice.
 */
static unsigned vgic_nlr, vgic_napr;

/*
 * Every list register of a CPU is zeroed before its first guest: their
 * reset value is UNKNOWN, and a load writes only the slots in use.  All
 * of them (up to 16), not only the KC_VGIC_LRS kcore uses: one it never
 * writes must never hold an interrupt either.
 */
static bool vgic_cpu_clean[ARM64_MAX_CPUS];

static void vgic_cpu_init(uint64_t vtr)
{
	unsigned n = (unsigned)(vtr & 0x1f) + 1;

#define LR_ZERO(i, enc)                                                                            \
	if (n > (i))                                                                               \
		msr_s(enc, 0);
	LR_ZERO(0, "S3_4_C12_C12_0")
	LR_ZERO(1, "S3_4_C12_C12_1")
	LR_ZERO(2, "S3_4_C12_C12_2")
	LR_ZERO(3, "S3_4_C12_C12_3")
	LR_ZERO(4, "S3_4_C12_C12_4")
	LR_ZERO(5, "S3_4_C12_C12_5")
	LR_ZERO(6, "S3_4_C12_C12_6")
	LR_ZERO(7, "S3_4_C12_C12_7")
	LR_ZERO(8, "S3_4_C12_C13_0")
	LR_ZERO(9, "S3_4_C12_C13_1")
	LR_ZERO(10, "S3_4_C12_C13_2")
	LR_ZERO(11, "S3_4_C12_C13_3")
	LR_ZERO(12, "S3_4_C12_C13_4")
	LR_ZERO(13, "S3_4_C12_C13_5")
	LR_ZERO(14, "S3_4_C12_C13_6")
	LR_ZERO(15, "S3_4_C12_C13_7")
#undef LR_ZERO
}

static void vgic_probe(void)
{
	uint64_t vtr = mrs_s(ICH_VTR_EL2);
	unsigned n = (unsigned)(vtr & 0x1f) + 1, pre = (unsigned)((vtr >> 26) & 7) + 1;

	vgic_napr = pre >= 7 ? 4 : pre == 6 ? 2 : 1;
	vgic_nlr = n < KC_VGIC_LRS ? n : KC_VGIC_LRS;
}

/* The list registers by number: MSR/MRS name them in the instruction. */
#define LR_CASES(X)                                                                                \
	X(0, "S3_4_C12_C12_0")                                                                     \
	X(1, "S3_4_C12_C12_1")                                                                     \
	X(2, "S3_4_C12_C12_2")                                                                     \
	X(3, "S3_4_C12_C12_3")
_Static_assert(KC_VGIC_LRS == 4, "one case per list register kcore keeps (and lr[0..3] below)");

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

unsigned arm64_vgic_load(const struct kc_vgic *g, unsigned cpu)
{
	unsigned used = 0;

	if (!vgic_cpu_clean[cpu]) {
		vgic_probe();
		vgic_cpu_init(mrs_s(ICH_VTR_EL2));
		vgic_cpu_clean[cpu] = true;
	}
	msr_s(ICH_VMCR_EL2, g->vmcr);
	vgic_write_aprs(vgic_napr, g->ap0r, g->ap1r);
	/*
	 * Only the slots that hold something: the others are zero in the
	 * hardware already (arm64_vgic_save leaves them so), and a guest
	 * with nothing pending costs no list register access at all.
	 */
	if (g->lr[0] | g->lr[1] | g->lr[2] | g->lr[3])
		for (unsigned i = 0; i < vgic_nlr; i++)
			if (g->lr[i]) {
				vgic_write_lr(i, g->lr[i]);
				used |= 1u << i;
			}
	msr_s(ICH_HCR_EL2, ICH_HCR_EN); /* the ERET that enters the guest synchronises it */
	return used;
}

void arm64_vgic_save(struct kc_vgic *g, unsigned used)
{
	g->vmcr = mrs_s(ICH_VMCR_EL2);
	vgic_read_aprs(vgic_napr, g->ap0r, g->ap1r);
	for (unsigned i = 0; used && i < KC_VGIC_LRS; i++)
		if (used >> i & 1) {
			g->lr[i] = vgic_read_lr(i);
			vgic_write_lr(i, 0);
		}
	/*
	 * The interface off (the host's ISB synchronises).  ICH_VMCR_EL2 and
	 * the APRs keep the guest's values: EL1 cannot read an ICH_* register,
	 * the disabled virtual interface acts on nothing, and the next
	 * arm64_vgic_load writes all of them; the list registers are zero
	 * again, since a load writes only the slots in use.
	 */
	msr_s(ICH_HCR_EL2, 0);
}
