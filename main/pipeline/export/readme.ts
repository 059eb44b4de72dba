/**
 * The README written into an export folder: how to compute the model's features from audio and
 * run model.onnx, in Python and in Node (onnxruntime-node), with this export's own settings filled
 * in. A network's MFCC or log-mel matrices come from librosa; a classical classifier's functionals
 * are the workbench's own and come from its CLI (`ser features --export`).
 */
import type { ExportDescription } from './description';

/** The Python lines that compute the unnormalised feature rows, or why librosa cannot reproduce them. */
function pythonFeatures(d: ExportDescription): { code: string; caveat: string | null } {
  const c = d.featureConfig;
  const spectrum = `sr=sr, n_fft=${c.nFft}, hop_length=${c.hopLength}, n_mels=${c.nMels}, fmin=${c.fmin}, fmax=${c.fmax || c.sampleRate / 2}`;
  const base =
    c.representation === 'logmel'
      ? `base = librosa.power_to_db(librosa.feature.melspectrogram(y=y, ${spectrum}))`
      : `base = librosa.feature.mfcc(y=y, n_mfcc=${c.nMfcc}, ${spectrum})`;
  const lines = [`y, sr = librosa.load(path, sr=${c.sampleRate}, mono=True)`, base, 'rows = [base]'];
  for (let order = 1; order <= c.deltas; order++) lines.push(`rows.append(librosa.feature.delta(base, width=9, order=${order}))`);
  lines.push('m = np.concatenate(rows).astype(np.float32)');
  let caveat: string | null = null;
  if (c.preset === 'meyda') caveat = "This model was trained on Meyda's MFCC (preset `meyda`), which librosa does not reproduce exactly.";
  else if (c.extras.length > 0) {
    caveat = `This model's features also hold the Meyda descriptor rows ${c.extras.join(', ')}, which librosa does not compute: take them from the workbench (\`ser features\`).`;
  }
  return { code: lines.join('\n'), caveat };
}

function pythonNormalisation(d: ExportDescription): string {
  switch (d.normalization.mode) {
    case 'global':
      return d.normalization.maskPadding
        ? 'x[:, :valid] = (x[:, :valid] - mean[:, None]) / (std[:, None] + 1e-8)  # padding stays 0'
        : 'x = (x - mean[:, None]) / (std[:, None] + 1e-8)  # padding standardised too, as this older checkpoint was trained';
    case 'clip':
      return 'real = x[:, :valid]\nx[:, :valid] = (real - real.mean(1, keepdims=True)) / (real.std(1, keepdims=True) + 1e-8)';
    case 'speaker':
      return [
        "# per-speaker statistics: mean and std of each row over all real frames of the speaker's clips",
        'x[:, :valid] = (x[:, :valid] - speaker_mean[:, None]) / (speaker_std[:, None] + 1e-8)',
      ].join('\n');
  }
}

export function exportReadme(d: ExportDescription): string {
  return d.inputKind === 'vector' ? vectorReadme(d) : matrixReadme(d);
}

