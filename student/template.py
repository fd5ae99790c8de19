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

Generated from the formula registry (`formulacheck template`): one function
per formula id, 61 in all.
"""

import numpy as np  # noqa: F401


# ----------------------------------------------------------------- activations
# Activations and their backward passes (notes 002 §3, 004 "为什么sigmoid会饱和").

def sigmoid(x):
    """Logistic sigmoid, stable for |x| <= 1e4. Returns y. σ(x), stable for |x|
    <= 1e4, any shape (0-d included).
    Source: notes 002 §7 逻辑回归: P(X=1) = 1/(1+e^{-z}) = f(z)
    """
    raise NotImplementedError

def sigmoid_backward(x, dy):
    """dx = dy σ(x)(1-σ(x)) (notes 002 §7: f'(z) = f(z)(1 - f(z))). Returns dx.
    Source: notes 002 §7 逻辑回归: f'(z) = f(z)(1 - f(z))
    """
    raise NotImplementedError

def tanh_backward(x, dy):
    """dx = dy (1-tanh² x) (notes 002 §3: tanh'(x) = 1 - tanh(x)^2). Returns
    dx.
    Source: notes 002 §3 梯度消失, 梯度爆炸: tanh'(x) = 1 - tanh^2(x)
    """
    raise NotImplementedError

def relu_backward(x, dy):
    """dx = dy 1[x>0]; at x = 0 the subgradient 0 is taken (notes 002 §3).
    Returns dx. Any value in [0, dy] accepted at x = 0.
    Source: notes 002 §3 梯度消失, 梯度爆炸: relu'(x) = 1[x > 0]
    """
    raise NotImplementedError

def leaky_relu_backward(x, a, dy):
    """dx = dy where x > 0, a dy where x <= 0 (y = max(x, a x) for a < 1).
    Returns dx. Any value between a·dy and dy accepted at x = 0.
    Source: notes 004 解决梯度消失和梯度爆炸的方法 §2 使用合适的激活函数: Leaky ReLU
    """
    raise NotImplementedError

def prelu_backward(x, a, dy):
    """PReLU with one slope per channel (axis 1): y = x if x > 0 else a_c x.
    Returns (dx, da).
    Source: notes 004 解决梯度消失和梯度爆炸的方法 §2 使用合适的激活函数: PReLU, one slope per
    channel
    """
    raise NotImplementedError


# ------------------------------------------------------------------ reductions
# Gradient of max (notes 001 A6.2).

def max_backward(x, dy):
    """Backward of y_n = max_d x[n, d]. Returns dx. Ties: any split of dy over
    the tied maxima (non-negative weights summing to 1).
    Source: notes 001 A6.2: ∂y/∂x_i = 1 if x_i = max(x_1..x_D) else 0
    """
    raise NotImplementedError


# --------------------------------------------------------------------- softmax
# Softmax, its Jacobian, cross-entropy (notes 002 §7 "逻辑回归, softmax, RNN
# 导数推导").

def softmax(z):
    """Row-wise softmax, stable for |z| <= 1e4. Returns y.
    Source: notes 002 §7 逻辑回归, softmax, RNN 导数推导: g(z)_j = e^{z_j} / Σ_k
    e^{z_k}
    """
    raise NotImplementedError

def softmax_jacobian(z):
    """J[i, j] = ∂y_i/∂z_j = y_i (δ_ij − y_j), i.e. J = diag(y) − y yᵀ. Returns
    J.
    Source: notes 002 §7 逻辑回归, softmax, RNN 导数推导: ∂y_K/∂z_K = y_K(1 − y_K);
    ∂y_K/∂z_j = −y_K y_j
    """
    raise NotImplementedError

def cross_entropy(z, labels):
    """Mean over the batch of −log softmax(z)[n, labels[n]], stable. Returns
    loss. Mean over N; stable for |z| <= 1e4.
    Source: notes 002 §7 逻辑回归, softmax, RNN 导数推导: loss = −log y_K
    """
    raise NotImplementedError

def cross_entropy_backward(z, labels):
    """dz = (softmax(z) − onehot(labels)) / N (notes 002 §7: ∂loss/∂z = y −
    onehot). Returns dz.
    Source: notes 002 §7 逻辑回归, softmax, RNN 导数推导: ∂loss/∂z = y − onehot(K)
    (mean over the batch: / N)
    """
    raise NotImplementedError


# -------------------------------------------------------------------- logistic
# Logistic regression's log-likelihood, gradient and Hessian (notes 002 §7
# "逻辑回归").

def log_likelihood(theta, X, y):
    """Σ_n y_n log σ(θᵀx_n) + (1 − y_n) log(1 − σ(θᵀx_n)), stable. Returns L.
    Stable for near-separable data (|θᵀx| up to ~1e4).
    Source: notes 002 §7 逻辑回归: L = y log f(z) + (1−y) log(1−f(z))
    """
    raise NotImplementedError

def log_likelihood_grad(theta, X, y):
    """(∂L/∂θ, ∂L/∂X) = (Σ_n (y_n − σ_n) x_n, rows (y_n − σ_n) θ). Returns
    (dtheta, dX).
    Source: notes 002 §7 逻辑回归: ∂L/∂θ = [y − f(z)]·x, ∂L/∂x = [y − f(z)]·θ
    """
    raise NotImplementedError

def log_likelihood_hessian(theta, X, y):
    """∇²_θ L = −Xᵀ diag(σ_n (1 − σ_n)) X (the derivative of Σ_n (y_n − σ_n)
    x_n). Returns H.
    Source: notes 002 §7 Jacobians and Hessians; §7 逻辑回归: ∇²_θ L = −Xᵀ
    diag(σ(1−σ)) X (derivative of Σ (y − f(z)) x)
    """
    raise NotImplementedError


# ------------------------------------------------------------------------ conv
# The 1×1 convolution (notes 001 A6.1: it changes the channel count; 002 §14).

def conv1x1(x, w, b):
    """y[n, o, h, w] = Σ_c w[o, c] x[n, c, h, w] + b[o]: a per-pixel linear map
    of the channels. Returns y.
    Source: notes 001 A6.1: 1×1 conv: y[n,o] = Σ_c w[o,c] x[n,c] + b[o] at
    every pixel
    """
    raise NotImplementedError

def conv1x1_backward(x, w, b, dy):
    """(dx, dw, db) of the 1×1 convolution.
    Source: notes 001 A6.1: 1×1 conv: y[n,o] = Σ_c w[o,c] x[n,c] + b[o] at
    every pixel
    """
    raise NotImplementedError


# ------------------------------------------------------------------------- rnn
# The vanilla (Elman) RNN: forward, back-propagation through time, one step's
# Jacobian.

def rnn_forward(x, h0, W1, W2, b2, U, b1):
    """Run the RNN over time. Returns (h, p). T, N, H, D, K from 1; S.weights
    moderate, small or saturating.
    Source: notes 002 §7 逻辑回归, softmax, RNN 导数推导 (RNN 中反向传播): h_t = tanh(W1
    h_{t-1} + W2 x_t + b2), y_t = softmax(U h_t + b1)
    """
    raise NotImplementedError

def rnn_bptt(x, labels, h0, W1, W2, b2, U, b1):
    """Gradients of loss = Σ_t mean_n −log p_t[n, labels[t, n]] by
    back-propagation through time. Returns grads. Dict of 7 gradients; loss
    summed over time, mean over the batch.
    Source: notes 002 §7 逻辑回归, softmax, RNN 导数推导 (RNN 中反向传播): ∂loss/∂h_{t-1}
    = W1ᵀ·diag[f'(z)]·Uᵀ·(y_t − y_i)
    """
    raise NotImplementedError

def rnn_step_jacobian(x_t, h_prev, W1, W2, b2):
    """One step's Jacobian in numerator layout: J[n, i, j] = ∂h_t[n,
    i]/∂h_prev[n, j]. Returns J. J[n,i,j] = ∂h_t[n,i]/∂h_prev[n,j] = (1 −
    h_t²)[n,i]·W1[i,j].
    Source: notes 002 §7 逻辑回归, softmax, RNN 导数推导 (RNN 中反向传播): ∂h_t/∂h_{t-1}
    = W1ᵀ·diag[f'(z)] (the contract returns its transpose, numerator layout)
    """
    raise NotImplementedError


# ------------------------------------------------------------------------ lstm
# The LSTM cell, its backward pass, the cell-state Jacobian, and BPTT over a
# sequence.

def lstm_cell(x, h_prev, c_prev, W, b):
    """One LSTM step: c = f⊙c_prev + i⊙g, h = o⊙tanh(c). Returns (h, c). W (4H,
    H+D) multiplies [h_prev, x]; gate blocks i, f, g, o.
    Source: notes 001 A6.3 推导LSTM网络中参数的梯度 (and 002 §1 LSTM/GRU): C_t = f_t *
    C_{t-1} + i_t * C̃_t, h_t = o_t * tanh(C_t); gates σ(W·[h_{t-1}, x_t] +
    b)
    """
    raise NotImplementedError

def lstm_cell_backward(x, h_prev, c_prev, W, b, dh, dc):
    """Gradients (dx, dh_prev, dc_prev, dW, db) of Σ dh⊙h + Σ dc⊙c through one
    LSTM step. Random upstream gradients on both h and c.
    Source: notes 001 A6.3 推导LSTM网络中参数的梯度: ∂L_t/∂W = ∂L_t/∂h_t · ∂h_t/∂C_t ·
    … · Π ∂C_k/∂C_{k-1} · ∂C_1/∂W
    """
    raise NotImplementedError

def lstm_cell_state_jacobian(x, c_prev, o_prev, W, b):
    """J[n, i, j] = ∂c_t[n, i]/∂c_prev[n, j] with h_prev = o_prev⊙tanh(c_prev),
    o_prev fixed. Returns J. J[n,i,j] = ∂c_t[n,i]/∂c_prev[n,j] through
    h_prev = o_prev⊙tanh(c_prev), o_prev fixed.
    Source: notes 001 A6.3 推导LSTM网络中参数的梯度 (LSTM 通过记忆单元 C 来缓解梯度消失问题):
    ∂C^(k)/∂C^(k-1) = C^(k-1)σ′W_f o^(k-1)tanh′(C^(k-1)) + a^(k)σ′W_i
    o^(k-1)tanh′(C^(k-1)) + i^(k)tanh′W_c o^(k-1)tanh′(C^(k-1)) + f
    """
    raise NotImplementedError

def lstm_bptt(x, h0, c0, W, b, dh):
    """Gradients of L = Σ_{t,n,j} dh[t,n,j]·h_t[n,j] over a sequence, by BPTT.
    Returns grads. Dict x, h0, c0, W, b of L = Σ dh[t,n,j] h_t[n,j].
    Source: notes 001 A6.3 推导LSTM网络中参数的梯度: Π_{k=t+1}^{T} ∂C^(k)/∂C^(k-1) =
    (f^(k) f^(k+1) … f^(T)) + other
    """
    raise NotImplementedError


# ------------------------------------------------------------------------- gru
# The GRU cell in the notes' convention, and its backward pass.

def gru_cell(x, h_prev, p):
    """h_new = (1 − u)⊙h + u⊙h̃ with h̃ = tanh(W_h(r⊙h) + U_h x + b_h) (notes
    002 §1). Returns h_new. The notes' convention: reset before the matmul,
    new state weighted by u.
    Source: notes 002 §1 LSTM/GRU (GRU): h̃ = tanh(W_h (r∘h) + U_h x + b_h),
    h = (1 − u)∘h_{t-1} + u∘h̃
    """
    raise NotImplementedError

def gru_cell_backward(x, h_prev, p, dh):
    """(dx, dh_prev, dp) of Σ dh⊙h_new through one GRU step (notes 002 §1).
    (dx, dh_prev, dp) with dp a dict of the keys of p.
    Source: notes 002 §1 LSTM/GRU (GRU): backward of u = σ(W_u h + U_u x +
    b_u), r = σ(…), h̃ = tanh(W_h (r∘h) + …), h = (1−u)∘h + u∘h̃
    """
    raise NotImplementedError


# ------------------------------------------------------------------------ clip
# Gradient clipping (notes 002 §3 "梯度爆炸: grad_clip", 004 解决梯度消失和梯度爆炸的方法 §4
# 梯度裁剪).

def clip_grad_norm(grads, max_norm):
    """Clip by the global norm. Returns (grads, total_norm). (clipped list,
    total norm before clipping); below / above / exactly at the threshold
    drawn.
    Source: notes 002 §3 梯度消失, 梯度爆炸: g ← g·min(max_norm/(‖g‖₂+1e-6), 1), ‖g‖
    over ALL arrays
    """
    raise NotImplementedError

def clip_grad_value(grads, clip):
    """Clip by value: every element to [-clip, clip] (the notes' "[-5, 5]").
    Returns grads. Every element clipped to [-clip, clip].
    Source: notes 004 解决梯度消失和梯度爆炸的方法 §4 梯度裁剪（Gradient Clipping）: g ←
    g·min(max_norm/(‖g‖+1e-6), 1);  g ← clip(g, −c, c)
    """
    raise NotImplementedError


# -------------------------------------------------------------------- residual
# Residual and highway blocks (notes 002 §5 "Resnet/highway network", 004
# "残差连接如何解决梯度爆炸和梯度消失").

def residual_backward(x, W, b, dy):
    """Gradients of y = x + tanh(xWᵀ + b): (dx, dW, db).
    Source: notes 004 残差连接如何解决梯度爆炸和梯度消失; 002 §5 Resnet/highway network: y =
    x + F(x), ∂y/∂x = I + ∂F/∂x
    """
    raise NotImplementedError

def highway(x, WH, bH, WT, bT):
    """Highway layer: y = H⊙T + x⊙(1-T) (002 §5 eq. (3)). Returns y.
    Source: notes 002 §5 Resnet/highway network: y = H(x, W_H)·T(x, W_T) +
    x·(1 - T(x, W_T))   (3)
    """
    raise NotImplementedError

def highway_backward(x, WH, bH, WT, bT, dy):
    """Gradients of highway: (dx, dWH, dbH, dWT, dbT).
    Source: notes 002 §5 Resnet/highway network: y = H(x, W_H)·T(x, W_T) +
    x·(1 - T(x, W_T))   (3)
    """
    raise NotImplementedError


# --------------------------------------------------------------------- dropout
# Dropout with a given mask, both conventions (notes 002 §4 "防止过拟合", 004
# "dropout的作用是什么").

def dropout_train(x, mask, p_keep, inverted):
    """Training-mode dropout: x⊙m, divided by p_keep when inverted. Returns y.
    Source: notes 004 dropout的作用是什么 (数学表达); 002 §4 防止过拟合: train x̃ = x·m, m
    ~ Bernoulli(p_keep); eval scaled by p_keep (standard) -- or train
    /p_keep (inverted)
    """
    raise NotImplementedError

def dropout_eval(x, p_keep, inverted):
    """Evaluation-mode dropout: p_{keep} x (standard) or x (inverted). Returns
    y.
    Source: notes 004 dropout的作用是什么 (推理时); 002 §4 防止过拟合: eval = p_keep·x
    (standard) or x (inverted): the expectation of the train output
    """
    raise NotImplementedError

def dropout_backward(dy, mask, p_keep, inverted):
    """dx = dy⊙m (divided by p_keep when inverted): dropout is linear and
    diagonal. Returns dx.
    Source: notes 004 dropout的作用是什么 (数学表达); 002 §4 防止过拟合: train x̃ = x·m, m
    ~ Bernoulli(p_keep); eval scaled by p_keep (standard) -- or train
    /p_keep (inverted)
    """
    raise NotImplementedError


# ------------------------------------------------------------------------ norm
# BatchNorm and LayerNorm in training mode (notes 002 §4 "防止过拟合 /
# Batch_normalize", 004 "归一化的作用", "BatchNorm和LayerNorm有什么区别").

def batchnorm_forward(x, gamma, beta, eps):
    """BatchNorm, training mode: per feature (column) over the batch. Returns
    y. Training mode, biased variance, eps inside the root.
    Source: notes 002 §4 防止过拟合 (Batch_normalize); 004 归一化的作用: x̂ = (x -
    E[x])/√Var[x], y = γx̂ + β (eps inside the root, biased variance: the
    contract)
    """
    raise NotImplementedError

def batchnorm_backward(x, gamma, beta, eps, dy):
    """Gradients of batchnorm_forward: (dx, dgamma, dbeta).
    Source: notes 002 §4 防止过拟合 (Batch_normalize); 004 归一化的作用: x̂ = (x -
    E[x])/√Var[x], y = γx̂ + β (eps inside the root, biased variance: the
    contract)
    """
    raise NotImplementedError

def batchnorm2d_backward(x, gamma, beta, eps, dy):
    """BatchNorm2d backward: statistics per channel over (N, H, W), m = N·H·W
    >= 2. Returns (dx, dgamma, dbeta).
    Source: notes 002 §4 防止过拟合 (Batch_normalize, CNN): statistics per
    channel over (N, H, W)
    """
    raise NotImplementedError

def batchnorm_running_update(running_mean, running_var, x, momentum):
    """Running statistics, torch's convention (torch.nn.BatchNorm1d, training
    mode). Returns (new_mean, new_var).
    Source: notes 004 BatchNorm和LayerNorm有什么区别: (1-m)·old + m·batch
    statistic, unbiased variance (torch)
    """
    raise NotImplementedError

def layernorm_forward(x, gamma, beta, eps):
    """LayerNorm: statistics of each row (sample) over its D features. Returns
    y.
    Source: notes 004 BatchNorm和LayerNorm有什么区别: per-sample statistics over
    the features, y = γx̂ + β
    """
    raise NotImplementedError

def layernorm_backward(x, gamma, beta, eps, dy):
    """Gradients of layernorm_forward: (dx, dgamma, dbeta).
    Source: notes 004 BatchNorm和LayerNorm有什么区别: per-sample statistics over
    the features, y = γx̂ + β
    """
    raise NotImplementedError


# ------------------------------------------------------------------------ pool
# Pooling: 2-d max / average pooling and k-max pooling over time (notes 002 §6
# CNN, 004 池化的作用是什么).

def maxpool2d(x, k, stride):
    """Max pooling: y[n,c,i,j] = max_{0≤a,b<k} x[n,c, i s+a, j s+b]. Returns y.
    x (N,C,H,W) -> (N,C,Ho,Wo), no padding, floor mode; overlapping windows
    and ties drawn.
    Source: notes 002 §6 CNN (图像): y = max over each k×k window
    """
    raise NotImplementedError

def maxpool2d_backward(x, k, stride, dy):
    """Backward of maxpool2d: each window sends its dy to its maximum. Returns
    dx. Overlapping windows add up; at ties any split of each window's dy
    over its tied maxima.
    Source: notes 004 池化的作用是什么 (最大池化): dx = Σ_windows dy_w · 1[p = argmax_w]
    """
    raise NotImplementedError

def avgpool2d_backward(x, k, stride, dy):
    """Backward of average pooling y_w = 1/k² Σ_{p∈w} x_p. Returns dx. dx = Σ
    over windows containing p of dy_w / k².
    Source: notes 002 §6 CNN (图像): y = mean over each k×k window
    """
    raise NotImplementedError

def kmax_pool(x, k):
    """k-max pooling over time: the k largest values of each row, in their
    original time order. Returns y. k largest per row in time order; at a
    tie on the k-th largest any valid choice.
    Source: notes 002 §6 CNN (文本): k-max pooling: the K largest of each
    vector
    """
    raise NotImplementedError

def kmax_pool_backward(x, k, dy):
    """Backward of kmax_pool: dy[..., j] goes to the j-th selected position (in
    time order). Returns dx. dy[j] to the j-th chosen position (time order),
    unsplit; any valid choice at a tie.
    Source: notes 002 §6 CNN (文本): k-max pooling: the K largest of each
    vector
    """
    raise NotImplementedError


# ------------------------------------------------------------------- embedding
# Embedding lookup and its backward (notes 004 什么是embedding).

def embedding_backward(indices, dy, V):
    """Gradient of y[n,l,:] = E[indices[n,l], :] with respect to E (V, E).
    Returns dE. dE (V,E): repeated indices add up; rows never looked up stay
    0.
    Source: notes 004 什么是embedding §2 Embedding 是怎么做的: y[n,l] =
    E[indices[n,l]];  dE[v] = Σ_{indices[n,l]=v} dy[n,l]
    """
    raise NotImplementedError


# ----------------------------------------------------------------------- optim
# One step of the optimisers of notes 002 §7 "优化算法
# sgd/momentum/adam/adagrad/rmsprop".

def sgd_step(theta, grad, lr):
    """θ ← θ - η g. Returns theta. New array; tiny, mixed and exactly zero
    gradients.
    Source: notes 002 §7 优化算法 sgd/momentum/adam/adagrad/rmsprop, 1 Gradient
    Descent Optimizer: eq. (1)
    """
    raise NotImplementedError

def momentum_step(theta, grad, m, lr, beta):
    """m ← β m + η g, θ ← θ - m; returns (theta, m).
    Source: notes 002 §7 优化算法 sgd/momentum/adam/adagrad/rmsprop, 2 Momentum
    Optimizer: eqs. (2)-(3)
    """
    raise NotImplementedError

def nag_step(theta, grad_fn, m, lr, beta):
    """Nesterov: g = ∇ J(θ - β m), m ← β m + η g, θ ← θ - m. Returns (theta,
    m). grad_fn: checks.core.gradfns.QuadraticGrad or LogisticGrad.
    Source: notes 002 §7 优化算法 sgd/momentum/adam/adagrad/rmsprop, 3 Nesterov
    Accelerated Gradient(NAG): eqs. (4)-(5), look-ahead theta - beta*m per
    the contract
    """
    raise NotImplementedError

def adagrad_step(theta, grad, s, lr, eps):
    """s ← s + g⊙g, θ ← θ - η g ⊘ (√s + ε); returns (theta, s).
    Source: notes 002 §7 优化算法 sgd/momentum/adam/adagrad/rmsprop, 4 AdaGrad
    Optimizer: eqs. (6)-(7), eps outside the root per the contract
    """
    raise NotImplementedError

def rmsprop_step(theta, grad, s, lr, beta, eps):
    """s ← β s + (1-β) g⊙g, θ ← θ - η g ⊘ (√s + ε); returns (theta, s).
    Source: notes 002 §7 优化算法 sgd/momentum/adam/adagrad/rmsprop, 5 RMSProp
    Optimizer: eqs. (8)-(9), eps outside the root per the contract
    """
    raise NotImplementedError

def adam_step(theta, grad, m, s, t, lr, beta1, beta2, eps):
    """Adam; returns (theta, m, s) (m, s: the uncorrected moments). t is
    1-based; t = 1, beta2 up to 0.9999 and tiny gradients drawn on purpose.
    Source: notes 002 §7 优化算法 sgd/momentum/adam/adagrad/rmsprop, 6 Adam
    Optimizer: eqs. (10)-(14), bias correction 1-beta^t and eps outside the
    root per the contract
    """
    raise NotImplementedError


# ------------------------------------------------------------------- attention
# Scaled dot-product attention, its backward pass, sinusoidal positional
# encoding.

def attention(Q, K, V, mask=None):
    """Scaled dot-product attention (notes 004 Transformer, 核心原理). Returns y. Q
    (N,n,d), K (N,m,d), V (N,m,dv), mask (n,m) bool True = may attend.
    Source: notes 004 Transformer, 核心原理 — 注意力机制 (Attention); 001 A6.4 自注意力层:
    softmax(QKᵀ/√d_k) V
    """
    raise NotImplementedError

def attention_backward(Q, K, V, dy):
    """Gradients of y = softmax(S) V, S = QKᵀ/√d, for an upstream gradient dy
    (N,n,dv). Returns (dQ, dK, dV).
    Source: notes 004 Transformer, 核心原理 — 注意力机制 (Attention); 002 §7 softmax
    导数: dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = dS K/√d, dK = dSᵀ Q/√d, dV = Pᵀ
    dy
    """
    raise NotImplementedError

def positional_encoding(n, d):
    """Sinusoidal positional encoding (notes 004 Transformer, 位置编码:
    "通常采用正余弦函数"). Returns PE. n positions, d even; n up to 128 drawn.
    Source: notes 004 Transformer, 位置编码 (Positional Encoding): PE[p,2i] =
    sin(p/10000^(2i/d)), PE[p,2i+1] = cos(p/10000^(2i/d))
    """
    raise NotImplementedError


# ---------------------------------------------------------------------- decode
# Decoding a first-order model: beam search (notes 002 §8 S2S) and Viterbi
# (002 §11).

def beam_search(log_init, log_trans, length, beam):
    """Beam search of width beam (notes 002 §8: "每次输出的 y_{t-1} 中, 选择概率最大的两个"
    for K=2). Returns (sequence, log_prob). V 1..4, length 1..4, beam 1..5;
    ties drawn on purpose, every tie-break accepted.
    Source: notes 002 §8 S2S, beam search: keep the beam best of all
    expansions score(prefix) + log P(y_t | y_{t-1})
    """
    raise NotImplementedError

def viterbi(log_init, log_trans, log_emit, obs):
    """Most probable state path of an HMM (notes 002 §11 HMM/CRF/维特比算法).
    Returns (path, log_prob). S 1..4, len(obs) 1..5, obs a list or an int
    array; any optimal path accepted.
    Source: notes 002 §11 HMM/CRF/维特比算法: δ_t(s) = max_r(δ_{t-1}(r) +
    log_trans[r, s]) + log_emit[s, o_t]
    """
    raise NotImplementedError


# -------------------------------------------------------------------- hsoftmax
# Hierarchical softmax over a Huffman tree (notes 002 §9 wordvec).

def huffman_codes(freqs):
    """An optimal prefix-free binary code for the frequencies (Huffman, 1952).
    Returns codes. V 2..12 with frequency ties; any optimal code accepted.
    Source: notes 002 §9 wordvec, 层级化 softmax (l. 481): Huffman tree by word
    frequency: frequent words get short paths
    """
    raise NotImplementedError

def hs_probabilities(v_c, node_vecs, codes, paths):
    """P(w | c) for every word w: the product of the binary decisions on w's
    route. Returns p. Valid random trees: V leaves, V-1 inner nodes, root 0,
    paths root first.
    Source: notes 002 §9 wordvec, 层级化 softmax (l. 479): P(w|c) = Π_j
    σ(±node_vecs[n_j]·v_c)
    """
    raise NotImplementedError


# ------------------------------------------------------------------------ init
# Weight initialisation: fans, Xavier (Glorot) and He (Kaiming) normal std.

def fan_in_fan_out(shape):
    """(fan_in, fan_out) of a weight shape (out, in) or (out, in, k1, k2, ...),
    as torch.nn.init. Shape (out, in, k1, ...): receptive field Π k_i
    multiplies both fans.
    Source: notes 004 解决梯度消失和梯度爆炸的方法 §1 权重初始化: fan_in = in·Π k_i, fan_out =
    out·Π k_i (torch.nn.init)
    """
    raise NotImplementedError

def xavier_normal_std(shape):
    """Xavier/Glorot normal std √(2/(fan_in+fan_out)) (gain 1; sigmoid/tanh
    layers). Returns std.
    Source: notes 004 解决梯度消失和梯度爆炸的方法 §1 权重初始化: std = √(2/(fan_in+fan_out))
    """
    raise NotImplementedError

def he_normal_std(shape):
    """He/Kaiming normal std for ReLU, mode fan_in: √(2/fan_in). Returns std.
    Source: notes 004 解决梯度消失和梯度爆炸的方法 §1 权重初始化: std = √(2/fan_in) (ReLU, mode
    fan_in)
    """
    raise NotImplementedError
