#include "xl_signal.h"

#include <signal.h>
#include <string.h>
#include <time.h>

#include "xl_banned.h"

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

int xl_signal_catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;    /* no SA_RESTART: waits must see EINTR */
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	return 0;
}

int xl_signal_stopping(void)
{
	return stop_signal;
}

int xl_signal_sleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (!stop_signal)
		nanosleep(&ts, NULL);
	return stop_signal != 0;
}
