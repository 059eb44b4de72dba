/**
 * The microphone as mono float samples: getUserMedia (no echo cancellation, noise suppression or
 * gain control, which would change what the model hears) into a ScriptProcessor, at the audio
 * context's own rate. Errors are the browser's (see microphoneErrorMessage).
 */

export interface MicrophoneHandlers {
  /** A buffer of mono samples in [-1, 1] (a copy: safe to keep). */
  onSamples(samples: Float32Array): void;
  /** The device went away (unplugged, or its permission revoked) while open. */
  onEnded(): void;
}

/** Samples per ScriptProcessor callback: about 85 ms at 48 kHz. */
const BUFFER_SIZE = 4096;

export class Microphone {
  private constructor(
    private readonly stream: MediaStream,
    private readonly context: AudioContext,
    private readonly nodes: AudioNode[],
  ) {}

  get sampleRate(): number {
    return this.context.sampleRate;
  }

  static async open(handlers: MicrophoneHandlers): Promise<Microphone> {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    const context = new AudioContext();
    const source = context.createMediaStreamSource(stream);
    const processor = context.createScriptProcessor(BUFFER_SIZE, 1, 1);
    processor.onaudioprocess = (event) => handlers.onSamples(event.inputBuffer.getChannelData(0).slice());
    source.connect(processor);
    // A ScriptProcessor runs only when connected onwards; it writes silence.
    processor.connect(context.destination);
    for (const track of stream.getAudioTracks()) track.addEventListener('ended', () => handlers.onEnded());
    await context.resume();
    return new Microphone(stream, context, [source, processor]);
  }

  close(): void {
    for (const node of this.nodes) node.disconnect();
    for (const track of this.stream.getTracks()) track.stop();
    void this.context.close();
  }
}
