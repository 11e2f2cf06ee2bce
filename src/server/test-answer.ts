/**
 * The fake Backend's one way of answering (src/server/test-support.ts and the test-fixtures-*.ts parts):
 * a method that records its name in `calls` and its answer in `results`, then returns the answer.
 */
export function recorder(calls: string[], results: unknown[]) {
  return <T>(name: string, value: T) =>
    async () => {
      calls.push(name);
      results.push(value);
      return value;
    };
}
