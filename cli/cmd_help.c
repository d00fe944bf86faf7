/* cmd_help.c — `nnd help [COMMAND|TOPIC|NAME]`: the commands, one command's
 * usage, the names of a topic, or one name's inputs and arguments as its
 * schema declares them. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "registry.h"
#include "train_config.h"

typedef struct {
  const char *name;
  const char *summary;
  const char *usage;
} help_entry;

static const help_entry entries[] = {
    {"check", "compile model files and report errors",
     "usage: nnd check [-q] [--json] FILE...\n\n"
     "Compile each .nnd file and report every error with file:line:col, the\n"
     "source line and a caret. Prints 'FILE: ok' for each good file unless -q.\n"
     "--json prints the diagnostics to stdout instead, one JSON object per line:\n"
     "file, line, column, end_column, severity, message, suggestion.\n"
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
     "usage: nnd trace FILE [--input NAME=VALUES]... [--format F] [-o OUT]\n"
     "                      [--max-numbers N]\n"
     "       nnd trace FILE [--input NAME=VALUES]... --check ANSWERS\n"
     "                      [--rtol R] [--atol A]\n\n"
     "Run the model forward and backward once and print what a worked\n"
     "backpropagation answer shows: the value of every node in order, each loss\n"
     "and the total, then the gradient of every parameter and of every float\n"
     "input (dL/dW), to 6 significant digits. Inputs take their literal values\n"
     "from the model, or --input NAME=1,2,3 (brackets allowed; a multiple of the\n"
     "per-sample size makes a batch), or seeded random values.\n\n"
     "  --format F       text (the default, for a terminal), markdown (headings,\n"
     "                   matrices as tables), latex (a document for pdflatex,\n"
     "                   matrices as bmatrix) or json (every number in full, for\n"
     "                   autograders; schema in nnd(1))\n"
     "  -o OUT           write to OUT (atomically) instead of stdout\n"
     "  --max-numbers N  json: a tensor of more than N numbers (default 1000000)\n"
     "                   is written as a summary; 0: no limit\n"
     "  --check ANSWERS  compare a JSON file of answers (the json format, any\n"
     "                   subset of its keys) with nnd's numbers; print each wrong\n"
     "                   one, by how much, and each unknown key. Exit status 0 all\n"
     "                   right, 1 any wrong, 2 an unreadable answers file\n"
     "  --rtol R         relative tolerance of --check (default 0.001)\n"
     "  --atol A         absolute tolerance of --check (default 0.0001): right\n"
     "                   when |answer - nnd| <= A + R * |nnd|\n"},
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
     "                      [--resume PATH | --overwrite] [--weights CKPT]\n"
     "                      [--log FILE.csv | --log FILE.jsonl [--log-steps]]\n\n"
     "Train with the model's train block: data, test, validation, optimizer,\n"
     "schedule, batch, epochs, seed, shuffle; --set overrides any of them, or an\n"
     "argument of a call (--set optimizer.lr=0.003, --set epochs=2), the value\n"
     "written as in the file (--set 'optimizer=adam(lr=0.01)',\n"
     "--set 'data.path=\"train.csv\"'). After each\n"
     "epoch: train loss and accuracy, test (or validation) loss and accuracy,\n"
     "seconds; on a terminal a live progress line on stderr. The checkpoint\n"
     "(default NAME.safetensors) is written atomically after every epoch and on\n"
     "Ctrl-C; --resume continues exactly where it stopped (same model, seed,\n"
     "batch, validation and data; the run state is checked). An existing\n"
     "checkpoint is replaced only by --resume of that file or --overwrite, and\n"
     "never before the first step. A NaN or infinity\n"
     "stops training naming the epoch, step and tensor. --log writes one CSV\n"
     "row per epoch (JSON lines when the name ends in .jsonl; with --log-steps\n"
     "also one line per step with its running loss), rewritten whole after each\n"
     "epoch. Outputs are written atomically; devices, symlinks and an output\n"
     "that is the model, --resume or the other output are refused. --weights\n"
     "starts from the parameters of CKPT (such as `nnd import` writes) instead of\n"
     "the model's initializers.\n"},
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
     "probabilities (softmax for cross_entropy, sigmoid for binary_cross_entropy,\n"
     "exp for nll; an mse model prints its values): samples given with --input\n"
     "(a multiple of the per-sample size makes several), else the first N\n"
     "(default 10) of the model's test data, with their true class.\n"},
    {"export", "write a model's inference graph and weights as ONNX",
     "usage: nnd export FILE --weights CKPT -o FILE.onnx\n\n"
     "Write the inference graph (the model's inputs up to what each loss\n"
     "judges; losses left out, dropout removed, batchnorm with its running\n"
     "statistics) with the weights of CKPT as ONNX (IR version 7, opset 13).\n"
     "Nodes and initializers keep nnd's names; the batch dimension is \"N\".\n"
     "An op with no ONNX form (a plugin's) is refused, naming op and node.\n"
     "Exit status: 0 written, 1 model or weights refused, 2 usage error.\n"},
    {"import", "turn an ONNX graph into a .nnd file and its weights",
     "usage: nnd import MODEL.onnx -o FILE.nnd [--weights FILE.safetensors]\n\n"
     "Write the graph as a readable .nnd file (inputs, one line per node, a\n"
     "commented loss and train template) and its weights as safetensors (by\n"
     "default FILE.safetensors next to FILE.nnd; use it with --weights).\n"
     "Reads Gemm, MatMul(+Add), Conv, MaxPool, AveragePool, Relu, LeakyRelu,\n"
     "Sigmoid, Tanh, Softmax, LogSoftmax, Flatten, Reshape (constant shape),\n"
     "Concat, BatchNormalization, Dropout, Identity, Add, Sub, Mul, Constant,\n"
     "and the Shape/Gather/Unsqueeze/Concat arithmetic and zero Pads PyTorch's\n"
     "exporter writes around a reshape and an average pool.\n"
     "Every node it cannot express is listed in one error; then nothing is\n"
     "written.\n"
     "Exit status: 0 written, 1 the file is refused, 2 usage error.\n"},
    {"sweep", "train every combination of settings and compare them",
     "usage: nnd sweep FILE --set KEY=V1,V2,... [--set ...] [--log-dir DIR]\n\n"
     "Train the model once per combination of the values given (--set\n"
     "optimizer.lr=0.1,0.01,0.003 --set batch=16,64 makes six runs) and print a\n"
     "table of the final train and test loss and accuracy of each. --log-dir\n"
     "keeps each run's per-epoch CSV log (runN.csv) for nnd plot. Every\n"
     "combination is checked before the first run; values are split at the\n"
     "commas outside brackets and strings.\n"},
    {"plot", "draw training curves from `nnd train --log` CSV files as SVG",
     "usage: nnd plot LOG.csv... -o FILE.svg\n\n"
     "Draw the loss and accuracy per epoch of one or more training logs as one\n"
     "self-contained SVG: train solid, test dashed, one colour per log, named\n"
     "in the legend by its file name.\n"
     "Exit status: 0 written, 1 a log is not an nnd training log (file:line),\n"
     "2 usage error or a log that cannot be opened.\n"},
    {"plugins", "list plugins: what they register, or why they were refused",
     "usage: nnd plugins\n"
     "       nnd plugins --check FILE.so\n\n"
     "List every plugin file found on the search path (--plugin-dir DIR,\n"
     "NND_PLUGIN_PATH, then the installed plugin directory): its name, version,\n"
     "licence, ABI, kernels, ops and optimizers, or the reason it was refused.\n\n"
     "  --check FILE.so    load FILE.so besides nnd's own plugins and run its\n"
     "                     conformance check: every op it adds (shape inference\n"
     "                     on generated shapes and attributes, in and out of\n"
     "                     range), every kernel (deterministic forward, no write\n"
     "                     outside its output, backward against finite\n"
     "                     differences, agreement with the reference kernel, or\n"
     "                     with naive for a standard op). One row per op and\n"
     "                     kernel; exit status 1 when any row fails.\n"},
    {"help", "help for a command, a topic or any name a model can use",
     "usage: nnd help [COMMAND | TOPIC | NAME]\n"
     "       nnd help --list commands|topics|backends|options=COMMAND|TOPIC\n\n"
     "Without an argument, list the commands and the help topics. With a\n"
     "command, show its usage (as `nnd COMMAND --help` does). With a topic\n"
     "(ops, optimizers, initializers, data, schedules, train), list its names.\n"
     "With a name (dense, sgd, xavier, idx, cosine, epochs, ...), show its\n"
     "inputs or arguments with their types, ranges and defaults, taken from\n"
     "the schemas the compiler checks: a plugin's ops and calls are included.\n"
     "--list prints bare names, one per line, for shell completion.\n"},
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

/* ------------------------------------------------------ names of a model
 * Every name a model can use comes from a schema in the registry (ops, the
 * calls: optimizers, initializers, data sources, schedules) or from the
 * train block's signature. Help prints those schemas, so what it says is
 * what the compiler checks, and a plugin's additions are documented too. */

