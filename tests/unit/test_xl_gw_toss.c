/*
 * Unit tests for lib/xl_gw_toss.h, against tests/tools/xl-fake-toss
 * started as a child process (no database). The fake chooses its faults
 * by paymentKey: "decline...", "error500...", "slow...", "drop...".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>

#include "xl_buf.h"
#include "xl_err.h"
#include "xl_gw_toss.h"
#include "xl_banned.h"

static pid_t fake_pid = -1;
static char base_url[64];

/*
 * The fake sits next to this program's directory (tests/unit/../tools),
 * whatever the current directory; the path relative to the repository
 * root is the fallback.
 */
static void fake_path(char *path, size_t size)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, size, "%s/../tools/xl-fake-toss", exe);
			if (access(path, X_OK) == 0)
				return;
		}
	}
	snprintf(path, size, "tests/tools/xl-fake-toss");
}

static int start_fake(void **state)
{
	char path[4200], line[32];
	int fds[2];
	FILE *in;
	long port;

	(void)state;
	fake_path(path, sizeof(path));
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fake_pid = fork();
	if (fake_pid < 0)
		return -1;
	if (fake_pid == 0) {
		/* Do not outlive a test that crashes. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		execl(path, "xl-fake-toss", "-p", "0", "-s", "test_sk", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	if (!in) {
		close(fds[0]);
		return -1;
	}
	if (!fgets(line, sizeof(line), in)) {
		fprintf(stderr, "cannot start '%s'\n", path);
		fclose(in);
		return -1;
	}
	fclose(in);
	port = strtol(line, NULL, 10);
	if (port <= 0 || port > 65535)
		return -1;
	snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%ld", port);
	/* A proxy from the environment must not stand between us and the fake. */
	setenv("no_proxy", "127.0.0.1", 1);
	setenv("NO_PROXY", "127.0.0.1", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return 0;
}

/* Stop the fake; a failure if it did not exit cleanly (a sanitizer report, say). */
static int stop_fake(void **state)
{
	int status = 0, ret = 0;

	(void)state;
	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		while (waitpid(fake_pid, &status, 0) < 0 && errno == EINTR)
			;
		fake_pid = -1;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "xl-fake-toss ended with status %d\n", status);
			ret = -1;
		}
	}
	curl_global_cleanup();
	return ret;
}

/* Before each test: the configuration that works. */
static int reset_env(void **state)
{
	(void)state;
	setenv("XLCFI_TOSS_BASE_URL", base_url, 1);
	setenv("XLCFI_TOSS_SECRET_KEY", "test_sk", 1);
	setenv("XLCFI_TOSS_TIMEOUT_MS", "1000", 1);
	unsetenv("XLCFI_TOSS_SECRET_KEY_FILE");
	return 0;
}

static struct xl_gw_toss *open_toss(void)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_toss *t = NULL;
	int rc = xl_gw_toss_open(&t, &err);

	if (rc != 0)
		fprintf(stderr, "xl_gw_toss_open: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(t);
	return t;
}

static void release(struct xl_gw_result *res)
{
	json_decref(res->raw);
	res->raw = NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	return xl_buf_add(userdata, data, size * nmemb) < 0 ? 0 : size * nmemb;
}

/* One of the fake's counts, from GET /_stats (on a connection of its own). */
static long long fake_stat(const char *name)
{
	struct xl_buf b;
	char url[128];
	json_t *stats, *n;
	long long v;
	CURL *c;

	xl_buf_init(&b, 4096);
	snprintf(url, sizeof(url), "%s/_stats", base_url);
	c = curl_easy_init();
	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	stats = json_loads(b.buf, 0, NULL);
	assert_non_null(stats);
	n = json_object_get(stats, name);
	assert_true(json_is_integer(n));
	v = (long long)json_integer_value(n);
	json_decref(stats);
	xl_buf_release(&b);
	return v;
}

