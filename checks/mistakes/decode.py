"""Known mistakes of the decode formulas: wrong implementations, each with a description and a hint."""

import numpy as np

import reference.decode as R


def _final(seqs, scores):
    b = int(np.argmax(scores))
    return [int(v) for v in seqs[b]], float(scores[b])


def beam_best_child_per_beam(log_init, log_trans, length, beam):
    li, lt = np.asarray(log_init), np.asarray(log_trans)
    order = np.argsort(-li, kind="stable")[:beam]
    seqs, scores = [[int(v)] for v in order], li[order]
    for _ in range(length - 1):
        # each beam proposes only its own best child, then the beams are re-ranked
        kids = [(scores[i] + lt[s[-1]].max(), s + [int(np.argmax(lt[s[-1]]))]) for i, s in enumerate(seqs)]
        kids.sort(key=lambda x: -x[0])
        seqs, scores = [k[1] for k in kids[:beam]], np.array([k[0] for k in kids[:beam]])
    return _final(seqs, scores)


def beam_greedy(log_init, log_trans, length, beam):
    return R.beam_search(log_init, log_trans, length, 1)  # beam ignored


def beam_first_step_keeps_all(log_init, log_trans, length, beam):
    li, lt = np.asarray(log_init), np.asarray(log_trans)
    V = li.size
    seqs, scores = [[v] for v in range(V)], li.copy()  # every first token kept, whatever the beam
    for _ in range(length - 1):
        cand = scores[:, None] + lt[[s[-1] for s in seqs]]
        flat = np.argsort(-cand.reshape(-1), kind="stable")[:beam]
        seqs, scores = [seqs[f // V] + [int(f % V)] for f in flat], cand.reshape(-1)[flat]
    return _final(seqs, scores)


def beam_ranks_by_last_step(log_init, log_trans, length, beam):
    li, lt = np.asarray(log_init), np.asarray(log_trans)
    V = li.size
    order = np.argsort(-li, kind="stable")[:beam]
    seqs, scores = [[int(v)] for v in order], li[order]
    for _ in range(length - 1):
        step = lt[[s[-1] for s in seqs]]
        flat = np.argsort(-step.reshape(-1), kind="stable")[:beam]  # ranks by P(y_t | y_{t-1}) alone
        seqs = [seqs[f // V] + [int(f % V)] for f in flat]
        scores = (scores[:, None] + step).reshape(-1)[flat]
    return _final(seqs, scores)


def beam_transposed(log_init, log_trans, length, beam):
    return R.beam_search(log_init, np.asarray(log_trans).T, length, beam)  # [next, previous]


def viterbi_logsumexp(log_init, log_trans, log_emit, obs):
    li, lt, le = np.asarray(log_init), np.asarray(log_trans), np.asarray(log_emit)
    o = [int(x) for x in obs]
    delta, back = li + le[:, o[0]], []
    for x in o[1:]:
        cand = delta[:, None] + lt
        back.append(np.argmax(cand, axis=0))
        m = cand.max(axis=0)
        delta = m + np.log(np.exp(cand - m).sum(axis=0)) + le[:, x]  # the forward algorithm's sum, not max
    s = int(np.argmax(delta))
    path = [s]
    for b in reversed(back):
        path.append(int(b[path[-1]]))
    m = delta.max()
    return path[::-1], float(m + np.log(np.exp(delta - m).sum()))


def viterbi_transposed(log_init, log_trans, log_emit, obs):
    return R.viterbi(log_init, np.asarray(log_trans).T, log_emit, obs)


def viterbi_no_init(log_init, log_trans, log_emit, obs):
    path, score = R.viterbi(np.zeros_like(np.asarray(log_init)), log_trans, log_emit, obs)
    return path, score + float(np.asarray(log_init)[path[0]])


def viterbi_greedy(log_init, log_trans, log_emit, obs):
    li, lt, le = np.asarray(log_init), np.asarray(log_trans), np.asarray(log_emit)
    o = [int(x) for x in obs]
    s = int(np.argmax(li + le[:, o[0]]))
    path, score = [s], float(li[s] + le[s, o[0]])
    for x in o[1:]:
        nxt = int(np.argmax(lt[path[-1]] + le[:, x]))  # locally best state, no dynamic programme
        score += float(lt[path[-1], nxt] + le[nxt, x])
        path.append(nxt)
    return path, score


MISTAKES = [
    ('decode.beam_search', 'keeps the best child of each beam only', beam_best_child_per_beam,
        'Each beam keeps only its own best child, instead of keeping the best `beam` expansions over all beams together.',
        'At each step all expansions of all kept prefixes compete in one ranking.'),
    ('decode.beam_search', 'greedy: beam ignored', beam_greedy,
        'The beam width is ignored: the search is greedy (one sequence).',
        'Keep `beam` prefixes at every step, not just the best one.'),
    ('decode.beam_search', 'first step keeps all V tokens', beam_first_step_keeps_all,
        'The first step keeps all V tokens instead of the `beam` best ones.',
        'The beam is cut to its width at every step, the first included.',
        {'oracle': 'property:every-tie-break'}),
    ('decode.beam_search', "ranks expansions by the last step's log-prob only", beam_ranks_by_last_step,
        "Expansions are ranked by the last transition's log-prob only, not by the whole prefix's score.",
        "A prefix's score is the sum of all its log-probs so far."),
    ('decode.beam_search', 'log_trans read as [next, previous]', beam_transposed,
        'log_trans is read as [next, previous] instead of [previous, next].',
        'log_trans[r, s] is the log-prob of going from r to s.'),
    ('decode.viterbi', 'logsumexp (forward algorithm) instead of max', viterbi_logsumexp,
        'The recursion uses logsumexp (the forward algorithm) instead of max.',
        'Viterbi looks for the single best path: max, not a sum over paths.'),
    ('decode.viterbi', 'log_trans read as [next, previous]', viterbi_transposed,
        'log_trans is read as [next, previous] instead of [previous, next].',
        'log_trans[r, s] is the log-prob of going from r to s.'),
    ('decode.viterbi', 'log_init ignored in the recursion', viterbi_no_init,
        'log_init is left out of the first step.',
        'δ₁(s) starts with the initial log-probability of s.'),
    ('decode.viterbi', 'greedy state by state', viterbi_greedy,
        'The states are chosen greedily one step at a time instead of by dynamic programming with back-pointers.',
        "The best path need not go through each step's locally best state: keep δ for every state."),
]


# ---------------------------------------------------------------- added by the adversarial review


def beam_keeps_every_cutoff_tie(log_init, log_trans, length, beam):
    """Keeps every candidate scoring >= the beam-th best: a beam that grows at cut-off ties.
    (Caught on the cut-off trap of checks.formulas.decode: there the extra survivors crowd out the winner.)"""
    li, lt = np.asarray(log_init), np.asarray(log_trans)
    V = li.size
    thr = np.sort(li)[::-1][min(beam, V) - 1]
    beams = [([v], float(li[v])) for v in range(V) if li[v] >= thr]
    for _ in range(length - 1):
        cand = [(s + [v], sc + float(lt[s[-1], v])) for s, sc in beams for v in range(V)]
        thr = sorted((c[1] for c in cand), reverse=True)[min(beam, len(cand)) - 1]
        beams = [c for c in cand if c[1] >= thr]
    best = max(beams, key=lambda c: c[1])
    return best[0], best[1]


def beam_score_without_init(log_init, log_trans, length, beam):
    """The right sequence; its reported score leaves out log_init of the first token."""
    seq, score = R.beam_search(log_init, log_trans, length, beam)
    return seq, score - float(np.asarray(log_init)[seq[0]])


def beam_returns_worst_kept(log_init, log_trans, length, beam):
    """The beam kept sorted best first, but the LAST kept sequence returned."""
    li, lt = np.asarray(log_init), np.asarray(log_trans)
    V = li.size
    beams = sorted([([v], float(li[v])) for v in range(V)], key=lambda c: -c[1])[:beam]
    for _ in range(length - 1):
        cand = [(s + [v], sc + float(lt[s[-1], v])) for s, sc in beams for v in range(V)]
        beams = sorted(cand, key=lambda c: -c[1])[:beam]
    return beams[-1][0], beams[-1][1]


def beam_multiplies_log_probs(log_init, log_trans, length, beam):
    """Ranks prefixes by the PRODUCT of log-probs (probabilities' rule applied to logs)."""
    li, lt = np.asarray(log_init), np.asarray(log_trans)
    V = li.size
    beams = sorted([([v], float(li[v])) for v in range(V)], key=lambda c: -c[1])[:beam]
    for _ in range(length - 1):
        cand = [(s + [v], sc * float(lt[s[-1], v])) for s, sc in beams for v in range(V)]
        beams = sorted(cand, key=lambda c: -c[1])[:beam]
    seq = beams[0][0]
    return seq, float(li[seq[0]] + sum(lt[a, b] for a, b in zip(seq, seq[1:])))


def viterbi_path_not_reversed(log_init, log_trans, log_emit, obs):
    """Back-tracked path left last-state first; the optimal score."""
    path, score = R.viterbi(log_init, log_trans, log_emit, obs)
    return path[::-1], score


def viterbi_path_from_delta_argmax(log_init, log_trans, log_emit, obs):
    """The optimal score, but the path takes argmax δ_t at every t (no back-pointers)."""
    li, lt, le = np.asarray(log_init), np.asarray(log_trans), np.asarray(log_emit)
    o = [int(v) for v in obs]
    delta = li + le[:, o[0]]
    path = [int(np.argmax(delta))]
    for x in o[1:]:
        delta = (delta[:, None] + lt).max(axis=0) + le[:, x]
        path.append(int(np.argmax(delta)))
    return path, float(delta.max())


def viterbi_backpointers_shifted(log_init, log_trans, log_emit, obs):
    """Back-tracking reads the pointers of the step before (ψ_{t-1} instead of ψ_t)."""
    li, lt, le = np.asarray(log_init), np.asarray(log_trans), np.asarray(log_emit)
    o = [int(v) for v in obs]
    delta, back = li + le[:, o[0]], []
    for x in o[1:]:
        cand = delta[:, None] + lt
        back.append(np.argmax(cand, axis=0))
        delta = cand.max(axis=0) + le[:, x]
    s = int(np.argmax(delta))
    path = [s]
    for t in range(len(back) - 1, -1, -1):
        s = int(back[max(t - 1, 0)][s])
        path.append(s)
    return path[::-1], float(delta.max())


def viterbi_first_emission_missing(log_init, log_trans, log_emit, obs):
    """δ_1 = log_init, without log_emit[:, o_1]."""
    li, lt, le = np.asarray(log_init), np.asarray(log_trans), np.asarray(log_emit)
    o = [int(v) for v in obs]
    delta, back = li.astype(np.float64), []
    for x in o[1:]:
        cand = delta[:, None] + lt
        back.append(np.argmax(cand, axis=0))
        delta = cand.max(axis=0) + le[:, x]
    s = int(np.argmax(delta))
    path = [s]
    for b in reversed(back):
        s = int(b[s])
        path.append(s)
    return path[::-1], float(delta.max())


MISTAKES += [
    ('decode.beam_search', 'keeps every candidate tied at the cut-off', beam_keeps_every_cutoff_tie,
        'Every candidate tied at the cut-off is kept, so the beam grows beyond its width.',
        'Exactly `beam` prefixes survive each step, whatever the ties.',
        {'oracle': 'property:every-tie-break'}),
    ('decode.beam_search', 'score without log_init of the first token', beam_score_without_init,
        'The returned score leaves out log_init of the first token.',
        'log P(y) = log_init[y₁] + Σ log_trans.'),
    ('decode.beam_search', 'returns the worst kept sequence', beam_returns_worst_kept,
        'The worst of the kept sequences is returned instead of the best.',
        'Check the direction of the final selection.'),
    ('decode.beam_search', 'multiplies log-probs', beam_multiplies_log_probs,
        'Log-probs are multiplied along the sequence instead of added.',
        'Probabilities multiply; their logarithms add.'),
    ('decode.viterbi', 'path not reversed after back-tracking', viterbi_path_not_reversed,
        'The back-tracked path is returned backwards (last state first).',
        'Back-tracking walks from the end to the start.'),
    ('decode.viterbi', 'path from argmax δ_t, no back-pointers', viterbi_path_from_delta_argmax,
        'The path is the argmax of δ_t at each step instead of being read back through the back-pointers.',
        'The best path is recovered from the end with ψ, not step by step.'),
    ('decode.viterbi', 'back-pointers shifted by one step', viterbi_backpointers_shifted,
        'The back-pointers are applied one step off.',
        'ψ_t(s) tells which state came at t−1: check the index used at each step of the back-tracking.'),
    ('decode.viterbi', 'first emission missing', viterbi_first_emission_missing,
        "The first observation's emission log-prob is missing from δ₁.",
        'δ₁(s) = log_init[s] + log_emit[s, o₁].'),
]


# ---------------------------------------------------------------- near-deterministic models (issue 12)

_EPS = np.finfo(np.float64).eps


def _eps_logs(*tables):
    """log(p + eps): the probabilities of public numpy decoders, floored at ~2.2e-16."""
    return [np.log(np.exp(np.asarray(t, dtype=np.float64)) + _EPS) for t in tables]


def viterbi_log_p_plus_eps(log_init, log_trans, log_emit, obs):
    """Decodes on log(p + eps) (a real bug of public numpy code): every probability below ~2e-16 counts as
    2.2e-16, so on near-deterministic models the path is wrong. The score is the path's exact log-prob."""
    li, lt, le = _eps_logs(log_init, log_trans, log_emit)
    path, _ = R.viterbi(li, lt, le, obs)
    o = [int(v) for v in obs]
    a, t, e = (np.asarray(x, dtype=np.float64) for x in (log_init, log_trans, log_emit))
    return path, float(a[path[0]] + sum(t[p, q] for p, q in zip(path, path[1:])) + sum(e[s, x] for s, x in zip(path, o)))


def viterbi_log_p_plus_eps_own_score(log_init, log_trans, log_emit, obs):
    """The same bug, reporting the score it computed (in log(p + eps))."""
    return R.viterbi(*_eps_logs(log_init, log_trans, log_emit), obs)


def beam_log_p_plus_eps(log_init, log_trans, length, beam):
    """Beam search on log(p + eps); the score is the sequence's exact log-prob."""
    li, lt = _eps_logs(log_init, log_trans)
    seq, _ = R.beam_search(li, lt, length, beam)
    a, t = np.asarray(log_init, dtype=np.float64), np.asarray(log_trans, dtype=np.float64)
    return seq, float(a[seq[0]] + sum(t[p, q] for p, q in zip(seq, seq[1:])))


MISTAKES += [
    ('decode.viterbi', 'decodes log(p + eps): tiny probabilities floored at 2.2e-16', viterbi_log_p_plus_eps,
        'The log-probs are turned into log(p + eps), flooring tiny probabilities, which changes the decoded path.',
        'Work with the given log-probabilities directly; never add an epsilon to a probability.'),
    ('decode.viterbi', 'log(p + eps), its own score', viterbi_log_p_plus_eps_own_score,
        'The path and its score come from log(p + eps) instead of the given log-probs.',
        'Work with the given log-probabilities directly.'),
    ('decode.beam_search', 'decodes log(p + eps): tiny probabilities floored at 2.2e-16', beam_log_p_plus_eps,
        'The log-probs are turned into log(p + eps), flooring tiny probabilities, which changes the search.',
        'Work with the given log-probabilities directly.'),
]


def beam_probability_space(log_init, log_trans, length, beam):
    """Ranks by products of probabilities (reports the sequence's log-prob): exact on moderate models, but
    products of 1e-300 probabilities underflow to 0 and tie, so near-deterministic models end elsewhere.
    (tests/variants/decode.py lists it as a correct variant: true only for log-probs above ~-350.)"""
    P0, PT = np.exp(log_init), np.exp(log_trans)
    V = np.asarray(log_init).size
    beams = sorted([([v], P0[v]) for v in range(V)], key=lambda c: -c[1])[:beam]
    for _ in range(length - 1):
        beams = sorted([(s + [v], p * PT[s[-1], v]) for s, p in beams for v in range(V)], key=lambda c: -c[1])[:beam]
    s = beams[0][0]
    return s, float(log_init[s[0]] + sum(log_trans[a, b] for a, b in zip(s, s[1:])))


MISTAKES += [('decode.beam_search', 'ranks by products of probabilities (underflow)', beam_probability_space,
                'The search multiplies probabilities instead of adding log-probs, which underflows to 0 on long or unlikely sequences.',
                'Stay in log space: products of probabilities underflow.')]
