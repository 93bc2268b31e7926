/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * entropy.c — the machine's random source: deterministic, and breakable.
 *
 * A failing test or fuzz input must replay exactly, so the bytes are a pure
 * function of the seed (splitmix64; not cryptographic, which a model does not
 * need).  hm_entropy_fail_next lets tests prove core handles a failing
 * source; a failed call does not advance the generator, so the sequence
 * after the failures is the one the seed would have given anyway.
 */
#include "hm_internal.h"

#include <string.h>

/* Poison for the buffer of a failed call: a caller that uses it anyway gets
 * a constant, not something that looks random. */
#define HM_ENTROPY_POISON 0xa5

void hm_entropy_init(struct hm_machine *m)
{
	pthread_mutex_init(&m->rng_lock, NULL);
	m->rng_state = m->cfg.rng_seed;
}

void hm_entropy_fini(struct hm_machine *m)
{
	pthread_mutex_destroy(&m->rng_lock);
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

bool hm_entropy_fill(struct hm_machine *m, void *buf, size_t len)
{
	uint8_t *b = buf;

	hm_stat_add(m, entropy_calls);
	pthread_mutex_lock(&m->rng_lock);
	if (m->rng_fail_next) {
		m->rng_fail_next--;
		pthread_mutex_unlock(&m->rng_lock);
		memset(buf, HM_ENTROPY_POISON, len);
		return false;
	}
	while (len) {
		uint64_t v = splitmix64(&m->rng_state);
		size_t n = len < sizeof(v) ? len : sizeof(v);

		memcpy(b, &v, n);
		b += n;
		len -= n;
	}
	pthread_mutex_unlock(&m->rng_lock);
	return true;
}

void hm_entropy_fail_next(struct hm_machine *m, unsigned n)
{
	pthread_mutex_lock(&m->rng_lock);
	m->rng_fail_next = n;
	pthread_mutex_unlock(&m->rng_lock);
}
