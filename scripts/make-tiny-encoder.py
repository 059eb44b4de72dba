#!/usr/bin/env python3
"""Writes test/fixtures/encoders/: a tiny speech encoder with wav2vec 2.0's input/output contract,
exported to ONNX in the Hugging Face export layout, and reference outputs computed by PyTorch.

The model is wav2vec 2.0's architecture at toy size with seeded random weights (it has learned
nothing): a convolutional feature encoder of total stride 320 and receptive field 400 samples at
16 kHz (kernels 10,3,3,3,3,2,2, strides 5,2,2,2,2,2,2, group norm on the first layer), a feature
projection, a grouped convolutional positional embedding, and two post-norm transformer layers of
hidden size 32. Input `input_values` float32 [batch, samples]; outputs `last_hidden_state`
[batch, frames, 32] and, as the per-layer outputs Hugging Face exports name them,
`hidden_states.0` (the transformer's input) to `hidden_states.2` (= last_hidden_state).

Folders written:
- tiny-wav2vec2/: config.json, preprocessor_config.json (do_normalize, 16 kHz),
  onnx/model.onnx (fp32, every layer), onnx/model_fp16.onnx (the same graph in float16, inputs and
  outputs included), reference.json (PyTorch outputs for the clips named there);
- tiny-wav2vec2-last-only/: the same weights exported with `last_hidden_state` only;
- bad-input-name/: a folder whose model reads `input_features` (a log-mel encoder's input name).

Needs PyTorch and onnx (Debian: python3-torch python3-onnx). Run from the repository root:
/usr/bin/python3 scripts/make-tiny-encoder.py
"""
import json
import math
import os
import shutil
import wave

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

OUT = 'test/fixtures/encoders'
SR = 16000
HIDDEN = 32
LAYERS = 2
HEADS = 4
INTERMEDIATE = 64
CONV_DIM = 16
CONV_KERNEL = [10, 3, 3, 3, 3, 2, 2]
CONV_STRIDE = [5, 2, 2, 2, 2, 2, 2]
POS_KERNEL = 8
POS_GROUPS = 4
OPSET = 14
# 16 kHz CREMA-D clips of the test fixtures (ODbL 1.0).
CLIPS = ['test/fixtures/audio/1001_DFA_ANG_XX.wav', 'test/fixtures/audio/1002_DFA_HAP_XX.wav']


class FeatureEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = torch.nn.ModuleList()
        channels = 1
        for kernel, stride in zip(CONV_KERNEL, CONV_STRIDE):
            self.convs.append(torch.nn.Conv1d(channels, CONV_DIM, kernel, stride, bias=False))
            channels = CONV_DIM
        self.norm = torch.nn.GroupNorm(CONV_DIM, CONV_DIM, affine=True)

    def forward(self, x):
        x = x[:, None, :]
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i == 0:
                x = self.norm(x)
            x = torch.nn.functional.gelu(x)
        return x


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q = torch.nn.Linear(HIDDEN, HIDDEN)
        self.k = torch.nn.Linear(HIDDEN, HIDDEN)
        self.v = torch.nn.Linear(HIDDEN, HIDDEN)
        self.out = torch.nn.Linear(HIDDEN, HIDDEN)
        self.norm = torch.nn.LayerNorm(HIDDEN, eps=1e-5)
        self.ff_in = torch.nn.Linear(HIDDEN, INTERMEDIATE)
        self.ff_out = torch.nn.Linear(INTERMEDIATE, HIDDEN)
        self.final_norm = torch.nn.LayerNorm(HIDDEN, eps=1e-5)

    def forward(self, h):
        b, t, _ = h.shape
        head = HIDDEN // HEADS

        def split(x):
            return x.reshape(b, t, HEADS, head).transpose(1, 2)

        q, k, v = split(self.q(h)) / math.sqrt(head), split(self.k(h)), split(self.v(h))
        attention = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        context = (attention @ v).transpose(1, 2).reshape(b, t, HIDDEN)
        h = self.norm(h + self.out(context))
        return self.final_norm(h + self.ff_out(torch.nn.functional.gelu(self.ff_in(h))))


