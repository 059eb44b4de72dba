import { listBackends, type BackendAvailability } from '../../compute/backend';
import { listExecutionProviders } from '../../features/encoder/runtime';
import { describeAdapter } from '../../compute/webgpu';
import { parseCommandArgs, printJson } from '../args';

export const backendsUsage = 'backends [--json]';

export async function backendsCommand(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs(argv, { json: { type: 'boolean' } });
  const list = await listBackends();
  const encoderProviders = listExecutionProviders();
  if (values.json) {
    printJson({ backends: list, encoderProviders });
    return;
  }
  const width = Math.max(...list.map((b) => b.name.length), ...encoderProviders.map((p) => p.name.length));
  for (const backend of list) {
    const state = backend.available ? (backend.automatic ? 'available' : 'by name only') : 'unavailable';
    const detail = [
      backend.version,
      backend.adapter ? `adapter: ${describeAdapter(backend.adapter)}` : undefined,
      backend.reason,
      backend.blas ? blasText(backend.blas) : undefined,
    ]
      .filter((part): part is string => part != null)
      .join('; ');
    process.stdout.write(`${backend.name.padEnd(width)}  ${state.padEnd(12)}  ${detail}\n`);
  }
  process.stdout.write('\nencoder representation (onnxruntime execution providers, best first):\n');
  for (const provider of encoderProviders) {
    process.stdout.write(
      `${provider.name.padEnd(width)}  ${(provider.available ? 'available' : 'skipped').padEnd(12)}  ${provider.reason ?? ''}\n`,
    );
  }
}

/** "BLAS: OpenBLAS 0.3.21 (Haswell), core Haswell: why", or why there is none. */
function blasText(blas: NonNullable<BackendAvailability['blas']>): string {
  if (!blas.active) return `no BLAS: ${blas.reason}`;
  return `BLAS: ${blas.description}${blas.core ? `, core ${blas.core.name}: ${blas.core.reason}` : ''}${blas.dnnl ? `; ${dnnlText(blas.dnnl)}` : ''}`;
}

/** "convs, batch norm and pooling on oneDNN 2.6.3", or why oneDNN is not used. */
function dnnlText(dnnl: NonNullable<Extract<NonNullable<BackendAvailability['blas']>, { active: true }>['dnnl']>): string {
  return dnnl.active ? `convs, batch norm and pooling on ${dnnl.description}` : `convs on the BLAS, not oneDNN: ${dnnl.reason}`;
}
