"""formulacheck submission template.

Copy this file, implement any subset of the functions (keep the names and
signatures exactly), and check it locally:

    pytest --impl=my_submission.py            # every check, with messages (run from the formulacheck clone)
    formulacheck grade my_submission.py       # the grade, as the grader gives it

Rules (see the student API): numpy arrays in, float64 numpy arrays out;
never modify an argument in place; you may import numpy, scipy, math and the
standard library only (torch, jax, tensorflow, autograd and the project's
packages are forbidden). A function left raising NotImplementedError scores 0
for its formula id only.
"""

import numpy as np  # noqa: F401


# ==========================================================================
# activations (notes 002 §3, 004)
# ==========================================================================

def sigmoid(x):
    """
    σ(x) = 1/(1+exp(-x)) for any shape (0-d included); stable for abs(x)
    <= 1e4.
    """
    raise NotImplementedError

def sigmoid_backward(x, dy):
    """
    dx = dy·σ(x)(1−σ(x)).
    """
    raise NotImplementedError

def tanh_backward(x, dy):
    """
    dx = dy·(1−tanh²x).
    """
    raise NotImplementedError

def relu_backward(x, dy):
    """
    dx = dy·1[x>0] (any value in [0, dy] at x = 0).
    """
    raise NotImplementedError

def leaky_relu_backward(x, a, dy):
    """
    a: float slope for x<0. Returns dx (any value between a·dy and dy at
    x = 0).
    """
    raise NotImplementedError

def prelu_backward(x, a, dy):
    """
    x (N,C,...), a (C,) one slope per channel (channel axis 1). Returns
    (dx, da).
    """
    raise NotImplementedError


# ==========================================================================
# reductions (notes 001 A6.2)
# ==========================================================================

def max_backward(x, dy):
    """
    x (N,D); y = max over the last axis, shape (N,); dy (N,). Returns dx
    (N,D). Ties: any split of dy over the tied maxima (non-negative
    weights summing to 1).
    """
    raise NotImplementedError


# ==========================================================================
# softmax (notes 002 §7)
# ==========================================================================

def softmax(z):
    """
    z (N,K). Softmax over the last axis; stable for abs(z) <= 1e4.
    """
    raise NotImplementedError

def softmax_jacobian(z):
    """
    z (K,). Returns J (K,K), J[i,j] = ∂y_i/∂z_j.
    """
    raise NotImplementedError

def cross_entropy(z, labels):
    """
    z (N,K), labels (N,) int64. Returns a scalar float: mean over N of
    −log softmax(z)[n, labels[n]]; stable.
    """
    raise NotImplementedError

def cross_entropy_backward(z, labels):
    """
    Returns dz (N,K) = (softmax(z) − onehot(labels)) / N.
    """
    raise NotImplementedError


# ==========================================================================
# logistic (notes 002 §7)
# ==========================================================================

def log_likelihood(theta, X, y):
    """
    theta (D,), X (N,D), y (N,) in {0,1} (float64). Returns the scalar
    Σ_n [y log σ(θᵀx_n) + (1−y) log(1−σ(θᵀx_n))]; stable.
    """
    raise NotImplementedError

def log_likelihood_grad(theta, X, y):
    """
    Returns (dtheta (D,), dX (N,D)) = (Σ_n (y_n−σ_n) x_n, rows (y_n−σ_n)
    θ).
    """
    raise NotImplementedError

def log_likelihood_hessian(theta, X, y):
    """
    Returns the (D,D) Hessian w.r.t. theta = −Xᵀ diag(σ(1−σ)) X.
    """
    raise NotImplementedError


# ==========================================================================
# conv (notes 001 A6.1: the 1×1 convolution)
# ==========================================================================

def conv1x1(x, w, b):
    """
    x (N,Cin,H,W), w (Cout,Cin), b (Cout,). Returns (N,Cout,H,W).
    """
    raise NotImplementedError

