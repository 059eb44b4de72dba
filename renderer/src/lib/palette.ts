/** Colours shared by every chart and badge, so a class or a split has one colour everywhere. */

export const COLORS = {
  text: '#1d2330',
  muted: '#667085',
  border: '#d6dae3',
  accent: '#2f6fde',
  train: '#2f6fde',
  val: '#e07b28',
  good: '#2e8b57',
  bad: '#c0392b',
  neutral: '#8a94a6',
  f1: '#7b2cbf',
} as const;

/** One stable colour per canonical emotion (unknown labels get a neutral grey). */
const EMOTION_COLORS: Record<string, string> = {
  anger: '#d1495b',
  boredom: '#8d99ae',
  disgust: '#6a994e',
  fear: '#7b2cbf',
  happiness: '#f4a261',
  neutral: '#6c757d',
  sadness: '#277da1',
  surprise: '#e9c46a',
  calm: '#52b788',
};

export function emotionColor(label: string): string {
  return EMOTION_COLORS[label] ?? COLORS.neutral;
}

export function statusColor(status: string): string {
  switch (status) {
    case 'done':
      return COLORS.good;
    case 'running':
      return COLORS.accent;
    case 'failed':
      return COLORS.bad;
    case 'interrupted':
    case 'cancelled':
      return COLORS.val;
    default:
      return COLORS.neutral;
  }
}
