/**
 * Passes on a job's progress at most once per `intervalMs`: the first report at once, later ones
 * when the interval ends, with only the latest value (reports in between are coalesced). A handler
 * may call `reportProgress` on every batch item; RunPod and Redis see a few updates per second at most.
 */
export class ProgressThrottle {
  private lastEmitAt = Number.NEGATIVE_INFINITY;
  private lastEmitted: number | undefined;
  private latest: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly emit: (progress: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  report(progress: number): void {
    if (this.closed) return;
    this.latest = progress;
    if (this.timer) return;
    const wait = this.lastEmitAt + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Drops what is pending: once a job is final, a late progress update would contradict it. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const progress = this.latest;
    this.latest = undefined;
    if (this.closed || progress === undefined || progress === this.lastEmitted) return;
    this.lastEmitAt = this.now();
    this.lastEmitted = progress;
    this.emit(progress);
  }
}
