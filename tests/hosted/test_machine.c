/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_machine.c — the machine API and the plat_* glue: config checks, the
 * lazily backed arena, console, entropy, CPUs, fail-stop.
 */
#define _DEFAULT_SOURCE /* sysconf */

#include <kcore/platform.h>
#include <kcore_hosted/machine.h>

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAM_BASE 0x40000000ull
#define GiB	 (1ull << 30)
#define MiB	 (1ull << 20)

static struct hm_config small(void)
{
	struct hm_config c = {
		.ram_base = RAM_BASE,
		.ram_size = 16 * MiB,
		.devices = { { 0x09000000, 0x1000 }, { 0x08000000, 0x20000 } },
		.ndevices = 2,
		.ncpus = 4,
		.rng_seed = 1,
	};
	return c;
}

/* ---- panic capture ---------------------------------------------------- */

static jmp_buf panic_jmp;
static char panic_msg[256];
static int panics;

static void catch_panic(const char *why)
{
	snprintf(panic_msg, sizeof(panic_msg), "%s", why);
	panics++;
	longjmp(panic_jmp, 1);
}

/* Run `body` expecting it to reach plat_panic with a message containing `needle`. */
#define EXPECT_PANIC(body, needle)                                                                 \
	do {                                                                                       \
		hm_panic_hook prev_ = hm_set_panic_hook(catch_panic);                              \
		int before_ = panics;                                                              \
		if (setjmp(panic_jmp) == 0) {                                                      \
			body;                                                                      \
			hm_set_panic_hook(prev_);                                                  \
			fail_msg("no panic from %s", #body);                                       \
		}                                                                                  \
		hm_set_panic_hook(prev_);                                                          \
		assert_int_equal(panics, before_ + 1);                                             \
		assert_non_null(strstr(panic_msg, needle));                                        \
	} while (0)

/* ---- config ----------------------------------------------------------- */

static void expect_reject(const struct hm_config *c, const char *needle)
{
	struct hm_machine *m = (struct hm_machine *)&m;

	assert_int_equal(hm_machine_create(c, &m), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(hm_last_error(), needle));
}

static void test_config_errors(void **state)
{
	struct hm_config c;
	struct hm_machine *m;

	(void)state;
	c = small(), c.ram_size = 0, expect_reject(&c, "RAM");
	c = small(), c.ram_base += 0x800, expect_reject(&c, "RAM");
	c = small(), c.ram_size += 1, expect_reject(&c, "RAM");
	c = small(), c.ram_base = (1ull << 48) - 0x1000, c.ram_size = 0x2000,
	expect_reject(&c, "2^48");
	c = small(), c.ram_base = ~0xfffull, expect_reject(&c, "RAM");
	c = small(), c.ncpus = 0, expect_reject(&c, "CPUs");
	c = small(), c.ncpus = HM_MAX_CPUS + 1, expect_reject(&c, "CPUs");
	c = small(), c.ndevices = HM_MAX_DEVICES + 1, expect_reject(&c, "device ranges");
	c = small(), c.devices[1].size = 0, expect_reject(&c, "device 1");
	c = small(), c.devices[0].base = 0x09000800, expect_reject(&c, "device 0");
	c = small(), c.devices[1].base = RAM_BASE + 16 * MiB - 0x1000,
	expect_reject(&c, "overlaps RAM");
	c = small(), c.devices[1].base = RAM_BASE - 0x1000, c.devices[1].size = 0x2000,
	expect_reject(&c, "overlaps RAM");
	c = small(), c.devices[1].base = 0x08ff0000, expect_reject(&c, "overlaps device 0");

	/* Adjacent ranges are fine, and the machine becomes current. */
	c = small(), c.devices[1].base = RAM_BASE - 0x20000;
	assert_int_equal(hm_machine_create(&c, &m), 0);
	assert_non_null(m);
	assert_string_equal(hm_last_error(), "");
	assert_ptr_equal(hm_machine_current(), m);
	assert_int_equal(hm_machine_config(m)->ncpus, 4);
	hm_machine_destroy(m);
	assert_null(hm_machine_current());
}

/* ---- arena ------------------------------------------------------------ */

static uint64_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu %lu", &size, &resident), 2);
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void test_64g_machine_costs_nothing_until_touched(void **state)
{
	struct hm_config c = small();
	struct hm_machine *m;
	uint64_t before, after, end;
	static const uint64_t offs[] = {
		0, 0x1000, 0x200000, 32 * GiB, 64 * GiB - 0x2000, 64 * GiB - 0x1000
	};

	(void)state;
	c.ram_size = 64 * GiB;
	end = RAM_BASE + c.ram_size;
	before = rss_bytes();
	assert_int_equal(hm_machine_create(&c, &m), 0);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		uint8_t *p = hm_phys(m, RAM_BASE + offs[i], 0x1000);

		assert_non_null(p);
		assert_int_equal(p[0], 0); /* fresh RAM reads as zero */
		p[0] = 0x5a;
		p[0xfff] = 0xa5;
	}
	after = rss_bytes();
	/* Six pages touched; allow slack for the allocator and sanitizers. */
	assert_true(after < before + 4 * MiB);
	assert_int_equal(*(uint8_t *)hm_phys(m, end - 1, 1), 0xa5);
	assert_non_null(hm_phys(m, end - 8, 8));
	assert_null(hm_phys(m, end - 8, 9));
	assert_null(hm_phys(m, end, 1));
	assert_null(hm_phys(m, RAM_BASE - 1, 1));
	assert_null(hm_phys(m, RAM_BASE, 64 * GiB + 1));
	assert_null(hm_phys(m, ~0ull, 2)); /* pa + len wraps */
	assert_true(hm_is_ram(m, RAM_BASE, 64 * GiB));
	assert_true(hm_is_device(m, 0x09000000, 0x1000));
	assert_false(hm_is_device(m, 0x09000000, 0x1001));
	assert_false(hm_is_ram(m, 0x09000000, 1));
	hm_machine_destroy(m);
}

