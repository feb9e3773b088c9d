#ifndef XL_BANNED_H
#define XL_BANNED_H

/*
 * Functions that are too easy to misuse. Including this header last in every
 * .c file turns a call to any of them into a compile error that names the
 * function. Use xl_buf_addf/snprintf, xl_num_parse_i64, and the calendar
 * arithmetic in xl_time instead.
 */
#define XL_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) XL_BANNED(strcpy)
#undef strcat
#define strcat(x, y) XL_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) XL_BANNED(strncpy)
#undef sprintf
#define sprintf(...) XL_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) XL_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) XL_BANNED(strtok)
#undef atoi
#define atoi(x) XL_BANNED(atoi)
#undef atol
#define atol(x) XL_BANNED(atol)
#undef gmtime
#define gmtime(t) XL_BANNED(gmtime)
#undef localtime
#define localtime(t) XL_BANNED(localtime)
#undef ctime
#define ctime(t) XL_BANNED(ctime)
#undef asctime
#define asctime(t) XL_BANNED(asctime)

#endif
