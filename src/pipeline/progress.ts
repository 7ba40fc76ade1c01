/** How long steps report progress; the CLI draws a bar on a terminal, logs lines otherwise. */
export interface Progress {
  start(label: string, total?: number): void;
  advance(by: number, total?: number): void;
  stop(): void;
}

export const silentProgress: Progress = { start() {}, advance() {}, stop() {} };

/** One Progress per concurrent task (e.g. one per platform pulling at the same time). */
export type ProgressFactory = () => Progress;

export const silentProgressFactory: ProgressFactory = () => silentProgress;
