/* cmd_help.c — `nnd help [COMMAND|OP]`: the commands, or one command's usage,
 * or an op's inputs and attributes as its schema declares them. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "registry.h"

typedef struct {
  const char *name;
  const char *summary;
  const char *usage;
} help_entry;

static const help_entry entries[] = {
    {"check", "compile model files and report errors",
     "usage: nnd check [-q] FILE...\n\n"
     "Compile each .nnd file and report every error with file:line:col, the\n"
     "source line and a caret. Prints 'FILE: ok' for each good file unless -q.\n"
     "Exit status: 0 all files compile, 1 a model has errors, 2 usage error.\n"},
    {"summary", "print every node: op, output shape, parameters",
     "usage: nnd summary [--kernels] FILE\n\n"
     "Print a table of the model's nodes in order: name, op, output shape\n"
     "([N, ...] where N is the batch) and parameter count, then the totals.\n"
     "A layer's parameters are counted on its row.\n"
     "  --kernels  also show which backend's kernel runs each op and which\n"
     "             backend's optimizer steps the parameters (after --backend,\n"
     "             NND_BACKEND and the loaded plugins)\n"},
    {"ir", "print the compiled graph in its stable text form",
     "usage: nnd ir FILE\n\n"
     "Print the IR: one line per node (%id = op name(inputs; params) attrs :\n"
     "type), then the losses and the train settings with defaults applied.\n"
     "The format is stable and versioned by its first line.\n"},
    {"trace", "run a small network and print every value and gradient",
     "usage: nnd trace FILE [--input NAME=VALUES]...\n\n"
     "Run the model forward and backward once and print what a worked\n"
     "backpropagation answer shows: the value of every node in order, each loss\n"
     "and the total, then the gradient of every parameter and of every float\n"
     "input (dL/dW), to 6 significant digits. Inputs take their literal values\n"
     "from the model, or --input NAME=1,2,3 (brackets allowed; a multiple of the\n"
     "per-sample size makes a batch), or seeded random values.\n"},
    {"gradcheck", "compare backward with finite differences",
     "usage: nnd gradcheck FILE [-v] [--tolerance T] [--eps E] [--samples K]\n"
     "                          [--batch N] [--seed S]\n\n"
     "Layers (this decides): every op node's kernel, at its shapes, on seeded\n"
     "random inputs, against central finite differences of sum(output * R), on\n"
     "up to K elements (default 32) of each input and parameter.\n"
     "Parameters: the whole model's loss along 5 random directions (median\n"
     "error) and element by element; for information only when the model has\n"
     "ReLU or max-pool kinks. Steps start at E (default 0.01) and halve until\n"
     "two estimates agree; elements that never agree are counted as kinks.\n"
     "Inputs without a value get seeded random data (batch N, default 2).\n"
     "-v prints every element that differs. Exit status 1 when an error\n"
     "exceeds the tolerance (default 0.01).\n"},
    {"train", "train the model on its data, with checkpoints",
     "usage: nnd train FILE [--set KEY=VALUE]... [--checkpoint PATH]\n"
     "                      [--resume PATH | --overwrite]\n"
     "                      [--log FILE.csv | --log FILE.jsonl [--log-steps]]\n\n"
     "Train with the model's train block: data, test, validation, optimizer,\n"
     "schedule, batch, epochs, seed, shuffle; --set overrides any of them, or an\n"
     "argument of a call (--set optimizer.lr=0.003, --set epochs=2). After each\n"
     "epoch: train loss and accuracy, test (or validation) loss and accuracy,\n"
     "seconds; on a terminal a live progress line on stderr. The checkpoint\n"
     "(default NAME.safetensors) is written atomically after every epoch and on\n"
     "Ctrl-C; --resume continues exactly where it stopped (same model, seed,\n"
     "batch, validation and data; the run state is checked). An existing\n"
     "checkpoint is replaced only by --resume of that file or --overwrite, and\n"
     "never before the first step. A NaN or infinity\n"
     "stops training naming the epoch, step and tensor. --log writes one CSV\n"
     "row per epoch (JSON lines when the name ends in .jsonl; with --log-steps\n"
     "also one line per step with its running loss).\n"},
    {"eval", "evaluate trained weights: accuracy, per class, confusion matrix",
     "usage: nnd eval FILE --weights CKPT [--json] [--report FILE.html [--log CSV]]\n\n"
     "Run the test set (else the training data) of the model's train block with\n"
     "the weights of CKPT and print loss, accuracy, balanced accuracy, per-class\n"
     "accuracy, precision, recall and F1 with the model's class names, macro\n"
     "averages, and the confusion matrix; --json prints the same as JSON.\n"
     "--report writes one self-contained HTML page: the metrics, the confusion\n"
     "matrix as a heat map, the training curves (with --log), and grids of\n"
     "correctly and wrongly classified test images.\n"},
    {"predict", "top classes of samples, with probabilities",
     "usage: nnd predict FILE --weights CKPT [--input NAME=VALUES | --samples N]\n"
     "                        [--top K]\n\n"
     "Print the K (default 3) most likely classes of each sample with their\n"
     "probabilities: samples given with --input (a multiple of the per-sample\n"
     "size makes several), else the first N (default 10) of the model's test\n"
     "data, with their true class.\n"},
    {"sweep", "train every combination of settings and compare them",
     "usage: nnd sweep FILE --set KEY=V1,V2,... [--set ...] [--log-dir DIR]\n\n"
     "Train the model once per combination of the values given (--set\n"
     "optimizer.lr=0.1,0.01,0.003 --set batch=16,64 makes six runs) and print a\n"
     "table of the final train and test loss and accuracy of each. --log-dir\n"
     "keeps each run's per-epoch CSV log (runN.csv) for nnd plot.\n"},
    {"plot", "draw training curves from `nnd train --log` CSV files as SVG",
     "usage: nnd plot LOG.csv... -o FILE.svg\n\n"
     "Draw the loss and accuracy per epoch of one or more training logs as one\n"
     "self-contained SVG: train solid, test dashed, one colour per log, named\n"
     "in the legend by its file name.\n"
     "Exit status: 0 written, 1 a log is not an nnd training log (file:line),\n"
     "2 usage error or a log that cannot be opened.\n"},
    {"plugins", "list plugins: what they register, or why they were refused",
     "usage: nnd plugins\n\n"
     "List every plugin file found on the search path (--plugin-dir DIR,\n"
     "NND_PLUGIN_PATH, then the installed plugin directory): its name, version,\n"
     "licence, ABI, kernels, ops and optimizers, or the reason it was refused.\n"},
    {"help", "show help for a command or an op",
     "usage: nnd help [COMMAND | OP]\n\n"
     "Without an argument, list the commands. With a command, show its usage;\n"
     "with an op name (dense, conv2d, ...), show its inputs and attributes.\n"},
};

const char *cli_command_help(const char *name) {
  for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
    if (strcmp(entries[i].name, name) == 0) return entries[i].usage;
  return NULL;
}

void cli_print_overview(FILE *out) {
  fprintf(out, "nnd %s — neural networks from .nnd model files\n\n"
               "usage: nnd COMMAND [ARGS]\n\ncommands:\n", nnd_version());
  for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
    fprintf(out, "  %-10s %s\n", entries[i].name, entries[i].summary);
  fprintf(out, "\nglobal options (any command):\n"
               "  --plugin-dir DIR   load plugins from DIR too (repeatable)\n"
               "  --backend LIST     kernel preference, e.g. blas,openmp,naive\n"
               "  --threads N        threads for the backends that use them\n");
  fprintf(out, "\n  nnd --version    print the version\n"
               "  nnd help OP      describe an op (nnd help ops lists them)\n\n"
               "See nnd(1) and, for the language, nnd.nnd(5).\n");
}

static void print_op(const nnd_op_schema *op, const char *origin) {
  printf("%s — %s\n", op->name, op->doc ? op->doc : "");
  if (op->max_inputs < 0)
    printf("inputs: %d or more\n", op->min_inputs);
  else if (op->min_inputs == op->max_inputs)
    printf("inputs: %d\n", op->min_inputs);
  else
    printf("inputs: %d to %d\n", op->min_inputs, op->max_inputs);
  if (op->flags & NND_OP_LOSS) printf("a loss: use it as `loss %s(...)`\n", op->name);
  printf("defined by: %s\n", origin);
  if (op->n_attrs) printf("attributes:\n");
  for (int i = 0; i < op->n_attrs; i++) {
    const nnd_attr_spec *a = &op->attrs[i];
    printf("  %-14s %s", a->name, a->doc ? a->doc : "");
    if (a->required) printf(" (required)");
    else if (a->has_default && a->def_str) printf(" (default %s)", a->def_str);
    else if (a->has_default) printf(" (default %g)", a->def_num);
    putchar('\n');
  }
}

int cmd_help(int argc, char **argv) {
  if (argc < 2) {
    cli_print_overview(stdout);
    return EXIT_OK;
  }
  if (argc > 2) return cli_usage_error("help", "expected at most one topic");
  const char *topic = argv[1];
  const char *text = cli_command_help(topic);
  if (text) {
    fputs(text, stdout);
    return EXIT_OK;
  }
  nnd_registry_init_standard();
  if (strcmp(topic, "ops") == 0) {
    for (int i = 0; i < nnd_registry_op_count(); i++) {
      const nnd_op_schema *op = nnd_registry_op_at(i, NULL);
      printf("  %-22s %s\n", op->name, op->doc ? op->doc : "");
    }
    return EXIT_OK;
  }
  const char *origin = "builtin";
  const nnd_op_schema *op = nnd_registry_find_op(topic, NULL);
  for (int i = 0; op && i < nnd_registry_op_count(); i++)
    if (nnd_registry_op_at(i, &origin) == op) break;
  if (op) {
    print_op(op, origin);
    return EXIT_OK;
  }
  return cli_usage_error("help", "no command or op named '%s'", topic);
}
