#include "xl_gw_toss.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_num.h"
#include "xl_banned.h"

#define DEFAULT_BASE_URL "https://api.tosspayments.com"

enum {
	DEFAULT_TIMEOUT_MS = 10000,
	MAX_TIMEOUT_MS = 3600000,
	MAX_CONNECT_TIMEOUT_MS = 3000,
	MAX_SECRET = 4096,
	MAX_ANSWER = 1 << 20,       /* a Toss answer is a few KiB */
	RAW_BODY_MAX = 512,         /* what raw keeps of an answer that is not JSON */
	MAX_IDEMPOTENCY_KEY = 300   /* Toss' limit */
};

enum call {
	CALL_CHARGE,
	CALL_CANCEL,
	CALL_LOOKUP
};

struct xl_gw_toss {
	CURL *curl;
	char *base_url;   /* without a trailing slash */
	char *secret;
	long timeout_ms;
	char errbuf[CURL_ERROR_SIZE];
};

/* The card-refusal codes: the issuer said no, so nothing was charged. */
static const char *const decline_codes[] = {
	"REJECT_CARD_COMPANY",
	"REJECT_CARD_PAYMENT",
	"INVALID_CARD_NUMBER",
	"EXCEED_MAX_DAILY_PAYMENT_COUNT",
	"NOT_ENOUGH_BALANCE",
	"INVALID_STOPPED_CARD",
	"INVALID_CARD_EXPIRATION",
	"REJECT_ACCOUNT_PAYMENT",
	"NOT_AVAILABLE_PAYMENT",
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/*
 * Copy src into dst (size bytes) like snprintf, but never cut a UTF-8
 * sequence in two: the gateway's messages are Korean, and half a
 * character would make the result unfit for JSON.
 */
static void copy_utf8(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/*
 * Read the secret key from path, which nobody but its owner may read: a
 * key that others can read is a key to be rotated, not used.
 */
static int read_secret_file(const char *path, char **out, struct xl_err *err)
{
	struct xl_buf b;
	struct stat st;
	char chunk[512];
	ssize_t n;
	int fd, ret = -1;

	xl_buf_init(&b, MAX_SECRET);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return xl_err_set(err, XL_ECONFIG, "cannot open secret key file '%s': %s", path,
				  strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = xl_err_set(err, XL_ECONFIG, "cannot stat secret key file '%s': %s", path,
				 strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = xl_err_set(err, XL_ECONFIG, "secret key file '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		ret = xl_err_set(err, XL_ECONFIG,
				 "secret key file '%s' has mode %04o: it must not be readable by group or others (chmod 600)",
				 path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = xl_err_set(err, XL_ECONFIG, "cannot read secret key file '%s': %s", path,
					 strerror(errno));
			goto out;
		}
		if (xl_buf_add(&b, chunk, (size_t)n) < 0) {
			ret = xl_err_set(err, XL_ECONFIG, "secret key file '%s' is larger than %d bytes", path,
					 MAX_SECRET);
			goto out;
		}
	}
	while (b.len > 0 && (b.buf[b.len - 1] == '\n' || b.buf[b.len - 1] == '\r'))
		b.len--;
	b.buf[b.len] = '\0';
	if (b.len == 0 || memchr(b.buf, '\0', b.len)) {
		ret = xl_err_set(err, XL_ECONFIG, "secret key file '%s' holds no usable key", path);
		goto out;
	}
	*out = xl_buf_detach(&b, NULL);
	ret = 0;
out:
	explicit_bzero(chunk, sizeof(chunk));
	if (b.alloc)
		explicit_bzero(b.buf, b.alloc);
	xl_buf_release(&b);
	close(fd);
	return ret;
}

static int read_config(struct xl_gw_toss *t, struct xl_err *err)
{
	const char *base = getenv("XLCFI_TOSS_BASE_URL");
	const char *timeout = getenv("XLCFI_TOSS_TIMEOUT_MS");
	const char *key = getenv("XLCFI_TOSS_SECRET_KEY");
	const char *key_file = getenv("XLCFI_TOSS_SECRET_KEY_FILE");
	int64_t ms = DEFAULT_TIMEOUT_MS;
	size_t len;

	if (!base || !*base)
		base = DEFAULT_BASE_URL;
	if (strncmp(base, "https://", 8) && strncmp(base, "http://", 7))
		return xl_err_set(err, XL_ECONFIG,
				  "invalid XLCFI_TOSS_BASE_URL '%s': expected an http:// or https:// URL", base);
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	t->base_url = xl_xstrndup(base, len);

	if (timeout && *timeout && xl_num_parse_range(timeout, 1, MAX_TIMEOUT_MS, &ms) < 0)
		return xl_err_set(err, XL_ECONFIG, "invalid XLCFI_TOSS_TIMEOUT_MS '%s': expected 1 to %d",
				  timeout, MAX_TIMEOUT_MS);
	t->timeout_ms = (long)ms;

	if (key && *key) {
		t->secret = xl_xstrdup(key);
		return 0;
	}
	if (key_file && *key_file)
		return read_secret_file(key_file, &t->secret, err);
	return xl_err_set(err, XL_ECONFIG, "XLCFI_TOSS_SECRET_KEY or XLCFI_TOSS_SECRET_KEY_FILE is not set");
}

int xl_gw_toss_open(struct xl_gw_toss **out, struct xl_err *err)
{
	struct xl_gw_toss *t;
	int ret;

	assert(out);
	*out = NULL;
	t = xl_xcalloc(1, sizeof(*t));
	ret = read_config(t, err);
	if (ret < 0)
		goto fail;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		ret = xl_err_set(err, XL_EFAIL, "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_rc));
		goto fail;
	}
	t->curl = curl_easy_init();
	if (!t->curl) {
		ret = xl_err_set(err, XL_EFAIL, "cannot create a libcurl handle");
		goto fail;
	}
	*out = t;
	return 0;
fail:
	xl_gw_toss_close(t);
	return ret;
}

void xl_gw_toss_close(struct xl_gw_toss *t)
{
	if (!t)
		return;
	if (t->curl)
		curl_easy_cleanup(t->curl);
	free(t->base_url);
	secret_free(t->secret);
	free(t);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct xl_buf *b = userdata;

	/* Returning less than given makes libcurl stop with CURLE_WRITE_ERROR. */
	if (xl_buf_add(b, data, size * nmemb) < 0)
		return 0;
	return size * nmemb;
}

/* The key goes into a header line: printable ASCII only, as Toss requires. */
static int check_idempotency_key(const char *key, struct xl_err *err)
{
	const char *p;

	if (!key || !*key)
		return xl_err_set(err, XL_EINVAL, "missing idempotency key");
	if (strlen(key) > MAX_IDEMPOTENCY_KEY)
		return xl_err_set(err, XL_EINVAL, "idempotency key longer than %d characters",
				  MAX_IDEMPOTENCY_KEY);
	for (p = key; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return xl_err_set(err, XL_EINVAL, "idempotency key has a character other than printable ASCII");
	return 0;
}

/*
 * Whether a curl failure happened before anything of the request could
 * have reached the gateway: no address, no connection, no TLS session.
 *
 * This holds because a request that changes anything (a POST) goes out
 * on a connection of its own: libcurl silently sends a request again on a
 * fresh connection when a reused one turns out dead before any answer,
 * and if that second connection were refused, "nothing was sent" would
 * be wrong about the first attempt. A GET, which changes nothing, may
 * reuse a connection.
 */
static int nothing_sent(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
		return 1;
	default:
		return 0;
	}
}

static int add_header(struct curl_slist **headers, const char *line)
{
	struct curl_slist *h = curl_slist_append(*headers, line);

	if (!h)
		return -1;
	*headers = h;
	return 0;
}

/*
 * Run one request. On an HTTP answer, 0 with *status and the body in
 * answer. When the request may have reached the gateway but no answer
 * came back (a timeout, a connection lost), 0 with *status = 0 and res
 * set to XL_GW_UNKNOWN. -XL_EUNAVAIL when nothing was sent.
 */
static int perform(struct xl_gw_toss *t, const char *url, const char *body, const char *idempotency_key,
		   long *status, struct xl_buf *answer, struct xl_gw_result *res, struct xl_err *err)
{
	struct curl_slist *headers = NULL;
	struct xl_buf key_line = XL_BUF_INIT;
	CURL *c = t->curl;
	const char *why;
	CURLcode rc;
	int ret = -1;

	*status = 0;
	curl_easy_reset(c);
	t->errbuf[0] = '\0';

	if (idempotency_key)
		xl_buf_addf(&key_line, "Idempotency-Key: %s", idempotency_key);
	if (add_header(&headers, "Accept: application/json") < 0 ||
	    (body && add_header(&headers, "Content-Type: application/json") < 0) ||
	    /* No "Expect: 100-continue" round trip for a small body. */
	    (body && add_header(&headers, "Expect:") < 0) ||
	    (idempotency_key && add_header(&headers, key_line.buf) < 0)) {
		ret = xl_err_set(err, XL_EFAIL, "out of memory building the request headers");
		goto out;
	}

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, t->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 t->timeout_ms < MAX_CONNECT_TIMEOUT_MS ? t->timeout_ms : (long)MAX_CONNECT_TIMEOUT_MS);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERNAME, t->secret);
	curl_easy_setopt(c, CURLOPT_PASSWORD, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "xlcfi/" XLCFI_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
	if (body) {
		/* Never a reused connection: see nothing_sent(). */
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}

	rc = curl_easy_perform(c);
	why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		ret = 0;
	} else if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
		ret = xl_err_set(err, XL_ECONFIG, "bad payment gateway URL '%s': %s", url, why);
	} else if (nothing_sent(rc)) {
		ret = xl_err_set(err, XL_EUNAVAIL, "cannot reach the payment gateway at '%s': %s", t->base_url,
				 why);
	} else {
		/*
		 * A timeout, a connection lost, an answer cut short or too
		 * big: the gateway may have done what we asked.
		 */
		char msg[CURL_ERROR_SIZE + 64];

		res->outcome = XL_GW_UNKNOWN;
		snprintf(msg, sizeof(msg), "no answer from the gateway: %s", why);
		copy_utf8(res->message, sizeof(res->message), msg);
		ret = 0;
	}
out:
	/*
	 * Forget the options now rather than at the next call: they point
	 * into this call's buffers, and libcurl's copy of the secret need
	 * not outlive the call. Open connections stay cached.
	 */
	curl_easy_reset(c);
	curl_slist_free_all(headers);
	xl_buf_release(&key_line);
	return ret;
}

