/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A main() that feeds files to a fuzz target's LLVMFuzzerTestOneInput, after
 * Xen's tools/fuzz afl-harness: every build (gcc too, no libFuzzer) replays
 * the committed corpus and the kept crashes as regression tests
 * (`meson test --suite fuzz-replay`).
 *
 *   replay-TARGET FILE|DIR...     a directory means every file in it
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned fr_count;

static int fr_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", path);
		return 1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	fr_count++;
	return 0;
}

static int fr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int fr_path(const char *path)
{
	struct stat st;
	if (stat(path, &st)) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return fr_file(path);
	DIR *d = opendir(path);
	if (!d) {
		perror(path);
		return 1;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*names));
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		if (!nn || !(nn[n] = malloc(len))) {
			names = nn;
			rc = 1;
			break;
		}
		names = nn;
		snprintf(names[n++], len, "%s/%s", path, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), fr_cmp); /* the same order on every machine */
	for (size_t i = 0; i < n; i++) {
		rc |= fr_path(names[i]);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		rc |= fr_path(argv[i]);
	printf("%s: %u inputs replayed\n", argv[0], fr_count);
	return rc;
}
