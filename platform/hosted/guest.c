/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * guest.c — plat_guest_run: a vCPU executing its guest program until it
 * traps to EL2 (the semantics are in kcore_hosted/guest.h).
 *
 * The syndrome encoders here are written from the architecture (Arm ARM
 * D17.2.37 ESR_EL2, D17.2.62 HPFAR_EL2), NOT shared with core/trap.c:
 * core decodes what this file encodes, and a shared mistake would hide.
 */
#include "hm_internal.h"

#include <kcore/platform.h>
#include <kcore_hosted/guest.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ESR_EL2: EC [31:26], IL [25] (32-bit instruction), ISS [24:0]. */
#define ESR_EC_SHIFT	 26
#define ESR_IL		 (1ull << 25)
#define ESR_ISS_MASK	 0x1ffffffull
#define EC_WFX		 0x01u
#define EC_HVC64	 0x16u
#define EC_SMC64	 0x17u
#define EC_SYS64	 0x18u
#define EC_IABT_LOW	 0x20u
#define EC_DABT_LOW	 0x24u

/* ISS of a trapped WFx from AArch64: CV = 1, COND = 0b1110, TI [1:0] = 0b00 (WFI). */
#define ISS_WFX_CV	 (1u << 24)
#define ISS_WFX_COND_AL	 (0xeu << 20)

/* ISS of a data abort. */
#define ISS_DABT_ISV	 (1u << 24)
#define ISS_DABT_SAS(s)	 ((uint32_t)(s) << 22) /* log2 of the access size */
#define ISS_DABT_SSE	 (1u << 21)	       /* the load sign-extends */
#define ISS_DABT_SRT(r)	 ((uint32_t)(r) << 16)
#define ISS_DABT_SF	 (1u << 15) /* 64-bit register */
#define ISS_DABT_WNR	 (1u << 6)
/* ISS of a data or instruction abort. */
#define ISS_ABT_EA	 (1u << 9)

/* Fault status codes, DFSC and IFSC alike (LL = level). */
#define FSC_ADDR_SIZE(l) (0x00u | (unsigned)(l))
#define FSC_TRANSLATE(l) (0x04u | (unsigned)(l))
#define FSC_ACCESS(l)	 (0x08u | (unsigned)(l))
#define FSC_PERM(l)	 (0x0cu | (unsigned)(l))
#define FSC_SEA		 0x10u
#define FSC_SEA_WALK(l)	 (0x14u | (unsigned)(l))

/* HPFAR_EL2.FIPA [43:4] holds IPA[51:12]. */
#define HPFAR_OF(ipa)	 (((ipa) >> 12) << 4)

#define GUEST_ADDR_LIMIT (1ull << HM_VA_BITS)

/* An installed program; freed when replaced and no run holds it. */
struct hm_gprog {
	uint16_t vmid, vcpu;
	uint64_t base_pc;
	size_t n;
	unsigned refs; /* the table's reference + one per run in progress */
	struct hm_guest_op ops[];
};

void hm_guest_init(struct hm_machine *m)
{
	pthread_mutex_init(&m->guest_lock, NULL);
}

void hm_guest_fini(struct hm_machine *m)
{
	/* No CPU runs while the machine is destroyed: only the table's references remain. */
	for (size_t i = 0; i < m->nprogs; i++)
		free(m->progs[i]);
	free(m->progs);
	m->progs = NULL;
	m->nprogs = m->progs_cap = 0;
	pthread_mutex_destroy(&m->guest_lock);
}

static void prog_put_locked(struct hm_gprog *p)
{
	if (--p->refs == 0)
		free(p);
}

