/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * host.c — the host's loads, stores and hypercalls (kcore_hosted/host.h).
 *
 * A host access that faults in its stage 2 goes to kcore's fault handler,
 * as the abort would on arm64, and is retried once if kcore mapped the
 * page.  Everything runs as the given CPU, because core's handlers index
 * per-CPU state and take locks by plat_cpu_id().
 *
 * Alone in this file because it calls core's run-time entry points: a
 * static library member is linked only when referenced, so tests that do
 * not play the host need none of them.
 */
#include "hm_internal.h"

#include <kcore/abi.h>
#include <kcore/kcore.h>
#include <kcore_hosted/host.h>

#include <errno.h>

struct hm_host_xfer {
	struct hm_machine *m;
	uint64_t pa;
	uint8_t *buf;
	size_t len;
	bool write;
	bool clean; /* DC CIVAC, not a load or store */
	struct hm_walk w;
};

/* The host's access to one page: its stage 1 makes RAM cacheable. */
static enum hm_fault host_data(struct hm_host_xfer *x, unsigned cpu, const struct hm_ctx *ctx,
			       uint64_t pa, uint8_t *buf, size_t chunk)
{
	if (x->clean)
		return hm_data_clean(x->m, cpu, ctx, pa, chunk, &x->w);
	return hm_data_access(x->m, cpu, ctx, pa, buf, chunk, x->write, true, &x->w);
}

/* A stage-2 fault kcore's host abort handler sees (not an external abort). */
static bool goes_to_kcore(enum hm_fault f)
{
	return f == HM_FAULT_TRANSLATION || f == HM_FAULT_ADDR_SIZE || f == HM_FAULT_ACCESS_FLAG ||
	       f == HM_FAULT_PERMISSION;
}

/*
 * How often one host access may fault, be resolved by kcore and fault again.
 * On hardware the host simply re-executes: another CPU may legitimately take
 * the frame away (VM_MAP_FAULT: unmap + TLBI) between kcore mapping it and
 * the retry, and the next fault then finds it refused.  A kcore that says
 * "mapped" but never maps still shows: the last fault comes back as it is.
 */
#define HOST_FAULT_RETRIES 8

/* One page's worth: access, and on a stage-2 fault ask kcore and retry. */
static enum hm_fault host_page(struct hm_host_xfer *x, uint64_t pa, uint8_t *buf, size_t chunk,
			       unsigned cpu)
{
	struct hm_ctx ctx = hm_ctx_s2(0, kcore_host_s2_root());
	enum hm_fault f = host_data(x, cpu, &ctx, pa, buf, chunk);

	for (unsigned tries = 0; goes_to_kcore(f) && tries < HOST_FAULT_RETRIES; tries++) {
		int rc = kcore_host_fault(pa & ~(uint64_t)(HM_PAGE_SIZE - 1), x->write);
		if (rc == KC_EPERM) {
			x->w.fault = HM_FAULT_REFUSED;
			return HM_FAULT_REFUSED;
		}
		if (rc != KC_OK)
			return f; /* unresolved: on arm64 the host would fault again */
		/* The root may have been (re)built by the handler. */
		ctx = hm_ctx_s2(0, kcore_host_s2_root());
		f = host_data(x, cpu, &ctx, pa, buf, chunk);
	}
	return f;
}

static void host_xfer(unsigned cpu, void *arg)
{
	struct hm_host_xfer *x = arg;
	uint64_t pa = x->pa;
	uint8_t *buf = x->buf;
	size_t len = x->len;

	x->w = (struct hm_walk){ .fault_level = -1, .leaf_level = -1 };
	while (len) {
		size_t chunk = HM_PAGE_SIZE - (pa & (HM_PAGE_SIZE - 1));

		if (chunk > len)
			chunk = len;
		if (host_page(x, pa, buf, chunk, cpu) != HM_FAULT_NONE)
			return;
		pa += chunk;
		if (buf) /* a clean has no buffer */
			buf += chunk;
		len -= chunk;
	}
}

static enum hm_fault host_access(struct hm_machine *m, unsigned cpu, uint64_t pa, void *buf,
				 size_t len, bool write, bool clean, struct hm_walk *out)
{
	struct hm_host_xfer x = {
		.m = m, .pa = pa, .buf = buf, .len = len, .write = write, .clean = clean
	};

	const char *what = clean ? "clean" : write ? "store" : "load";

	if (hm_cpu_run(m, cpu, host_xfer, &x) != 0)
		hm_bug("hm_host_%s: CPU %u of %u", what, cpu, m->cfg.ncpus);
	if (out)
		*out = x.w;
	return x.w.fault;
}

enum hm_fault hm_host_load(struct hm_machine *m, unsigned cpu, uint64_t pa, void *buf, size_t len,
			   struct hm_walk *out)
{
	return host_access(m, cpu, pa, buf, len, false, false, out);
}

enum hm_fault hm_host_store(struct hm_machine *m, unsigned cpu, uint64_t pa, const void *buf,
			    size_t len, struct hm_walk *out)
{
	/* A store only reads the buffer. */
	return host_access(m, cpu, pa, (void *)(uintptr_t)buf, len, true, false, out);
}

enum hm_fault hm_host_clean(struct hm_machine *m, unsigned cpu, uint64_t pa, size_t len,
			    struct hm_walk *out)
{
	return host_access(m, cpu, pa, NULL, len, false, true, out);
}

struct hm_host_hvc {
	struct kc_hcall *regs;
};

static void host_hvc(unsigned cpu, void *arg)
{
	struct hm_host_hvc *h = arg;

	(void)cpu;
	kcore_host_call(h->regs);
}

int hm_host_call(struct hm_machine *m, unsigned cpu, struct kc_hcall *regs)
{
	struct hm_host_hvc h = { .regs = regs };

	return hm_cpu_run(m, cpu, host_hvc, &h) == 0 ? 0 : -EINVAL;
}
