/*
 * xl-fake-toss: a stateful stand-in for the Toss Payments API, for the
 * tests of lib/xl_gw_toss. It listens on 127.0.0.1 (-p PORT, 0 = any free
 * port), prints the port on stdout as its first line and serves until
 * SIGTERM or SIGINT:
 *
 *   POST /v1/payments/confirm {paymentKey, orderId, amount}
 *   POST /v1/payments/{paymentKey}/cancel {cancelReason, cancelAmount}
 *   GET  /v1/payments/orders/{orderId}
 *   GET  /_stats    {"captures":N,"payments":M,"connections":C}, without
 *                   authentication (C counts the connections accepted,
 *                   this request's own included)
 *
 * Payments live in memory. HTTP Basic auth must carry the secret given
 * with -s and an empty password. A repeated Idempotency-Key gets the
 * answer first given to it, without doing anything again.
 *
 * Faults, chosen by the paymentKey of a confirm so that one fake serves
 * every test: "decline..." is refused (REJECT_CARD_COMPANY); "error500..."
 * answers 500 without charging; "slow..." waits 3 s, then charges; "drop..."
 * charges, then closes the connection without an answer (and drops every
 * repeat of its idempotency key the same way, so that a client's silent
 * retry cannot turn it into a success). Faults of a cancel, chosen by the
 * payment's key too: "cancelrefused..." is refused (NOT_CANCELABLE_PAYMENT);
 * "cancelslow..." waits 3 s, then cancels (a repeat of its idempotency key
 * gets that answer at once).
 *
 * Loopback only; not installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_exit.h"
#include "xl_log.h"
#include "xl_num.h"
#include "xl_opt.h"
#include "xl_banned.h"

static const char usage[] = "usage: xl-fake-toss [-hqv] [-p port] -s secret";
static const char help[] =
	"  -p, --port=PORT     port on 127.0.0.1 (default 0: any free port)\n"
	"  -s, --secret=KEY    the secret key clients must authenticate with\n";

enum {
	MAX_PAYMENTS = 10000,
	MAX_KEYS = 20000,
	MAX_BODY = 64 * 1024,
	SLOW_SECONDS = 3,
	/* Not an HTTP status: close the connection without an answer. */
	DROP = 0
};

struct payment {
	char order_id[128];
	char payment_key[208];
	char status[24];
	int64_t total;
	int64_t balance;
	json_t *cancels;
};

/* What was answered to an idempotency key, to answer it again. */
struct answered {
	char key[304];
	unsigned status;
	char *body;
};

struct fake {
	pthread_mutex_t lock;
	char *authorization;          /* the expected Authorization header */
	struct payment *payments;     /* MAX_PAYMENTS */
	size_t npayments;
	struct answered *answered;    /* MAX_KEYS */
	size_t nanswered;
	uint64_t captures;
	uint64_t connections;
};

/* One request being read. */
struct request {
	struct xl_buf body;
	int too_big;
};

/* What to send back: status (or DROP) and a JSON text we own. */
struct reply {
	unsigned status;
	char *body;
};

static char *base64(const char *s)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), i, o = 0;
	char *out = xl_xmalloc(4 * ((n + 2) / 3) + 1);

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static void set_reply(struct reply *r, unsigned status, json_t *body)
{
	r->status = status;
	free(r->body);
	r->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
}

static void set_error(struct reply *r, unsigned status, const char *code, const char *message)
{
	set_reply(r, status, json_pack("{s:s, s:s}", "code", code, "message", message));
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static json_t *payment_json(const struct payment *p)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:O}", "paymentKey", p->payment_key, "orderId",
			 p->order_id, "status", p->status, "totalAmount", (json_int_t)p->total, "balanceAmount",
			 (json_int_t)p->balance, "method", "카드", "cancels", p->cancels);
}

static struct payment *find_by_order(struct fake *f, const char *order_id)
{
	size_t i;

	for (i = 0; i < f->npayments; i++)
		if (!strcmp(f->payments[i].order_id, order_id))
			return &f->payments[i];
	return NULL;
}

