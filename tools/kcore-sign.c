/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore-sign — make, check and inspect kcore's signed boot manifests
 * (formats v1 and v2, docs/MANIFEST.md).
 *
 * Host-side and hosted only.  Signing uses BearSSL's deterministic ECDSA
 * (RFC 6979), so the same key and images always give the same bytes; every
 * manifest written is read back through core's own manifest_parse, the code
 * kcore runs at EL2, so the tool cannot emit something kcore would refuse.
 *
 * Exit status: 0 success, 1 failure (a missing or bad file or key, images
 * that overlap or miss the entry PC, a manifest that does not verify), 2
 * usage error (anything wrong that the command line alone shows: unknown
 * option, bad number, misaligned base or PC, too many images or ranges, a
 * malformed or overlapping RAM range or device window).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bearssl.h>
#include <kcore/abi.h>
#include <kcore/crypto.h>
#include <kcore/kcore.h>
#include <kcore/manifest.h>

#define SIGN_EXIT_FAIL	1
#define SIGN_EXIT_USAGE 2

#define SIGN_PAGE	4096u
#define SIGN_GPA_LIMIT	(UINT64_C(1) << 48)
#define SIGN_PRIV_LEN	32
/* kcore copies one page: a longer "manifest" could never reach it. */
#define SIGN_MAX_FILE	SIGN_PAGE

static const char sign_usage_text[] =
	"usage: kcore-sign COMMAND ...\n"
	"\n"
	"  keygen [--force] PRIV_FILE PUB_FILE\n"
	"      new P-256 key pair: PRIV_FILE gets the 32-byte scalar as 64 hex\n"
	"      digits (mode 0600), PUB_FILE the 65-byte point 04||X||Y as 130 hex\n"
	"      digits.  Existing files are kept unless --force.\n"
	"  sign --key PRIV_FILE --entry PC --image BASE:FILE [--image BASE:FILE]...\n"
	"       [--ram BASE:SIZE]... [--device BASE:SIZE[:shared]]... -o OUT\n"
	"      write a signed manifest for up to 8 images.  Each image is FILE's\n"
	"      bytes zero-padded to a whole number of 4 KiB pages, loaded at guest\n"
	"      address BASE; the VM starts at PC.  With --ram or --device the\n"
	"      manifest is format v2 and declares the VM's memory layout: up to 4\n"
	"      RAM ranges (the images must lie in them) and up to 8 device windows,\n"
	"      the only places the host may map devices into the VM (\"shared\":\n"
	"      other VMs may map the same device pages).  Without them it is v1,\n"
	"      and the VM can have no devices.  Numbers are decimal or 0x-hex.\n"
	"  verify --pub PUB_FILE [--pub PUB_FILE]... MANIFEST\n"
	"      check MANIFEST exactly as kcore does, against the given trusted keys.\n"
	"  show MANIFEST\n"
	"      print the fields of MANIFEST without checking anything.\n"
	"  pub PRIV_FILE\n"
	"      print the public key (130 hex digits) of PRIV_FILE.\n"
	"\n"
	"Exit status: 0 ok, 1 failure, 2 usage error.\n";

/* The order n of P-256, big-endian: a private scalar must lie in [1, n). */
/* clang-format off */
static const uint8_t sign_p256_order[SIGN_PRIV_LEN] = {
	0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
	0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
};
/* clang-format on */

static const char *sign_cmd = "kcore-sign";

static void sign_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sign_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", sign_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A command-line mistake: say what, point at --help, exit status 2. */
static int sign_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sign_usage_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", sign_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'kcore-sign --help'.\n");
	return SIGN_EXIT_USAGE;
}

/* Key material must not linger in freed or reused memory. */
static void sign_wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

static void sign_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void sign_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t sign_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t sign_le64(const uint8_t *p)
{
	return (uint64_t)sign_le32(p) | (uint64_t)sign_le32(p + 4) << 32;
}

static void sign_print_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static int sign_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A number on the command line: decimal, or hex after 0x.  Strict: no sign,
 * no spaces, no trailing junk, no overflow (strtoull accepts all of those).
 */
static bool sign_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		int d = base == 16 ? sign_hex_digit(*s) : (*s >= '0' && *s <= '9' ? *s - '0' : -1);

		if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return true;
}

/*
 * Read all of `path` into a new buffer (NUL-terminated for the text files),
 * failing if it is longer than `max`.  Returns 0 or SIGN_EXIT_FAIL, having
 * said why.
 */
static int sign_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f) {
		sign_err("%s: %s", path, strerror(errno));
		return SIGN_EXIT_FAIL;
	}
	buf = malloc(max + 2);
	if (!buf) {
		fclose(f);
		sign_err("out of memory");
		return SIGN_EXIT_FAIL;
	}
	/* Ask for one byte more than allowed to tell "too long" from "exact". */
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		sign_err("%s: read error", path);
		goto fail;
	}
	if (n > max) {
		sign_err("%s: longer than %zu bytes", path, max);
		goto fail;
	}
	fclose(f);
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
fail:
	fclose(f);
	free(buf);
	return SIGN_EXIT_FAIL;
}

