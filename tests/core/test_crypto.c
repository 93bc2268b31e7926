/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kcore/crypto.h: the known-answer self-test (the same one arm64 runs at
 * EL2), then properties the KATs cannot show: signatures made by a separate
 * signer verify and every damaged one is refused; hashing in pieces equals
 * hashing at once; an AEAD open that fails leaves the buffer untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <bearssl.h>
#include <kcore/crypto.h>
#include <kcore_hosted/machine.h>

static struct hm_machine *machine;

static int setup(void **state)
{
	struct hm_config cfg = { .ram_base = 0x40000000, .ram_size = 1 << 20, .ncpus = 1 };
	(void)state;
	return hm_machine_create(&cfg, &machine);
}

static int teardown(void **state)
{
	(void)state;
	hm_machine_destroy(machine);
	return 0;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_selftest_passes_and_reports_each_kat(void **state)
{
	(void)state;
	hm_console_clear(machine);
	assert_int_equal(crypto_selftest(), 0);
	const char *out = hm_console_text(machine, NULL);
	assert_int_equal(count(out, "crypto-kat: ok"), 5);
	assert_int_equal(count(out, "FAIL"), 0);
	assert_non_null(strstr(out, "ECDSA P-256 verify"));
}

/* Deterministic bytes for the property tests. */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void test_signatures_from_an_independent_signer(void **state)
{
	(void)state;
	for (uint32_t k = 1; k <= 4; k++) {
		br_hmac_drbg_context rng;
		unsigned char skbuf[BR_EC_KBUF_PRIV_MAX_SIZE], pub[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_private_key sk;
		br_ec_public_key pk;
		uint8_t digest[32], sig[64];

		br_hmac_drbg_init(&rng, &br_sha256_vtable, &k, sizeof(k));
		assert_true(
			br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &sk, skbuf, BR_EC_secp256r1));
		assert_int_equal(br_ec_compute_pub(&br_ec_p256_m31, &pk, pub, &sk), 65);
		fill(digest, sizeof(digest), k);
		assert_int_equal(
			br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, digest, &sk, sig),
			64);
		assert_true(crypto_p256_verify(pub, digest, sig));
		/* Every byte of the signature matters. */
		for (unsigned i = 0; i < sizeof(sig); i++) {
			sig[i] ^= (uint8_t)(1u << (i % 8));
			assert_false(crypto_p256_verify(pub, digest, sig));
			sig[i] ^= (uint8_t)(1u << (i % 8));
		}
		/* r = 0 and s = 0 are never valid. */
		uint8_t zero[64];
		memcpy(zero, sig, 64);
		memset(zero, 0, 32);
		assert_false(crypto_p256_verify(pub, digest, zero));
		memcpy(zero, sig, 64);
		memset(zero + 32, 0, 32);
		assert_false(crypto_p256_verify(pub, digest, zero));
	}
}

static void test_sha256_in_pieces_equals_at_once(void **state)
{
	(void)state;
	static uint8_t data[10000];
	uint8_t once[32], pieces[32];

	fill(data, sizeof(data), 7);
	for (size_t len = 0; len <= sizeof(data); len += 997) {
		crypto_sha256(data, len, once);
		struct crypto_sha256 ctx;
		crypto_sha256_init(&ctx);
		for (size_t off = 0, step = 1; off < len; off += step, step = step * 3 + 1)
			crypto_sha256_update(&ctx, data + off, step < len - off ? step : len - off);
		crypto_sha256_final(&ctx, pieces);
		assert_memory_equal(once, pieces, 32);
	}
}

static void test_aead_round_trip_and_refusal(void **state)
{
	(void)state;
	uint8_t key[32], nonce[12], aad[20], pt[300], buf[300], ct[300], tag[16];

	fill(key, sizeof(key), 1);
	fill(nonce, sizeof(nonce), 2);
	fill(aad, sizeof(aad), 3);
	for (size_t len = 0; len <= sizeof(pt); len += 75) {
		fill(pt, len, (uint32_t)len);
		memcpy(buf, pt, len);
		crypto_aead_seal(key, nonce, aad, sizeof(aad), buf, len, tag);
		assert_true(len == 0 || memcmp(buf, pt, len) != 0);
		memcpy(ct, buf, len);
		for (size_t i = 0; i < len; i += 37) { /* damaged ciphertext */
			buf[i] ^= 0x80;
			assert_false(crypto_aead_open(key, nonce, aad, sizeof(aad), buf, len, tag));
			buf[i] ^= 0x80;
			assert_memory_equal(buf, ct, len);
		}
		nonce[0] ^= 1; /* wrong nonce */
		assert_false(crypto_aead_open(key, nonce, aad, sizeof(aad), buf, len, tag));
		nonce[0] ^= 1;
		assert_true(len == 0 || memcmp(buf, ct, len) == 0);
		assert_true(crypto_aead_open(key, nonce, aad, sizeof(aad), buf, len, tag));
		assert_true(len == 0 || memcmp(buf, pt, len) == 0);
	}
}

static void test_hkdf_depends_on_every_input(void **state)
{
	(void)state;
	uint8_t a[32], b[32];

	crypto_hkdf_sha256("salt", 4, "ikm", 3, "info", 4, a, sizeof(a));
	crypto_hkdf_sha256("salt", 4, "ikm", 3, "inf0", 4, b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	crypto_hkdf_sha256("salt", 4, "ikM", 3, "info", 4, b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	crypto_hkdf_sha256("Salt", 4, "ikm", 3, "info", 4, b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	crypto_hkdf_sha256("salt", 4, "ikm", 3, "info", 4, b, sizeof(b));
	assert_memory_equal(a, b, sizeof(a));
}

static void test_equal_is_exact(void **state)
{
	(void)state;
	uint8_t x[40], y[40];

	fill(x, sizeof(x), 9);
	memcpy(y, x, sizeof(y));
	assert_true(crypto_equal(x, y, sizeof(x)));
	for (unsigned i = 0; i < sizeof(x); i++) {
		y[i] ^= 0x01;
		assert_false(crypto_equal(x, y, sizeof(x)));
		y[i] ^= 0x01;
	}
	assert_true(crypto_equal(x, y, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selftest_passes_and_reports_each_kat),
		cmocka_unit_test(test_signatures_from_an_independent_signer),
		cmocka_unit_test(test_sha256_in_pieces_equals_at_once),
		cmocka_unit_test(test_aead_round_trip_and_refusal),
		cmocka_unit_test(test_hkdf_depends_on_every_input),
		cmocka_unit_test(test_equal_is_exact),
	};
	return cmocka_run_group_tests_name("crypto", tests, setup, teardown);
}
