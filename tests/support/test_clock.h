/* test_clock: the process's wall clock moved by the test instead of
 * sleeping. A test program linked with -Wl,--wrap=time
 * -Wl,--wrap=clock_gettime and kolo_test_clock sees time() and
 * clock_gettime(CLOCK_REALTIME) run test_clock_offset seconds ahead. */
#ifndef KOLO_TEST_CLOCK_H
#define KOLO_TEST_CLOCK_H

#include <stdint.h>

/* Seconds added to the real clock; the test moves it (never back past 0
 * unless it means to). */
extern int64_t test_clock_offset;

#endif