/*
 * A key file: exactly 2*n hex digits, then optionally one newline (LF or
 * CRLF).  Anything else is refused rather than guessed at.
 */
static int sign_read_hex_file(const char *path, const char *what, uint8_t *out, size_t n)
{
	uint8_t *text;
	size_t len, digits;
	int rc = sign_read_file(path, 4 * n + 16, &text, &len);

	if (rc)
		return rc;
	digits = len;
	if (digits > 0 && text[digits - 1] == '\n')
		digits--;
	if (digits > 0 && text[digits - 1] == '\r')
		digits--;
	rc = SIGN_EXIT_FAIL;
	if (digits != 2 * n) {
		sign_err(
			"%s: not a %s: expected %zu hex digits and a newline, found %zu characters",
			path, what, 2 * n, digits);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int hi = sign_hex_digit((char)text[2 * i]),
		    lo = sign_hex_digit((char)text[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			sign_err("%s: not a %s: bad hex digit at offset %zu", path, what,
				 hi < 0 ? 2 * i : 2 * i + 1);
			goto out;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	rc = 0;
out:
	sign_wipe(text, len);
	free(text);
	return rc;
}

struct sign_key {
	uint8_t priv[SIGN_PRIV_LEN];
	uint8_t pub[CRYPTO_P256_PUB_LEN];
	br_ec_private_key sk;
};

/* Load a private key file, check the scalar, derive the public key. */
static int sign_load_priv(const char *path, struct sign_key *key)
{
	unsigned char pubbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	br_ec_public_key pk;
	static const uint8_t zero[SIGN_PRIV_LEN];
	int rc = sign_read_hex_file(path, "private key", key->priv, SIGN_PRIV_LEN);

	if (rc)
		return rc;
	/* memcmp is fine here: a bad key is refused either way, not compared. */
	if (memcmp(key->priv, zero, SIGN_PRIV_LEN) == 0 ||
	    memcmp(key->priv, sign_p256_order, SIGN_PRIV_LEN) >= 0) {
		sign_err("%s: not a P-256 private key (scalar is 0 or not below the group order)",
			 path);
		return SIGN_EXIT_FAIL;
	}
	key->sk.curve = BR_EC_secp256r1;
	key->sk.x = key->priv;
	key->sk.xlen = SIGN_PRIV_LEN;
	if (br_ec_compute_pub(&br_ec_p256_m31, &pk, pubbuf, &key->sk) != CRYPTO_P256_PUB_LEN) {
		sign_err("%s: cannot derive the public key", path);
		return SIGN_EXIT_FAIL;
	}
	memcpy(key->pub, pk.q, CRYPTO_P256_PUB_LEN);
	return 0;
}

/* Load a public key file and check that it is a point on P-256. */
static int sign_load_pub(const char *path, uint8_t pub[CRYPTO_P256_PUB_LEN])
{
	uint8_t point[CRYPTO_P256_PUB_LEN];
	static const uint8_t one = 1;
	int rc = sign_read_hex_file(path, "public key", pub, CRYPTO_P256_PUB_LEN);

	if (rc)
		return rc;
	/* Multiplying by 1 decodes and validates the point (BearSSL returns 0 if not). */
	memcpy(point, pub, sizeof(point));
	if (pub[0] != 0x04 || !br_ec_p256_m31.mul(point, sizeof(point), &one, 1, BR_EC_secp256r1)) {
		sign_err("%s: not a P-256 public key (need an uncompressed point 04||X||Y)", path);
		return SIGN_EXIT_FAIL;
	}
	return 0;
}

/* ---- keygen ------------------------------------------------------------- */

static int sign_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Create `path` with `mode`; O_EXCL unless forced, so no file is clobbered. */
static int sign_create(const char *path, mode_t mode, bool force)
{
	int fd = open(path, O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL), mode);

	if (fd < 0) {
		if (errno == EEXIST)
			sign_err("%s: already exists (use --force to overwrite)", path);
		else
			sign_err("%s: %s", path, strerror(errno));
		return -1;
	}
	/* A forced overwrite keeps the old file's mode: set ours. */
	if (fchmod(fd, mode) != 0) {
		sign_err("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int sign_keygen(int argc, char **argv)
{
	const char *paths[2] = { NULL, NULL };
	unsigned npaths = 0;
	bool force = false;
	uint8_t seed[48];
	br_hmac_drbg_context rng;
	unsigned char skbuf[BR_EC_KBUF_PRIV_MAX_SIZE], pubbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	br_ec_private_key sk;
	br_ec_public_key pk;
	char text[2 * CRYPTO_P256_PUB_LEN + 2];
	int fd_priv = -1, fd_pub = -1, rc = SIGN_EXIT_FAIL;
	FILE *urandom;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			force = true;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return sign_usage_err("keygen: unknown option '%s'", argv[i]);
		else if (npaths < 2)
			paths[npaths++] = argv[i];
		else
			return sign_usage_err("keygen: unexpected argument '%s'", argv[i]);
	}
	if (npaths != 2)
		return sign_usage_err("keygen: need PRIV_FILE and PUB_FILE");
	if (strcmp(paths[0], paths[1]) == 0)
		return sign_usage_err("keygen: PRIV_FILE and PUB_FILE are the same file");

	/* Seed before touching any file, so a failure leaves nothing behind. */
	urandom = fopen("/dev/urandom", "rb");
	if (!urandom || fread(seed, 1, sizeof(seed), urandom) != sizeof(seed)) {
		sign_err("/dev/urandom: cannot read entropy");
		if (urandom)
			fclose(urandom);
		return SIGN_EXIT_FAIL;
	}
	fclose(urandom);
	br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
	sign_wipe(seed, sizeof(seed));
	if (br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &sk, skbuf, BR_EC_secp256r1) !=
		    SIGN_PRIV_LEN ||
	    br_ec_compute_pub(&br_ec_p256_m31, &pk, pubbuf, &sk) != CRYPTO_P256_PUB_LEN) {
		sign_err("keygen: BearSSL could not make a P-256 key");
		goto out;
	}

	fd_priv = sign_create(paths[0], 0600, force);
	if (fd_priv < 0)
		goto out;
	fd_pub = sign_create(paths[1], 0644, force);
	if (fd_pub < 0)
		goto out;

	for (size_t i = 0; i < SIGN_PRIV_LEN; i++)
		snprintf(text + 2 * i, 3, "%02x", sk.x[i]);
	text[2 * SIGN_PRIV_LEN] = '\n';
	if (sign_write_all(fd_priv, text, 2 * SIGN_PRIV_LEN + 1) != 0 || fsync(fd_priv) != 0) {
		sign_err("%s: write failed: %s", paths[0], strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < CRYPTO_P256_PUB_LEN; i++)
		snprintf(text + 2 * i, 3, "%02x", pk.q[i]);
	text[2 * CRYPTO_P256_PUB_LEN] = '\n';
	if (sign_write_all(fd_pub, text, 2 * CRYPTO_P256_PUB_LEN + 1) != 0) {
		sign_err("%s: write failed: %s", paths[1], strerror(errno));
		goto out;
	}
	printf("private key: %s\npublic key:  %s\n", paths[0], paths[1]);
	rc = 0;
out:
	/* Half a key pair is no use: remove whatever this run created. */
	if (fd_priv >= 0 && close(fd_priv) != 0 && rc == 0) {
		sign_err("%s: %s", paths[0], strerror(errno));
		rc = SIGN_EXIT_FAIL;
	}
	if (fd_pub >= 0 && close(fd_pub) != 0 && rc == 0) {
		sign_err("%s: %s", paths[1], strerror(errno));
		rc = SIGN_EXIT_FAIL;
	}
	if (rc != 0) {
		if (fd_priv >= 0)
			unlink(paths[0]);
		if (fd_pub >= 0)
			unlink(paths[1]);
	}
	sign_wipe(text, sizeof(text));
	sign_wipe(skbuf, sizeof(skbuf));
	sign_wipe(&rng, sizeof(rng));
	return rc;
}

/* ---- pub ---------------------------------------------------------------- */

static int sign_pub(int argc, char **argv)
{
	struct sign_key key;
	int rc;

	if (argc != 1 || (argv[0][0] == '-' && argv[0][1] != '\0'))
		return sign_usage_err("pub: need exactly PRIV_FILE");
	rc = sign_load_priv(argv[0], &key);
	if (rc == 0) {
		sign_print_hex(stdout, key.pub, CRYPTO_P256_PUB_LEN);
		putchar('\n');
	}
	sign_wipe(&key, sizeof(key));
	return rc;
}

/* ---- sign --------------------------------------------------------------- */

/*
 * --ram BASE:SIZE and --device BASE:SIZE[:shared], into *r.  The rules the
 * command line alone can break are usage errors (exit 2).
 */
static int sign_parse_range(const char *opt, const char *val, bool window,
			    struct kc_manifest_range *r)
{
	char buf[80], *parts[3] = { NULL, NULL, NULL };
	unsigned n = 0;

	if (strlen(val) >= sizeof(buf))
		return sign_usage_err("sign: %s '%s': too long", opt, val);
	strcpy(buf, val);
	for (char *p = buf; n < 3; n++) {
		parts[n] = p;
		p = strchr(p, ':');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (n >= 3 || !parts[1] || (parts[2] && !window))
		return sign_usage_err("sign: %s '%s': expected BASE:SIZE%s", opt, val,
				      window ? "[:shared]" : "");
	if (!sign_parse_u64(parts[0], &r->base) || !sign_parse_u64(parts[1], &r->size))
		return sign_usage_err("sign: %s '%s': bad number (decimal or 0x-hex)", opt, val);
	r->flags = 0;
	if (parts[2]) {
		if (strcmp(parts[2], "shared") != 0)
			return sign_usage_err("sign: %s '%s': the only flag is 'shared'", opt, val);
		r->flags = KC_MANIFEST_WIN_SHARED;
	}
	if ((r->base | r->size) % SIGN_PAGE)
		return sign_usage_err("sign: %s '%s': base and size must be 4 KiB aligned", opt,
				      val);
	if (r->size == 0)
		return sign_usage_err("sign: %s '%s': size is zero", opt, val);
	if (r->base >= SIGN_GPA_LIMIT || r->size > SIGN_GPA_LIMIT - r->base)
		return sign_usage_err("sign: %s '%s': ends beyond the 48-bit guest address space",
				      opt, val);
	return 0;
}

/* The layout's ranges are disjoint (usage: the command line alone shows it). */
static int sign_check_ranges(const struct kc_manifest_layout *l, char *const *ram_args,
			     char *const *win_args)
{
	unsigned n = l->nram + l->nwin;

	for (unsigned i = 0; i < n; i++) {
		const struct kc_manifest_range *a = i < l->nram ? &l->ram[i] : &l->win[i - l->nram];

		for (unsigned j = 0; j < i; j++) {
			const struct kc_manifest_range *b =
				j < l->nram ? &l->ram[j] : &l->win[j - l->nram];

			if (a->base < b->base + b->size && b->base < a->base + a->size)
				return sign_usage_err(
					"sign: %s %s overlaps %s %s",
					i < l->nram ? "--ram" : "--device",
					i < l->nram ? ram_args[i] : win_args[i - l->nram],
					j < l->nram ? "--ram" : "--device",
					j < l->nram ? ram_args[j] : win_args[j - l->nram]);
		}
	}
	return 0;
}

struct sign_image {
	const char *arg; /* as given, for messages */
	const char *path;
	uint64_t base;
	uint64_t size; /* file size rounded up to a page */
	uint8_t sha256[CRYPTO_SHA256_LEN];
};

/*
 * Hash an image exactly as kcore will see it: the file's bytes, then zeros
 * to the end of the last page (the host loads whole pages).  The size comes
 * from what was read, not from stat, so it is the size of what was hashed.
 */
static int sign_hash_image(struct sign_image *img)
{
	static const uint8_t zeros[SIGN_PAGE];
	uint8_t chunk[65536];
	struct crypto_sha256 ctx;
	uint64_t n = 0, pad;
	FILE *f = fopen(img->path, "rb");
	size_t got;

	if (!f) {
		sign_err("image %s: %s", img->path, strerror(errno));
		return SIGN_EXIT_FAIL;
	}
	crypto_sha256_init(&ctx);
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		crypto_sha256_update(&ctx, chunk, got);
		n += got;
		if (n > SIGN_GPA_LIMIT) {
			fclose(f);
			sign_err("image %s: larger than 2^48 bytes", img->path);
			return SIGN_EXIT_FAIL;
		}
	}
	if (ferror(f)) {
		fclose(f);
		sign_err("image %s: read error", img->path);
		return SIGN_EXIT_FAIL;
	}
	fclose(f);
	if (n == 0) {
		sign_err("image %s: file is empty (an image needs at least one byte)", img->path);
		return SIGN_EXIT_FAIL;
	}
	pad = (SIGN_PAGE - n % SIGN_PAGE) % SIGN_PAGE;
	crypto_sha256_update(&ctx, zeros, (size_t)pad);
	crypto_sha256_final(&ctx, img->sha256);
	img->size = n + pad;
	return 0;
}

/*
 * The checks manifest_parse will make, repeated here only to say what is
 * wrong in terms of the command line (file names, not image indices).
 */
static int sign_check_layout(const struct sign_image *img, unsigned n, uint64_t entry,
			     const struct kc_manifest_layout *l)
{
	bool inside = false;

	for (unsigned i = 0; i < n; i++) {
		if (img[i].size > SIGN_GPA_LIMIT - img[i].base) {
			sign_err("--image %s: ends at 0x%" PRIx64 "+0x%" PRIx64
				 ", beyond the 48-bit guest address space",
				 img[i].arg, img[i].base, img[i].size);
			return SIGN_EXIT_FAIL;
		}
		for (unsigned j = 0; j < i; j++) {
			if (img[i].base < img[j].base + img[j].size &&
			    img[j].base < img[i].base + img[i].size) {
				sign_err("--image %s [0x%" PRIx64 ", 0x%" PRIx64
					 ") overlaps --image %s [0x%" PRIx64 ", 0x%" PRIx64 ")",
					 img[i].arg, img[i].base, img[i].base + img[i].size,
					 img[j].arg, img[j].base, img[j].base + img[j].size);
				return SIGN_EXIT_FAIL;
			}
		}
		if (entry >= img[i].base && entry - img[i].base < img[i].size)
			inside = true;
		bool in_ram = l->nram == 0; /* v1: nothing to be in */
		for (unsigned j = 0; j < l->nram && !in_ram; j++)
			in_ram = img[i].base >= l->ram[j].base && img[i].size <= l->ram[j].size &&
				 img[i].base - l->ram[j].base <= l->ram[j].size - img[i].size;
		if (!in_ram) {
			sign_err("--image %s [0x%" PRIx64 ", 0x%" PRIx64
				 ") is not inside one --ram range",
				 img[i].arg, img[i].base, img[i].base + img[i].size);
			return SIGN_EXIT_FAIL;
		}
	}
	if (!inside) {
		sign_err("--entry 0x%" PRIx64 ": outside every image:", entry);
		for (unsigned i = 0; i < n; i++)
			fprintf(stderr, "  %s [0x%" PRIx64 ", 0x%" PRIx64 ")\n", img[i].path,
				img[i].base, img[i].base + img[i].size);
		return SIGN_EXIT_FAIL;
	}
	return 0;
}

/* Write `len` bytes to `path` atomically: a temporary file, then rename. */
static int sign_write_file(const char *path, const uint8_t *buf, size_t len)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + sizeof(".XXXXXX"));
	int fd;

	if (!tmp) {
		sign_err("out of memory");
		return SIGN_EXIT_FAIL;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", sizeof(".XXXXXX"));
	fd = mkstemp(tmp);
	if (fd < 0) {
		sign_err("%s: cannot create a temporary file next to it: %s", path,
			 strerror(errno));
		free(tmp);
		return SIGN_EXIT_FAIL;
	}
	if (fchmod(fd, 0644) != 0 || sign_write_all(fd, (const char *)buf, len) != 0 ||
	    fsync(fd) != 0) {
		sign_err("%s: write failed: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return SIGN_EXIT_FAIL;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		sign_err("%s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return SIGN_EXIT_FAIL;
	}
	free(tmp);
	return 0;
}

/* Does the parsed manifest say exactly what the command line asked for? */
static bool sign_matches(const struct kc_manifest *m, const struct sign_image *img, unsigned n,
			 uint64_t entry, const struct kc_manifest_layout *l)
{
	uint32_t version = l->nram || l->nwin ? KC_MANIFEST_V2 : KC_MANIFEST_V1;

	if (m->version != version || m->nimages != n || m->entry_pc != entry || m->key_index != 0 ||
	    memcmp(&m->layout, l, sizeof(*l)) != 0)
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (m->images[i].guest_base != img[i].base || m->images[i].size != img[i].size ||
		    memcmp(m->images[i].sha256, img[i].sha256, CRYPTO_SHA256_LEN) != 0)
			return false;
	}
	return true;
}

static int sign_sign(int argc, char **argv)
{
	struct sign_image img[KC_MANIFEST_MAX_IMAGES];
	struct kc_manifest_layout layout;
	char *ram_args[KC_MANIFEST_MAX_RAM], *win_args[KC_MANIFEST_MAX_WINDOWS];
	unsigned n = 0;
	const char *key_path = NULL, *entry_arg = NULL, *out_path = NULL;
	uint64_t entry;
	struct sign_key key;
	uint8_t buf[KC_MANIFEST_MAX_SIZE], digest[CRYPTO_SHA256_LEN];
	uint32_t version;
	size_t signed_len, total, len;
	struct kc_manifest m;
	const char *why = NULL;
	uint8_t *back;
	int rc;

	memset(&layout, 0, sizeof(layout));
	for (int i = 0; i < argc; i++) {
		const char *opt = argv[i];

		if (strcmp(opt, "--key") != 0 && strcmp(opt, "--entry") != 0 &&
		    strcmp(opt, "--image") != 0 && strcmp(opt, "-o") != 0 &&
		    strcmp(opt, "--output") != 0 && strcmp(opt, "--ram") != 0 &&
		    strcmp(opt, "--device") != 0)
			return sign_usage_err("sign: unexpected argument '%s'", opt);
		if (i + 1 >= argc)
			return sign_usage_err("sign: %s needs a value", opt);
		char *val = argv[++i];

		if (strcmp(opt, "--ram") == 0) {
			if (layout.nram == KC_MANIFEST_MAX_RAM)
				return sign_usage_err("sign: too many --ram ranges (at most %u)",
						      KC_MANIFEST_MAX_RAM);
			rc = sign_parse_range(opt, val, false, &layout.ram[layout.nram]);
			if (rc)
				return rc;
			ram_args[layout.nram++] = val;
		} else if (strcmp(opt, "--device") == 0) {
			if (layout.nwin == KC_MANIFEST_MAX_WINDOWS)
				return sign_usage_err(
					"sign: too many --device windows (at most %u)",
					KC_MANIFEST_MAX_WINDOWS);
			rc = sign_parse_range(opt, val, true, &layout.win[layout.nwin]);
			if (rc)
				return rc;
			win_args[layout.nwin++] = val;
		} else if (strcmp(opt, "--key") == 0) {
			key_path = val;
		} else if (strcmp(opt, "--entry") == 0) {
			entry_arg = val;
		} else if (strcmp(opt, "-o") == 0 || strcmp(opt, "--output") == 0) {
			out_path = val;
		} else {
			const char *colon = strchr(val, ':');
			char num[32];

			if (n == KC_MANIFEST_MAX_IMAGES)
				return sign_usage_err("sign: too many images (at most %u)",
						      KC_MANIFEST_MAX_IMAGES);
			if (!colon || colon == val || colon[1] == '\0')
				return sign_usage_err("sign: --image '%s': expected BASE:FILE",
						      val);
			if ((size_t)(colon - val) >= sizeof(num))
				return sign_usage_err("sign: --image '%s': bad base address", val);
			memcpy(num, val, (size_t)(colon - val));
			num[colon - val] = '\0';
			if (!sign_parse_u64(num, &img[n].base))
				return sign_usage_err("sign: --image '%s': bad base address '%s' "
						      "(decimal or 0x-hex)",
						      val, num);
			if (img[n].base % SIGN_PAGE)
				return sign_usage_err("sign: --image '%s': base 0x%" PRIx64
						      " is not 4 KiB aligned",
						      val, img[n].base);
			if (img[n].base >= SIGN_GPA_LIMIT)
				return sign_usage_err("sign: --image '%s': base 0x%" PRIx64
						      " is beyond 2^48",
						      val, img[n].base);
			img[n].arg = val;
			img[n].path = colon + 1;
			n++;
		}
	}
	if (!key_path)
		return sign_usage_err("sign: --key PRIV_FILE is required");
	if (!entry_arg)
		return sign_usage_err("sign: --entry PC is required");
	if (n == 0)
		return sign_usage_err("sign: at least one --image BASE:FILE is required");
	if (!out_path)
		return sign_usage_err("sign: -o OUT is required");
	if (!sign_parse_u64(entry_arg, &entry))
		return sign_usage_err("sign: --entry '%s': bad number (decimal or 0x-hex)",
				      entry_arg);
	if (entry % 4)
		return sign_usage_err("sign: --entry 0x%" PRIx64 ": not 4-byte aligned", entry);
	if (layout.nwin && !layout.nram)
		return sign_usage_err("sign: --device needs at least one --ram range (the images "
				      "lie in RAM)");
	rc = sign_check_ranges(&layout, ram_args, win_args);
	if (rc)
		return rc;

	rc = sign_load_priv(key_path, &key);
	if (rc)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		rc = sign_hash_image(&img[i]);
		if (rc)
			goto out;
	}
	rc = sign_check_layout(img, n, entry, &layout);
	if (rc)
		goto out;

	version = layout.nram ? KC_MANIFEST_V2 : KC_MANIFEST_V1;
	signed_len = KC_MANIFEST_HEADER_SIZE + n * KC_MANIFEST_IMAGE_SIZE;
	if (version == KC_MANIFEST_V2)
		signed_len += KC_MANIFEST_LAYOUT_SIZE +
			      (layout.nram + layout.nwin) * KC_MANIFEST_RANGE_SIZE;
	total = signed_len + KC_MANIFEST_SIG_SIZE;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, KC_MANIFEST_MAGIC, 8);
	sign_put_le32(buf + 8, version);
	sign_put_le32(buf + 12, n);
	sign_put_le64(buf + 16, entry);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *rec = buf + KC_MANIFEST_HEADER_SIZE + i * KC_MANIFEST_IMAGE_SIZE;

		sign_put_le64(rec, img[i].base);
		sign_put_le64(rec + 8, img[i].size);
		memcpy(rec + 16, img[i].sha256, CRYPTO_SHA256_LEN);
	}
	if (version == KC_MANIFEST_V2) {
		uint8_t *rec = buf + KC_MANIFEST_HEADER_SIZE + n * KC_MANIFEST_IMAGE_SIZE;

		sign_put_le32(rec, layout.nram);
		sign_put_le32(rec + 4, layout.nwin);
		rec += KC_MANIFEST_LAYOUT_SIZE;
		for (unsigned i = 0; i < layout.nram + layout.nwin;
		     i++, rec += KC_MANIFEST_RANGE_SIZE) {
			const struct kc_manifest_range *r =
				i < layout.nram ? &layout.ram[i] : &layout.win[i - layout.nram];

			sign_put_le64(rec, r->base);
			sign_put_le64(rec + 8, r->size);
			sign_put_le64(rec + 16, r->flags);
		}
	}
	crypto_sha256(buf, signed_len, digest);
	/* RFC 6979: the nonce comes from the key and digest, so output is reproducible. */
	if (br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, digest, &key.sk,
				  buf + signed_len) != KC_MANIFEST_SIG_SIZE) {
		sign_err("sign: BearSSL could not sign");
		rc = SIGN_EXIT_FAIL;
		goto out;
	}

	/* kcore's own parser has the last word, before and after writing. */
	if (manifest_parse(buf, total, &key.pub, 1, &m, &why) != KC_OK ||
	    !sign_matches(&m, img, n, entry, &layout)) {
		sign_err("sign: internal error: the manifest does not pass kcore's check (%s)",
			 why ? why : "fields differ");
		rc = SIGN_EXIT_FAIL;
		goto out;
	}
	rc = sign_write_file(out_path, buf, total);
	if (rc)
		goto out;
	rc = sign_read_file(out_path, SIGN_MAX_FILE, &back, &len);
	if (rc)
		goto out;
	why = NULL;
	if (len != total || memcmp(back, buf, total) != 0 ||
	    manifest_parse(back, len, &key.pub, 1, &m, &why) != KC_OK ||
	    !sign_matches(&m, img, n, entry, &layout)) {
		sign_err("sign: %s: SELF-CHECK FAILED: what was written does not verify (%s); "
			 "removed it",
			 out_path, why ? why : "contents differ");
		unlink(out_path);
		rc = SIGN_EXIT_FAIL;
	}
	free(back);
	if (rc)
		goto out;
	printf("%s: %zu bytes, format v%u, %u image%s, entry 0x%" PRIx64, out_path, total,
	       (unsigned)version, n, n == 1 ? "" : "s", entry);
	if (version == KC_MANIFEST_V2)
		printf(", %u RAM range%s, %u device window%s", layout.nram,
		       layout.nram == 1 ? "" : "s", layout.nwin, layout.nwin == 1 ? "" : "s");
	printf(", verified\n");