function matrixReadme(d: ExportDescription): string {
  const [rows, frames] = d.inputShape as [number, number];
  const masked = d.inputs.length > 1;
  const { code, caveat } = pythonFeatures(d);
  const globalStats = d.normalization.mode === 'global';
  const dims = d.framesFixedBy
    ? `The batch size is dynamic; the number of frames is fixed at ${frames} by layer ${d.framesFixedBy}.`
    : `The batch size and the number of frames are dynamic. Pad to ${frames} frames for exactly the workbench's logits (strided layers align their windows to the input's length).`;

  const python = [
    'import json',
    'import numpy as np',
    'import librosa',
    'import onnxruntime as ort',
    '',
    "meta = json.load(open('export.json'))",
    "session = ort.InferenceSession('model.onnx')",
    '',
    'def features(path):',
    ...code.split('\n').map((l) => '    ' + l),
    `    valid = min(m.shape[1], ${frames})`,
    `    x = np.zeros((${rows}, ${frames}), np.float32)  # zero-padded or truncated to ${frames} frames`,
    '    x[:, :valid] = m[:, :valid]',
    ...(globalStats
      ? ["    mean = np.array(meta['standardizer']['mean'], np.float32)", "    std = np.array(meta['standardizer']['std'], np.float32)"]
      : []),
    ...pythonNormalisation(d)
      .split('\n')
      .map((l) => '    ' + l),
    '    return x, valid',
    '',
    "x, valid = features('clip.wav')",
    `feeds = {'features': x[None, :, :, None]}  # [batch, ${rows}, frames, 1]`,
    ...(masked
      ? [`mask = np.zeros((1, ${frames}), np.float32)`, 'mask[0, :valid] = 1  # 1 = real frame, 0 = padding', "feeds['mask'] = mask"]
      : []),
    "logits = session.run(['logits'], feeds)[0][0]",
    'probabilities = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()',
    "print(meta['labels'][int(logits.argmax())], dict(zip(meta['labels'], probabilities.round(3))))",
  ].join('\n');

  const node = [
    "const fs = require('node:fs');",
    "const ort = require('onnxruntime-node');",
    '',
    'async function main() {',
    "  const meta = JSON.parse(fs.readFileSync('export.json', 'utf8'));",
    "  const session = await ort.InferenceSession.create('model.onnx');",
    `  // The normalised ${rows} x ${frames} matrix, row-major float32 (e.g. x.tofile('clip.f32') in the Python above).`,
    "  const x = new Float32Array(fs.readFileSync('clip.f32').buffer.slice(0));",
    `  const feeds = { features: new ort.Tensor('float32', x, [1, ${rows}, ${frames}, 1]) };`,
    ...(masked
      ? [
          `  const valid = ${frames}; // the clip's real frames (the Python's \`valid\`)`,
          `  const mask = new Float32Array(${frames}).fill(1, 0, valid).fill(0, valid);`,
          `  feeds.mask = new ort.Tensor('float32', mask, [1, ${frames}]);`,
        ]
      : []),
    '  const { logits } = await session.run(feeds);',
    '  const scores = Array.from(logits.data);',
    '  console.log(meta.labels[scores.indexOf(Math.max(...scores))]);',
    '}',
    'main();',
  ].join('\n');

  return `# ${d.model} (${d.checkpoint} checkpoint, epoch ${d.epoch}) as ONNX

Exported by SER Workbench. \`model.onnx\` is ONNX opset ${d.opset}, in inference mode (batch norm
uses its running statistics, dropout is left out). \`export.json\` holds the class labels (in
output order), the feature configuration, the normalisation (${d.normalization.mode}) and its
statistics.

## Inputs and output

- \`features\`: float32 [batch, ${rows}, frames, 1], the normalised feature matrix of each clip
  (rows = feature rows, one column per frame).
${masked ? '- `mask`: float32 [batch, frames], 1 for a real frame and 0 for padding; real frames come first.\n' : ''}- \`logits\`: float32 [batch, ${d.labels.length}], one score per label (${d.labels.join(', ')}); softmax gives the probabilities.

${dims}

## Python (librosa + onnxruntime)

\`pip install librosa onnxruntime\`. The workbench computes librosa's MFCC and log-mel exactly, but
resamples with its own resampler: a clip already at ${d.featureConfig.sampleRate} Hz gives the same features, a
resampled one very close ones.${caveat ? `\n\n${caveat}` : ''}

\`\`\`python
${python}
\`\`\`

## Node (onnxruntime-node)

\`npm install onnxruntime-node\`; the features come from the Python above (or the workbench).

\`\`\`js
${node}
\`\`\`
`;
}

