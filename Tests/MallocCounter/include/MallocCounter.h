#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H
/// Number of heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign)
/// made by this process so far, from every thread, except those called directly from the code
/// of the library set by kd_malloc_exclude_library; -1 where counting is not supported.
long kd_malloc_count(void);
/// Allocations called directly from the excluded library's code so far.
long kd_malloc_excluded_count(void);
/// Counts allocations called from the loaded shared object whose path contains `name` (e.g.
/// "libopenblas") apart from the others; returns 0 when no such object is loaded.
int kd_malloc_exclude_library(const char *name);
#endif
