/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Trace lines <-> operations (docs/REPLAY.md).  Parsing is strict: a line
 * is either understood completely or refused with the reason, so a typo in
 * a regression trace never turns into a silently different test.
 */
#include "replay.h"

#include <kcore_hosted/smmu.h>

#include <kcore/abi.h>
#include <kcore/kcore.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- names ---------------------------------------------------------------- */

struct rp_call_desc {
	const char *name;
	uint64_t fn;
	const char *args[6]; /* names of x1.., NULL after the last */
};

static const struct rp_call_desc rp_calls[] = {
	{ "VERSION", KC_HC_VERSION, { NULL } },
	{ "VM_CREATE", KC_HC_VM_CREATE, { NULL } },
	{ "VCPU_CREATE", KC_HC_VCPU_CREATE, { "vm", "vcpu", NULL } },
	{ "VM_SET_IMAGE", KC_HC_VM_SET_IMAGE, { "vm", "base", "size", NULL } },
	{ "VM_LOAD_IMAGE_PAGE", KC_HC_VM_LOAD_IMAGE_PAGE, { "vm", "index", "pfn", NULL } },
	{ "VM_VERIFY", KC_HC_VM_VERIFY, { "vm", "pfn", NULL } },
	{ "VCPU_RUN", KC_HC_VCPU_RUN, { "vm", "vcpu", "finish", "value", NULL } },
	{ "VM_MAP_FAULT", KC_HC_VM_MAP_FAULT, { "vm", "vcpu", "pfn", "level", NULL } },
	{ "VM_MAP_IO", KC_HC_VM_MAP_IO, { "vm", "gpa", "pa", "npages", NULL } },
	{ "VM_POWEROFF", KC_HC_VM_POWEROFF, { "vm", NULL } },
	{ "VM_RECLAIM", KC_HC_VM_RECLAIM, { "vm", "max", NULL } },
	{ "VM_DESTROY", KC_HC_VM_DESTROY, { "vm", NULL } },
	{ "VCPU_INJECT_IRQ", KC_HC_VCPU_INJECT_IRQ, { "vm", "vcpu", "intid", "prio", NULL } },
	{ "IODOM_ALLOC", KC_HC_IODOM_ALLOC, { "owner", NULL } },
	{ "IODOM_FREE", KC_HC_IODOM_FREE, { "dom", NULL } },
	{ "IODOM_ATTACH", KC_HC_IODOM_ATTACH, { "dom", "smmu", "sid", NULL } },
	{ "IODOM_DETACH", KC_HC_IODOM_DETACH, { "dom", "smmu", "sid", NULL } },
	{ "IODOM_MAP", KC_HC_IODOM_MAP, { "dom", "iova", "pa", "pages", "prot", NULL } },
	{ "IODOM_UNMAP", KC_HC_IODOM_UNMAP, { "dom", "iova", "pages", NULL } },
	{ "IODOM_LOOKUP", KC_HC_IODOM_LOOKUP, { "dom", "iova", NULL } },
	{ "SMMU_EVENT", KC_HC_SMMU_EVENT, { NULL } },
};
#define RP_NCALLS (sizeof(rp_calls) / sizeof(rp_calls[0]))

static const struct rp_call_desc *rp_call_by_fn(uint64_t fn)
{
	for (unsigned i = 0; i < RP_NCALLS; i++)
		if (rp_calls[i].fn == fn)
			return &rp_calls[i];
	return NULL;
}

const char *rp_call_name(uint64_t fn)
{
	const struct rp_call_desc *d = rp_call_by_fn(fn);
	return d ? d->name : NULL;
}

/* kcore's own names (core/errors.c): one list, so traces and kcore agree. */
const char *rp_status_name(int status)
{
	return kcore_err_name(status);
}

/* Symbolic values a trace may use wherever a number goes. */
struct rp_const {
	const char *name;
	uint64_t value;
};

static const struct rp_const rp_consts[] = {
	{ "SHARE", KC_GC_SHARE },
	/* IODOM_MAP's rights. */
	{ "IO_R", KC_IO_R },
	{ "IO_RW", KC_IO_R | KC_IO_W },
	{ "UNSHARE", KC_GC_UNSHARE },
	{ "MMIO_GUARD_MAP", KC_GC_MMIO_GUARD_MAP },
	{ "MMIO_GUARD_UNMAP", KC_GC_MMIO_GUARD_UNMAP },
	{ "SMCCC_VERSION", KC_SMCCC_VERSION },
	{ "SMCCC_ARCH_FEATURES", KC_SMCCC_ARCH_FEATURES },
	{ "PSCI_VERSION", KC_PSCI_VERSION },
	{ "PSCI_FEATURES", KC_PSCI_FEATURES },
	{ "CPU_SUSPEND", KC_PSCI_CPU_SUSPEND64 },
	{ "CPU_OFF", KC_PSCI_CPU_OFF },
	{ "CPU_ON", KC_PSCI_CPU_ON64 },
	{ "CPU_ON32", KC_PSCI_CPU_ON },
	{ "AFFINITY_INFO", KC_PSCI_AFFINITY_INFO64 },
	{ "SYSTEM_OFF", KC_PSCI_SYSTEM_OFF },
	{ "SYSTEM_RESET", KC_PSCI_SYSTEM_RESET },
	{ "PV_TIME_FEATURES", 0xC5000020u },
	{ "PV_TIME_ST", 0xC5000021u },
	/* A value the oracle treats as a guest secret (docs/REPLAY.md): SECRET+k works too. */
	{ "SECRET", RP_CANARY_BASE },
	/* System registers, for mrs/msr (kcore_hosted/guest.h HM_SYSREG). */
	{ "TPIDR_EL1", HM_SYSREG(3, 0, 13, 0, 4) },
	{ "VBAR_EL1", HM_SYSREG(3, 0, 12, 0, 0) },
	{ "SCTLR_EL1", HM_SYSREG(3, 0, 1, 0, 0) },
	{ "ID_AA64PFR0_EL1", HM_SYSREG(3, 0, 0, 4, 0) },
	{ "ID_AA64MMFR0_EL1", HM_SYSREG(3, 0, 0, 7, 0) },
	{ "ID_AA64DFR0_EL1", HM_SYSREG(3, 0, 0, 5, 0) },
	{ "PMCR_EL0", HM_SYSREG(3, 3, 9, 12, 0) },
	{ "ACTLR_EL1", HM_SYSREG(3, 0, 1, 0, 1) },
	{ "ICC_IAR1_EL1", HM_SYSREG(3, 0, 12, 12, 0) },
	{ "ICC_EOIR1_EL1", HM_SYSREG(3, 0, 12, 12, 1) },
	{ "CNTV_CTL_EL0", HM_SYSREG(3, 3, 14, 3, 1) },
	{ "CNTV_CVAL_EL0", HM_SYSREG(3, 3, 14, 3, 2) },
	{ "ICC_SGI1R_EL1", HM_SYSREG(3, 0, 12, 11, 5) },
	{ "RESUME", KC_RUN_RESUME },
	{ "MMIO_DONE", KC_RUN_MMIO_DONE },
	{ "CALL_DONE", KC_RUN_CALL_DONE },
	{ "ABI_VERSION", KC_ABI_VERSION },
};