out:
	sign_wipe(&key, sizeof(key));
	return rc;
}

/* ---- verify / show ------------------------------------------------------ */

static void sign_print_manifest(const struct kc_manifest *m)
{
	const struct kc_manifest_layout *l = &m->layout;

	printf("format v%u\n", (unsigned)m->version);
	printf("entry 0x%016" PRIx64 "\n", m->entry_pc);
	for (unsigned i = 0; i < m->nimages; i++) {
		const struct kc_manifest_image *img = &m->images[i];

		printf("image %u: base 0x%016" PRIx64 " size 0x%" PRIx64 " sha256 ", i,
		       img->guest_base, img->size);
		sign_print_hex(stdout, img->sha256, CRYPTO_SHA256_LEN);
		putchar('\n');
	}
	if (m->version == KC_MANIFEST_V1)
		printf("layout: none declared (v1): the VM can have no devices\n");
	for (unsigned i = 0; i < l->nram; i++)
		printf("ram %u: base 0x%016" PRIx64 " size 0x%" PRIx64 "\n", i, l->ram[i].base,
		       l->ram[i].size);
	for (unsigned i = 0; i < l->nwin; i++)
		printf("device %u: base 0x%016" PRIx64 " size 0x%" PRIx64 "%s\n", i, l->win[i].base,
		       l->win[i].size, l->win[i].flags & KC_MANIFEST_WIN_SHARED ? " shared" : "");
}

