# Praat references for the functional LLD tests (scripts/make-functionals-references.sh runs it):
# pitch (ac, Praat's defaults), jitter/shimmer from a cross-correlation point process, HNR (ac)
# and Burg formants (frequency and bandwidth of F1-F5), written as CSV lines "kind,time,value..." to the output file.
form References
  sentence wav
  sentence out
endform
sound = Read from file: wav$
writeFileLine: out$, "kind,time,values (formant: F1,B1,...,F5,B5)"
selectObject: sound
pitch = To Pitch (ac): 0.01, 75, 15, "no", 0.03, 0.45, 0.01, 0.35, 0.14, 600
frames = Get number of frames
for i to frames
  t = Get time from frame number: i
  f = Get value in frame: i, "Hertz"
  if f = undefined
    f = 0
  endif
  appendFileLine: out$, "pitch,", fixed$(t, 4), ",", fixed$(f, 3)
endfor
selectObject: sound, pitch
points = To PointProcess (cc)
jitter = Get jitter (local): 0, 0, 0.0001, 0.02, 1.3
ddp = Get jitter (ddp): 0, 0, 0.0001, 0.02, 1.3
selectObject: sound, points
shimmer = Get shimmer (local_dB): 0, 0, 0.0001, 0.02, 1.3, 1.6
appendFileLine: out$, "perturbation,0,", fixed$(jitter, 6), ",", fixed$(ddp, 6), ",", fixed$(shimmer, 6)
selectObject: sound
harmonicity = To Harmonicity (ac): 0.01, 75, 0.1, 4.5
hnr = Get mean: 0, 0
appendFileLine: out$, "hnr,0,", fixed$(hnr, 4)
selectObject: sound
formant = To Formant (burg): 0.01, 5, 5500, 0.025, 50
frames = Get number of frames
for i to frames
  t = Get time from frame number: i
  line$ = "formant," + fixed$(t, 4)
  for f to 5
    hz = Get value at time: f, t, "hertz", "linear"
    bw = Get bandwidth at time: f, t, "hertz", "linear"
    if hz = undefined or bw = undefined
      hz = 0
      bw = 0
    endif
    line$ = line$ + "," + fixed$(hz, 1) + "," + fixed$(bw, 1)
  endfor
  appendFileLine: out$, line$
endfor