static long long captures(void)
{
	return fake_stat("captures");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_charge_success(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-ok-1", .order_ref = "xlcfi-1", .amount_minor = 15000,
				     .currency = "KRW", .method = "pk_ok_1" };
	struct xl_gw_toss *t = open_toss();
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;

	(void)state;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	assert_string_equal(res.payment_key, "pk_ok_1");
	assert_int_equal(res.amount_minor, 15000);
	assert_string_equal(res.code, "");
	assert_non_null(res.raw);
	assert_string_equal(json_string_value(json_object_get(res.raw, "status")), "DONE");
	assert_string_equal(json_string_value(json_object_get(res.raw, "orderId")), "xlcfi-1");
	release(&res);

	assert_int_equal(xl_gw_toss_lookup(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	assert_string_equal(res.payment_key, "pk_ok_1");
	assert_int_equal(res.amount_minor, 15000);
	release(&res);
	xl_gw_toss_close(t);
}

static void test_repeated_key_captures_once(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-rep-1", .order_ref = "xlcfi-2", .amount_minor = 5000,
				     .currency = "KRW", .method = "pk_rep_1" };
	struct xl_gw_toss *t = open_toss();
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;
	long long before = captures();

	(void)state;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	release(&res);
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	assert_string_equal(res.payment_key, "pk_rep_1");
	assert_int_equal(res.amount_minor, 5000);
	release(&res);
	assert_int_equal(captures(), before + 1);

	/* Another key for an order already paid is refused, and charges nothing. */
	req.idempotency_key = "k-rep-2";
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_ERROR);
	assert_string_equal(res.code, "ALREADY_PROCESSED_PAYMENT");
	release(&res);
	assert_int_equal(captures(), before + 1);
	xl_gw_toss_close(t);
}

/*
 * A charge never goes out on a reused connection (libcurl would send it
 * again by itself if that connection were found dead: see nothing_sent in
 * lib/xl_gw_toss.c); lookups may share one.
 */
static void test_charge_on_fresh_connection(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-fresh-1", .order_ref = "xlcfi-fresh-1",
				     .amount_minor = 1000, .currency = "KRW", .method = "pk_fresh_1" };
	struct xl_gw_toss *t = open_toss();
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;
	long long before;

	(void)state;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	release(&res);
	before = fake_stat("connections");
	/* Two lookups reuse the connection the charge left open (+1: the count's own). */
	assert_int_equal(xl_gw_toss_lookup(t, &req, &res, &err), 0);
	release(&res);
	assert_int_equal(xl_gw_toss_lookup(t, &req, &res, &err), 0);
	release(&res);
	assert_int_equal(fake_stat("connections"), before + 1);
	/* Two charges after them: a new connection each, though one is open. */
	before = fake_stat("connections");
	for (int i = 2; i <= 3; i++) {
		char key[32], ref[32], method[32];

		snprintf(key, sizeof(key), "k-fresh-%d", i);
		snprintf(ref, sizeof(ref), "xlcfi-fresh-%d", i);
		snprintf(method, sizeof(method), "pk_fresh_%d", i);
		req.idempotency_key = key;
		req.order_ref = ref;
		req.method = method;
		assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
		assert_int_equal(res.outcome, XL_GW_SUCCESS);
		release(&res);
	}
	assert_int_equal(fake_stat("connections"), before + 2 + 1);
	xl_gw_toss_close(t);
}

static void test_decline(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-dec-1", .order_ref = "xlcfi-3", .amount_minor = 7000,
				     .currency = "KRW", .method = "decline_card" };
	struct xl_gw_toss *t = open_toss();
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;

	(void)state;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_DECLINED);
	assert_string_equal(res.code, "REJECT_CARD_COMPANY");
	assert_string_equal(res.message, "카드사에서 거절");
	assert_int_equal(res.amount_minor, 0);
	assert_string_equal(json_string_value(json_object_get(res.raw, "code")), "REJECT_CARD_COMPANY");
	release(&res);

	/* Nothing was charged. */
	assert_int_equal(xl_gw_toss_lookup(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_NOTFOUND);
	release(&res);
	xl_gw_toss_close(t);
}

