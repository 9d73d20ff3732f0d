/* webhook_backoff: when a failed delivery is tried again, when it is given
 * up (dead-lettered), and when its endpoint is paused (DESIGN §16). Pure:
 * times are Unix milliseconds passed in, randomness is an argument. */
#ifndef KOLO_WEBHOOK_BACKOFF_H
#define KOLO_WEBHOOK_BACKOFF_H

#include <stdint.h>

typedef struct whk_schedule {
	int64_t first_ms;  /* the wait after the first failure, before jitter */
	int64_t max_ms;	   /* the longest wait between two attempts */
	int64_t window_ms; /* retries stop this long after the first attempt */
	int64_t pause_ms;  /* an endpoint failing this long is paused */
} whk_schedule;

/* 30 s doubling to at most 6 h, for 3 days; pause after a day. */
#define WHK_SCHEDULE_DEFAULT                                                                       \
	((whk_schedule){.first_ms = 30000,                                                         \
			.max_ms = 6 * 3600 * 1000LL,                                               \
			.window_ms = 3 * 86400 * 1000LL,                                           \
			.pause_ms = 86400 * 1000LL})

/* When attempt number attempt + 1 runs after attempt number attempt
 * (1 = the first) failed at now_ms, the first having run at first_at_ms:
 * now + the wait first_ms * 2^(attempt - 1) capped at max_ms, less a
 * random part of up to half of it (jitter: any 32 random bits), never
 * past first_at_ms + window_ms (one last attempt at the window's end).
 * 0 when the window has passed: the delivery is dead. */
int64_t whk_next_attempt(const whk_schedule *s, int attempt, int64_t first_at_ms, int64_t now_ms,
			 uint32_t jitter);

/* 1 when an endpoint whose deliveries have failed since failing_since_ms
 * (0: it is not failing) is to be paused at now_ms. */
int whk_should_pause(const whk_schedule *s, int64_t failing_since_ms, int64_t now_ms);

#endif
