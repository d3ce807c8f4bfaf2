"""scikit-learn's estimator checks over every estimator skgate exports.

scikit-learn itself skips one check per estimator, ``check_array_api_input``, unless the
environment sets ``SCIPY_ARRAY_API=1``; skgate's estimators are numpy-only and do not claim
array-API support.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skgate import GatingNetwork, GMMPatchPrior


def check_instances():
    # Small and generic (patch_size=None accepts any number of features) so the checks'
    # toy data sets fit.
    return [
        GMMPatchPrior(n_components=2, patch_size=None, max_iter=20, random_state=0),
        GatingNetwork(n_filters=3, n_components=2, max_iter=20, random_state=0),
    ]


@parametrize_with_checks(check_instances())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