def conv1x1_backward(x, w, b, dy):
    """
    dy (N,Cout,H,W). Returns (dx, dw, db).
    """
    raise NotImplementedError


# ==========================================================================
# rnn (notes 002 §7, 001 A6.4)
# ==========================================================================

def rnn_forward(x, h0, W1, W2, b2, U, b1):
    """
    h_t = tanh(h_{t−1} W1ᵀ + x_t W2ᵀ + b2), p_t = softmax(h_t Uᵀ + b1).
    x (T,N,D), h0 (N,H), W1 (H,H), W2 (H,D), b2 (H,), U (K,H), b1 (K,).
    Returns (h (T,N,H), p (T,N,K)).
    """
    raise NotImplementedError

def rnn_bptt(x, labels, h0, W1, W2, b2, U, b1):
    """
    labels (T,N) int64; loss = Σ_t mean_n −log p_t[n, labels[t,n]].
    Returns a dict with keys "x","h0","W1","W2","b2","U","b1": the
    gradients of the loss.
    """
    raise NotImplementedError

def rnn_step_jacobian(x_t, h_prev, W1, W2, b2):
    """
    x_t (N,D), h_prev (N,H). Returns J (N,H,H), J[n,i,j] =
    ∂h_t[n,i]/∂h_prev[n,j] (numerator layout).
    """
    raise NotImplementedError


# ==========================================================================
# lstm (notes 001 A6.3, 002 §1)
# ==========================================================================

def lstm_cell(x, h_prev, c_prev, W, b):
    """
    W (4H, H+D) multiplies [h_prev, x]; b (4H,); gate blocks i, f, g, o.
    c = f⊙c_prev + i⊙g, h = o⊙tanh(c). x (N,D), h_prev, c_prev (N,H).
    Returns (h, c).
    """
    raise NotImplementedError

def lstm_cell_backward(x, h_prev, c_prev, W, b, dh, dc):
    """
    dh, dc (N,H): upstream gradients on h and c. Returns (dx, dh_prev,
    dc_prev, dW, db).
    """
    raise NotImplementedError

def lstm_cell_state_jacobian(x, c_prev, o_prev, W, b):
    """
    h_prev = o_prev⊙tanh(c_prev), o_prev held fixed. Returns J (N,H,H),
    J[n,i,j] = ∂c_t[n,i]/∂c_prev[n,j].
    """
    raise NotImplementedError

def lstm_bptt(x, h0, c0, W, b, dh):
    """
    x (T,N,D), dh (T,N,H). Returns a dict with keys
    "x","h0","c0","W","b": the gradients of L = Σ_{t,n,j}
    dh[t,n,j]·h_t[n,j].
    """
    raise NotImplementedError


# ==========================================================================
# gru (notes 002 §1)
# ==========================================================================

def gru_cell(x, h_prev, p):
    """
    u = σ(Wu h + Uu x + bu), r = σ(Wr h + Ur x + br), h̃ = tanh(Wh (r⊙h)
    + Uh x + bh), h_new = (1−u)⊙h + u⊙h̃. p: dict with "Wu","Wr","Wh"
    (H,H), "Uu","Ur","Uh" (H,D), "bu","br","bh" (H,). x (N,D), h_prev
    (N,H). Returns h_new (N,H).
    """
    raise NotImplementedError

def gru_cell_backward(x, h_prev, p, dh):
    """
    dh (N,H). Returns (dx, dh_prev, dp) with dp a dict of the same keys
    as p.
    """
    raise NotImplementedError


# ==========================================================================
# clip (notes 002 §3, 004)
# ==========================================================================

def clip_grad_norm(grads, max_norm):
    """
    grads: list of arrays. Returns (clipped list, total_norm): the total
    L2 norm over all arrays, measured before clipping; each array is
    scaled by max_norm/(total_norm+1e-6) when that factor is < 1.
    """
    raise NotImplementedError

def clip_grad_value(grads, clip):
    """
    Returns a list with every element clipped to [−clip, clip].
    """
    raise NotImplementedError


