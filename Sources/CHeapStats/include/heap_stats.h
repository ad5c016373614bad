#ifndef TELETOP_HEAP_STATS_H
#define TELETOP_HEAP_STATS_H
#include <stddef.h>
/// Bytes the C heap has handed out and not taken back (glibc's mallinfo2
/// uordblks), 0 where that is not available. Swift cannot see malloc.h.
size_t teletop_heap_in_use(void);
#endif