/*
 * A destroyed small machine's arena is kept for the next machine of its
 * size (arena.c): that machine must still see all-zero RAM, whether the
 * last one dirtied a few pages (cleared one by one), many (dropped at once)
 * or all of them.
 */
static void test_reused_arena_is_zero(void **state)
{
	static const unsigned dirty_every[] = { 997, 13, 1 }; /* pages: 5, 316, 4096 */
	struct hm_config c = small();

	(void)state;
	for (size_t k = 0; k < sizeof(dirty_every) / sizeof(dirty_every[0]); k++) {
		struct hm_machine *m;
		assert_int_equal(hm_machine_create(&c, &m), 0);
		uint8_t *ram = hm_phys(m, RAM_BASE, c.ram_size);
		assert_non_null(ram);
		for (uint64_t off = 0; off < c.ram_size; off += 4096ull * dirty_every[k])
			memset(ram + off, 0xA5, 4096);
		ram[c.ram_size - 1] = 1;
		hm_machine_destroy(m);

		assert_int_equal(hm_machine_create(&c, &m), 0);
		ram = hm_phys(m, RAM_BASE, c.ram_size);
		assert_non_null(ram);
		for (uint64_t off = 0; off < c.ram_size; off++)
			if (ram[off])
				fail_msg(
					"byte 0x%llx of a new machine's RAM is 0x%02x (dirtied every "
					"%u pages before)",
					(unsigned long long)off, ram[off], dirty_every[k]);
		hm_machine_destroy(m);
	}
}

static void test_phys_to_virt_bounds(void **state)
{
	struct hm_config c = small();
	struct hm_machine *m;
	uint64_t end = RAM_BASE + c.ram_size;

	(void)state;
	assert_int_equal(hm_machine_create(&c, &m), 0);
	assert_ptr_equal(plat_phys_to_virt(RAM_BASE), hm_phys(m, RAM_BASE, 1));
	assert_ptr_equal(plat_phys_to_virt(end - 1), hm_phys(m, end - 1, 1));
	EXPECT_PANIC(plat_phys_to_virt(end), "not RAM");
	EXPECT_PANIC(plat_phys_to_virt(RAM_BASE - 1), "not RAM");
	EXPECT_PANIC(plat_phys_to_virt(0x09000000), "0x9000000");
	hm_machine_destroy(m);
	EXPECT_PANIC(plat_phys_to_virt(RAM_BASE), "no hosted machine");
}

