/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * secret.c — the confidentiality oracle (DESIGN.md §4 invariant 8): the
 * invariant checker sees who owns memory, not what flows through the exit
 * protocol; this sees the flow.  Guests in traces and fuzzer inputs keep
 * canaries (RP_CANARY_BASE | k) in registers and private memory; nothing
 * the host can see may carry one unless the guest handed it over.
 */
#include "secret.h"

#include <kcore/abi.h>
#include <string.h>

void rp_secret_host_supplied(struct rp_secrets *s, uint64_t v)
{
	if (rp_is_canary(v))
		s->host_known[(v & 0xffff) / 64] |= 1ull << (v & 63);
}

bool rp_secret_is_leak(const struct rp_secrets *s, uint64_t v)
{
	return rp_is_canary(v) && !(s->host_known[(v & 0xffff) / 64] >> (v & 63) & 1);
}

/* Forwarded calls whose x1 the guest hands over (docs/VCPU.md), by id. */
static bool rp_forwards_arg(uint64_t fn)
{
	return fn == 0xC5000020u; /* PV_TIME_FEATURES */
}

unsigned rp_secret_check_call(const struct rp_secrets *s, const uint64_t in[7],
			      const uint64_t out[7], bool (*guarded)(uint64_t vm, uint64_t ipa))
{
	bool run = in[0] == KC_HC_VCPU_RUN && out[0] == KC_OK;
	unsigned kind = run ? KC_EXIT_KIND(out[1]) : 0;

	for (unsigned i = 1; i <= 3; i++) {
		/* What the guest chose to hand over (docs/VCPU.md). */
		if (kind == KC_EXIT_MMIO && i == 3 && guarded(in[1], out[2]))
			continue; /* the data of a store to a page it guarded */
		if (kind == KC_EXIT_CALL && i == 3 && rp_forwards_arg(out[2]))
			continue; /* the documented argument of a forwarded call */
		if ((kind == KC_EXIT_WFI || kind == KC_EXIT_SGI) && i == 2)
			continue; /* its timer's deadline; an SGI it sends (docs/VCPU.md) */
		if (rp_secret_is_leak(s, out[i]))
			return i;
	}
	return 0;
}

long rp_secret_check_read(const struct rp_secrets *s, uint64_t pa, const uint8_t *buf, unsigned len,
			  bool (*shared)(uint64_t pa))
{
	/* Every 8-byte-aligned word of memory the read covers whole. */
	unsigned first = (unsigned)(-pa & 7);
	for (unsigned off = first; off + 8 <= len; off += 8) {
		uint64_t v;
		memcpy(&v, buf + off, 8);
		if (rp_secret_is_leak(s, v) && !shared(pa + off))
			return (long)off;
	}
	return -1;
}
