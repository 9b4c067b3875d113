/**
 * @module api/streaming/inbound-gate
 * Backpressure for what a client UPLOADS (exec stdin, cp into a pod, port-forward
 * requests): bytes read from the client's socket but not yet taken by the tunnel (which
 * takes them only as the agent's window allows) are counted; above `high` the socket
 * stops reading (TCP pushes back on kubectl), below `low` it reads again.
 */
export class InboundGate {
  private pending = 0;
  private paused = false;

  constructor(
    private readonly pause: () => void,
    private readonly resume: () => void,
    private readonly high = 1024 * 1024,
    private readonly low = 256 * 1024,
  ) {}

  /** `n` bytes were read from the client. */
  add(n: number): void {
    this.pending += n;
    if (!this.paused && this.pending > this.high) {
      this.paused = true;
      this.pause();
    }
  }

  /** `n` of them were handed to the tunnel (or dropped). */
  done(n: number): void {
    this.pending = Math.max(0, this.pending - n);
    if (this.paused && this.pending <= this.low) {
      this.paused = false;
      this.resume();
    }
  }

  get queued(): number {
    return this.pending;
  }
}