class TinyWav2Vec2(torch.nn.Module):
    def __init__(self, every_layer):
        super().__init__()
        self.every_layer = every_layer
        self.features = FeatureEncoder()
        self.projection_norm = torch.nn.LayerNorm(CONV_DIM, eps=1e-5)
        self.projection = torch.nn.Linear(CONV_DIM, HIDDEN)
        self.pos_conv = torch.nn.Conv1d(HIDDEN, HIDDEN, POS_KERNEL, padding=POS_KERNEL // 2, groups=POS_GROUPS)
        self.encoder_norm = torch.nn.LayerNorm(HIDDEN, eps=1e-5)
        self.layers = torch.nn.ModuleList([Layer() for _ in range(LAYERS)])

    def forward(self, input_values):
        x = self.features(input_values).transpose(1, 2)
        h = self.projection(self.projection_norm(x))
        # An even kernel gives one frame too many, dropped as Wav2Vec2SamePadLayer does.
        position = torch.nn.functional.gelu(self.pos_conv(h.transpose(1, 2))[:, :, :-1]).transpose(1, 2)
        h = self.encoder_norm(h + position)
        hidden = [h]
        for layer in self.layers:
            h = layer(h)
            hidden.append(h)
        return (h, *hidden) if self.every_layer else h


def output_frames(samples):
    for kernel, stride in zip(CONV_KERNEL, CONV_STRIDE):
        samples = (samples - kernel) // stride + 1
    return samples


def load_pcm16(path):
    with wave.open(path) as w:
        assert w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2
        frames = w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype='<i2').astype(np.float32) / np.float32(32768.0)


def zero_mean_unit_var(x):
    """Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm for one unpadded clip."""
    x = x.astype(np.float32)
    return ((x - x.mean()) / np.sqrt(x.var() + 1e-7)).astype(np.float32)


def export(model, path, every_layer):
    names = ['last_hidden_state'] + ([f'hidden_states.{i}' for i in range(LAYERS + 1)] if every_layer else [])
    axes = {'input_values': {0: 'batch_size', 1: 'sequence_length'}}
    for name in names:
        axes[name] = {0: 'batch_size', 1: 'frames'}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(
        model,
        (torch.zeros(1, SR, dtype=torch.float32),),
        path,
        input_names=['input_values'],
        output_names=names,
        dynamic_axes=axes,
        opset_version=OPSET,
        do_constant_folding=True,
    )
    m = onnx.load(path)
    m.producer_name = 'ser-workbench scripts/make-tiny-encoder.py'
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, path)


def to_fp16(src, dst):
    """The fp32 graph in float16 throughout (weights, constants, casts, inputs and outputs), the way a
    full-precision-to-half conversion without kept I/O types leaves it."""
    m = onnx.load(src)
    g = m.graph
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT:
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name))
    for node in g.node:
        for attr in node.attribute:
            if node.op_type == 'Cast' and attr.name == 'to' and attr.i == TensorProto.FLOAT:
                attr.i = TensorProto.FLOAT16
            if attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type == TensorProto.FLOAT:
                attr.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(attr.t).astype(np.float16)))
    for value in list(g.input) + list(g.output):
        if value.type.tensor_type.elem_type == TensorProto.FLOAT:
            value.type.tensor_type.elem_type = TensorProto.FLOAT16
    del g.value_info[:]
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def write_json(path, value):
    with open(path, 'w') as f:
        json.dump(value, f, indent=2)
        f.write('\n')


def rounded(array):
    return [[float(f'{v:.7g}') for v in row] for row in array.tolist()]


