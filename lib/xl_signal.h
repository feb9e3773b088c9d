#ifndef XL_SIGNAL_H
#define XL_SIGNAL_H

/*
 * A clean stop on SIGINT and SIGTERM for long-running commands (followers,
 * the server): the handler only notes the signal, and blocking waits
 * (poll, nanosleep) return early because SA_RESTART is not set. The
 * command checks xl_signal_stopping() and finishes what it holds.
 */

/* Install the handlers. Cannot fail in practice; returns 0 or -1. */
int xl_signal_catch_stop(void);

/* The signal number that asked to stop, or 0. */
int xl_signal_stopping(void);

/*
 * Sleep ms milliseconds, or less if a stop signal arrives. Returns 1 when
 * stopping, else 0.
 */
int xl_signal_sleep(long ms);

#endif