/* ---- console ---------------------------------------------------------- */

static void test_console_capture(void **state)
{
	struct hm_config c = small();
	struct hm_machine *m;
	size_t len = 1;
	char *big;

	(void)state;
	assert_int_equal(hm_machine_create(&c, &m), 0);
	assert_string_equal(hm_console_text(m, &len), "");
	assert_int_equal(len, 0);
	plat_console_write("hello ", 6);
	plat_console_write("world\nxyz", 6);
	assert_string_equal(hm_console_text(m, &len), "hello world\n");
	assert_int_equal(len, 12);
	hm_console_clear(m);
	assert_string_equal(hm_console_text(m, &len), "");
	assert_int_equal(len, 0);

	/* Grows past any initial size and keeps every byte. */
	big = malloc(100000);
	assert_non_null(big);
	for (size_t i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	for (int i = 0; i < 3; i++)
		plat_console_write(big, 100000);
	assert_memory_equal(hm_console_text(m, &len) + 200000, big, 100000);
	assert_int_equal(len, 300000);
	free(big);
	hm_machine_destroy(m);
}

/* ---- entropy ---------------------------------------------------------- */

static void draw(uint64_t seed, uint8_t *out, size_t len)
{
	struct hm_config c = small();
	struct hm_machine *m;

	c.rng_seed = seed;
	assert_int_equal(hm_machine_create(&c, &m), 0);
	assert_true(plat_entropy(out, len));
	hm_machine_destroy(m);
}

static void test_entropy_deterministic_and_breakable(void **state)
{
	struct hm_config c = small();
	struct hm_machine *m;
	uint8_t a[37], b[37], x[37], zero[37] = { 0 }, poison[37];
	struct hm_stats st;

	(void)state;
	draw(42, a, sizeof(a));
	draw(42, b, sizeof(b));
	assert_memory_equal(a, b, sizeof(a));
	draw(43, b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));

	c.rng_seed = 42;
	assert_int_equal(hm_machine_create(&c, &m), 0);
	memset(poison, 0xa5, sizeof(poison));
	hm_entropy_fail_next(m, 2);
	for (int i = 0; i < 2; i++) {
		memset(x, 0, sizeof(x));
		assert_false(plat_entropy(x, sizeof(x)));
		assert_memory_equal(x, poison, sizeof(x));
	}
	/* Failures do not consume the stream: the seed's first bytes come next. */
	assert_true(plat_entropy(x, sizeof(x)));
	assert_memory_equal(x, a, sizeof(a));
	assert_true(plat_entropy(x, sizeof(x)));
	assert_memory_not_equal(x, a, sizeof(a));
	hm_stats_read(m, &st);
	assert_int_equal(st.entropy_calls, 4);
	hm_machine_destroy(m);
}

/* ---- fail-stop -------------------------------------------------------- */

static void test_panic_reaches_hook(void **state)
{
	hm_panic_hook prev;

	(void)state;
	EXPECT_PANIC(plat_panic("frame table inconsistent"), "frame table inconsistent");
	assert_string_equal(panic_msg, "frame table inconsistent");
	/* The hook is returned so tests can restore it. */
	prev = hm_set_panic_hook(catch_panic);
	assert_null(prev);
	assert_ptr_equal(hm_set_panic_hook(prev), catch_panic);
}

static void test_no_machine_is_fail_stop(void **state)
{
	uint8_t b[4];

	(void)state;
	hm_machine_select(NULL);
	EXPECT_PANIC(plat_entropy(b, sizeof(b)), "plat_entropy: no hosted machine");
	EXPECT_PANIC(plat_console_write("x", 1), "plat_console_write");
	EXPECT_PANIC(plat_tlbi_s2_vmid(1), "plat_tlbi_s2_vmid");
	/* Barriers have no machine state to need. */
	plat_barrier_full();
	plat_barrier_tables();
}

