#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H
/// Number of heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign)
/// made by this process so far, from every thread; -1 where counting is not supported.
long kd_malloc_count(void);
#endif
