/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * secret.h — the confidentiality oracle's bookkeeping (replay.h explains
 * what it checks).  Private to tools/replay/.
 */
#ifndef KCORE_REPLAY_SECRET_H
#define KCORE_REPLAY_SECRET_H

#include "replay.h"

/* Which canaries the host itself has supplied: one bit per low 16 bits. */
struct rp_secrets {
	uint64_t host_known[(1u << 16) / 64];
};

/* A value the host passed to kcore or wrote: if it is a canary, it is the host's own. */
void rp_secret_host_supplied(struct rp_secrets *s, uint64_t v);

/* Whether `v` is a canary the host did not supply: one it must never see. */
bool rp_secret_is_leak(const struct rp_secrets *s, uint64_t v);

/*
 * The results of host call `in` (x1..x3 in `out`): the first register that
 * leaks a guest secret, 0 if none.  Exempt, as docs/VCPU.md lists them: the
 * data of an MMIO exit for a page the guest guarded (`guarded(vm, ipa)`
 * says, from the VM's own stage 2: never trusting the exit's kind), and
 * the argument of the forwarded calls that have one.
 */
unsigned rp_secret_check_call(const struct rp_secrets *s, const uint64_t in[7],
			      const uint64_t out[7], bool (*guarded)(uint64_t vm, uint64_t ipa));

/*
 * The bytes a host read returned from `pa`: the offset of the first
 * aligned 8-byte word that leaks a secret, or -1.  `shared` says whether
 * the frame at a physical address is a VM frame the VM shares (exempt).
 */
long rp_secret_check_read(const struct rp_secrets *s, uint64_t pa, const uint8_t *buf, unsigned len,
			  bool (*shared)(uint64_t pa));

#endif /* KCORE_REPLAY_SECRET_H */
