/*
 * xl-silent-server: a TCP server that never answers. It listens on
 * 127.0.0.1 at a port the kernel chooses, prints that port on stdout,
 * accepts connections and then neither reads nor writes, so a client
 * waits until its own timeout. It exits by itself after the given number
 * of seconds (default 20). A test tool for connection timeouts; loopback
 * only; not installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xl_exit.h"
#include "xl_log.h"
#include "xl_num.h"
#include "xl_opt.h"
#include "xl_banned.h"

static const char usage[] = "usage: xl-silent-server [-hqv] [seconds]";

/* Connections held open without a word; more than this wait in the backlog. */
enum { MAX_HELD = 64, MAX_SECONDS = 3600 };

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A socket listening on 127.0.0.1 at a kernel-chosen port, and that port. */
static int listen_loopback(unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		xl_die(XL_EXIT_UNAVAILABLE, "cannot create a socket: %s", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		xl_die(XL_EXIT_UNAVAILABLE, "cannot listen on 127.0.0.1: %s", strerror(errno));
	*port = ntohs(sa.sin_port);
	return fd;
}

int main(int argc, char **argv)
{
	struct xl_opt o = { .usage = usage };
	int held[MAX_HELD];
	size_t nheld = 0;
	int64_t seconds = 20, deadline, left;
	unsigned port;
	int lfd;

	xl_log_init(argv[0]);
	while (xl_opt_next(&o, argc, argv) != -1)
		;
	xl_opt_release(&o);
	if (argc - optind > 1)
		xl_die_usage("too many arguments");
	if (argc - optind == 1 && xl_num_parse_range(argv[optind], 1, MAX_SECONDS, &seconds) < 0)
		xl_die_usage("invalid seconds '%s': expected 1 to %d", argv[optind], MAX_SECONDS);

	lfd = listen_loopback(&port);
	if (printf("%u\n", port) < 0 || fflush(stdout) == EOF)
		xl_die(XL_EXIT_IOERR, "cannot write to <stdout>: %s", strerror(errno));

	deadline = now_ms() + seconds * 1000;
	while ((left = deadline - now_ms()) > 0) {
		/* With every slot taken, just sleep: poll ignores a negative fd. */
		struct pollfd p = { .fd = nheld < MAX_HELD ? lfd : -1, .events = POLLIN };
		int n = poll(&p, 1, (int)left), fd;

		if (n < 0 && errno != EINTR)
			xl_die(XL_EXIT_IOERR, "poll: %s", strerror(errno));
		if (n <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			held[nheld++] = fd;
	}
	while (nheld > 0)
		close(held[--nheld]);
	close(lfd);
	return XL_EXIT_OK;
}
