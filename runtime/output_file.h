/* output_file.h — every file nnd writes goes through here: a temporary file
 * in the target's directory, checked writes, fsync, rename over the target,
 * fsync of the directory. A reader sees the old file or the new one, never
 * a truncated mix, and a full disk is an error rather than a short file.
 *
 * Targets are checked first: a path that exists must be a regular file (not
 * a device such as /dev/null, a FIFO, a directory) and not a symbolic link,
 * because rename would replace the node itself. New files get the user's
 * umask (0666 & ~umask); a replaced file keeps its mode.
 *
 * `role` names the path for the user ("--log", "-o"); every error starts
 * with "ROLE PATH: " (or "PATH: " when role is NULL). */
#ifndef NND_OUTPUT_FILE_H
#define NND_OUTPUT_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct nnd_output nnd_output;

/* 0 when `path` may be replaced: it does not exist, or it is a regular file
 * and not a symlink. */
int nnd_output_check(const char *role, const char *path, char *err, size_t err_size);

/* Check the target and create the temporary file; write to
 * nnd_output_stream(*out), then commit or abort. */
int nnd_output_open(const char *role, const char *path, nnd_output **out, char *err,
                    size_t err_size);
FILE *nnd_output_stream(nnd_output *o);
/* Flush, check for write errors, fsync, close, rename over the target, sync
 * the directory. Frees o whatever happens; on failure the target is as it
 * was and the temporary file is gone. */
int nnd_output_commit(nnd_output *o, char *err, size_t err_size);
/* Discard what was written; the target is untouched. NULL is allowed. */
void nnd_output_abort(nnd_output *o);

/* A whole file from one buffer: open, write, commit. */
int nnd_output_write(const char *role, const char *path, const void *data, size_t len,
                     char *err, size_t err_size);

/* One path a command names: its role for the user ("--log", "the model
 * file") and whether the command writes it. */
typedef struct {
  const char *role;
  const char *path;   /* NULL: not given, skipped */
  int is_output;
  int group;          /* nonzero: may be the same file as others of its group
                         (the checkpoint resumed from and rewritten in place) */
} nnd_path_use;

/* Refuse a command whose output is one of its other paths: two paths that
 * are the same file (same device and inode, so links and "./x" count), or,
 * for files that do not exist yet, the same name in the same directory.
 * Error: "--log and --checkpoint name the same file: PATH". */
int nnd_paths_distinct(const nnd_path_use *uses, int n, char *err, size_t err_size);

#endif