# ==========================================================================
# residual (notes 002 §5, 004)
# ==========================================================================

def residual_backward(x, W, b, dy):
    """
    y = x + tanh(x Wᵀ + b); x (N,D), W (D,D), b (D,). Returns (dx, dW,
    db).
    """
    raise NotImplementedError

def highway(x, WH, bH, WT, bT):
    """
    y = H⊙T + x⊙(1−T), H = relu(x WHᵀ + bH), T = σ(x WTᵀ + bT); W*
    (D,D). Returns y (N,D).
    """
    raise NotImplementedError

def highway_backward(x, WH, bH, WT, bT, dy):
    """
    Returns (dx, dWH, dbH, dWT, dbT).
    """
    raise NotImplementedError


# ==========================================================================
# dropout (notes 002 §4, 004): p_keep is the keep probability; mask holds float64 zeros and ones
# ==========================================================================

def dropout_train(x, mask, p_keep, inverted):
    """
    Returns x⊙mask, divided by p_keep when inverted.
    """
    raise NotImplementedError

def dropout_eval(x, p_keep, inverted):
    """
    Returns x·p_keep when not inverted; x when inverted.
    """
    raise NotImplementedError

def dropout_backward(dy, mask, p_keep, inverted):
    """
    Returns dx.
    """
    raise NotImplementedError


# ==========================================================================
# norm (notes 002 §4, 004): training mode, biased batch variance in the normalisation
# ==========================================================================

def batchnorm_forward(x, gamma, beta, eps):
    """
    x (N,D), N >= 2; gamma, beta (D,). Returns y = γ(x−μ)/√(σ²+eps) + β.
    """
    raise NotImplementedError

def batchnorm_backward(x, gamma, beta, eps, dy):
    """
    Returns (dx, dgamma, dbeta).
    """
    raise NotImplementedError

def batchnorm2d_backward(x, gamma, beta, eps, dy):
    """
    x (N,C,H,W): statistics per channel over (N,H,W). Returns (dx,
    dgamma, dbeta).
    """
    raise NotImplementedError

def batchnorm_running_update(running_mean, running_var, x, momentum):
    """
    x (N,D). Returns (new_mean, new_var) = (1−m)·old + m·batch
    statistic, with the UNBIASED batch variance for running_var.
    """
    raise NotImplementedError

def layernorm_forward(x, gamma, beta, eps):
    """
    x (N,D), statistics per row. Returns y.
    """
    raise NotImplementedError

def layernorm_backward(x, gamma, beta, eps, dy):
    """
    Returns (dx, dgamma, dbeta).
    """
    raise NotImplementedError


# ==========================================================================
# pool (notes 002 §6, 004): no padding, floor mode
# ==========================================================================

def maxpool2d(x, k, stride):
    """
    x (N,C,H,W). Returns (N,C,Ho,Wo).
    """
    raise NotImplementedError

def maxpool2d_backward(x, k, stride, dy):
    """
    Windows may overlap (stride < k). Returns dx (ties: any split over
    the tied maxima of a window).
    """
    raise NotImplementedError

def avgpool2d_backward(x, k, stride, dy):
    """
    Returns dx.
    """
    raise NotImplementedError

def kmax_pool(x, k):
    """
    x (N,C,T), 1 <= k <= T. Returns (N,C,k): the k largest values of
    each row, kept in their original time order.
    """
    raise NotImplementedError

def kmax_pool_backward(x, k, dy):
    """
    dy (N,C,k). Returns dx (N,C,T).
    """
    raise NotImplementedError


# ==========================================================================
# embedding (notes 004)
# ==========================================================================

def embedding_backward(indices, dy, V):
    """
    indices (N,L) int64 in [0,V), dy (N,L,E). Returns dE (V,E); repeated
    indices add up.
    """
    raise NotImplementedError


# ==========================================================================
# optim (notes 002 §7). Return new arrays; t is the 1-based step number
# ==========================================================================