static struct payment *find_by_key(struct fake *f, const char *payment_key)
{
	size_t i;

	for (i = 0; i < f->npayments; i++)
		if (!strcmp(f->payments[i].payment_key, payment_key))
			return &f->payments[i];
	return NULL;
}

static struct answered *find_answered(struct fake *f, const char *key)
{
	size_t i;

	if (!key)
		return NULL;
	for (i = 0; i < f->nanswered; i++)
		if (!strcmp(f->answered[i].key, key))
			return &f->answered[i];
	return NULL;
}

static void remember(struct fake *f, const char *key, const struct reply *r)
{
	struct answered *a;

	if (!key || f->nanswered == MAX_KEYS || strlen(key) >= sizeof(a->key))
		return;
	a = &f->answered[f->nanswered++];
	snprintf(a->key, sizeof(a->key), "%s", key);
	a->status = r->status;
	a->body = xl_xstrdup(r->body);
}

static void replay(const struct answered *a, struct reply *r)
{
	r->status = a->status;
	free(r->body);
	r->body = xl_xstrdup(a->body);
}

/* Called with the lock held. */
static void confirm_locked(struct fake *f, const char *key, const char *payment_key, const char *order_id,
			   int64_t amount, struct reply *r)
{
	struct payment *p;

	if (find_by_order(f, order_id)) {
		set_error(r, 400, "ALREADY_PROCESSED_PAYMENT", "이미 처리된 결제 입니다.");
		goto remember;
	}
	if (f->npayments == MAX_PAYMENTS || strlen(order_id) >= sizeof(p->order_id) ||
	    strlen(payment_key) >= sizeof(p->payment_key)) {
		set_error(r, 400, "INVALID_REQUEST", "the fake cannot hold this payment");
		return;
	}
	p = &f->payments[f->npayments++];
	snprintf(p->order_id, sizeof(p->order_id), "%s", order_id);
	snprintf(p->payment_key, sizeof(p->payment_key), "%s", payment_key);
	snprintf(p->status, sizeof(p->status), "DONE");
	p->total = p->balance = amount;
	p->cancels = json_array();
	f->captures++;
	set_reply(r, 200, payment_json(p));
remember:
	remember(f, key, r);
}

