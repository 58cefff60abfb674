"""The functional-API examples of the Keras guide, written as the guide writes them (after
`import jkeras as keras`), build with Keras 3's shapes and train on small synthetic data."""
import jax
import keras as keras3
import numpy as np
import pytest

import jkeras

RNG = np.random.default_rng(0)


def news_model(keras):
    """Multi-input multi-output: headline LSTM + auxiliary input, two outputs."""
    layers = keras.layers
    main_input = keras.Input(shape=(20,), dtype="int32", name="main_input")
    x = layers.Embedding(output_dim=16, input_dim=1000)(main_input)
    lstm_out = layers.LSTM(8)(x)
    auxiliary_output = layers.Dense(1, activation="sigmoid", name="aux_output")(lstm_out)
    auxiliary_input = keras.Input(shape=(5,), name="aux_input")
    x = layers.concatenate([lstm_out, auxiliary_input])
    x = layers.Dense(16, activation="relu")(x)
    x = layers.Dense(16, activation="relu")(x)
    main_output = layers.Dense(1, activation="sigmoid", name="main_output")(x)
    return keras.Model(inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output])


def shared_lstm_model(keras):
    """Two tweets through one shared LSTM: are they from the same person?"""
    layers = keras.layers
    tweet_a = keras.Input(shape=(14, 32))
    tweet_b = keras.Input(shape=(14, 32))
    shared_lstm = layers.LSTM(16)
    merged = layers.concatenate([shared_lstm(tweet_a), shared_lstm(tweet_b)], axis=-1)
    predictions = layers.Dense(1, activation="sigmoid")(merged)
    return keras.Model(inputs=[tweet_a, tweet_b], outputs=predictions)


def inception_model(keras):
    layers = keras.layers
    input_img = keras.Input(shape=(16, 16, 3))
    tower_1 = layers.Conv2D(8, (1, 1), padding="same", activation="relu")(input_img)
    tower_1 = layers.Conv2D(8, (3, 3), padding="same", activation="relu")(tower_1)
    tower_2 = layers.Conv2D(8, (1, 1), padding="same", activation="relu")(input_img)
    tower_2 = layers.Conv2D(8, (5, 5), padding="same", activation="relu")(tower_2)
    tower_3 = layers.MaxPooling2D((3, 3), strides=(1, 1), padding="same")(input_img)
    tower_3 = layers.Conv2D(8, (1, 1), padding="same", activation="relu")(tower_3)
    output = layers.concatenate([tower_1, tower_2, tower_3], axis=-1)
    output = layers.Dense(1)(layers.GlobalAveragePooling2D()(output))
    return keras.Model(input_img, output)


def residual_model(keras):
    layers = keras.layers
    x = keras.Input(shape=(16, 16, 3))
    y = layers.Conv2D(3, (3, 3), padding="same")(x)
    z = layers.add([x, y])
    return keras.Model(x, layers.Dense(1)(layers.Flatten()(z)))


def shared_vision_model(keras):
    layers = keras.layers
    digit_input = keras.Input(shape=(27, 27, 1))
    x = layers.Conv2D(8, (3, 3))(digit_input)
    x = layers.Conv2D(8, (3, 3))(x)
    x = layers.MaxPooling2D((2, 2))(x)
    out = layers.Flatten()(x)
    vision_model = keras.Model(digit_input, out)
    digit_a = keras.Input(shape=(27, 27, 1))
    digit_b = keras.Input(shape=(27, 27, 1))
    concatenated = layers.concatenate([vision_model(digit_a), vision_model(digit_b)])
    out = layers.Dense(1, activation="sigmoid")(concatenated)
    return keras.Model([digit_a, digit_b], out)


def visual_qa_model(keras):
    layers = keras.layers
    vision_model = keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(8, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(8, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
    ])
    image_input = keras.Input(shape=(32, 32, 3))
    encoded_image = vision_model(image_input)
    question_input = keras.Input(shape=(10,), dtype="int32")
    embedded_question = layers.Embedding(input_dim=100, output_dim=16)(question_input)
    encoded_question = layers.LSTM(16)(embedded_question)
    merged = layers.concatenate([encoded_question, encoded_image])
    output = layers.Dense(20, activation="softmax")(merged)
    return keras.Model(inputs=[image_input, question_input], outputs=output), vision_model