/** What a vector's standardisation is in Python and Node, per normalisation mode. */
function vectorNormalisation(d: ExportDescription): { python: string[]; node: string[]; prose: string } {
  switch (d.normalization.mode) {
    case 'global':
      return {
        prose: "each value standardised with the training clips' mean and standard deviation (`standardizer` in export.json)",
        python: [
          "mean = np.array(meta['standardizer']['mean'], np.float32)",
          "std = np.array(meta['standardizer']['std'], np.float32)",
          'x = ((raw - mean) / (std + 1e-8)).astype(np.float32)',
        ],
        node: [
          '  const { mean, std } = meta.standardizer;',
          '  const x = data.map((v, i) => (v - mean[i % dims]) / (std[i % dims] + 1e-8));',
        ],
      };
    case 'speaker': {
      const unknown = d.normalization.globalStats
        ? "A clip whose speaker is unknown is standardised with the training clips' mean and standard deviation instead (`normalization.globalStats` in export.json), as the workbench's predict does: its own statistics would make it zeros"
        : "This checkpoint was trained before the training clips' statistics were recorded, so a clip whose speaker is unknown cannot be normalised (its own statistics make it zeros): give several clips of its speaker, or retrain the model";
      return {
        prose: `each value standardised with its speaker's own mean and standard deviation (population) over that speaker's clips, a value with no spread only centred: run the code below once per speaker, on all of that speaker's clips together. ${unknown}`,
        python: [
          '# The clips of one speaker: each value standardised over them.',
          'mean = raw.mean(0, dtype=np.float64)',
          'std = raw.std(0, dtype=np.float64)',
          'std[std <= 1e-7 * np.maximum(1, np.abs(mean))] = 1  # no spread: only centred',
          ...(d.normalization.globalStats
            ? [
                '# A clip of unknown speaker instead:',
                "# mean = np.array(meta['normalization']['globalStats']['mean']); std = np.array(meta['normalization']['globalStats']['std'])",
              ]
            : []),
          'x = ((raw - mean) / (std + 1e-8)).astype(np.float32)',
        ],
        node: [
          '  // The clips of one speaker: each value standardised over them (no spread: only centred).',
          '  const mean = new Float64Array(dims);',
          '  const std = new Float64Array(dims);',
          '  data.forEach((v, i) => (mean[i % dims] += v / clips));',
          '  data.forEach((v, i) => (std[i % dims] += (v - mean[i % dims]) ** 2 / clips));',
          '  std.forEach((s, r) => (std[r] = Math.sqrt(s) <= 1e-7 * Math.max(1, Math.abs(mean[r])) ? 1 : Math.sqrt(s)));',
          ...(d.normalization.globalStats
            ? ['  // A clip of unknown speaker instead: const { mean, std } = meta.normalization.globalStats;']
            : []),
          '  const x = data.map((v, i) => (v - mean[i % dims]) / (std[i % dims] + 1e-8));',
        ],
      };
    }
    case 'clip':
      return {
        prose:
          'each value standardised over its own clip; a vector holds one value per row, so every input is 0 and this model cannot tell clips apart (train with global or speaker normalisation instead)',
        python: ['x = np.zeros_like(raw, np.float32)  # per-clip standardisation of one value per row'],
        node: ['  const x = new Float32Array(data.length); // per-clip standardisation of one value per row'],
      };
  }
}