static void confirm(struct fake *f, const char *key, json_t *in, struct reply *r)
{
	const char *payment_key = NULL, *order_id = NULL;
	json_int_t amount = 0;
	struct answered *a;
	int drop;

	if (json_unpack(in, "{s:s, s:s, s:I}", "paymentKey", &payment_key, "orderId", &order_id, "amount",
			&amount) < 0 || amount <= 0) {
		set_error(r, 400, "INVALID_REQUEST", "paymentKey, orderId and a positive amount are required");
		return;
	}
	drop = starts_with(payment_key, "drop");
	if (starts_with(payment_key, "slow"))
		sleep(SLOW_SECONDS);

	pthread_mutex_lock(&f->lock);
	if ((a = find_answered(f, key))) {
		replay(a, r);
	} else if (starts_with(payment_key, "decline")) {
		set_error(r, 400, "REJECT_CARD_COMPANY", "카드사에서 거절");
		remember(f, key, r);
	} else if (starts_with(payment_key, "error500")) {
		set_error(r, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING", "내부 시스템 처리 작업이 실패했습니다.");
	} else {
		confirm_locked(f, key, payment_key, order_id, amount, r);
	}
	pthread_mutex_unlock(&f->lock);
	if (drop)
		r->status = DROP;
}

static void cancel(struct fake *f, const char *key, const char *payment_key, json_t *in, struct reply *r)
{
	const char *reason = "";
	json_int_t amount = 0;
	struct answered *a;
	struct payment *p;

	if (json_unpack(in, "{s?s, s?I}", "cancelReason", &reason, "cancelAmount", &amount) < 0) {
		set_error(r, 400, "INVALID_REQUEST", "bad cancelReason or cancelAmount");
		return;
	}
	if (starts_with(payment_key, "cancelslow")) {
		pthread_mutex_lock(&f->lock);
		a = find_answered(f, key);
		pthread_mutex_unlock(&f->lock);
		if (!a)
			sleep(SLOW_SECONDS);
	}
	pthread_mutex_lock(&f->lock);
	if ((a = find_answered(f, key))) {
		replay(a, r);
		goto out;
	}
	p = find_by_key(f, payment_key);
	if (p && starts_with(payment_key, "cancelrefused")) {
		set_error(r, 400, "NOT_CANCELABLE_PAYMENT", "취소 할 수 없는 결제 입니다.");
		remember(f, key, r);
		goto out;
	}
	if (!p) {
		set_error(r, 404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
		goto out;
	}
	if (p->balance == 0) {
		set_error(r, 400, "ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.");
		goto out;
	}
	if (!json_object_get(in, "cancelAmount"))
		amount = p->balance;
	if (amount <= 0 || amount > p->balance) {
		set_error(r, 400, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.");
		goto out;
	}
	p->balance -= amount;
	snprintf(p->status, sizeof(p->status), "%s", p->balance ? "PARTIAL_CANCELED" : "CANCELED");
	json_array_append_new(p->cancels, json_pack("{s:I, s:s}", "cancelAmount", amount, "cancelReason",
						    reason));
	set_reply(r, 200, payment_json(p));
	remember(f, key, r);
out:
	pthread_mutex_unlock(&f->lock);
}

static void lookup(struct fake *f, const char *order_id, struct reply *r)
{
	struct payment *p;

	pthread_mutex_lock(&f->lock);
	p = find_by_order(f, order_id);
	if (p)
		set_reply(r, 200, payment_json(p));
	else
		set_error(r, 404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 정보 입니다.");
	pthread_mutex_unlock(&f->lock);
}

static void stats(struct fake *f, struct reply *r)
{
	pthread_mutex_lock(&f->lock);
	set_reply(r, 200, json_pack("{s:I, s:I, s:I}", "captures", (json_int_t)f->captures, "payments",
				    (json_int_t)f->npayments, "connections", (json_int_t)f->connections));
	pthread_mutex_unlock(&f->lock);
}

/* "/v1/payments/{key}/cancel": the key, in buf, or NULL. */
static const char *cancel_key(const char *url, char *buf, size_t size)
{
	static const char prefix[] = "/v1/payments/", suffix[] = "/cancel";
	size_t n = strlen(url), plen = sizeof(prefix) - 1, slen = sizeof(suffix) - 1;

	if (n <= plen + slen || !starts_with(url, prefix) || strcmp(url + n - slen, suffix))
		return NULL;
	n -= plen + slen;
	if (n >= size || memchr(url + plen, '/', n))
		return NULL;
	memcpy(buf, url + plen, n);
	buf[n] = '\0';
	return buf;
}

static void route(struct fake *f, struct MHD_Connection *c, const char *url, const char *method,
		  struct request *req, struct reply *r)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
	int post = !strcmp(method, "POST"), get = !strcmp(method, "GET");
	char payment_key[256];
	json_t *in = NULL;

	if (get && !strcmp(url, "/_stats")) {
		stats(f, r);
		return;
	}
	if (!auth || strcmp(auth, f->authorization)) {
		set_error(r, 401, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.");
		return;
	}
	if (req->too_big) {
		set_error(r, 413, "INVALID_REQUEST", "request body too large");
		return;
	}
	if (post) {
		in = json_loadb(req->body.buf, req->body.len, 0, NULL);
		if (!json_is_object(in)) {
			json_decref(in);
			set_error(r, 400, "INVALID_REQUEST", "the body is not a JSON object");
			return;
		}
	}
	if (post && !strcmp(url, "/v1/payments/confirm"))
		confirm(f, key, in, r);
	else if (post && cancel_key(url, payment_key, sizeof(payment_key)))
		cancel(f, key, payment_key, in, r);
	else if (get && starts_with(url, "/v1/payments/orders/") && url[20] && !strchr(url + 20, '/'))
		lookup(f, url + 20, r);
	else
		set_error(r, 404, "NOT_FOUND", "no such endpoint");
	json_decref(in);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct fake *f = cls;

	(void)c;
	(void)socket_context;
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	pthread_mutex_lock(&f->lock);
	f->connections++;
	pthread_mutex_unlock(&f->lock);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct request *req = *con_cls;
	struct reply r = { 500, NULL };
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)version;
	if (!req) {
		req = xl_xcalloc(1, sizeof(*req));
		xl_buf_init(&req->body, MAX_BODY);
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (xl_buf_add(&req->body, upload_data, *upload_data_size) < 0)
			req->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}

	route(cls, c, url, method, req, &r);
	if (r.status == DROP) {
		/* MHD closes the connection when the handler gives up. */
		free(r.body);
		return MHD_NO;
	}
	if (!r.body)
		r.body = xl_xstrdup("{}");
	resp = MHD_create_response_from_buffer(strlen(r.body), r.body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(r.body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(c, r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct request *req = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (req) {
		xl_buf_release(&req->body);
		free(req);
		*con_cls = NULL;
	}
}

static void fake_free(struct fake *f)
{
	size_t i;

	for (i = 0; i < f->npayments; i++)
		json_decref(f->payments[i].cancels);
	for (i = 0; i < f->nanswered; i++)
		free(f->answered[i].body);
	free(f->payments);
	free(f->answered);
	free(f->authorization);
	pthread_mutex_destroy(&f->lock);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "secret", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage, .help = help, .shortopts = "p:s:", .longopts = longopts };
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	struct fake f;
	const char *secret = NULL;
	int64_t port = 0;
	struct xl_buf line = XL_BUF_INIT;
	sigset_t sigs;
	char *userpass;
	int c, sig;

	xl_log_init(argv[0]);
	while ((c = xl_opt_next(&o, argc, argv)) != -1) {
		switch (c) {
		case 'p':
			if (xl_num_parse_range(optarg, 0, 65535, &port) < 0)
				xl_die_usage("invalid port '%s': expected 0 to 65535", optarg);
			break;
		case 's':
			secret = optarg;
			break;
		}
	}
	xl_opt_release(&o);
	if (argc > optind)
		xl_die_usage("too many arguments");
	if (!secret || !*secret)
		xl_die_usage("missing secret key (-s)");

	/* Block the stop signals before MHD starts its threads, which inherit the mask; main waits for them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&f, 0, sizeof(f));
	pthread_mutex_init(&f.lock, NULL);
	f.payments = xl_xcalloc(MAX_PAYMENTS, sizeof(*f.payments));
	f.answered = xl_xcalloc(MAX_KEYS, sizeof(*f.answered));
	xl_buf_addf(&line, "%s:", secret);
	userpass = base64(line.buf);
	xl_buf_reset(&line);
	xl_buf_addf(&line, "Basic %s", userpass);
	free(userpass);
	f.authorization = xl_buf_detach(&line, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	/*
	 * A thread per connection, so that a "slow" payment holds up no
	 * other. No MHD_USE_ERROR_LOG: every "drop" would log an internal
	 * error, which is the fault working as meant.
	 */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL,
			     (uint16_t)port, NULL, NULL, on_request, &f,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_NOTIFY_CONNECTION, on_connection, &f,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			     MHD_OPTION_END);
	if (!d)
		xl_die(XL_EXIT_UNAVAILABLE, "cannot listen on 127.0.0.1:%lld", (long long)port);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || printf("%u\n", (unsigned)info->port) < 0 || fflush(stdout) == EOF)
		xl_die(XL_EXIT_IOERR, "cannot write the port to <stdout>: %s", strerror(errno));

	while (sigwait(&sigs, &sig) != 0)
		;
	MHD_stop_daemon(d);
	fake_free(&f);
	return XL_EXIT_OK;
}