typedef struct {
  const char *topic;   /* `nnd help TOPIC` lists the group */
  const char *title;
  int call_kind;       /* 0: ops; -1: train settings; else an nnd_call_kind */
} help_group;

static const help_group groups[] = {
    {"ops", "ops (layers, activations, arithmetic, losses)", 0},
    {"optimizers", "optimizers (train { optimizer = ... })", NND_CALL_OPTIMIZER},
    {"initializers", "initializers (param values, weight=, bias=)", NND_CALL_INITIALIZER},
    {"data", "data sources (train { data = ..., test = ... })", NND_CALL_DATA},
    {"schedules", "learning-rate schedules (train { schedule = ... })", NND_CALL_SCHEDULE},
    {"train", "train settings (train { KEY = VALUE }, --set KEY=VALUE)", -1},
};
#define N_GROUPS ((int)(sizeof groups / sizeof groups[0]))

static const char *type_name(const nnd_attr_spec *a) {
  switch (a->type) {
  case NND_ATTR_INT: return "integer";
  case NND_ATTR_FLOAT: return "number";
  case NND_ATTR_BOOL: return "true|false";
  case NND_ATTR_STRING: return "string";
  case NND_ATTR_INTS: return a->count ? "integer or list" : "list of integers";
  case NND_ATTR_PADDING: return "integer, list, \"same\" or \"valid\"";
  case NND_ATTR_INIT: return a->optional ? "initializer, literal or false" : "initializer or literal";
  case NND_ATTR_SHAPE: return "shape list";
  case NND_ATTR_CALL: return nnd_call_kind_name((nnd_call_kind)a->call_kind);
  case NND_ATTR_ANY: return "any value";
  }
  return "value";
}

