/* systemd notification (sd_notify): readiness, watchdog, stopping.  The
 * only module using libsystemd; each call does nothing when foid is not
 * run by systemd. */
#ifndef FOID_NOTIFY_H
#define FOID_NOTIFY_H

#include <stdint.h>

void notify_ready(void);
void notify_stopping(void);
void notify_reloading(void);
/* Pets the watchdog when systemd set one; cheap to call often. */
void notify_watchdog(void);
/* Microseconds between pets that keep the watchdog happy (half its
 * timeout), or 0 when there is none. */
uint64_t notify_watchdog_interval(void);

#endif
