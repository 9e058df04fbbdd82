// Calls of one kind that a replica makes at the same moment, sent as one statement. A call goes out at once while
// fewer than `parallel` statements of its kind are on their way; otherwise it waits, with whatever else comes
// meanwhile, and they go together as soon as one of those statements is back. A lone call pays nothing; fifty
// Approve clicks at once become a few statements instead of fifty, each of which took a connection and a server
// process of its own, and on two cores the server processes' turns were what the clicks waited for
// (bench/profile-approve.ts; BENCHMARKS.md).

export interface GroupedCallsOptions<Call> {
  /** Statements of this kind on their way at once. */
  parallel: number;
  /** The most calls one statement carries. */
  most: number;
  /** Calls with the same key never go in one statement: the later waits for the next. */
  key?: (call: Call) => string;
}

interface Waiting<Call, Result> {
  call: Call;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export class GroupedCalls<Call, Result> {
  private waiting: Waiting<Call, Result>[] = [];
  private sending = 0;

  /** `send` answers each call of a group, in order: its result, or the error it alone failed with. */
  constructor(
    private readonly send: (calls: Call[]) => Promise<PromiseSettledResult<Result>[]>,
    private readonly options: GroupedCallsOptions<Call>,
  ) {}

  call(call: Call): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ call, resolve, reject });
      this.sendWaiting();
    });
  }

  private sendWaiting(): void {
    while (this.sending < this.options.parallel && this.waiting.length > 0) {
      const group = this.takeGroup();
      this.sending++;
      this.send(group.map(({ call }) => call))
        .then(
          (results) =>
            group.forEach((waiting, index) => {
              const result = results[index];
              if (result?.status === 'fulfilled') waiting.resolve(result.value);
              else waiting.reject(result ? result.reason : new Error('a grouped call got no answer'));
            }),
          (error: unknown) => {
            for (const waiting of group) waiting.reject(error);
          },
        )
        .finally(() => {
          this.sending--;
          this.sendWaiting();
        });
    }
  }

  /** The oldest waiting calls, up to `most`, no two with the same key; the others keep their places. */
  private takeGroup(): Waiting<Call, Result>[] {
    const { key, most } = this.options;
    const keys = new Set<string>();
    const group: Waiting<Call, Result>[] = [];
    const left: Waiting<Call, Result>[] = [];
    for (const waiting of this.waiting) {
      const name = key?.(waiting.call);
      if (group.length >= most || (name !== undefined && keys.has(name))) {
        left.push(waiting);
        continue;
      }
      if (name !== undefined) keys.add(name);
      group.push(waiting);
    }
    this.waiting = left;
    return group;
  }
}