__attribute__((format(printf, 1, 2))) static int refuse(const char *fmt, ...)
{
	va_list ap;

	fputs("hm_guest_program: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

static int check_reg(const struct hm_guest_op *o, size_t i)
{
	/* x31 is xzr or sp depending on the instruction: not a general register. */
	return o->reg > 30 ? refuse("op %zu: x%u is not x0..x30", i, o->reg) : 0;
}

/*
 * The system registers a guest owns (kcore/platform.h enum kc_sysreg), by
 * their MRS/MSR encoding: these are switched with the guest, so the model
 * accesses them in the vCPU's context without a trap.
 */
static const struct {
	uint64_t enc;
	enum kc_sysreg idx;
} guest_sysregs[] = {
	{ HM_SYSREG(3, 0, 1, 0, 0), KC_SYS_SCTLR_EL1 },
	{ HM_SYSREG(3, 0, 1, 0, 2), KC_SYS_CPACR_EL1 },
	{ HM_SYSREG(3, 0, 2, 0, 0), KC_SYS_TTBR0_EL1 },
	{ HM_SYSREG(3, 0, 2, 0, 1), KC_SYS_TTBR1_EL1 },
	{ HM_SYSREG(3, 0, 2, 0, 2), KC_SYS_TCR_EL1 },
	{ HM_SYSREG(3, 0, 4, 0, 0), KC_SYS_SPSR_EL1 },
	{ HM_SYSREG(3, 0, 4, 0, 1), KC_SYS_ELR_EL1 },
	{ HM_SYSREG(3, 0, 5, 1, 0), KC_SYS_AFSR0_EL1 },
	{ HM_SYSREG(3, 0, 5, 1, 1), KC_SYS_AFSR1_EL1 },
	{ HM_SYSREG(3, 0, 5, 2, 0), KC_SYS_ESR_EL1 },
	{ HM_SYSREG(3, 0, 6, 0, 0), KC_SYS_FAR_EL1 },
	{ HM_SYSREG(3, 0, 7, 4, 0), KC_SYS_PAR_EL1 },
	{ HM_SYSREG(3, 0, 10, 2, 0), KC_SYS_MAIR_EL1 },
	{ HM_SYSREG(3, 0, 10, 3, 0), KC_SYS_AMAIR_EL1 },
	{ HM_SYSREG(3, 0, 12, 0, 0), KC_SYS_VBAR_EL1 },
	{ HM_SYSREG(3, 0, 13, 0, 1), KC_SYS_CONTEXTIDR_EL1 },
	{ HM_SYSREG(3, 0, 13, 0, 4), KC_SYS_TPIDR_EL1 },
	{ HM_SYSREG(3, 0, 14, 1, 0), KC_SYS_CNTKCTL_EL1 },
	{ HM_SYSREG(3, 2, 0, 0, 0), KC_SYS_CSSELR_EL1 },
	{ HM_SYSREG(3, 3, 13, 0, 2), KC_SYS_TPIDR_EL0 },
	{ HM_SYSREG(3, 3, 13, 0, 3), KC_SYS_TPIDRRO_EL0 },
};

/* The GICv3 virtual CPU interface and the virtual timer, as the guest reaches them. */
#define SYSREG_ICC_IAR1	 HM_SYSREG(3, 0, 12, 12, 0)
#define SYSREG_ICC_EOIR1 HM_SYSREG(3, 0, 12, 12, 1)
#define SYSREG_CNTV_CTL	 HM_SYSREG(3, 3, 14, 3, 1)
#define SYSREG_CNTV_CVAL HM_SYSREG(3, 3, 14, 3, 2)
/* ICH_LR<n>_EL2 (GICv3 12.5.9), encoded here from the spec, not shared with core. */
#define LR_INTID(lr)	 ((lr) & 0xffffffffull)
#define LR_PRIO(lr)	 (((lr) >> 48) & 0xffu)
#define LR_PENDING	 (1ull << 62)
#define LR_ACTIVE	 (1ull << 63)
#define INTID_SPURIOUS	 1023u
#define CNTV_ENABLE	 1ull
#define CNTV_ISTATUS	 4ull

void hm_guest_irq(struct hm_machine *m, unsigned cpu)
{
	pthread_mutex_lock(&m->guest_lock);
	m->guest_irq |= 1ull << (cpu % HM_MAX_CPUS);
	pthread_mutex_unlock(&m->guest_lock);
}

/* Take CPU `cpu`'s physical IRQ if one waits. */
static bool guest_irq_take(struct hm_machine *m, unsigned cpu)
{
	bool irq;

	pthread_mutex_lock(&m->guest_lock);
	irq = m->guest_irq >> cpu & 1;
	m->guest_irq &= ~(1ull << cpu);
	pthread_mutex_unlock(&m->guest_lock);
	return irq;
}

/* ICC_IAR1_EL1: the pending interrupt of highest priority becomes active. */
static uint64_t vgic_ack(struct kc_vgic *g)
{
	int best = -1;

	for (int i = 0; i < KC_VGIC_LRS; i++)
		if ((g->lr[i] & LR_PENDING) &&
		    (best < 0 || LR_PRIO(g->lr[i]) < LR_PRIO(g->lr[best])))
			best = i;
	if (best < 0)
		return INTID_SPURIOUS;
	g->lr[best] = (g->lr[best] & ~LR_PENDING) | LR_ACTIVE;
	return LR_INTID(g->lr[best]);
}

/* ICC_EOIR1_EL1: the active interrupt `intid` is done. */
static void vgic_eoi(struct kc_vgic *g, uint64_t intid)
{
	for (int i = 0; i < KC_VGIC_LRS; i++)
		if ((g->lr[i] & LR_ACTIVE) && LR_INTID(g->lr[i]) == (intid & 0xffffff)) {
			g->lr[i] &= ~LR_ACTIVE;
			return;
		}
}

/* CNTV_CTL_EL0 as the guest reads it: ISTATUS computed (the counter reads 0). */
static void timer_update(struct kc_vcpu_regs *regs)
{
	regs->cntv_ctl &= ~CNTV_ISTATUS;
	if ((regs->cntv_ctl & CNTV_ENABLE) && regs->cntv_cval == 0)
		regs->cntv_ctl |= CNTV_ISTATUS;
}

/* The interface and timer registers above; false if `o` names none of them. */
static bool vgic_timer_op(const struct hm_guest_op *o, struct kc_vcpu_regs *regs)
{
	bool read = o->op == HM_GOP_MRS;
	uint64_t in = o->reg == 31 ? 0 : regs->x[o->reg], out = 0;

	switch (o->value) {
	case SYSREG_ICC_IAR1:
		if (!read)
			return false;
		out = vgic_ack(&regs->vgic);
		break;
	case SYSREG_ICC_EOIR1:
		if (read)
			return false;
		vgic_eoi(&regs->vgic, in);
		return true;
	case SYSREG_CNTV_CTL:
		if (!read)
			regs->cntv_ctl = in & 3; /* ENABLE, IMASK; ISTATUS is read-only */
		timer_update(regs);
		out = regs->cntv_ctl;
		break;
	case SYSREG_CNTV_CVAL:
		if (!read) {
			regs->cntv_cval = in;
			timer_update(regs);
		}
		out = regs->cntv_cval;
		break;
	default:
		return false;
	}
	if (read && o->reg != 31)
		regs->x[o->reg] = out;
	return true;
}

/* The guest-owned register `enc` names, or -1 if it traps. */
static int guest_sysreg(uint64_t enc)
{
	for (size_t i = 0; i < sizeof(guest_sysregs) / sizeof(guest_sysregs[0]); i++)
		if (guest_sysregs[i].enc == enc)
			return (int)guest_sysregs[i].idx;
	return -1;
}

static int check_op(const struct hm_guest_op *o, size_t i)
{
	switch (o->op) {
	case HM_GOP_MRS:
	case HM_GOP_MSR:
		if (o->value & ~HM_SYSREG(3, 7, 15, 15, 7))
			return refuse("op %zu: 0x%" PRIx64 " is not an HM_SYSREG encoding", i,
				      o->value);
		return o->reg > 31 ? refuse("op %zu: x%u is not x0..x30 or xzr", i, o->reg) : 0;
	case HM_GOP_LOADS:
	case HM_GOP_LOADSW:
	case HM_GOP_LOAD:
	case HM_GOP_STORE:
		if ((o->op == HM_GOP_LOADS || o->op == HM_GOP_LOADSW) &&
		    (o->size == 8 || (o->size == 4 && o->op == HM_GOP_LOADSW)))
			return refuse("op %zu: no sign-extending load of %u bytes into %s", i,
				      o->size,
				      o->op == HM_GOP_LOADSW ? "a W register" : "an X register");
		if (o->size != 1 && o->size != 2 && o->size != 4 && o->size != 8)
			return refuse("op %zu: size %u is not 1, 2, 4 or 8", i, o->size);
		if (o->addr & (o->size - 1u))
			return refuse("op %zu: address 0x%" PRIx64 " not aligned to %u (an EL1 "
				      "alignment fault, never seen by EL2)",
				      i, o->addr, o->size);
		if (o->addr >= GUEST_ADDR_LIMIT)
			return refuse("op %zu: address 0x%" PRIx64 " not below 2^48", i, o->addr);
		return check_reg(o, i);
	case HM_GOP_SET:
	case HM_GOP_EXPECT:
		if (o->reg >= HM_REG_V0 && o->reg < HM_REG_V0 + 32)
			return 0;
		return check_reg(o, i);
	case HM_GOP_HVC:
	case HM_GOP_SMC:
		if (o->value > 0xffff)
			return refuse("op %zu: hvc immediate 0x%" PRIx64 " is not 16 bits", i,
				      o->value);
		return 0;
	case HM_GOP_WFI:
		return 0;
	}
	return refuse("op %zu: unknown op %d", i, (int)o->op);
}

int hm_guest_program(struct hm_machine *m, uint16_t vmid, uint16_t vcpu, uint64_t base_pc,
		     const struct hm_guest_op *ops, size_t n)
{
	struct hm_gprog *p = NULL;
	size_t i;

	if (n > HM_GUEST_MAX_OPS) {
		fprintf(stderr, "hm_guest_program: %zu ops, at most %u\n", n, HM_GUEST_MAX_OPS);
		return -E2BIG;
	}
	if (n) {
		if (base_pc & 3)
			return refuse("base pc 0x%" PRIx64 " not 4-aligned", base_pc);
		if (base_pc >= GUEST_ADDR_LIMIT || 4 * n > GUEST_ADDR_LIMIT - base_pc)
			return refuse("program at 0x%" PRIx64 " (%zu ops) not below 2^48", base_pc,
				      n);
		for (i = 0; i < n; i++)
			if (check_op(&ops[i], i))
				return -EINVAL;
		p = malloc(sizeof(*p) + n * sizeof(ops[0]));
		if (!p)
			return -ENOMEM;
		*p = (struct hm_gprog){ .vmid = vmid, .vcpu = vcpu, .base_pc = base_pc, .n = n };
		memcpy(p->ops, ops, n * sizeof(ops[0]));
		p->refs = 1;
	}

	pthread_mutex_lock(&m->guest_lock);
	for (i = 0; i < m->nprogs; i++)
		if (m->progs[i]->vmid == vmid && m->progs[i]->vcpu == vcpu)
			break;
	if (i < m->nprogs) {
		prog_put_locked(m->progs[i]);
		if (p)
			m->progs[i] = p;
		else
			m->progs[i] = m->progs[--m->nprogs];
	} else if (p) {
		if (m->nprogs == m->progs_cap) {
			size_t cap = m->progs_cap ? 2 * m->progs_cap : 8;
			struct hm_gprog **np = realloc(m->progs, cap * sizeof(*np));

			if (!np) {
				pthread_mutex_unlock(&m->guest_lock);
				free(p);
				return -ENOMEM;
			}
			m->progs = np;
			m->progs_cap = cap;
		}
		m->progs[m->nprogs++] = p;
	}
	pthread_mutex_unlock(&m->guest_lock);
	return 0;
}

unsigned hm_guest_failures(struct hm_machine *m, char *last_msg, size_t msg_size)
{
	unsigned n;

	pthread_mutex_lock(&m->guest_lock);
	n = m->guest_failures;
	if (last_msg && msg_size)
		snprintf(last_msg, msg_size, "%s", m->guest_msg);
	pthread_mutex_unlock(&m->guest_lock);
	return n;
}

/* The program of (vmid, vcpu), referenced for one run, or NULL. */
static struct hm_gprog *prog_get(struct hm_machine *m, uint16_t vmid, uint16_t vcpu)
{
	struct hm_gprog *p = NULL;

	pthread_mutex_lock(&m->guest_lock);
	for (size_t i = 0; i < m->nprogs && !p; i++)
		if (m->progs[i]->vmid == vmid && m->progs[i]->vcpu == vcpu)
			p = m->progs[i];
	if (p)
		p->refs++;
	pthread_mutex_unlock(&m->guest_lock);
	return p;
}

static void prog_put(struct hm_machine *m, struct hm_gprog *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&m->guest_lock);
	prog_put_locked(p);
	pthread_mutex_unlock(&m->guest_lock);
}

/* The op at `pc`, or NULL: outside the program, misaligned or beyond 2^48. */
static const struct hm_guest_op *op_at(const struct hm_gprog *p, uint64_t pc)
{
	uint64_t i;

	if (!p || (pc & 3) || pc < p->base_pc)
		return NULL;
	i = (pc - p->base_pc) / 4;
	return i < p->n ? &p->ops[i] : NULL;
}

static void expect_failed(struct hm_machine *m, const struct kc_guest *g, uint64_t pc,
			  const struct hm_guest_op *o, uint64_t got)
{
	pthread_mutex_lock(&m->guest_lock);
	m->guest_failures++;
	snprintf(m->guest_msg, sizeof(m->guest_msg),
		 "VMID %u vCPU %u pc 0x%" PRIx64 ": x%u is 0x%" PRIx64 ", expected 0x%" PRIx64,
		 (unsigned)g->vmid, (unsigned)g->vcpu, pc, o->reg, got, o->value);
	pthread_mutex_unlock(&m->guest_lock);
}

static uint64_t esr(unsigned ec, uint32_t iss)
{
	return ((uint64_t)ec << ESR_EC_SHIFT) | ESR_IL | (iss & ESR_ISS_MASK);
}

/* FSC and EA for a fault of the model, plus whether HPFAR holds the IPA. */
static uint32_t fault_syndrome(const struct hm_walk *w, bool *hpfar_valid)
{
	int l = w->fault_level;

	*hpfar_valid = true;
	switch (w->fault) {
	case HM_FAULT_ADDR_SIZE:
		return FSC_ADDR_SIZE(l);
	case HM_FAULT_TRANSLATION:
		return FSC_TRANSLATE(l);
	case HM_FAULT_ACCESS_FLAG:
		return FSC_ACCESS(l);
	case HM_FAULT_PERMISSION:
		return FSC_PERM(l);
	case HM_FAULT_EXTERNAL:
		if (l >= 0)
			return ISS_ABT_EA | FSC_SEA_WALK(l);
		/* On the access, not the walk: HPFAR_EL2 is UNKNOWN, the model writes 0. */
		*hpfar_valid = false;
		return ISS_ABT_EA | FSC_SEA;
	case HM_FAULT_NONE:
	case HM_FAULT_REFUSED:
		break;
	}
	hm_bug("plat_guest_run: no syndrome for fault %d", (int)w->fault);
}

static void trap_abort(struct kc_trap *trap, unsigned ec, uint32_t iss, const struct hm_walk *w,
		       uint64_t addr)
{
	bool hpfar_valid;

	iss |= fault_syndrome(w, &hpfar_valid);
	trap->kind = KC_TRAP_SYNC;
	trap->esr = esr(ec, iss);
	trap->far = addr;
	trap->hpfar = hpfar_valid ? HPFAR_OF(addr) : 0;
}

static void trap_plain(struct kc_trap *trap, uint64_t esr_val)
{
	trap->kind = KC_TRAP_SYNC;
	trap->esr = esr_val;
	trap->far = 0;
	trap->hpfar = 0;
}

static unsigned log2_size(unsigned size)
{
	return size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0;
}

/*
 * One LOAD or STORE.  Returns false after filling `trap` for a data abort.
 * The op was validated at install: size is 1/2/4/8 and addr aligned to it,
 * so the access never crosses a page.
 */
static bool data_op(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx,
		    const struct hm_guest_op *o, struct kc_vcpu_regs *regs, struct kc_trap *trap)
{
	bool store = o->op == HM_GOP_STORE;
	uint64_t v = store ? regs->x[o->reg] : 0;
	struct hm_walk w;

	/* Stage 1 off: Device memory, never cached, so RAM is read and written in memory. */
	if (hm_data_access(m, cpu, ctx, o->addr, &v, o->size, store, false, &w) != HM_FAULT_NONE) {
		bool sext = o->op == HM_GOP_LOADS || o->op == HM_GOP_LOADSW;
		bool sf = o->size == 8 || o->op == HM_GOP_LOADS;
		uint32_t iss = ISS_DABT_ISV | ISS_DABT_SAS(log2_size(o->size)) |
			       (sext ? ISS_DABT_SSE : 0) | ISS_DABT_SRT(o->reg) |
			       (sf ? ISS_DABT_SF : 0) | (store ? ISS_DABT_WNR : 0);

		trap_abort(trap, EC_DABT_LOW, iss, &w, o->addr);
		return false;
	}
	if (!store) {
		/* Zero-extended: v started at 0 and only `size` low bytes were filled. */
		unsigned bits = 8u * o->size;
		if ((o->op == HM_GOP_LOADS || o->op == HM_GOP_LOADSW) && (v >> (bits - 1)) & 1)
			v |= ~0ull << bits;
		if (o->op == HM_GOP_LOADSW)
			v &= 0xffffffffull;
		regs->x[o->reg] = v;
	}
	return true;
}

/* SET/EXPECT's register: x0..x30, or the low half of V0..V31. */
static uint64_t *gpr_or_v(struct kc_vcpu_regs *regs, unsigned reg)
{
	return reg >= HM_REG_V0 ? &regs->v[reg - HM_REG_V0][0] : &regs->x[reg];
}

/*
 * MRS/MSR: a register the guest owns is read or written in its context;
 * any other traps (EC 0x18, ISS Op0 [21:20], Op2 [19:17], Op1 [16:14],
 * CRn [13:10], Rt [9:5], CRm [4:1], Direction [0] = 1 for a read).
 * Returns false after filling `trap`.
 */
static bool sysreg_op(const struct hm_guest_op *o, struct kc_vcpu_regs *regs, struct kc_trap *trap)
{
	bool read = o->op == HM_GOP_MRS;
	int idx = guest_sysreg(o->value);

	if (vgic_timer_op(o, regs))
		return true;
	if (idx >= 0) {
		if (read && o->reg != 31)
			regs->x[o->reg] = regs->sys[idx];
		else if (!read)
			regs->sys[idx] = o->reg == 31 ? 0 : regs->x[o->reg];
		return true;
	}
	uint64_t f = o->value;
	uint32_t iss = (uint32_t)(((f >> 19) & 3) << 20 | ((f >> 5) & 7) << 17 |
				  ((f >> 16) & 7) << 14 | ((f >> 12) & 0xf) << 10 |
				  (uint64_t)o->reg << 5 | ((f >> 8) & 0xf) << 1 | (read ? 1 : 0));
	trap_plain(trap, esr(EC_SYS64, iss));
	return false;
}

void plat_guest_run(const struct kc_guest *g, struct kc_vcpu_regs *regs, struct kc_trap *trap)
{
	struct hm_machine *m = hm_current_or_panic("plat_guest_run");
	unsigned cpu = plat_cpu_id();
	struct hm_ctx ctx = hm_ctx_s2(g->vmid, g->s2_root);
	struct hm_gprog *p = prog_get(m, g->vmid, g->vcpu);

	/*
	 * No branches: every iteration either traps or moves pc to the next op,
	 * so this ends within p->n + 1 iterations (<= HM_GUEST_MAX_OPS + 1).
	 */
	for (;;) {
		uint64_t pc = regs->pc;
		const struct hm_guest_op *o = NULL;
		struct hm_walk w;

		if (guest_irq_take(m, cpu)) {
			*trap = (struct kc_trap){ .kind = KC_TRAP_IRQ };
			break;
		}

		/* A PC the guest's EL1 would fault on first: it idles (guest.h). */
		if ((pc & 3) == 0 && pc < GUEST_ADDR_LIMIT) {
			if (hm_access(m, cpu, &ctx, pc, HM_EXEC, &w) == HM_FAULT_NONE &&
			    !hm_is_ram(m, w.pa, 4)) {
				/* Instructions come from memory: none there, an external abort. */
				w.fault = HM_FAULT_EXTERNAL;
				w.fault_level = -1;
			}
			if (w.fault != HM_FAULT_NONE) {
				trap_abort(trap, EC_IABT_LOW, 0, &w, pc);
				break;
			}
			o = op_at(p, pc);
		}
		if (!o || o->op == HM_GOP_WFI) {
			/* ELR_EL2 stays at the WFI: core steps over it. */
			trap_plain(trap, esr(EC_WFX, ISS_WFX_CV | ISS_WFX_COND_AL));
			break;
		}
		if (o->op == HM_GOP_HVC) {
			/* ELR_EL2 of an HVC is the instruction after it. */
			trap_plain(trap, esr(EC_HVC64, (uint32_t)o->value));
			regs->pc = pc + 4;
			break;
		}
		if (o->op == HM_GOP_SMC) {
			/* A trapped SMC: ELR_EL2 is the SMC itself, the hypervisor steps over it. */
			trap_plain(trap, esr(EC_SMC64, (uint32_t)o->value));
			break;
		}
		if (o->op == HM_GOP_MRS || o->op == HM_GOP_MSR) {
			if (!sysreg_op(o, regs, trap))
				break; /* trapped: pc stays at the instruction */
		} else if (o->op == HM_GOP_SET) {
			*gpr_or_v(regs, o->reg) = o->value;
		} else if (o->op == HM_GOP_EXPECT) {
			uint64_t got = *gpr_or_v(regs, o->reg);
			if (got != o->value)
				expect_failed(m, g, pc, o, got);
		} else if (!data_op(m, cpu, &ctx, o, regs, trap)) {
			/* pc unchanged: the access re-executes once the fault is handled. */
			break;
		}
		regs->pc = pc + 4;
	}
	prog_put(m, p);
}
