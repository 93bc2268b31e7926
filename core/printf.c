/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A freestanding printf for kcore's console.  Deliberately small: kcore
 * prints banners, memory maps and diagnostics, never user-controlled
 * formats.  Unknown conversions are copied literally and consume no
 * argument, so a mistake cannot read past the arguments given.
 */
#include <kcore/platform.h>
#include <kcore/printf.h>
#include <stdbool.h>
#include <stdint.h>

/* Output sink: a bounded buffer; `len` counts what the full output needs. */
struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void out_str(struct out *o, const char *s, int width, bool left)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while (s[n])
		n++;
	if (!left)
		out_pad(o, ' ', width - n);
	for (int i = 0; i < n; i++)
		out_char(o, s[i]);
	if (left)
		out_pad(o, ' ', width - n);
}

static void out_num(struct out *o, uint64_t v, unsigned base, bool upper, bool neg, int width,
		    bool zero, bool left)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	int total = n + (neg ? 1 : 0);
	if (!left && !zero)
		out_pad(o, ' ', width - total);
	if (neg)
		out_char(o, '-');
	if (!left && zero)
		out_pad(o, '0', width - total);
	while (n)
		out_char(o, tmp[--n]);
	if (left)
		out_pad(o, ' ', width - total);
}

size_t kc_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			out_char(&o, *p);
			continue;
		}
		const char *start = p++;
		bool left = false, zero = false;
		int width = 0, lng = 0;
		for (; *p == '-' || *p == '0'; p++) {
			if (*p == '-')
				left = true;
			else
				zero = true;
		}
		for (; *p >= '0' && *p <= '9'; p++)
			width = width < 1000 ? width * 10 + (*p - '0') : width;
		for (; *p == 'l' && lng < 2; p++)
			lng++;
		if (*p == 'z') {
			lng = 3; /* size_t */
			p++;
		}

		uint64_t u;
		int64_t s;
		switch (*p) {
		case 'd':
		case 'i':
			s = lng == 0   ? va_arg(ap, int)
			    : lng == 1 ? va_arg(ap, long)
			    : lng == 2 ? va_arg(ap, long long)
				       : (int64_t)va_arg(ap, size_t);
			u = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
			out_num(&o, u, 10, false, s < 0, width, zero, left);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = lng == 0   ? va_arg(ap, unsigned)
			    : lng == 1 ? va_arg(ap, unsigned long)
			    : lng == 2 ? va_arg(ap, unsigned long long)
				       : va_arg(ap, size_t);
			out_num(&o, u, *p == 'u' ? 10 : 16, *p == 'X', false, width, zero, left);
			break;
		case 'p':
			out_char(&o, '0');
			out_char(&o, 'x');
			out_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, false, width, zero,
				left);
			break;
		case 's':
			out_str(&o, va_arg(ap, const char *), width, left);
			break;
		case 'c':
			out_char(&o, (char)va_arg(ap, int));
			break;
		case '%':
			out_char(&o, '%');
			break;
		default:
			/* Unknown or truncated conversion: print it as text. */
			for (const char *q = start; q <= p && *q; q++)
				out_char(&o, *q);
			if (!*p)
				p--;
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

size_t kc_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	size_t n = kc_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void kc_printf(const char *fmt, ...)
{
	/* Lines are short; a longer one is cut, and says so. */
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	size_t n = kc_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= sizeof(buf)) {
		plat_console_write(buf, sizeof(buf) - 1);
		plat_console_write("...[cut]\n", 9);
		return;
	}
	plat_console_write(buf, n);
}