static bool rp_word_eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

/* A number: [-]decimal or 0x hex, with an optional K/M/G suffix; or a name. */
static bool rp_num(const char *s, size_t len, uint64_t *out)
{
	for (unsigned i = 0; i < RP_NCALLS; i++)
		if (rp_word_eq(s, len, rp_calls[i].name)) {
			*out = rp_calls[i].fn;
			return true;
		}
	for (unsigned i = 0; i < sizeof(rp_consts) / sizeof(rp_consts[0]); i++)
		if (rp_word_eq(s, len, rp_consts[i].name)) {
			*out = rp_consts[i].value;
			return true;
		}
	for (int st = 0; st >= KC_ERR_MIN; st--)
		if (rp_word_eq(s, len, rp_status_name(st))) {
			*out = (uint64_t)(int64_t)st;
			return true;
		}
	if (len == 0 || len > 40)
		return false;
	char buf[48];
	memcpy(buf, s, len);
	buf[len] = 0;
	bool neg = buf[0] == '-';
	char *p = buf + neg, *end;
	if (!isdigit((unsigned char)*p))
		return false;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 0);
	if (errno)
		return false;
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end || (shift && (v >> (64 - shift))))
		return false;
	v <<= shift;
	*out = neg ? (uint64_t)0 - v : v;
	return true;
}

/* ---- tokens --------------------------------------------------------------- */

#define RP_MAX_TOKENS 24

struct rp_tok {
	const char *s; /* not NUL terminated */
	size_t len;
	const char *val; /* after '=' (key=value), else NULL */
	size_t klen, vlen;
};

static unsigned rp_split(const char *s, const char *end, struct rp_tok *t, unsigned max)
{
	unsigned n = 0;
	while (s < end) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s >= end)
			break;
		const char *b = s;
		while (s < end && !isspace((unsigned char)*s))
			s++;
		if (n == max)
			return max + 1;
		t[n].s = b;
		t[n].len = (size_t)(s - b);
		const char *eq = memchr(b, '=', t[n].len);
		t[n].val = eq ? eq + 1 : NULL;
		t[n].klen = eq ? (size_t)(eq - b) : t[n].len;
		t[n].vlen = eq ? (size_t)(s - eq - 1) : 0;
		n++;
	}
	return n;
}

struct rp_perr {
	char *buf;
	size_t size;
	unsigned line;
};