static int sign_verify(int argc, char **argv)
{
	uint8_t keys[KC_MAX_TRUSTED_KEYS][CRYPTO_P256_PUB_LEN];
	unsigned nkeys = 0;
	const char *path = NULL;
	struct kc_manifest m;
	const char *why = NULL;
	uint8_t *buf;
	size_t len;
	int rc, status;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--pub") == 0) {
			if (i + 1 >= argc)
				return sign_usage_err("verify: --pub needs a value");
			if (nkeys == KC_MAX_TRUSTED_KEYS)
				return sign_usage_err("verify: at most %u --pub keys (as kcore)",
						      KC_MAX_TRUSTED_KEYS);
			rc = sign_load_pub(argv[++i], keys[nkeys]);
			if (rc)
				return rc;
			nkeys++;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return sign_usage_err("verify: unknown option '%s'", argv[i]);
		} else if (!path) {
			path = argv[i];
		} else {
			return sign_usage_err("verify: unexpected argument '%s'", argv[i]);
		}
	}
	if (nkeys == 0)
		return sign_usage_err("verify: --pub PUB_FILE is required");
	if (!path)
		return sign_usage_err("verify: MANIFEST is required");
	rc = sign_read_file(path, SIGN_MAX_FILE, &buf, &len);
	if (rc)
		return rc;
	status = manifest_parse(buf, len, (const uint8_t(*)[CRYPTO_P256_PUB_LEN])keys, nkeys, &m,
				&why);
	free(buf);
	if (status != KC_OK) {
		printf("%s: %s: %s\n", path, kcore_err_name(status), why ? why : "(no reason)");
		return SIGN_EXIT_FAIL;
	}
	printf("ok: %s: signed by key %u, %u image%s\n", path, m.key_index, m.nimages,
	       m.nimages == 1 ? "" : "s");
	sign_print_manifest(&m);
	return 0;
}

