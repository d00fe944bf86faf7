/* squared_error_variants.c — not part of nnd: a plain C model of the seed's
 * per-example run (784-H-10, sigmoid hidden layer, SGD at batch 1, a new
 * shuffle each epoch, pixels / 255), used to ask which output layer and loss
 * give the seed's numbers (0.3166 -> 0.0706 train loss, 0.9648 test accuracy).
 * The README's "The seed's MNIST runs" quotes its results.
 *
 *   cc -O2 -o variants squared_error_variants.c -lz -lm
 *   ./variants LOSS [LR [HIDDEN [EPOCHS [INIT]]]]      (run from the repository)
 *
 * LOSS: 0 softmax cross-entropy (nnd's cross_entropy: checks this program
 *         against nnd's run of the same network)
 *       1 sigmoid outputs, half the summed squared error, 1/2 |a - y|^2
 *       2 sigmoid outputs, squared error averaged over the outputs
 *       3 sigmoid outputs, binary cross-entropy summed over the outputs
 *       4 sigmoid outputs, squared error summed over the outputs
 *         (nnd's `mse(out, one_hot(digit)) * 10`)
 * INIT: 0 Xavier uniform, zero biases; 1 normal, std 1/sqrt(fan_in), zero
 *       biases; 2 PyTorch's default, uniform +-1/sqrt(fan_in) for weights and
 *       biases.
 * Prints per epoch the running mean of the loss, the training accuracy and
 * the test accuracy. Its random numbers are not nnd's, so single runs differ
 * from nnd's by about the seed-to-seed spread. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

enum { N_TRAIN = 60000, N_TEST = 10000, IN = 784, OUT = 10, MAX_HIDDEN = 4096 };

static unsigned char *load(const char *path) {
  gzFile f = gzopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: cannot open\n", path);
    exit(1);
  }
  size_t cap = 1 << 20, len = 0;
  unsigned char *b = malloc(cap);
  int r;
  while (b && (r = gzread(f, b + len, (unsigned)(cap - len))) > 0)
    if ((len += (size_t)r) == cap) b = realloc(b, cap *= 2);
  gzclose(f);
  if (!b) exit(1);
  return b;
}

static unsigned long long rng = 42;
static double uniform01(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0;
}
static double normal01(void) {
  return sqrt(-2 * log(uniform01() + 1e-300)) * cos(2 * M_PI * uniform01());
}

static float weight(int init, int fan_in, int fan_out) {
  if (init == 1) return (float)(normal01() / sqrt(fan_in));
  if (init == 2) return (float)((2 * uniform01() - 1) / sqrt(fan_in));
  return (float)((2 * uniform01() - 1) * sqrt(6.0 / (fan_in + fan_out)));
}

static float sigmoid(float z) { return 1 / (1 + expf(-z)); }

/* hidden layer, then the output layer's pre-activations */
static void forward(const float *x, int H, const float *W1, const float *b1, const float *W2,
                    const float *b2, float *h, float *z) {
  for (int j = 0; j < H; j++) {
    float s = b1[j];
    for (int i = 0; i < IN; i++) s += W1[(size_t)j * IN + i] * x[i];
    h[j] = sigmoid(s);
  }
  for (int c = 0; c < OUT; c++) {
    float s = b2[c];
    for (int j = 0; j < H; j++) s += W2[c * H + j] * h[j];
    z[c] = s;
  }
}

