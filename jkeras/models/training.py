"""`compile`, `fit`, `evaluate`, `predict` and the `*_on_batch` methods (the shell around core.step).

The per-step Python path is kept thin: array data is put on the device once per call and in each
epoch's row order once per epoch; one jitted call slices its own batch(es) and runs the step
(`steps_per_execution` steps inside one `lax.fori_loop`). Values reach the host only at the end of
an epoch or when a callback asks for them."""
import functools
import warnings

import jax
import numpy as np

from jkeras import callbacks as callbacks_module
from jkeras import config
from jkeras.core import step as core_step
from jkeras.models import (
    _epochs, _generator_adapter, _legacy_generators, _sharding, compile_utils, data_adapter, stateless,
)
from jkeras.models.node import flatten, pack_as
from jkeras.optimizers import _ema
from jkeras.utils import random as random_utils
from jkeras.utils.random import next_call_key, next_key


class Trainer(_legacy_generators.GeneratorMethods):
    """Mixin giving a model Keras's training and inference methods (and Keras 2's `*_generator`)."""

    def __init__(self):
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self.steps_per_execution = 1
        self.run_eagerly = False
        self._compile_args = None
        self._spec = None
        self._spec_key = None
        self._jit_cache = {}
        self._on_batch_metrics = None
        self._keras3_step = None

    # ----------------------------------------------------------------------------------------
    # compile

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto",
                sample_weight_mode=None, target_tensors=None, **kwargs):
        """Configures the model for training.

        Args:
            optimizer: name (e.g. "adam"), a `jkeras.optimizers` instance, or an optax
                `GradientTransformation`.
            loss: name, function `f(y_true, y_pred)`, `Loss` instance, or a list / dict of them per output.
            metrics: list of metric names, functions or `Metric`s (a list of lists or a dict per output).
            loss_weights: list or dict of scalars weighting each output's loss.
            weighted_metrics: metrics that also receive `sample_weight` / `class_weight`.
            run_eagerly: run steps without `jax.jit` (for debugging).
            steps_per_execution: number of batches run inside one compiled call.
            jit_compile: False is the same as `run_eagerly=True`.
            sample_weight_mode: Keras 2: None or "temporal" (2-D sample weights weight each
                timestep; they do so in either mode).
            target_tensors: Keras 2; not supported (an error explains how to pass targets).

        Under the "mixed_float16" policy the optimizer is wrapped in a `LossScaleOptimizer`.

        Raises:
            ValueError: for an unknown optimizer, loss or metric name (listing the valid ones), a
                bad `steps_per_execution` or `sample_weight_mode`, or `target_tensors`.
        """
        from jkeras import losses as losses_module
        from jkeras import metrics as metrics_module
        from jkeras import optimizers as optimizers_module

        from jkeras.models.compile_utils import check_keras2_arguments

        check_keras2_arguments(sample_weight_mode, target_tensors)
        if kwargs:
            raise TypeError(f"compile: unexpected keyword argument(s) {sorted(kwargs)}")
        if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(f"compile: steps_per_execution must be an int >= 1, got {steps_per_execution!r}")
        self.optimizer = optimizers_module.get(optimizer)
        if self.dtype_policy.name == "mixed_float16" and not isinstance(
                self.optimizer, optimizers_module.LossScaleOptimizer):
            # As Keras: float16 gradients underflow without loss scaling.
            self.optimizer = optimizers_module.LossScaleOptimizer(self.optimizer)
        if self.optimizer is not None:
            _ema.bind(self.optimizer, self)  # use_ema: whose weights its averages follow
        for leaf in flatten(loss):
            if leaf is not None and not (isinstance(leaf, str) and leaf.lower() in ("crossentropy", "ce")):
                losses_module.get(leaf)
        for leaf in [m for m in flatten(metrics) + flatten(weighted_metrics) if m is not None]:
            if not (isinstance(leaf, str) and leaf.lower() in ("accuracy", "acc", "crossentropy", "ce")):
                metrics_module.get(leaf)
        self._compile_args = {
            "loss": loss, "metrics": metrics, "loss_weights": loss_weights,
            "weighted_metrics": weighted_metrics,
        }
        self.loss = loss
        self.run_eagerly = bool(run_eagerly) or jit_compile is False
        self.steps_per_execution = steps_per_execution
        self.compiled = True
        self._spec = None
        self._jit_cache = {}
        self._on_batch_metrics = None
        self._keras3_step = None
        from jkeras._metric_classes import Mean

        self._loss_tracker = Mean(name="loss")

    def get_compile_config(self):
        """The compile arguments `model.save` writes (Keras 3's keys: `optimizer`, `loss`, `metrics`,
        `loss_weights`, `weighted_metrics`, `run_eagerly`, `steps_per_execution`); override it,
        with `compile_from_config`, for a custom `compile`.

        Returns:
            A dict; empty when the model is not compiled.
        """
        from jkeras.saving import model_config

        return model_config.compile_to_config(self) or {}

    def compile_from_config(self, config):
        """Compiles the model from `get_compile_config()`'s output (`load_model` calls it).

        A model whose class overrides `compile` is left uncompiled, with a warning (as in Keras 3):
        override this method too to compile it on load.

        Args:
            config: the dict `get_compile_config()` returned.
        """
        from jkeras.saving import model_config

        if type(self).compile is not Trainer.compile:
            warnings.warn(
                f"`compile()` was not called as part of loading model '{self.name}' because its class "
                "overrides `compile()`. Override `compile_from_config(config)` (and "
                "`get_compile_config()`) to compile it on load, or call `compile()` after loading.",
                stacklevel=2,
            )
            return
        model_config.compile_from_config(self, config)

    def _assert_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(
                f"You must call `compile()` before using the model: `{method}` needs a loss and an "
                "optimizer, e.g. model.compile(optimizer='adam', loss='mse')."
            )

    @property
    def metrics_names(self):
        """Names of the values `evaluate` returns, in its list's order: "loss" first, then the
        metrics (one output), or the per-output losses then the metrics by name (several)."""
        if self._spec is None:
            return ["loss"] if self.compiled else []
        return _log_names(self._spec)

    # ----------------------------------------------------------------------------------------
    # Keras 3's metrics and losses (see `jkeras.models.stateless`)

    @property
    def metrics(self):
        """Keras 3's list of the model's metrics: once compiled, the loss tracker
        (`Mean(name="loss")`) and the compiled metrics (one `CompileMetrics`, once `fit` /
        `evaluate` built them), then the `Metric`s set as attributes of the model."""
        return stateless.model_metrics(self)

    @property
    def metrics_variables(self):
        """The variables of `metrics`, one flat list."""
        return [v for m in self.metrics for v in m.variables]

    # ----------------------------------------------------------------------------------------
    # Keras 3's state tree

    def get_state_tree(self, value_format="backend_tensor"):
        """The model's variables as nested dicts keyed by the parts of their paths.

        `{"trainable_variables": {"seq": {"dense": {"kernel": ...}}}, "non_trainable_variables":
        ..., "optimizer_variables": {"adam": {"iteration": ..., "seq_dense_kernel_momentum": ...}},
        "metrics_variables": {"loss": {"total": ..., "count": ...}}}`, as Keras 3 lays it out (the
        optimizer's variables under Keras's names where its state has Keras's layout, else under
        jkeras's own).

        Args:
            value_format: `"backend_tensor"` (JAX arrays) or `"numpy_array"`.

        Returns:
            A dict of four nested dicts.

        Raises:
            ValueError: for another `value_format`, or a variable path found twice.
        """
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError("Invalid `value_format` argument. Expected one of {'numpy_array', "
                             f"'backend_tensor'}}. Received: value_format={value_format}")
        convert = np.asarray if value_format == "numpy_array" else jax.numpy.asarray

        def entries(variables):
            return [(v.path, v.value) for v in variables]

        return {
            "trainable_variables": _nested(entries(self.trainable_variables), convert),
            "non_trainable_variables": _nested(entries(self.non_trainable_variables), convert),
            "optimizer_variables": _nested(self._optimizer_entries(), convert),
            "metrics_variables": _nested(entries(self.metrics_variables), convert),
        }

    def set_state_tree(self, state_tree):
        """Assigns the values of a state tree (as `get_state_tree` returns) to the variables with
        the same paths; paths the model does not have are ignored.

        Args:
            state_tree: a dict with any of the keys `"trainable_variables"`,
                `"non_trainable_variables"`, `"optimizer_variables"`, `"metrics_variables"`.

        Raises:
            ValueError: for another key.
        """
        from jkeras.saving import keras3_optimizer

        for kind, tree in state_tree.items():
            values = _flat(tree)
            if kind in ("trainable_variables", "non_trainable_variables", "metrics_variables"):
                for variable in getattr(self, kind):
                    if variable.path in values:
                        variable.assign(values[variable.path])
            elif kind == "optimizer_variables":
                if getattr(self, "optimizer", None) is None:
                    continue
                paths = keras3_optimizer.keras_variable_paths(self)
                if paths is not None:
                    current = dict(zip(paths, keras3_optimizer.keras_variables(self)))
                    current.update((p, np.asarray(v)) for p, v in values.items() if p in current)
                    keras3_optimizer.restore(self, [current[p] for p in paths], source="the state tree")
                else:
                    for variable in self.optimizer.variables:
                        if variable.path in values:
                            variable.assign(values[variable.path])
            else:
                raise ValueError(f"Unknown variable name: {kind}")

    def _optimizer_entries(self):
        """(path, value) of the optimizer's variables: Keras 3's names and values where the
        optimizer state has Keras's layout, else jkeras's own variables."""
        from jkeras.saving import keras3_optimizer

        if getattr(self, "optimizer", None) is None:
            return []
        paths = keras3_optimizer.keras_variable_paths(self)
        if paths is not None:
            return list(zip(paths, keras3_optimizer.keras_variables(self)))
        return [(v.path, v.value) for v in self.optimizer.variables]

    def reset_metrics(self):
        """Resets the state of every metric in `metrics`."""
        for metric in self.metrics:
            metric.reset_state()

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True, params=None):
        """The total loss of a batch (Keras 3): the compiled losses (zero when none) plus the
        weight regularization.

        Args:
            x: the inputs (unused by this implementation).
            y: the targets: an array, or a list / dict per output.
            y_pred: the model's outputs, structured like `y`.
            sample_weight: optional per-sample weights.
            training: whether the loss is for training (unused by this implementation).
            params: the weights whose regularization counts (default: the current ones; inside
                a traced step pass them, or use `stateless_compute_loss`).

        Returns:
            A scalar.
        """
        return stateless.compute_loss(self, x, y, y_pred, sample_weight, training, params)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Keras 3's hook for a step's logs: updates the compiled metrics with the batch and returns
        `get_metrics_result()`. Override it (with metrics of the model's own) to choose the logs;
        `fit` / `evaluate` then run Keras 3's default step, which calls it.

        Returns:
            A dict log name -> value.
        """
        del x
        compiled = self.__dict__.get("_compile_metrics")
        if compiled is not None and any(m is compiled for m in self.metrics):
            compiled.update_state(y, y_pred, sample_weight=sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """The results of `metrics` as one dict (a dict result, the compiled metrics', merged in)."""
        logs = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[metric.name] = result
        return logs

    def stateless_compute_loss(self, trainable_variables, non_trainable_variables, metrics_variables,
                               x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """`compute_loss` with the weights given as lists (Keras 3, pure).

        Returns:
            `(loss, (trainable_variables, non_trainable_variables, metrics_variables))`.
        """
        return stateless.stateless_compute_loss(self, trainable_variables, non_trainable_variables,
                                                metrics_variables, x, y, y_pred, sample_weight, training)

    def _uses_keras3_step(self, batch, batch_size=None):
        """Decides (once per compiled spec) which convention a `train_step` override follows."""
        if type(self).train_step is Trainer.train_step:
            # Keras 3's default step where the model overrides its hooks (`compute_metrics`)
            self._keras3_step = (self._spec, True) if stateless.overrides_metric_hooks(self) else None
            return self._keras3_step is not None
        if self._keras3_step is None or self._keras3_step[0] is not self._spec:
            spec = stateless.batch_spec_of(batch, batch_size)
            self._keras3_step = (self._spec, stateless.uses_keras3_train_step(self, spec))
        return self._keras3_step[1]

    def _keras3_active(self):
        return self._keras3_step is not None and self._keras3_step[0] is self._spec and self._keras3_step[1]

    def _keras3_test(self):
        return callable(getattr(type(self), "test_step", None)) or stateless.overrides_metric_hooks(self)

    def _initial_metric_state(self):
        """The metric state a train state starts an epoch with (fresh, own buffers)."""
        return self._fresh_metric_state(self._keras3_active())

    def _fresh_metric_state(self, keras3):
        """Zeroed metric state in new buffers: the Keras 3 metrics' variables (`keras3`), else the
        compiled metrics', made by one jitted call (no eager op per variable)."""
        if keras3:
            return core_step.fresh_copy(stateless.metrics_state(self))
        return self._jit(("init_metrics",), lambda: functools.partial(core_step.init_metrics, self._spec))()

    def _step_function(self):
        return stateless.keras3_train_step(self) if self._keras3_active() else self.train_step

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantizes the weights of the model's layers in place (Keras 3's post-training quantization).

        Each layer without sublayers is quantized with `layer.quantize(mode, config=config)`; a layer
        without quantization support is skipped with a warning, as in Keras 3. jkeras quantizes
        `Dense`, `EinsumDense` and `Embedding` to "int8" and "int4". The model must be built; it then
        predicts, evaluates, trains (its quantized matrices stay fixed) and saves as usual.

        Args:
            mode: the quantization mode, "int8" or "int4" (optional when `config` says it).
            config: optional `jkeras.quantizers.Int8QuantizationConfig` / `Int4QuantizationConfig`.
            filters: optional regex string, list of them (matched against layer names with
                `re.search`), or callable `layer -> bool`: only the layers it selects are quantized.

        Raises:
            ValueError: for unknown keyword arguments or `filters` of another type, and as
                `Layer.quantize` (an unknown mode, neither mode nor config, a layer already quantized).
            NotImplementedError: for "float8", "gptq" or "awq" (Keras 3 modes jkeras does not
                implement).
        """
        import re

        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if filters is not None and not (isinstance(filters, (str, list, tuple)) or callable(filters)):
            raise ValueError("The `filters` argument must be a regex string, a list of regex strings, or a "
                             f"callable. Received: {type(filters)}")
        from jkeras import mixed_precision, quantizers

        resolved, _ = quantizers.resolve_mode(mode, config)
        if resolved not in mixed_precision.SUPPORTED_QUANTIZATION_MODES:
            raise NotImplementedError(f"Quantization mode '{resolved}' is not supported by jkeras (supported: "
                                      f"{list(mixed_precision.SUPPORTED_QUANTIZATION_MODES)})")

        def selected(layer):
            if filters is None:
                return True
            if isinstance(filters, str):
                return bool(re.search(filters, layer.name))
            if isinstance(filters, (list, tuple)):
                return any(re.search(pattern, layer.name) for pattern in filters)
            return filters(layer)

        modified = False
        for layer in self._flatten_layers():
            if not selected(layer) or len(layer._flatten_layers()) != 1:
                continue
            try:
                layer.quantize(mode, type_check=type_check, config=config)
                modified = True
            except NotImplementedError as error:
                warnings.warn(str(error), stacklevel=2)
        if modified:  # the weights changed structure: programs and the step are made afresh
            self._spec = None
            self._spec_key = None
            self._jit_cache = {}

    # ----------------------------------------------------------------------------------------
    # The compiled pieces

    def _flat_apply(self, variables, x, training=False, rng=None):
        outputs, state, masks = self.apply_with_masks(variables, x, training=training, rng=rng)
        # The leaves in `self.outputs`' order (and the masks'): a nested output structure (a layer
        # returning a tuple, among a list of outputs) gives one entry per tensor.
        return flatten(outputs, sort_keys=True), state, masks

    def _ensure_spec(self, y_list):
        """Builds (or reuses) the StepSpec for targets shaped like `y_list`."""
        compile_utils.check_target_shapes(self, y_list)
        params = self.get_variables()["params"]
        mask = self.trainable_mask(params)
        mask_leaves = tuple(jax.tree_util.tree_leaves(mask))
        key = (mask_leaves, jax.tree_util.tree_structure(mask))
        if self._spec is not None and self._spec_key == key:
            return self._spec
        from jkeras.models.compile_utils import resolve_outputs

        args = self._compile_args
        override = stateless.loss_override(self)
        no_loss = args["loss"] is None and (type(self).train_step is not Trainer.train_step or self._keras3_test()
                                            or override is not None)
        if no_loss:  # Keras 3: a custom step computes its own loss; compile only set the optimizer
            args = {**args, "loss": "mse"}
        outputs = resolve_outputs(self, y_list, **args, targets_from_override=override is not None)
        if no_loss:
            outputs = [out._replace(loss=None) for out in outputs]
        self._spec = core_step.StepSpec(
            apply=self._flat_apply,
            outputs=outputs,
            transform=self.optimizer.transform,
            regularization=self.regularization_loss,
            constraints=self.apply_constraints,
            trainable_mask=mask,
            loss_override=override,
            layer_metrics=_layer_metrics(self, outputs),
        )
        self._spec_key = key
        self._jit_cache = {}
        return self._spec

    def _jit(self, key, make, donate=False, carry=None):
        """The program `make()` jitted, once per `key` and distribution; `carry`: the structure of
        its first argument and output, which it then takes and returns as a list of leaves
        (`jkeras.core.step.flat_carry`)."""
        key = key + (_sharding.active(), carry)  # a program per distribution (None: one device)
        fn = self._jit_cache.get(key)
        if fn is None:
            fn = make()
            if carry is not None:
                fn = core_step.flat_carry(fn, carry)
            if not self.run_eagerly:
                fn = jax.jit(fn, donate_argnums=(0,) if donate else ())
            self._jit_cache[key] = fn = _sharding.paced(_sharding.active(), fn)
        return fn

    def train_step(self, state, batch):
        """One pure training step: `(state, batch) -> (new_state, logs)`; override to customise.

        `state` is a `jkeras.core.step.TrainState(params, state, opt_state, metrics, rng)` and
        `batch` is `(x_list, y_list, sample_weight_list)`. An override must stay pure (it is
        traced by `jax.jit`); it may call `super().train_step(state, batch)`, `self.apply` and
        `self.optimizer.transform`, and returns the new state and a dict of scalar logs.
        """
        return core_step.make_train_step(self._spec)(state, batch)

    def _train_fn(self, num_steps, batch_size, limit, every_step=True, per_call=False, carry=None,
                  donate=True):
        """The jitted `indexed` train step: `num_steps` batches per call (`every_step=False`: the
        steps with real rows left), rows past `limit` padding; `per_call`: it is given just its own
        rows (fed from the host), not the epoch's; `carry`: the train state's structure, given as
        its leaves (`_jit`); `donate`: its train state buffers are donated (not for a `fit` of one
        call, whose state is the model's own arrays, not a copy: `_train_state`)."""
        # The built-in step's logs are its metrics' results: a loop of steps computes them once.
        builtin = type(self).train_step is Trainer.train_step and not self._keras3_active()
        logs_of = (lambda ts: core_step.compute_metrics(self._spec, ts.metrics)) if builtin else None
        return self._jit(
            ("train", num_steps, batch_size, limit, every_step, per_call, donate),
            lambda: core_step.indexed(self._distributed_train_step(batch_size, "fit"), num_steps, batch_size,
                                      limit, every_step, logs_of, per_call),
            donate=donate, carry=carry,
        )

    def _distributed_train_step(self, batch_size=None, method="fit"):
        """`train_step`, split over the current distribution's devices (ValueError for a batch size
        the batch axis does not divide)."""
        return _sharding.train_step(_sharding.active(), self._step_function(), batch_size, method)

    def _distributed_batch_step(self, step, batch_arg, batch_size, method, gathered=None):
        """`step` with its argument `batch_arg` split over the batch axis (when distributed)."""
        return _sharding.batch_step(_sharding.active(), step, batch_arg, batch_size, method, gathered)

    def _placed(self, ts, copy=False):
        """The train state laid out as the current distribution says; `copy`: in new buffers."""
        dist = _sharding.active()
        if dist is None:
            return core_step.fresh_copy(ts) if copy else ts
        return _sharding.place(ts, _sharding.train_state_shardings(dist, ts), copy=copy)

    def _exact_last_batch(self, num_samples, batch_size, steps, method):
        """The size of a pass's short last batch when it runs in a program of its own, with just
        its rows, as Keras runs it: for an overridden `train_step` ("fit") or Keras 3 `test_step`
        ("evaluate"), whose own losses and metrics may count padding rows. None: the batch is
        padded and its padding masked (the built-in steps: one program), there is none (`steps`
        given: rows cycle), or a distribution splits every batch evenly over its devices."""
        custom = (type(self).train_step is not Trainer.train_step or stateless.overrides_metric_hooks(self)) \
            if method == "fit" else self._keras3_test()
        if not custom or steps is not None or _sharding.active() is not None:
            return None
        return num_samples % batch_size or None

    def _eval_step(self):
        if self._keras3_test():
            return stateless.keras3_test_step(self)
        return core_step.make_eval_step(self._spec)

    def _eval_metric_state(self):
        return self._fresh_metric_state(self._keras3_test())

    def _eval_fn(self, num_steps, batch_size, limit, every_step=True, per_call=False):
        eval_step = self._eval_step()

        def step(carry, batch, params):
            # The weights are an argument, not carried: a carried weight would be copied to a new
            # output buffer by every call. Each batch draws from its own key.
            state, metric_state, rng = carry
            rng, key = jax.random.split(rng)
            metric_state, logs, state = eval_step({"params": params, "state": state}, metric_state, batch, key)
            return (state, metric_state, rng), logs

        step = self._distributed_batch_step(step, 1, batch_size, "evaluate")
        logs_of = None if self._keras3_test() else (
            lambda carry: core_step.compute_metrics(self._spec, carry[1]))  # noqa: E731
        return self._jit(("eval", num_steps, batch_size, limit, every_step, per_call),
                         lambda: core_step.indexed(step, num_steps, batch_size, limit, every_step, logs_of, per_call))

    def predict_step(self, state, data):
        """Keras 3's JAX predict step: override it to change what `predict` returns.

        `predict` and `predict_on_batch` run an override in place of the model's own call (an
        override may call `super().predict_step(state, data)`).

        Args:
            state: `(trainable_variables, non_trainable_variables)`, lists of arrays in the
                order of `self.trainable_variables` / `self.non_trainable_variables`.
            data: the batch: its inputs (`predict`), or `(inputs,)` (`predict_on_batch`).

        Returns:
            `(outputs, non_trainable_variables)`.
        """
        trainable, non_trainable = state
        x, _, _ = stateless._unpack(data)
        return self.stateless_call(trainable, non_trainable, x, training=False)

    def _custom_predict(self):
        return type(self).predict_step is not Trainer.predict_step

    def _predict_step_fn(self, on_batch=False):
        """`(variables, x_list, rng) -> (output_leaves, new_state)`: an overridden `predict_step`,
        or the model's call."""
        if self._custom_predict():
            return stateless.keras3_predict_step(self, on_batch)
        return core_step.make_predict_step(self._flat_apply)

    def _predict_fn(self, batch_size, per_call):
        """The jitted predict step on the batch at row `start` (`jkeras.core.step.batch_at`: a short
        last batch is the data's last `batch_size` rows)."""
        predict_step = self._distributed_batch_step(self._predict_step_fn(), 1, batch_size, "predict", gathered=0)

        def make():
            def run(variables, data, start, rng):
                x, _ = core_step.batch_at(data, 0 if per_call else start, batch_size)
                return predict_step(variables, x, jax.random.fold_in(rng, start))

            return run

        return self._jit(("predict", batch_size, per_call), make)

    def _train_state(self, rng, copy=True):
        """The train state of the model's weights, optimizer state, fresh metrics and `rng`;
        `copy`: in new buffers, which a step may donate (else the model's own arrays, for a
        program that does not donate them: one dispatched copy fewer per call)."""
        variables = self.get_variables()
        if self._keras3_active():  # Keras 3's stateless_apply: the state of the list of weights
            trainable = [jax.numpy.asarray(v.value) for v in self.trainable_variables]
        else:
            trainable, _ = core_step.partition(variables["params"], self._spec.trainable_mask)
        structure = jax.tree_util.tree_structure(trainable)
        if self.optimizer.state is None or not self._optimizer_state_fits(structure, trainable):
            self.optimizer.state = _init_optimizer_state(self.optimizer.transform, trainable)
        self._opt_structure = structure
        ts = core_step.TrainState(variables["params"], variables["state"], self.optimizer.state, {}, rng)
        if _sharding.active() is None:  # the copy program `_write_back` runs at an epoch's end
            if copy:  # and the key on the device, as the steps return it (one signature)
                params, state, opt_state = core_step.fresh_copy((ts.params, ts.state, ts.opt_state))
                ts = ts._replace(params=params, state=state, opt_state=opt_state, rng=jax.device_put(rng))
        else:
            ts = self._placed(ts, copy=copy)
        # The key and the metrics (one jitted call) are new buffers already.
        return self._placed(ts._replace(metrics=self._initial_metric_state()))

    def _optimizer_state_fits(self, structure, trainable):
        """Whether the optimizer's state is that of the weights `trainable` (of tree `structure`):
        made by an earlier `fit`, or by `optimizer.build(model.trainable_variables)` before the
        first one (keras-io metric_learning builds it before a custom `train_step`)."""
        known = getattr(self, "_opt_structure", None)
        if known is not None:
            return known == structure
        expected = jax.eval_shape(self.optimizer.transform.init, trainable)
        return jax.tree_util.tree_structure(self.optimizer.state) == jax.tree_util.tree_structure(expected)

    def _write_back(self, ts, copy):
        params, state, opt_state = ts.params, ts.state, ts.opt_state
        if copy:
            fresh = core_step.fresh_copy if _sharding.active() is None else _sharding.copy
            params, state, opt_state = fresh((params, state, opt_state))
        self.set_variables({"params": params, "state": state})
        self.optimizer.state = opt_state
        if self._keras3_active():
            stateless.assign_metrics(self, ts.metrics)
        elif self._spec is not None:  # the metrics layers update in `call` hold the epoch's state
            for name, metric in self._spec.layer_metrics:
                metric._set_state(core_step.fresh_copy(ts.metrics[name]))
        self._written_back = jax.tree_util.tree_leaves((params, state))

    def _variables_changed_since_write_back(self):
        """Whether something (a callback's set_weights / reset_states) replaced a weight array."""
        current = jax.tree_util.tree_leaves(self.get_variables())
        written = getattr(self, "_written_back", [])
        return len(current) != len(written) or any(a is not b for a, b in zip(current, written))

    # ----------------------------------------------------------------------------------------
    # fit

    @_legacy_generators.converts(_legacy_generators.FIT)
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, max_queue_size=None, workers=None,
            use_multiprocessing=None):
        """Trains the model for a number of epochs.

        Args:
            x: input data: an array, a list of arrays, or a dict keyed by input name; or a
                generator, iterator, iterable or `jkeras.utils.Sequence` yielding `(x, y)` or
                `(x, y, sample_weight)` batches (then `y` and `sample_weight` are not passed).
            y: target data, in the same forms keyed by output.
            batch_size: samples per gradient update (default 32; arrays only).
            epochs: index of the last epoch to train (training runs `initial_epoch`..`epochs - 1`).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch, "auto" is 1.
            callbacks: list of `jkeras.callbacks.Callback`.
            validation_split: fraction in [0, 1) of the data (taken from the end, before shuffling)
                held out for validation (arrays only).
            validation_data: `(x_val, y_val)`, `(x_val, y_val, sample_weight_val)`, or a generator /
                iterable / Sequence of such batches.
            shuffle: shuffle the rows each epoch (True), shuffle batch-sized blocks ("batch"), or not;
                for a Sequence, shuffle its batch order each epoch. Iterators are not shuffled.
            class_weight: dict class index -> weight applied to the loss.
            sample_weight: array of per-sample loss weights.
            initial_epoch: epoch to start from (to resume training).
            steps_per_epoch: batches per epoch. Arrays: cycle through the data; a generator: draw
                this many batches (needed for an endless one; default: until it is used up); a
                Sequence: default `len(sequence)`. A float (Keras 2's `len(x) / batch_size`) runs
                its ceiling.
            validation_steps: number of validation batches per evaluation.
            validation_batch_size: batch size for validation (defaults to `batch_size`).
            validation_freq: validate every this many epochs (an int) or at these epochs (a list).
            max_queue_size: generator / Sequence batches read ahead of the step (default 10).
            workers: threads reading a Sequence's batches (an iterator is read by one thread; 0 reads
                on the calling thread). Batches keep their order.
            use_multiprocessing: accepted for Keras compatibility; batches are read in threads.

        Returns:
            A `History` whose `.history` maps "loss", each metric and "val_*" to per-epoch lists.

        Raises:
            RuntimeError: if the model is not compiled; when a generator / Sequence raises or runs
                out early (the message names the batch; the weights of the last completed step are kept).
            ValueError: for inconsistent or misshaped data and out-of-range arguments.
        """
        self._clear_losses()  # as in Keras, an eager call's losses do not outlive fit / evaluate / predict
        self._assert_compiled("fit")
        steps_per_epoch = data_adapter.whole_steps(steps_per_epoch)
        validation_steps = data_adapter.whole_steps(validation_steps)
        data_adapter.check_fit_arguments(epochs, initial_epoch, validation_split, steps_per_epoch,
                                         validation_steps, validation_batch_size, validation_freq)
        if config.max_epochs() is not None and config.max_epochs() < epochs:
            warnings.warn(f"Limiting epochs to {config.max_epochs()}", UserWarning, stacklevel=2)
            epochs = config.max_epochs()
        verbose = 1 if verbose == "auto" else int(verbose)
        read = {"max_queue_size": max_queue_size, "workers": workers, "use_multiprocessing": use_multiprocessing}
        closing = []
        read_first = None
        try:
            if _generator_adapter.is_stream(x):
                _generator_adapter.check_arguments("fit", y, sample_weight, validation_split)
                stream = _generator_adapter.BatchStream(self, x, "fit", class_weight, shuffle, **read)
                closing.append(stream)

                def read_first():  # after on_train_begin, which may set the generator up (Keras 2)
                    self._ensure_spec(stream.first.y)
                    self._uses_keras3_step(stream.first.batch())

                train = _epochs.StreamEpochs(self, stream, steps_per_epoch, self.steps_per_execution)
                val_data = None
            else:
                batch_size = data_adapter.check_batch_size(batch_size, steps_per_epoch)
                data = data_adapter.prepare(self, x, y, sample_weight, class_weight, "fit")
                val_data = None
                if validation_split and validation_data is None:
                    data, val_data = data_adapter.split(data, validation_split)
                self._ensure_spec(data.y)
                self._uses_keras3_step(data.batch(), batch_size)
                train = _epochs.ArrayEpochs(self, data, batch_size, steps_per_epoch, shuffle, self.steps_per_execution)
            validate = None
            if _generator_adapter.is_stream(validation_data):
                val_stream = _generator_adapter.BatchStream(self, validation_data, "fit (validation_data)", **read)
                closing.append(val_stream)
                validate = lambda epoch, cbs: _generator_adapter.evaluate(  # noqa: E731
                    self, val_stream, validation_steps, cbs, epoch)
            else:
                if validation_data is not None:
                    val_data = data_adapter.unpack_validation(self, validation_data)
                if val_data is not None:
                    for cb in callbacks or []:  # Keras 2: array validation data reach the callbacks
                        cb.validation_data = data_adapter.keras2_validation_arrays(val_data)
                    val_batch = validation_batch_size or batch_size or 32
                    val_rows = data_adapter.Rows(val_data, val_batch)
                    val_steps = _epochs.resolve_steps(validation_steps, val_batch, val_rows.num_samples)
                    validate = lambda epoch, cbs: self._evaluate_rows(val_rows, val_batch, val_steps, cbs)  # noqa: E731
            return self._fit_loop(train, validate, epochs, initial_epoch, verbose, callbacks, validation_freq,
                                  read_first)
        finally:
            for stream in closing:
                stream.close()

    def _fit_loop(self, train, validate, epochs, initial_epoch, verbose, callbacks, validation_freq,
                  after_train_begin=None):
        """The epochs: `train.run` trains one, `validate(epoch, cbs)` returns validation logs (the
        callbacks' test hooks run, as in Keras); `after_train_begin()` runs after the callbacks'
        `on_train_begin`."""
        cbs = callbacks_module.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self,
            verbose=verbose, epochs=epochs, steps=train.steps,
        )
        self.stop_training = False
        key = next_call_key()  # two keys derived on the host: no dispatched `split` per fit
        shuffle_key, step_key = random_utils.fold_in(key, 0), random_utils.fold_in(key, 1)
        train.set_key(shuffle_key)
        logs = {}
        cbs.on_train_begin()
        if after_train_begin is not None:
            after_train_begin()
        # A callback (BackupAndRestore) may have restored weights, optimizer state and the epoch.
        if getattr(self, "_initial_epoch", None) is not None:
            initial_epoch, self._initial_epoch = self._initial_epoch, None
        # A fit of one jitted call (one batch, one epoch: a reinforcement-learning agent's step)
        # runs it on the model's own arrays, not donated, instead of copying them to donate.
        donate = not (epochs - initial_epoch == 1 and train.single_call())
        loop = _epochs.FitLoop(self, cbs, self._train_state(step_key, copy=donate))
        if not donate:
            train.keep_inputs()
        written = None  # the train state last written back to the model
        try:
            for epoch in range(initial_epoch, epochs):
                loop.ts = self._sync_optimizer(loop.ts, cbs.on_epoch_begin, epoch)
                if callbacks and epoch > initial_epoch and self._variables_changed_since_write_back():
                    # A callback changed weights or states (reset_states, set_weights).
                    variables = self.get_variables()
                    loop.ts = self._placed(loop.ts._replace(params=variables["params"], state=variables["state"]),
                                           copy=True)
                if epoch > initial_epoch:  # the first epoch's are the train state's, fresh already
                    loop.ts = self._placed(loop.ts._replace(metrics=self._initial_metric_state()))
                epoch_logs = self._host_logs(train.run(loop, epoch))
                # The model's own copy, unless no epoch follows to donate the loop's buffers.
                self._write_back(loop.ts, copy=epoch + 1 < epochs)
                written = loop.ts
                if validate is not None and _should_validate(epoch, validation_freq):
                    epoch_logs = _sorted_logs({**epoch_logs, **{"val_" + k: v for k, v in
                                                               validate(epoch, cbs).items()}})
                loop.ts = self._sync_optimizer(loop.ts, cbs.on_epoch_end, epoch, epoch_logs)
                logs = epoch_logs
                if self.stop_training:
                    break
        finally:
            if loop.ts is not written:  # stopped mid-epoch, or a callback changed the state since
                self._write_back(loop.ts, copy=False)
            _ema.finalize_after_fit(self, epochs)  # use_ema: the weights take their averages
        cbs.on_train_end(logs)
        return self.history

    def _sync_optimizer(self, ts, hook, *args):
        """Runs a callback hook with the optimizer state visible to it (learning-rate changes)."""
        self.optimizer.state = ts.opt_state
        hook(*args)
        if self.optimizer.state is ts.opt_state:
            return ts
        return self._placed(ts._replace(opt_state=self.optimizer.state))

    # ----------------------------------------------------------------------------------------
    # evaluate / predict

    @_legacy_generators.converts(_legacy_generators.EVALUATE)
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, max_queue_size=None, workers=None, use_multiprocessing=None,
                 return_dict=False):
        """Returns the loss and metric values of the model on the given data.

        Args:
            x, y, sample_weight: as in `fit` (`x` may be a generator / iterable / Sequence).
            batch_size: samples per batch (default 32).
            verbose: 0 or 1 ("auto" is 1).
            steps: number of batches to evaluate (default: the whole data once).
            callbacks: list of callbacks (test hooks are called).
            max_queue_size, workers, use_multiprocessing: as in `fit`.
            return_dict: return a dict name -> value instead of a list.

        Returns:
            The loss (a float) when there are no metrics, else a list in `metrics_names` order,
            or a dict when `return_dict=True`.
        """
        self._clear_losses()
        self._assert_compiled("evaluate")
        verbose = 1 if verbose == "auto" else int(verbose)
        steps = data_adapter.whole_steps(steps)
        if _generator_adapter.is_stream(x):
            _generator_adapter.check_arguments("evaluate", y, sample_weight)
            stream = _generator_adapter.BatchStream(self, x, "evaluate", max_queue_size=max_queue_size,
                                                    workers=workers, use_multiprocessing=use_multiprocessing)
            try:
                self._ensure_spec(stream.first.y)
                cbs = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                                    verbose=verbose, epochs=1,
                                                    steps=stream.resolve_steps(steps) or stream.pass_length)
                logs = _generator_adapter.evaluate(self, stream, steps, cbs)
            finally:
                stream.close()
        else:
            batch_size = data_adapter.check_batch_size(batch_size, steps)
            data = data_adapter.prepare(self, x, y, sample_weight, None, "evaluate")
            self._ensure_spec(data.y)
            steps = _epochs.resolve_steps(steps, batch_size, data.num_samples)
            cbs = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                                verbose=verbose, epochs=1,
                                                steps=steps or -(-data.num_samples // batch_size))
            logs = self._evaluate_rows(data_adapter.Rows(data, batch_size), batch_size, steps, cbs)
        return self._format_logs(logs, return_dict)

    def _evaluate_rows(self, rows_source, batch_size, steps, cbs):
        num_samples = rows_source.num_samples
        last = self._exact_last_batch(num_samples, batch_size, steps, "evaluate")
        if steps is None:
            steps, rows = -(-num_samples // batch_size), num_samples
        else:
            steps = int(steps)
            rows = steps * batch_size
        spe = self.steps_per_execution
        feed = rows_source.feed(np.arange(num_samples), spe * batch_size)
        per_call = not rows_source.on_device
        if last is not None:
            rows = num_samples - last
        full = self._eval_fn(spe, batch_size, rows, per_call=per_call)

        def program(kind):  # a short last group, or the short last batch alone: one more program
            if kind == "full":
                return full
            return self._eval_fn(spe, batch_size, rows, False, per_call) if kind == "short" else \
                self._eval_fn(1, last, None)

        if cbs is not None:
            cbs.on_test_begin()  # before the weights are read: SwapEMAWeights swaps them here
        variables, metrics = _sharding.laid_out((self.get_variables(), self._eval_metric_state()))
        carry = (variables["state"], metrics, next_key())
        start, logs = data_adapter.first_row(), {}
        for step, stop, calls in _epochs.call_groups(steps, spe, batch_size, last, per_call):
            if cbs is not None:
                cbs.on_test_batch_begin(step)
            data = next(feed)
            for kind, row in calls:
                at = row if kind == "last" else start
                carry, logs, after = program(kind)(carry, data, at, variables["params"])
                start = start if kind == "last" else after
            if cbs is not None:
                cbs.on_test_batch_end(stop - 1, logs)
        self._keep_states(carry[0])
        if self._keras3_test():
            stateless.assign_metrics(self, carry[1])
        logs = self._host_logs(logs)
        if cbs is not None:
            cbs.on_test_end(logs)
        return logs

    @_legacy_generators.converts(_legacy_generators.PREDICT)
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, max_queue_size=None,
                workers=None, use_multiprocessing=None):
        """Computes the model's outputs for the inputs `x`, batch by batch.

        Args:
            x: an array, a list of arrays, or a dict keyed by input name; or a generator / iterable /
                Sequence yielding `x` or tuples whose first item is `x`.
            batch_size: samples per batch (default 32; arrays only).
            verbose: 0 or 1 ("auto" is 1).
            steps: number of batches to predict (default: all of `x`, one pass of a generator).
            callbacks: list of callbacks (predict hooks are called).
            max_queue_size, workers, use_multiprocessing: as in `fit`.

        Returns:
            NumPy array(s) shaped like the model's outputs (a list / dict for several outputs).
        """
        self._clear_losses()
        verbose = 1 if verbose == "auto" else int(verbose)
        steps = data_adapter.whole_steps(steps)
        if _generator_adapter.is_stream(x):
            stream = _generator_adapter.BatchStream(self, x, "predict", max_queue_size=max_queue_size,
                                                    workers=workers, use_multiprocessing=use_multiprocessing)
            try:
                cbs = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                                    verbose=verbose, epochs=1,
                                                    steps=stream.resolve_steps(steps) or stream.pass_length)
                return _generator_adapter.predict(self, stream, steps, cbs)
            finally:
                stream.close()
        batch_size = data_adapter.check_batch_size(batch_size, steps)
        data = data_adapter.prepare(self, x, None, None, None, "predict")
        rows_source = data_adapter.Rows(data, batch_size)
        num_samples = data.num_samples
        steps = _epochs.resolve_steps(steps, batch_size, num_samples)
        if steps is not None:
            num_samples = min(num_samples, int(steps) * batch_size)
        # Fewer samples than a batch: one batch of exactly those rows (a stateful layer's fixed
        # batch size must match; no wrapped-around rows are computed).
        if _sharding.active() is None:
            batch_size = min(batch_size, num_samples)
        num_batches = -(-num_samples // batch_size)
        cbs = callbacks_module.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                            verbose=verbose, epochs=1, steps=num_batches)
        per_call = not rows_source.on_device
        fn = self._predict_fn(batch_size, per_call)
        feed = rows_source.feed(np.arange(data.num_samples), batch_size)
        cbs.on_predict_begin()  # before the weights are read: SwapEMAWeights swaps them here
        variables, = _sharding.laid_out((self.get_variables(),))
        params, state = variables["params"], variables["state"]
        rng = next_key()
        chunks, skips = [], []
        for b in range(num_batches):
            cbs.on_predict_batch_begin(b)
            start = b * batch_size
            outputs, state = fn({"params": params, "state": state}, next(feed).x, start, rng)
            chunks.append(outputs)
            # A short last batch holds the data's last rows: those before `start` were seen already.
            past_end = start + batch_size - data.num_samples
            skips.append(past_end if not per_call and past_end > 0 and data.num_samples >= batch_size else 0)
            cbs.on_predict_batch_end(b, {"outputs": self._restructure_outputs(outputs)})
        self._keep_states(state)
        cbs.on_predict_end()
        chunks = jax.device_get(chunks)  # one host copy at the end, no concatenate to compile
        outputs = [
            np.concatenate([c[i][skip:] for c, skip in zip(chunks, skips)], axis=0)[:num_samples]
            for i in range(len(chunks[0]))
        ]
        return self._restructure_outputs(outputs)

    def _keep_states(self, state):
        """After evaluate / predict / *_on_batch: the non-trainable weights keep the values the
        calls left (a stateful RNN's states, a counter a `call` assigns), as in Keras."""
        if state:
            self.set_variables({"params": self.get_variables()["params"], "state": state})

    def _restructure_outputs(self, flat):
        if self._custom_predict() and getattr(self, "_predict_structure", None) is not None:
            return jax.tree_util.tree_unflatten(self._predict_structure, flat)  # what the override returned
        struct = self._output_struct
        if isinstance(struct, dict) or isinstance(struct, (list, tuple)) and len(flat) > 1:
            # the outputs' nesting, as Keras 3's predict (lists / tuples / dicts by sorted key)
            return pack_as(struct, flat)
        return flat[0]

    # ----------------------------------------------------------------------------------------
    # *_on_batch

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True,
                       return_dict=False):
        """Runs one gradient update on one batch.

        Returns:
            The loss, or a list `[loss, *metrics]` (a dict with `return_dict=True`).
        """
        self._clear_losses()
        self._assert_compiled("train_on_batch")
        data = data_adapter.prepare(self, x, y, sample_weight, class_weight, "train_on_batch")
        self._ensure_spec(data.y)
        self._uses_keras3_step(data.batch())
        # The model's own arrays, not donated: a copy to donate would be a dispatched program more.
        ts = self._train_state(next_call_key(), copy=False)
        if not reset_metrics and self._on_batch_metrics is not None:
            ts = ts._replace(metrics=self._on_batch_metrics)
        fn = self._jit(("train_step", "kept"), self._step_function)
        ts, logs = fn(ts, data.for_call().batch())
        self._write_back(ts, copy=False)
        self._on_batch_metrics = None if reset_metrics else ts.metrics
        return self._format_logs(self._host_logs(logs), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        """Evaluates the model on one batch.

        Returns:
            The loss, or a list `[loss, *metrics]` (a dict with `return_dict=True`).
        """
        self._clear_losses()
        self._assert_compiled("test_on_batch")
        data = data_adapter.prepare(self, x, y, sample_weight, None, "test_on_batch")
        self._ensure_spec(data.y)
        fn = self._jit(("test_step",), self._eval_step)
        metric_state = self._eval_metric_state()
        if not reset_metrics and self._on_batch_metrics is not None:
            metric_state = self._on_batch_metrics
        args = (self.get_variables(), metric_state, data.for_call().batch())
        metric_state, logs, state = fn(*args, self._call_key("test_step", fn, args))
        self._keep_states(state)
        self._on_batch_metrics = None if reset_metrics else metric_state
        return self._format_logs(self._host_logs(logs), return_dict)

    def predict_on_batch(self, x):
        """Returns the model's outputs for one batch `x` as NumPy array(s)."""
        self._clear_losses()
        data = data_adapter.prepare(self, x, None, None, None, "predict_on_batch")
        fn = self._jit(("predict_step",), lambda: self._predict_step_fn(on_batch=True))
        args = (self.get_variables(), data.for_call().x)
        outputs, state = fn(*args, self._call_key("predict_step", fn, args))
        self._keep_states(state)
        return self._restructure_outputs([np.array(o) for o in outputs])  # writable, as Keras's

    def _call_key(self, name, fn, args):
        """The key the jitted call `fn(*args, key)` of `*_on_batch` (or of an evaluate / predict
        pass over a stream) takes: None when its program computes nothing from it (no layer draws
        in inference: most models), which the first call finds by tracing it once, so that later
        calls draw and transfer no key (~14 us of a small model's `predict_on_batch`)."""
        cache_key = (name, "reads key", _sharding.active())
        reads = self._jit_cache.get(cache_key)
        if reads is None:
            reads = True
            if hasattr(fn, "trace"):  # a jitted function (not `run_eagerly`)
                placeholder = np.zeros((2,), np.uint32)  # traced only: the key stream stays as it is
                reads = _reads_last_input(fn.trace(*args, placeholder).jaxpr.jaxpr)
            self._jit_cache[cache_key] = reads
        return next_call_key() if reads else None

    def _host_logs(self, logs):
        """Device logs -> floats, sorted by name as Keras 3 hands logs to callbacks and `History`
        (one host sync)."""
        return _sorted_logs(callbacks_module.to_host(logs))

    def _format_logs(self, logs, return_dict):
        """`evaluate`'s (and `*_on_batch`'s) result, as Keras 3 orders it: "loss", the compiled
        metrics (one output), the per-output losses (several outputs), then any other logs by
        name; one value alone as a scalar."""
        if return_dict:
            return logs
        order = _keras_flat_order(self._spec) if self._spec is not None else ["loss"]
        names = [name for name in order if name in logs]
        values = [logs[name] for name in names] + [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values


def _init_optimizer_state(transform, params):
    """`transform.init(params)` as one compiled program: run eagerly, every weight shape's zeros
    compile a program of their own (0.1 s of an LSTM's first epoch on a CPU). An `init` that
    cannot be traced (Python control flow on values) runs eagerly."""
    try:
        return jax.jit(transform.init)(params)
    except TypeError:  # jax's tracer errors (ConcretizationTypeError, ...) are TypeErrors
        return transform.init(params)


def _reads_last_input(jaxpr):
    """Whether an output of `jaxpr` depends on its last input: reachability over its equations,
    each taken to make all its outputs from any of its inputs (so never a wrong "no")."""
    reached = {id(jaxpr.invars[-1])}
    for eqn in jaxpr.eqns:
        if any(id(v) in reached for v in eqn.invars):
            reached.update(id(v) for v in eqn.outvars)
    return any(id(v) in reached for v in jaxpr.outvars)


def _sorted_logs(logs):
    """Logs sorted by name: the order Keras 3 gives every logs dict (`pythonify_logs`)."""
    return {key: logs[key] for key in sorted(logs)}


def _keras_flat_order(spec):
    """The names Keras 3's `_flatten_metrics_in_order` lists first: "loss", the compiled metrics'
    own names (plain, then weighted), the per-output loss trackers. With several outputs the
    metrics' logs carry an output prefix their names lack, so they come with the other logs, by
    name."""
    names = ["loss"]
    single = len(spec.outputs) == 1
    for weighted_pass in (False, True):
        for out in spec.outputs:
            names += [log_name if single else metric.name
                      for log_name, metric, weighted in out.metrics if weighted == weighted_pass]
    names += [f"{out.name}_loss" for out in core_step.logged_output_losses(spec)]
    return names


def _layer_metrics(model, outputs):
    """The metrics the model's layers hold (set as attributes: the "endpoint layer" pattern updates
    them in `call`), as `(log_name, metric)` for `StepSpec.layer_metrics`; a name the compiled
    losses and metrics already log is left out."""
    taken = {"loss"} | {f"{out.name}_loss" for out in outputs} | {n for out in outputs for n, _, _ in out.metrics}
    found = []
    for layer in model._flatten_layers()[1:]:
        for metric in layer.__dict__.get("_tracked_metrics", ()):
            if metric.name not in taken:
                taken.add(metric.name)
                found.append((metric.name, metric))
    return tuple(found)


def _log_names(spec):
    """`metrics_names`: the built-in step's log names in `evaluate`'s list order."""
    logs = ["loss"] + [f"{out.name}_loss" for out in core_step.logged_output_losses(spec)]
    logs += [log_name for out in spec.outputs for log_name, _, _ in out.metrics]
    logs += [log_name for log_name, _ in spec.layer_metrics]
    first = [name for name in _keras_flat_order(spec) if name in logs]
    return first + sorted(name for name in logs if name not in first)


def _should_validate(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq


def _nested(entries, convert):
    """`{"a": {"b": value}}` from `[("a/b", value)]` (Keras 3's state-tree layout).

    Raises:
        ValueError: for a path found twice.
    """
    tree, seen = {}, set()
    for path, value in entries:
        if path in seen:
            raise ValueError(f"The following variable path is found twice in the model: '{path}'. "
                             "`get_state_tree()` can only be called when all variable paths are "
                             "unique. Make sure to give unique names to your layers (and other objects).")
        seen.add(path)
        *parents, leaf = path.split("/")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = convert(value)
    return tree


def _flat(tree, prefix=""):
    """`{"a/b": value}` from `{"a": {"b": value}}`."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}/"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
