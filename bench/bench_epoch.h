/* bench_epoch.h — nnd_bench --epoch: one `nnd train` run timed per epoch
 * (bench_epoch.c). */
#ifndef NND_BENCH_EPOCH_H
#define NND_BENCH_EPOCH_H

typedef struct {
  const char *model_path, *backends;
  int epochs;      /* 0: the model's own */
  double step_ms;  /* the steady step time measured by the step loop, or 0 */
  int json;
} nnd_bench_epoch_options;

int nnd_bench_epoch(const nnd_bench_epoch_options *o);

#endif