def sgd_step(theta, grad, lr):
    """
    Returns theta − lr·grad.
    """
    raise NotImplementedError

def momentum_step(theta, grad, m, lr, beta):
    """
    Returns (theta, m): m ← βm + lr·g, θ ← θ − m.
    """
    raise NotImplementedError

def nag_step(theta, grad_fn, m, lr, beta):
    """
    Returns (theta, m): g = grad_fn(θ − βm) (the look-ahead point), m ←
    βm + lr·g, θ ← θ − m.
    """
    raise NotImplementedError

def adagrad_step(theta, grad, s, lr, eps):
    """
    Returns (theta, s): s ← s + g², θ ← θ − lr·g/(√s + eps).
    """
    raise NotImplementedError

def rmsprop_step(theta, grad, s, lr, beta, eps):
    """
    Returns (theta, s): s ← βs + (1−β)g², θ ← θ − lr·g/(√s + eps).
    """
    raise NotImplementedError

def adam_step(theta, grad, m, s, t, lr, beta1, beta2, eps):
    """
    Returns (theta, m, s): m ← β1 m + (1−β1)g, s ← β2 s + (1−β2)g², m̂ =
    m/(1−β1^t), ŝ = s/(1−β2^t), θ ← θ − lr·m̂/(√ŝ + eps).
    """
    raise NotImplementedError


# ==========================================================================
# attention (notes 001 A6.4, 004)
# ==========================================================================

def attention(Q, K, V, mask=None):
    """
    Q (N,n,d), K (N,m,d), V (N,m,dv), mask (n,m) bool, True = may
    attend. Returns softmax(QKᵀ/√d) V, (N,n,dv).
    """
    raise NotImplementedError

def attention_backward(Q, K, V, dy):
    """
    dy (N,n,dv), no mask. Returns (dQ, dK, dV).
    """
    raise NotImplementedError

def positional_encoding(n, d):
    """
    d even. Returns (n,d): PE[p,2i] = sin(p/10000^(2i/d)), PE[p,2i+1] =
    cos(p/10000^(2i/d)).
    """
    raise NotImplementedError


# ==========================================================================
# decode (notes 002 §8 beam search, §11 Viterbi)
# ==========================================================================

def beam_search(log_init, log_trans, length, beam):
    """
    log_init (V,), log_trans (V,V) = log P(y_t given y_{t−1}) indexed
    [previous, next]. Returns (sequence: list of `length` ints, its
    total log-prob); keeps the `beam` best prefixes over all expansions
    at every step.
    """
    raise NotImplementedError

def viterbi(log_init, log_trans, log_emit, obs):
    """
    log_emit (S,O), obs: list of ints. Returns (state path: list of
    ints, its joint log-prob).
    """
    raise NotImplementedError


# ==========================================================================
# hsoftmax (notes 002 §9)
# ==========================================================================

def huffman_codes(freqs):
    """
    freqs (V,) positive, V >= 2. Returns a list of V codes, each a list
    of 0/1 ints: an optimal prefix-free code.
    """
    raise NotImplementedError

def hs_probabilities(v_c, node_vecs, codes, paths):
    """
    v_c (E,), node_vecs (V−1,E); codes[w] and paths[w] (inner-node ids,
    root first) give word w's route; bit 0 at node n has probability
    σ(node_vecs[n]·v_c), bit 1 the rest. Returns (V,) the probability of
    every word.
    """
    raise NotImplementedError


# ==========================================================================
# init (notes 004)
# ==========================================================================

def fan_in_fan_out(shape):
    """
    a weight shape: (out,in) or (out,in,kh,kw,...). Returns (fan_in,
    fan_out) as torch.nn.init computes them.
    """
    raise NotImplementedError

def xavier_normal_std(shape):
    """
    Returns √(2/(fan_in+fan_out)).
    """
    raise NotImplementedError

def he_normal_std(shape):
    """
    Returns √(2/fan_in).
    """
    raise NotImplementedError
