/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * data.c — one load or store by a guest or the host, and the device log.
 *
 * Where a translated access lands is decided by its output address, as on
 * hardware: RAM is read or written (through the data cache or not:
 * kcore_hosted/cache.h), a device range has no model behind it
 * (reads as zero, stores vanish, both logged so a test sees MMIO reached),
 * and anything else has nothing behind it at all: a synchronous external
 * abort.  Guest and host share this so both see the same physical machine.
 */
#include "hm_internal.h"

#include <stdlib.h>
#include <string.h>

/* Guest registers are stored into the arena as little-endian bytes. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the hosted model stores guest values in host byte order: little-endian hosts only"
#endif

void hm_data_init(struct hm_machine *m)
{
	pthread_mutex_init(&m->dev_lock, NULL);
}

void hm_data_fini(struct hm_machine *m)
{
	pthread_mutex_destroy(&m->dev_lock);
	free(m->dev_log);
	m->dev_log = NULL;
}

static void dev_log_append(struct hm_machine *m, struct hm_dev_access *r)
{
	pthread_mutex_lock(&m->dev_lock);
	if (m->dev_len == m->dev_cap) {
		size_t cap = m->dev_cap ? 2 * m->dev_cap : 64;
		struct hm_dev_access *n = realloc(m->dev_log, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&m->dev_lock);
			hm_bug("device log: out of host memory");
		}
		m->dev_log = n;
		m->dev_cap = cap;
	}
	r->seq = ++m->dev_seq;
	m->dev_log[m->dev_len++] = *r;
	pthread_mutex_unlock(&m->dev_lock);
}

size_t hm_dev_log_read(struct hm_machine *m, struct hm_dev_access *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&m->dev_lock);
	n = m->dev_len;
	if (out && max)
		memcpy(out, m->dev_log, (max < n ? max : n) * sizeof(*out));
	pthread_mutex_unlock(&m->dev_lock);
	return n;
}

void hm_dev_log_clear(struct hm_machine *m)
{
	pthread_mutex_lock(&m->dev_lock);
	m->dev_len = 0;
	pthread_mutex_unlock(&m->dev_lock);
}

/*
 * RAM shared between CPUs (a guest on one, the host on another) is accessed
 * single-copy atomically where the architecture promises it (aligned
 * accesses up to 8 bytes), so concurrent tests do not race in C terms.
 */
void hm_ram_copy(uint8_t *ram, void *buf, size_t len, bool write)
{
	bool aligned = ((uintptr_t)ram & (len - 1)) == 0;

	switch (aligned ? len : 0) {
	case 1:
		if (write)
			__atomic_store_n(ram, *(uint8_t *)buf, __ATOMIC_RELAXED);
		else
			*(uint8_t *)buf = __atomic_load_n(ram, __ATOMIC_RELAXED);
		return;
	case 2: {
		uint16_t v;

		if (write) {
			memcpy(&v, buf, 2);
			__atomic_store_n((uint16_t *)(void *)ram, v, __ATOMIC_RELAXED);
		} else {
			v = __atomic_load_n((uint16_t *)(void *)ram, __ATOMIC_RELAXED);
			memcpy(buf, &v, 2);
		}
		return;
	}
	case 4: {
		uint32_t v;

		if (write) {
			memcpy(&v, buf, 4);
			__atomic_store_n((uint32_t *)(void *)ram, v, __ATOMIC_RELAXED);
		} else {
			v = __atomic_load_n((uint32_t *)(void *)ram, __ATOMIC_RELAXED);
			memcpy(buf, &v, 4);
		}
		return;
	}
	case 8: {
		uint64_t v;

		if (write) {
			memcpy(&v, buf, 8);
			__atomic_store_n((uint64_t *)(void *)ram, v, __ATOMIC_RELAXED);
		} else {
			v = __atomic_load_n((uint64_t *)(void *)ram, __ATOMIC_RELAXED);
			memcpy(buf, &v, 8);
		}
		return;
	}
	default:
		/*
		 * Longer (a page the host writes) or unaligned: a sequence of
		 * single-copy atomic accesses, as on the hardware, not a memcpy
		 * another CPU's load of the same word would race with in C
		 * (test_stress: a host load anywhere met a host page store).
		 */
		for (size_t i = 0; i < len;) {
			uint8_t *b = (uint8_t *)buf + i;
			if (((uintptr_t)(ram + i) & 7) == 0 && len - i >= 8) {
				uint64_t v;
				if (write) {
					memcpy(&v, b, 8);
					__atomic_store_n((uint64_t *)(void *)(ram + i), v,
							 __ATOMIC_RELAXED);
				} else {
					v = __atomic_load_n((uint64_t *)(void *)(ram + i),
							    __ATOMIC_RELAXED);
					memcpy(b, &v, 8);
				}
				i += 8;
			} else {
				if (write)
					__atomic_store_n(ram + i, *b, __ATOMIC_RELAXED);
				else
					*b = __atomic_load_n(ram + i, __ATOMIC_RELAXED);
				i++;
			}
		}
	}
}

