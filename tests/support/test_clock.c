#include "test_clock.h"

#include <time.h>

time_t __real_time(time_t *t);
time_t __wrap_time(time_t *t);
int __real_clock_gettime(clockid_t id, struct timespec *ts);
int __wrap_clock_gettime(clockid_t id, struct timespec *ts);

int64_t test_clock_offset;

int
__wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = __real_clock_gettime(id, ts);

	if (rc == 0 && id == CLOCK_REALTIME)
		ts->tv_sec += (time_t)test_clock_offset;
	return rc;
}

time_t
__wrap_time(time_t *t)
{
	time_t now = __real_time(NULL) + (time_t)test_clock_offset;

	if (t)
		*t = now;
	return now;
}
