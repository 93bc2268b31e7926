/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The invariant checker's pieces that the full walk (core/check.c) and the
 * incremental one (core/check_incr.c) share: one rule, one place, the same
 * words for the same violation.  Core-private.
 */
#ifndef KCORE_CHECK_H
#define KCORE_CHECK_H

#include <kcore/printf.h>

#include "vm.h"

struct check {
	char *why;
	size_t size;
	int failed; /* the invariant number, 0 while all hold */
};

/* Record the first violation (invariant `inv`, in words); always false. */
bool fail(struct check *c, int inv, const char *fmt, ...) KC_PRINTF(3, 4);

static inline unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

/* 6: a whole tree (pgt_check); *tables gets its table pages. */
bool check_tree(struct check *c, const struct pgt *t, const char *name, unsigned id,
		uint64_t *tables);
/* 1: VM a's image windows (all_pairs: disjoint from every other VM's, not only later ones). */
bool check_images(struct check *c, unsigned a, bool all_pairs);
/* 3 (and 2): one leaf of the host's stage 2 (a pgt_visit_fn; arg is the struct check). */
bool host_entry(void *arg, uint64_t va, uint64_t desc, unsigned level);

/* 4 (and 2): one VM's stage 2 maps only its own frames at their gfns, or IO. */
struct vm_walk {
	struct check *c;
	const struct kc_vm *vm;
	uint64_t mapped;
	uint64_t dev_pages; /* device pages its leaves map */
};
bool vm_entry(void *arg, uint64_t va, uint64_t desc, unsigned level);
bool check_vm(struct check *c, const struct kc_vm *vm, uint64_t *mapped, uint64_t *dev_pages);
/* 3 and 4 from the claims' side; dev_pages[id]: device pages VM id's leaves map. */
bool check_claims(struct check *c, const uint64_t *dev_pages);
/* 2, 4, 5 for frame i; counts CORE frames and each VM's frames. */
bool check_frame(struct check *c, uint64_t i, uint64_t *owned, uint64_t *core, uint64_t *dma);
/* 5: every IO domain and the stream table; *host_leaves: leaves to host frames, all domains. */
bool check_iodoms(struct check *c, uint64_t *host_leaves);
/* 5: the host frames' DMA counts (summing to dma) against the host domains' leaves. */
bool check_dma_counts(struct check *c, uint64_t dma, uint64_t host_leaves);
/* 4: VM id's counter against the frames it owns and maps. */
bool check_vm_counts(struct check *c, unsigned id, uint64_t owned, uint64_t mapped);

/* The touch log is covered: empty it (core/check_incr.c). */
void check_log_clear(void);

#endif /* KCORE_CHECK_H */
