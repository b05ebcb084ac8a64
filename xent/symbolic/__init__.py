r"""Symbolic derivations of the course's key results, done by SymPy.

Every function derives one result and returns a frozen dataclass of SymPy objects: the
expressions a chapter displays (``.expression``, ``.gradient``, ``.closed_form``, ...) and
``.claim_holds``, which is ``True`` only if SymPy proved the claim stated in the docstring
(an identity simplified to 0, a stationary point solved for, a limit evaluated).
:func:`to_numpy` turns any of the expressions into a vectorised numpy function, which is how
the tests hold each derivation against its numeric twin in :mod:`xent`.

Results about ``K`` classes are derived for a concrete ``num_classes`` (logits ``z1 .. zK``,
probabilities ``q1 .. qK``) and, where SymPy can do it, for a symbolic ``K`` with
``IndexedBase`` and ``Sum`` (the ``*_general`` functions). Identities in the logits are
proved by rewriting them in the probabilities: :math:`e^{z_i} = T q_i` with :math:`T` the
softmax normaliser and :math:`\sum_i q_i = 1`, after which they are rational identities
(up to a few named powers and logarithms) that SymPy cancels exactly.

Derivations are cached: each runs once per process and argument, and returns the same
(immutable) object afterwards.

The derivations live in one module per part of the course, and every public name is
re-exported here, so ``from xent.symbolic import gibbs_inequality`` and
``xent.symbolic.gibbs_inequality`` work whichever module defines it:

- ``xent.symbolic.information``: entropy (chapter 1);
- ``xent.symbolic.divergences``: cross-entropy and KL divergence (chapters 2-4);
- ``xent.symbolic.divergences_family``: differential entropy, Pinsker, ``JS <= log 2``
  (chapter 11);
- ``xent.symbolic.softmax``: the softmax and log-sum-exp (chapter 5);
- ``xent.symbolic.gradients``: gradients of cross-entropy (chapters 6-7);
- ``xent.symbolic.variants``: label smoothing and the focal loss (chapter 9);
- ``xent.symbolic.multivariate``: joint, conditional and mutual information, Jensen's and the
  log-sum inequality (chapter 10).
- ``xent.symbolic.generation``: the temperature of a sampling softmax (chapter 12).
- ``xent.symbolic.distillation``: knowledge distillation and InfoNCE (chapter 13).
"""

from __future__ import annotations

from xent.symbolic._common import (
    to_numpy,
)
from xent.symbolic.distillation import (
    DistillationGradient,
    GaussianCritic,
    InfoNCEGradient,
    distillation_gradient,
    gaussian_critic,
    info_nce_gradient,
)
from xent.symbolic.divergences import (
    BernoulliKL,
    CrossEntropyDecomposition,
    GaussianKL,
    GibbsInequality,
    bernoulli_kl,
    cross_entropy_decomposition,
    cross_entropy_decomposition_general,
    gaussian_kl,
    gibbs_inequality,
)
from xent.symbolic.divergences_family import (
    BinaryPinsker,
    GaussianDifferentialEntropy,
    JensenShannonBound,
    binary_pinsker,
    gaussian_differential_entropy,
    jensen_shannon_bound,
)
from xent.symbolic.generation import (
    TemperatureEntropy,
    TemperatureLoss,
    temperature_entropy,
    temperature_loss,
)
from xent.symbolic.gradients import (
    BinaryCrossEntropyGradient,
    GeneralSoftmaxCrossEntropyGradient,
    SoftmaxCrossEntropyGradient,
    SoftmaxCrossEntropyHessian,
    TwoClassSoftmax,
    binary_cross_entropy_gradient,
    softmax_cross_entropy_gradient,
    softmax_cross_entropy_gradient_general,
    softmax_cross_entropy_hessian,
    two_class_softmax,
)
from xent.symbolic.information import (
    BernoulliEntropy,
    GeneralMaximumEntropy,
    MaximumEntropy,
    ZeroLogZero,
    bernoulli_entropy,
    maximum_entropy,
    maximum_entropy_general,
    zero_log_zero,
)
from xent.symbolic.multivariate import (
    JensenInequality,
    JointTable,
    LogSumInequality,
    jensen_inequality,
    joint_table,
    log_sum_inequality,
)
from xent.symbolic.softmax import (
    GeneralSoftmaxJacobian,
    LogSumExpCurvature,
    SoftmaxJacobian,
    logsumexp_curvature,
    softmax_jacobian,
    softmax_jacobian_general,
)
from xent.symbolic.variants import (
    BinaryFocalLossGradient,
    FocalLossGradient,
    LabelSmoothingGradient,
    binary_focal_loss_gradient,
    focal_loss_gradient,
    label_smoothing_gradient,
)

__all__ = [
    "BernoulliEntropy",
    "BernoulliKL",
    "BinaryCrossEntropyGradient",
    "BinaryFocalLossGradient",
    "BinaryPinsker",
    "CrossEntropyDecomposition",
    "DistillationGradient",
    "FocalLossGradient",
    "GaussianDifferentialEntropy",
    "GaussianCritic",
    "GaussianKL",
    "GeneralMaximumEntropy",
    "GeneralSoftmaxCrossEntropyGradient",
    "GeneralSoftmaxJacobian",
    "GibbsInequality",
    "JensenInequality",
    "JensenShannonBound",
    "InfoNCEGradient",
    "JointTable",
    "LabelSmoothingGradient",
    "LogSumExpCurvature",
    "LogSumInequality",
    "MaximumEntropy",
    "SoftmaxCrossEntropyGradient",
    "SoftmaxCrossEntropyHessian",
    "SoftmaxJacobian",
    "TemperatureEntropy",
    "TemperatureLoss",
    "TwoClassSoftmax",
    "ZeroLogZero",
    "bernoulli_entropy",
    "bernoulli_kl",
    "binary_cross_entropy_gradient",
    "binary_focal_loss_gradient",
    "binary_pinsker",
    "cross_entropy_decomposition",
    "cross_entropy_decomposition_general",
    "distillation_gradient",
    "focal_loss_gradient",
    "gaussian_differential_entropy",
    "gaussian_critic",
    "gaussian_kl",
    "gibbs_inequality",
    "jensen_shannon_bound",
    "info_nce_gradient",
    "jensen_inequality",
    "joint_table",
    "label_smoothing_gradient",
    "log_sum_inequality",
    "logsumexp_curvature",
    "maximum_entropy",
    "maximum_entropy_general",
    "softmax_cross_entropy_gradient",
    "softmax_cross_entropy_gradient_general",
    "softmax_cross_entropy_hessian",
    "softmax_jacobian",
    "softmax_jacobian_general",
    "temperature_entropy",
    "temperature_loss",
    "to_numpy",
    "two_class_softmax",
    "zero_log_zero",
]