/* res->raw for an answer that is not a JSON object: the status and the start of the body. */
static json_t *raw_of_text(long status, const struct xl_buf *answer)
{
	size_t n = answer->len < RAW_BODY_MAX ? answer->len : RAW_BODY_MAX;
	json_t *s = NULL;
	size_t cut;

	/* A cut may split a UTF-8 sequence: back off up to three bytes. */
	for (cut = 0; !s && cut < 4 && cut <= n; cut++)
		s = json_stringn(answer->buf, n - cut);
	if (!s) {
		char *copy = xl_xstrndup(answer->buf, n);
		size_t i;

		for (i = 0; copy[i]; i++)
			if ((unsigned char)copy[i] >= 0x80)
				copy[i] = '?';
		s = json_string(copy);
		free(copy);
	}
	return json_pack("{s:I, s:o*}", "http_status", (json_int_t)status, "body", s);
}

static const char *str_field(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static int is_decline(const char *code)
{
	size_t i;

	for (i = 0; i < sizeof(decline_codes) / sizeof(decline_codes[0]); i++)
		if (!strcmp(code, decline_codes[i]))
			return 1;
	return 0;
}

/* The amount cancelled by this call: the last entry of "cancels". */
static int64_t last_cancel_amount(json_t *obj, int64_t fallback)
{
	json_t *cancels = json_object_get(obj, "cancels");
	json_t *last;

	if (!json_is_array(cancels) || json_array_size(cancels) == 0)
		return fallback;
	last = json_array_get(cancels, json_array_size(cancels) - 1);
	last = json_object_get(last, "cancelAmount");
	return json_is_integer(last) ? (int64_t)json_integer_value(last) : fallback;
}

/*
 * A payment that was never captured: Toss keeps the attempt, found by
 * order, with one of these statuses. Reporting it as a success would mark
 * an unpaid order paid.
 */
static int never_captured(const char *status)
{
	return !strcmp(status, "ABORTED") || !strcmp(status, "EXPIRED");
}

static int still_pending(const char *status)
{
	return !strcmp(status, "READY") || !strcmp(status, "IN_PROGRESS") ||
	       !strcmp(status, "WAITING_FOR_DEPOSIT");
}

static void read_success(enum call call, json_t *obj, const struct xl_gw_request *req,
			 struct xl_gw_result *res)
{
	json_t *total = json_object_get(obj, "totalAmount");
	const char *key = str_field(obj, "paymentKey");
	const char *status = str_field(obj, "status");

	res->outcome = XL_GW_SUCCESS;
	if (!*key && call == CALL_CHARGE && req->method)
		key = req->method;
	if (!*key && call == CALL_CANCEL && req->payment_key)
		key = req->payment_key;
	copy_utf8(res->payment_key, sizeof(res->payment_key), key);
	if (call == CALL_CANCEL)
		res->amount_minor = last_cancel_amount(obj, req->amount_minor);
	else if (json_is_integer(total))
		res->amount_minor = (int64_t)json_integer_value(total);
	else
		res->amount_minor = call == CALL_CHARGE ? req->amount_minor : 0;

	if (call == CALL_LOOKUP && never_captured(status)) {
		res->outcome = XL_GW_DECLINED;
		res->amount_minor = 0;
		copy_utf8(res->code, sizeof(res->code), status);
		snprintf(res->message, sizeof(res->message), "the payment of the order was never captured (%s)",
			 status);
	} else if (call == CALL_LOOKUP && still_pending(status)) {
		res->outcome = XL_GW_UNKNOWN;
		res->amount_minor = 0;
		copy_utf8(res->code, sizeof(res->code), status);
		snprintf(res->message, sizeof(res->message), "the payment of the order is not settled yet (%s)",
			 status);
	}
}

/* Turn an HTTP answer into the outcome, as the header describes. */
static void read_answer(enum call call, long status, const struct xl_buf *answer, const struct xl_gw_request *req,
			struct xl_gw_result *res)
{
	json_t *obj = NULL;
	const char *code;

	if (answer->len > 0)
		obj = json_loadb(answer->buf, answer->len, 0, NULL);
	if (obj && !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
	}
	res->raw = obj ? obj : raw_of_text(status, answer);
	code = obj ? str_field(obj, "code") : "";
	copy_utf8(res->code, sizeof(res->code), code);
	if (obj && json_is_string(json_object_get(obj, "message")))
		copy_utf8(res->message, sizeof(res->message), str_field(obj, "message"));
	else if (status < 200 || status > 299)
		snprintf(res->message, sizeof(res->message), "HTTP %ld from the gateway", status);

	if (status >= 200 && status <= 299) {
		res->code[0] = '\0';
		read_success(call, obj, req, res);
	} else if (call == CALL_LOOKUP && status == 404 && *code) {
		/* A bare 404 (a wrong base URL, a proxy) is not the gateway saying "no such payment". */
		res->outcome = XL_GW_NOTFOUND;
	} else if (status >= 400 && status <= 499) {
		res->outcome = is_decline(code) ? XL_GW_DECLINED : XL_GW_ERROR;
	} else {
		/* 5xx, and anything else we did not expect: it may have been done. */
		res->outcome = XL_GW_UNKNOWN;
	}
}

/*
 * Send one call and read its outcome into res. body is the JSON text for
 * a POST, NULL for a GET.
 */
static int call_gateway(struct xl_gw_toss *t, enum call call, const char *url, const char *body,
			const struct xl_gw_request *req, struct xl_gw_result *res, struct xl_err *err)
{
	struct xl_buf answer;
	long status;
	int ret;

	xl_buf_init(&answer, MAX_ANSWER);
	ret = perform(t, url, body, body ? req->idempotency_key : NULL, &status, &answer, res, err);
	if (ret == 0 && status > 0)
		read_answer(call, status, &answer, req, res);
	xl_buf_release(&answer);
	return ret;
}

/* Append s to b, escaped for a URL path segment. */
static int add_escaped(struct xl_gw_toss *t, struct xl_buf *b, const char *s, struct xl_err *err)
{
	char *e = curl_easy_escape(t->curl, s, 0);

	if (!e)
		return xl_err_set(err, XL_EFAIL, "out of memory escaping a URL");
	xl_buf_adds(b, e);
	curl_free(e);
	return 0;
}

static void result_clear(struct xl_gw_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = XL_GW_ERROR;
}

static char *dump_body(json_t *body)
{
	char *text;

	if (!body)
		return NULL;
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return text;
}

int xl_gw_toss_charge(struct xl_gw_toss *t, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err)
{
	struct xl_buf url = XL_BUF_INIT;
	char *body = NULL;
	int ret;

	assert(t && req && res);
	result_clear(res);
	if (!req->method || !*req->method)
		return xl_err_set(err, XL_EINVAL, "charge: missing payment key (the payment method)");
	if (!req->order_ref || !*req->order_ref)
		return xl_err_set(err, XL_EINVAL, "charge: missing order reference");
	if (req->amount_minor <= 0)
		return xl_err_set(err, XL_EINVAL, "charge: invalid amount %lld: must be positive",
				  (long long)req->amount_minor);
	ret = check_idempotency_key(req->idempotency_key, err);
	if (ret < 0)
		return ret;

	body = dump_body(json_pack("{s:s, s:s, s:I}", "paymentKey", req->method, "orderId", req->order_ref,
				   "amount", (json_int_t)req->amount_minor));
	if (!body)
		return xl_err_set(err, XL_EINVAL, "charge: payment key or order reference is not UTF-8");
	xl_buf_addf(&url, "%s/v1/payments/confirm", t->base_url);
	ret = call_gateway(t, CALL_CHARGE, url.buf, body, req, res, err);
	free(body);
	xl_buf_release(&url);
	return ret;
}

int xl_gw_toss_cancel(struct xl_gw_toss *t, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err)
{
	struct xl_buf url = XL_BUF_INIT;
	const char *reason;
	char *body = NULL;
	int ret;

	assert(t && req && res);
	result_clear(res);
	if (!req->payment_key || !*req->payment_key)
		return xl_err_set(err, XL_EINVAL, "cancel: missing payment key");
	if (req->amount_minor < 0)
		return xl_err_set(err, XL_EINVAL, "cancel: invalid amount %lld: must not be negative",
				  (long long)req->amount_minor);
	ret = check_idempotency_key(req->idempotency_key, err);
	if (ret < 0)
		return ret;

	reason = req->reason && *req->reason ? req->reason : "requested";
	/* No cancelAmount asks Toss to cancel all that is left. */
	if (req->amount_minor > 0)
		body = dump_body(json_pack("{s:s, s:I}", "cancelReason", reason, "cancelAmount",
					   (json_int_t)req->amount_minor));
	else
		body = dump_body(json_pack("{s:s}", "cancelReason", reason));
	if (!body)
		return xl_err_set(err, XL_EINVAL, "cancel: the reason is not UTF-8");
	xl_buf_addf(&url, "%s/v1/payments/", t->base_url);
	ret = add_escaped(t, &url, req->payment_key, err);
	if (ret == 0) {
		xl_buf_adds(&url, "/cancel");
		ret = call_gateway(t, CALL_CANCEL, url.buf, body, req, res, err);
	}
	free(body);
	xl_buf_release(&url);
	return ret;
}

int xl_gw_toss_lookup(struct xl_gw_toss *t, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err)
{
	struct xl_buf url = XL_BUF_INIT;
	int ret;

	assert(t && req && res);
	result_clear(res);
	if (!req->order_ref || !*req->order_ref)
		return xl_err_set(err, XL_EINVAL, "lookup: missing order reference");
	xl_buf_addf(&url, "%s/v1/payments/orders/", t->base_url);
	ret = add_escaped(t, &url, req->order_ref, err);
	if (ret == 0)
		ret = call_gateway(t, CALL_LOOKUP, url.buf, NULL, req, res, err);
	xl_buf_release(&url);
	return ret;
}