function vectorReadme(d: ExportDescription): string {
  const c = d.featureConfig;
  const dims = d.featureNames.length;
  const classes = d.labels.length;
  const norm = vectorNormalisation(d);
  const command = `ser features clips --representation ${c.representation} --sample-rate ${c.sampleRate} --export clips.npy`;

  const python = [
    'import json',
    'import numpy as np',
    'import onnxruntime as ort',
    '',
    "meta = json.load(open('export.json'))",
    "session = ort.InferenceSession('model.onnx')",
    `raw = np.load('clips.npy')  # [clips, ${dims}] from \`ser features --export\``,
    "files = json.load(open('clips.json'))['files']",
    ...norm.python,
    "probabilities = session.run(['probabilities'], {'features': x})[0]",
    'for name, p in zip(files, probabilities):',
    "    print(name, meta['labels'][int(p.argmax())], dict(zip(meta['labels'], p.round(3))))",
  ].join('\n');

  const node = [
    "const fs = require('node:fs');",
    "const ort = require('onnxruntime-node');",
    '',
    '/** A float32 .npy file as `ser features --export` writes it (format 1.0, little-endian): its values and shape. */',
    'function readNpy(path) {',
    '  const bytes = fs.readFileSync(path);',
    '  const headerLength = bytes.readUInt16LE(8);',
    "  const header = bytes.toString('latin1', 10, 10 + headerLength);",
    "  const shape = /'shape': \\(([^)]*)\\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);",
    '  const body = bytes.subarray(10 + headerLength);',
    '  return { data: new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length)), shape };',
    '}',
    '',
    'async function main() {',
    "  const meta = JSON.parse(fs.readFileSync('export.json', 'utf8'));",
    "  const { files } = JSON.parse(fs.readFileSync('clips.json', 'utf8'));",
    "  const { data, shape: [clips, dims] } = readNpy('clips.npy');",
    ...norm.node,
    "  const session = await ort.InferenceSession.create('model.onnx');",
    "  const { probabilities } = await session.run({ features: new ort.Tensor('float32', x, [clips, dims]) });",
    '  for (let i = 0; i < clips; i++) {',
    `    const p = Array.from(probabilities.data.subarray(i * ${classes}, (i + 1) * ${classes}));`,
    '    console.log(files[i], meta.labels[p.indexOf(Math.max(...p))]);',
    '  }',
    '}',
    'main();',
  ].join('\n');

  return `# ${d.model} (${d.checkpoint} checkpoint) as ONNX

Exported by SER Workbench. \`model.onnx\` is ONNX opset ${d.opset}, standard operators only; it
computes in float64 inside, as the workbench does, and gives the class probabilities the
workbench's predict gives. \`export.json\` holds the class labels (in output order), the feature
configuration, the name of every feature value (\`featureNames\`), the normalisation
(${d.normalization.mode}${d.normalization.mode === 'global' ? ', with its statistics' : d.normalization.globalStats ? ", with the training clips' statistics for a clip of unknown speaker" : ''}).

## Inputs and output

- \`features\`: float32 [batch, ${dims}], one normalised vector of ${c.representation} functionals per clip
  (the values in the order of \`featureNames\`).
- \`probabilities\`: float32 [batch, ${classes}], one probability per label (${d.labels.join(', ')}); each row sums to 1.

The batch size is dynamic.

## Computing the features

The ${c.representation} functionals are the workbench's own definitions (modelled on openSMILE's
${c.representation === 'compare-like' ? 'ComParE 2013' : 'eGeMAPS v02'} set, but not it: openSMILE, librosa or Praat do not give the same numbers).
Every value is defined in the workbench's \`docs/FUNCTIONALS.md\`. Compute them with the
workbench's CLI (Node), at ${c.sampleRate} Hz. \`ser features\` reads a dataset folder, so put the
clips into a folder named after any emotion (e.g. \`clips/neutral/\`); the label does not change
the features:

\`\`\`sh
${command}
\`\`\`

It prints the feature configuration's hash, which must be \`${d.featureConfigHash}\` (this
model's), and writes \`clips.npy\` (float32 [clips, ${dims}], the raw values) and \`clips.json\`
(\`files\`: the clip of each row; \`rows\`: the name of each value).

Normalisation: ${norm.prose}.

## Python (numpy + onnxruntime)

\`pip install numpy onnxruntime\`.

\`\`\`python
${python}
\`\`\`

## Node (onnxruntime-node)

\`npm install onnxruntime-node\`.

\`\`\`js
${node}
\`\`\`
`;
}
