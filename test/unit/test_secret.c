/*
 * Secrets (issue 14, item 7): tokens are compared in constant time, and a
 * getrandom() that fails makes no token at all.  The failure is real: a
 * seccomp filter makes the kernel answer getrandom with ENOSYS.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

static void secret_equal(void **state)
{
	(void)state;
	assert_true(hodei__secret_equal("s3cret", "s3cret"));
	assert_false(hodei__secret_equal("s3cres", "s3cret"));
	assert_false(hodei__secret_equal("s3cre", "s3cret"));   /* a prefix */
	assert_false(hodei__secret_equal("s3crett", "s3cret")); /* longer */
	assert_false(hodei__secret_equal("", "s3cret"));
	assert_true(hodei__secret_equal("", ""));
}

static void random_hex_works(void **state)
{
	char a[41], b[41];
	(void)state;
	assert_int_equal(hodei__random_hex(a, 20), 0);
	assert_int_equal(hodei__random_hex(b, 20), 0);
	assert_int_equal(strlen(a), 40);
	assert_string_not_equal(a, b);
}

/* From now on getrandom fails with ENOSYS in this process: in every thread
 * (TSYNC), the context's loop thread included, where worker calls run. */
static void break_getrandom(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };
	assert_int_equal(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	assert_int_equal(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
	                         &prog), 0);
}

static void failing_getrandom_makes_no_token(void **state)
{
	char db[] = "/tmp/hodei-test-secret-XXXXXX", path[64], hex[41];
	hodei_ctx *ctx;
	hodei_worker *w = NULL;
	(void)state;
	assert_non_null(mkdtemp(db));
	snprintf(path, sizeof(path), "%s/hodei.db", db);
	hodei_ctx_options o = HODEI_CTX_OPTIONS_INIT;
	o.db_path = path;
	o.flags = HODEI_CTX_NO_LOCAL_PROVIDER | HODEI_CTX_IGNORE_ENV;
	assert_int_equal(hodei_ctx_open(&ctx, &o), 0);

	break_getrandom();
	memset(hex, 'x', sizeof(hex));
	assert_int_equal(hodei__random_hex(hex, 20), HODEI_EIO);
	assert_non_null(strstr(hodei_error_last(), "getrandom"));
	/* a worker needs a token: without randomness there is no worker */
	assert_int_equal(hodei_worker_attach(&w, ctx, "pool-a", "w1"), HODEI_EIO);
	assert_null(w);

	hodei_ctx_close(ctx);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hodei.db-wal", db);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hodei.db-shm", db);
	unlink(path);
	rmdir(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(secret_equal),
		cmocka_unit_test(random_hex_works),
		cmocka_unit_test(failing_getrandom_makes_no_token), /* last: breaks getrandom */
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