def main():
    torch.manual_seed(24)
    model = TinyWav2Vec2(every_layer=True).eval()
    with torch.no_grad():
        # Larger than PyTorch's default initialisation, so that every layer changes its input visibly.
        for p in model.parameters():
            if p.dim() > 1:
                p.mul_(1.5)
    last_only = TinyWav2Vec2(every_layer=False).eval()
    last_only.load_state_dict(model.state_dict())

    shutil.rmtree(OUT, ignore_errors=True)
    tiny = os.path.join(OUT, 'tiny-wav2vec2')
    config = {
        'architectures': ['Wav2Vec2Model'],
        'model_type': 'wav2vec2',
        'hidden_size': HIDDEN,
        'num_hidden_layers': LAYERS,
        'num_attention_heads': HEADS,
        'intermediate_size': INTERMEDIATE,
        'hidden_act': 'gelu',
        'feat_extract_norm': 'group',
        'conv_dim': [CONV_DIM] * len(CONV_KERNEL),
        'conv_kernel': CONV_KERNEL,
        'conv_stride': CONV_STRIDE,
        'num_conv_pos_embeddings': POS_KERNEL,
        'num_conv_pos_embedding_groups': POS_GROUPS,
        'do_stable_layer_norm': False,
        '_name_or_path': 'ser-workbench/tiny-wav2vec2 (random weights, for tests)',
    }
    preprocessor = {
        'feature_extractor_type': 'Wav2Vec2FeatureExtractor',
        'feature_size': 1,
        'sampling_rate': SR,
        'padding_side': 'right',
        'padding_value': 0.0,
        'do_normalize': True,
        'return_attention_mask': False,
    }
    for folder, m, every in [(tiny, model, True), (os.path.join(OUT, 'tiny-wav2vec2-last-only'), last_only, False)]:
        os.makedirs(folder)
        write_json(os.path.join(folder, 'config.json'), config)
        write_json(os.path.join(folder, 'preprocessor_config.json'), preprocessor)
        export(m, os.path.join(folder, 'onnx', 'model.onnx'), every)
    to_fp16(os.path.join(tiny, 'onnx', 'model.onnx'), os.path.join(tiny, 'onnx', 'model_fp16.onnx'))

    # A model with another encoder family's input name (log-mel features, as Whisper's encoder).
    bad = os.path.join(OUT, 'bad-input-name')
    os.makedirs(os.path.join(bad, 'onnx'))
    write_json(os.path.join(bad, 'config.json'), {**config, 'model_type': 'whisper-like'})
    write_json(os.path.join(bad, 'preprocessor_config.json'), preprocessor)
    graph = helper.make_graph(
        [helper.make_node('Identity', ['input_features'], ['last_hidden_state'])],
        'bad-input-name',
        [helper.make_tensor_value_info('input_features', TensorProto.FLOAT, ['batch_size', 80, 'frames'])],
        [helper.make_tensor_value_info('last_hidden_state', TensorProto.FLOAT, ['batch_size', 80, 'frames'])],
    )
    bad_model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)])
    onnx.checker.check_model(bad_model)
    onnx.save(bad_model, os.path.join(bad, 'onnx', 'model.onnx'))

    references = []
    for clip in CLIPS:
        raw = load_pcm16(clip)
        x = torch.from_numpy(zero_mean_unit_var(raw))[None, :]
        with torch.no_grad():
            outputs = model(x)
        layers = [o[0].numpy() for o in outputs[1:]]
        assert layers[-1].shape[0] == output_frames(len(raw))
        last = layers[-1].astype(np.float64)
        references.append(
            {
                'clip': os.path.basename(clip),
                'samples': int(len(raw)),
                'frames': int(last.shape[0]),
                'layers': [rounded(layer) for layer in layers],
                'meanStd': [float(f'{v:.7g}') for v in np.concatenate([last.mean(0), last.std(0)])],
            }
        )
    write_json(
        os.path.join(tiny, 'reference.json'),
        {
            'about': 'PyTorch outputs of this model on the named test/fixtures/audio clips after do_normalize, '
            'one whole clip per run (no windows). layers[i] is hidden_states.i, [frame][dimension]; '
            'the last is last_hidden_state. meanStd: mean then population standard deviation over the '
            "last layer's frames. Written by scripts/make-tiny-encoder.py.",
            'hiddenSize': HIDDEN,
            'layers': LAYERS,
            'clips': references,
        },
    )
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f'wrote {OUT} ({total / 1024:.0f} KiB)')


if __name__ == '__main__':
    main()