def video_qa_model(keras):
    layers = keras.layers
    vqa_model, vision_model = visual_qa_model(keras)
    video_input = keras.Input(shape=(4, 32, 32, 3))
    encoded_frame_sequence = layers.TimeDistributed(vision_model)(video_input)
    encoded_video = layers.LSTM(16)(encoded_frame_sequence)
    question_input = keras.Input(shape=(10,), dtype="int32")
    embedded_question = layers.Embedding(input_dim=100, output_dim=16)(question_input)
    encoded_question = layers.LSTM(16)(embedded_question)
    merged = layers.concatenate([encoded_video, encoded_question])
    output = layers.Dense(20, activation="softmax")(merged)
    return keras.Model(inputs=[video_input, question_input], outputs=output)


def _inputs_for(model):
    arrays = []
    for t in model.inputs:
        shape = (6,) + tuple(t.shape[1:])
        if "int" in str(t.dtype):
            arrays.append(RNG.integers(1, 20, shape).astype("int32"))
        else:
            arrays.append(RNG.standard_normal(shape).astype("float32"))
    return arrays


@pytest.mark.parametrize("build", [news_model, shared_lstm_model, inception_model, residual_model,
                                   shared_vision_model, lambda k: visual_qa_model(k)[0], video_qa_model],
                         ids=["news", "shared_lstm", "inception", "residual", "shared_vision", "visual_qa", "video_qa"])
def test_guide_model_matches_keras(build):
    ours, ref = build(jkeras), build(keras3)
    assert ours.count_params() == ref.count_params()
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    ours.set_weights(ref.get_weights())
    x = _inputs_for(ours)
    got, want = ours.predict(x, verbose=0), ref.predict(x, verbose=0)
    for g, w in zip(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-4, atol=1e-4)


def test_news_model_trains_with_dicts_and_loss_weights():
    jkeras.utils.set_random_seed(0)
    model = news_model(jkeras)
    model.compile(optimizer="rmsprop",
                  loss={"main_output": "binary_crossentropy", "aux_output": "binary_crossentropy"},
                  loss_weights={"main_output": 1.0, "aux_output": 0.2}, metrics={"main_output": ["accuracy"]})
    headline = RNG.integers(1, 1000, (64, 20)).astype("int32")
    aux = RNG.standard_normal((64, 5)).astype("float32")
    labels = (headline[:, 0] > 500).astype("float32")[:, None]
    history = model.fit({"main_input": headline, "aux_input": aux},
                        {"main_output": labels, "aux_output": labels}, epochs=4, batch_size=16, verbose=0)
    h = history.history
    assert {"loss", "main_output_loss", "aux_output_loss", "main_output_accuracy"} <= set(h)
    np.testing.assert_allclose(h["loss"][-1], h["main_output_loss"][-1] + 0.2 * h["aux_output_loss"][-1], rtol=1e-4)
    assert h["loss"][-1] < h["loss"][0]


def test_intermediate_output_model_shares_weights():
    model = shared_vision_model(jkeras)
    vision = model.layers[2]
    feature_model = jkeras.Model(inputs=vision.input, outputs=vision.layers[2].output)
    x = _inputs_for(feature_model)[0]
    before = feature_model.predict(x, verbose=0)
    vision.layers[1].set_weights([w * 2 for w in vision.layers[1].get_weights()])
    after = feature_model.predict(x, verbose=0)
    assert not np.allclose(before, after)


@pytest.mark.parametrize("wrap", [list, tuple])
def test_a_one_element_output_list_gives_the_array_as_in_keras(wrap):
    inputs = jkeras.Input((2,))
    outputs = jkeras.layers.Dense(1)(inputs)
    model = jkeras.Model(inputs, wrap([outputs]))
    ref_inputs = keras3.Input((2,))
    ref = keras3.Model(ref_inputs, wrap([keras3.layers.Dense(1)(ref_inputs)]))
    ref.set_weights(model.get_weights())
    x = np.arange(6, dtype="float32").reshape(3, 2)
    ours, theirs = model.predict(x, verbose=0), ref.predict(x, verbose=0)
    assert type(ours) is type(theirs) is np.ndarray
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert isinstance(model(x), jax.Array) and not isinstance(model(x), (list, tuple))


def test_unnamed_functional_model_is_named_as_keras_3():
    def names(lib):
        lib.backend.clear_session()
        i = lib.Input((3,))
        first = lib.Model(i, lib.layers.Dense(2)(i))
        second = lib.Model(inputs=i, outputs=lib.layers.Dense(2)(i))
        named = lib.Model(i, lib.layers.Dense(2)(i), name="mine")
        return first.name, second.name, named.name

    assert names(jkeras) == names(keras3)