/*
 * show, v2: the layout block at *signed_len, as far as the file reaches.
 * Moves *signed_len past it; true if the file ends inside it.
 */
static bool sign_show_layout(const uint8_t *buf, size_t len, size_t *signed_len)
{
	size_t at = *signed_len, avail;
	uint32_t nram, nwin;

	if (len - at < KC_MANIFEST_LAYOUT_SIZE) {
		printf("(the file ends before the layout counts)\n");
		return true;
	}
	nram = sign_le32(buf + at);
	nwin = sign_le32(buf + at + 4);
	printf("nram     %" PRIu32 "\nnwin     %" PRIu32 "\n", nram, nwin);
	at += KC_MANIFEST_LAYOUT_SIZE;
	avail = (len - at) / KC_MANIFEST_RANGE_SIZE;
	for (size_t i = 0; i < (size_t)nram + nwin && i < avail; i++) {
		const uint8_t *rec = buf + at + i * KC_MANIFEST_RANGE_SIZE;

		if (i < nram)
			printf("ram %zu    ", i);
		else
			printf("device %zu ", i - nram);
		printf("base 0x%016" PRIx64 " size 0x%" PRIx64 " flags 0x%" PRIx64 "\n",
		       sign_le64(rec), sign_le64(rec + 8), sign_le64(rec + 16));
	}
	if ((uint64_t)nram + nwin > avail) {
		printf("(the file ends after %zu of %" PRIu64 " ranges)\n", avail,
		       (uint64_t)nram + nwin);
		return true;
	}
	*signed_len = at + ((size_t)nram + nwin) * KC_MANIFEST_RANGE_SIZE;
	return false;
}

