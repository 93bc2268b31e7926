/* SPDX-License-Identifier: BSD-2-Clause */
/* kc_snprintf / kc_printf: every conversion kcore uses, truncation, and bad formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <kcore/printf.h>
#include <kcore_hosted/machine.h>

#define FMT(want, ...)                                                                             \
	do {                                                                                       \
		char b_[128];                                                                      \
		size_t n_ = kc_snprintf(b_, sizeof(b_), __VA_ARGS__);                              \
		assert_string_equal(b_, want);                                                     \
		assert_int_equal(n_, strlen(want));                                                \
	} while (0)

static void test_conversions(void **state)
{
	(void)state;
	FMT("x=42 y=-7 z=0", "x=%d y=%i z=%u", 42, -7, 0u);
	FMT("ff FF 0x00000000000000ff", "%x %X 0x%016llx", 255u, 255u, 255ull);
	FMT("-9223372036854775808", "%lld", (long long)INT64_MIN);
	FMT("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	FMT("4294967295 -1", "%lu %ld", 4294967295ul, -1l);
	FMT("12345", "%zu", (size_t)12345);
	FMT("[  abc][abc  ][00042][   42][42   ]", "[%5s][%-5s][%05d][%5d][%-5d]", "abc", "abc", 42,
	    42, 42);
	FMT("-0042", "%05d", -42);
	FMT("c%", "%c%%", 'c');
	const char *volatile null = NULL; /* a literal NULL would be refused at compile time */
	FMT("(null)", "%s", null);
	FMT("0x1000", "%p", (void *)0x1000);
}

static void test_unknown_conversions_are_literal(void **state)
{
	(void)state;
	/*
	 * %q and %f consume no argument, so the %d after them still gets 5.
	 * The formats go through variables: the compiler would (rightly)
	 * refuse them as literals.
	 */
	const char *unknown = "%q %f %d", *trailing = "end%";
	FMT("%q %f 5", unknown, 5);
	FMT("end%", trailing, 0);
}

static void test_truncation(void **state)
{
	(void)state;
	char b[8];
	memset(b, 'X', sizeof(b));
	assert_int_equal(kc_snprintf(b, sizeof(b), "0123456789"), 10);
	assert_string_equal(b, "0123456");
	assert_int_equal(kc_snprintf(b, 1, "abc"), 3);
	assert_string_equal(b, "");
	assert_int_equal(kc_snprintf(NULL, 0, "%d", 1234), 4);
}

static void test_printf_reaches_the_console(void **state)
{
	(void)state;
	struct hm_config cfg = { .ram_base = 0x40000000, .ram_size = 1 << 20, .ncpus = 1 };
	struct hm_machine *m;
	char longline[400];

	assert_int_equal(hm_machine_create(&cfg, &m), 0);
	kc_printf("hello %s %d\n", "kcore", 2);
	assert_string_equal(hm_console_text(m, NULL), "hello kcore 2\n");
	hm_console_clear(m);
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	kc_printf("%s\n", longline);
	const char *out = hm_console_text(m, NULL);
	assert_int_equal(strlen(out), 255 + strlen("...[cut]\n"));
	assert_non_null(strstr(out, "...[cut]\n"));
	hm_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_unknown_conversions_are_literal),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_printf_reaches_the_console),
	};
	return cmocka_run_group_tests_name("printf", tests, NULL, NULL);
}