/* ---- CPUs ------------------------------------------------------------- */

static void record_cpu(unsigned cpu, void *arg)
{
	unsigned *seen = arg;

	/* plat_cpu_id must agree with the CPU the thread was started as. */
	if (plat_cpu_id() == cpu)
		__atomic_fetch_add(&seen[cpu], 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&seen[HM_MAX_CPUS], 1, __ATOMIC_RELAXED);
}

static void nested(unsigned cpu, void *arg)
{
	unsigned *ids = arg;

	ids[0] = plat_cpu_id();
	assert_int_equal(hm_cpu_run(hm_machine_current(), 0, record_cpu, ids + 1), 0);
	ids[1 + HM_MAX_CPUS + 1] = plat_cpu_id(); /* restored after nesting */
	(void)cpu;
}

static void test_cpu_id(void **state)
{
	struct hm_config c = small();
	struct hm_machine *m;
	unsigned ids[HM_MAX_CPUS + 3] = { 0 };

	(void)state;
	assert_int_equal(hm_machine_create(&c, &m), 0);
	assert_int_equal(hm_cpu_current(), HM_NO_CPU);
	EXPECT_PANIC(plat_cpu_id(), "runs no CPU");
	assert_int_equal(hm_cpu_run(m, 3, nested, ids), 0);
	assert_int_equal(ids[0], 3);
	assert_int_equal(ids[1], 1);		   /* CPU 0 ran once, nested */
	assert_int_equal(ids[1 + HM_MAX_CPUS], 0); /* no mismatch */
	assert_int_equal(ids[1 + HM_MAX_CPUS + 1], 3);
	assert_int_equal(hm_cpu_current(), HM_NO_CPU);
	assert_int_equal(hm_cpu_run(m, 4, nested, ids), -EINVAL);
	hm_machine_destroy(m);
}

static void test_run_parallel_each_cpu_once(void **state)
{
	struct hm_config c = small();
	struct hm_machine *m;
	unsigned seen[HM_MAX_CPUS + 1] = { 0 };

	(void)state;
	c.ncpus = 8;
	assert_int_equal(hm_machine_create(&c, &m), 0);
	hm_machine_select(NULL); /* hm_run_parallel selects it */
	assert_int_equal(hm_run_parallel(m, record_cpu, seen), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(seen[i], 1);
	for (unsigned i = 8; i <= HM_MAX_CPUS; i++)
		assert_int_equal(seen[i], 0);
	assert_ptr_equal(hm_machine_current(), m);
	hm_machine_destroy(m);
}

/* ---- counters --------------------------------------------------------- */

static void test_maintenance_counted(void **state)
{
	struct hm_config c = small();
	struct hm_machine *m;
	struct hm_stats st;

	(void)state;
	assert_int_equal(hm_machine_create(&c, &m), 0);
	plat_dcache_clean_inval_poc(hm_phys(m, c.ram_base, 64), 64);
	plat_icache_inval_all();
	plat_barrier_tables();
	plat_barrier_tables();
	plat_barrier_full();
	plat_barrier_full();
	plat_barrier_full();
	hm_stats_read(m, &st);
	assert_int_equal(st.dcache_clean_inval, 1);
	assert_int_equal(st.icache_inval_all, 1);
	assert_int_equal(st.barrier_tables, 2);
	assert_int_equal(st.barrier_full, 3);
	hm_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_64g_machine_costs_nothing_until_touched),
		cmocka_unit_test(test_reused_arena_is_zero),
		cmocka_unit_test(test_phys_to_virt_bounds),
		cmocka_unit_test(test_console_capture),
		cmocka_unit_test(test_entropy_deterministic_and_breakable),
		cmocka_unit_test(test_panic_reaches_hook),
		cmocka_unit_test(test_no_machine_is_fail_stop),
		cmocka_unit_test(test_cpu_id),
		cmocka_unit_test(test_run_parallel_each_cpu_once),
		cmocka_unit_test(test_maintenance_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