/*
 * Print whatever the file holds, trusting nothing: fields are shown as far
 * as the file reaches, and a count too large for the file is only reported.
 */
static int sign_show(int argc, char **argv)
{
	uint8_t *buf;
	size_t len, avail, signed_len;
	uint32_t n;
	int rc;

	if (argc != 1 || (argv[0][0] == '-' && argv[0][1] != '\0'))
		return sign_usage_err("show: need exactly MANIFEST");
	rc = sign_read_file(argv[0], SIGN_MAX_FILE, &buf, &len);
	if (rc)
		return rc;
	printf("file     %s, %zu bytes\n", argv[0], len);
	if (len < KC_MANIFEST_HEADER_SIZE) {
		sign_err("%s: shorter than a manifest header (%u bytes)", argv[0],
			 KC_MANIFEST_HEADER_SIZE);
		free(buf);
		return SIGN_EXIT_FAIL;
	}
	printf("magic    ");
	for (int i = 0; i < 8; i++)
		putchar(buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '.');
	printf("%s\n",
	       memcmp(buf, KC_MANIFEST_MAGIC, 8) == 0 ? "" : "  (not " KC_MANIFEST_MAGIC ")");
	printf("version  %" PRIu32 "\n", sign_le32(buf + 8));
	n = sign_le32(buf + 12);
	printf("nimages  %" PRIu32 "\n", n);
	printf("entry    0x%016" PRIx64 "\n", sign_le64(buf + 16));
	avail = (len - KC_MANIFEST_HEADER_SIZE) / KC_MANIFEST_IMAGE_SIZE;
	for (size_t i = 0; i < n && i < avail; i++) {
		const uint8_t *rec = buf + KC_MANIFEST_HEADER_SIZE + i * KC_MANIFEST_IMAGE_SIZE;

		printf("image %zu  base 0x%016" PRIx64 " size 0x%" PRIx64 "\n         sha256 ", i,
		       sign_le64(rec), sign_le64(rec + 8));
		sign_print_hex(stdout, rec + 16, CRYPTO_SHA256_LEN);
		putchar('\n');
	}
	if (n > avail) {
		printf("(the file ends after %zu of %" PRIu32 " images)\n", avail, n);
		rc = SIGN_EXIT_FAIL;
	} else {
		signed_len = KC_MANIFEST_HEADER_SIZE + (size_t)n * KC_MANIFEST_IMAGE_SIZE;
		if (sign_le32(buf + 8) == KC_MANIFEST_V2 && sign_show_layout(buf, len, &signed_len))
			rc = SIGN_EXIT_FAIL;
		else if (len - signed_len < KC_MANIFEST_SIG_SIZE) {
			printf("(the file ends before the signature)\n");
			rc = SIGN_EXIT_FAIL;
		} else {
			size_t nonzero = 0;

			printf("sig r    ");
			sign_print_hex(stdout, buf + signed_len, 32);
			printf("\nsig s    ");
			sign_print_hex(stdout, buf + signed_len + 32, 32);
			putchar('\n');
			for (size_t k = signed_len + KC_MANIFEST_SIG_SIZE; k < len; k++)
				nonzero += buf[k] != 0;
			printf("trailing %zu bytes, %zu non-zero\n",
			       len - signed_len - KC_MANIFEST_SIG_SIZE, nonzero);
		}
	}
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} cmds[] = {
		{ "keygen", sign_keygen }, { "sign", sign_sign }, { "verify", sign_verify },
		{ "show", sign_show },	   { "pub", sign_pub },
	};

	if (argc < 2) {
		fputs(sign_usage_text, stderr);
		return SIGN_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(sign_usage_text, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			/* -h anywhere after the command is a request for help, not a file. */
			for (int j = 2; j < argc; j++) {
				if (strcmp(argv[j], "-h") == 0 || strcmp(argv[j], "--help") == 0) {
					fputs(sign_usage_text, stdout);
					return 0;
				}
			}
			return cmds[i].run(argc - 2, argv + 2);
		}
	}
	return sign_usage_err("unknown command '%s'", argv[1]);
}
