"""keras-io NLP / timeseries examples (Keras 3 versions) run with NumPy data instead of tf.data.

Keras 3's StringLookup / TextVectorization need TensorFlow (not installed here), so those checks
compare with the formulas Keras documents, written in NumPy."""
import numpy as np

import jkeras
from jkeras import layers


def test_string_lookup_multi_hot_on_ragged_token_lists():
    # multi_label_classification.py: lookup = StringLookup(output_mode="multi_hot");
    # lookup.adapt(tf.ragged.constant(terms)); lookup(tf.ragged.constant(terms)). NumPy form: a
    # list (or pandas' object array) of token lists of different lengths.
    terms = [["cs.LG", "cs.CV"], ["cs.CV"], ["stat.ML", "cs.CV", "cs.LG"]]
    lookup = layers.StringLookup(output_mode="multi_hot")
    lookup.adapt(np.array(terms + [[]], dtype=object))
    # Vocabulary by decreasing count, ties by decreasing token, after the OOV token.
    assert lookup.get_vocabulary() == ["[UNK]", "cs.CV", "cs.LG", "stat.ML"]
    out = np.asarray(lookup([["cs.LG", "cs.CV"], ["math.ST"], [], ["stat.ML", "cs.LG", "cs.LG"]]))
    np.testing.assert_array_equal(out, [[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1]])

    tfidf = layers.StringLookup(output_mode="tf_idf")
    tfidf.adapt(terms)  # each row is a document
    docs = np.array([3, 2, 1])  # documents containing cs.CV, cs.LG, stat.ML
    idf = np.log(1 + 3 / (1 + docs))
    expect = np.array([[0, idf[0], 2 * idf[1], 0]])
    np.testing.assert_allclose(np.asarray(tfidf([["cs.LG", "cs.CV", "cs.LG"], ["cs.CV"]]))[:1], expect, rtol=1e-6)

    try:
        layers.StringLookup(vocabulary=["a", "b"])([["a"], ["a", "b"]])
    except ValueError as e:
        assert "string_lookup" in str(e) and "output_mode='int'" in str(e) and "[1, 2]" in str(e)
    else:
        raise AssertionError("a ragged batch in int mode must raise")