static void test_server_error_is_unknown(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-500-1", .order_ref = "xlcfi-4", .amount_minor = 100,
				     .currency = "KRW", .method = "error500_x" };
	struct xl_gw_toss *t = open_toss();
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;

	(void)state;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_UNKNOWN);
	assert_string_equal(res.code, "FAILED_INTERNAL_SYSTEM_PROCESSING");
	assert_non_null(res.raw);
	release(&res);
	xl_gw_toss_close(t);
}

static void test_slow_is_unknown_after_timeout(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-slow-1", .order_ref = "xlcfi-5", .amount_minor = 100,
				     .currency = "KRW", .method = "slow_1" };
	struct xl_gw_toss *t = open_toss();
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;
	long long start = now_ms(), took;

	(void)state;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	took = now_ms() - start;
	assert_int_equal(res.outcome, XL_GW_UNKNOWN);
	assert_true(!strncmp(res.message, "no answer from the gateway: ", 28));
	assert_null(res.raw);
	assert_in_range(took, 900, 2500);
	xl_gw_toss_close(t);
}

static void test_drop_is_unknown_then_found(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-drop-1", .order_ref = "xlcfi-6", .amount_minor = 4200,
				     .currency = "KRW", .method = "drop_1" };
	struct xl_gw_toss *t = open_toss();
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;
	long long before = captures();

	(void)state;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_UNKNOWN);
	assert_true(!strncmp(res.message, "no answer from the gateway: ", 28));
	release(&res);
	assert_int_equal(captures(), before + 1);

	assert_int_equal(xl_gw_toss_lookup(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	assert_string_equal(res.payment_key, "drop_1");
	assert_int_equal(res.amount_minor, 4200);
	release(&res);
	xl_gw_toss_close(t);
}

static void test_lookup_unknown_order(void **state)
{
	struct xl_gw_request req = { .order_ref = "xlcfi-never" };
	struct xl_gw_toss *t = open_toss();
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;

	(void)state;
	assert_int_equal(xl_gw_toss_lookup(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_NOTFOUND);
	assert_string_equal(res.code, "NOT_FOUND_PAYMENT");
	assert_string_equal(res.payment_key, "");
	release(&res);
	xl_gw_toss_close(t);
}

static void test_path_parts_escaped(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-esc-1", .order_ref = "주문 7#?&", .amount_minor = 990,
				     .currency = "KRW", .method = "pk esc?1" };
	struct xl_gw_toss *t = open_toss();
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;

	(void)state;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	release(&res);
	assert_int_equal(xl_gw_toss_lookup(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	assert_int_equal(res.amount_minor, 990);
	release(&res);

	req.idempotency_key = "k-esc-2";
	req.payment_key = "pk esc?1";
	req.amount_minor = 0;
	assert_int_equal(xl_gw_toss_cancel(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	assert_int_equal(res.amount_minor, 990);
	release(&res);
	xl_gw_toss_close(t);
}

static void test_cancel_partial_then_too_much(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-can-0", .order_ref = "xlcfi-7", .amount_minor = 10000,
				     .currency = "KRW", .method = "pk_cancel_1" };
	struct xl_gw_toss *t = open_toss();
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;

	(void)state;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	release(&res);

	req.payment_key = "pk_cancel_1";
	req.reason = "고객 변심";
	req.idempotency_key = "k-can-1";
	req.amount_minor = 3000;
	assert_int_equal(xl_gw_toss_cancel(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	assert_string_equal(res.payment_key, "pk_cancel_1");
	assert_int_equal(res.amount_minor, 3000);
	assert_int_equal(json_integer_value(json_object_get(res.raw, "balanceAmount")), 7000);
	release(&res);

	req.idempotency_key = "k-can-2";
	req.amount_minor = 8000;
	assert_int_equal(xl_gw_toss_cancel(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_ERROR);
	assert_string_equal(res.code, "NOT_CANCELABLE_AMOUNT");
	release(&res);

	/* The first cancel again: the same answer, nothing more refunded. */
	req.idempotency_key = "k-can-1";
	req.amount_minor = 3000;
	assert_int_equal(xl_gw_toss_cancel(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	assert_int_equal(res.amount_minor, 3000);
	release(&res);

	/* Amount 0 cancels the rest. */
	req.idempotency_key = "k-can-3";
	req.amount_minor = 0;
	req.reason = NULL;
	assert_int_equal(xl_gw_toss_cancel(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	assert_int_equal(res.amount_minor, 7000);
	assert_string_equal(json_string_value(json_object_get(res.raw, "status")), "CANCELED");
	release(&res);

	assert_int_equal(xl_gw_toss_lookup(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	assert_int_equal(json_integer_value(json_object_get(res.raw, "balanceAmount")), 0);
	assert_int_equal(json_array_size(json_object_get(res.raw, "cancels")), 2);
	release(&res);
	xl_gw_toss_close(t);
}

static void test_wrong_secret(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-auth-1", .order_ref = "xlcfi-8", .amount_minor = 100,
				     .currency = "KRW", .method = "pk_auth_1" };
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;
	struct xl_gw_toss *t;
	long long before = captures();

	(void)state;
	setenv("XLCFI_TOSS_SECRET_KEY", "live_sk_wrong", 1);
	t = open_toss();
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_ERROR);
	assert_string_equal(res.code, "UNAUTHORIZED_KEY");
	assert_null(strstr(res.message, "live_sk_wrong"));
	release(&res);
	assert_int_equal(captures(), before);
	xl_gw_toss_close(t);
}

static void test_missing_secret(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_toss *t = (struct xl_gw_toss *)&err;

	(void)state;
	unsetenv("XLCFI_TOSS_SECRET_KEY");
	assert_int_equal(xl_gw_toss_open(&t, &err), -XL_ECONFIG);
	assert_null(t);
	assert_string_equal(err.msg, "XLCFI_TOSS_SECRET_KEY or XLCFI_TOSS_SECRET_KEY_FILE is not set");
	setenv("XLCFI_TOSS_SECRET_KEY", "", 1);
	assert_int_equal(xl_gw_toss_open(&t, &err), -XL_ECONFIG);
}

static void test_secret_file_mode(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-file-1", .order_ref = "xlcfi-9", .amount_minor = 100,
				     .currency = "KRW", .method = "pk_file_1" };
	char path[] = "/tmp/xl-toss-key.XXXXXX";
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;
	struct xl_gw_toss *t;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "test_sk\n", 8), 8);
	close(fd);
	unsetenv("XLCFI_TOSS_SECRET_KEY");
	setenv("XLCFI_TOSS_SECRET_KEY_FILE", path, 1);

	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(xl_gw_toss_open(&t, &err), -XL_ECONFIG);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "0644"));
	assert_null(strstr(err.msg, "test_sk"));
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(xl_gw_toss_open(&t, &err), -XL_ECONFIG);
	assert_non_null(strstr(err.msg, "0640"));

	/* Mode 0600 is fine, and the trailing newline is not part of the key. */
	assert_int_equal(chmod(path, 0600), 0);
	t = open_toss();
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), 0);
	assert_int_equal(res.outcome, XL_GW_SUCCESS);
	release(&res);
	xl_gw_toss_close(t);

	unlink(path);
	assert_int_equal(xl_gw_toss_open(&t, &err), -XL_ECONFIG);
	assert_non_null(strstr(err.msg, path));
}

static void test_connection_refused(void **state)
{
	struct xl_gw_request req = { .idempotency_key = "k-ref-1", .order_ref = "xlcfi-10", .amount_minor = 100,
				     .currency = "KRW", .method = "pk_ref_1" };
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;
	struct xl_gw_toss *t;
	char url[64];
	int fd;

	(void)state;
	/* A port that was free a moment ago and has no listener now. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	setenv("XLCFI_TOSS_BASE_URL", url, 1);

	t = open_toss();
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), -XL_EUNAVAIL);
	assert_int_equal(err.code, XL_EUNAVAIL);
	assert_non_null(strstr(err.msg, url));
	assert_null(strstr(err.msg, "test_sk"));
	assert_null(res.raw);
	assert_int_equal(xl_gw_toss_lookup(t, &req, &res, &err), -XL_EUNAVAIL);
	xl_gw_toss_close(t);
}

static void test_bad_config(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_toss *t;

	(void)state;
	setenv("XLCFI_TOSS_TIMEOUT_MS", "1s", 1);
	assert_int_equal(xl_gw_toss_open(&t, &err), -XL_ECONFIG);
	assert_non_null(strstr(err.msg, "XLCFI_TOSS_TIMEOUT_MS"));
	setenv("XLCFI_TOSS_TIMEOUT_MS", "0", 1);
	assert_int_equal(xl_gw_toss_open(&t, &err), -XL_ECONFIG);
	setenv("XLCFI_TOSS_TIMEOUT_MS", "1000", 1);
	setenv("XLCFI_TOSS_BASE_URL", "ftp://127.0.0.1", 1);
	assert_int_equal(xl_gw_toss_open(&t, &err), -XL_ECONFIG);
	assert_non_null(strstr(err.msg, "XLCFI_TOSS_BASE_URL"));
	/* A trailing slash on the base URL is harmless. */
	{
		char url[80];
		struct xl_gw_request req = { .order_ref = "xlcfi-1" };
		struct xl_gw_result res;

		snprintf(url, sizeof(url), "%s/", base_url);
		setenv("XLCFI_TOSS_BASE_URL", url, 1);
		t = open_toss();
		assert_int_equal(xl_gw_toss_lookup(t, &req, &res, &err), 0);
		assert_int_equal(res.outcome, XL_GW_SUCCESS);
		release(&res);
		xl_gw_toss_close(t);
	}
}

static void test_bad_requests(void **state)
{
	struct xl_gw_request req = { .idempotency_key = NULL, .order_ref = "xlcfi-11", .amount_minor = 100,
				     .currency = "KRW", .method = "pk_bad_1" };
	struct xl_gw_toss *t = open_toss();
	struct xl_err err = XL_ERR_INIT;
	struct xl_gw_result res;
	long long before = captures();

	(void)state;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), -XL_EINVAL);
	req.idempotency_key = "k-bad\r\nX-Evil: 1";
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), -XL_EINVAL);
	req.idempotency_key = "k-bad-1";
	req.amount_minor = 0;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), -XL_EINVAL);
	req.amount_minor = 100;
	req.method = NULL;
	assert_int_equal(xl_gw_toss_charge(t, &req, &res, &err), -XL_EINVAL);
	assert_int_equal(xl_gw_toss_cancel(t, &req, &res, &err), -XL_EINVAL);
	assert_null(res.raw);
	assert_int_equal(captures(), before);
	xl_gw_toss_close(t);
	xl_gw_toss_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_charge_success, reset_env),
		cmocka_unit_test_setup(test_repeated_key_captures_once, reset_env),
		cmocka_unit_test_setup(test_charge_on_fresh_connection, reset_env),
		cmocka_unit_test_setup(test_decline, reset_env),
		cmocka_unit_test_setup(test_server_error_is_unknown, reset_env),
		cmocka_unit_test_setup(test_slow_is_unknown_after_timeout, reset_env),
		cmocka_unit_test_setup(test_drop_is_unknown_then_found, reset_env),
		cmocka_unit_test_setup(test_lookup_unknown_order, reset_env),
		cmocka_unit_test_setup(test_path_parts_escaped, reset_env),
		cmocka_unit_test_setup(test_cancel_partial_then_too_much, reset_env),
		cmocka_unit_test_setup(test_wrong_secret, reset_env),
		cmocka_unit_test_setup(test_missing_secret, reset_env),
		cmocka_unit_test_setup(test_secret_file_mode, reset_env),
		cmocka_unit_test_setup(test_connection_refused, reset_env),
		cmocka_unit_test_setup(test_bad_config, reset_env),
		cmocka_unit_test_setup(test_bad_requests, reset_env),
	};

	return cmocka_run_group_tests_name("xl_gw_toss", tests, start_fake, stop_fake);
}
