"""decode.* -- beam search (notes 002 §8) and Viterbi (002 §11) on small generated models.

Ties are drawn on purpose (log-probs from a small pool of exactly
representable values, so different sequences have exactly equal scores), and
every tie-break the contract allows is accepted:

- beam_search: against brute force when beam >= V^(L-1) (then beam search is
  exact), against an independent greedy enumerator when beam = 1, and for any
  beam against an independent implementation of the contract that follows
  EVERY tie-break at the cut-off and collects the achievable final scores.
  One draw in ten is a "cut-off trap" (:func:`_cutoff_trap`): a model where
  keeping more than ``beam`` prefixes at a cut-off tie changes the result
  (random tables almost never show it: measured 0.03% of pooled draws).
- viterbi: against brute-force enumeration of all S^T paths and a torch
  max-plus dynamic programme; only scores are compared (any optimal path is
  accepted), after checking that the returned score is the returned path's.
"""

from __future__ import annotations

import reference.decode as ref
from checks.formulas import Strategies
from checks.judges.decoding import _SCORE_TOL, _beam_true, _optimal_compare, _outcome_property, _viterbi_true, beam_outcomes, greedy_outcomes_of
from checks.oracles.decode import _brute_beam, _brute_viterbi, _torch_viterbi
from checks.registry import Formula, Oracle, Source, register


S = Strategies("decode")

register(Formula(
    id="decode.beam_search",
    source=Source("002", "§8 S2S, beam search", "keep the beam best of all expansions score(prefix) + log P(y_t | y_{t-1})",
                  "每次输出的 y_{t-1} 中, 选择概率最大的两个, 作为下一次可能的输入"),
    reference=ref.beam_search,
    strategy=S.beam_cases,
    outputs=("sequence", "log_prob"),
    oracles=(
        Oracle("property:every-tie-break", _outcome_property(beam_outcomes, "beam search with this beam"), kind="property",
               description="an independent beam search following every cut-off tie-break: the score must be achievable"),
        Oracle("brute-force", _brute_beam, strategy=lambda: S.beam_cases("wide"),
               description="beam >= V^(L-1): the optimum over all V^L sequences"),
        Oracle("property:beam-1-is-greedy", _outcome_property(greedy_outcomes_of,
                                                              "greedy decoding (beam 1)"),
               kind="property", strategy=lambda: S.beam_cases("greedy"),
               description="beam = 1 is greedy decoding (any most-probable next token at ties)"),
    ),
    compare=_optimal_compare(_beam_true, "sequence"),
    points=2, tol=_SCORE_TOL,
    summary="V 1..4, length 1..4, beam 1..5; ties drawn on purpose, every tie-break accepted",
))


register(Formula(
    id="decode.viterbi",
    source=Source("002", "§11 HMM/CRF/维特比算法",
                  "δ_t(s) = max_r(δ_{t-1}(r) + log_trans[r, s]) + log_emit[s, o_t]", "11 HMM/CRF/维特比算法"),
    reference=ref.viterbi,
    strategy=S.viterbi_cases,
    outputs=("path", "log_prob"),
    oracles=(
        Oracle("brute-force", _brute_viterbi, description="the best of all S^T state paths"),
        Oracle("torch", _torch_viterbi, description="max-plus dynamic programme in torch with back-pointers"),
    ),
    compare=_optimal_compare(_viterbi_true, "path"),
    points=2, tol=_SCORE_TOL,
    summary="S 1..4, len(obs) 1..5, obs a list or an int array; any optimal path accepted",
))