static void print_attr(const nnd_attr_spec *a, int positional) {
  printf("  %-14s %s", a->name, a->doc ? a->doc : "");
  printf("\n  %-14s %s", "", type_name(a));
  if (a->choices) printf(", one of %s", a->choices);
  if (a->has_min || a->has_max) {
    printf(", %s", a->has_min ? (a->min_exclusive ? "(" : "[") : "(");
    if (a->has_min) printf("%.15g", a->min);
    else printf("-inf");
    printf(", ");
    if (a->has_max) printf("%.15g", a->max);
    else printf("inf");
    printf("%s", a->has_max ? (a->max_exclusive ? ")" : "]") : ")");
    if (a->type == NND_ATTR_INTS) printf(" each");
  }
  if (a->required) printf(", required");
  else if (a->has_default && a->def_str) printf(", default %s", a->def_str);
  else if (a->has_default && a->type == NND_ATTR_BOOL) printf(", default %s", a->def_num ? "true" : "false");
  else if (a->has_default) printf(", default %.15g", a->def_num);
  if (positional) printf("; may be given by position");
  putchar('\n');
}

static void print_op(const nnd_op_schema *op, const char *origin) {
  printf("%s (op) — %s\n", op->name, op->doc ? op->doc : "");
  if (op->max_inputs < 0)
    printf("inputs: %d or more\n", op->min_inputs);
  else if (op->min_inputs == op->max_inputs)
    printf("inputs: %d\n", op->min_inputs);
  else
    printf("inputs: %d to %d\n", op->min_inputs, op->max_inputs);
  if (op->flags & NND_OP_LOSS) printf("a loss: use it as `loss %s(...)`\n", op->name);
  printf("defined by: %s\n", origin);
  if (op->n_attrs) printf("attributes:\n");
  for (int i = 0; i < op->n_attrs; i++) print_attr(&op->attrs[i], 0);
}

