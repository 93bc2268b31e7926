/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cpu.c — which CPU a thread is.
 *
 * A thread is CPU n only inside hm_cpu_run / hm_run_parallel.  Outside them
 * plat_cpu_id fail-stops rather than answering 0: core indexes per-CPU state
 * by it, and a silent default would let a test that forgot to pick a CPU
 * (or a stray helper thread) share CPU 0's state and hide races.
 */
#include "hm_internal.h"

#include <errno.h>
#include <stdlib.h>

static _Thread_local unsigned hm_this_cpu = HM_NO_CPU;

unsigned hm_cpu_current(void)
{
	return hm_this_cpu;
}

int hm_cpu_run(struct hm_machine *m, unsigned cpu, hm_cpu_fn fn, void *arg)
{
	unsigned outer = hm_this_cpu;

	if (cpu >= m->cfg.ncpus)
		return -EINVAL;
	hm_machine_select(m);
	hm_this_cpu = cpu;
	fn(cpu, arg);
	hm_this_cpu = outer;
	return 0;
}

/* Holds every CPU thread until all exist, so concurrency tests really overlap. */
struct hm_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;
};

struct hm_thread {
	pthread_t tid;
	unsigned cpu;
	hm_cpu_fn fn;
	void *arg;
	struct hm_gate *gate;
};

static void *cpu_thread(void *p)
{
	struct hm_thread *t = p;

	hm_this_cpu = t->cpu;
	pthread_mutex_lock(&t->gate->lock);
	while (!t->gate->open)
		pthread_cond_wait(&t->gate->cond, &t->gate->lock);
	pthread_mutex_unlock(&t->gate->lock);
	t->fn(t->cpu, t->arg);
	return NULL;
}

int hm_run_parallel(struct hm_machine *m, hm_cpu_fn fn, void *arg)
{
	struct hm_gate gate = { .open = false };
	unsigned n = m->cfg.ncpus, started = 0;
	struct hm_thread *t = calloc(n, sizeof(*t));
	int rc = 0;

	if (!t)
		return -ENOMEM;
	hm_machine_select(m);
	pthread_mutex_init(&gate.lock, NULL);
	pthread_cond_init(&gate.cond, NULL);
	for (unsigned i = 0; i < n; i++) {
		t[i] = (struct hm_thread){ .cpu = i, .fn = fn, .arg = arg, .gate = &gate };
		int e = pthread_create(&t[i].tid, NULL, cpu_thread, &t[i]);

		if (e) {
			rc = -e;
			break;
		}
		started++;
	}
	pthread_mutex_lock(&gate.lock);
	gate.open = true;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i].tid, NULL);
	pthread_cond_destroy(&gate.cond);
	pthread_mutex_destroy(&gate.lock);
	free(t);
	return rc;
}