/* the sample's loss; dz = d loss / d z */
static double loss_and_grad(int loss, const float *z, int y, float *dz) {
  double L = 0;
  if (loss == 0) {
    float m = z[0];
    for (int c = 1; c < OUT; c++) m = z[c] > m ? z[c] : m;
    double sum = 0;
    for (int c = 0; c < OUT; c++) sum += exp(z[c] - m);
    for (int c = 0; c < OUT; c++) dz[c] = (float)(exp(z[c] - m) / sum - (c == y));
    return -(z[y] - m - log(sum));
  }
  for (int c = 0; c < OUT; c++) {
    float p = sigmoid(z[c]), t = c == y, d = p - t;
    switch (loss) {
    case 1: L += 0.5 * d * d, dz[c] = d * p * (1 - p); break;
    case 2: L += d * d / OUT, dz[c] = 2 * d / OUT * p * (1 - p); break;
    case 3: L -= t * log(p + 1e-12) + (1 - t) * log(1 - p + 1e-12), dz[c] = d; break;
    default: L += d * d, dz[c] = 2 * d * p * (1 - p); break;
    }
  }
  return L;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s LOSS [LR [HIDDEN [EPOCHS [INIT]]]]\n", argv[0]);
    return 2;
  }
  int loss = atoi(argv[1]), H = argc > 3 ? atoi(argv[3]) : 128;
  int epochs = argc > 4 ? atoi(argv[4]) : 10, init = argc > 5 ? atoi(argv[5]) : 0;
  double lr = argc > 2 ? atof(argv[2]) : 0.01;
  if (H < 1 || H > MAX_HIDDEN) return 2;
  unsigned char *ti = load("data/mnist/train-images-idx3-ubyte.gz");
  unsigned char *tl = load("data/mnist/train-labels-idx1-ubyte.gz");
  unsigned char *vi = load("data/mnist/t10k-images-idx3-ubyte.gz");
  unsigned char *vl = load("data/mnist/t10k-labels-idx1-ubyte.gz");
  float *X = malloc(sizeof(float) * N_TRAIN * IN), *V = malloc(sizeof(float) * N_TEST * IN);
  float *W1 = malloc(sizeof(float) * H * IN), *b1 = calloc(H, sizeof(float));
  float *W2 = malloc(sizeof(float) * OUT * H), *b2 = calloc(OUT, sizeof(float));
  int *order = malloc(sizeof(int) * N_TRAIN);
  if (!X || !V || !W1 || !b1 || !W2 || !b2 || !order) return 1;
  for (long i = 0; i < (long)N_TRAIN * IN; i++) X[i] = ti[16 + i] / 255.0f;
  for (long i = 0; i < (long)N_TEST * IN; i++) V[i] = vi[16 + i] / 255.0f;
  for (int i = 0; i < H * IN; i++) W1[i] = weight(init, IN, H);
  for (int i = 0; i < OUT * H; i++) W2[i] = weight(init, H, OUT);
  if (init == 2) {
    for (int j = 0; j < H; j++) b1[j] = (float)((2 * uniform01() - 1) / sqrt(IN));
    for (int c = 0; c < OUT; c++) b2[c] = (float)((2 * uniform01() - 1) / sqrt(H));
  }
  for (int i = 0; i < N_TRAIN; i++) order[i] = i;
  static float h[MAX_HIDDEN], dh[MAX_HIDDEN];
  float z[OUT], dz[OUT];
  for (int e = 1; e <= epochs; e++) {
    for (int i = N_TRAIN - 1; i > 0; i--) {
      int j = (int)(uniform01() * (i + 1)), t = order[i];
      order[i] = order[j], order[j] = t;
    }
    double total = 0;
    int right = 0;
    for (int k = 0; k < N_TRAIN; k++) {
      const float *x = X + (size_t)order[k] * IN;
      int y = tl[8 + order[k]], best = 0;
      forward(x, H, W1, b1, W2, b2, h, z);
      for (int c = 1; c < OUT; c++) best = z[c] > z[best] ? c : best;
      right += best == y;
      total += loss_and_grad(loss, z, y, dz);
      for (int j = 0; j < H; j++) {
        float g = 0;
        for (int c = 0; c < OUT; c++) g += W2[c * H + j] * dz[c];
        dh[j] = g * h[j] * (1 - h[j]);
      }
      for (int c = 0; c < OUT; c++) {
        for (int j = 0; j < H; j++) W2[c * H + j] -= (float)(lr * dz[c] * h[j]);
        b2[c] -= (float)(lr * dz[c]);
      }
      for (int j = 0; j < H; j++) {
        float g = (float)(lr * dh[j]);
        for (int i = 0; i < IN; i++) W1[(size_t)j * IN + i] -= g * x[i];
        b1[j] -= g;
      }
    }
    int test_right = 0;
    for (int k = 0; k < N_TEST; k++) {
      int best = 0;
      forward(V + (size_t)k * IN, H, W1, b1, W2, b2, h, z);
      for (int c = 1; c < OUT; c++) best = z[c] > z[best] ? c : best;
      test_right += best == vl[8 + k];
    }
    printf("loss %d lr %g epoch %d: train loss %.4f, train accuracy %.4f, test accuracy "
           "%.4f\n", loss, lr, e, total / N_TRAIN, (double)right / N_TRAIN,
           (double)test_right / N_TEST);
    fflush(stdout);
  }
  return 0;
}