static void print_call(const nnd_call_schema *c, const char *origin) {
  printf("%s (%s) — %s\n", c->name, nnd_call_kind_name(c->kind), c->doc ? c->doc : "");
  printf("defined by: %s\n", origin);
  printf(c->n_attrs ? "arguments:\n" : "arguments: none\n");
  for (int i = 0; i < c->n_attrs; i++) print_attr(&c->attrs[i], i < c->n_positional);
}

/* Calls `fn` for every name of a group, with its one-line doc. */
static void each_name(const help_group *g, void (*fn)(const char *, const char *)) {
  if (g->call_kind == 0) {
    for (int i = 0; i < nnd_registry_op_count(); i++) {
      const nnd_op_schema *op = nnd_registry_op_at(i, NULL);
      fn(op->name, op->doc);
    }
  } else if (g->call_kind < 0) {
    const nnd_attr_sig *sig = nnd_train_signature();
    for (int i = 0; i < sig->n_specs; i++) fn(sig->specs[i].name, sig->specs[i].doc);
  } else {
    for (int i = 0; i < nnd_registry_call_count(); i++) {
      const nnd_call_schema *c = nnd_registry_call_at(i, NULL);
      if ((int)c->kind == g->call_kind) fn(c->name, c->doc);
    }
  }
}

static void print_row(const char *name, const char *doc) {
  printf("  %-22s %s\n", name, doc ? doc : "");
}
static void print_bare(const char *name, const char *doc) {
  (void)doc;
  puts(name);
}

static void print_groups(void) {
  printf("help topics (nnd help TOPIC lists one; nnd help NAME describes one name):\n");
  printf("  %-14s %s\n", "commands", "the commands of nnd");
  for (int i = 0; i < N_GROUPS; i++) printf("  %-14s %s\n", groups[i].topic, groups[i].title);
}

/* The options a command's usage text names ("--log", "-q"): the completion
 * script asks for them, so the help text stays their one definition. */
static void print_options(const char *usage) {
  const char *seen[64];
  int n = 0;
  for (const char *p = usage; *p; p++) {
    if (*p != '-' || (p > usage && p[-1] != ' ' && p[-1] != '[' && p[-1] != '|')) continue;
    const char *q = p + 1;
    if (*q == '-') q++;
    if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z'))) continue;
    while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '-') q++;
    int dup = 0;
    for (int i = 0; i < n; i++)
      dup |= strlen(seen[i]) == (size_t)(q - p) && strncmp(seen[i], p, (size_t)(q - p)) == 0;
    if (dup || n == 64) continue;
    static char store[64][32];
    snprintf(store[n], sizeof store[n], "%.*s", (int)(q - p), p);
    seen[n] = store[n];
    printf("%s\n", store[n++]);
    p = q - 1;
  }
  printf("--help\n");
}

