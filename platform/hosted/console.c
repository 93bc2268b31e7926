/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * console.c — the machine's UART, as a capture buffer.
 *
 * Tests assert on what kcore printed, so output is kept (growing as needed)
 * until a test clears it; echo to stdout is for a person watching a run.
 */
#include "hm_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hm_console_init(struct hm_machine *m)
{
	pthread_mutex_init(&m->console_lock, NULL);
}

void hm_console_fini(struct hm_machine *m)
{
	pthread_mutex_destroy(&m->console_lock);
	free(m->console);
	m->console = NULL;
}

void hm_console_append(struct hm_machine *m, const char *s, size_t len)
{
	pthread_mutex_lock(&m->console_lock);
	/* +1 keeps room for the NUL that hm_console_text promises. */
	if (m->console_len + len + 1 > m->console_cap) {
		size_t cap = m->console_cap ? m->console_cap : 256;
		char *n;

		while (cap < m->console_len + len + 1)
			cap *= 2;
		n = realloc(m->console, cap);
		if (!n) {
			pthread_mutex_unlock(&m->console_lock);
			hm_bug("console: out of host memory");
		}
		m->console = n;
		m->console_cap = cap;
	}
	memcpy(m->console + m->console_len, s, len);
	m->console_len += len;
	m->console[m->console_len] = '\0';
	if (m->cfg.console_echo) {
		fwrite(s, 1, len, stdout);
		fflush(stdout);
	}
	pthread_mutex_unlock(&m->console_lock);
}

const char *hm_console_text(struct hm_machine *m, size_t *len)
{
	if (len)
		*len = m->console_len;
	return m->console ? m->console : "";
}

void hm_console_clear(struct hm_machine *m)
{
	pthread_mutex_lock(&m->console_lock);
	m->console_len = 0;
	if (m->console)
		m->console[0] = '\0';
	pthread_mutex_unlock(&m->console_lock);
}