enum hm_fault hm_data_access(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx,
			     uint64_t addr, void *buf, size_t len, bool write, bool cacheable,
			     struct hm_walk *out)
{
	uint8_t *ram;

	if (len == 0 || (addr & (HM_PAGE_SIZE - 1)) + len > HM_PAGE_SIZE)
		hm_bug("hm_data_access: %zu bytes at 0x%llx leave the page", len,
		       (unsigned long long)addr);
	/* In flight from translation to the end of the copy: hm_tlbi waits for it. */
	pthread_mutex_lock(&m->tlbs[cpu].inflight);
	if (hm_access(m, cpu, ctx, addr, write ? HM_WRITE : HM_READ, out) != HM_FAULT_NONE) {
		pthread_mutex_unlock(&m->tlbs[cpu].inflight);
		return out->fault;
	}
	ram = hm_phys(m, out->pa, len);
	if (ram) {
		/* The arena is the cached view: only stores and uncached accesses may differ. */
		if (cacheable ? !write : !hm_cache_any(m))
			hm_ram_copy(ram, buf, len, write);
		else
			hm_cache_access(m, out->pa, ram, buf, len, write, cacheable);
		pthread_mutex_unlock(&m->tlbs[cpu].inflight);
		return HM_FAULT_NONE;
	}
	pthread_mutex_unlock(&m->tlbs[cpu].inflight);
	if (hm_is_device(m, out->pa, len)) {
		struct hm_dev_access r = {
			.cpu = cpu,
			.vmid = ctx->regime == HM_REGIME_S2 ? ctx->vmid : 0,
			.ipa = addr,
			.pa = out->pa,
			.size = len,
			.write = write,
			.device_attr = out->device,
		};

		if (write)
			memcpy(&r.value, buf, len < 8 ? len : 8);
		else
			memset(buf, 0, len);
		dev_log_append(m, &r);
		return HM_FAULT_NONE;
	}
	/* Nothing answers at this physical address: the bus reports an error. */
	out->fault = HM_FAULT_EXTERNAL;
	out->fault_level = -1;
	return out->fault;
}

enum hm_fault hm_data_clean(struct hm_machine *m, unsigned cpu, const struct hm_ctx *ctx,
			    uint64_t addr, size_t len, struct hm_walk *out)
{
	if (len == 0 || (addr & (HM_PAGE_SIZE - 1)) + len > HM_PAGE_SIZE)
		hm_bug("hm_data_clean: %zu bytes at 0x%llx leave the page", len,
		       (unsigned long long)addr);
	if (hm_access(m, cpu, ctx, addr, HM_READ, out) != HM_FAULT_NONE)
		return out->fault;
	if (hm_is_ram(m, out->pa, len)) {
		hm_cache_clean(m, out->pa, len);
	} else if (!hm_is_device(m, out->pa, len)) {
		out->fault = HM_FAULT_EXTERNAL;
		out->fault_level = -1;
	}
	return out->fault;
}