/* `nnd help --list WHAT`: bare names, one per line, for shell completion. */
static int list_names(const char *what) {
  if (strcmp(what, "commands") == 0) {
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) puts(entries[i].name);
    return EXIT_OK;
  }
  if (strcmp(what, "topics") == 0) {
    puts("commands");
    for (int i = 0; i < N_GROUPS; i++) puts(groups[i].topic);
    return EXIT_OK;
  }
  if (strcmp(what, "backends") == 0) {
    const char *seen[64];
    int n = 0;
    for (int i = 0; i < nnd_registry_kernel_count(); i++) {
      const char *b = nnd_registry_kernel_at(i, NULL)->backend;
      int dup = 0;
      for (int j = 0; j < n; j++) dup |= strcmp(seen[j], b) == 0;
      if (!dup && n < 64) puts(seen[n++] = b);
    }
    return EXIT_OK;
  }
  if (strncmp(what, "options=", 8) == 0) {
    const char *usage = cli_command_help(what + 8);
    if (!usage) return cli_usage_error("help", "no command named '%s'", what + 8);
    print_options(usage);
    return EXIT_OK;
  }
  for (int i = 0; i < N_GROUPS; i++)
    if (strcmp(groups[i].topic, what) == 0) {
      each_name(&groups[i], print_bare);
      return EXIT_OK;
    }
  return cli_usage_error("help", "--list takes commands, topics, backends, options=COMMAND "
                                 "or a topic");
}

/* Every schema called `name`: an op, a call of any kind, a train setting. */
static int describe_name(const char *name, int found) {
  const char *origin = "builtin";
  const nnd_op_schema *op = nnd_registry_find_op(name, NULL);
  for (int i = 0; op && i < nnd_registry_op_count(); i++)
    if (nnd_registry_op_at(i, &origin) == op) break;
  if (op) {
    if (found++) putchar('\n');
    print_op(op, origin);
  }
  for (int i = 0; i < nnd_registry_call_count(); i++) {
    const nnd_call_schema *c = nnd_registry_call_at(i, &origin);
    if (strcmp(c->name, name) != 0) continue;
    if (found++) putchar('\n');
    print_call(c, origin);
  }
  const nnd_attr_sig *sig = nnd_train_signature();
  for (int i = 0; i < sig->n_specs; i++) {
    if (strcmp(sig->specs[i].name, name) != 0) continue;
    if (found++) putchar('\n');
    printf("%s (train setting)\n", name);
    print_attr(&sig->specs[i], 0);
  }
  return found;
}

int cmd_help(int argc, char **argv) {
  if (argc < 2) {
    cli_print_overview(stdout);
    putchar('\n');
    print_groups();
    return EXIT_OK;
  }
  nnd_registry_init_standard();
  if (strcmp(argv[1], "--list") == 0) {
    if (argc != 3) return cli_usage_error("help", "--list takes one argument");
    return list_names(argv[2]);
  }
  if (argc > 2) return cli_usage_error("help", "expected at most one topic");
  const char *topic = argv[1];
  if (strcmp(topic, "--help") == 0 || strcmp(topic, "-h") == 0) topic = "help";
  const char *text = cli_command_help(topic);
  if (text) {
    fputs(text, stdout);
    return EXIT_OK;
  }
  if (strcmp(topic, "commands") == 0) {
    cli_print_overview(stdout);
    return EXIT_OK;
  }
  for (int i = 0; i < N_GROUPS; i++) {
    if (strcmp(groups[i].topic, topic) != 0) continue;
    printf("%s:\n", groups[i].title);
    each_name(&groups[i], print_row);
    describe_name(topic, 1); /* `data` is a topic and a train setting */
    return EXIT_OK;
  }
  if (describe_name(topic, 0)) return EXIT_OK;
  const char *near = nnd_registry_suggest_op(topic);
  for (int k = NND_CALL_INITIALIZER; !near && k <= NND_CALL_SCHEDULE; k++)
    near = nnd_registry_suggest_call((nnd_call_kind)k, topic);
  if (near)
    return cli_usage_error("help", "no command, topic or name '%s'; did you mean '%s'?", topic,
                           near);
  return cli_usage_error("help", "no command, topic or name '%s' (nnd help lists the topics)",
                         topic);
}
