#ifndef XL_GW_TOSS_H
#define XL_GW_TOSS_H

#include "xl_gateway.h"

/*
 * The "toss" provider of xl_gateway (see xl_gateway.h for the API it is
 * shaped like and its configuration), over libcurl. xl_gateway.c is its
 * only user; the calls mean what the xl_gateway_* calls of the same names
 * mean.
 *
 * Outcomes: HTTP 200 is XL_GW_SUCCESS; a 4xx whose body names a decline
 * ({"code":"REJECT_CARD_COMPANY", ...} and the other card-refusal codes)
 * is XL_GW_DECLINED; any other 4xx is XL_GW_ERROR (nothing charged); a
 * 5xx, a timeout or a connection lost after the request was sent is
 * XL_GW_UNKNOWN; lookup's 404 is XL_GW_NOTFOUND. A connection that cannot
 * be made at all returns -XL_EUNAVAIL (nothing was sent).
 */
struct xl_gw_toss;

/* Read the configuration from the environment. -XL_ECONFIG when it is missing or unsafe. */
int xl_gw_toss_open(struct xl_gw_toss **out, struct xl_err *err);
int xl_gw_toss_charge(struct xl_gw_toss *t, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err);
int xl_gw_toss_cancel(struct xl_gw_toss *t, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err);
int xl_gw_toss_lookup(struct xl_gw_toss *t, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err);
/* Accepts NULL. */
void xl_gw_toss_close(struct xl_gw_toss *t);

#endif
