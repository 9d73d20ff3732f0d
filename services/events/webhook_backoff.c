/* The retry schedule of partner webhooks (webhook_backoff.h). */
#include "webhook_backoff.h"

/* first_ms * 2^(attempt - 1), capped at max_ms without overflow. */
static int64_t
whk_wait_ms(const whk_schedule *s, int attempt)
{
	int64_t wait = s->first_ms > 0 ? s->first_ms : 1;

	for (int i = 1; i < attempt && wait < s->max_ms; i++)
		wait *= 2;
	return wait < s->max_ms ? wait : s->max_ms;
}

int64_t
whk_next_attempt(const whk_schedule *s, int attempt, int64_t first_at_ms, int64_t now_ms,
		 uint32_t jitter)
{
	int64_t deadline = first_at_ms + s->window_ms;
	int64_t wait, next;

	if (now_ms >= deadline)
		return 0;
	wait = whk_wait_ms(s, attempt < 1 ? 1 : attempt);
	/* Equal jitter: half the wait always, the other half at random, so
	 * endpoints that failed together do not all come back together. */
	wait = wait - (int64_t)(jitter % (uint64_t)(wait / 2 + 1));
	next = now_ms + (wait > 0 ? wait : 1);
	return next < deadline ? next : deadline;
}

int
whk_should_pause(const whk_schedule *s, int64_t failing_since_ms, int64_t now_ms)
{
	return failing_since_ms > 0 && now_ms - failing_since_ms >= s->pause_ms;
}