static int rp_fail(struct rp_perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int rp_fail(struct rp_perr *e, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(e->buf, e->size, "line %u: ", e->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < e->size)
		vsnprintf(e->buf + n, e->size - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int rp_tok_num(struct rp_perr *e, const struct rp_tok *t, uint64_t *v)
{
	const char *s = t->val ? t->val : t->s;
	size_t len = t->val ? t->vlen : t->len;
	if (!rp_num(s, len, v))
		return rp_fail(e, "'%.*s' is not a number or a known name", (int)len, s);
	return 0;
}

static bool rp_key_is(const struct rp_tok *t, const char *k)
{
	return t->val && rp_word_eq(t->s, t->klen, k);
}

/* ---- the parts of a line ------------------------------------------------ */

void rp_machine_default(struct rp_machine *mc)
{
	*mc = (struct rp_machine){
		.ram = 64ull << 20,
		.cpus = 2,
		.vms = 4,
		.pool = 64,
		.remap = 4096,
		.key = RP_KEY_TEST,
		.iopool = 16,
	};
}

static int rp_parse_keyname(struct rp_perr *e, const struct rp_tok *t, enum rp_key *k)
{
	if (rp_word_eq(t->val, t->vlen, "test"))
		*k = RP_KEY_TEST;
	else if (rp_word_eq(t->val, t->vlen, "other"))
		*k = RP_KEY_OTHER;
	else if (rp_word_eq(t->val, t->vlen, "none"))
		*k = RP_KEY_NONE;
	else
		return rp_fail(e, "key=%.*s: want test, other or none", (int)t->vlen, t->val);
	return 0;
}

static int rp_parse_machine(struct rp_perr *e, const struct rp_tok *t, unsigned n,
			    struct rp_machine *mc)
{
	rp_machine_default(mc);
	bool iodoms_set = false;
	for (unsigned i = 1; i < n; i++) {
		uint64_t v = 0;
		if (!t[i].val)
			return rp_fail(e, "machine: '%.*s' is not key=value", (int)t[i].len,
				       t[i].s);
		if (rp_key_is(&t[i], "key")) {
			if (rp_parse_keyname(e, &t[i], &mc->key))
				return -1;
			continue;
		}
		if (rp_tok_num(e, &t[i], &v))
			return -1;
		if (rp_key_is(&t[i], "ram")) {
			if (v < (4ull << 20) || v > (4ull << 30) || (v & 0x1fffff))
				return rp_fail(e, "ram: want a multiple of 2M, 4M..4G");
			mc->ram = v;
		} else if (rp_key_is(&t[i], "cpus")) {
			if (v < 1 || v > HM_MAX_CPUS)
				return rp_fail(e, "cpus: want 1..%u", HM_MAX_CPUS);
			mc->cpus = (unsigned)v;
		} else if (rp_key_is(&t[i], "vms")) {
			if (v < 1 || v > KC_MAX_VMS)
				return rp_fail(e, "vms: want 1..%u", KC_MAX_VMS);
			mc->vms = (unsigned)v;
		} else if (rp_key_is(&t[i], "pool")) {
			if (v < 1 || v > 4096)
				return rp_fail(e, "pool: want 1..4096 table pages per VM");
			mc->pool = (unsigned)v;
		} else if (rp_key_is(&t[i], "remap")) {
			if (v > (1ull << 24))
				return rp_fail(e, "remap: want at most 16M window pages");
			mc->remap = v;
		} else if (rp_key_is(&t[i], "entropy-fail")) {
			if (v > 1000000)
				return rp_fail(e, "entropy-fail: want at most 1000000");
			mc->entropy_fail = (unsigned)v;
		} else if (rp_key_is(&t[i], "smmus")) {
			if (v > HM_MAX_SMMUS)
				return rp_fail(e, "smmus: want 0..%u", HM_MAX_SMMUS);
			mc->smmus = (unsigned)v;
		} else if (rp_key_is(&t[i], "iodoms")) {
			if (v > KC_MAX_IODOMS)
				return rp_fail(e, "iodoms: want 0..%u", KC_MAX_IODOMS);
			mc->iodoms = (unsigned)v;
			iodoms_set = true;
		} else if (rp_key_is(&t[i], "iopool")) {
			if (v < 4 || v > 4096)
				return rp_fail(e, "iopool: want 4..4096 table pages per IO domain");
			mc->iopool = (unsigned)v;
		} else {
			return rp_fail(e,
				       "machine: unknown key '%.*s' (know ram, cpus, vms, pool, "
				       "remap, key, entropy-fail, smmus, iodoms, iopool)",
				       (int)t[i].klen, t[i].s);
		}
	}
	if (!iodoms_set && mc->smmus)
		mc->iodoms = 8;
	return 0;
}

static int rp_parse_call(struct rp_perr *e, const struct rp_tok *t, unsigned n, struct rp_op *op)
{
	op->kind = RP_CALL;
	unsigned first = 1;
	const struct rp_call_desc *d = NULL;
	if (!op->raw) {
		if (n < 2)
			return rp_fail(e, "call: which one? (e.g. call VM_CREATE)");
		for (unsigned i = 0; i < RP_NCALLS; i++)
			if (rp_word_eq(t[1].s, t[1].len, rp_calls[i].name))
				d = &rp_calls[i];
		if (!d)
			return rp_fail(e, "call: unknown call '%.*s' (use raw x0=... for any id)",
				       (int)t[1].len, t[1].s);
		op->x[0] = d->fn;
		first = 2;
	}
	bool have_x0 = !op->raw;
	for (unsigned i = first; i < n; i++) {
		uint64_t v;
		if (!t[i].val)
			return rp_fail(e, "'%.*s' is not key=value", (int)t[i].len, t[i].s);
		if (rp_tok_num(e, &t[i], &v))
			return -1;
		int reg = -1;
		if (t[i].klen == 2 && (t[i].s[0] == 'x' || t[i].s[0] == 'X') && t[i].s[1] >= '0' &&
		    t[i].s[1] <= '6')
			reg = t[i].s[1] - '0';
		for (unsigned a = 0; d && reg < 0 && a < 6 && d->args[a]; a++)
			if (rp_word_eq(t[i].s, t[i].klen, d->args[a]))
				reg = (int)a + 1;
		if (reg < 0) {
			char known[96] = "";
			for (unsigned a = 0; d && a < 6 && d->args[a]; a++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known),
					 "%s ", d->args[a]);
			return rp_fail(e, "%s: unknown argument '%.*s' (know: %sx0..x6)",
				       d ? d->name : "raw", (int)t[i].klen, t[i].s, known);
		}
		if (reg == 0 && !op->raw)
			return rp_fail(e, "call %s: x0 is the call itself (use raw)", d->name);
		op->x[reg] = v;
		have_x0 |= reg == 0;
	}
	if (!have_x0)
		return rp_fail(e, "raw: x0= (the function id) is missing");
	return 0;
}

static int rp_parse_reg(struct rp_perr *e, const char *s, size_t len, uint8_t *reg)
{
	uint64_t v;
	if (len < 2 || (s[0] != 'x' && s[0] != 'X') || !rp_num(s + 1, len - 1, &v) || v > 30)
		return rp_fail(e, "guest: '%.*s' is not a register x0..x30", (int)len, s);
	*reg = (uint8_t)v;
	return 0;
}

/* A register with a class: 'x' (x0..x30, xzr as 31 if allowed), 'w', 'v' (V0..V31). */
static bool rp_reg_of(const char *s, size_t len, char cls, unsigned max, uint8_t *reg)
{
	uint64_t v;
	if (len == 3 && strncasecmp(s, "xzr", 3) == 0 && cls == 'x' && max == 31) {
		*reg = 31;
		return true;
	}
	if (len < 2 || (s[0] | 0x20) != cls || !rp_num(s + 1, len - 1, &v) || v > max)
		return false;
	*reg = (uint8_t)v;
	return true;
}

/* "loads x1 1 ADDR" (to 64 bits) or "loads w1 1 ADDR" (to 32): sign-extending loads. */
static int rp_parse_loads(struct rp_perr *e, const struct rp_tok *t, unsigned n,
			  struct hm_guest_op *g)
{
	uint64_t size;
	if (n != 4)
		return rp_fail(e, "guest: loads xN|wN SIZE ADDR");
	if (rp_reg_of(t[1].s, t[1].len, 'x', 30, &g->reg))
		g->op = HM_GOP_LOADS;
	else if (rp_reg_of(t[1].s, t[1].len, 'w', 30, &g->reg))
		g->op = HM_GOP_LOADSW;
	else
		return rp_fail(e, "guest: '%.*s' is not x0..x30 or w0..w30", (int)t[1].len, t[1].s);
	if (rp_tok_num(e, &t[2], &size) || rp_tok_num(e, &t[3], &g->addr))
		return -1;
	if (size != 1 && size != 2 && (size != 4 || g->op == HM_GOP_LOADSW))
		return rp_fail(e, "guest: loads of %" PRIu64 " bytes (1, 2, or 4 into x)", size);
	if (g->addr & (size - 1) || g->addr >> HM_VA_BITS)
		return rp_fail(e, "guest: address 0x%" PRIx64 " not aligned or not below 2^48",
			       g->addr);
	g->size = (uint8_t)size;
	return 0;
}

/* "mrs x1 TPIDR_EL1" / "msr TPIDR_EL1 x1". */
static int rp_parse_sysreg_op(struct rp_perr *e, const struct rp_tok *t, unsigned n,
			      struct hm_guest_op *g)
{
	bool mrs = (t[0].s[1] | 0x20) == 'r';
	const struct rp_tok *rt = mrs ? &t[1] : &t[2], *sr = mrs ? &t[2] : &t[1];
	if (n != 3)
		return rp_fail(e, "guest: mrs xN SYSREG | msr SYSREG xN");
	g->op = mrs ? HM_GOP_MRS : HM_GOP_MSR;
	if (!rp_reg_of(rt->s, rt->len, 'x', 31, &g->reg))
		return rp_fail(e, "guest: '%.*s' is not x0..x30 or xzr", (int)rt->len, rt->s);
	if (rp_tok_num(e, sr, &g->value))
		return -1;
	if (g->value & ~HM_SYSREG(3, 7, 15, 15, 7))
		return rp_fail(e, "guest: 0x%" PRIx64 " is not a system register encoding",
			       g->value);
	return 0;
}

/* One guest op: "load x1 8 0x80001000", "set x0 SHARE", "hvc", "wfi". */
static int rp_parse_gop(struct rp_perr *e, const char *s, const char *end, struct rp_op *op)
{
	struct rp_tok t[6];
	unsigned n = rp_split(s, end, t, 5);
	if (n == 0)
		return 0; /* "a; ; b" and a trailing ';' are fine */
	if (op->ngops == RP_MAX_GOPS)
		return rp_fail(e, "guest: at most %u ops per program", RP_MAX_GOPS);
	struct hm_guest_op *g = &op->gops[op->ngops];
	uint64_t v = 0, size = 0;
	*g = (struct hm_guest_op){ 0 };
	if (rp_word_eq(t[0].s, t[0].len, "load") || rp_word_eq(t[0].s, t[0].len, "store")) {
		g->op = t[0].len == 4 ? HM_GOP_LOAD : HM_GOP_STORE;
		if (n != 4)
			return rp_fail(e, "guest: %.*s xN SIZE ADDR", (int)t[0].len, t[0].s);
		if (rp_parse_reg(e, t[1].s, t[1].len, &g->reg) || rp_tok_num(e, &t[2], &size) ||
		    rp_tok_num(e, &t[3], &g->addr))
			return -1;
		if (size != 1 && size != 2 && size != 4 && size != 8)
			return rp_fail(e, "guest: size %" PRIu64 " is not 1, 2, 4 or 8", size);
		if (g->addr & (size - 1) || g->addr >> HM_VA_BITS)
			return rp_fail(e,
				       "guest: address 0x%" PRIx64
				       " not aligned to its size or not below 2^48",
				       g->addr);
		g->size = (uint8_t)size;
	} else if (rp_word_eq(t[0].s, t[0].len, "loads")) {
		if (rp_parse_loads(e, t, n, g))
			return -1;
	} else if (rp_word_eq(t[0].s, t[0].len, "mrs") || rp_word_eq(t[0].s, t[0].len, "msr")) {
		if (rp_parse_sysreg_op(e, t, n, g))
			return -1;
	} else if (rp_word_eq(t[0].s, t[0].len, "set") || rp_word_eq(t[0].s, t[0].len, "expect")) {
		g->op = t[0].len == 3 ? HM_GOP_SET : HM_GOP_EXPECT;
		if (n != 3)
			return rp_fail(e, "guest: %.*s xN|vN VALUE", (int)t[0].len, t[0].s);
		if (rp_reg_of(t[1].s, t[1].len, 'v', 31, &g->reg))
			g->reg = (uint8_t)(g->reg + HM_REG_V0);
		else if (rp_parse_reg(e, t[1].s, t[1].len, &g->reg))
			return -1;
		if (rp_tok_num(e, &t[2], &g->value))
			return -1;
	} else if (rp_word_eq(t[0].s, t[0].len, "hvc") || rp_word_eq(t[0].s, t[0].len, "smc")) {
		g->op = (t[0].s[0] | 0x20) == 'h' ? HM_GOP_HVC : HM_GOP_SMC;
		if (n > 2 || (n == 2 && (rp_tok_num(e, &t[1], &v) || v > 0xffff)))
			return n > 2 ? rp_fail(e, "guest: hvc|smc [IMM16]")
				     : rp_fail(e, "guest: immediate above 0xffff");
		g->value = v;
	} else if (rp_word_eq(t[0].s, t[0].len, "wfi")) {
		g->op = HM_GOP_WFI;
		if (n != 1)
			return rp_fail(e, "guest: wfi takes nothing");
	} else {
		return rp_fail(
			e,
			"guest: unknown op '%.*s' (know load, loads, store, set, expect, hvc, "
			"smc, wfi, mrs, msr)",
			(int)t[0].len, t[0].s);
	}
	op->ngops++;
	return 0;
}

static int rp_parse_guest(struct rp_perr *e, const char *s, const char *end, struct rp_op *op)
{
	const char *lb = memchr(s, '{', (size_t)(end - s));
	const char *rb = lb ? memchr(lb, '}', (size_t)(end - lb)) : NULL;
	if (!lb || !rb)
		return rp_fail(e, "guest: the program goes in { op; op; ... }");
	for (const char *p = rb + 1; p < end; p++)
		if (!isspace((unsigned char)*p))
			return rp_fail(e, "guest: text after '}'");
	struct rp_tok t[8];
	unsigned n = rp_split(s, lb, t, 7);
	bool have_vm = false, have_vcpu = false;
	op->kind = RP_GUEST;
	op->at_pc = true;
	for (unsigned i = 1; i < n; i++) {
		uint64_t v;
		if (!t[i].val || rp_tok_num(e, &t[i], &v))
			return t[i].val ? -1
					: rp_fail(e, "guest: '%.*s' is not key=value",
						  (int)t[i].len, t[i].s);
		if (rp_key_is(&t[i], "vm")) {
			if (v > 0xffff)
				return rp_fail(e, "guest: vm above 0xffff");
			op->vm = v, have_vm = true;
		} else if (rp_key_is(&t[i], "vcpu")) {
			if (v > 0xffff)
				return rp_fail(e, "guest: vcpu above 0xffff");
			op->vcpu = (uint16_t)v, have_vcpu = true;
		} else if (rp_key_is(&t[i], "at")) {
			if ((v & 3) || v >> HM_VA_BITS)
				return rp_fail(e, "guest: at= must be 4-aligned and below 2^48");
			op->at = v, op->at_pc = false;
		} else {
			return rp_fail(e, "guest: unknown key '%.*s' (know vm, vcpu, at)",
				       (int)t[i].klen, t[i].s);
		}
	}
	if (!have_vm || !have_vcpu)
		return rp_fail(e, "guest: vm= and vcpu= are required");
	const char *p = lb + 1;
	while (p < rb) {
		const char *semi = memchr(p, ';', (size_t)(rb - p));
		const char *stop = semi ? semi : rb;
		if (rp_parse_gop(e, p, stop, op))
			return -1;
		p = stop + 1;
	}
	return 0;
}

static int rp_parse_image(struct rp_perr *e, const struct rp_tok *t, unsigned n, struct rp_op *op)
{
	bool have_vm = false, have_base = false, have_pages = false;
	op->kind = RP_IMAGE;
	for (unsigned i = 1; i < n; i++) {
		uint64_t v;
		if (!t[i].val)
			return rp_fail(e, "image: '%.*s' is not key=value", (int)t[i].len, t[i].s);
		if (rp_tok_num(e, &t[i], &v))
			return -1;
		if (rp_key_is(&t[i], "vm"))
			op->vm = v, have_vm = true;
		else if (rp_key_is(&t[i], "base"))
			op->base = v, have_base = true;
		else if (rp_key_is(&t[i], "pages")) {
			if (v < 1 || v > RP_MAX_IMG_PAGES)
				return rp_fail(e, "image: pages 1..%u", RP_MAX_IMG_PAGES);
			op->pages = v, have_pages = true;
		} else if (rp_key_is(&t[i], "fill")) {
			if (v > 0xff)
				return rp_fail(e, "image: fill is a byte");
			op->fill = (uint8_t)v;
		} else {
			return rp_fail(e, "image: unknown key '%.*s' (know vm, base, pages, fill)",
				       (int)t[i].klen, t[i].s);
		}
	}
	if (!have_vm || !have_base || !have_pages)
		return rp_fail(e, "image: vm=, base= and pages= are required");
	return 0;
}

/* ram=BASE:SIZE or dev=BASE:SIZE[:shared]: numbers as anywhere (0x, K/M/G). */
static int rp_parse_range(struct rp_perr *e, const struct rp_tok *t, bool window,
			  struct kc_manifest_range *r)
{
	const char *p = t->val, *end = t->val + t->vlen;
	const char *c1 = memchr(p, ':', t->vlen);
	const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
	const char *size_end = c2 ? c2 : end;

	if (!c1 || (c2 && !window) || (c2 && !rp_word_eq(c2 + 1, (size_t)(end - c2 - 1), "shared")))
		return rp_fail(e, "manifest: %.*s=%.*s: want %s", (int)t->klen, t->s, (int)t->vlen,
			       t->val, window ? "BASE:SIZE or BASE:SIZE:shared" : "BASE:SIZE");
	if (!rp_num(p, (size_t)(c1 - p), &r->base) ||
	    !rp_num(c1 + 1, (size_t)(size_end - c1 - 1), &r->size))
		return rp_fail(e, "manifest: %.*s=%.*s: bad number", (int)t->klen, t->s,
			       (int)t->vlen, t->val);
	r->flags = c2 ? KC_MANIFEST_WIN_SHARED : 0;
	return 0;
}

static int rp_parse_manifest(struct rp_perr *e, const struct rp_tok *t, unsigned n,
			     struct rp_op *op)
{
	bool have_vm = false;
	op->kind = RP_MANIFEST;
	op->sign_key = RP_KEY_TEST;
	op->tamper = RP_TAMPER_NONE;
	for (unsigned i = 1; i < n; i++) {
		uint64_t v;
		if (!t[i].val)
			return rp_fail(e, "manifest: '%.*s' is not key=value", (int)t[i].len,
				       t[i].s);
		if (rp_key_is(&t[i], "key")) {
			if (rp_parse_keyname(e, &t[i], &op->sign_key))
				return -1;
			continue;
		}
		if (rp_key_is(&t[i], "tamper") && rp_word_eq(t[i].val, t[i].vlen, "sig")) {
			op->tamper = RP_TAMPER_SIG;
			continue;
		}
		if (rp_key_is(&t[i], "verify")) {
			if (!rp_word_eq(t[i].val, t[i].vlen, "no") &&
			    !rp_word_eq(t[i].val, t[i].vlen, "yes"))
				return rp_fail(e, "manifest: verify=yes|no");
			op->no_verify = rp_word_eq(t[i].val, t[i].vlen, "no");
			continue;
		}
		if (rp_key_is(&t[i], "ram")) {
			if (op->nram == KC_MANIFEST_MAX_RAM)
				return rp_fail(e, "manifest: at most %u ram=", KC_MANIFEST_MAX_RAM);
			if (rp_parse_range(e, &t[i], false, &op->ram[op->nram++]))
				return -1;
			continue;
		}
		if (rp_key_is(&t[i], "dev")) {
			if (op->nwin == KC_MANIFEST_MAX_WINDOWS)
				return rp_fail(
					e, "manifest: at most %u dev=", KC_MANIFEST_MAX_WINDOWS);
			if (rp_parse_range(e, &t[i], true, &op->win[op->nwin++]))
				return -1;
			continue;
		}
		if (rp_tok_num(e, &t[i], &v))
			return -1;
		if (rp_key_is(&t[i], "vm"))
			op->vm = v, have_vm = true;
		else if (rp_key_is(&t[i], "entry"))
			op->entry = v, op->has_entry = true;
		else if (rp_key_is(&t[i], "fill")) {
			if (v > 0xff)
				return rp_fail(e, "manifest: fill is a byte");
			op->fill = (uint8_t)v, op->has_fill = true;
		} else if (rp_key_is(&t[i], "tamper")) {
			if (v >= 4096)
				return rp_fail(e, "manifest: tamper=sig or a byte offset < 4096");
			op->tamper = (int)v;
		} else {
			return rp_fail(e,
				       "manifest: unknown key '%.*s' (know vm, entry, key, fill, "
				       "tamper, verify, ram, dev)",
				       (int)t[i].klen, t[i].s);
		}
	}
	if (!have_vm)
		return rp_fail(e, "manifest: vm= is required");
	return 0;
}

/* A host clean may cover a 2 MiB block (the fault-backing runs kcore cleans in one go). */
#define RP_MAX_CLEAN_BYTES (2u << 20)

static int rp_parse_host(struct rp_perr *e, const struct rp_tok *t, unsigned n, struct rp_op *op)
{
	uint64_t len = 8;
	if (n < 3)
		return rp_fail(e, "host read ADDR [LEN] | host write ADDR VALUE [LEN] | "
				  "host clean ADDR [LEN]");
	bool write = rp_word_eq(t[1].s, t[1].len, "write");
	bool clean = rp_word_eq(t[1].s, t[1].len, "clean");
	if (!write && !clean && !rp_word_eq(t[1].s, t[1].len, "read"))
		return rp_fail(e, "host: read, write or clean, not '%.*s'", (int)t[1].len, t[1].s);
	op->kind = write ? RP_HOST_WRITE : clean ? RP_HOST_CLEAN : RP_HOST_READ;
	if (clean)
		len = 4096;
	if (rp_tok_num(e, &t[2], &op->addr))
		return -1;
	unsigned next = 3;
	if (write) {
		if (n < 4)
			return rp_fail(e, "host write ADDR VALUE [LEN]");
		if (rp_tok_num(e, &t[3], &op->value))
			return -1;
		next = 4;
	}
	if (n > next + 1)
		return rp_fail(e, "host: too many words");
	if (n == next + 1 && rp_tok_num(e, &t[next], &len))
		return -1;
	unsigned max = write ? 8 : clean ? RP_MAX_CLEAN_BYTES : RP_MAX_READ_BYTES;
	if (len < 1 || len > max)
		return rp_fail(e, "host: LEN 1..%u", max);
	op->len = (unsigned)len;
	return 0;
}

/* "dma dev=N [smmu=S] read IOVA [LEN]" / "dma dev=N [smmu=S] write IOVA VALUE [LEN]". */
static int rp_parse_dma(struct rp_perr *e, const struct rp_tok *t, unsigned n,
			const struct rp_machine *mc, struct rp_op *op)
{
	uint64_t num[3], v, len;
	unsigned nnum = 0;
	bool have_dev = false, have_dir = false;
	op->kind = RP_DMA;
	for (unsigned i = 1; i < n; i++) {
		if (t[i].val) {
			if (rp_tok_num(e, &t[i], &v))
				return -1;
			if (rp_key_is(&t[i], "dev")) {
				if (v >= RP_SMMU_STREAMS)
					return rp_fail(e, "dma: dev=%" PRIu64 ": streams are 0..%u",
						       v, RP_SMMU_STREAMS - 1);
				op->dev = (uint32_t)v;
				have_dev = true;
			} else if (rp_key_is(&t[i], "smmu")) {
				if (v >= mc->smmus)
					return rp_fail(e,
						       "dma: smmu=%" PRIu64 ": the machine has %u",
						       v, mc->smmus);
				op->smmu = (unsigned)v;
			} else {
				return rp_fail(e, "dma: unknown key '%.*s' (know dev, smmu)",
					       (int)t[i].klen, t[i].s);
			}
		} else if (!have_dir && (rp_word_eq(t[i].s, t[i].len, "read") ||
					 rp_word_eq(t[i].s, t[i].len, "write"))) {
			op->dma_write = t[i].len == 5;
			have_dir = true;
		} else if (nnum < 3) {
			if (rp_tok_num(e, &t[i], &num[nnum++]))
				return -1;
		} else {
			return rp_fail(e, "dma: too many words");
		}
	}
	if (!have_dev || !have_dir || !mc->smmus)
		return rp_fail(e, "dma dev=N [smmu=S] read IOVA [LEN] | dma dev=N [smmu=S] write "
				  "IOVA VALUE [LEN] (the machine needs smmus=)");
	unsigned want = op->dma_write ? 2 : 1;
	if (nnum < want || nnum > want + 1)
		return rp_fail(e, "dma: %s IOVA%s [LEN]", op->dma_write ? "write" : "read",
			       op->dma_write ? " VALUE" : "");
	op->addr = num[0];
	if (op->dma_write)
		op->value = num[1];
	len = nnum > want ? num[want] : 8;
	unsigned max = op->dma_write ? 8 : RP_MAX_READ_BYTES;
	if (len < 1 || len > max)
		return rp_fail(e, "dma: LEN 1..%u", max);
	op->len = (unsigned)len;
	return 0;
}

int rp_parse_line(const char *line, unsigned lineno, struct rp_machine *mc, struct rp_op *op,
		  char *err, size_t err_size)
{
	struct rp_perr e = { err, err_size, lineno };
	const char *end = line + strcspn(line, "#\r\n");
	const char *arrow = NULL;
	for (const char *p = line; p + 1 < end; p++)
		if (p[0] == '=' && p[1] == '>') {
			arrow = p;
			break;
		}
	memset(op, 0, sizeof(*op));
	op->line = lineno;
	op->tamper = RP_TAMPER_NONE;
	const char *body_end = arrow ? arrow : end;
	struct rp_tok t[RP_MAX_TOKENS];
	unsigned n = rp_split(line, body_end, t, RP_MAX_TOKENS);
	if (n == 0) {
		if (arrow)
			return rp_fail(&e, "an expectation (=>) with nothing before it");
		return 0;
	}
	if (arrow) {
		const char *x = arrow + 2;
		while (x < end && isspace((unsigned char)*x))
			x++;
		size_t len = (size_t)(end - x);
		while (len && isspace((unsigned char)x[len - 1]))
			len--;
		if (!len)
			return rp_fail(&e, "'=>' with no expected result after it");
		if (len >= RP_EXPECT_LEN)
			return rp_fail(&e, "expectation longer than %u characters",
				       RP_EXPECT_LEN - 1);
		memcpy(op->expect, x, len);
		op->expect[len] = 0;
	}
	bool is_guest = rp_word_eq(t[0].s, t[0].len, "guest");
	if (n > RP_MAX_TOKENS && !is_guest)
		return rp_fail(&e, "more than %u words", RP_MAX_TOKENS);
	if (rp_word_eq(t[0].s, t[0].len, "machine")) {
		if (arrow)
			return rp_fail(&e, "machine lines have no result to expect");
		return rp_parse_machine(&e, t, n, mc) ? -1 : 2;
	}
	int rc;
	if (rp_word_eq(t[0].s, t[0].len, "call")) {
		rc = rp_parse_call(&e, t, n, op);
	} else if (rp_word_eq(t[0].s, t[0].len, "raw")) {
		op->raw = true;
		rc = rp_parse_call(&e, t, n, op);
	} else if (rp_word_eq(t[0].s, t[0].len, "host")) {
		rc = rp_parse_host(&e, t, n, op);
	} else if (rp_word_eq(t[0].s, t[0].len, "dma")) {
		rc = rp_parse_dma(&e, t, n, mc, op);
	} else if (is_guest) {
		rc = rp_parse_guest(&e, line, body_end, op);
	} else if (rp_word_eq(t[0].s, t[0].len, "image")) {
		rc = rp_parse_image(&e, t, n, op);
	} else if (rp_word_eq(t[0].s, t[0].len, "manifest")) {
		rc = rp_parse_manifest(&e, t, n, op);
	} else if (rp_word_eq(t[0].s, t[0].len, "check")) {
		op->kind = RP_CHECK;
		rc = n == 1 ? 0 : rp_fail(&e, "check takes nothing");
	} else if (rp_word_eq(t[0].s, t[0].len, "selftest")) {
		op->kind = RP_SELFTEST;
		rc = n == 1 ? 0 : rp_fail(&e, "selftest takes nothing");
	} else if (rp_word_eq(t[0].s, t[0].len, "cpu")) {
		op->kind = RP_CPU;
		rc = n == 2 ? rp_tok_num(&e, &t[1], &op->value) : rp_fail(&e, "cpu N");
		if (!rc && op->value >= mc->cpus)
			rc = rp_fail(&e, "cpu %" PRIu64 ": the machine has %u CPUs", op->value,
				     mc->cpus);
	} else {
		rc = rp_fail(&e,
			     "unknown operation '%.*s' (know machine, call, raw, host, dma, guest, "
			     "image, manifest, check, cpu)",
			     (int)t[0].len, t[0].s);
	}
	return rc ? -1 : 1;
}

/* ---- operations -> lines ------------------------------------------------- */

struct rp_buf {
	char *p;
	size_t size, len;
};

static void rp_put(struct rp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void rp_put(struct rp_buf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->len >= b->size)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

/* Small numbers in decimal, the rest (addresses, ids) in hex. */
static void rp_put_num(struct rp_buf *b, uint64_t v)
{
	if (v < 10)
		rp_put(b, "%" PRIu64, v);
	else if ((int64_t)v < 0 && (int64_t)v >= KC_ERR_MIN)
		rp_put(b, "%s", rp_status_name((int)(int64_t)v));
	else
		rp_put(b, "0x%" PRIx64, v);
}

/* The name of a function id in rp_consts (SMCCC fast calls: bit 31 set, 32 bits), or NULL. */
static const char *rp_fn_const_name(uint64_t v)
{
	if (v >> 32 || !(v >> 31))
		return NULL;
	for (unsigned i = 0; i < sizeof(rp_consts) / sizeof(rp_consts[0]); i++)
		if (rp_consts[i].value == v)
			return rp_consts[i].name;
	return NULL;
}

static void rp_put_value(struct rp_buf *b, uint64_t v)
{
	const char *name = rp_call_name(v);
	if (name)
		rp_put(b, "%s", name);
	else if (v == RP_CANARY_BASE)
		rp_put(b, "SECRET");
	else if ((name = rp_fn_const_name(v)) != NULL)
		rp_put(b, "%s", name); /* a guest call, PSCI or SMCCC id */
	else
		rp_put_num(b, v);
}

static const char *const rp_key_names[] = { "none", "test", "other" };

void rp_format_machine(const struct rp_machine *mc, char *buf, size_t size)
{
	struct rp_buf b = { buf, size, 0 };
	buf[0] = 0;
	rp_put(&b, "machine ram=%" PRIu64 "M cpus=%u vms=%u pool=%u remap=%" PRIu64 " key=%s",
	       mc->ram >> 20, mc->cpus, mc->vms, mc->pool, mc->remap, rp_key_names[mc->key]);
	if (mc->entropy_fail)
		rp_put(&b, " entropy-fail=%u", mc->entropy_fail);
	if (mc->smmus || mc->iodoms)
		rp_put(&b, " smmus=%u iodoms=%u iopool=%u", mc->smmus, mc->iodoms, mc->iopool);
}

void rp_format_op(const struct rp_op *op, char *buf, size_t size)
{
	struct rp_buf b = { buf, size, 0 };
	buf[0] = 0;
	switch (op->kind) {
	case RP_CALL: {
		const struct rp_call_desc *d = op->raw ? NULL : rp_call_by_fn(op->x[0]);
		unsigned nargs = 0;
		while (d && nargs < 6 && d->args[nargs])
			nargs++;
		for (unsigned i = 1 + nargs; d && i < 7; i++)
			if (op->x[i])
				d = NULL; /* must-be-zero registers set: only raw can say that */
		if (d) {
			rp_put(&b, "call %s", d->name);
			for (unsigned i = 0; i < nargs; i++) {
				rp_put(&b, " %s=", d->args[i]);
				if (d->fn == KC_HC_VCPU_RUN && i == 2 && op->x[3] <= 2)
					rp_put(&b, "%s",
					       (const char *[]){ "RESUME", "MMIO_DONE",
								 "CALL_DONE" }[op->x[3]]);
				else
					rp_put_num(&b, op->x[1 + i]);
			}
		} else {
			rp_put(&b, "raw x0=");
			rp_put_value(&b, op->x[0]);
			for (unsigned i = 1; i < 7; i++)
				if (op->x[i]) {
					rp_put(&b, " x%u=", i);
					rp_put_num(&b, op->x[i]);
				}
		}
		break;
	}
	case RP_HOST_READ:
		rp_put(&b, "host read 0x%" PRIx64 " %u", op->addr, op->len);
		break;
	case RP_HOST_WRITE:
		rp_put(&b, "host write 0x%" PRIx64 " 0x%" PRIx64 " %u", op->addr, op->value,
		       op->len);
		break;
	case RP_HOST_CLEAN:
		rp_put(&b, "host clean 0x%" PRIx64 " %u", op->addr, op->len);
		break;
	case RP_GUEST: {
		static const char *const names[] = { "load",   "store", "set", "hvc",
						     "expect", "wfi",	"mrs", "msr",
						     "loads",  "loads", "smc" };
		rp_put(&b, "guest vm=%" PRIu64 " vcpu=%u", op->vm, op->vcpu);
		if (!op->at_pc)
			rp_put(&b, " at=0x%" PRIx64, op->at);
		rp_put(&b, " {");
		for (unsigned i = 0; i < op->ngops; i++) {
			const struct hm_guest_op *g = &op->gops[i];
			rp_put(&b, "%s %s", i ? ";" : "", names[g->op]);
			if (g->op == HM_GOP_LOAD || g->op == HM_GOP_STORE ||
			    g->op == HM_GOP_LOADS || g->op == HM_GOP_LOADSW)
				rp_put(&b, " %c%u %u 0x%" PRIx64,
				       g->op == HM_GOP_LOADSW ? 'w' : 'x', g->reg, g->size,
				       g->addr);
			else if (g->op == HM_GOP_SET || g->op == HM_GOP_EXPECT) {
				if (g->reg >= HM_REG_V0)
					rp_put(&b, " v%u ", g->reg - HM_REG_V0);
				else
					rp_put(&b, " x%u ", g->reg);
				rp_put_value(&b, g->value);
			} else if (g->op == HM_GOP_MRS)
				rp_put(&b, " x%u 0x%" PRIx64, g->reg, g->value);
			else if (g->op == HM_GOP_MSR)
				rp_put(&b, " 0x%" PRIx64 " x%u", g->value, g->reg);
			else if ((g->op == HM_GOP_HVC || g->op == HM_GOP_SMC) && g->value)
				rp_put(&b, " 0x%" PRIx64, g->value);
		}
		rp_put(&b, " }");
		break;
	}
	case RP_IMAGE:
		rp_put(&b, "image vm=%" PRIu64 " base=0x%" PRIx64 " pages=%" PRIu64 " fill=0x%02x",
		       op->vm, op->base, op->pages, op->fill);
		break;
	case RP_MANIFEST:
		rp_put(&b, "manifest vm=%" PRIu64, op->vm);
		if (op->has_entry)
			rp_put(&b, " entry=0x%" PRIx64, op->entry);
		if (op->sign_key != RP_KEY_TEST)
			rp_put(&b, " key=%s", rp_key_names[op->sign_key]);
		if (op->has_fill)
			rp_put(&b, " fill=0x%02x", op->fill);
		if (op->tamper == RP_TAMPER_SIG)
			rp_put(&b, " tamper=sig");
		else if (op->tamper >= 0)
			rp_put(&b, " tamper=%d", op->tamper);
		if (op->no_verify)
			rp_put(&b, " verify=no");
		for (unsigned i = 0; i < op->nram && i < KC_MANIFEST_MAX_RAM; i++)
			rp_put(&b, " ram=0x%" PRIx64 ":0x%" PRIx64, op->ram[i].base,
			       op->ram[i].size);
		for (unsigned i = 0; i < op->nwin && i < KC_MANIFEST_MAX_WINDOWS; i++)
			rp_put(&b, " dev=0x%" PRIx64 ":0x%" PRIx64 "%s", op->win[i].base,
			       op->win[i].size,
			       op->win[i].flags & KC_MANIFEST_WIN_SHARED ? ":shared" : "");
		break;
	case RP_CHECK:
		rp_put(&b, "check");
		break;
	case RP_CPU:
		rp_put(&b, "cpu %" PRIu64, op->value);
		break;
	case RP_SELFTEST:
		rp_put(&b, "selftest");
		break;
	case RP_DMA:
		rp_put(&b, "dma dev=%u", op->dev);
		if (op->smmu)
			rp_put(&b, " smmu=%u", op->smmu);
		if (op->dma_write)
			rp_put(&b, " write 0x%" PRIx64 " 0x%" PRIx64 " %u", op->addr, op->value,
			       op->len);
		else
			rp_put(&b, " read 0x%" PRIx64 " %u", op->addr, op->len);
		break;
	}
}

/* ---- expectations -------------------------------------------------------- */

static bool rp_tok_match(const struct rp_tok *want, const struct rp_tok *have)
{
	if (!want->val)
		return !have->val && want->len == have->len &&
		       strncasecmp(want->s, have->s, want->len) == 0;
	if (!have->val || want->klen != have->klen || strncasecmp(want->s, have->s, want->klen))
		return false;
	uint64_t a, b;
	if (rp_num(want->val, want->vlen, &a) && rp_num(have->val, have->vlen, &b))
		return a == b;
	return want->vlen == have->vlen && strncasecmp(want->val, have->val, want->vlen) == 0;
}

bool rp_expect_match(const char *expect, const char *result)
{
	struct rp_tok w[RP_MAX_TOKENS], h[RP_MAX_TOKENS * 2];
	unsigned nw = rp_split(expect, expect + strlen(expect), w, RP_MAX_TOKENS);
	unsigned nh = rp_split(result, result + strlen(result), h, RP_MAX_TOKENS * 2);
	if (nw > RP_MAX_TOKENS || nh > RP_MAX_TOKENS * 2)
		return false;
	for (unsigned i = 0; i < nw; i++) {
		bool found = false;
		for (unsigned j = 0; j < nh && !found; j++)
			found = rp_tok_match(&w[i], &h[j]);
		if (!found)
			return false;
	}
	return true;
}
